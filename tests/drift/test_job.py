"""The scheduled job end to end against moto: capture in S3, metrics, report and checkpoint out.

Keys, inference times, LastModified (moto stamps it from the clock, frozen with time-machine)
and the run's instant all derive from instants the tests choose. The capture layout is
SageMaker's: ``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl`` ("Capture data from
real-time endpoint", View Captured Data:
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html).
"""

from __future__ import annotations

import datetime as dt
import io
import json

import boto3
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import time_machine
from moto import mock_aws

from obsgov.drift.capture import capture_record
from obsgov.drift.data import Frame
from obsgov.drift.job import ConfigError, JobConfig, handler, read_s3_data, run
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
NOW = dt.datetime(2026, 11, 27, 6, 10, tzinfo=dt.timezone.utc)
UTC = dt.timezone.utc


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


def cloudwatch():
    return boto3.client("cloudwatch", region_name=REGION)


def hour_prefix(when: dt.datetime, variant: str = "AllTraffic") -> str:
    return f"datacapture/churn-prod/{variant}/{when:%Y/%m/%d/%H}/"


def put_capture(s3, key, rows, *, at, bad_lines=0, output=True):
    lines = [
        capture_record(
            f"{age:.2f},{plan}", f"{score:.3f}" if output else None, inference_id=f"r{i}"
        )
        for i, (age, plan, score) in enumerate(rows)
    ]
    lines += ["{not json"] * bad_lines
    with time_machine.travel(at, tick=False):
        s3.put_object(Bucket="capture", Key=key, Body="\n".join(lines).encode())


def healthy(n, seed=9):
    rng = np.random.default_rng(seed)
    ages, plans, scores = rng.normal(40, 5, n), rng.choice(["basic", "pro"], n), rng.random(n)
    return list(zip(ages, plans, scores, strict=True))


def run_at(config, s3, when):
    with time_machine.travel(when, tick=False):
        return run(config, s3, cloudwatch(), now=when)


def test_a_run_reads_the_window_and_publishes(aws):
    rng = np.random.default_rng(9)
    written = NOW - dt.timedelta(minutes=30)
    prefix = hour_prefix(written)
    shifted = [(a, "pro", s) for a, s in zip(rng.normal(55, 5, 300), rng.random(300), strict=True)]
    put_capture(aws, prefix + "a.jsonl", shifted, at=written, bad_lines=2)
    unseen = [(a, "team", s) for a, s in zip(rng.normal(55, 5, 100), rng.random(100), strict=True)]
    put_capture(aws, prefix + "b.jsonl", unseen, at=written)
    other = f"datacapture/other-endpoint/AllTraffic/{written:%Y/%m/%d/%H}/x.jsonl"
    put_capture(aws, other, [(1.0, "pro", 0.5)], at=written)
    with time_machine.travel(NOW, tick=False):
        result = handler({}, None)
    assert result["rows"] == 400
    assert result["malformed_records"] == 2
    assert result["judged"]
    assert result["dataset_drift"]
    assert result["put_metric_data_calls"] == 1
    key = result["report"].removeprefix("s3://reports/")
    report = json.loads(aws.get_object(Bucket="reports", Key=key)["Body"].read())
    assert report["dataset"]["drifted_features"] == ["age", "plan"]
    assert report["features"][1]["unseen_examples"] == {"team": 100}
    share = cloudwatch().list_metrics(
        Namespace="Obsgov/DataQuality", MetricName="DriftedFeatureShare"
    )["Metrics"]
    assert share[0]["Dimensions"] == [{"Name": "Endpoint", "Value": "churn-prod"}]
    checkpoint = json.loads(
        aws.get_object(Bucket="reports", Key="drift/churn-prod/checkpoint.json")["Body"].read()
    )
    assert checkpoint["through"] == NOW.isoformat()
    assert sorted(checkpoint["seen"]) == [prefix + "a.jsonl", prefix + "b.jsonl"]


