"""`obsgov registry snapshot` records the model registry with boto3 (tested against moto)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.model_registry import take_snapshot
from obsgov_policies.model_registry import SnapshotSource, clear_caches

from .policies.model_governance.conftest import register

REGION = "eu-west-1"


@pytest.fixture
def sagemaker(aws_credentials):
    with mock_aws():
        yield boto3.client("sagemaker", region_name=REGION)
    clear_caches()


def test_snapshot_records_status_metadata_and_deployments(sagemaker):
    approved = register(sagemaker, "fraud-scoring", "Approved",
                        {"owner": "ml@example.com", "deployed-environments": "dev, staging"})
    pending = register(sagemaker, "fraud-scoring", "PendingManualApproval")
    other = register(sagemaker, "churn", "Rejected")
    snapshot = take_snapshot(sagemaker, "123456789012", REGION)
    by_arn = {p["arn"]: p for p in snapshot["packages"]}
    assert by_arn[approved]["approvalStatus"] == "Approved"
    assert by_arn[approved]["metadata"]["owner"] == "ml@example.com"
    assert by_arn[approved]["deployedEnvironments"] == ["dev", "staging"]
    assert by_arn[pending]["approvalStatus"] == "PendingManualApproval"
    assert by_arn[other]["group"] == "churn"
    assert [p["group"] for p in snapshot["packages"]] == ["churn", "fraud-scoring", "fraud-scoring"]


def test_cli_writes_a_snapshot_the_policy_can_read(sagemaker, tmp_path):
    arn = register(sagemaker, "fraud-scoring", "Approved")
    target = tmp_path / "snapshot.json"
    result = CliRunner().invoke(app, ["registry", "snapshot", "--env", "prod", "--output", str(target),
                                      "--no-assume-role"])
    assert result.exit_code == 0, result.output
    assert "wrote 1 model packages" in result.output
    record = SnapshotSource(str(target)).lookup(arn)
    assert record is not None and record.approval_status == "Approved"
    assert json.loads(target.read_text())["formatVersion"] == 1


def test_cli_assumes_the_deployment_role(sagemaker, tmp_path):
    register(sagemaker, "fraud-scoring", "Approved")
    result = CliRunner().invoke(app, ["registry", "snapshot", "--env", "prod", "--output",
                                      str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output


def test_environment_without_registry_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(app, ["registry", "snapshot", "--env", "dev", "--output", str(tmp_path / "s.json")])
    assert result.exit_code == 2
    assert "config.obsgov:modelApproval: registryAccountId: is not set" in result.output


def test_missing_credentials_are_explained(no_aws_credentials, tmp_path):
    result = CliRunner().invoke(app, ["registry", "snapshot", "--env", "prod", "--output",
                                      str(tmp_path / "s.json"), "--no-assume-role"])
    assert result.exit_code == 4  # AWS unreachable: not a verdict
    assert "no AWS credentials" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "s.json").exists()


def test_registry_source_relies_on_the_not_found_error_code(sagemaker):
    """RegistrySource treats this error code as "not registered" (fail closed), any other
    code as "cannot verify": pin the code the SageMaker API returns."""
    from botocore.exceptions import ClientError

    from obsgov_policies.model_registry import RegistrySource

    missing = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/nothing/1"
    with pytest.raises(ClientError) as caught:
        sagemaker.describe_model_package(ModelPackageName=missing)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert RegistrySource(sagemaker).lookup(missing) is None
