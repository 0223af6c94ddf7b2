"""Alarms notify someone: an action for the ALARM state, and actions switched on."""

from ..aws_types import COMPOSITE_ALARM, METRIC_ALARM
from ..catalog import FSBP, Control, policy
from ..props import as_bool, get, is_set


@policy(
    id="obsgov-cloudwatch-alarm-require-actions",
    description="CloudWatch alarms must have an action for the ALARM state and actions enabled.",
    severity="high",
    service="cloudwatch",
    resource_types=(METRIC_ALARM, COMPOSITE_ALARM),
    controls=[Control(FSBP, "CloudWatch.15"), Control(FSBP, "CloudWatch.17")],
    remediation="Set alarm_actions to the account's alarm SNS topic and leave actions_enabled "
    "at true.",
)
def require_alarm_actions(args, report_violation):
    if not is_set(args.props, "alarmActions"):
        report_violation("The alarm has no action for the ALARM state (alarmActions is empty).")
    enabled = get(args.props, "actionsEnabled")  # unset: enabled
    if enabled is False or (isinstance(enabled, str) and not as_bool(enabled)):
        report_violation("The alarm's actions are disabled (actionsEnabled is false).")
