"""Alarm periods and evaluation windows are ones CloudWatch accepts."""

from ..aws_types import METRIC_ALARM
from ..catalog import policy
from ..props import as_list, as_number, get, number_text

ONE_DAY, ONE_WEEK = 86_400, 604_800


def _valid_period(period: float) -> bool:
    return period in (10, 20, 30) or (period >= 60 and period % 60 == 0)


@policy(
    id="obsgov-cloudwatch-alarm-valid-evaluation-window",
    description="Alarm periods must be 10, 20, 30 or a multiple of 60 seconds and the "
    "evaluation window must fit CloudWatch's limits.",
    severity="low",
    service="cloudwatch",
    resource_types=(METRIC_ALARM,),
    remediation="Use a period of 10, 20, 30 or a multiple of 60 seconds; keep period x "
    "evaluation_periods within one day (one week for periods of an hour or more).",
)
def require_valid_evaluation_window(args, report_violation):
    props = args.props
    periods = []
    top = as_number(get(props, "period"))
    if top is not None:
        periods.append(("period", top))
    for i, query in enumerate(as_list(get(props, "metricQueries"))):
        for path in (("metric", "period"), ("period",)):
            value = as_number(get(query, *path))
            if value is not None:
                periods.append((f"metricQueries[{i}].{'.'.join(path)}", value))
    for where, period in periods:
        if not _valid_period(period):
            report_violation(
                f"{where} is {number_text(period)} s; it must be 10, 20, 30 or a multiple of 60."
            )
    evaluations = as_number(get(props, "evaluationPeriods"))
    if evaluations is None:
        return
    if evaluations < 1:
        report_violation("evaluationPeriods must be at least 1.")
    longest = max((p for _, p in periods), default=None)
    if longest is not None:
        limit = ONE_WEEK if longest >= 3600 else ONE_DAY
        if longest * evaluations > limit:
            report_violation(
                f"period x evaluationPeriods is {number_text(longest * evaluations)} s; the "
                f"limit is {limit} s."
            )
    datapoints = as_number(get(props, "datapointsToAlarm"))
    if datapoints is not None and datapoints > evaluations:
        report_violation(
            f"datapointsToAlarm ({number_text(datapoints)}) exceeds evaluationPeriods ({number_text(evaluations)})."
        )