def test_each_run_reads_only_new_objects_and_lists_only_recent_hours(aws):
    """Two days of capture already in the bucket: a run lists the hours since the last run
    (plus the lag), never the whole prefix, and reads only objects it has not read."""
    config = JobConfig.from_env(ENV)
    for hours_ago in range(48, 0, -1):
        written = NOW - dt.timedelta(hours=hours_ago)
        put_capture(aws, hour_prefix(written) + "x.jsonl", healthy(20, hours_ago), at=written)
    first = run_at(config, aws, NOW)
    # the first run reads the last 60 minutes: the objects of hours 05 and 06
    assert first["objects_read"] == 1
    assert first["rows"] == 20
    assert first["objects_listed"] == 1
    assert first["list_calls"] == 3  # variants, hour 05, 06

    later = NOW + dt.timedelta(minutes=40)
    put_capture(aws, hour_prefix(later) + "y.jsonl", healthy(30, 99), at=later)
    # delivered late into hour 05, after the first run had listed it
    late = hour_prefix(NOW - dt.timedelta(hours=1)) + "late.jsonl"
    put_capture(aws, late, healthy(5, 7), at=NOW + dt.timedelta(minutes=5))
    second = run_at(config, aws, NOW + dt.timedelta(hours=1))
    assert second["objects_read"] == 2
    assert second["rows"] == 35
    # hours 05 (lag), 06 and 07 listed: 3 objects seen, 2 of them new
    assert second["objects_listed"] == 3
    assert second["list_calls"] == 4

    third = run_at(config, aws, NOW + dt.timedelta(hours=2))
    assert third["objects_read"] == 0
    assert third["rows"] == 0
    assert not third["judged"]
    assert third["drifted_share"] is None


def test_an_empty_window_publishes_no_data_and_no_drift_share(aws):
    config = JobConfig.from_env(ENV)
    result = run_at(config, aws, NOW)
    assert result["rows"] == 0
    assert result["judged"] is False
    assert result["no_data_reason"] == "the window holds no readable rows"
    listed = cloudwatch().list_metrics(Namespace="Obsgov/DataQuality")["Metrics"]
    names = {m["MetricName"] for m in listed}
    assert names == {"NoData", "RowsEvaluated", "MalformedRecords"}


def test_json_lines_capture_is_read_not_dropped(aws):
    """An application/jsonlines request of two records answered by two scores on one CSV line:
    two rows a record (before: every record malformed, zero rows, DriftedFeatureShare=0)."""
    written = NOW - dt.timedelta(minutes=20)
    records = []
    for i, (age, plan, score) in enumerate(healthy(200)):
        request = "\n".join(json.dumps({"age": a, "plan": plan}) for a in (age, age + 1))
        records.append(
            json.dumps(
                {
                    "captureData": {
                        "endpointInput": {
                            "observedContentType": "application/jsonlines",
                            "mode": "INPUT",
                            "data": request,
                            "encoding": "JSON",
                        },
                        "endpointOutput": {
                            "observedContentType": "text/csv; charset=utf-8",
                            "mode": "OUTPUT",
                            "data": f"{score:.3f},{score / 2:.3f}",
                            "encoding": "CSV",
                        },
                    },
                    "eventMetadata": {"eventId": f"e{i}", "inferenceTime": written.isoformat()},
                    "eventVersion": "0",
                }
            )
        )
    with time_machine.travel(written, tick=False):
        aws.put_object(
            Bucket="capture", Key=hour_prefix(written) + "j.jsonl", Body="\n".join(records)
        )
    result = run_at(JobConfig.from_env(ENV), aws, NOW)
    assert result["rows"] == 400
    assert result["malformed_records"] == 0
    assert result["judged"]


def test_input_only_capture_judges_no_output_feature(aws):
    """CaptureMode Input (https://docs.aws.amazon.com/sagemaker/latest/APIReference/
    API_CaptureOption.html): no endpointOutput, so the output feature is neither judged nor
    reported drifted (before: 100% missing, reported drifted)."""
    written = NOW - dt.timedelta(minutes=20)
    put_capture(aws, hour_prefix(written) + "in.jsonl", healthy(500), at=written, output=False)
    result = run_at(JobConfig.from_env(ENV), aws, NOW)
    assert result["features_judged"] == ["age", "plan"]
    report = json.loads(
        aws.get_object(Bucket="reports", Key=result["report"].removeprefix("s3://reports/"))[
            "Body"
        ].read()
    )
    assert [f["name"] for f in report["features"]] == ["age", "plan"]
    assert "score" not in report["dataset"]["drifted_features"]
    assert not result["dataset_drift"]


