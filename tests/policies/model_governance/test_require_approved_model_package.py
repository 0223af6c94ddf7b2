import pytest
from pulumi_policy.proxy import UnknownValueError

from tests.support.policies import UNKNOWN, check, provider

from .conftest import ARN, package, register, write_snapshot

ID = "obsgov-sagemaker-model-require-approved-package"


def model(package_name=ARN):
    return {"primaryContainer": {"modelPackageName": package_name}, "enableNetworkIsolation": True}


def snapshot_config(tmp_path, *packages):
    return {
        "approvalSource": "snapshot",
        "registrySnapshotFile": write_snapshot(tmp_path / "s.json", *packages),
    }


def test_approved_package_in_snapshot_passes(tmp_path):
    assert check(ID, model(), config=snapshot_config(tmp_path, package())) == []


def test_bare_image_is_rejected(tmp_path):
    props = {"primaryContainer": {"image": "123.dkr.ecr.eu-west-1.amazonaws.com/fraud:latest"}}
    assert check(ID, props, config=snapshot_config(tmp_path, package())) == [
        "primaryContainer serves a bare image (123.dkr.ecr.eu-west-1.amazonaws.com/fraud:latest); "
        "models must serve a versioned package from the model registry."
    ]


def test_unversioned_package_is_rejected(tmp_path):
    group_arn = "arn:aws:sagemaker:eu-west-1:100000000002:model-package-group/fraud-scoring"
    assert check(ID, model(group_arn), config=snapshot_config(tmp_path, package())) == [
        f"primaryContainer serves {group_arn!r}, which is not a versioned model package ARN "
        "(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)."
    ]


def test_pending_package_is_rejected(tmp_path):
    config = snapshot_config(tmp_path, package(status="PendingManualApproval"))
    assert check(ID, model(), config=config) == [
        f"Model package {ARN} is PendingManualApproval, not Approved."
    ]


def test_package_missing_from_snapshot_fails_closed(tmp_path):
    config = snapshot_config(tmp_path)
    assert check(ID, model(), config=config) == [
        f"Approval of {ARN} cannot be verified: it is not in the registry snapshot {tmp_path / 's.json'}."
    ]


def test_missing_snapshot_file_fails_closed(tmp_path):
    config = {"approvalSource": "snapshot", "registrySnapshotFile": str(tmp_path / "absent.json")}
    assert check(ID, model(), config=config) == [
        f"Approval of {ARN} cannot be verified: the registry snapshot {tmp_path / 'absent.json'} "
        "does not exist; run `obsgov registry snapshot` to write it."
    ]


def test_no_credentials_and_no_snapshot_fails_closed(no_aws_credentials):
    assert check(ID, model()) == [
        f"Approval of {ARN} cannot be verified: no AWS credentials to ask the model registry and "
        "no registrySnapshotFile configured."
    ]


def test_environments_without_approval_rules_are_not_judged():
    assert (
        check(ID, {"primaryContainer": {"image": "x"}}, config={"modelApprovalRequired": False})
        == []
    )


def test_unknown_package_name_cannot_be_judged_in_preview(tmp_path):
    with pytest.raises(UnknownValueError):
        check(ID, model(UNKNOWN), config=snapshot_config(tmp_path, package()))


def test_live_registry_is_asked_when_credentials_exist(sagemaker):
    approved = register(sagemaker, "fraud-scoring", "Approved")
    rejected = register(sagemaker, "fraud-scoring", "Rejected")
    prov = provider(region="eu-west-1")
    assert check(ID, model(approved), provider_resource=prov) == []
    assert check(ID, model(rejected), provider_resource=prov) == [
        f"Model package {rejected} is Rejected, not Approved."
    ]
    missing = approved.rsplit("/", 1)[0] + "/99"
    assert check(ID, model(missing), provider_resource=prov) == [
        f"Approval of {missing} cannot be verified: it is not in the SageMaker model registry."
    ]


def test_package_from_another_account_is_rejected(tmp_path):
    foreign = ARN.replace("100000000002", "999999999999")
    config = {
        **snapshot_config(tmp_path, package(), package(foreign)),
        "registryAccountId": "100000000002",
    }
    assert check(ID, model(foreign), config=config) == [
        f"primaryContainer serves {foreign}, which is not in the model registry's account "
        "100000000002."
    ]
    assert check(ID, model(), config=config) == []


def test_every_container_is_judged(tmp_path):
    pending = ARN.replace("/12", "/13")
    props = {
        "containers": [{"modelPackageName": ARN}, {"image": "img"}, {"modelPackageName": pending}]
    }
    config = snapshot_config(tmp_path, package(), package(pending, status=""))
    assert check(ID, props, config=config) == [
        "containers[1] serves a bare image (img); models must serve a versioned package from the "
        "model registry.",
        f"Model package {pending} is without status, not Approved.",
    ]


def test_a_model_without_containers_is_rejected(tmp_path):
    assert check(ID, {"primaryContainer": {}}, config=snapshot_config(tmp_path)) == [
        "The model has no container."
    ]
    assert check(
        ID, {"primaryContainer": {"modelPackageName": ""}}, config=snapshot_config(tmp_path)
    ) == [
        "primaryContainer serves a bare image; models must serve a versioned package from the "
        "model registry."
    ]
