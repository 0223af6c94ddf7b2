"""RDS databases are not reachable from the internet."""

from ..catalog import FSBP, Control, policy
from ..props import as_bool, get

INSTANCE = "aws:rds/instance:Instance"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"


@policy(
    id="obsgov-rds-instance-disallow-public-access",
    description="RDS DB instances must not be publicly accessible.",
    severity="critical",
    service="rds",
    resource_types=(INSTANCE, CLUSTER_INSTANCE),
    controls=[Control(FSBP, "RDS.2")],
    remediation="Set publicly_accessible=False and reach the database from inside the VPC.",
)
def disallow_public_rds(args, report_violation):
    if as_bool(get(args.props, "publiclyAccessible")):
        report_violation("The DB instance is publicly accessible (publiclyAccessible is true).")
