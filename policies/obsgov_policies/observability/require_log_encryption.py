"""Log groups are encrypted with a customer managed KMS key."""

from ..aws_types import LOG_GROUP
from ..catalog import policy
from ..props import is_set


@policy(
    id="obsgov-logs-loggroup-require-kms",
    description="CloudWatch log groups must be encrypted with a customer managed KMS key.",
    severity="medium",
    service="logs",
    resource_types=(LOG_GROUP,),
    remediation="Set kms_key_id to a KMS key whose policy lets logs.<region>.amazonaws.com use it.",
)
def require_log_encryption(args, report_violation):
    if not is_set(args.props, "kmsKeyId"):
        report_violation("The log group has no kmsKeyId.")
