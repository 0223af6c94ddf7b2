"""What the drift and model-quality jobs list and read per run, against moto.

    .venv/bin/python benchmarks/incremental_reading.py [--days 7] [--variants 2]
        [--files-per-hour 4] [--runs 6]

Fills a capture prefix the way SageMaker does (<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl,
``--files-per-hour`` objects an hour per variant for ``--days`` days) and a ground-truth
prefix (<prefix>/yyyy/mm/dd/hh/), then runs:

* the drift job hourly, ``--runs`` times, two ways: as it ran before this change (the whole
  prefix listed every run, objects chosen by LastModified: OBSGOV_KEY_LAYOUT=none and
  OBSGOV_CHECKPOINT_URI=none) and as it runs now (capture hours listed from the checkpoint);
* the model-quality job once over a 24-hour window, listing both whole prefixes (as before)
  and listing only the window's hours.

Every S3 request is counted with a botocore ``before-call`` hook. It prints, per run,
ListObjectsV2 calls, objects listed, GetObject calls and rows, and the wall time of a run
under moto (which measures obsgov's own work, not S3 latency). Listing cost grows with the
retention for the old way and stays flat for the new one: rerun with a larger ``--days``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REGION = "us-east-1"
END = dt.datetime(2026, 11, 27, 6, 10, tzinfo=dt.timezone.utc)


def counted(client: Any) -> Counter:
    calls: Counter = Counter()

    def hook(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    client.meta.events.register("before-call.s3.*", hook)
    return calls


def writes(days: int, variants: int, per_hour: int, records: int) -> list[tuple]:
    """Every object the endpoint and the labelling process write, in time order:
    (written, bucket, key, body)."""
    import json

    from obsgov.drift.capture import capture_record

    events = []
    hour = (END - dt.timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    while hour <= END:
        for v in range(variants):
            for f in range(per_hour):
                written = hour + dt.timedelta(minutes=5 + f * (50 // per_hour))
                lines = [
                    capture_record(
                        f"{40 + (i % 9)},{'basic' if i % 3 else 'pro'}",
                        f"0.{(i * 7) % 10}",
                        inference_id=f"{hour:%Y%m%d%H}-{v}-{f}-{i}",
                        inference_time=written.isoformat().replace("+00:00", "Z"),
                    )
                    for i in range(records)
                ]
                key = f"datacapture/ep/Variant{v}/{hour:%Y/%m/%d/%H}/{f:02d}-{v}.jsonl"
                events.append((written, "capture", key, "\n".join(lines)))
                if v == 0:
                    labels = [
                        json.dumps(
                            {
                                "groundTruthData": {"data": str(i % 2), "encoding": "CSV"},
                                "eventMetadata": {"eventId": f"{hour:%Y%m%d%H}-0-{f}-{i}"},
                                "eventVersion": "0",
                            }
                        )
                        for i in range(records)
                    ]
                    label_key = f"labels/ep/{hour:%Y/%m/%d/%H}/{f:02d}.jsonl"
                    events.append((written, "labels", label_key, "\n".join(labels)))
        hour += dt.timedelta(hours=1)
    return sorted(events, key=lambda e: e[0])


class Writer:
    """Puts the objects written up to an instant, with LastModified at their write time."""

    def __init__(self, s3: Any, events: list[tuple]) -> None:
        self.s3, self.events, self.done = s3, events, 0

    def until(self, instant: dt.datetime) -> int:
        import time_machine

        while self.done < len(self.events) and self.events[self.done][0] <= instant:
            written, bucket, key, body = self.events[self.done]
            with time_machine.travel(written, tick=False):
                self.s3.put_object(Bucket=bucket, Key=key, Body=body)
            self.done += 1
        return self.done


def baseline(s3: Any) -> None:
    import numpy as np
    import pyarrow as pa

    from obsgov.drift.data import Frame
    from obsgov.drift.profile import build_baseline
    from obsgov.drift.schema import FeatureSpec, SchemaFile

    rng = np.random.default_rng(1)
    table = pa.table(
        {
            "age": rng.integers(40, 49, 2000).astype(float),
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
    built = build_baseline(Frame.from_table(table, "train"), schema)
    s3.put_object(Bucket="baselines", Key="ep/baseline.json", Body=built.to_json())


def drift_runs(
    s3: Any, cloudwatch: Any, calls: Counter, writer: Writer, runs: int
) -> tuple[list[dict], list[dict]]:
    """Hourly runs, the old way and the new way over the same growing bucket."""
    import time_machine

    from obsgov.drift.job import JobConfig, run

    env = {
        "OBSGOV_WORKLOAD_KIND": "Endpoint",
        "OBSGOV_WORKLOAD_NAME": "ep",
        "OBSGOV_DATA_URI": "s3://capture/datacapture/ep/",
        "OBSGOV_BASELINE_URI": "s3://baselines/ep/baseline.json",
        "OBSGOV_WINDOW_MINUTES": "60",
    }
    legacy = JobConfig.from_env(
        env
        | {
            "OBSGOV_REPORT_URI": "s3://reports/legacy/",
            "OBSGOV_KEY_LAYOUT": "none",
            "OBSGOV_CHECKPOINT_URI": "none",
        }
    )
    incremental = JobConfig.from_env(env | {"OBSGOV_REPORT_URI": "s3://reports/incremental/"})
    tables: tuple[list[dict], list[dict]] = ([], [])
    for n in range(runs):
        now = END - dt.timedelta(hours=runs - 1 - n)
        writer.until(now)
        for config, rows in zip((legacy, incremental), tables, strict=True):
            calls.clear()
            started = time.perf_counter()
            with time_machine.travel(now, tick=False):
                result = run(config, s3, cloudwatch, now=now)
            rows.append(
                {
                    "run": n + 1,
                    "list": calls["ListObjectsV2"],
                    "listed": result["objects_listed"],
                    "get": calls["GetObject"],
                    "read": result["objects_read"],
                    "rows": result["rows"],
                    "seconds": time.perf_counter() - started,
                }
            )
    return tables


def quality_run(s3: Any, calls: Counter, legacy: bool) -> dict:
    from obsgov.model_quality import job

    calls.clear()
    started = time.perf_counter()
    result = job.run(
        s3,
        capture_uri="s3://capture/datacapture/ep/",
        labels_uri="s3://labels/labels/ep/",
        endpoint="ep",
        model_version="1",
        problem="binary",
        window_end=END.replace(minute=0),
        min_labels=1,
        capture_layout=None if legacy else job.CAPTURE_LAYOUT,
        labels_layout=None if legacy else job.GROUND_TRUTH_LAYOUT,
    )
    return {
        "list": calls["ListObjectsV2"],
        "listed": result.stats.objects_listed,
        "get": calls["GetObject"],
        "read": result.objects_read,
        "pairs": len(result.joined.pairs),
        "seconds": time.perf_counter() - started,
    }


def table(title: str, rows: list[dict], keys: list[str]) -> None:
    print(title)
    print("  " + "  ".join(f"{k:>8}" for k in keys))
    for row in rows:
        cells = [f"{row[k]:8.2f}" if isinstance(row[k], float) else f"{row[k]:>8}" for k in keys]
        print("  " + "  ".join(cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--variants", type=int, default=2)
    parser.add_argument("--files-per-hour", type=int, default=4)
    parser.add_argument("--records", type=int, default=20)
    parser.add_argument("--runs", type=int, default=6)
    args = parser.parse_args()
    for key, value in {
        "AWS_ACCESS_KEY_ID": "benchmark",
        "AWS_SECRET_ACCESS_KEY": "benchmark",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        os.environ.setdefault(key, value)

    import boto3
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        for bucket in ("capture", "labels", "baselines", "reports"):
            s3.create_bucket(Bucket=bucket)
        events = writes(args.days, args.variants, args.files_per_hour, args.records)
        writer = Writer(s3, events)
        written = writer.until(END - dt.timedelta(hours=args.runs))
        baseline(s3)
        calls = counted(s3)
        print(
            f"capture: {args.days} days x 24 h x {args.variants} variants x "
            f"{args.files_per_hour} objects an hour, {args.records} records each; labels for "
            f"one variant ({written} objects before the first run)"
        )
        keys = ["run", "list", "listed", "get", "read", "rows", "seconds"]
        before, now = drift_runs(s3, cloudwatch, calls, writer, args.runs)
        table("drift job, before (whole prefix listed, LastModified window):", before, keys)
        table("drift job, now (capture hours from the checkpoint):", now, keys)
        writer.until(END)
        quality_keys = ["list", "listed", "get", "read", "pairs", "seconds"]
        table(
            "model-quality job, 24 h window, before (both whole prefixes listed):",
            [quality_run(s3, calls, legacy=True)],
            quality_keys,
        )
        table(
            "model-quality job, 24 h window, now (the window's hours listed):",
            [quality_run(s3, calls, legacy=False)],
            quality_keys,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
