"""Metrics published to CloudWatch (moto) and read back; the JSON report put to S3."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import numpy as np
import pyarrow as pa
import pytest
from moto import mock_aws

from obsgov import metric_contract as mc
from obsgov.drift.data import Frame
from obsgov.drift.engine import evaluate
from obsgov.drift.profile import build_baseline
from obsgov.drift.publish import (
    MAX_METRICS_PER_CALL,
    Workload,
    batches,
    metric_data,
    put_metrics,
    put_report,
)

REGION = "eu-west-1"
WHEN = dt.datetime(2026, 11, 27, 6, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def aws(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


@pytest.fixture
def cloudwatch(aws):
    return boto3.client("cloudwatch", region_name=REGION)


@pytest.fixture
def s3(aws):
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(
        Bucket="drift-reports", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return client


def report_for(features: int = 2):
    rng = np.random.default_rng(0)
    train = {f"f{i}": rng.normal(0, 1, 500) for i in range(features)}
    train["cat"] = pa.array(["a", "b"] * 250)
    window = {f"f{i}": rng.normal(1, 1, 400) for i in range(features)}
    window["cat"] = pa.array(["a", "c"] * 200)
    baseline = build_baseline(Frame.from_table(pa.table(train), "train"))
    return evaluate(baseline, Frame.from_table(pa.table(window), "window"))


def test_metric_names_units_and_dimensions_follow_the_contract():
    report = report_for(1)
    data = metric_data(report, Workload("Endpoint", "churn"), WHEN)
    per_feature = [d for d in data if len(d["Dimensions"]) == 2]
    dataset = [d for d in data if len(d["Dimensions"]) == 1]
    assert {d["MetricName"] for d in per_feature} == {m.name for m in mc.FEATURE_METRICS}
    assert {d["MetricName"] for d in dataset} == {m.name for m in mc.DATASET_METRICS}
    units = {m.name: m.unit for m in (*mc.FEATURE_METRICS, *mc.DATASET_METRICS)}
    assert all(d["Unit"] == units[d["MetricName"]] for d in data)
    assert all(d["Dimensions"][0] == {"Name": "Endpoint", "Value": "churn"} for d in data)
    f0_psi = next(
        d
        for d in per_feature
        if d["MetricName"] == "PSI" and d["Dimensions"][1] == {"Name": "Feature", "Value": "f0"}
    )
    assert f0_psi["Value"] == report.features[0].psi
    share = next(d for d in dataset if d["MetricName"] == "DriftedFeatureShare")
    assert share["Value"] == report.dataset.drifted_share * 100


def test_statistics_that_could_not_be_computed_are_not_sent():
    rng = np.random.default_rng(1)
    baseline = build_baseline(Frame.from_table(pa.table({"x": rng.normal(size=50)}), "t"))
    empty = evaluate(baseline, Frame.from_table(pa.table({"x": pa.array([], pa.float64())}), "w"))
    data = metric_data(empty, Workload("Pipeline", "etl"), WHEN)
    assert all(len(d["Dimensions"]) == 1 for d in data)
    assert {d["MetricName"]: d["Value"] for d in data}["RowsEvaluated"] == 0.0


def test_batches_respect_the_per_call_metric_limit():
    datum = {
        "MetricName": "PSI",
        "Dimensions": [{"Name": "Endpoint", "Value": "e"}],
        "Timestamp": WHEN,
        "Value": 1.0,
        "Unit": "None",
    }
    sizes = [len(b) for b in batches([datum] * 2500)]
    assert sizes == [MAX_METRICS_PER_CALL, MAX_METRICS_PER_CALL, 500]


def test_published_metrics_read_back(cloudwatch):
    report = report_for(250)  # 251 features x up to 5 metrics: more than one call
    data = metric_data(report, Workload("Endpoint", "churn"), WHEN)
    assert len(data) > MAX_METRICS_PER_CALL
    assert put_metrics(cloudwatch, data) == 2
    listed = cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=mc.DATA_QUALITY_NAMESPACE, MetricName="PSI"
    )
    features = {
        dim["Value"]
        for page in listed
        for m in page["Metrics"]
        for dim in m["Dimensions"]
        if dim["Name"] == "Feature"
    }
    assert features == {f.name for f in report.features if f.psi is not None}
    stats = cloudwatch.get_metric_statistics(
        Namespace=mc.DATA_QUALITY_NAMESPACE,
        MetricName="PSI",
        Dimensions=[{"Name": "Endpoint", "Value": "churn"}, {"Name": "Feature", "Value": "f7"}],
        StartTime=WHEN - dt.timedelta(minutes=5),
        EndTime=WHEN + dt.timedelta(minutes=5),
        Period=60,
        Statistics=["Maximum"],
    )
    f7 = next(f for f in report.features if f.name == "f7")
    assert [p["Maximum"] for p in stats["Datapoints"]] == [pytest.approx(f7.psi)]
    rows = cloudwatch.get_metric_statistics(
        Namespace=mc.DATA_QUALITY_NAMESPACE,
        MetricName="RowsEvaluated",
        Dimensions=[{"Name": "Endpoint", "Value": "churn"}],
        StartTime=WHEN - dt.timedelta(minutes=5),
        EndTime=WHEN + dt.timedelta(minutes=5),
        Period=60,
        Statistics=["Sum"],
    )
    assert [p["Sum"] for p in rows["Datapoints"]] == [400.0]


def test_json_report_lands_in_s3(s3):
    report = report_for(1)
    put_report(s3, "s3://drift-reports/churn/2026-11-27T06.json", report)
    body = s3.get_object(Bucket="drift-reports", Key="churn/2026-11-27T06.json")
    document = json.loads(body["Body"].read())
    assert body["ContentType"] == "application/json"
    assert document["format"] == "obsgov-drift-report"
    assert document["dataset"]["drifted_features"] == report.dataset.drifted_features
    assert document["features"][0]["psi"] == report.features[0].psi


def test_s3_uri_must_name_bucket_and_key():
    from obsgov.drift.publish import parse_s3_uri

    assert parse_s3_uri("s3://b/k/x.json") == ("b", "k/x.json")
    with pytest.raises(ValueError, match=r"^s3://b needs a bucket and a key: s3://bucket/key$"):
        parse_s3_uri("s3://b")


# --------------------------------------------------------------------------- no data is not health


def _baseline(seed: int = 1):
    rng = np.random.default_rng(seed)
    return build_baseline(
        Frame.from_table(
            pa.table({"x": rng.normal(size=200), "c": pa.array(["a", "b"] * 100)}), "t"
        )
    )


def _by_name(data):
    return {d["MetricName"]: d["Value"] for d in data if len(d["Dimensions"]) == 1}


def test_an_empty_window_publishes_no_data_and_no_drift_figure():
    from obsgov.drift.data import Malformed

    empty = evaluate(_baseline(), Frame({}, 0, "w"))
    published = _by_name(metric_data(empty, Workload("Endpoint", "churn"), WHEN))
    # today an empty window sent DriftedFeatureShare=0 and the drift alarm went OK on nothing
    assert published == {"NoData": 1.0, "RowsEvaluated": 0.0, "MalformedRecords": 0.0}
    unreadable = evaluate(_baseline(), Frame({}, 0, "w", Malformed(3, ["l1: not JSON"])))
    assert _by_name(metric_data(unreadable, Workload("Endpoint", "churn"), WHEN)) == {
        "NoData": 1.0,
        "RowsEvaluated": 0.0,
        "MalformedRecords": 3.0,
    }


def test_rows_without_any_usable_feature_are_not_judged():
    # rows arrived, but under none of the baseline's columns: the quality counts go out, the
    # drift verdict does not
    stray = evaluate(_baseline(), Frame.from_table(pa.table({"other": [1.0, 2.0]}), "w"))
    published = _by_name(metric_data(stray, Workload("Pipeline", "etl"), WHEN))
    assert published["NoData"] == 1.0
    assert published["RowsEvaluated"] == 2.0
    assert "DriftedFeatureShare" not in published
    assert "DatasetDrift" not in published
    assert "SchemaViolations" in published


def test_a_judged_window_publishes_the_engines_verdict():
    report = report_for(2)
    published = _by_name(metric_data(report, Workload("Endpoint", "churn"), WHEN))
    assert published["NoData"] == 0.0
    assert published["DatasetDrift"] == (1.0 if report.dataset.dataset_drift else 0.0)
    assert published["DriftedFeatureShare"] == report.dataset.drifted_share * 100


def test_the_drift_alarm_sees_missing_data_after_an_empty_window(cloudwatch):
    """An alarm on DriftedFeatureShare (treat missing data as breaching) gets a datapoint for the
    judged hour and none for the empty one; NoData carries the empty hour."""
    judged = report_for(1)
    empty = evaluate(_baseline(), Frame({}, 0, "w"))
    later = WHEN + dt.timedelta(hours=1)
    put_metrics(cloudwatch, metric_data(judged, Workload("Endpoint", "churn"), WHEN))
    put_metrics(cloudwatch, metric_data(empty, Workload("Endpoint", "churn"), later))

    def hourly(name):
        stats = cloudwatch.get_metric_statistics(
            Namespace=mc.DATA_QUALITY_NAMESPACE,
            MetricName=name,
            Dimensions=[{"Name": "Endpoint", "Value": "churn"}],
            StartTime=WHEN - dt.timedelta(minutes=5),
            EndTime=later + dt.timedelta(minutes=5),
            Period=3600,
            Statistics=["Maximum"],
        )
        return sorted((p["Timestamp"], p["Maximum"]) for p in stats["Datapoints"])

    assert [v for _, v in hourly("DriftedFeatureShare")] == [
        pytest.approx(judged.dataset.drifted_share * 100)
    ]
    assert [v for _, v in hourly("NoData")] == [0.0, 1.0]


def test_the_report_of_an_empty_window_says_it_was_not_judged(s3):
    put_report(s3, "s3://drift-reports/churn/empty.json", evaluate(_baseline(), Frame({}, 0, "w")))
    document = json.loads(
        s3.get_object(Bucket="drift-reports", Key="churn/empty.json")["Body"].read()
    )
    assert document["judged"] is False
    assert document["noDataReason"] == "the window holds no readable rows"
    put_report(s3, "s3://drift-reports/churn/full.json", report_for(1))
    full = json.loads(s3.get_object(Bucket="drift-reports", Key="churn/full.json")["Body"].read())
    assert full["judged"] is True
    assert "noDataReason" not in full
