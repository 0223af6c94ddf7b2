"""Publishing a drift report: CloudWatch metrics under the shared metric contract, and the JSON
report to S3.

PutMetricData accepts at most 1,000 metrics and 1 MB per request (CloudWatch API reference,
PutMetricData), and rejects NaN and infinities; statistics that could not be computed are left
out rather than sent as zero.

A window that cannot be judged (no readable rows, or no feature with usable values) is never
reported healthy: it publishes ``NoData=1`` with the rows and malformed records it did count,
and no drift figure at all, so an alarm on ``DriftedFeatureShare`` or ``DatasetDrift`` sees
missing data rather than a reassuring zero.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from obsgov import metric_contract as mc
from obsgov.clock import utc_now

from .engine import DriftReport

MAX_METRICS_PER_CALL = 1000
MAX_REQUEST_BYTES = 1_000_000
# A conservative per-datum size of the query-string encoding, to stay under the byte limit
# even with long feature names.
_DATUM_OVERHEAD = 160


@dataclass(frozen=True)
class Workload:
    kind: str  # "Endpoint" or "Pipeline"
    name: str

    def __post_init__(self) -> None:
        if self.kind not in mc.WORKLOAD_DIMENSIONS:
            raise ValueError(f"workload kind must be one of {mc.WORKLOAD_DIMENSIONS}")


def unjudged_reason(report: DriftReport) -> str | None:
    """Why ``report``'s window cannot be judged, or ``None`` when it can."""
    d = report.dataset
    if d.rows == 0:
        malformed = f" ({d.malformed_records} malformed records)" if d.malformed_records else ""
        return f"the window holds no readable rows{malformed}"
    if d.features_evaluated == 0:
        return "no feature of the baseline has usable values in the window"
    return None


def metric_data(
    report: DriftReport, workload: Workload, timestamp: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The MetricData entries for ``report``: per-feature statistics with dimensions
    (workload, Feature) and dataset figures with the workload dimension alone. Every run
    publishes NoData, RowsEvaluated and MalformedRecords; the drift figures only when the
    window could be judged."""
    when = timestamp or utc_now()
    base = [{"Name": workload.kind, "Value": workload.name}]
    data: list[dict[str, Any]] = []

    def add(metric: mc.Metric, value: float | None, dimensions: list[dict[str, str]]) -> None:
        if value is None or not math.isfinite(value):
            return
        data.append(
            {
                "MetricName": metric.name,
                "Dimensions": dimensions,
                "Timestamp": when,
                "Value": float(value),
                "Unit": metric.unit,
            }
        )

    d = report.dataset
    judged = unjudged_reason(report) is None
    add(mc.NO_DATA, 0.0 if judged else 1.0, base)
    add(mc.ROWS_EVALUATED, float(d.rows), base)
    add(mc.MALFORMED_RECORDS, float(d.malformed_records), base)
    if d.rows:
        add(mc.SCHEMA_VIOLATIONS, float(d.schema_violations), base)
        add(mc.OUT_OF_RANGE_RATE, d.out_of_range_rate * 100.0, base)
        add(mc.UNSEEN_CATEGORY_RATE, d.unseen_rate * 100.0, base)
        add(mc.DUPLICATE_ROW_RATE, d.duplicate_row_rate * 100.0, base)
    if not judged:
        return data
    # the engine's verdict, so the alarm and `obsgov drift run` agree on what "drifted" means
    add(mc.DATASET_DRIFT, 1.0 if d.dataset_drift else 0.0, base)
    add(mc.DRIFTED_FEATURE_SHARE, d.drifted_share * 100.0, base)
    for feature in report.features:
        dims = [*base, {"Name": mc.FEATURE_DIMENSION, "Value": feature.name}]
        add(mc.FEATURE_PSI, feature.psi, dims)
        add(mc.FEATURE_KS, feature.ks_statistic, dims)
        add(mc.FEATURE_JS, feature.js_distance, dims)
        add(mc.FEATURE_WASSERSTEIN, feature.wasserstein, dims)
        add(mc.FEATURE_MISSING_CHANGE, feature.missing_rate_change if feature.rows else None, dims)
    return data


def batches(data: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    """Split into requests within both per-call limits."""
    batch: list[dict[str, Any]] = []
    size = 0
    for datum in data:
        cost = (
            _DATUM_OVERHEAD
            + sum(len(d["Name"]) + len(d["Value"]) + 60 for d in datum["Dimensions"])
            + len(datum["MetricName"])
        )
        if batch and (len(batch) >= MAX_METRICS_PER_CALL or size + cost > MAX_REQUEST_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(datum)
        size += cost
    if batch:
        yield batch


def put_metrics(cloudwatch: Any, data: list[dict[str, Any]]) -> int:
    """Send ``data`` in batches; returns the number of PutMetricData calls made."""
    calls = 0
    for batch in batches(data):
        cloudwatch.put_metric_data(Namespace=mc.DATA_QUALITY_NAMESPACE, MetricData=batch)
        calls += 1
    return calls


def parse_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"{uri} is not an s3:// URI")
    bucket, _, key = uri[5:].partition("/")
    if not bucket or not key:
        raise ValueError(f"{uri} needs a bucket and a key: s3://bucket/key")
    return bucket, key


def put_report(s3: Any, uri: str, report: DriftReport, kms_key_id: str | None = None) -> None:
    bucket, key = parse_s3_uri(uri)
    extra: dict[str, Any] = {}
    if kms_key_id:
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
    document = report.to_dict()
    reason = unjudged_reason(report)
    document["judged"] = reason is None
    if reason is not None:
        document["noDataReason"] = reason
    s3.put_object(
        Bucket=bucket,
        Key=key,
        ContentType="application/json",
        Body=json.dumps(document, indent=1).encode(),
        **extra,
    )
