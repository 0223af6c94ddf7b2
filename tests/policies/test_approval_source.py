"""Where approval comes from: snapshot files (every way one can be unusable), the live
registry (through a stubbed SageMaker client) and the choice between them."""

import json

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from obsgov_policies.approval_source import (
    ApprovalUnavailable,
    PackageRecord,
    RegistrySource,
    SnapshotSource,
    approval_source,
    clear_caches,
    record_from_description,
)

ARN = "arn:aws:sagemaker:eu-west-1:100000000002:model-package/fraud-scoring/12"
RECORD = {
    "arn": ARN,
    "group": "fraud-scoring",
    "version": 12,
    "approvalStatus": "Approved",
    "metadata": {"owner": "ml@example.com", "a": "1"},
    "deployedEnvironments": ["staging", "dev"],
}


@pytest.fixture(autouse=True)
def fresh_cache():
    clear_caches()
    yield
    clear_caches()


def snapshot(tmp_path, document, name="s.json"):
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def approval_of(source) -> str:
    """The approval status ``source`` holds for ARN, which the test expects it to know."""
    record = source.lookup(ARN)
    assert record is not None
    return record.approval_status


def test_records_round_trip_sorted():
    record = PackageRecord.from_json(RECORD)
    assert record == PackageRecord(
        ARN,
        "fraud-scoring",
        12,
        "Approved",
        {"owner": "ml@example.com", "a": "1"},
        ("staging", "dev"),
    )
    assert record.to_json() == {
        **RECORD,
        "metadata": {"a": "1", "owner": "ml@example.com"},
        "deployedEnvironments": ["dev", "staging"],
    }
    assert list(record.to_json()["metadata"]) == ["a", "owner"]


def test_a_record_needs_only_its_arn():
    assert PackageRecord.from_json({"arn": ARN}) == PackageRecord(ARN, "", 0, "", {}, ())
    assert PackageRecord.from_json(
        {"arn": ARN, "metadata": None, "deployedEnvironments": None}
    ) == PackageRecord(ARN, "", 0, "", {}, ())


def test_record_from_describe_model_package():
    record = record_from_description(
        {
            "ModelPackageArn": ARN,
            "ModelPackageGroupName": "fraud-scoring",
            "ModelPackageVersion": 12,
            "ModelApprovalStatus": "Approved",
            "CustomerMetadataProperties": {"deployed-environments": " dev, staging ,,", "o": "x"},
        }
    )
    assert record == PackageRecord(
        ARN,
        "fraud-scoring",
        12,
        "Approved",
        {"deployed-environments": " dev, staging ,,", "o": "x"},
        ("dev", "staging"),
    )
    assert record_from_description({"ModelPackageArn": ARN}) == PackageRecord(
        ARN, "", 0, "", {}, ()
    )


def test_snapshot_lookup(tmp_path):
    path = snapshot(tmp_path, {"formatVersion": 1, "packages": [RECORD]})
    source = SnapshotSource(path)
    assert source.describe() == f"the registry snapshot {path}"
    assert source.lookup(ARN) == PackageRecord.from_json(RECORD)
    assert source.lookup(ARN + "3") is None


def test_a_rewritten_snapshot_is_read_again(tmp_path):
    path = snapshot(tmp_path, {"formatVersion": 1, "packages": [RECORD]})
    assert approval_of(SnapshotSource(path)) == "Approved"
    snapshot(tmp_path, {"formatVersion": 1, "packages": [{**RECORD, "approvalStatus": "Rejected"}]})
    assert approval_of(SnapshotSource(path)) == "Rejected"


def test_an_empty_snapshot_has_no_packages(tmp_path):
    assert SnapshotSource(snapshot(tmp_path, {"formatVersion": 1})).records == {}


@pytest.mark.parametrize(
    ("document", "why"),
    [
        (
            "{not json",
            "cannot be read (Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1))",
        ),
        ({"formatVersion": 2}, "is not an obsgov snapshot (formatVersion 1)"),
        ([1], "is not an obsgov snapshot (formatVersion 1)"),
        ({"formatVersion": 1, "packages": [{"group": "g"}]}, "has a malformed package ('arn')"),
        (
            {"formatVersion": 1, "packages": [{"arn": ARN, "version": "x"}]},
            "has a malformed package (invalid literal for int() with base 10: 'x')",
        ),
        (
            {"formatVersion": 1, "packages": [{"arn": ARN, "metadata": [1]}]},
            "has a malformed package ('list' object has no attribute 'items')",
        ),
    ],
)
def test_unusable_snapshots_say_why(tmp_path, document, why):
    path = snapshot(tmp_path, document)
    with pytest.raises(ApprovalUnavailable) as caught:
        SnapshotSource(path)
    assert str(caught.value) == f"the registry snapshot {path} {why}"


def test_missing_and_unreadable_snapshots(tmp_path):
    with pytest.raises(ApprovalUnavailable) as caught:
        SnapshotSource(str(tmp_path / "absent.json"))
    assert str(caught.value) == (
        f"the registry snapshot {tmp_path / 'absent.json'} does not "
        "exist; run `obsgov registry snapshot` to write it"
    )
    with pytest.raises(ApprovalUnavailable) as caught:
        SnapshotSource(str(tmp_path))  # a directory
    assert str(caught.value).startswith(f"the registry snapshot {tmp_path} cannot be read (")


