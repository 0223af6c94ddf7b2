"""Anomaly-detection alarms have the structure CloudWatch accepts.

PutMetricAlarm: an anomaly alarm reads a band from an ``ANOMALY_DETECTION_BAND(m, width)``
metric query named by ``ThresholdMetricId``; it has no static ``Threshold``; and the three
band operators are valid only for such alarms.
"""

import re

from ..aws_types import METRIC_ALARM
from ..catalog import policy
from ..props import as_list, as_str, get, is_set

BAND_OPERATORS = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)
_BAND = re.compile(r"^\s*ANOMALY_DETECTION_BAND\s*\(\s*([A-Za-z0-9_]+)\s*(,\s*[0-9.]+\s*)?\)\s*$")


@policy(
    id="obsgov-cloudwatch-alarm-valid-anomaly-detection",
    description="Anomaly-detection alarms must compare a metric to an ANOMALY_DETECTION_BAND "
    "query named by thresholdMetricId, with a band operator and no static threshold.",
    severity="medium",
    service="cloudwatch",
    resource_types=(METRIC_ALARM,),
    remediation="Add a metric query with expression ANOMALY_DETECTION_BAND(m1, 2), set "
    "threshold_metric_id to its id, use a band operator and drop threshold.",
)
def require_valid_anomaly_detection(args, report_violation):
    props = args.props
    operator = as_str(get(props, "comparisonOperator"))
    queries = [q for q in as_list(get(props, "metricQueries")) if hasattr(q, "get")]
    bands = {}
    for query in queries:
        expression = get(query, "expression")
        if isinstance(expression, str) and "ANOMALY_DETECTION_BAND" in expression:
            bands[as_str(get(query, "id"))] = expression
    threshold_id = get(props, "thresholdMetricId")
    uses_band = bool(bands) or operator in BAND_OPERATORS or is_set(props, "thresholdMetricId")
    if not uses_band:
        return
    if operator not in BAND_OPERATORS:
        report_violation(
            f"comparisonOperator {operator or '(none)'} is not a band operator; "
            f"use one of {', '.join(BAND_OPERATORS)}."
        )
    if not bands:
        report_violation("No metric query computes ANOMALY_DETECTION_BAND(...).")
    if not isinstance(threshold_id, str) or not threshold_id:
        report_violation("thresholdMetricId is not set; it must name the band query.")
    elif bands and threshold_id not in bands:
        report_violation(
            f"thresholdMetricId {threshold_id!r} does not name the band query "
            f"({', '.join(sorted(bands))})."
        )
    if get(props, "threshold") is not None:
        report_violation("An anomaly-detection alarm must not set a static threshold.")
    ids = {as_str(get(q, "id")) for q in queries}
    for band_id, expression in sorted(bands.items()):
        match = _BAND.match(expression)
        if match is None:
            report_violation(f"Band query {band_id!r} has a malformed expression: {expression}.")
        elif match.group(1) not in ids:
            report_violation(
                f"Band query {band_id!r} reads {match.group(1)!r}, which is not a "
                "metric query of this alarm."
            )
