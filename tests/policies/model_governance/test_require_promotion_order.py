from ..harness import check
from .conftest import ARN, package, write_snapshot

ID = "obsgov-sagemaker-model-require-promotion-order"
MODEL = {"primaryContainer": {"modelPackageName": ARN}}


def config(tmp_path, environment, *packages):
    return {"approvalSource": "snapshot", "promotionOrder": ["staging", "prod"], "environment": environment,
            "registrySnapshotFile": write_snapshot(tmp_path / "s.json", *packages)}


def test_package_promoted_through_staging_passes(tmp_path):
    assert check(ID, MODEL, config=config(tmp_path, "prod", package(deployed=["staging"]))) == []


def test_package_that_skipped_staging(tmp_path):
    assert check(ID, MODEL, config=config(tmp_path, "prod", package(deployed=["dev"]))) == [
        f"Model package {ARN} has not been deployed to staging before prod."]


def test_first_environment_of_the_order_is_free(tmp_path):
    assert check(ID, MODEL, config=config(tmp_path, "staging", package())) == []
