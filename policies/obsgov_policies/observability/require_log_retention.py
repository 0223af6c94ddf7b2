"""Log groups keep their logs at least as long as the environment requires."""

from ..aws_types import LOG_GROUP
from ..catalog import FSBP, Control, policy
from ..props import as_number, get, number_text


@policy(
    id="obsgov-logs-loggroup-require-retention",
    description="CloudWatch log groups must retain logs for at least the configured number "
    "of days.",
    severity="medium",
    service="logs",
    resource_types=(LOG_GROUP,),
    controls=[Control(FSBP, "CloudWatch.16")],
    remediation="Set retention_in_days to at least the environment's minimum.",
    config={
        "minLogRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "default": 365,
            "description": "Shortest retention allowed, in days.",
        }
    },
)
def require_log_retention(args, report_violation):
    minimum = as_number(args.get_config().get("minLogRetentionDays")) or 365
    days = as_number(get(args.props, "retentionInDays"))
    if days is None or days == 0:
        return  # no retention policy: CloudWatch keeps the logs forever
    if days < minimum:
        report_violation(
            f"Retention is {number_text(days)} days; at least {number_text(minimum)} are required."
        )
