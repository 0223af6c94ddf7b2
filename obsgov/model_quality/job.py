"""The scheduled job: read a window of predictions and the labels collected since, join, score
and publish.

Labels come late, so the scored window ends ``label offset`` before the run (Model Monitor's
EndTimeOffset: "Schedule Model Quality Monitoring Jobs",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-schedule.html).
Only the hours that can hold the window's data are listed: capture for the window's hours,
labels from the window's start up to the run (a label is collected after its inference).
Below ``min_labels`` labelled predictions no quality figure is published, only the signals
(``NotEnoughLabels=1``, the counts). The model version is read from the endpoint at run time
(:mod:`obsgov.model_quality.served`).

Standard library only (boto3 clients are passed in), so the function ships as this package.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from obsgov import metric_contract as contract
from obsgov.clock import utc_now
from obsgov.s3_window import (
    CAPTURE_LAYOUT,
    GROUND_TRUTH_LAYOUT,
    KeyLayout,
    ListingStats,
    ObjectInfo,
    S3Location,
    is_data,
    list_periods,
    list_prefix,
)

from .join import Joined, OutputSpec, join
from .metrics import classification, confusion_matrix, multiclass, regression

# Below this many labelled predictions a quality figure is noise (accuracy's standard error
# is up to 7 points at 50), and no figure is published.
DEFAULT_MIN_LABELS = 50


@dataclass
class QualityResult:
    endpoint: str
    model_version: str
    problem: str
    metrics: dict[str, float]
    joined: Joined
    min_labels: int = 1
    window_start: datetime | None = None
    window_end: datetime | None = None
    stats: ListingStats = field(default_factory=ListingStats)
    objects_read: int = 0
    notes: list[str] = field(default_factory=list)
    threshold: float = 0.5

    @property
    def enough_labels(self) -> bool:
        return len(self.joined.pairs) >= self.min_labels

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "endpoint": self.endpoint,
            "modelVersion": self.model_version,
            "problem": self.problem,
            "metrics": self.metrics,
            "pairs": len(self.joined.pairs),
            "minLabels": self.min_labels,
            "notEnoughLabels": not self.enough_labels,
            "labelsMissing": self.joined.missing,
            "labelsLate": self.joined.late,
            "unmatchedLabels": self.joined.unmatched_labels,
            "malformed": self.joined.malformed[:50],
            "malformedCount": len(self.joined.malformed),
            "objectsRead": self.objects_read,
            "objectsListed": self.stats.objects_listed,
            "listCalls": self.stats.list_calls,
            "notes": self.notes,
        }
        if self.problem != "regression" and self.joined.pairs:
            pairs = self.joined.pairs
            if self.problem == "binary":
                pairs = [(int(s > self.threshold), int(y)) for s, y in pairs]
            document["confusionMatrix"] = confusion_matrix(pairs)
        return document


def split_s3_uri(uri: str) -> tuple[str, str]:
    location = S3Location.from_uri(uri)
    return location.bucket, location.prefix


def _listed(
    s3: Any,
    uri: str,
    layout: str | None,
    since: datetime,
    until: datetime,
    stats: ListingStats,
) -> list[ObjectInfo]:
    location = S3Location.from_uri(uri)
    found = (
        list_periods(s3, location, KeyLayout(layout), since, until, stats)
        if layout
        else list_prefix(s3, location, stats)
    )
    return sorted((o for o in found if is_data(o)), key=lambda o: o.key)


def _lines(s3: Any, item: ObjectInfo) -> list[str]:
    body = s3.get_object(Bucket=item.bucket, Key=item.key)["Body"].read()
    return body.decode("utf-8", errors="replace").splitlines()


def _collected(item: ObjectInfo, uri: str, layout: str | None) -> datetime:
    """When a label object arrived: its key's hour (Model Monitor's layout is by collection
    time), else its LastModified."""
    if layout:
        prefix = S3Location.from_uri(uri).prefix
        when = KeyLayout(layout).key_time(item.key[len(prefix) :])
        if when is not None:
            return when
    return item.last_modified


@dataclass(frozen=True)
class QualityRun:
    """One scoring of an endpoint's predictions: where they and their labels are, which
    window, and how to read them (each field a `models quality` option or event key)."""

    capture_uri: str
    labels_uri: str
    endpoint: str
    model_version: str
    window_end: datetime
    spec: OutputSpec = field(default_factory=OutputSpec)  # the problem and its threshold
    window: timedelta = timedelta(hours=24)
    label_deadline: timedelta = timedelta(hours=24)
    min_labels: int = DEFAULT_MIN_LABELS
    as_of: datetime | None = None  # labels collected up to then (default: window_end)
    capture_layout: str | None = CAPTURE_LAYOUT
    labels_layout: str | None = GROUND_TRUTH_LAYOUT

    def __post_init__(self) -> None:
        if self.min_labels < 1:
            raise ValueError(f"min_labels must be at least 1, not {self.min_labels}")


def run(s3: Any, job: QualityRun) -> QualityResult:
    """Score the predictions made in [window_end - window, window_end) against the labels
    collected up to ``as_of`` (default: ``window_end``)."""
    spec, window_end, window = job.spec, job.window_end, job.window
    capture_uri, labels_uri = job.capture_uri, job.labels_uri
    capture_layout, labels_layout = job.capture_layout, job.labels_layout
    label_deadline, min_labels = job.label_deadline, job.min_labels
    endpoint, model_version, problem = job.endpoint, job.model_version, spec.problem
    start = window_end - window
    as_of = max(job.as_of or window_end, window_end)
    stats = ListingStats()
    # an object keyed by an hour holds that hour's inferences: the window's hours suffice
    capture_objects = _listed(
        s3, capture_uri, capture_layout, start, window_end - timedelta(microseconds=1), stats
    )
    label_objects = _listed(s3, labels_uri, labels_layout, start, as_of, stats)
    captures = ((o.uri, _lines(s3, o)) for o in capture_objects)
    labels = (
        (o.uri, _collected(o, labels_uri, labels_layout), _lines(s3, o)) for o in label_objects
    )
    joined = join(
        captures,
        labels,
        window_start=start,
        window_end=window_end,
        label_deadline=label_deadline,
        spec=spec,
    )
    result = QualityResult(
        endpoint,
        model_version,
        problem,
        {},
        joined,
        min_labels,
        start,
        window_end,
        stats,
        len(capture_objects) + len(label_objects),
        threshold=spec.threshold,
    )
    if result.enough_labels:
        if problem == "binary":
            result.metrics = classification(joined.pairs, spec.threshold)
        elif problem == "multiclass":
            result.metrics = multiclass(joined.pairs)
        else:
            result.metrics = regression(joined.pairs)
    return result


def _datum(metric: contract.Metric, value: float, dims: list[dict[str, str]], when: datetime):
    return {
        "MetricName": metric.name,
        "Dimensions": dims,
        "Value": float(value),
        "Unit": metric.unit,
        "Timestamp": when,
    }


def metric_data(result: QualityResult, timestamp: datetime) -> list[dict[str, Any]]:
    """The quality figures (only with enough labels) and the signals (always), each under
    (Endpoint, ModelVersion) for comparing releases and under Endpoint alone for the alarms."""
    known = {
        m.name: m
        for m in (
            *contract.CLASSIFICATION_METRICS,
            *contract.MULTICLASS_METRICS,
            *contract.REGRESSION_METRICS,
        )
    }
    signals = {
        contract.LABELLED_PREDICTIONS: len(result.joined.pairs),
        contract.LABELS_MISSING: result.joined.missing,
        contract.LABELS_LATE: result.joined.late,
        contract.NOT_ENOUGH_LABELS: 0 if result.enough_labels else 1,
        contract.MALFORMED_RECORDS: len(result.joined.malformed),
    }
    data = []
    for dims in (
        [
            {"Name": "Endpoint", "Value": result.endpoint},
            {"Name": "ModelVersion", "Value": result.model_version},
        ],
        [{"Name": "Endpoint", "Value": result.endpoint}],
    ):
        if result.enough_labels:
            for name, value in sorted(result.metrics.items()):
                data.append(_datum(known[name], value, dims, timestamp))
        for metric, count in signals.items():
            data.append(_datum(metric, count, dims, timestamp))
    return data


def publish(cloudwatch: Any, result: QualityResult, timestamp: datetime | None = None) -> int:
    data = metric_data(result, timestamp or utc_now())
    for i in range(0, len(data), 1000):  # PutMetricData takes up to 1,000 datums a call
        cloudwatch.put_metric_data(
            Namespace=contract.MODEL_QUALITY_NAMESPACE, MetricData=data[i : i + 1000]
        )
    return len(data)


# --------------------------------------------------------------------------- the schedule's input


class EventError(ValueError):
    """The schedule's input is wrong: the message names the key."""


