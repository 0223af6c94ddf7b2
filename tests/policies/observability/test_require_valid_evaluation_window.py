from tests.support.policies import check

ID = "obsgov-cloudwatch-alarm-valid-evaluation-window"
GOOD = {"period": 300, "evaluationPeriods": 3, "datapointsToAlarm": 2}


def test_valid_window_passes():
    assert check(ID, GOOD) == []
    assert check(ID, {"period": 10, "evaluationPeriods": 5}) == []


def test_period_must_be_accepted_by_cloudwatch():
    assert check(ID, {**GOOD, "period": 45}) == [
        "period is 45 s; it must be 10, 20, 30 or a multiple of 60."
    ]


def test_query_periods_are_checked():
    props = {"evaluationPeriods": 2, "metricQueries": [{"id": "m1", "metric": {"period": 90}}]}
    assert check(ID, props) == [
        "metricQueries[0].metric.period is 90 s; it must be 10, 20, 30 or a multiple of 60."
    ]


def test_window_under_an_hour_is_at_most_a_day():
    assert check(ID, {"period": 600, "evaluationPeriods": 200}) == [
        "period x evaluationPeriods is 120000 s; the limit is 86400 s."
    ]


def test_window_of_hourly_periods_is_at_most_a_week():
    assert check(ID, {"period": 3600, "evaluationPeriods": 168}) == []
    assert check(ID, {"period": 3600, "evaluationPeriods": 169}) == [
        "period x evaluationPeriods is 608400 s; the limit is 604800 s."
    ]


def test_datapoints_cannot_exceed_evaluations():
    assert check(ID, {**GOOD, "datapointsToAlarm": 4}) == [
        "datapointsToAlarm (4) exceeds evaluationPeriods (3)."
    ]


def test_evaluation_periods_at_least_one():
    assert check(ID, {"period": 60, "evaluationPeriods": 0}) == [
        "evaluationPeriods must be at least 1."
    ]


def test_high_resolution_periods_and_query_periods():
    assert check(ID, {"period": 20, "evaluationPeriods": 3}) == []
    assert check(ID, {"period": 30, "evaluationPeriods": 3}) == []
    assert check(ID, {"metricQueries": [{"id": "e", "period": 45}], "evaluationPeriods": 1}) == [
        "metricQueries[0].period is 45 s; it must be 10, 20, 30 or a multiple of 60."
    ]


def test_evaluations_without_any_period_and_datapoints_equal_to_them():
    assert check(ID, {"evaluationPeriods": 5}) == []
    assert check(ID, {"period": 60, "evaluationPeriods": 5, "datapointsToAlarm": 5}) == []
    assert check(ID, {"period": 60, "evaluationPeriods": 5, "datapointsToAlarm": 6}) == [
        "datapointsToAlarm (6) exceeds evaluationPeriods (5)."
    ]
