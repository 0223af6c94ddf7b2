"""The scheduled drift job (the Lambda function :mod:`components.lifecycle.drift_monitor` deploys).

Each run reads the baseline and the objects under the data prefix that arrived since the last
run (a checkpoint object under the report prefix remembers what was read; capture is listed
hour by hour from its ``<variant>/yyyy/mm/dd/hh/`` keys instead of listing the whole prefix),
evaluates them, publishes the metrics and writes the JSON report (one object per run, named
by the run's time), then moves the checkpoint. A window with nothing readable publishes
``NoData=1`` and no drift figure. Any other failure raises: the function's error alarm and
dead-letter queue are how a broken run is noticed, and the checkpoint stays where it was, so
the next run reads the same objects again.

Environment (set by the component)::

    OBSGOV_WORKLOAD_KIND, OBSGOV_WORKLOAD_NAME   Endpoint|Pipeline and its name: the dimension
    OBSGOV_DATA_URI          s3://bucket/prefix/ of the capture or pipeline output
    OBSGOV_BASELINE_URI      s3://bucket/key of the baseline JSON
    OBSGOV_REPORT_URI        s3://bucket/prefix/ the reports go under
    OBSGOV_CAPTURE           true (SageMaker data capture) or false (Parquet, CSV, JSON Lines)
    OBSGOV_WINDOW_MINUTES    what the first run reads (60)
    OBSGOV_KMS_KEY_ARN       key for the report and checkpoint objects (optional)
    OBSGOV_KEY_LAYOUT        time layout of keys under the data prefix; default */%Y/%m/%d/%H/
                             for capture, none for pipelines ("none": list the whole prefix)
    OBSGOV_CHECKPOINT_URI    s3://bucket/key of the checkpoint; default
                             <report prefix>checkpoint.json; "none" reads the last window
    OBSGOV_LAG_MINUTES       how far back each run lists again for late arrivals (60)
    OBSGOV_MAX_CATCH_UP_HOURS  the most a run reads after an outage (24)
    OBSGOV_POSITIVE_CLASS_INDEX  position of the positive class in [[p0, p1]] outputs (1)
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from obsgov.clock import utc_now
from obsgov.errors import InputError
from obsgov.s3_window import (
    CAPTURE_LAYOUT,
    Checkpoint,
    KeyLayout,
    ListingStats,
    ObjectInfo,
    S3Location,
    is_data,
    list_periods,
    list_prefix,
    load_checkpoint,
    new_objects,
    save_checkpoint,
)

from .capture import captured_baseline, read_capture_lines
from .data import Frame, Malformed, detect_format, read_frame
from .engine import evaluate
from .profile import Baseline, parse_baseline
from .publish import Workload, metric_data, parse_s3_uri, put_metrics, put_report, unjudged_reason


class ConfigError(ValueError):
    """The function's environment is wrong: the message names the variable."""


def _int(env: Mapping[str, str], name: str, default: int, low: int) -> int:
    text = env.get(name, "")
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a whole number") from None
    if value < low:
        raise ConfigError(f"{name}={value} must be at least {low}")
    return value