def _hours(event: Mapping[str, Any], key: str, default: int, low: int = 0) -> timedelta:
    value = event.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise EventError(f"{key} must be a whole number of hours >= {low}, not {value!r}")
    return timedelta(hours=value)


def _attribute(event: Mapping[str, Any], key: str) -> str | int | None:
    value = event.get(key)
    if value is None or (isinstance(value, (str, int)) and not isinstance(value, bool)):
        return value
    raise EventError(f"{key} must be a position (number) or a key (text), not {value!r}")


def spec_from_event(event: Mapping[str, Any]) -> OutputSpec:
    classes = event.get("classes", [])
    if not isinstance(classes, list):
        raise EventError(f"classes must be a list of class labels, not {classes!r}")
    threshold = event.get("probabilityThreshold", 0.5)
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool):
        raise EventError(f"probabilityThreshold must be a number, not {threshold!r}")
    index = event.get("positiveIndex")
    if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
        raise EventError(f"positiveIndex must be a whole number, not {index!r}")
    try:
        return OutputSpec(
            problem=str(event.get("problem", "binary")),
            inference_attribute=_attribute(event, "inferenceAttribute"),
            probability_attribute=_attribute(event, "probabilityAttribute"),
            positive_class=str(event.get("positiveClass", "1")),
            positive_index=index,
            classes=tuple(str(c) for c in classes),
            threshold=float(threshold),
        )
    except ValueError as exc:
        raise EventError(str(exc)) from None


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point; the schedule's input names the endpoint and its sources.

    Keys: endpoint, captureUri, labelsUri (required); problem (binary), windowHours (24),
    labelOffsetHours (0), labelDeadlineHours (24), minLabels (50), variant,
    inferenceAttribute, probabilityAttribute, probabilityThreshold (0.5), positiveClass ("1"),
    positiveIndex, classes, captureLayout, labelsLayout. A modelVersion key is ignored: the
    version is read from the endpoint.
    """
    import boto3

    if not isinstance(event, Mapping):
        raise EventError("the schedule's input must be a JSON object")
    missing = [k for k in ("endpoint", "captureUri", "labelsUri") if not event.get(k)]
    if missing:
        raise EventError(f"the schedule's input lacks {', '.join(missing)}")
    spec = spec_from_event(event)
    min_labels = event.get("minLabels", DEFAULT_MIN_LABELS)
    if not isinstance(min_labels, int) or isinstance(min_labels, bool) or min_labels < 1:
        raise EventError(f"minLabels must be a whole number >= 1, not {min_labels!r}")
    offset = _hours(event, "labelOffsetHours", 0)
    window = _hours(event, "windowHours", 24, 1)
    deadline = _hours(event, "labelDeadlineHours", 24)
    layouts = {}
    for key, default in (("captureLayout", CAPTURE_LAYOUT), ("labelsLayout", GROUND_TRUTH_LAYOUT)):
        text = event.get(key, default)
        try:
            layouts[key] = KeyLayout(text).pattern if text else None
        except (TypeError, ValueError) as exc:
            raise EventError(f"{key}: {exc}") from None
    for key in ("captureUri", "labelsUri"):
        try:
            S3Location.from_uri(str(event[key]))
        except ValueError as exc:
            raise EventError(f"{key}: {exc}") from None
    now = utc_now().replace(minute=0, second=0, microsecond=0)
    served = _served(boto3.client("sagemaker"), event)
    result = run(
        boto3.client("s3"),
        QualityRun(
            capture_uri=event["captureUri"],
            labels_uri=event["labelsUri"],
            endpoint=event["endpoint"],
            model_version=served.version,
            window_end=now - offset,
            spec=spec,
            window=window,
            label_deadline=deadline,
            min_labels=min_labels,
            as_of=now,
            capture_layout=layouts["captureLayout"],
            labels_layout=layouts["labelsLayout"],
        ),
    )
    result.notes.extend(_release_notes(served, event, result))
    publish(boto3.client("cloudwatch"), result, now)
    summary = {
        **result.to_json(),
        "window": [str(result.window_start), str(result.window_end)],
        "modelPackage": served.model_package,
    }
    print(json.dumps({"obsgov": "model-quality", **summary}, sort_keys=True, default=str))
    return summary


def _served(sagemaker: Any, event: Mapping[str, Any]) -> Any:
    from .served import served_model

    variant = event.get("variant")
    return served_model(sagemaker, event["endpoint"], variant if variant else None)


def _release_notes(served: Any, event: Mapping[str, Any], result: QualityResult) -> list[str]:
    notes = [
        f"model version {served.version} read from the endpoint (variant {served.variant}, "
        f"model {served.model_name})"
    ]
    stated = event.get("modelVersion")
    if stated is not None and str(stated) != served.version:
        notes.append(f"the schedule names version {stated}; the endpoint serves {served.version}")
    modified = served.endpoint_modified
    if (
        modified
        and result.window_start
        and result.window_start < modified < (result.window_end or modified)
    ):
        notes.append(
            f"the endpoint was updated at {modified.isoformat()}, inside the window: earlier "
            "predictions may come from the previous version"
        )
    return notes
