"""The scheduled job: read the last window from S3, join, score and publish."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from obsgov import metric_contract as contract
from obsgov.clock import utc_now

from .join import Joined, join
from .metrics import classification, regression


@dataclass
class QualityResult:
    endpoint: str
    model_version: str
    problem: str
    metrics: dict[str, float]
    joined: Joined

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "modelVersion": self.model_version,
            "problem": self.problem,
            "metrics": self.metrics,
            "pairs": len(self.joined.pairs),
            "labelsMissing": self.joined.missing,
            "labelsLate": self.joined.late,
            "unmatchedLabels": self.joined.unmatched_labels,
            "malformed": self.joined.malformed[:50],
            "malformedCount": len(self.joined.malformed),
        }


def split_s3_uri(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"{uri!r} is not an s3://bucket/prefix URI")
    return parsed.netloc, parsed.path.lstrip("/")


def _objects(s3: Any, uri: str) -> Iterator[dict[str, Any]]:
    bucket, prefix = split_s3_uri(uri)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield {"Bucket": bucket, **item}


def _lines(s3: Any, item: dict[str, Any]) -> list[str]:
    body = s3.get_object(Bucket=item["Bucket"], Key=item["Key"])["Body"].read()
    return body.decode("utf-8", errors="replace").splitlines()


def run(
    s3: Any,
    *,
    capture_uri: str,
    labels_uri: str,
    endpoint: str,
    model_version: str,
    problem: str,
    window_end: datetime,
    window: timedelta = timedelta(hours=24),
    label_deadline: timedelta = timedelta(hours=24),
    threshold: float = 0.5,
) -> QualityResult:
    if problem not in ("binary", "regression"):
        raise ValueError(f"problem must be binary or regression, not {problem!r}")
    start = window_end - window
    captures = (
        (f"s3://{o['Bucket']}/{o['Key']}", _lines(s3, o)) for o in _objects(s3, capture_uri)
    )
    labels = (
        (f"s3://{o['Bucket']}/{o['Key']}", o.get("LastModified"), _lines(s3, o))
        for o in _objects(s3, labels_uri)
    )
    joined = join(
        captures, labels, window_start=start, window_end=window_end, label_deadline=label_deadline
    )
    metrics = (
        classification(joined.pairs, threshold) if problem == "binary" else regression(joined.pairs)
    )
    return QualityResult(endpoint, model_version, problem, metrics, joined)


def metric_data(result: QualityResult, timestamp: datetime) -> list[dict[str, Any]]:
    known = {m.name: m for m in (*contract.CLASSIFICATION_METRICS, *contract.REGRESSION_METRICS)}
    dims = [
        {"Name": "Endpoint", "Value": result.endpoint},
        {"Name": "ModelVersion", "Value": result.model_version},
    ]
    data = [
        {
            "MetricName": known[name].name,
            "Dimensions": dims,
            "Value": value,
            "Unit": known[name].unit,
            "Timestamp": timestamp,
        }
        for name, value in sorted(result.metrics.items())
    ]
    for metric, value in (
        (contract.LABELS_MISSING, result.joined.missing),
        (contract.LABELS_LATE, result.joined.late),
    ):
        data.append(
            {
                "MetricName": metric.name,
                "Dimensions": dims,
                "Value": float(value),
                "Unit": metric.unit,
                "Timestamp": timestamp,
            }
        )
    return data


def publish(cloudwatch: Any, result: QualityResult, timestamp: datetime | None = None) -> int:
    data = metric_data(result, timestamp or utc_now())
    for i in range(0, len(data), 1000):  # PutMetricData takes up to 1,000 datums a call
        cloudwatch.put_metric_data(
            Namespace=contract.MODEL_QUALITY_NAMESPACE, MetricData=data[i : i + 1000]
        )
    return len(data)


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point; the schedule's input names the endpoint and its sources."""
    import boto3

    now = utc_now().replace(minute=0, second=0, microsecond=0)
    result = run(
        boto3.client("s3"),
        capture_uri=event["captureUri"],
        labels_uri=event["labelsUri"],
        endpoint=event["endpoint"],
        model_version=event["modelVersion"],
        problem=event.get("problem", "binary"),
        window_end=now,
        window=timedelta(hours=int(event.get("windowHours", 24))),
        label_deadline=timedelta(hours=int(event.get("labelDeadlineHours", 24))),
    )
    publish(boto3.client("cloudwatch"), result, now)
    print(json.dumps({"obsgov": "model-quality", **result.to_json()}, sort_keys=True, default=str))
    return result.to_json()
