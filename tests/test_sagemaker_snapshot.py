"""The registry snapshot's AWS calls, checked on what botocore Stubber'd clients receive:
every page is followed, the deployment role is assumed and its credentials used, and the
caller's account and the packages' ARNs are checked against the registry account."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from obsgov.errors import InputError
from obsgov.sagemaker_snapshot import (
    ROLE_SESSION_NAME,
    SnapshotRefused,
    check_endpoint_variables,
    check_package_accounts,
    check_replacement,
    snapshot_registry,
    take_snapshot,
)

REGION = "eu-west-1"
ACCOUNT = "100000000002"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ObsgovDeploymentRole"


def client(service: str, **credentials: str):
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id=credentials.get("aws_access_key_id", "base"),
        aws_secret_access_key=credentials.get("aws_secret_access_key", "base"),
        aws_session_token=credentials.get("aws_session_token", "base"),
    )


def arn(group: str, version: int, account: str = ACCOUNT) -> str:
    return f"arn:aws:sagemaker:{REGION}:{account}:model-package/{group}/{version}"


def describe(group: str, version: int, account: str = ACCOUNT) -> dict[str, Any]:
    return {
        "ModelPackageName": group,
        "ModelPackageArn": arn(group, version, account),
        "ModelPackageGroupName": group,
        "ModelPackageVersion": version,
        "ModelApprovalStatus": "Approved",
        "ModelPackageStatus": "Completed",
        "CreationTime": "2026-01-01T00:00:00Z",
        "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
        "CustomerMetadataProperties": {"owner": "ml@example.com"},
    }


def group_summary(name: str) -> dict[str, Any]:
    return {
        "ModelPackageGroupName": name,
        "ModelPackageGroupArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/{name}",
        "CreationTime": "2026-01-01T00:00:00Z",
        "ModelPackageGroupStatus": "Completed",
    }


def package_summary(group: str, version: int, account: str = ACCOUNT) -> dict[str, Any]:
    return {
        "ModelPackageGroupName": group,
        "ModelPackageVersion": version,
        "ModelPackageArn": arn(group, version, account),
        "CreationTime": "2026-01-01T00:00:00Z",
        "ModelPackageStatus": "Completed",
        "ModelApprovalStatus": "Approved",
    }


def stub_registry(
    stubber: Stubber,
    groups: dict[str, list[list[int]]],
    group_pages: list[list[str]],
    account: str = ACCOUNT,
) -> None:
    """Expect the listing in order: group pages, then per group its package pages and then
    one describe per package. Each page but the last carries a NextToken the next call must
    send back."""
    for i, page in enumerate(group_pages):
        response: dict[str, Any] = {
            "ModelPackageGroupSummaryList": [group_summary(g) for g in page]
        }
        params: dict[str, Any] = {}
        if i:
            params["NextToken"] = f"groups-{i}"
        if i < len(group_pages) - 1:
            response["NextToken"] = f"groups-{i + 1}"
        stubber.add_response("list_model_package_groups", response, params)
    for group in sorted(groups):
        pages = groups[group]
        for i, versions in enumerate(pages):
            response = {
                "ModelPackageSummaryList": [package_summary(group, v, account) for v in versions]
            }
            params = {"ModelPackageGroupName": group, "ModelPackageType": "Versioned"}
            if i:
                params["NextToken"] = f"{group}-{i}"
            if i < len(pages) - 1:
                response["NextToken"] = f"{group}-{i + 1}"
            stubber.add_response("list_model_packages", response, params)
        for version in [v for page in pages for v in page]:
            stubber.add_response(
                "describe_model_package",
                describe(group, version, account),
                {"ModelPackageName": arn(group, version, account)},
            )


def test_every_page_of_groups_and_packages_is_recorded():
    sagemaker = client("sagemaker")
    with Stubber(sagemaker) as stubber:
        stub_registry(
            stubber,
            {"churn": [[1, 2], [3]], "fraud": [[7], [8], [9]]},
            group_pages=[["fraud"], ["churn"]],
        )
        snapshot = take_snapshot(sagemaker, ACCOUNT, REGION)
        stubber.assert_no_pending_responses()
    assert [(p["group"], p["version"]) for p in snapshot["packages"]] == [
        ("churn", 1),
        ("churn", 2),
        ("churn", 3),
        ("fraud", 7),
        ("fraud", 8),
        ("fraud", 9),
    ]
    assert snapshot["registryAccountId"] == ACCOUNT
    assert snapshot["region"] == REGION


class Sessions:
    """A boto3.Session stand-in: records how each session was made and hands out the
    Stubber'd clients queued for it."""

    def __init__(self, *clients_per_session: dict[str, Any]) -> None:
        self.queue = list(clients_per_session)
        self.made: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> Sessions._Session:
        self.made.append(kwargs)
        return Sessions._Session(self.queue.pop(0))

    class _Session:
        def __init__(self, clients: dict[str, Any]) -> None:
            self.clients = clients

        def client(self, service: str) -> Any:
            return self.clients[service]


CREDENTIALS = {
    "AccessKeyId": "ASIAROLEKEY00000000X",
    "SecretAccessKey": "role-secret",
    "SessionToken": "role-token",
    "Expiration": "2026-11-27T09:00:00Z",
}


