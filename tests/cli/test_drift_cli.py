"""``obsgov drift``: exit codes, reports, bad input worded with its file or option."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from obsgov.cli.drift import app
from obsgov.drift.capture import capture_record

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def files(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(11)
    n = 3000
    pq.write_table(
        pa.table(
            {
                "age": rng.normal(40, 8, n),
                "income": rng.gamma(3, 1e4, n),
                "plan": pa.array(rng.choice(["basic", "pro"], n)),
            }
        ),
        "train.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "age": rng.normal(40, 8, 1000),
                "income": rng.gamma(3, 1e4, 1000),
                "plan": pa.array(rng.choice(["basic", "pro"], 1000)),
            }
        ),
        "same.parquet",
    )
    with open("drifted.csv", "w") as handle:
        handle.write("age,income,plan\n")
        for _ in range(1000):
            handle.write(
                f"{rng.normal(55, 8):.3f},{rng.gamma(3, 2e4):.2f},"
                f"{rng.choice(['basic', 'pro', 'team'])}\n"
            )
        handle.write("1,2\n")  # one field short
    Path("schema.yaml").write_text(
        "features:\n"
        "  age: {type: numeric, min: 0, max: 120, nullable: false}\n"
        "  income: {type: numeric, min: 0}\n"
        "  plan: {type: categorical, categories: [basic, pro, team]}\n"
        "thresholds:\n  defaults: {psi: 0.25}\n"
    )
    result = invoke(
        "baseline", "--data", "train.parquet", "--schema", "schema.yaml", "--out", "baseline.json"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "baseline: 3000 rows, 3 features (2 numeric, 1 categorical) -> baseline.json\n"
    )
    return tmp_path


def test_same_distribution_passes(files):
    result = invoke("run", "--baseline", "baseline.json", "--data", "same.parquet")
    assert result.exit_code == 0, result.output
    assert "dataset drift: no" in result.stdout
    assert all(len(line) <= 80 for line in result.stdout.splitlines())


def test_drift_is_a_verdict_and_reports_are_written(files):
    result = invoke(
        "run",
        "--baseline",
        "baseline.json",
        "--data",
        "drifted.csv",
        "--report",
        "r.json",
        "--report",
        "r.html",
    )
    assert result.exit_code == 1, result.output
    assert "dataset drift: yes" in result.stdout
    assert "  malformed: a row: expected 3 fields, found 2" in result.stdout
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    report = json.loads(Path("r.json").read_text())
    assert report["dataset"]["malformed_records"] == 1
    assert report["dataset"]["drifted_features"] == ["age", "income", "plan"]
    plan = report["features"][2]
    assert plan["unseen_examples"].keys() == {"team"}
    assert plan["schema_violations"] == 0
    assert Path("r.html").read_text().count('<section class="feature"') == 3
    quiet = invoke(
        "run", "--baseline", "baseline.json", "--data", "drifted.csv", "--no-fail-on-drift"
    )
    assert quiet.exit_code == 0


def test_thresholds_file_overrides_the_baseline(files):
    Path("loose.yaml").write_text(
        "defaults: {psi: 100, js_distance: 1, wasserstein_normed: 100, missing_rate_change: 1}\n"
    )
    result = invoke(
        "run", "--baseline", "baseline.json", "--data", "drifted.csv", "--thresholds", "loose.yaml"
    )
    assert result.exit_code == 0, result.output


def test_capture_input(files):
    lines = [capture_record(f"{40 + i % 7},{30000 + i},basic", None) for i in range(50)]
    lines.insert(3, "{oops")
    Path("capture.jsonl").write_text("\n".join(lines) + "\n")
    result = invoke(
        "run",
        "--baseline",
        "baseline.json",
        "--data",
        "capture.jsonl",
        "--capture",
        "--report",
        "c.json",
        "--no-fail-on-drift",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(Path("c.json").read_text())
    assert report["dataset"]["rows"] == 50
    assert report["dataset"]["malformed_records"] == 1
    assert report["dataset"]["malformed_examples"] == [
        "capture.jsonl line 4: not JSON (Expecting property name enclosed in double quotes)"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["baseline", "--data", "nope.parquet", "--out", "b.json"], "nope.parquet: file not found"),
        (
            ["baseline", "--data", "train.txt", "--out", "b.json"],
            "--data: train.txt: cannot tell the format from the name; use .parquet, .csv or .jsonl",
        ),
        (
            ["baseline", "--data", "train.parquet", "--out", "train.parquet"],
            "--output: train.parquet is one of this command's inputs (train.parquet); it would be "
            "overwritten",
        ),
        (
            ["run", "--baseline", "train.parquet", "--data", "same.parquet"],
            "train.parquet: is not an obsgov drift baseline (not UTF-8 text; run `obsgov drift "
            "baseline`)",
        ),
        (
            ["run", "--baseline", "schema.yaml", "--data", "same.parquet"],
            "schema.yaml: line 1: not valid JSON (Expecting value)",
        ),
        (
            ["run", "--baseline", "baseline.json", "--data", "same.parquet", "--publish"],
            "--publish: needs --endpoint NAME or --pipeline NAME for the dimension",
        ),
        (
            ["run", "--baseline", "baseline.json", "--data", "same.parquet", "--report", "r.txt"],
            "--report: r.txt: use a .json or .html name",
        ),
        (
            [
                "run",
                "--baseline",
                "baseline.json",
                "--data",
                "same.parquet",
                "--endpoint",
                "e",
                "--s3-report",
                "s3://bucket",
            ],
            "--s3-report: s3://bucket needs a bucket and a key: s3://bucket/key",
        ),
    ],
)
def test_bad_input_exits_2_with_the_place_named(files, args, message):
    Path("train.txt").write_text("x\n")
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: 1 problem found:\n  {message}\n"


def test_unreadable_parquet_exits_2(files):
    Path("broken.parquet").write_bytes(b"PAR1 not really")
    result = invoke("baseline", "--data", "broken.parquet", "--out", "b.json")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: 1 problem found:\n  broken.parquet: cannot be read as Parquet ("
    )
    assert not Path("b.json").exists()


def test_bad_schema_lists_every_problem(files):
    Path("bad.yaml").write_text(
        "features:\n"
        "  age: {type: numbr}\n"
        "  plan: {type: categorical, categories: [a, a], colour: red}\n"
        "thresholds:\n  defaults: {psi: -1}\n"
    )
    result = invoke(
        "baseline", "--data", "train.parquet", "--schema", "bad.yaml", "--out", "b.json"
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "error: 4 problems found:\n"
        "  bad.yaml: features.age.type: must be one of numeric, categorical, timestamp, "
        "identifier\n"
        "  bad.yaml: features.plan.categories: lists a category twice\n"
        "  bad.yaml: features.plan.colour: is not a known key\n"
        "  bad.yaml: thresholds.defaults.psi: must be greater than or equal to 0\n"
    )


def test_unknown_feature_in_thresholds_file(files):
    Path("t.yaml").write_text("features: {agee: {psi: 0.1}}\n")
    result = invoke(
        "run", "--baseline", "baseline.json", "--data", "same.parquet", "--thresholds", "t.yaml"
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "error: 1 problem found:\n  t.yaml: features.agee: is not a feature of the baseline\n"
    )


def test_tampered_baseline_is_refused(files):
    document = json.loads(Path("baseline.json").read_text())
    document["features"]["age"]["reference_count"] = 7
    document["features"]["plan"]["counts"] = "many"
    Path("tampered.json").write_text(json.dumps(document))
    result = invoke("run", "--baseline", "tampered.json", "--data", "same.parquet")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: 1 problem found:\n  tampered.json: features.plan.counts: must be a valid list\n"
    )


def test_publish_to_cloudwatch_and_s3(files, monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="reports")
        result = invoke(
            "run",
            "--baseline",
            "baseline.json",
            "--data",
            "drifted.csv",
            "--publish",
            "--endpoint",
            "churn-prod",
            "--region",
            "us-east-1",
            "--s3-report",
            "s3://reports/churn/latest.json",
        )
        assert result.exit_code == 1, result.output
        assert "published 22 metrics in 1 PutMetricData calls" in result.stdout
        metrics = boto3.client("cloudwatch", region_name="us-east-1").list_metrics(
            Namespace="Obsgov/DataQuality", MetricName="DriftedFeatureShare"
        )["Metrics"]
        assert metrics[0]["Dimensions"] == [{"Name": "Endpoint", "Value": "churn-prod"}]
        body = (
            boto3.client("s3", region_name="us-east-1")
            .get_object(Bucket="reports", Key="churn/latest.json")["Body"]
            .read()
        )
        assert json.loads(body)["dataset"]["rows"] == 1000


def test_publish_failure_is_exit_4(files, monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        result = invoke(
            "run",
            "--baseline",
            "baseline.json",
            "--data",
            "same.parquet",
            "--endpoint",
            "e",
            "--region",
            "us-east-1",
            "--s3-report",
            "s3://no-such-bucket/r.json",
        )
    assert result.exit_code == 4
    assert result.stderr.startswith("error: AWS refused PutObject: NoSuchBucket: ")


@pytest.mark.parametrize("path", [["drift"], ["drift", "run"], ["drift", "baseline"]])
def test_help_fits_80_columns_with_named_metavars(path):
    """Registered the way obsgov/cli/app.py registers command groups."""
    import re

    import typer

    from obsgov.cli.common import WrappingGroup

    root = typer.Typer(
        name="obsgov",
        cls=WrappingGroup,
        add_completion=False,
        rich_markup_mode=None,
        context_settings={"max_content_width": 80},
    )

    @root.callback()
    def _root() -> None:
        pass

    root.add_typer(app, name="drift")
    result = CliRunner().invoke(root, [*path, "--help"], terminal_width=80, env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert [line for line in result.output.splitlines() if len(line) > 80] == []
    assert not re.search(r"<[a-z ]+>", result.output), "a metavar shows a Python type"
    assert not re.search(r"\.\.\.$", result.output.split("\n", 1)[1], re.MULTILINE)


# --------------------------------------------------------------------------- issues 31 and 33


def _error(result) -> str:
    assert "Traceback" not in result.output
    return result.stderr


def test_int64_past_2_53_makes_a_baseline(files):
    """Issue 31: `drift baseline` crashed with exit 3 on an int64 above 2**53."""
    pq.write_table(
        pa.table({"order_id": pa.array([2**60 + i for i in range(100)]), "x": np.arange(100.0)}),
        "ids.parquet",
    )
    result = invoke("baseline", "--data", "ids.parquet", "--out", "ids.json")
    assert result.exit_code == 0, result.output
    assert "identifier order_id: integers past 2**53" in result.stdout


def test_csv_with_a_column_named_twice_exits_2(files):
    """Issue 33: exit 3 before."""
    Path("dup.csv").write_text("age,age,plan\n1,2,basic\n")
    result = invoke("run", "--baseline", "baseline.json", "--data", "dup.csv")
    assert result.exit_code == 2
    assert _error(result) == (
        "error: 1 problem found:\n  dup.csv: line 1: names column 'age' twice "
        "(columns 1 and 2); rename one\n"
    )


def test_header_only_csv_baseline_exits_2(files):
    """Issue 33: exit 0 before, with a baseline of nothing."""
    Path("empty.csv").write_text("age,income,plan\n")
    result = invoke("baseline", "--data", "empty.csv", "--out", "b.json")
    assert result.exit_code == 2
    assert _error(result) == (
        "error: 1 problem found:\n  empty.csv: has no data rows: a baseline needs training data\n"
    )
    assert not Path("b.json").exists()


def test_an_empty_window_is_not_judged_healthy(files):
    """Issue 33: an empty drift window exited 0 ("no drift")."""
    Path("empty.csv").write_text("age,income,plan\n")
    result = invoke(
        "run", "--baseline", "baseline.json", "--data", "empty.csv", "--report", "e.json"
    )
    assert result.exit_code == 2
    assert "dataset drift: not judged" in result.stdout
    assert _error(result) == (
        "error: 1 problem found:\n  empty.csv: has no rows: nothing to judge (an empty "
        "window is not a healthy one)\n"
    )
    assert json.loads(Path("e.json").read_text())["dataset"]["status"] == "not_judged"


def test_an_unreadable_window_is_not_judged_healthy(files):
    """Issue 33: a window of only malformed records exited 0."""
    Path("bad.jsonl").write_text("{oops\n[1, 2]\n")
    result = invoke("run", "--baseline", "baseline.json", "--data", "bad.jsonl")
    assert result.exit_code == 2
    assert _error(result) == (
        "error: 1 problem found:\n  bad.jsonl: no readable rows: 2 malformed (first: "
        "line 1: not JSON (Expecting property name enclosed in double quotes)); nothing "
        "to judge\n"
    )


def test_a_latin1_window_names_the_file_and_line(files):
    """Issue 33: a Latin-1 CSV (b'Jos\\xe9') exited 0."""
    Path("latin1.csv").write_bytes(b"age,income,plan\n40,30000,basic\n41,31000,Jos\xe9\n")
    result = invoke("run", "--baseline", "baseline.json", "--data", "latin1.csv")
    assert result.exit_code == 2
    assert _error(result) == (
        "error: 1 problem found:\n  latin1.csv: line 3: is not UTF-8 text (byte 0xe9 at "
        "column 13); save the file as UTF-8 (it may be Latin-1 or Windows-1252)\n"
    )


def test_a_baseline_with_nan_statistics_exits_2(files):
    """Issue 33: a baseline with NaN statistics was used."""
    text = Path("baseline.json").read_text()
    document = json.loads(text)
    document["features"]["age"]["summary"]["std"] = "NaN"
    Path("nan.json").write_text(json.dumps(document).replace('"NaN"', "NaN"))
    result = invoke("run", "--baseline", "nan.json", "--data", "same.parquet")
    assert result.exit_code == 2
    assert _error(result) == (
        "error: 1 problem found:\n  nan.json: features.age.summary.std: must be a finite number\n"
    )


def test_extra_columns_are_named(files):
    """Issue 31: extra columns in a window were ignored without a word."""
    table = pq.read_table("same.parquet").append_column("coupon", pa.array(["x"] * 1000))
    pq.write_table(table, "extra.parquet")
    result = invoke("run", "--baseline", "baseline.json", "--data", "extra.parquet")
    assert result.exit_code == 0, result.output
    assert "columns the baseline lacks (not checked): coupon" in result.stdout


def test_schemaless_csv_baseline_keeps_zip_codes_as_text(files):
    """Issue 31: a schema-less CSV baseline turned ZIP codes into numbers."""
    Path("zips.csv").write_text("zip,x\n" + "".join(f"0{2100 + i % 7},{i}\n" for i in range(60)))
    result = invoke("baseline", "--data", "zips.csv", "--out", "zips.json")
    assert result.exit_code == 0, result.output
    document = json.loads(Path("zips.json").read_text())
    assert document["features"]["zip"]["type"] == "categorical"
    assert "02100" in document["features"]["zip"]["categories"]


def test_data_from_s3_is_read_not_mangled(files, monkeypatch):
    """Issue 31: `drift run --data s3://...` turned the URI into a local path (s3:/...)."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="lake")
        s3.upload_file("same.parquet", "lake", "windows/day=1/part-0.parquet")
        s3.upload_file("same.parquet", "lake", "windows/day=2/part-0.parquet")
        s3.put_object(Bucket="lake", Key="windows/_SUCCESS", Body=b"")
        one = invoke(
            "run", "--baseline", "baseline.json", "--data", "s3://lake/windows/day=1/part-0.parquet"
        )
        prefix = invoke(
            "run",
            "--baseline",
            "baseline.json",
            "--data",
            "s3://lake/windows/",
            "--report",
            "p.json",
        )
        missing = invoke("run", "--baseline", "baseline.json", "--data", "s3://lake/nothing/")
    assert one.exit_code == 0, one.output
    assert "window s3://lake/windows/day=1/part-0.parquet: 1000 rows" in one.stdout
    assert prefix.exit_code == 0, prefix.output
    assert json.loads(Path("p.json").read_text())["dataset"]["rows"] == 2000
    assert missing.exit_code == 2
    assert _error(missing) == (
        "error: 1 problem found:\n  --data: s3://lake/nothing/: no .parquet, .csv or .jsonl "
        "object under that prefix\n"
    )


def test_help_says_which_statistics_are_exact():
    """Issue 31: --help said "exact" while KS and Wasserstein came from a 10,000-value
    sample. Now nothing is sampled, and the help says when the grid (with bounds) is used."""

    def flat(command: str) -> str:
        text = runner.invoke(app, [command, "--help"], terminal_width=80).output
        return " ".join(text.replace("│", " ").split())

    assert "KS and Wasserstein are exact (scipy's definitions) while the baseline kept" in flat(
        "run"
    )
    assert "the report gives bounds that always hold" in flat("run")
    assert "nothing is ever sampled" in flat("baseline")
    assert "--reference-size" not in flat("baseline")
