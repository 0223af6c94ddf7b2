"""The scheduled job end to end against moto: capture in S3, metrics and report out."""

from __future__ import annotations

import datetime as dt
import io
import json

import boto3
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from obsgov.drift.capture import capture_record
from obsgov.drift.data import Frame
from obsgov.drift.job import JobConfig, handler, run
from obsgov.drift.profile import build_baseline
from obsgov.drift.schema import FeatureSpec, SchemaFile

REGION = "us-east-1"
ENV = {
    "OBSGOV_WORKLOAD_KIND": "Endpoint",
    "OBSGOV_WORKLOAD_NAME": "churn-prod",
    "OBSGOV_DATA_URI": "s3://capture/datacapture/churn-prod/",
    "OBSGOV_BASELINE_URI": "s3://baselines/churn/baseline.json",
    "OBSGOV_REPORT_URI": "s3://reports/drift/churn-prod/",
    "OBSGOV_WINDOW_MINUTES": "60",
    "OBSGOV_CAPTURE": "true",
}


@pytest.fixture
def aws(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        **ENV,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in ("capture", "baselines", "reports", "pipeline-out"):
            s3.create_bucket(Bucket=bucket)
        rng = np.random.default_rng(4)
        train = pa.table(
            {
                "age": rng.normal(40, 5, 2000),
                "plan": pa.array(rng.choice(["basic", "pro"], 2000)),
                "score": rng.random(2000),
            }
        )
        schema = SchemaFile(
            features={
                "age": FeatureSpec(type="numeric"),
                "plan": FeatureSpec(type="categorical"),
                "score": FeatureSpec(type="numeric", source="output"),
            }
        )
        baseline = build_baseline(Frame.from_table(train, "train.parquet"), schema)
        s3.put_object(Bucket="baselines", Key="churn/baseline.json", Body=baseline.to_json())
        yield s3


def put_capture(s3, key, rows, bad_lines=0):
    lines = [
        capture_record(f"{age:.2f},{plan}", f"{score:.3f}", inference_id=f"r{i}")
        for i, (age, plan, score) in enumerate(rows)
    ]
    lines += ["{not json"] * bad_lines
    s3.put_object(Bucket="capture", Key=key, Body="\n".join(lines).encode())


def test_a_run_reads_the_window_and_publishes(aws):
    rng = np.random.default_rng(9)
    prefix = "datacapture/churn-prod/AllTraffic/2026/11/27/06/"
    put_capture(
        aws,
        prefix + "a.jsonl",
        [(a, "pro", s) for a, s in zip(rng.normal(55, 5, 300), rng.random(300), strict=True)],
        2,
    )
    put_capture(
        aws,
        prefix + "b.jsonl",
        [(a, "team", s) for a, s in zip(rng.normal(55, 5, 100), rng.random(100), strict=True)],
    )
    put_capture(aws, "datacapture/other-endpoint/x.jsonl", [(1.0, "pro", 0.5)])
    result = handler({}, None)
    assert result["rows"] == 400 and result["malformed_records"] == 2
    assert result["dataset_drift"] and result["put_metric_data_calls"] == 1
    key = result["report"].removeprefix("s3://reports/")
    report = json.loads(aws.get_object(Bucket="reports", Key=key)["Body"].read())
    assert report["dataset"]["drifted_features"] == ["age", "plan"]
    assert report["features"][1]["unseen_examples"] == {"team": 100}
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    share = cloudwatch.list_metrics(
        Namespace="Obsgov/DataQuality", MetricName="DriftedFeatureShare"
    )["Metrics"]
    assert share[0]["Dimensions"] == [{"Name": "Endpoint", "Value": "churn-prod"}]


def test_objects_outside_the_window_are_left_out(aws):
    put_capture(aws, "datacapture/churn-prod/old.jsonl", [(40.0, "pro", 0.5)] * 10)
    # the window is read by LastModified: two hours after the object was written, a one-hour
    # window no longer holds it (measured from the object, not from today's date)
    written = aws.head_object(Bucket="capture", Key="datacapture/churn-prod/old.jsonl")
    later = written["LastModified"] + dt.timedelta(hours=2)
    result = run(
        JobConfig.from_env(ENV), aws, boto3.client("cloudwatch", region_name=REGION), now=later
    )
    assert result["rows"] == 0 and not result["dataset_drift"]
    assert result["report"] == f"s3://reports/drift/churn-prod/{later:%Y/%m/%d/%H%M%S}.json"


def test_pipeline_output_files(aws):
    rng = np.random.default_rng(2)
    for part in range(2):
        buffer = io.BytesIO()
        pq.write_table(
            pa.table(
                {
                    "age": rng.normal(40, 5, 500),
                    "plan": pa.array(rng.choice(["basic", "pro"], 500)),
                    "score": rng.random(500),
                }
            ),
            buffer,
        )
        aws.put_object(
            Bucket="pipeline-out", Key=f"daily/part-{part}.parquet", Body=buffer.getvalue()
        )
    aws.put_object(Bucket="pipeline-out", Key="daily/_SUCCESS", Body=b"")
    aws.put_object(Bucket="pipeline-out", Key="daily/manifest.txt", Body=b"part-0\npart-1\n")
    config = JobConfig.from_env(
        {
            **ENV,
            "OBSGOV_WORKLOAD_KIND": "Pipeline",
            "OBSGOV_DATA_URI": "s3://pipeline-out/daily/",
            "OBSGOV_CAPTURE": "false",
        }
    )
    result = run(config, aws, boto3.client("cloudwatch", region_name=REGION))
    assert result["rows"] == 1000 and result["malformed_records"] == 1
    assert not result["dataset_drift"]


def test_a_missing_baseline_fails_the_run(aws):
    aws.delete_object(Bucket="baselines", Key="churn/baseline.json")
    with pytest.raises(aws.exceptions.NoSuchKey):
        handler({}, None)
