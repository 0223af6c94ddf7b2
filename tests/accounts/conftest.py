"""Fixtures for the onboarding tests: moto (mock_aws) with an organization, a stacks copy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from obsgov.accounts import Aws
from obsgov.config import EnvironmentConfig, load_environment

from .support import (
    REGION,
    CallLog,
    build_organization,
    only_power_user_policy,
    write_stacks,
)


@dataclass
class Org:
    session: boto3.Session
    ou_ids: dict[str, str]
    stacks: Path
    calls: CallLog

    @property
    def orgs(self):
        return self.session.client("organizations", region_name=REGION)

    def env(self, stack: str = "prod") -> EnvironmentConfig:
        return load_environment(stack, self.stacks / f"Pulumi.{stack}.yaml")

    def aws(self, *hooks) -> Aws:
        """An Aws whose clients log every call and never sleep (moto needs no waiting)."""
        return Aws(
            region=REGION,
            session=self.session,
            hooks=[("before-call", self.calls), *hooks],
            sleep=lambda s: None,
        )

    def create_account(self, name: str, email: str) -> str:
        status = self.orgs.create_account(AccountName=name, Email=email)["CreateAccountStatus"]
        return self.orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])[
            "CreateAccountStatus"
        ]["AccountId"]


@pytest.fixture
def org(aws_credentials, tmp_path, monkeypatch) -> Iterator[Org]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("moto.iam.models.aws_managed_policies_data", only_power_user_policy())
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        session = boto3.Session(region_name=REGION)
        ou_ids = build_organization(session)
        org_id = session.client("organizations").describe_organization()["Organization"]["Id"]
        stacks = write_stacks(tmp_path / "stacks", ou_ids, org_id)
        yield Org(session, ou_ids, stacks, CallLog())
