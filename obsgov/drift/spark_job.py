"""The drift engine as a PySpark job: AWS Glue 5.0 (Spark 3.5, Python 3.11) and EMR
Serverless (Spark 3.5 releases), for windows and baselines past what one machine should read.

It is the single-machine engine run in Spark tasks, not a rewrite: each task streams its Arrow
record batches (``DataFrame.mapInArrow``) into the same accumulators
(:class:`~obsgov.drift.engine.WindowAccumulator` for a window; the two passes of
:mod:`obsgov.drift.profile` for a baseline), pickles them, and the driver merges them and calls
the same :func:`~obsgov.drift.engine.compare` / :func:`~obsgov.drift.profile.finalize_baseline`.
Counts, bins and categories are therefore identical to the single-machine engine's; sums
differ only by the order of floating-point additions; a baseline's quantile sketch depends on
the order of merges (within its documented rank error). Duplicate rows are counted exactly by
Spark (``count - distinct().count()``).

Run it (Glue: this file is the job's ScriptLocation; EMR Serverless: its entryPoint)::

    spark-submit obsgov/drift/spark_job.py run --baseline s3://b/baseline.json \\
        --data s3://lake/window/ --format parquet --report s3://b/reports/ \\
        [--workload-kind Endpoint --workload-name churn --publish]
    spark-submit obsgov/drift/spark_job.py baseline --data s3://lake/train/ \\
        --out s3://b/baseline.json [--schema s3://b/schema.yaml]

Glue passes a job's arguments as ``--key value`` pairs and has no positional command, so
a Glue job names it with ``--command run|baseline`` and sets ``--publish true`` (the drift
component's DefaultArguments); Glue's own arguments (``--JOB_NAME``, ``--JOB_RUN_ID``,
``--extra-py-files``, ...) are ignored. AWS Glue, "Using job parameters in AWS Glue jobs":
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from obsgov.clock import utc_now
from obsgov.drift.data import BATCH_ROWS, Malformed, detect_format
from obsgov.drift.engine import DriftReport, WindowAccumulator, compare
from obsgov.drift.profile import (
    DEFAULT_BINS,
    DEFAULT_EXACT_LIMIT,
    DEFAULT_GRID_SIZE,
    DEFAULT_MAX_CATEGORIES,
    DEFAULT_PROFILE,
    Baseline,
    GridPass,
    ProfileSettings,
    ReferencePass,
    finalize_baseline,
    needs_grid_pass,
    parse_baseline,
    plan_features,
)
from obsgov.drift.schema import SchemaFile, ThresholdConfig

_STATE = "state binary"
_CORRUPT = "_corrupt_record"


def spark_session(app: str = "obsgov-drift", master: str | None = None) -> Any:
    """A session with Arrow batches as large as the single-machine engine's."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app).config(
        "spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH_ROWS)
    )
    if master:
        builder = builder.master(master)
    return builder.getOrCreate()


def read_dataframe(spark: Any, location: str, fmt: str | None = None) -> tuple[Any, bool]:
    """The dataset at ``location`` as a DataFrame, and whether its values came as text (CSV,
    read without schema inference: types are decided as the single-machine engine does)."""
    fmt = fmt or detect_format(location.rstrip("/")) or "parquet"
    reader = spark.read
    if fmt == "parquet":
        return reader.parquet(location), False
    if fmt == "csv":
        return (
            reader.option("header", True)
            .option("inferSchema", False)
            .option("mode", "PERMISSIVE")
            .csv(location),
            True,
        )
    if fmt == "jsonl":
        frame = (
            reader.option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", _CORRUPT)
            .json(location)
        )
        return frame, False
    raise ValueError(f"format must be parquet, csv or jsonl, got {fmt!r}")


def _malformed(frame: Any) -> tuple[Any, Malformed]:
    """Drop Spark's corrupt-record column (JSON Lines), counting its rows as malformed."""
    malformed = Malformed()
    if _CORRUPT not in frame.columns:
        return frame, malformed
    frame = frame.cache()
    bad = frame.filter(frame[_CORRUPT].isNotNull())
    malformed.count = bad.count()
    for row in bad.limit(5).collect():
        malformed.examples.append(f"not a JSON object: {str(row[_CORRUPT])[:60]}")
    good = frame.filter(frame[_CORRUPT].isNull()).drop(_CORRUPT)
    return good, malformed


# --------------------------------------------------------------------------- a window