def test_pipeline_output_files(aws):
    rng = np.random.default_rng(2)
    written = NOW - dt.timedelta(minutes=10)
    with time_machine.travel(written, tick=False):
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
        aws.put_object(Bucket="pipeline-out", Key="daily/broken.parquet", Body=b"PAR1 not really")
    config = JobConfig.from_env(
        {
            **ENV,
            "OBSGOV_WORKLOAD_KIND": "Pipeline",
            "OBSGOV_DATA_URI": "s3://pipeline-out/daily/",
            "OBSGOV_CAPTURE": "false",
        }
    )
    assert config.key_layout is None  # pipelines: LastModified, not a capture layout
    result = run_at(config, aws, NOW)
    # the manifest is not data, the broken Parquet file cannot be read: both counted
    assert result["rows"] == 1000
    assert result["malformed_records"] == 2
    assert not result["dataset_drift"]
    assert result["objects_read"] == 4
    again = run_at(config, aws, NOW + dt.timedelta(hours=1))
    assert again["objects_read"] == 0
    assert not again["judged"]


def test_a_missing_baseline_fails_the_run(aws):
    aws.delete_object(Bucket="baselines", Key="churn/baseline.json")
    with pytest.raises(aws.exceptions.NoSuchKey):
        handler({}, None)


def test_a_corrupt_checkpoint_fails_the_run_naming_it(aws):
    aws.put_object(Bucket="reports", Key="drift/churn-prod/checkpoint.json", Body=b"{")
    with pytest.raises(ValueError, match=r"^s3://reports/drift/churn-prod/checkpoint.json: "):
        run_at(JobConfig.from_env(ENV), aws, NOW)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"OBSGOV_DATA_URI": ""}, "the environment lacks OBSGOV_DATA_URI"),
        ({"OBSGOV_WORKLOAD_KIND": "Model"}, "OBSGOV_WORKLOAD_KIND: workload kind must be one of"),
        ({"OBSGOV_DATA_URI": "capture/x"}, "OBSGOV_DATA_URI: 'capture/x' is not an s3://"),
        ({"OBSGOV_CAPTURE": "yes"}, "OBSGOV_CAPTURE='yes' is not true or false"),
        ({"OBSGOV_WINDOW_MINUTES": "soon"}, "OBSGOV_WINDOW_MINUTES='soon' is not a whole number"),
        ({"OBSGOV_KEY_LAYOUT": "%Y/%j/"}, "OBSGOV_KEY_LAYOUT: key layout '%Y/%j/': only"),
        ({"OBSGOV_CHECKPOINT_URI": "s3://b"}, "OBSGOV_CHECKPOINT_URI: s3://b needs a bucket"),
    ],
)
def test_a_bad_environment_names_the_variable(change, message):
    with pytest.raises(ConfigError) as caught:
        JobConfig.from_env({**ENV, **change})
    assert str(caught.value).startswith(message)


def test_s3_data_is_read_from_a_prefix_or_one_object(aws):
    """What `drift run --data s3://...` reads: a prefix (every object under it) or one key."""
    from obsgov.drift.job import load_baseline

    baseline = load_baseline(aws, ENV["OBSGOV_BASELINE_URI"])
    put_capture(aws, "manual/a.jsonl", healthy(10), at=NOW)
    put_capture(aws, "manual/b.jsonl", healthy(5), at=NOW)
    everything, stats = read_s3_data(aws, "s3://capture/manual/", baseline, capture=True)
    assert everything.rows == 15
    assert stats.list_calls == 1
    one, _ = read_s3_data(aws, "s3://capture/manual/b.jsonl", baseline, capture=True)
    assert one.rows == 5
