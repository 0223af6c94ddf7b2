"""CloudTrail trails record every region, can be verified, are encrypted and reach CloudWatch."""

from ..catalog import FSBP, Control, policy
from ..props import as_bool, get, is_set


@policy(
    id="obsgov-cloudtrail-trail-require-baseline",
    description="CloudTrail trails must be multi-region, validate log files, encrypt with KMS "
    "and deliver to CloudWatch Logs.",
    severity="high",
    service="cloudtrail",
    resource_types=("aws:cloudtrail/trail:Trail",),
    controls=[
        Control(FSBP, "CloudTrail.1"),
        Control(FSBP, "CloudTrail.2"),
        Control(FSBP, "CloudTrail.4"),
        Control(FSBP, "CloudTrail.5"),
    ],
    remediation="Set is_multi_region_trail, enable_log_file_validation, kms_key_id, "
    "cloud_watch_logs_group_arn and cloud_watch_logs_role_arn.",
)
def require_cloudtrail_baseline(args, report_violation):
    props = args.props
    if not as_bool(get(props, "isMultiRegionTrail")):
        report_violation("The trail is not multi-region (isMultiRegionTrail).")
    if not as_bool(get(props, "enableLogFileValidation")):
        report_violation("Log file validation is off (enableLogFileValidation).")
    if not is_set(props, "kmsKeyId"):
        report_violation("The trail's logs are not encrypted with KMS (kmsKeyId).")
    if not is_set(props, "cloudWatchLogsGroupArn"):
        report_violation("The trail does not deliver to CloudWatch Logs (cloudWatchLogsGroupArn).")
