"""RDS instances and clusters encrypt their storage."""

from ..catalog import FSBP, Control, policy
from ..props import as_bool, get

INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"


@policy(
    id="obsgov-rds-database-require-encryption",
    description="RDS DB instances and clusters must encrypt their storage at rest.",
    severity="medium",
    service="rds",
    resource_types=(INSTANCE, CLUSTER),
    controls=[Control(FSBP, "RDS.3"), Control(FSBP, "RDS.27")],
    remediation="Set storage_encrypted=True (with a customer managed kms_key_id); an existing "
    "database is encrypted by restoring an encrypted copy of a snapshot.",
)
def require_rds_encryption(args, report_violation):
    value = get(args.props, "storageEncrypted")
    if not as_bool(value):
        kind = "instance" if args.resource_type == INSTANCE else "cluster"
        report_violation(
            f"The DB {kind} does not encrypt its storage (storageEncrypted is not true)."
        )
