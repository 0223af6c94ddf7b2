"""Onboarding one account: validate, create or invite, place in its OU, tag, deployment role,
alternate contacts, Identity Center access, default VPCs, Region-deny SCP, record in the
registry.

Every step first reads the state from AWS and writes only what differs, so a rerun after a
crash finishes the job and a rerun after success writes nothing (to AWS or to the file). The
steps live beside this module: ``onboard_entry`` (the registry entry), ``org_account`` (the
account in the organization), ``deployment_role`` and ``account_baseline``; this one runs
them in order, holding a lock on the account across processes so two identical runs never
both create it.
"""

from __future__ import annotations

import fcntl
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from obsgov.config import EnvironmentConfig

from . import account_baseline, onboard_entry, org_account
from .aws import Aws, aws_failure
from .deployment_role import ensure_deployment_role, principal_arn
from .errors import OnboardingError
from .onboard_run import (
    InvitationPending,
    OnboardRequest,
    OnboardResult,
    RunState,
    StepFailed,
)
from .plan import Plan
from .registry_file import RegistryEditor

__all__ = ["InvitationPending", "OnboardRequest", "OnboardResult", "Onboarding", "StepFailed"]


class Onboarding:
    """One onboarding run. ``run`` validates first (no AWS call), then walks the steps."""

    def __init__(
        self,
        env: EnvironmentConfig,
        request: OnboardRequest,
        aws: Aws,
        dry_run: bool = False,
        poll_interval: float = 5.0,
        poll_timeout: float = 900.0,
        role_attempts: int = 6,
        role_wait: float = 5.0,
    ) -> None:
        self.state = RunState(
            env=env,
            request=request,
            aws=aws,
            plan=Plan(dry_run=dry_run),
            editor=RegistryEditor(env),
            poll_interval=poll_interval,
            poll_timeout=poll_timeout,
            role_attempts=role_attempts,
            role_wait=role_wait,
        )

    @property
    def plan(self) -> Plan:
        return self.state.plan

    @property
    def dry_run(self) -> bool:
        return self.state.dry_run

    def validate(self) -> None:
        """Every argument against the tag schema and the registry's rules; no AWS call."""
        onboard_entry.validate(self.state)

    def run(self) -> OnboardResult:
        self.validate()
        try:
            return self._steps()
        except (ClientError, BotoCoreError) as exc:
            raise StepFailed(aws_failure(exc, self.state.doing), self.plan) from None
        except InvitationPending:
            raise
        except OnboardingError as exc:
            raise StepFailed(exc, self.plan) from None

    def _steps(self) -> OnboardResult:
        state = self.state
        r = state.request
        key = (r.account_id or (r.email or "")).lower()
        with account_lock(state.editor.path, key):
            return self._locked_steps()

    def _locked_steps(self) -> OnboardResult:
        state = self.state
        self._identities()
        orgs = state.aws.client("organizations")
        ou_id = org_account.target_ou_id(state)
        account_id, created = org_account.ensure_account(state, orgs, ou_id)
        name = state.fields["name"]
        result = OnboardResult(account_id, name, state.plan)
        org_account.place(state, orgs, account_id, ou_id)
        org_account.tag(state, orgs, account_id, created)
        result.role_proven = ensure_deployment_role(state, account_id, created)
        account_baseline.alternate_contacts(state, account_id)
        account_baseline.access_assignments(state, account_id)
        account_baseline.default_vpcs(state, account_id, created)
        account_baseline.region_deny(state, orgs, account_id)
        if result.role_proven is False:
            result.notes.append(
                f"the deployment role trusts {state.deployer} and these credentials are "
                f"{state.caller}: prove it with `obsgov accounts verify --env "
                f"{state.env.environment}` as the deployer"
            )
        onboard_entry.record(state, account_id)
        return result

    def _identities(self) -> None:
        """Who runs this (with the role's path, which a session ARN drops) and whom the
        deployment role trusts (the flag, else accountFactory.deployerArn)."""
        state = self.state
        state.doing = "reading the caller's identity"
        caller = state.aws.client("sts").get_caller_identity()["Arn"]
        state.partition = caller.split(":")[1]  # aws, aws-us-gov, aws-cn
        iam = state.aws.client("iam") if ":assumed-role/" in caller else None
        state.caller = principal_arn(caller, iam)
        deployer = onboard_entry.deployer_of(state.env, state.request.deployer_arn)
        assert deployer is not None, "validated: a deployer is configured or given"
        state.deployer = deployer


@contextmanager
def account_lock(registry: Path, key: str) -> Iterator[None]:
    """An exclusive lock on one account (its id, or the email a --create asks for), shared by
    every obsgov process using this registry: a second identical run waits, then finds the
    account the first one made instead of asking AWS for another. One byte of a lock file
    beside the registry per key (two keys may share a byte: they then wait for each other)."""
    path = registry.with_name(f".{registry.name}.aws.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    offset = zlib.crc32(key.encode()) & 0x7FFFFFFF
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX, 1, offset)
        try:
            yield
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)
    finally:
        os.close(fd)
