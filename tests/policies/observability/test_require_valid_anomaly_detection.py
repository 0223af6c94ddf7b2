import copy
from typing import Any

from tests.support.policies import check

ID = "obsgov-cloudwatch-alarm-valid-anomaly-detection"
GOOD: dict[str, Any] = {
    "comparisonOperator": "LessThanLowerThreshold",
    "thresholdMetricId": "ad1",
    "metricQueries": [
        {
            "id": "m1",
            "returnData": True,
            "metric": {
                "namespace": "AWS/SageMaker",
                "metricName": "Invocations",
                "period": 60,
                "stat": "Sum",
            },
        },
        {"id": "ad1", "expression": "ANOMALY_DETECTION_BAND(m1, 2)", "returnData": True},
    ],
}


def mutate(**changes):
    props = copy.deepcopy(GOOD)
    props.update(changes)
    return props


def test_valid_anomaly_alarm_passes():
    assert check(ID, GOOD) == []


def test_static_alarm_is_not_judged():
    assert check(ID, {"comparisonOperator": "GreaterThanThreshold", "threshold": 5}) == []


def test_band_alarm_needs_a_band_operator():
    assert check(ID, mutate(comparisonOperator="GreaterThanThreshold")) == [
        "comparisonOperator GreaterThanThreshold is not a band operator; use one of "
        "LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, GreaterThanUpperThreshold."
    ]


def test_band_operator_without_band_query():
    props = mutate(metricQueries=GOOD["metricQueries"][:1], thresholdMetricId=None)
    assert check(ID, props) == [
        "No metric query computes ANOMALY_DETECTION_BAND(...).",
        "thresholdMetricId is not set; it must name the band query.",
    ]


def test_threshold_metric_id_must_name_the_band():
    assert check(ID, mutate(thresholdMetricId="m1")) == [
        "thresholdMetricId 'm1' does not name the band query (ad1)."
    ]


def test_no_static_threshold_with_a_band():
    assert check(ID, mutate(threshold=10)) == [
        "An anomaly-detection alarm must not set a static threshold."
    ]


def test_band_must_read_an_existing_query():
    props = copy.deepcopy(GOOD)
    props["metricQueries"][1]["expression"] = "ANOMALY_DETECTION_BAND(m9, 2)"
    assert check(ID, props) == [
        "Band query 'ad1' reads 'm9', which is not a metric query of this alarm."
    ]


def test_malformed_band_expression():
    props = copy.deepcopy(GOOD)
    props["metricQueries"][1]["expression"] = "ANOMALY_DETECTION_BAND(m1, two)"
    assert check(ID, props) == [
        "Band query 'ad1' has a malformed expression: ANOMALY_DETECTION_BAND(m1, two)."
    ]


def test_a_threshold_metric_id_alone_makes_an_anomaly_alarm():
    static = {
        "comparisonOperator": "GreaterThanThreshold",
        "threshold": 5,
        "thresholdMetricId": "ad1",
    }
    assert check(ID, static) == [
        "comparisonOperator GreaterThanThreshold is not a band operator; use one of "
        "LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, "
        "GreaterThanUpperThreshold.",
        "No metric query computes ANOMALY_DETECTION_BAND(...).",
        "An anomaly-detection alarm must not set a static threshold.",
    ]


def test_a_band_without_operator_or_id():
    props = mutate(comparisonOperator=None, thresholdMetricId=None)
    assert check(ID, props) == [
        "comparisonOperator (none) is not a band operator; use one of "
        "LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, "
        "GreaterThanUpperThreshold.",
        "thresholdMetricId is not set; it must name the band query.",
    ]


def test_every_band_query_is_listed_when_the_id_names_none():
    props = mutate(thresholdMetricId="m1")
    props["metricQueries"].append({"id": "ad0", "expression": "ANOMALY_DETECTION_BAND(m1)"})
    assert check(ID, props) == ["thresholdMetricId 'm1' does not name the band query (ad0, ad1)."]


def test_an_empty_or_non_string_threshold_metric_id_is_not_set():
    for value in ("", 5):
        assert check(ID, mutate(thresholdMetricId=value)) == [
            "thresholdMetricId is not set; it must name the band query."
        ], value