@dataclass(frozen=True)
class JobConfig:
    workload: Workload
    data_uri: str  # s3://bucket/prefix/
    baseline_uri: str
    report_uri: str  # s3://bucket/prefix/
    window: dt.timedelta
    capture: bool
    kms_key_arn: str | None = None
    key_layout: KeyLayout | None = None
    checkpoint_uri: str | None = None
    lag: dt.timedelta = dt.timedelta(hours=1)
    max_catch_up: dt.timedelta = dt.timedelta(hours=24)
    positive_index: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> JobConfig:
        missing = [
            name
            for name in (
                "OBSGOV_WORKLOAD_KIND",
                "OBSGOV_WORKLOAD_NAME",
                "OBSGOV_DATA_URI",
                "OBSGOV_BASELINE_URI",
                "OBSGOV_REPORT_URI",
            )
            if not env.get(name)
        ]
        if missing:
            raise ConfigError(f"the environment lacks {', '.join(missing)}")
        try:
            workload = Workload(env["OBSGOV_WORKLOAD_KIND"], env["OBSGOV_WORKLOAD_NAME"])
        except ValueError as exc:
            raise ConfigError(f"OBSGOV_WORKLOAD_KIND: {exc}") from None
        for name in ("OBSGOV_DATA_URI", "OBSGOV_BASELINE_URI", "OBSGOV_REPORT_URI"):
            try:
                S3Location.from_uri(env[name])
            except ValueError as exc:
                raise ConfigError(f"{name}: {exc}") from None
        capture_text = env.get("OBSGOV_CAPTURE", "true")
        if capture_text not in ("true", "false"):
            raise ConfigError(f"OBSGOV_CAPTURE={capture_text!r} is not true or false")
        capture = capture_text == "true"
        layout_text = env.get("OBSGOV_KEY_LAYOUT", CAPTURE_LAYOUT if capture else "none")
        try:
            layout = None if layout_text in ("", "none") else KeyLayout(layout_text)
        except ValueError as exc:
            raise ConfigError(f"OBSGOV_KEY_LAYOUT: {exc}") from None
        checkpoint = env.get("OBSGOV_CHECKPOINT_URI", "") or (
            env["OBSGOV_REPORT_URI"].rstrip("/") + "/checkpoint.json"
        )
        if checkpoint != "none":
            try:
                parse_s3_uri(checkpoint)
            except ValueError as exc:
                raise ConfigError(f"OBSGOV_CHECKPOINT_URI: {exc}") from None
        positive = env.get("OBSGOV_POSITIVE_CLASS_INDEX", "")
        return cls(
            workload=workload,
            data_uri=env["OBSGOV_DATA_URI"],
            baseline_uri=env["OBSGOV_BASELINE_URI"],
            report_uri=env["OBSGOV_REPORT_URI"],
            window=dt.timedelta(minutes=_int(env, "OBSGOV_WINDOW_MINUTES", 60, 1)),
            capture=capture,
            kms_key_arn=env.get("OBSGOV_KMS_KEY_ARN") or None,
            key_layout=layout,
            checkpoint_uri=None if checkpoint == "none" else checkpoint,
            lag=dt.timedelta(minutes=_int(env, "OBSGOV_LAG_MINUTES", 60, 0)),
            max_catch_up=dt.timedelta(hours=_int(env, "OBSGOV_MAX_CATCH_UP_HOURS", 24, 1)),
            positive_index=_int(env, "OBSGOV_POSITIVE_CLASS_INDEX", 0, 0) if positive else None,
        )


@dataclass
class Window:
    """The objects one run reads, and what finding them cost."""

    objects: list[ObjectInfo]
    stats: ListingStats
    since: dt.datetime
    checkpoint: Checkpoint | None  # to save after publishing; None without checkpointing
    capped: bool = False


def select_objects(
    s3: Any, config: JobConfig, checkpoint: Checkpoint | None, now: dt.datetime
) -> Window:
    location = S3Location.from_uri(config.data_uri)
    if checkpoint is not None:
        found = new_objects(
            s3,
            location,
            config.key_layout,
            checkpoint,
            now,
            first_window=config.window,
            lag=config.lag,
            max_catch_up=config.max_catch_up,
        )
        return Window(found.objects, found.stats, found.since, found.checkpoint, found.capped)
    # no checkpoint: the objects written in the last window, by LastModified
    stats = ListingStats()
    since = now - config.window
    listed = (
        list_periods(s3, location, config.key_layout, since, now, stats)
        if config.key_layout is not None
        else list_prefix(s3, location, stats)
    )
    chosen = sorted(
        (o for o in listed if is_data(o) and since <= o.last_modified <= now),
        key=lambda o: o.key,
    )
    return Window(chosen, stats, since, None)


def _lines(s3: Any, item: ObjectInfo) -> Iterator[str]:
    body = s3.get_object(Bucket=item.bucket, Key=item.key)["Body"]
    for raw in body.iter_lines():
        yield raw.decode("utf-8", errors="replace")


