"""Drift engine benchmark: obsgov against Evidently and against the plain pandas + scipy loop a
user would write, on the same generated data, plus obsgov's bounded-memory and Spark rows.

    python3 -m venv /tmp/evidently-venv
    /tmp/evidently-venv/bin/pip install -r benchmarks/requirements-drift.txt
    .venv/bin/python benchmarks/drift.py --evidently-python /tmp/evidently-venv/bin/python

One run prints one table. It builds a reference set (100,000 rows) and a current window
(default 1,000,000 rows x 50 features: 35 numeric of four shapes, 15 categorical of 3 to 40
values), then runs the three tools, each in its own process so CPU time and peak memory are
its own, in rotating order (obsgov, Evidently, scipy; then Evidently, scipy, obsgov; ...) for
``--repeat`` rounds, and reports the minimum and median of each:

* obsgov: load the baseline JSON, stream the window's Parquet and compute every statistic it
  reports (PSI, Jensen-Shannon, KS statistic and p-value, Wasserstein, chi-square, missing
  rates, the quality checks, exact duplicate rows). Building the baseline is timed apart.
* Evidently (0.7.23, its own virtualenv): one ``ValueDrift`` metric per column and method --
  ks, wasserstein, psi, jensenshannon for numeric columns; chisquare, psi, jensenshannon for
  categorical ones -- so each statistic is computed once, as obsgov computes it once. The
  widget each ValueDrift builds inside its calculation (plotly figures) is switched off for
  the timed call: rendering is not drift detection.
* scipy: the loop a user writes with pandas and scipy (``ks_2samp``, ``wasserstein_distance``,
  PSI and Jensen-Shannon on reference deciles, ``chi2_contingency``, ``duplicated``), reading
  both Parquet files.

Then, unless skipped: the bounded-memory row (obsgov streaming a ``--large-rows`` x 10 window,
default 10,000,000 rows, peak RSS) and the local-Spark row (the Spark job in ``local[2]`` on the
same window: its verdicts against obsgov's, rows per second per core). On a shared machine wall
time measures the neighbours too: compare CPU seconds and ratios within one run.

Only the standard library is imported at the top: the Evidently and scipy children run in the
other venv.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NUMERIC, CATEGORICAL = 35, 15
LARGE_NUMERIC, LARGE_CATEGORICAL = 8, 2
SEED = 20261127


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds() -> float:
    """User + system CPU of this process (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- data


def generate(
    path: Path, rows: int, numeric: int, categorical: int, shifted: bool, seed: int
) -> None:
    """Write ``rows`` rows in 1,000,000-row row groups (never the whole table in memory)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    writer = None
    for start in range(0, rows, 1_000_000):
        n = min(1_000_000, rows - start)
        columns = {}
        for i in range(numeric):
            drift = shifted and i % 5 == 0  # a fifth of the numeric features move
            kind = i % 4
            if kind == 0:
                values = rng.normal(0.3 if drift else 0.0, 1.0, n)
            elif kind == 1:
                values = rng.lognormal(0.0, 0.6 if not drift else 0.75, n)
            elif kind == 2:
                values = rng.uniform(0.0, 1.1 if drift else 1.0, n)
            else:  # integer-valued: many ties
                values = rng.poisson(4.5 if drift else 4.0, n).astype(np.float64)
            columns[f"num_{i:02d}"] = values
        for j in range(categorical):
            cardinality = 3 + (j * 37) % 38
            weights = np.random.default_rng(j).dirichlet(np.full(cardinality, 2.0))
            if shifted and j % 4 == 0:  # a quarter of the categorical features move
                weights = np.roll(weights, 1)
            labels = np.array([f"c{j}_{k}" for k in range(cardinality)])
            columns[f"cat_{j:02d}"] = pa.array(labels[rng.choice(cardinality, n, p=weights)])
        table = pa.table(columns)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


# --------------------------------------------------------------------------- obsgov children


def obsgov_baseline(workdir: Path, window: str) -> dict:
    from obsgov.drift.data import open_source
    from obsgov.drift.profile import build_baseline

    started, cpu = time.perf_counter(), cpu_seconds()
    baseline = build_baseline(open_source(workdir / f"reference-{window}.parquet"))
    (workdir / f"baseline-{window}.json").write_text(baseline.to_json())
    return {
        "seconds": time.perf_counter() - started,
        "cpu": cpu_seconds() - cpu,
        "peak_mb": peak_mb(),
    }


def obsgov_run(workdir: Path, window: str) -> dict:
    from obsgov.drift.data import open_source
    from obsgov.drift.engine import evaluate
    from obsgov.drift.profile import load_baseline

    started, cpu = time.perf_counter(), cpu_seconds()
    baseline = load_baseline(workdir / f"baseline-{window}.json")
    report = evaluate(baseline, open_source(workdir / f"{window}.parquet"))
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rows": report.dataset.rows,
        "peak_mb": peak_mb(),
        "drifted": report.dataset.drifted_features,
        "duplicates": report.dataset.duplicate_rows,
        "values": {
            f.name: {
                "ks_pvalue": f.ks_pvalue,
                "wasserstein_normed": f.wasserstein_normed,
                "method": f.method,
            }
            for f in report.features
        },
    }


def spark_run(workdir: Path, window: str) -> dict:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from obsgov.drift.profile import load_baseline
    from obsgov.drift.spark_job import read_dataframe, spark_session, window_report

    spark = spark_session("obsgov-drift-bench", "local[2]")
    spark.sparkContext.setLogLevel("ERROR")
    baseline = load_baseline(workdir / f"baseline-{window}.json")
    started = time.perf_counter()
    frame, _ = read_dataframe(spark, str(workdir / f"{window}.parquet"))
    report = window_report(spark, baseline, frame, source=window)
    seconds = time.perf_counter() - started
    spark.stop()
    return {
        "seconds": seconds,
        "rows": report.dataset.rows,
        "cores": 2,
        "drifted": report.dataset.drifted_features,
        "duplicates": report.dataset.duplicate_rows,
    }


# --------------------------------------------------------------------------- other children


def evidently_run(workdir: Path, window: str) -> dict:
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift, column_statistics

    # the widget (plotly figures) each ValueDrift builds inside its calculation is rendering,
    # not drift detection: switched off for the timed call
    column_statistics.ValueDriftCalculation._render = lambda self, *args, **kwargs: []

    started, cpu = time.perf_counter(), cpu_seconds()
    reference = pd.read_parquet(workdir / f"reference-{window}.parquet")
    current = pd.read_parquet(workdir / f"{window}.parquet")
    numeric = [c for c in reference.columns if c.startswith("num_")]
    categorical = [c for c in reference.columns if c.startswith("cat_")]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    ref = Dataset.from_pandas(reference, data_definition=definition)
    cur = Dataset.from_pandas(current, data_definition=definition)
    metrics = [
        ValueDrift(column=c, method=m)
        for c in numeric
        for m in ("ks", "wasserstein", "psi", "jensenshannon")
    ] + [
        ValueDrift(column=c, method=m)
        for c in categorical
        for m in ("chisquare", "psi", "jensenshannon")
    ]
    snapshot = Report(metrics).run(cur, ref)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    values: dict[str, dict] = {}
    for metric in snapshot.dict()["metrics"]:
        name = str(metric.get("metric_name", ""))
        if not name.startswith("ValueDrift("):
            continue
        fields = dict(part.split("=", 1) for part in name[len("ValueDrift(") : -1].split(","))
        values.setdefault(fields["column"], {})[fields["method"]] = float(metric["value"])
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rows": len(current),
        "peak_mb": peak_mb(),
        "values": values,
    }


def scipy_run(workdir: Path, window: str) -> dict:
    """The loop a user writes: pandas to read, scipy for the tests, numpy for the bins."""
    import numpy as np
    import pandas as pd
    from scipy import stats
    from scipy.spatial.distance import jensenshannon

    started, cpu = time.perf_counter(), cpu_seconds()
    reference = pd.read_parquet(workdir / f"reference-{window}.parquet")
    current = pd.read_parquet(workdir / f"{window}.parquet")
    results = {}
    for name in reference.columns:
        ref, cur = reference[name], current[name]
        missing = cur.isna().mean() - ref.isna().mean()
        if name.startswith("num_"):
            r, c = ref.dropna().to_numpy(), cur.dropna().to_numpy()
            ks = stats.ks_2samp(r, c)
            w = stats.wasserstein_distance(r, c)
            edges = np.unique(np.quantile(r, np.linspace(0, 1, 11)))
            edges[0], edges[-1] = -np.inf, np.inf
            p = np.histogram(r, edges)[0] / r.size
            q = np.histogram(c, edges)[0] / c.size
            p, q = np.maximum(p, 1e-4), np.maximum(q, 1e-4)
            psi = float(np.sum((q - p) * np.log(q / p)))
            results[name] = (ks.statistic, ks.pvalue, w, psi, jensenshannon(p, q, 2), missing)
        else:
            counts = pd.concat(
                [ref.value_counts(), cur.value_counts()], axis=1, keys=["r", "c"]
            ).fillna(0)
            p = counts["r"].to_numpy() / counts["r"].sum()
            q = counts["c"].to_numpy() / counts["c"].sum()
            chi = stats.chi2_contingency(counts.to_numpy().T)
            pf, qf = np.maximum(p, 1e-4), np.maximum(q, 1e-4)
            psi = float(np.sum((qf - pf) * np.log(qf / pf)))
            results[name] = (chi.pvalue, psi, jensenshannon(p, q, 2), missing)
    duplicates = int(current.duplicated().sum())
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rows": len(current),
        "peak_mb": peak_mb(),
        "duplicates": duplicates,
    }


# --------------------------------------------------------------------------- parent


def child(python: str, role: str, workdir: Path, window: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    # Evidently's usage telemetry calls out over the network; a sandbox without it would
    # time those calls out and bill the wait to Evidently.
    env["DO_NOT_TRACK"] = "1"
    completed = subprocess.run(
        [python, __file__, "--child", role, "--workdir", str(workdir), "--window", window],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"{role} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def summary(runs: list[dict], key: str) -> tuple[float, float]:
    values = [r[key] for r in runs]
    return min(values), statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reference-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--large-rows", type=int, default=10_000_000)
    parser.add_argument(
        "--evidently-python",
        default="/tmp/evidently-venv/bin/python",
        help="Python of the venv holding benchmarks/requirements-drift.txt (runs Evidently "
        "and the scipy loop).",
    )
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--window", default="current", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        role = {
            "baseline": obsgov_baseline,
            "obsgov": obsgov_run,
            "spark": spark_run,
            "evidently": evidently_run,
            "scipy": scipy_run,
        }[args.child]
        print(json.dumps(role(args.workdir, args.window)))
        return

    with tempfile.TemporaryDirectory(prefix="obsgov-drift-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        load = os.getloadavg()
        print(
            f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} "
            f"{load[2]:.1f} at the start (shared with other jobs)"
        )
        print(
            f"data: {args.rows:,} current rows x {NUMERIC + CATEGORICAL} features "
            f"({NUMERIC} numeric, {CATEGORICAL} categorical) against "
            f"{args.reference_rows:,} reference rows; {args.repeat} rounds"
        )
        generate(
            workdir / "reference-current.parquet",
            args.reference_rows,
            NUMERIC,
            CATEGORICAL,
            False,
            SEED,
        )
        generate(workdir / "current.parquet", args.rows, NUMERIC, CATEGORICAL, True, SEED + 1)
        base = child(sys.executable, "baseline", workdir, "current")
        tools = [
            ("obsgov", sys.executable, "obsgov"),
            ("scipy loop", args.evidently_python, "scipy"),
        ]
        if not args.skip_evidently:
            tools.insert(1, ("Evidently 0.7.23", args.evidently_python, "evidently"))
        runs: dict[str, list[dict]] = {label: [] for label, _, _ in tools}
        for round_number in range(args.repeat):
            order = tools[round_number % len(tools) :] + tools[: round_number % len(tools)]
            for label, python, role in order:
                result = child(python, role, workdir, "current")
                runs[label].append(result)
                print(
                    f"  round {round_number + 1}: {label:<17} {result['cpu']:8.2f} CPU s",
                    flush=True,
                )
        floor = summary(runs["scipy loop"], "cpu")[1]
        print(
            "\n| tool | wall s min | wall s median | CPU s min | CPU s median | rows/CPU s "
            "(median) | peak MB | CPU vs scipy loop |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for label, _, _ in tools:
            wall = summary(runs[label], "seconds")
            cpu = summary(runs[label], "cpu")
            rows = runs[label][0]["rows"]
            peak = max(r["peak_mb"] for r in runs[label])
            print(
                f"| {label} | {wall[0]:.2f} | {wall[1]:.2f} | {cpu[0]:.2f} | {cpu[1]:.2f} | "
                f"{rows / cpu[1]:,.0f} | {peak:,.0f} | {floor / cpu[1]:.2f}x |"
            )
        print(
            f"| obsgov baseline (100k reference rows, once) | {base['seconds']:.2f} | | "
            f"{base['cpu']:.2f} | | | {base['peak_mb']:,.0f} | |"
        )
        same = runs["obsgov"][0]["duplicates"] == runs["scipy loop"][0]["duplicates"]
        print(
            f"\nduplicate rows: obsgov {runs['obsgov'][0]['duplicates']}, scipy loop "
            f"{runs['scipy loop'][0]['duplicates']} ({'equal' if same else 'DIFFERENT'})"
        )
        if not args.skip_evidently:
            agreement(runs["obsgov"][0], runs["Evidently 0.7.23"][0])
        if args.skip_large:
            return
        print(
            f"\nlarge window: {args.large_rows:,} rows x {LARGE_NUMERIC + LARGE_CATEGORICAL} "
            f"features ({LARGE_NUMERIC} numeric, {LARGE_CATEGORICAL} categorical)"
        )
        generate(
            workdir / "reference-large.parquet",
            args.reference_rows,
            LARGE_NUMERIC,
            LARGE_CATEGORICAL,
            False,
            SEED + 2,
        )
        generate(
            workdir / "large.parquet",
            args.large_rows,
            LARGE_NUMERIC,
            LARGE_CATEGORICAL,
            True,
            SEED + 3,
        )
        child(sys.executable, "baseline", workdir, "large")
        streamed = child(sys.executable, "obsgov", workdir, "large")
        print("| run | wall s | CPU s | rows/s | peak MB | drifted features |")
        print("|---|---:|---:|---:|---:|---|")
        print(
            f"| obsgov streaming | {streamed['seconds']:.2f} | {streamed['cpu']:.2f} | "
            f"{streamed['rows'] / streamed['seconds']:,.0f} | {streamed['peak_mb']:,.0f} | "
            f"{len(streamed['drifted'])} |"
        )
        if not args.skip_spark:
            spark = child(sys.executable, "spark", workdir, "large")
            per_core = spark["rows"] / spark["seconds"] / spark["cores"]
            equal = (
                spark["drifted"] == streamed["drifted"]
                and spark["duplicates"] == streamed["duplicates"]
            )
            print(
                f"| Spark local[{spark['cores']}] | {spark['seconds']:.2f} | (JVM + workers) | "
                f"{per_core:,.0f} per core | | {len(spark['drifted'])} "
                f"({'same verdicts' if equal else 'DIFFERENT verdicts'}) |"
            )
        load = os.getloadavg()
        print(f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


def agreement(ours: dict, theirs: dict) -> None:
    """Where obsgov and Evidently compute the same statistic: the largest difference."""
    import math

    ks = [
        abs(ours["values"][n]["ks_pvalue"] - theirs["values"][n]["ks"])
        for n in ours["values"]
        if n.startswith("num_") and ours["values"][n]["method"] == "exact"
    ]
    wass = [
        abs(ours["values"][n]["wasserstein_normed"] - theirs["values"][n]["wasserstein"])
        / max(theirs["values"][n]["wasserstein"], 1e-12)
        for n in ours["values"]
        if n.startswith("num_") and ours["values"][n]["wasserstein_normed"] is not None
    ]
    methods = {ours["values"][n]["method"] for n in ours["values"] if n.startswith("num_")}
    print(
        f"normed Wasserstein, obsgov ({'/'.join(sorted(methods))}) vs Evidently: largest "
        f"relative difference {max(wass) if wass else math.nan:.2e} over {len(wass)} features"
    )
    if ks:
        print(f"KS p-value (exact on both sides): largest difference {max(ks):.2e}")


if __name__ == "__main__":
    main()