def test_the_deployment_role_is_assumed_and_its_credentials_used(tmp_path):
    base_sts = client("sts")
    role_sts = client("sts")
    role_sagemaker = client("sagemaker")
    sessions = Sessions({"sts": base_sts}, {"sts": role_sts, "sagemaker": role_sagemaker})
    with Stubber(base_sts) as base, Stubber(role_sts) as role, Stubber(role_sagemaker) as registry:
        base.add_response(
            "assume_role",
            {
                "Credentials": CREDENTIALS,
                "AssumedRoleUser": {
                    "AssumedRoleId": "AROA00000000000000000:x",
                    "Arn": f"{ROLE}/{ROLE_SESSION_NAME}",
                },
            },
            {"RoleArn": ROLE, "RoleSessionName": ROLE_SESSION_NAME},
        )
        role.add_response(
            "get_caller_identity", {"Account": ACCOUNT, "Arn": ROLE, "UserId": "AROA:x"}, {}
        )
        stub_registry(registry, {"fraud": [[1]]}, group_pages=[["fraud"]])
        snapshot_registry(REGION, ACCOUNT, ROLE, tmp_path / "s.json", session_factory=sessions)
        for stubber in (base, role, registry):
            stubber.assert_no_pending_responses()
    assert sessions.made == [
        {"region_name": REGION},
        {
            "region_name": REGION,
            "aws_access_key_id": "ASIAROLEKEY00000000X",
            "aws_secret_access_key": "role-secret",
            "aws_session_token": "role-token",
        },
    ]
    written = json.loads((tmp_path / "s.json").read_text())
    assert [p["arn"] for p in written["packages"]] == [arn("fraud", 1)]


def test_without_a_role_the_current_credentials_are_used(tmp_path):
    sts = client("sts")
    sagemaker = client("sagemaker")
    sessions = Sessions({"sts": sts, "sagemaker": sagemaker})
    with Stubber(sts) as identity, Stubber(sagemaker) as registry:
        identity.add_response("get_caller_identity", {"Account": ACCOUNT}, {})
        stub_registry(registry, {}, group_pages=[[]])
        snapshot_registry(REGION, ACCOUNT, None, tmp_path / "s.json", session_factory=sessions)
    assert sessions.made == [{"region_name": REGION}]


def test_credentials_of_another_account_are_refused_before_listing(tmp_path):
    sts = client("sts")
    sagemaker = client("sagemaker")
    with Stubber(sts) as identity, Stubber(sagemaker):
        identity.add_response("get_caller_identity", {"Account": "999999999999"}, {})
        with pytest.raises(SnapshotRefused) as caught:
            snapshot_registry(
                REGION,
                ACCOUNT,
                None,
                tmp_path / "s.json",
                session_factory=Sessions({"sts": sts, "sagemaker": sagemaker}),
            )
    assert str(caught.value) == (
        "the credentials reach account 999999999999, not the registry account 100000000002 "
        "that modelApproval.registryAccountId names; nothing was written"
    )
    assert not (tmp_path / "s.json").exists()


def test_packages_of_another_account_are_refused():
    snapshot = {
        "registryAccountId": ACCOUNT,
        "packages": [{"arn": arn("fraud", 1)}, {"arn": arn("fraud", 2, "999999999999")}],
    }
    with pytest.raises(SnapshotRefused) as caught:
        check_package_accounts(snapshot)
    assert str(caught.value) == (
        "1 package(s) are not in the registry account 100000000002 (first: "
        f"{arn('fraud', 2, '999999999999')}); nothing was written"
    )


def _snapshot_file(path, *arns):
    path.write_text(json.dumps({"formatVersion": 1, "packages": [{"arn": a} for a in arns]}))


def test_fewer_packages_than_the_committed_snapshot_is_refused(tmp_path):
    target = tmp_path / "s.json"
    _snapshot_file(target, arn("fraud", 1), arn("fraud", 2))
    with pytest.raises(SnapshotRefused) as caught:
        check_replacement({"packages": [{"arn": arn("fraud", 2)}]}, target, force=False)
    assert str(caught.value).endswith(
        f"holds 2 (missing: {arn('fraud', 1)}); give --force to replace it anyway"
    )
    check_replacement({"packages": []}, target, force=True)


def test_as_many_packages_replace_the_snapshot(tmp_path):
    target = tmp_path / "s.json"
    _snapshot_file(target, arn("fraud", 1))
    check_replacement({"packages": [{"arn": arn("fraud", 2)}]}, target, force=False)


def test_an_unreadable_committed_snapshot_needs_force(tmp_path):
    target = tmp_path / "s.json"
    target.write_text('{"packages": [], "packages": []}')
    with pytest.raises(SnapshotRefused) as caught:
        check_replacement({"packages": []}, target, force=False)
    assert "duplicate key 'packages'" in str(caught.value)
    assert str(caught.value).endswith("give --force to replace it")


@pytest.mark.parametrize("value", ["not a url", "ftp://host", "http://", "http://h:port"])
def test_malformed_endpoint_url_is_bad_input(value):
    with pytest.raises(InputError) as caught:
        check_endpoint_variables({"AWS_ENDPOINT_URL": value})
    assert str(caught.value.problems[0]) == (
        f"environment variable AWS_ENDPOINT_URL: {value!r} is not an endpoint URL (expected "
        "http(s)://host[:port])"
    )


def test_a_valid_endpoint_url_passes():
    check_endpoint_variables({"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"})