def window_report(
    spark: Any,
    baseline: Baseline,
    frame: Any,
    *,
    source: str,
    thresholds: ThresholdConfig | None = None,
    now: dt.datetime | None = None,
    exact_limit: int | None = None,
) -> DriftReport:
    """The drift report of a DataFrame against ``baseline``, computed in Spark tasks."""
    frame, malformed = _malformed(frame)
    columns = list(frame.columns)
    features = [c for c in baseline.features if c in columns]
    payload = spark.sparkContext.broadcast(baseline.to_json())

    def profile(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        base = _cached_baseline(payload.value)
        window = WindowAccumulator(base, exact_limit=exact_limit, duplicates=False)
        for batch in batches:
            window.update(batch)
        yield pa.record_batch({"state": pa.array([pickle.dumps(window)], pa.binary())})

    selected = frame.select(*features) if features else frame.select()
    states = selected.mapInArrow(profile, _STATE).collect()
    window = WindowAccumulator(baseline, exact_limit=exact_limit, duplicates=False)
    for row in states:
        window.merge(pickle.loads(row.state))
    duplicates = window.rows - selected.distinct().count() if features else 0
    return compare(
        baseline,
        window,
        source=source,
        thresholds=thresholds,
        malformed=malformed,
        columns=columns,
        duplicates=(duplicates, True),
        now=now,
    )


_PARSED: dict[int, Baseline] = {}


def _cached_baseline(text: str) -> Baseline:
    """One parse per Python worker, not one per task."""
    key = hash(text)
    if key not in _PARSED:
        _PARSED.clear()
        _PARSED[key] = parse_baseline(text, "baseline")
    return _PARSED[key]


# --------------------------------------------------------------------------- a baseline


def baseline_from_spark(
    spark: Any,
    frame: Any,
    *,
    source: str,
    untyped: bool,
    schema: SchemaFile | None = None,
    settings: ProfileSettings = DEFAULT_PROFILE,
    created: dt.datetime | None = None,
) -> Baseline:
    """Profile a DataFrame into a baseline: both passes of :mod:`obsgov.drift.profile` run in
    Spark tasks, merged on the driver."""
    from obsgov.errors import InputError, Problem

    frame, malformed = _malformed(frame)
    declared = dict(schema.features) if schema is not None else None
    if declared is not None:
        absent = [n for n in declared if n not in frame.columns]
        if absent:
            raise InputError(
                [
                    Problem(
                        "--schema", f"features.{n}", f"is declared but {source} has no such column"
                    )
                    for n in absent
                ]
            )
        frame = frame.select(*declared)
    frame = frame.cache()

    def first_pass(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        first = ReferencePass(declared, untyped, settings.exact_limit)
        for batch in batches:
            first.update(batch)
        yield pa.record_batch({"state": pa.array([pickle.dumps(first)], pa.binary())})

    merged = ReferencePass(declared, untyped, settings.exact_limit)
    # keep the column order of the data, whichever task saw a column first
    merged.order = list(declared) if declared is not None else list(frame.columns)
    for row in frame.mapInArrow(first_pass, _STATE).collect():
        merged.merge(pickle.loads(row.state))
    merged.malformed = malformed.count
    merged.malformed_examples = list(malformed.examples)
    if merged.rows == 0:
        raise InputError.single(source, "", "has no data rows: a baseline needs training data")
    plans = plan_features(merged, bins=settings.bins, grid_size=settings.grid_size)
    second = None
    if needs_grid_pass(plans):
        counted = GridPass(plans)
        wanted = list(counted.samples)

        def second_pass(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            grid = GridPass(plans)
            for batch in batches:
                grid.update(batch)
            yield pa.record_batch({"state": pa.array([pickle.dumps(grid)], pa.binary())})

        for row in frame.select(*wanted).mapInArrow(second_pass, _STATE).collect():
            counted.merge(pickle.loads(row.state))
        second = counted
    frame.unpersist()
    return finalize_baseline(
        merged,
        plans,
        second,
        source=source,
        schema=schema,
        settings=settings,
        created=created,
    )


# --------------------------------------------------------------------------- entry point


def _read_text(location: str) -> str:
    if location.startswith("s3://"):
        import boto3

        bucket, _, key = location[len("s3://") :].partition("/")
        body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        return body.decode("utf-8")
    return Path(location).read_text(encoding="utf-8")


def _write_text(location: str, text: str, kms_key_id: str | None = None) -> None:
    if location.startswith("s3://"):
        import boto3

        bucket, _, key = location[len("s3://") :].partition("/")
        extra: dict[str, Any] = {}
        if kms_key_id:
            extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
        boto3.client("s3").put_object(
            Bucket=bucket,
            Key=key,
            Body=text.encode("utf-8"),
            ContentType="application/json",
            **extra,
        )
        return
    from obsgov.io import write_atomic

    Path(location).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(Path(location), text)


COMMANDS = ("run", "baseline")


def _parser() -> argparse.ArgumentParser:
    # allow_abbrev=False: an argument Glue adds must never be taken for a prefix of ours
    parser = argparse.ArgumentParser(
        prog="obsgov-drift-spark", description=__doc__.split("\n\n")[0], allow_abbrev=False
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="Judge a window against a baseline.", allow_abbrev=False)
    run.add_argument("--baseline", required=True, help="Baseline JSON (s3:// or a path).")
    run.add_argument("--data", required=True, help="Window: s3:// prefix or path.")
    run.add_argument("--format", choices=("parquet", "csv", "jsonl"))
    run.add_argument("--report", required=True, help="Report prefix (ends with /) or file.")
    run.add_argument("--thresholds", help="Threshold overrides YAML (a path).")
    run.add_argument("--workload-kind", choices=("Endpoint", "Pipeline"))
    run.add_argument("--workload-name")
    run.add_argument("--publish", action="store_true", help="Publish CloudWatch metrics.")
    run.add_argument("--kms-key-id")
    base = commands.add_parser(
        "baseline", help="Profile training data into a baseline.", allow_abbrev=False
    )
    base.add_argument("--data", required=True)
    base.add_argument("--format", choices=("parquet", "csv", "jsonl"))
    base.add_argument("--out", required=True)
    base.add_argument("--schema", help="Schema YAML (a path).")
    base.add_argument("--bins", type=int, default=DEFAULT_BINS)
    base.add_argument("--max-categories", type=int, default=DEFAULT_MAX_CATEGORIES)
    base.add_argument("--grid-size", type=int, default=DEFAULT_GRID_SIZE)
    base.add_argument("--exact-limit", type=int, default=DEFAULT_EXACT_LIMIT)
    base.add_argument("--kms-key-id")
    return parser


def _glue_parser() -> argparse.ArgumentParser:
    """The two arguments only the Glue form has."""
    parser = argparse.ArgumentParser(prog="obsgov-drift-spark", add_help=False, allow_abbrev=False)
    parser.add_argument("--command", choices=COMMANDS, required=True)
    parser.add_argument("--publish", choices=("true", "false"), default="false")
    return parser


def parse_arguments(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """The job's arguments, in the ``spark-submit`` form (``run --data ...``) or Glue's
    (``--command run --data ... --publish true`` among Glue's own), and the arguments it does
    not define (Glue's), which it ignores."""
    argv = list(argv)
    if argv and argv[0] in COMMANDS:
        return _parser().parse_known_args(argv)
    glue, rest = _glue_parser().parse_known_args(argv)
    if glue.publish == "true" and glue.command != "run":
        _glue_parser().error("--publish applies to --command run only")
    command = [glue.command, *rest, *(["--publish"] if glue.publish == "true" else [])]
    return _parser().parse_known_args(command)


def options(command: str) -> frozenset[str]:
    """The options a command defines, in the Glue form (``--command`` included)."""
    sub = next(
        action
        for action in _parser()._actions  # noqa: SLF001 - argparse has no public accessor
        if isinstance(action, argparse._SubParsersAction)  # noqa: SLF001
    )
    parser = sub.choices[command]
    defined = {o for action in parser._actions for o in action.option_strings}  # noqa: SLF001
    return frozenset(defined - {"-h", "--help"} | {"--command"})


def main(
    argv: Sequence[str] | None = None, spark: Any = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Run one job; returns what it did (also printed as one JSON line for the job's log)."""
    args, _glue_extras = parse_arguments(list(argv if argv is not None else sys.argv[1:]))
    spark = spark or spark_session()
    now = now or utc_now()
    if args.command == "baseline":
        from obsgov.drift.schema import load_schema

        schema = load_schema(Path(args.schema)) if args.schema else None
        frame, untyped = read_dataframe(spark, args.data, args.format)
        result = baseline_from_spark(
            spark,
            frame,
            source=args.data,
            untyped=untyped,
            schema=schema,
            settings=ProfileSettings(
                bins=args.bins,
                max_categories=args.max_categories,
                grid_size=args.grid_size,
                exact_limit=args.exact_limit,
            ),
            created=now,
        )
        _write_text(args.out, result.to_json(), args.kms_key_id)
        summary = {"baseline": args.out, "rows": result.rows, "features": len(result.features)}
    else:
        from obsgov.drift.schema import load_thresholds

        baseline = parse_baseline(_read_text(args.baseline), args.baseline)
        overrides = (
            load_thresholds(Path(args.thresholds), set(baseline.features))
            if args.thresholds
            else None
        )
        frame, _ = read_dataframe(spark, args.data, args.format)
        report = window_report(
            spark, baseline, frame, source=args.data, thresholds=overrides, now=now
        )
        target = args.report
        if target.endswith("/"):
            target = f"{target}{now:%Y/%m/%d/%H%M%S}.json"
        _write_text(target, json.dumps(report.to_dict(), indent=1) + "\n", args.kms_key_id)
        published = 0
        if args.publish and report.dataset.judged:
            # a window that cannot be judged publishes no drift figure (issue 30)
            import boto3

            from obsgov.drift.publish import Workload, metric_data, put_metrics

            if not (args.workload_kind and args.workload_name):
                raise SystemExit("--publish needs --workload-kind and --workload-name")
            data = metric_data(report, Workload(args.workload_kind, args.workload_name), now)
            put_metrics(boto3.client("cloudwatch"), data)
            published = len(data)
        summary = {
            "report": target,
            "rows": report.dataset.rows,
            "status": report.dataset.status,
            "drifted_features": report.dataset.drifted_features,
            "metrics": published,
        }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":  # pragma: no cover - the Glue / EMR Serverless entry point
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    main()
