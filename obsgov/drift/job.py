"""The scheduled drift job (the Lambda function :mod:`components.lifecycle.drift_monitor` deploys).

Each run reads the baseline and every object under the data prefix written during the last
window, evaluates it, publishes the metrics and writes the JSON report under the report prefix
(one object per run, named by the run's time). Any failure raises: the function's error alarm
and dead-letter queue are how a broken run is noticed.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from obsgov.clock import utc_now

from .capture import read_capture_lines
from .data import Frame, Malformed, detect_format, read_frame
from .engine import evaluate
from .profile import parse_baseline
from .publish import Workload, metric_data, parse_s3_uri, put_metrics, put_report


@dataclass(frozen=True)
class JobConfig:
    workload: Workload
    data_uri: str  # s3://bucket/prefix/
    baseline_uri: str
    report_uri: str  # s3://bucket/prefix/
    window: dt.timedelta
    capture: bool
    kms_key_arn: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> JobConfig:
        return cls(
            workload=Workload(env["OBSGOV_WORKLOAD_KIND"], env["OBSGOV_WORKLOAD_NAME"]),
            data_uri=env["OBSGOV_DATA_URI"],
            baseline_uri=env["OBSGOV_BASELINE_URI"],
            report_uri=env["OBSGOV_REPORT_URI"],
            window=dt.timedelta(minutes=int(env.get("OBSGOV_WINDOW_MINUTES", "60"))),
            capture=env.get("OBSGOV_CAPTURE", "true") == "true",
            kms_key_arn=env.get("OBSGOV_KMS_KEY_ARN") or None,
        )


def _split_prefix(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"{uri} is not an s3:// URI")
    bucket, _, prefix = uri[5:].partition("/")
    return bucket, prefix


def window_keys(
    s3: Any, bucket: str, prefix: str, since: dt.datetime, until: dt.datetime
) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            # zero-byte objects are folder markers and _SUCCESS flags, not data
            if since <= item["LastModified"] <= until and item.get("Size", 0) > 0:
                keys.append(item["Key"])
    return sorted(keys)


def _lines(s3: Any, bucket: str, key: str) -> Iterator[str]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    for raw in body.iter_lines():
        yield raw.decode("utf-8", errors="replace")


def read_window(
    s3: Any,
    config: JobConfig,
    inputs: list[str],
    outputs: list[str],
    text_columns: list[str],
    now: dt.datetime,
) -> Frame:
    bucket, prefix = _split_prefix(config.data_uri)
    keys = window_keys(s3, bucket, prefix, now - config.window, now)
    label = f"{config.data_uri} ({len(keys)} objects, last {config.window})"
    if config.capture:
        return read_capture_lines(
            ((f"s3://{bucket}/{k}", _lines(s3, bucket, k)) for k in keys), inputs, outputs, label
        )
    tables, malformed = [], Malformed()
    with tempfile.TemporaryDirectory() as tmp:
        for key in keys:
            if not detect_format(Path(key)):
                malformed.add(f"s3://{bucket}/{key}", "not .parquet, .csv or .jsonl")
                continue
            local = Path(tmp) / Path(key).name
            s3.download_file(bucket, key, str(local))
            frame = read_frame(local, text_columns=text_columns)
            malformed.merge(frame.malformed)
            tables.append(pa.table(frame.columns))
    if not tables:
        return Frame({}, 0, label, malformed)
    table = pa.concat_tables(tables, promote_options="permissive")
    return Frame.from_table(table, label, malformed)


def run(
    config: JobConfig, s3: Any, cloudwatch: Any, now: dt.datetime | None = None
) -> dict[str, Any]:
    now = now or utc_now()
    bucket, key = parse_s3_uri(config.baseline_uri)
    text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    baseline = parse_baseline(text, config.baseline_uri)
    text_columns = [n for n, f in baseline.features.items() if f.type == "categorical"]
    frame = read_window(
        s3, config, baseline.input_features(), baseline.output_features(), text_columns, now
    )
    report = evaluate(baseline, frame)
    data = metric_data(report, config.workload, now)
    calls = put_metrics(cloudwatch, data)
    target = f"{config.report_uri}{now:%Y/%m/%d/%H%M%S}.json"
    put_report(s3, target, report, config.kms_key_arn)
    return {
        "rows": report.dataset.rows,
        "drifted_share": report.dataset.drifted_share,
        "dataset_drift": report.dataset.dataset_drift,
        "metrics": len(data),
        "put_metric_data_calls": calls,
        "report": target,
        "malformed_records": report.dataset.malformed_records,
    }


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point; the configuration comes from the environment the component sets."""
    import boto3

    return run(JobConfig.from_env(os.environ), boto3.client("s3"), boto3.client("cloudwatch"))
