from tests.support.policies import check

from .conftest import ARN, package, write_snapshot

ID = "obsgov-sagemaker-model-require-promotion-order"
MODEL = {"primaryContainer": {"modelPackageName": ARN}}


def config(tmp_path, environment, *packages):
    return {
        "approvalSource": "snapshot",
        "promotionOrder": ["staging", "prod"],
        "environment": environment,
        "registrySnapshotFile": write_snapshot(tmp_path / "s.json", *packages),
    }


def test_package_promoted_through_staging_passes(tmp_path):
    assert check(ID, MODEL, config=config(tmp_path, "prod", package(deployed=["staging"]))) == []


def test_package_that_skipped_staging(tmp_path):
    assert check(ID, MODEL, config=config(tmp_path, "prod", package(deployed=["dev"]))) == [
        f"Model package {ARN} has not been deployed to staging before prod."
    ]


def test_first_environment_of_the_order_is_free(tmp_path):
    assert check(ID, MODEL, config=config(tmp_path, "staging", package())) == []


def three_stage(tmp_path, environment, *packages):
    return {
        **config(tmp_path, environment, *packages),
        "promotionOrder": ["dev", "staging", "prod"],
    }


def test_every_earlier_environment_is_checked_not_only_the_one_before(tmp_path):
    cfg = three_stage(tmp_path, "prod", package(deployed=["staging"]))
    assert check(ID, MODEL, config=cfg) == [
        f"Model package {ARN} has not been deployed to dev before prod."
    ]


def test_all_skipped_environments_are_named_in_order(tmp_path):
    cfg = three_stage(tmp_path, "prod", package(deployed=[]))
    assert check(ID, MODEL, config=cfg) == [
        f"Model package {ARN} has not been deployed to dev, staging before prod."
    ]


def test_middle_environment_needs_only_the_ones_before_it(tmp_path):
    assert (
        check(ID, MODEL, config=three_stage(tmp_path, "staging", package(deployed=["dev"]))) == []
    )
    assert check(ID, MODEL, config=three_stage(tmp_path, "staging", package(deployed=[]))) == [
        f"Model package {ARN} has not been deployed to dev before staging."
    ]


def test_environment_outside_the_order_is_not_judged(tmp_path):
    assert check(ID, MODEL, config=config(tmp_path, "sandbox", package(deployed=[]))) == []


def test_no_promotion_rules_when_approval_is_not_required(tmp_path):
    cfg = {**config(tmp_path, "prod", package(deployed=[])), "modelApprovalRequired": False}
    assert check(ID, MODEL, config=cfg) == []


def test_each_served_package_is_checked(tmp_path):
    other = ARN.replace("/12", "/13")
    props = {"containers": [{"modelPackageName": ARN}, {"modelPackageName": other}]}
    cfg = config(tmp_path, "prod", package(deployed=["staging"]), package(other, deployed=[]))
    assert check(ID, props, config=cfg) == [
        f"Model package {other} has not been deployed to staging before prod."
    ]


def test_unverifiable_promotion_fails_closed(tmp_path):
    cfg = {**config(tmp_path, "prod"), "registrySnapshotFile": str(tmp_path / "absent.json")}
    assert check(ID, MODEL, config=cfg) == [
        f"Promotion of {ARN} cannot be verified: the registry snapshot "
        f"{tmp_path / 'absent.json'} does not exist; run `obsgov registry snapshot` to write it."
    ]


def test_bare_images_are_left_to_the_approval_policy(tmp_path):
    props = {"primaryContainer": {"image": "123.dkr.ecr.eu-west-1.amazonaws.com/fraud:1"}}
    assert check(ID, props, config=config(tmp_path, "prod", package(deployed=[]))) == []


def test_packages_from_another_account_are_left_to_the_approval_policy(tmp_path):
    foreign = ARN.replace("100000000002", "999999999999")
    cfg = {
        **config(tmp_path, "prod", package(foreign, deployed=[])),
        "registryAccountId": "100000000002",
    }
    assert check(ID, {"primaryContainer": {"modelPackageName": foreign}}, config=cfg) == []
    cfg["registryAccountId"] = "999999999999"
    assert check(ID, {"primaryContainer": {"modelPackageName": foreign}}, config=cfg) == [
        f"Model package {foreign} has not been deployed to staging before prod."
    ]
