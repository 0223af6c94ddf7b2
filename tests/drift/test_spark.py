"""The Spark job (AWS Glue 5.0 / EMR Serverless) gives the single-machine engine's verdicts and
statistics: run with pyspark in local mode on generated, partitioned data.

Java comes from the machine (.ci/run installs Debian's default-jre-headless when `java` is
missing). One local session serves the module, so the JVM starts once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from obsgov.drift.data import open_source
from obsgov.drift.engine import evaluate
from obsgov.drift.profile import (
    CategoricalProfile,
    NumericProfile,
    ProfileSettings,
    build_baseline,
    parse_baseline,
)
from obsgov.drift.spark_job import baseline_from_spark, main, read_dataframe, window_report

NOW = dt.datetime(2026, 11, 27, 6, 0, tzinfo=dt.timezone.utc)
START = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # executors run this interpreter, which imports obsgov
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("obsgov-drift-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "8192")
        .getOrCreate()
    )
    yield session
    session.stop()


def table(rng: np.random.Generator, n: int, shifted: bool, offset: int) -> pa.Table:
    stamps = [
        START + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 20_000 + 3_000 * shifted, n)
    ]
    amount = rng.lognormal(0.2 if shifted else 0.0, 0.8, n)
    amount[rng.random(n) < 0.01] = np.nan
    plans = np.array(["basic", "pro", "team", "enterprise"])
    weights = [0.25, 0.25, 0.25, 0.25] if shifted else [0.4, 0.3, 0.2, 0.1]
    plan = plans[rng.choice(4, n, p=weights)].astype(object)
    if shifted:
        plan[rng.random(n) < 0.02] = "trial"  # unseen
    return pa.table(
        {
            "age": rng.normal(40, 8, n),
            "amount": amount,
            "visits": rng.poisson(3.5 if shifted else 3.0, n).astype(np.int64),
            "plan": pa.array(plan, pa.string()),
            "seen_at": pa.array(stamps, pa.timestamp("us", tz="UTC")),
            "session_id": pa.array([f"s-{offset + i:09d}" for i in range(n)]),
        }
    )


def write_parts(folder, data: pa.Table, parts: int) -> None:
    folder.mkdir()
    step = -(-data.num_rows // parts)
    for index in range(parts):
        pq.write_table(data.slice(index * step, step), folder / f"part-{index:03d}.parquet")


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("lake")
    rng = np.random.default_rng(31)
    write_parts(root / "train", table(rng, 40_000, False, 0), 4)
    same = table(rng, 30_000, False, 20_000)
    # a few exact duplicate rows, which Spark counts with distinct()
    same = pa.concat_tables([same, same.slice(0, 25)])
    write_parts(root / "same", same, 3)
    write_parts(root / "drifted", table(rng, 30_000, True, 40_000), 3)
    return root


def assert_same_report(local, spark_report):
    a, b = local.to_dict(), spark_report.to_dict()
    assert b["dataset"]["status"] == a["dataset"]["status"]
    assert b["dataset"]["drifted_features"] == a["dataset"]["drifted_features"]
    for key in ("rows", "features_judged", "unseen", "out_of_range", "schema_violations"):
        assert b["dataset"][key] == a["dataset"][key], key
    assert b["dataset"]["duplicate_rows"] == a["dataset"]["duplicate_rows"]
    for mine, theirs in zip(a["features"], b["features"], strict=True):
        for key, value in mine.items():
            if key in ("thresholds", "drift_reasons", "bins", "unseen_examples", "note"):
                assert theirs[key] == value, (mine["name"], key)
            elif isinstance(value, float) or (
                isinstance(value, list) and value and isinstance(value[0], float)
            ):
                # the same counts; sums differ only by the order of additions
                assert theirs[key] == pytest.approx(value, rel=1e-9, abs=1e-12), (mine["name"], key)
            else:
                assert theirs[key] == value, (mine["name"], key)


@pytest.mark.parametrize("window", ["same", "drifted"])
def test_the_spark_job_equals_the_single_machine_engine(spark, lake, window):
    baseline = build_baseline(
        open_source(lake / "train"), settings=ProfileSettings(exact_limit=5_000)
    )
    assert baseline.features["session_id"].type == "identifier"
    assert baseline.features["seen_at"].type == "timestamp"
    local = evaluate(baseline, open_source(lake / window), now=NOW, exact_limit=1_000)
    frame, _ = read_dataframe(spark, str(lake / window))
    assert frame.rdd.getNumPartitions() >= 2  # the merge is exercised
    distributed = window_report(
        spark, baseline, frame, source=local.source, now=NOW, exact_limit=1_000
    )
    assert {f.method for f in local.features if f.type in ("numeric", "timestamp")} == {"grid"}
    assert_same_report(local, distributed)
    if window == "same":
        assert local.dataset.status == "no_drift"
        assert local.dataset.duplicate_rows == 25
    else:
        assert local.dataset.drifted_features == ["amount", "visits", "plan", "seen_at"]


def test_a_baseline_built_on_spark_matches_within_the_documented_bounds(spark, lake):
    local = build_baseline(
        open_source(lake / "train"), settings=ProfileSettings(exact_limit=5_000), created=NOW
    )
    frame, untyped = read_dataframe(spark, str(lake / "train"))
    distributed = baseline_from_spark(
        spark,
        frame,
        source=local.source,
        untyped=untyped,
        settings=ProfileSettings(exact_limit=5_000),
        created=NOW,
    )
    assert list(distributed.features) == list(local.features)
    for name, mine in local.features.items():
        theirs = distributed.features[name]
        assert theirs.type == mine.type, name
        assert (theirs.rows, theirs.missing) == (mine.rows, mine.missing), name
        if mine.type in ("numeric", "timestamp"):
            assert isinstance(mine, NumericProfile)
            assert isinstance(theirs, NumericProfile)
            assert theirs.values == mine.values
            assert theirs.summary.mean == pytest.approx(mine.summary.mean, rel=1e-12)
            assert theirs.summary.std == pytest.approx(mine.summary.std, rel=1e-9)
            assert (theirs.summary.min, theirs.summary.max) == (mine.summary.min, mine.summary.max)
            # quantile sketches merged in another order: both within the rank error of truth
            bound = 2 * max(mine.summary.quantile_rank_error, theirs.summary.quantile_rank_error)
            values = np.sort(
                pq.read_table(lake / "train").column(name).to_numpy(zero_copy_only=False)
            )
            if mine.type == "timestamp":
                values = values.astype("datetime64[us]").astype(np.int64) / 1e6
            values = np.sort(values[np.isfinite(values)])
            for key, quantile in theirs.summary.quantiles.items():
                # with ties a value covers a range of ranks
                below = np.searchsorted(values, quantile, side="left") / values.size
                upto = np.searchsorted(values, quantile, side="right") / values.size
                level = int(key[1:]) / 100
                assert below - bound <= level <= upto + bound, (name, key)
        elif mine.type == "categorical":
            assert isinstance(mine, CategoricalProfile)
            assert isinstance(theirs, CategoricalProfile)
            assert (theirs.categories, theirs.counts) == (mine.categories, mine.counts)
    # the verdicts on a window agree whichever baseline judges it
    window = open_source(lake / "drifted")
    assert (
        evaluate(distributed, window, now=NOW).dataset.drifted_features
        == evaluate(local, window, now=NOW).dataset.drifted_features
    )


def test_the_entry_point_runs_both_jobs_and_writes_their_files(spark, lake, tmp_path):
    out = tmp_path / "baseline.json"
    done = main(
        [
            "baseline",
            "--data",
            str(lake / "train"),
            "--out",
            str(out),
            "--JOB_NAME",
            "glue-adds-this",
        ],
        spark=spark,
        now=NOW,
    )
    assert done == {"baseline": str(out), "rows": 40_000, "features": 6}
    baseline = parse_baseline(out.read_text(), "baseline.json")
    assert baseline.created == "2026-11-27T06:00:00+00:00"
    # a CSV window: text columns typed exactly as the single-machine engine types them
    csv = tmp_path / "window.csv"
    rows = pq.read_table(lake / "drifted").slice(0, 2_000)
    csv.write_text(
        "age,amount,plan\n"
        + "".join(
            f"{a:.6f},{'' if m is None or m != m else f'{m:.6f}'},{p}\n"
            for a, m, p in zip(
                rows.column("age").to_pylist(),
                rows.column("amount").to_pylist(),
                rows.column("plan").to_pylist(),
                strict=True,
            )
        )
    )
    reports = tmp_path / "reports"
    done = main(
        [
            "run",
            "--baseline",
            str(out),
            "--data",
            str(csv),
            "--format",
            "csv",
            "--report",
            f"{reports}/",
        ],
        spark=spark,
        now=NOW,
    )
    written = reports / "2026/11/27/060000.json"
    assert done["report"] == str(written)
    assert done["rows"] == 2_000
    report = json.loads(written.read_text())
    local = evaluate(baseline, open_source(csv), now=NOW)
    assert report["dataset"]["drifted_features"] == local.dataset.drifted_features
    assert report["dataset"]["status"] == local.dataset.status
    absent = {f["name"] for f in report["features"] if f["absent"]}
    assert absent == {"visits", "seen_at", "session_id"}
