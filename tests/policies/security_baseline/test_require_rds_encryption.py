"""Security Hub RDS.3 (instances) and RDS.27 (clusters) encryption at rest
(https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html)."""

from tests.support.policies import check

ID = "obsgov-rds-database-require-encryption"
INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"


def test_encrypted_databases_pass():
    assert check(ID, {"storageEncrypted": True}, resource_type=INSTANCE) == []
    assert check(ID, {"storageEncrypted": True}, resource_type=CLUSTER) == []


def test_unencrypted_databases():
    assert check(ID, {"engine": "postgres"}, resource_type=INSTANCE) == [
        "The DB instance does not encrypt its storage (storageEncrypted is not true)."
    ]
    assert check(ID, {"storageEncrypted": False}, resource_type=CLUSTER) == [
        "The DB cluster does not encrypt its storage (storageEncrypted is not true)."
    ]
