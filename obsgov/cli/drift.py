"""``obsgov drift``: data-quality and drift checks of inference and pipeline data against a
training baseline."""

from __future__ import annotations

from pathlib import Path

import typer

from obsgov.errors import InputError

from .common import EXIT_OK, EXIT_VERDICT, aws_errors, command, out
from .output import check_output

app = typer.Typer(
    help="Data drift and data quality of inference and pipeline data against a baseline.",
    no_args_is_help=True,
)


def _positive(value: int, option: str) -> None:
    if value < 1:
        raise InputError.single(option, "", f"must be at least 1, got {value}")


@app.command("baseline", short_help="Profile training data into a baseline file.")
@command
def baseline(
    data: Path = typer.Option(
        ...,
        "--data",
        metavar="FILE",
        dir_okay=False,
        help="Training data: .parquet, .csv or .jsonl.",
    ),
    output: Path = typer.Option(
        ..., "--out", "-o", metavar="FILE", dir_okay=False, help="Baseline file to write (JSON)."
    ),
    schema: Path | None = typer.Option(
        None,
        "--schema",
        metavar="YAML",
        dir_okay=False,
        help="Declared schema: feature types, ranges, categories, nullability and drift "
        "thresholds. Without it every column is profiled and types are inferred.",
    ),
    bins: int = typer.Option(
        10,
        "--bins",
        min=1,
        max=1000,
        metavar="N",
        help="Reference quantile bins per numeric feature.",
    ),
    max_categories: int = typer.Option(
        200,
        "--max-categories",
        min=1,
        metavar="N",
        help="Categories kept per feature; rarer ones are pooled as 'other'.",
    ),
    reference_size: int = typer.Option(
        10_000,
        "--reference-size",
        min=0,
        metavar="N",
        help="Reference values kept per numeric feature for exact KS and Wasserstein; "
        "0 keeps all. Past it, evenly spaced order statistics are kept.",
    ),
) -> None:
    """Profile training data into a baseline: per-feature summary statistics, reference
    quantile bins, category frequencies and the (declared or inferred) schema.

    Exit 2 on bad input (unreadable data, bad schema YAML, unwritable output).
    """
    from obsgov.drift.data import read_frame
    from obsgov.drift.profile import build_baseline
    from obsgov.drift.schema import load_schema
    from obsgov.io import display_path, write_atomic

    _positive(bins, "--bins")
    inputs = [data] + ([schema] if schema else [])
    check_output(output, "--out", inputs)
    declared = load_schema(schema) if schema else None
    text_columns = (
        [n for n, f in declared.features.items() if f.type == "categorical"] if declared else []
    )
    frame = read_frame(data, "--data", text_columns=text_columns)
    result = build_baseline(
        frame,
        declared,
        schema_file=display_path(schema) if schema else "--schema",
        bins=bins,
        max_categories=max_categories,
        reference_size=reference_size,
    )
    write_atomic(output, result.to_json())
    numeric = sum(1 for f in result.features.values() if f.type == "numeric")
    out.print(
        f"baseline: {result.rows} rows, {len(result.features)} features "
        f"({numeric} numeric, {len(result.features) - numeric} categorical) "
        f"-> {display_path(output)}"
    )
    if frame.malformed.count:
        out.print(
            f"skipped {frame.malformed.count} malformed rows (first: {frame.malformed.examples[0]})"
        )