@pytest.fixture
def stubbed(aws_credentials):
    client = boto3.client("sagemaker", region_name="eu-west-1")
    with Stubber(client) as stubber:
        yield client, stubber


def describe_response(status="Approved"):
    return {
        "ModelPackageArn": ARN,
        "ModelPackageName": "fraud-scoring",
        "ModelPackageGroupName": "fraud-scoring",
        "ModelPackageVersion": 12,
        "ModelApprovalStatus": status,
        "ModelPackageStatus": "Completed",
        "CreationTime": "2026-01-01T00:00:00Z",
        "ModelPackageStatusDetails": {"ValidationStatuses": []},
    }


def test_registry_lookups_are_asked_once_per_package(stubbed):
    client, stubber = stubbed
    stubber.add_response("describe_model_package", describe_response(), {"ModelPackageName": ARN})
    source = RegistrySource(client)
    assert source.describe() == "the SageMaker model registry"
    assert approval_of(source) == "Approved"
    assert approval_of(source) == "Approved"  # cached: one stubbed response
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("code", ["ValidationException", "ResourceNotFound"])
def test_unregistered_packages_are_none(stubbed, code):
    client, stubber = stubbed
    stubber.add_client_error("describe_model_package", service_error_code=code)
    source = RegistrySource(client)
    assert source.lookup(ARN) is None
    assert source.lookup(ARN) is None  # remembered


def test_registry_refusals_fail_closed(stubbed):
    client, stubber = stubbed
    stubber.add_client_error("describe_model_package", service_error_code="AccessDeniedException")
    with pytest.raises(ApprovalUnavailable) as caught:
        RegistrySource(client).lookup(ARN)
    assert str(caught.value) == (
        "the model registry refused DescribeModelPackage (AccessDeniedException)"
    )


def test_an_unreachable_registry_fails_closed():
    class Unreachable:
        def describe_model_package(self, **kwargs):
            raise EndpointConnectionError(endpoint_url="https://api.sagemaker")

    with pytest.raises(ApprovalUnavailable) as caught:
        RegistrySource(Unreachable()).lookup(ARN)
    assert str(caught.value) == (
        "the model registry cannot be reached (Could not connect to the "
        'endpoint URL: "https://api.sagemaker")'
    )


def test_auto_and_registry_use_the_registry_when_credentials_exist(aws_credentials, tmp_path):
    for mode in ("auto", "registry"):
        source = approval_source({"approvalSource": mode}, "eu-west-1")
        assert isinstance(source, RegistrySource), mode
        assert source.client.meta.region_name == "eu-west-1"
    assert isinstance(approval_source({}), RegistrySource)


def test_snapshot_mode_never_asks_the_registry(aws_credentials, tmp_path):
    path = snapshot(tmp_path, {"formatVersion": 1, "packages": [RECORD]})
    source = approval_source({"approvalSource": "snapshot", "registrySnapshotFile": path})
    assert isinstance(source, SnapshotSource)
    assert source.path == path


def test_without_credentials(no_aws_credentials, tmp_path):
    path = snapshot(tmp_path, {"formatVersion": 1, "packages": [RECORD]})
    assert isinstance(approval_source({"registrySnapshotFile": path}), SnapshotSource)
    with pytest.raises(ApprovalUnavailable) as caught:
        approval_source({"approvalSource": "registry", "registrySnapshotFile": path})
    assert str(caught.value) == "approvalSource is registry but no AWS credentials are available"
    for config in ({}, {"registrySnapshotFile": ""}, {"approvalSource": "snapshot"}):
        with pytest.raises(ApprovalUnavailable) as caught:
            approval_source(config)
        assert str(caught.value) == (
            "no AWS credentials to ask the model registry and no registrySnapshotFile configured"
        ), config


def test_a_rewrite_within_the_same_modification_time_is_read_again(tmp_path):
    import os

    path = snapshot(tmp_path, {"formatVersion": 1, "packages": [RECORD]})
    stat = os.stat(path)
    assert approval_of(SnapshotSource(path)) == "Approved"
    snapshot(tmp_path, {"formatVersion": 1, "packages": [{**RECORD, "approvalStatus": "No"}]})
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert approval_of(SnapshotSource(path)) == "No"


def test_a_snapshot_path_through_a_file_cannot_be_read(tmp_path):
    (tmp_path / "file").write_text("")
    path = tmp_path / "file" / "s.json"
    with pytest.raises(ApprovalUnavailable) as caught:
        SnapshotSource(str(path))
    assert str(caught.value) == (
        f"the registry snapshot {path} cannot be read ([Errno 20] Not a directory: '{path}')"
    )


def test_the_registry_client_uses_the_resource_region(aws_credentials, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert approval_source({}, "eu-west-2").client.meta.region_name == "eu-west-2"
    assert approval_source({}).client.meta.region_name == "us-east-1"
