"""``obsgov drift``: data-quality and drift checks of inference and pipeline data against a
training baseline."""

from __future__ import annotations

from pathlib import Path

import typer

from obsgov.errors import InputError

from .common import EXIT_INPUT, EXIT_OK, EXIT_VERDICT, aws_errors, command, fail, out
from .output import check_output

app = typer.Typer(
    help="Data drift and data quality of inference and pipeline data against a baseline.",
    no_args_is_help=True,
)


#: What the drift engine needs beyond obsgov's core (pyproject's `drift` extra): the policy gate
#: installs without them.
DRIFT_MODULES = ("numpy", "scipy", "pyarrow", "datasketches")


def require_drift_extra() -> None:
    """Refuse, with the install command, when the `drift` extra is not installed."""
    import importlib.util

    missing = [m for m in DRIFT_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        fail(
            f"obsgov drift needs the drift extra ({', '.join(missing)} not installed): "
            "pip install 'obsgov[drift]'",
            EXIT_INPUT,
        )


def _positive(value: int, option: str) -> None:
    if value < 1:
        raise InputError.single(option, "", f"must be at least 1, got {value}")


_DATA_HELP = (
    "a .parquet, .csv or .jsonl file, a folder of them (partitions), or "
    "s3://bucket/key or s3://bucket/prefix/"
)


@app.command("baseline", short_help="Profile training data into a baseline file.")
@command
def baseline(
    data: str = typer.Option(
        ...,
        "--data",
        metavar="PATH",
        help=f"Training data: {_DATA_HELP}. Read as a stream, at most twice.",
    ),
    output: Path = typer.Option(
        ...,
        "--output",
        "-o",
        "--out",
        metavar="FILE",
        dir_okay=False,
        help="Baseline file to write (JSON).",
    ),
    schema: Path | None = typer.Option(
        None,
        "--schema",
        metavar="YAML",
        dir_okay=False,
        help="Declared schema: feature types (numeric, categorical, timestamp, identifier), "
        "ranges, categories, nullability and drift thresholds. Without it every column is "
        "profiled and types are inferred (CSV codes with leading zeros stay text; "
        "near-unique text or integer IDs become identifiers).",
    ),
    bins: int = typer.Option(
        10,
        "--bins",
        min=1,
        max=1000,
        metavar="N",
        help="Reference quantile bins per numeric feature (PSI, Jensen-Shannon).",
    ),
    max_categories: int = typer.Option(
        200,
        "--max-categories",
        min=1,
        metavar="N",
        help="Categories kept per feature; rarer ones are pooled as 'other' (and still "
        "known by name, so they never count as unseen).",
    ),
    exact_limit: int = typer.Option(
        10_000,
        "--exact-limit",
        min=0,
        metavar="N",
        help="Numeric features with at most N reference values keep them all: KS and "
        "Wasserstein are then exact (scipy's) for windows of up to 100,000 values. "
        "Past either limit they are computed on the grid, with bounds in the report; "
        "nothing is ever sampled.",
    ),
    grid_size: int = typer.Option(
        4096,
        "--grid-size",
        min=1,
        max=1_000_000,
        metavar="N",
        help="Reference quantiles per numeric feature (past --exact-limit) on which "
        "windows are counted exactly; KS is then within about 1/N.",
    ),
) -> None:
    """Profile training data into a baseline: per-feature summary statistics, reference
    quantile bins, a grid of exact counts, category frequencies and the (declared or
    inferred) schema. Memory stays bounded whatever the size of the data.

    Exit 2 on bad input (unreadable or empty data, bad schema YAML, unwritable output).
    """
    require_drift_extra()
    from obsgov.drift.data import open_source
    from obsgov.drift.profile import ProfileSettings, build_baseline
    from obsgov.drift.schema import load_schema
    from obsgov.io import display_path, write_atomic

    _positive(bins, "--bins")
    inputs = [schema] if schema else []
    if not data.startswith("s3://"):
        inputs.append(Path(data))
    check_output(output, "--output", inputs)
    declared = load_schema(schema) if schema else None
    source = open_source(data, "--data")
    result = build_baseline(
        source,
        declared,
        schema_file=display_path(schema) if schema else "--schema",
        settings=ProfileSettings(
            bins=bins, max_categories=max_categories, grid_size=grid_size, exact_limit=exact_limit
        ),
    )
    write_atomic(output, result.to_json())
    kinds: dict[str, int] = {}
    for feature in result.features.values():
        kinds[feature.type] = kinds.get(feature.type, 0) + 1
    described = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
    out.print(
        f"baseline: {result.rows} rows, {len(result.features)} features "
        f"({described}) -> {display_path(output)}"
    )
    for name, feature in result.features.items():
        if feature.type == "identifier" and not result.schema_declared:
            out.print(f"identifier {name}: {feature.reason}; no drift statistics")
    if source.malformed.count:
        out.print(
            f"skipped {source.malformed.count} malformed rows "
            f"(first: {source.malformed.examples[0]})"
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
    data: str = typer.Option(
        ...,
        "--data",
        metavar="PATH",
        help=f"Window to check: {_DATA_HELP}; with --capture, SageMaker data-capture "
        ".jsonl files (a file, a folder or an S3 prefix).",
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
    unseen categories, duplicate rows and columns the baseline lacks; the share of drifted
    features. The window is streamed: memory stays bounded whatever its size.

    Counts, PSI, Jensen-Shannon and chi-square are always exact. KS and Wasserstein are
    exact (scipy's definitions) while the baseline kept every reference value and the
    window has at most 100,000 values of the feature; past that they are computed from
    exact counts on the baseline's grid, and the report gives bounds that always hold.
    Which features drift by default: obsgov.drift.definition (Evidently's rule: tests for
    reference samples of up to 1,000 values, distances above; half of the judged features
    for the dataset).

    Exit 0 no dataset drift; 1 dataset drift; 2 bad input, or a window that cannot be
    judged (no rows, nothing readable); 4 AWS refused or unreachable.
    """
    require_drift_extra()
    from obsgov.drift.capture import read_capture
    from obsgov.drift.data import FrameSource, Source, open_source
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
    inputs = [baseline_file] + ([] if data.startswith("s3://") else [Path(data)])
    for target in reports:
        if target.suffix.lower() not in (".json", ".html", ".htm"):
            raise InputError.single("--report", "", f"{target}: use a .json or .html name")
        check_output(target, "--report", inputs)
    base = load_baseline(baseline_file)
    overrides = load_thresholds(thresholds, set(base.features)) if thresholds else None
    if capture:
        with _LocalCopy(data) as local:
            frame = read_capture(local, base.input_features(), base.output_features())
            if data.startswith("s3://"):
                frame.source = data
        source: Source = FrameSource(frame)
    else:
        source = open_source(data, "--data")
    report = evaluate(base, source, overrides)
    for target in reports:
        if target.suffix.lower() == ".json":
            import json

            write_atomic(target, json.dumps(report.to_dict(), indent=1) + "\n")
        else:
            write_atomic(target, render(report))
    _summary(report)
    for target in reports:
        out.print(f"report: {display_path(target)}")
    if not report.dataset.judged:
        raise InputError.single(
            display_path(Path(data)) if not data.startswith("s3://") else data,
            "",
            _not_judged(report),
        )
    if workload is not None and (publish or s3_report):
        _publish(report, Workload(*workload), publish, s3_report, kms_key_id, region)
    if report.dataset.dataset_drift and fail_on_drift:
        raise typer.Exit(EXIT_VERDICT)
    raise typer.Exit(EXIT_OK)


def _not_judged(report) -> str:
    d = report.dataset
    if d.rows == 0 and d.malformed_records:
        first = d.malformed_examples[0] if d.malformed_examples else ""
        return (
            f"no readable rows: {d.malformed_records} malformed (first: {first}); nothing to judge"
        )
    if d.rows == 0:
        return "has no rows: nothing to judge (an empty window is not a healthy one)"
    return (
        "no feature could be judged (every feature is absent, empty or an identifier "
        "without a new_value_rate threshold)"
    )


class _LocalCopy:
    """A local path for ``data``: itself, or an S3 object or prefix downloaded to a
    temporary folder (data capture is read by file)."""

    def __init__(self, data: str) -> None:
        import tempfile

        self.data = data
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Path:
        if not self.data.startswith("s3://"):
            return Path(self.data)
        import tempfile

        import boto3

        from obsgov.errors import InputError as _InputError

        folder = tempfile.TemporaryDirectory(prefix="obsgov-capture-")
        self._folder = folder
        root = Path(folder.name)
        bucket, _, key = self.data[len("s3://") :].partition("/")
        if not bucket:
            raise _InputError.single("--data", "", f"{self.data}: name a bucket")
        s3 = boto3.client("s3")
        keys = [key] if key and not key.endswith("/") else []
        if not keys:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
                keys.extend(i["Key"] for i in page.get("Contents", []) if i.get("Size", 0) > 0)
        for number, item in enumerate(sorted(keys)):
            s3.download_file(bucket, item, str(root / f"{number:06d}.jsonl"))
        return root if len(keys) != 1 or key.endswith("/") or not key else root / "000000.jsonl"

    def __exit__(self, *exc: object) -> None:
        if self._folder is not None:
            self._folder.cleanup()


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
        f"{len(d.drifted_features)}/{d.features_judged} features drifted "
        f"({d.drifted_share * 100:.1f}%, threshold "
        f"{d.drifted_share_threshold * 100:.0f}%)"
    )
    if d.features_judged < d.features:
        out.print(
            f"{d.features - d.features_judged} features not judged "
            "(identifiers, or no values on one side)"
        )
    if d.extra_columns:
        out.print("columns the baseline lacks (not checked): " + ", ".join(d.extra_columns))
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
    duplicates = f"{d.duplicate_rows}" + ("" if d.duplicate_rows_exact else " (estimated)")
    out.print(f"         {duplicates} duplicate rows, {d.malformed_records} malformed records")
    for example in d.malformed_examples:
        out.print(f"  malformed: {example}")
    gridded = [f.name for f in report.features if f.method == "grid"]
    if gridded:
        out.print(
            f"KS and Wasserstein of {len(gridded)} features from the baseline's grid "
            "(bounds in the JSON report)"
        )
    if not d.judged:
        out.print("dataset drift: not judged")
        return
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
