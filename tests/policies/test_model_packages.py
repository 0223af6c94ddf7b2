"""The packages a model serves, and their records in the approval source."""

from typing import Any

from pulumi_policy.proxy import unknown_checking_proxy

from obsgov_policies.model_packages import (
    approval_required,
    containers,
    lookup_packages,
    provider_region,
    served_packages,
)
from tests.support.policies import provider

from .model_governance.conftest import ARN, package, write_snapshot


def served(props, registry_account=""):
    found: list[Any] = []
    arns = served_packages(unknown_checking_proxy(props), found.append, registry_account)
    return arns, found


def test_approval_is_required_unless_switched_off():
    assert approval_required({}) is True
    assert approval_required({"modelApprovalRequired": True}) is True
    assert approval_required({"modelApprovalRequired": False}) is False
    assert approval_required({"modelApprovalRequired": "false"}) is False


def test_containers_are_the_primary_one_then_the_list():
    props = unknown_checking_proxy(
        {"primaryContainer": {"image": "a"}, "containers": [{"image": "b"}, {"image": "c"}]}
    )
    assert [(where, c["image"]) for where, c in containers(props)] == [
        ("primaryContainer", "a"),
        ("containers[0]", "b"),
        ("containers[1]", "c"),
    ]
    assert list(containers(unknown_checking_proxy({"primaryContainer": {}}))) == []


def test_served_packages_in_the_registry_account():
    other = ARN.replace("100000000002", "300000000003")
    props = {"containers": [{"modelPackageName": ARN}, {"modelPackageName": other}]}
    assert served(props) == ([ARN, other], [])
    assert served(props, "100000000002") == (
        [ARN],
        [
            f"containers[1] serves {other}, which is not in the model registry's account 100000000002."
        ],
    )


class Args:
    def __init__(self, config, region="eu-west-1"):
        self.provider = provider(region=region) if region is not None else None
        self._config = config

    def get_config(self):
        return self._config


def test_lookup_reports_what_it_cannot_verify(tmp_path, no_aws_credentials):
    missing = ARN.replace("/12", "/99")
    config = {
        "approvalSource": "snapshot",
        "registrySnapshotFile": write_snapshot(tmp_path / "s.json", package()),
    }
    found: list[Any] = []
    records = lookup_packages(Args(config), [ARN, missing], "Approval", found.append)
    assert [(arn, r.approval_status) for arn, r in records] == [(ARN, "Approved")]
    assert found == [
        f"Approval of {missing} cannot be verified: it is not in the registry "
        f"snapshot {tmp_path / 's.json'}."
    ]


def test_lookup_without_any_source_reports_every_package(no_aws_credentials):
    found: list[Any] = []
    assert lookup_packages(Args({}, region=None), [ARN, ARN + "0"], "Metadata", found.append) == []
    why = "no AWS credentials to ask the model registry and no registrySnapshotFile configured"
    assert found == [
        f"Metadata of {ARN} cannot be verified: {why}.",
        f"Metadata of {ARN}0 cannot be verified: {why}.",
    ]


def test_lookups_go_to_the_region_of_the_resource_provider():
    assert provider_region(Args({}, region="us-east-2")) == "us-east-2"
    assert provider_region(Args({}, region="")) is None
    assert provider_region(Args({}, region=None)) is None


def test_lookups_ask_the_registry_in_the_provider_region(aws_credentials, monkeypatch):
    import boto3
    from moto import mock_aws

    from .model_governance.conftest import register

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        arn = register(boto3.client("sagemaker", region_name="eu-west-1"), "fraud-scoring")
        found: list[Any] = []
        records = lookup_packages(Args({}, region="eu-west-1"), [arn], "Approval", found.append)
        assert ([a for a, _ in records], found) == ([arn], [])
        records = lookup_packages(Args({}, region="us-east-1"), [arn], "Approval", found.append)
        assert records == []
        assert found == [
            f"Approval of {arn} cannot be verified: it is not in the SageMaker model registry."
        ]


def test_a_lookup_that_fails_for_one_package_goes_on_with_the_next(monkeypatch):
    from obsgov_policies import model_packages
    from obsgov_policies.approval_source import ApprovalUnavailable, PackageRecord

    class Flaky:
        def describe(self):
            return "a flaky source"

        def lookup(self, arn):
            if arn == "first":
                raise ApprovalUnavailable("the model registry refused DescribeModelPackage (X)")
            return PackageRecord(arn, "g", 1, "Approved")

    monkeypatch.setattr(model_packages, "approval_source", lambda config, region: Flaky())
    found: list[Any] = []
    records = lookup_packages(Args({}), ["first", "second"], "Approval", found.append)
    assert [arn for arn, _ in records] == ["second"]
    assert found == [
        "Approval of first cannot be verified: the model registry refused DescribeModelPackage (X)."
    ]
