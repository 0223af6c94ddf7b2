"""`obsgov registry snapshot` end to end against moto: what it writes, what it refuses."""

from __future__ import annotations

import json
import shutil

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.io import display_path
from obsgov_policies.approval_source import SnapshotSource, clear_caches

from ..policies.model_governance.conftest import register
from ..support.environments import STACKS

REGION = "eu-west-1"
REGISTRY_ACCOUNT = "100000000002"  # modelApproval.registryAccountId of the shipped prod stack


@pytest.fixture
def stacks(tmp_path):
    """A copy of the shipped stacks/, so a written snapshot never touches the repository."""
    copy = tmp_path / "stacks"
    shutil.copytree(STACKS, copy)
    return copy


@pytest.fixture
def sagemaker(aws_credentials, monkeypatch):
    """moto's registry, with the caller in the registry account."""
    monkeypatch.setenv("MOTO_ACCOUNT_ID", REGISTRY_ACCOUNT)
    with mock_aws():
        yield boto3.client("sagemaker", region_name=REGION)
    clear_caches()


def run(*args: str):
    return CliRunner().invoke(app, ["registry", "snapshot", *args])


def test_snapshot_records_status_metadata_and_deployments(sagemaker, tmp_path, stacks):
    approved = register(
        sagemaker,
        "fraud-scoring",
        "Approved",
        {"owner": "ml@example.com", "deployed-environments": "dev, staging"},
    )
    pending = register(sagemaker, "fraud-scoring", "PendingManualApproval")
    other = register(sagemaker, "churn", "Rejected")
    target = tmp_path / "snapshot.json"
    result = run(
        "--env", "prod", "--output", str(target), "--no-assume-role", "--stacks-dir", str(stacks)
    )
    assert result.exit_code == 0, result.output
    assert f"wrote 3 model packages to {display_path(target)}" in result.output
    snapshot = json.loads(target.read_text())
    by_arn = {p["arn"]: p for p in snapshot["packages"]}
    assert by_arn[approved]["approvalStatus"] == "Approved"
    assert by_arn[approved]["metadata"]["owner"] == "ml@example.com"
    assert by_arn[approved]["deployedEnvironments"] == ["dev", "staging"]
    assert by_arn[pending]["approvalStatus"] == "PendingManualApproval"
    assert by_arn[other]["approvalStatus"] == "Rejected"
    assert [p["group"] for p in snapshot["packages"]] == ["churn", "fraud-scoring", "fraud-scoring"]
    record = SnapshotSource(str(target)).lookup(approved)
    assert record is not None
    assert record.approval_status == "Approved"


def test_assuming_the_deployment_role_reaches_the_registry(sagemaker, tmp_path, stacks):
    register(sagemaker, "fraud-scoring", "Approved")
    target = tmp_path / "s.json"
    result = run("--env", "prod", "--output", str(target), "--stacks-dir", str(stacks))
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text())["registryAccountId"] == REGISTRY_ACCOUNT


def test_default_target_is_the_configured_snapshot_file(sagemaker, stacks):
    for version in range(3):
        register(sagemaker, f"group-{version}", "Approved")
    committed = stacks / "registry-snapshot.prod.json"
    committed.write_text(json.dumps({"formatVersion": 1, "packages": []}))
    result = run("--env", "prod", "--no-assume-role", "--stacks-dir", str(stacks))
    assert result.exit_code == 0, result.output
    assert len(json.loads(committed.read_text())["packages"]) == 3


def test_fewer_packages_than_committed_is_refused_unless_forced(sagemaker, stacks):
    committed = stacks / "registry-snapshot.prod.json"
    before = committed.read_text()
    held = len(json.loads(before)["packages"])
    register(sagemaker, "fraud-scoring", "Approved")
    result = run("--env", "prod", "--no-assume-role", "--stacks-dir", str(stacks))
    assert result.exit_code == 2
    assert (
        f"the registry now lists 1 packages but {display_path(committed)} holds {held}"
        in result.output
    )
    assert "give --force to replace it anyway" in result.output
    assert committed.read_text() == before
    forced = run("--env", "prod", "--no-assume-role", "--force", "--stacks-dir", str(stacks))
    assert forced.exit_code == 0, forced.output
    assert len(json.loads(committed.read_text())["packages"]) == 1


def test_credentials_of_another_account_are_refused(aws_credentials, tmp_path, stacks):
    with mock_aws():  # moto's default account, not the registry account
        result = run(
            "--env",
            "prod",
            "--output",
            str(tmp_path / "s.json"),
            "--no-assume-role",
            "--stacks-dir",
            str(stacks),
        )
    assert result.exit_code == 2
    assert (
        "the credentials reach account 123456789012, not the registry account 100000000002"
    ) in result.output
    assert not (tmp_path / "s.json").exists()


def test_environment_without_registry_is_a_usage_error(tmp_path):
    result = run("--env", "dev", "--output", str(tmp_path / "s.json"))
    assert result.exit_code == 2
    assert (
        "stacks/Pulumi.dev.yaml: config.obsgov:modelApproval.registryAccountId: is not "
        "set: the environment has no model registry"
    ) in result.output


def test_unknown_environment_names_the_env_option(tmp_path):
    result = run("--env", "qa", "--output", str(tmp_path / "s.json"))
    assert result.exit_code == 2
    assert "--stack: no stack 'qa'" in result.output


def test_missing_credentials_are_explained(no_aws_credentials, tmp_path):
    result = run("--env", "prod", "--output", str(tmp_path / "s.json"), "--no-assume-role")
    assert result.exit_code == 4  # AWS unreachable: not a verdict
    assert "no AWS credentials" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "s.json").exists()


def test_malformed_endpoint_url_is_bad_input(aws_credentials, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "localhost:5000")
    result = run("--env", "prod", "--output", str(tmp_path / "s.json"), "--no-assume-role")
    assert result.exit_code == 2
    assert (
        "environment variable AWS_ENDPOINT_URL: 'localhost:5000' is not an endpoint URL"
        in result.output
    )
    assert "Traceback" not in result.output


def test_registry_source_relies_on_the_not_found_error_code(sagemaker):
    """RegistrySource treats this error code as "not registered" (fail closed), any other
    code as "cannot verify": pin the code the SageMaker API returns."""
    from botocore.exceptions import ClientError

    from obsgov_policies.approval_source import RegistrySource

    missing = f"arn:aws:sagemaker:eu-west-1:{REGISTRY_ACCOUNT}:model-package/nothing/1"
    with pytest.raises(ClientError) as caught:
        sagemaker.describe_model_package(ModelPackageName=missing)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert RegistrySource(sagemaker).lookup(missing) is None
