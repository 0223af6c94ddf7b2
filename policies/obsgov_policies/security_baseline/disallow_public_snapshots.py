"""RDS and EBS snapshots are never shared with everyone."""

from ..catalog import FSBP, Control, policy
from ..props import as_list, as_str, get

RDS_SNAPSHOT = "aws:rds/snapshot:Snapshot"
RDS_CLUSTER_SNAPSHOT = "aws:rds/clusterSnapshot:ClusterSnapshot"
VOLUME_PERMISSION = "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission"
BLOCK_PUBLIC_ACCESS = "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess"


@policy(
    id="obsgov-ec2-snapshot-disallow-public",
    description="RDS and EBS snapshots must not be shared publicly.",
    severity="critical",
    service="ec2",
    resource_types=(RDS_SNAPSHOT, RDS_CLUSTER_SNAPSHOT, VOLUME_PERMISSION, BLOCK_PUBLIC_ACCESS),
    controls=[Control(FSBP, "RDS.1"), Control(FSBP, "EC2.1")],
    remediation="Share snapshots with named accounts only, and set EBS snapshot block public "
    "access to block-all-sharing.",
)
def disallow_public_snapshots(args, report_violation):
    kind = args.resource_type
    if kind in (RDS_SNAPSHOT, RDS_CLUSTER_SNAPSHOT):
        if "all" in [as_str(a).lower() for a in as_list(get(args.props, "sharedAccounts"))]:
            report_violation("The snapshot is shared with all AWS accounts (sharedAccounts all).")
    elif kind == VOLUME_PERMISSION:
        if as_str(get(args.props, "accountId")).lower() == "all":
            report_violation(
                "The permission lets every AWS account create volumes from the snapshot."
            )
    elif as_str(get(args.props, "state")) == "unblocked":
        report_violation("Block public access for EBS snapshots is set to unblocked.")
