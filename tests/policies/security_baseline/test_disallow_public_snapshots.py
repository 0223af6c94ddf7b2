"""Security Hub RDS.1 (RDS snapshots private) and EC2.1 (EBS snapshots not publicly
restorable) (https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html,
.../ec2-controls.html)."""

from tests.support.policies import check

ID = "obsgov-ec2-snapshot-disallow-public"
RDS = "aws:rds/snapshot:Snapshot"
CLUSTER = "aws:rds/clusterSnapshot:ClusterSnapshot"
PERMISSION = "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission"
BLOCK = "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess"


def test_private_snapshots_pass():
    assert check(ID, {"sharedAccounts": ["111122223333"]}, resource_type=RDS) == []
    assert check(ID, {"dbClusterIdentifier": "c"}, resource_type=CLUSTER) == []
    assert check(ID, {"accountId": "111122223333"}, resource_type=PERMISSION) == []
    assert check(ID, {"state": "block-all-sharing"}, resource_type=BLOCK) == []


def test_public_snapshots():
    assert check(ID, {"sharedAccounts": ["all"]}, resource_type=RDS) == [
        "The snapshot is shared with all AWS accounts (sharedAccounts all)."
    ]
    assert check(ID, {"sharedAccounts": ["111122223333", "all"]}, resource_type=CLUSTER) == [
        "The snapshot is shared with all AWS accounts (sharedAccounts all)."
    ]
    assert check(ID, {"accountId": "all"}, resource_type=PERMISSION) == [
        "The permission lets every AWS account create volumes from the snapshot."
    ]
    assert check(ID, {"state": "unblocked"}, resource_type=BLOCK) == [
        "Block public access for EBS snapshots is set to unblocked."
    ]