def read_objects(
    s3: Any,
    objects: Sequence[ObjectInfo],
    baseline: Baseline,
    *,
    capture: bool,
    label: str,
    positive_index: int | None = None,
) -> Frame:
    """A frame from S3 objects: SageMaker capture lines, or Parquet / CSV / JSON Lines files
    (one that cannot be read is counted as malformed, not fatal)."""
    if capture:
        return read_capture_lines(
            ((o.uri, _lines(s3, o)) for o in objects),
            baseline.input_features(),
            baseline.output_features(),
            label,
            positive_index,
        )
    text_columns = [n for n, f in baseline.features.items() if f.type == "categorical"]
    tables, malformed = [], Malformed()
    with tempfile.TemporaryDirectory() as tmp:
        for number, item in enumerate(objects):
            if not detect_format(Path(item.key)):
                malformed.add(item.uri, "not .parquet, .csv or .jsonl")
                continue
            local = Path(tmp) / f"{number}-{Path(item.key).name}"
            s3.download_file(item.bucket, item.key, str(local))
            try:
                frame = read_frame(local, text_columns=text_columns)
            except InputError as exc:
                malformed.add(item.uri, exc.problems[0].message if exc.problems else str(exc))
                continue
            finally:
                local.unlink(missing_ok=True)
            malformed.merge(frame.malformed)
            tables.append(pa.table(frame.columns))
    if not tables:
        return Frame({}, 0, label, malformed)
    table = pa.concat_tables(tables, promote_options="permissive")
    return Frame.from_table(table, label, malformed)


def read_s3_data(
    s3: Any, uri: str, baseline: Baseline, *, capture: bool, positive_index: int | None = None
) -> tuple[Frame, ListingStats]:
    """Everything under an ``s3://bucket/prefix/`` (or the one object ``s3://bucket/key``
    names), read as the job reads a window: what ``drift run --data s3://...`` needs."""
    location = S3Location.from_uri(uri)
    stats = ListingStats()
    listed = [o for o in list_prefix(s3, location, stats) if is_data(o)]
    exact = [o for o in listed if o.key == location.prefix]
    objects = exact or sorted(listed, key=lambda o: o.key)
    label = f"{uri} ({len(objects)} objects)"
    frame = read_objects(
        s3, objects, baseline, capture=capture, label=label, positive_index=positive_index
    )
    return frame, stats


def load_baseline(s3: Any, uri: str) -> Baseline:
    bucket, key = parse_s3_uri(uri)
    text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    return parse_baseline(text, uri)


def run(
    config: JobConfig, s3: Any, cloudwatch: Any, now: dt.datetime | None = None
) -> dict[str, Any]:
    now = now or utc_now()
    baseline = load_baseline(s3, config.baseline_uri)
    checkpoint = load_checkpoint(s3, config.checkpoint_uri) if config.checkpoint_uri else None
    window = select_objects(s3, config, checkpoint, now)
    count = len(window.objects)
    label = (
        f"{config.data_uri} ({count} new objects since {window.since:%Y-%m-%dT%H:%MZ})"
        if checkpoint is not None
        else f"{config.data_uri} ({count} objects, last {config.window})"
    )
    frame = read_objects(
        s3,
        window.objects,
        baseline,
        capture=config.capture,
        label=label,
        positive_index=config.positive_index,
    )
    judged_against = captured_baseline(baseline, frame) if config.capture else baseline
    report = evaluate(judged_against, frame)
    data = metric_data(report, config.workload, now)
    calls = put_metrics(cloudwatch, data)
    target = f"{config.report_uri}{now:%Y/%m/%d/%H%M%S}.json"
    put_report(s3, target, report, config.kms_key_arn)
    if config.checkpoint_uri and window.checkpoint is not None:
        save_checkpoint(s3, config.checkpoint_uri, window.checkpoint, config.kms_key_arn)
    reason = unjudged_reason(report)
    return {
        "rows": report.dataset.rows,
        "judged": reason is None,
        "no_data_reason": reason,
        "drifted_share": None if reason else report.dataset.drifted_share,
        "dataset_drift": None if reason else report.dataset.dataset_drift,
        "features_judged": sorted(judged_against.features),
        "metrics": len(data),
        "put_metric_data_calls": calls,
        "report": target,
        "malformed_records": report.dataset.malformed_records,
        "objects_read": len(window.objects),
        "objects_listed": window.stats.objects_listed,
        "list_calls": window.stats.list_calls,
        "catch_up_capped": window.capped,
    }


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point; the configuration comes from the environment the component sets."""
    import boto3

    return run(JobConfig.from_env(os.environ), boto3.client("s3"), boto3.client("cloudwatch"))
