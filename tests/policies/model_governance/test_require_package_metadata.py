from ..harness import check
from .conftest import ARN, package, write_snapshot

ID = "obsgov-sagemaker-model-require-package-metadata"
MODEL = {"primaryContainer": {"modelPackageName": ARN}}


def config(tmp_path, *packages):
    return {"approvalSource": "snapshot", "requiredModelMetadata": ["owner", "training-data-version"],
            "registrySnapshotFile": write_snapshot(tmp_path / "s.json", *packages)}


def test_package_with_metadata_passes(tmp_path):
    meta = {"owner": "ml@example.com", "training-data-version": "2026-10"}
    assert check(ID, MODEL, config=config(tmp_path, package(metadata=meta))) == []


def test_missing_metadata(tmp_path):
    assert check(ID, MODEL, config=config(tmp_path, package(metadata={"owner": "ml@example.com"}))) == [
        f"Model package {ARN} lacks metadata: training-data-version."]


def test_rule_is_optional():
    assert check(ID, MODEL, config={"requiredModelMetadata": []}) == []
