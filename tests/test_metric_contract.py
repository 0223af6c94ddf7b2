"""The EMF lines obsgov emits parse as CloudWatch Embedded Metric Format."""

import json
import math

import pytest

from obsgov import metric_contract as mc


def _check_emf(document: dict) -> None:
    # The EMF specification's structural rules: a root _aws object with a millisecond timestamp
    # and CloudWatchMetrics directives, each dimension set naming root members, each metric a
    # root member holding a number.
    aws = document["_aws"]
    assert isinstance(aws["Timestamp"], int)
    for directive in aws["CloudWatchMetrics"]:
        assert 1 <= len(directive["Namespace"]) <= 255
        for dimension_set in directive["Dimensions"]:
            assert len(dimension_set) <= 30
            for key in dimension_set:
                assert isinstance(document[key], str)
        for metric in directive["Metrics"]:
            assert isinstance(document[metric["Name"]], (int, float))


def test_pipeline_run_line_carries_the_contract_dimensions_and_units():
    line = mc.pipeline_run_line(
        "nightly-features",
        records_processed=1200,
        records_failed=3,
        processing_ms=8123.5,
        succeeded=True,
        timestamp_ms=1_700_000_000_000,
    )
    document = json.loads(line)
    _check_emf(document)
    directive = document["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "Obsgov/Pipelines"
    assert directive["Dimensions"] == [["Pipeline"]]
    assert document["Pipeline"] == "nightly-features"
    units = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
    assert units == {
        "RecordsProcessed": "Count",
        "RecordsFailed": "Count",
        "ProcessingTime": "Milliseconds",
        "RunSucceeded": "Count",
    }
    assert (document["RecordsProcessed"], document["RecordsFailed"], document["RunSucceeded"]) == (
        1200,
        3,
        1,
    )
    assert document["_aws"]["Timestamp"] == 1_700_000_000_000


def test_a_failed_run_publishes_zero_successes():
    document = json.loads(
        mc.pipeline_run_line(
            "p", records_processed=0, records_failed=9, processing_ms=1, succeeded=False
        )
    )
    assert document["RunSucceeded"] == 0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_refused(bad):
    with pytest.raises(ValueError, match="finite"):
        mc.emf_line(mc.DATA_QUALITY_NAMESPACE, {"Endpoint": "e"}, {mc.FEATURE_PSI: bad})


def test_metric_names_are_unique_within_each_namespace():
    families = [
        mc.PIPELINE_METRICS + mc.FRESHNESS_METRICS,
        mc.FEATURE_METRICS + mc.DATASET_METRICS,
        mc.CLASSIFICATION_METRICS
        + mc.MULTICLASS_METRICS
        + mc.REGRESSION_METRICS
        + mc.QUALITY_SIGNAL_METRICS,
    ]
    for family in families:
        names = [m.name for m in family]
        assert len(names) == len(set(names)), names


def test_every_signal_metric_has_a_cloudwatch_unit():
    """PutMetricData refuses units outside StandardUnit (CloudWatch API reference, MetricDatum:
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html)."""
    standard = {"Seconds", "Milliseconds", "Percent", "Count", "None"}
    signals = (
        mc.DATA_SIGNAL_METRICS
        + (mc.DATASET_DRIFT,)
        + mc.QUALITY_SIGNAL_METRICS
        + mc.MULTICLASS_METRICS
        + mc.FRESHNESS_METRICS
    )
    assert {m.name: m.unit for m in signals} == {
        "RowsEvaluated": "Count",
        "MalformedRecords": "Count",
        "NoData": "Count",
        "DatasetDrift": "Count",
        "LabelledPredictions": "Count",
        "LabelsMissing": "Count",
        "LabelsLate": "Count",
        "NotEnoughLabels": "Count",
        "WeightedPrecision": "None",
        "WeightedRecall": "None",
        "WeightedF1": "None",
        "DataAge": "Seconds",
        "DataStale": "Count",
        "OverdueExecutions": "Count",
    }
    assert {m.unit for m in signals} <= standard