@app.command("run", short_help="Check a window of data against a baseline.")
@command
def run(
    baseline_file: Path = typer.Option(
        ...,
        "--baseline",
        metavar="FILE",
        dir_okay=False,
        help="Baseline from `obsgov drift baseline`.",
    ),
    data: Path = typer.Option(
        ...,
        "--data",
        metavar="PATH",
        help="Window to check: .parquet, .csv or .jsonl; with --capture, a SageMaker "
        "data-capture .jsonl file or a folder of them.",
    ),
    capture: bool = typer.Option(
        False,
        "--capture",
        help="Read --data as SageMaker data capture (CSV, JSON or BASE64 payloads; "
        "input and output).",
    ),
    thresholds: Path | None = typer.Option(
        None,
        "--thresholds",
        metavar="YAML",
        dir_okay=False,
        help="Threshold overrides: defaults, per-feature values, drifted_share.",
    ),
    reports: list[Path] = typer.Option(
        [],
        "--report",
        metavar="FILE",
        dir_okay=False,
        help="Write the report: .json or .html (repeatable).",
    ),
    publish: bool = typer.Option(
        False,
        "--publish",
        help="Publish CloudWatch metrics (namespace Obsgov/DataQuality); needs --endpoint "
        "or --pipeline.",
    ),
    endpoint: str | None = typer.Option(
        None, "--endpoint", metavar="NAME", help="Monitored endpoint (metric dimension)."
    ),
    pipeline: str | None = typer.Option(
        None, "--pipeline", metavar="NAME", help="Monitored pipeline (metric dimension)."
    ),
    s3_report: str | None = typer.Option(
        None, "--s3-report", metavar="S3URI", help="Also put the JSON report at s3://bucket/key."
    ),
    kms_key_id: str | None = typer.Option(
        None, "--kms-key-id", metavar="KEY", help="KMS key for the S3 report (SSE-KMS)."
    ),
    region: str | None = typer.Option(
        None, "--region", metavar="REGION", help="AWS Region for publishing."
    ),
    fail_on_drift: bool = typer.Option(
        True,
        "--fail-on-drift/--no-fail-on-drift",
        help="Exit 1 when the dataset drifted (default) or always exit 0.",
    ),
) -> None:
    """Compare a window of data with the baseline: PSI, Jensen-Shannon, KS, Wasserstein,
    chi-square and missing-rate change per feature; schema violations, out-of-range values,
    unseen categories and duplicate rows; the share of drifted features.

    Exit 0 no dataset drift; 1 dataset drift; 2 bad input; 4 AWS refused or unreachable.
    """
    from obsgov.drift.capture import read_capture
    from obsgov.drift.data import read_frame
    from obsgov.drift.engine import evaluate
    from obsgov.drift.html import render
    from obsgov.drift.profile import load_baseline
    from obsgov.drift.publish import Workload, parse_s3_uri
    from obsgov.drift.schema import load_thresholds
    from obsgov.io import display_path, write_atomic

    workload = _workload(endpoint, pipeline, publish or bool(s3_report))
    if s3_report:
        try:
            parse_s3_uri(s3_report)
        except ValueError as exc:
            raise InputError.single("--s3-report", "", str(exc)) from None
    for target in reports:
        if target.suffix.lower() not in (".json", ".html", ".htm"):
            raise InputError.single("--report", "", f"{target}: use a .json or .html name")
        check_output(target, "--report", [baseline_file, data])
    base = load_baseline(baseline_file)
    overrides = load_thresholds(thresholds, set(base.features)) if thresholds else None
    if capture:
        frame = read_capture(data, base.input_features(), base.output_features())
    else:
        text_columns = [n for n, f in base.features.items() if f.type == "categorical"]
        frame = read_frame(data, "--data", text_columns=text_columns)
    report = evaluate(base, frame, overrides)
    for target in reports:
        if target.suffix.lower() == ".json":
            import json

            write_atomic(target, json.dumps(report.to_dict(), indent=1) + "\n")
        else:
            write_atomic(target, render(report))
    _summary(report)
    if workload is not None and (publish or s3_report):
        _publish(report, Workload(*workload), publish, s3_report, kms_key_id, region)
    for target in reports:
        out.print(f"report: {display_path(target)}")
    if report.dataset.dataset_drift and fail_on_drift:
        raise typer.Exit(EXIT_VERDICT)
    raise typer.Exit(EXIT_OK)


def _workload(endpoint: str | None, pipeline: str | None, needed: bool) -> tuple[str, str] | None:
    if endpoint and pipeline:
        raise InputError.single("--endpoint", "", "give --endpoint or --pipeline, not both")
    if endpoint:
        return ("Endpoint", endpoint)
    if pipeline:
        return ("Pipeline", pipeline)
    if needed:
        raise InputError.single(
            "--publish", "", "needs --endpoint NAME or --pipeline NAME for the dimension"
        )
    return None


def _summary(report) -> None:
    d = report.dataset
    out.print(
        f"window {report.source}: {d.rows} rows, "
        f"{len(d.drifted_features)}/{d.features} features drifted "
        f"({d.drifted_share * 100:.1f}%, threshold "
        f"{d.drifted_share_threshold * 100:.0f}%)"
    )
    out.print(f"{'feature':<20} {'type':<5} {'PSI':>8} {'JS':>7} {'KS':>7} {'missing':>8}  drift")
    for f in report.features:

        def cell(value, width):
            return f"{value:>{width}.4f}" if value is not None else f"{'n/a':>{width}}"

        out.print(
            f"{f.name[:20]:<20} {f.type[:5]:<5} {cell(f.psi, 8)} {cell(f.js_distance, 7)} "
            f"{cell(f.ks_statistic, 7)} {f.missing_rate * 100:>7.2f}%  "
            f"{'DRIFT' if f.drifted else '-'}"
        )
    out.print(
        f"quality: {d.schema_violations} schema violations, "
        f"{d.out_of_range_rate * 100:.2f}% out of range, "
        f"{d.unseen_rate * 100:.2f}% unseen categories,"
    )
    out.print(
        f"         {d.duplicate_rows} duplicate rows, {d.malformed_records} malformed records"
    )
    for example in d.malformed_examples:
        out.print(f"  malformed: {example}")
    out.print("dataset drift: " + ("yes" if d.dataset_drift else "no"))


def _publish(
    report,
    workload,
    publish: bool,
    s3_report: str | None,
    kms_key_id: str | None,
    region: str | None,
) -> None:
    import boto3

    from obsgov.drift.publish import metric_data, put_metrics, put_report

    with aws_errors():
        if publish:
            data = metric_data(report, workload)
            calls = put_metrics(boto3.client("cloudwatch", region_name=region), data)
            out.print(f"published {len(data)} metrics in {calls} PutMetricData calls")
        if s3_report:
            put_report(boto3.client("s3", region_name=region), s3_report, report, kms_key_id)
            out.print(f"report: {s3_report}")
