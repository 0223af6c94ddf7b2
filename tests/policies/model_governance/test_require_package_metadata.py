from tests.support.policies import check

from .conftest import ARN, package, write_snapshot

ID = "obsgov-sagemaker-model-require-package-metadata"
MODEL = {"primaryContainer": {"modelPackageName": ARN}}


def config(tmp_path, *packages):
    return {
        "approvalSource": "snapshot",
        "requiredModelMetadata": ["owner", "training-data-version"],
        "registrySnapshotFile": write_snapshot(tmp_path / "s.json", *packages),
    }


def test_package_with_metadata_passes(tmp_path):
    meta = {"owner": "ml@example.com", "training-data-version": "2026-10"}
    assert check(ID, MODEL, config=config(tmp_path, package(metadata=meta))) == []


def test_missing_metadata(tmp_path):
    assert check(
        ID, MODEL, config=config(tmp_path, package(metadata={"owner": "ml@example.com"}))
    ) == [f"Model package {ARN} lacks metadata: training-data-version."]


def test_rule_is_optional():
    assert check(ID, MODEL, config={"requiredModelMetadata": []}) == []


def test_blank_metadata_is_missing_and_all_missing_keys_are_named(tmp_path):
    meta = {"owner": "  "}
    assert check(ID, MODEL, config=config(tmp_path, package(metadata=meta))) == [
        f"Model package {ARN} lacks metadata: owner, training-data-version."
    ]


def test_no_metadata_rules_when_approval_is_not_required(tmp_path):
    cfg = {**config(tmp_path, package()), "modelApprovalRequired": False}
    assert check(ID, MODEL, config=cfg) == []


def test_unverifiable_metadata_fails_closed(tmp_path):
    cfg = config(tmp_path)  # the package is not in the snapshot
    assert check(ID, MODEL, config=cfg) == [
        f"Metadata of {ARN} cannot be verified: it is not in the registry snapshot "
        f"{tmp_path / 's.json'}."
    ]


def test_packages_from_another_account_are_left_to_the_approval_policy(tmp_path):
    foreign = ARN.replace("100000000002", "999999999999")
    cfg = {**config(tmp_path, package(foreign)), "registryAccountId": "100000000002"}
    props = {"primaryContainer": {"modelPackageName": foreign}, "containers": [{"image": "x"}]}
    assert check(ID, props, config=cfg) == []
