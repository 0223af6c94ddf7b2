"""Drift engine benchmark: obsgov against Evidently's data-drift preset on the same data.

    .venv/bin/python benchmarks/drift.py --evidently-python /tmp/evidently-venv/bin/python

builds a reference set and a current window (default 1,000,000 rows x 50 features: 35
numeric, 15 categorical), then runs each tool in its own process so peak memory is its own:

* obsgov: load the baseline JSON, read the window's Parquet, compute every statistic
  (PSI, Jensen-Shannon, KS statistic and p-value, Wasserstein, chi-square, missing rates and
  the quality checks, including exact duplicate rows). Building the baseline is timed apart.
* Evidently: read both Parquet files with pandas and run one Report holding four
  DataDriftPreset instances configured with the same statistics (ks + chisquare, psi,
  jensenshannon, wasserstein).

It prints seconds, rows per second and peak RSS for both, and, per statistic both compute,
the largest absolute difference under matching definitions (the table says where obsgov's own
definition differs and how the comparison is matched). Evidently is installed in a separate
venv from benchmarks/requirements-drift.txt; the project venv never imports it.

Only the standard library is imported at the top: the Evidently child runs in the other venv.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NUMERIC, CATEGORICAL = 35, 15
SEED = 20261127


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds() -> float:
    """User + system CPU of this process: on a shared machine wall time measures the
    neighbours too, CPU time much less so."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- data


def generate(workdir: Path, rows: int, reference_rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(SEED)

    def table(n: int, shifted: bool) -> pa.Table:
        columns = {}
        for i in range(NUMERIC):
            drift = shifted and i % 5 == 0  # 7 of 35 numeric features move
            kind = i % 4
            if kind == 0:
                values = rng.normal(0.3 if drift else 0.0, 1.0, n)
            elif kind == 1:
                values = rng.lognormal(0.0, 0.6 if not drift else 0.75, n)
            elif kind == 2:
                values = rng.uniform(0.0, 1.1 if drift else 1.0, n)
            else:  # integer-valued: many ties, the case ECDF code gets wrong
                values = rng.poisson(4.5 if drift else 4.0, n).astype(np.float64)
            columns[f"num_{i:02d}"] = values
        for j in range(CATEGORICAL):
            cardinality = 3 + (j * 37) % 38
            weights = np.random.default_rng(j).dirichlet(np.full(cardinality, 2.0))
            if shifted and j % 4 == 0:  # 4 of 15 categorical features move
                weights = np.roll(weights, 1)
            labels = np.array([f"c{j}_{k}" for k in range(cardinality)])
            columns[f"cat_{j:02d}"] = pa.array(labels[rng.choice(cardinality, n, p=weights)])
        return pa.table(columns)

    pq.write_table(table(reference_rows, False), workdir / "reference.parquet")
    pq.write_table(table(rows, True), workdir / "current.parquet")


# --------------------------------------------------------------------------- obsgov children


def obsgov_baseline(workdir: Path) -> dict:
    from obsgov.drift.data import read_frame
    from obsgov.drift.profile import build_baseline

    started = time.perf_counter()
    frame = read_frame(workdir / "reference.parquet")
    # reference_size=0 keeps every reference value: KS and Wasserstein are then exact
    # two-sample statistics, the definition Evidently (scipy) uses.
    baseline = build_baseline(frame, reference_size=0, bins=10)
    (workdir / "baseline.json").write_text(baseline.to_json())
    return {"seconds": time.perf_counter() - started, "peak_mb": peak_mb()}


def obsgov_run(workdir: Path) -> dict:
    from obsgov.drift.data import read_frame
    from obsgov.drift.engine import evaluate
    from obsgov.drift.profile import load_baseline

    started, cpu = time.perf_counter(), cpu_seconds()
    baseline = load_baseline(workdir / "baseline.json")
    frame = read_frame(workdir / "current.parquet")
    report = evaluate(baseline, frame)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    values = {
        f.name: {
            "psi": f.psi,
            "js_distance": f.js_distance,
            "ks_statistic": f.ks_statistic,
            "ks_pvalue": f.ks_pvalue,
            "wasserstein": f.wasserstein,
            "chi2_pvalue": f.chi2_pvalue,
        }
        for f in report.features
    }
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rows": frame.rows,
        "peak_mb": peak_mb(),
        "values": values,
        "duplicates": report.dataset.duplicate_rows,
    }


def obsgov_matched(workdir: Path) -> dict:
    """obsgov's statistic functions evaluated under Evidently's definitions where they differ
    (binning, zero handling, log base, normalisation, goodness-of-fit chi-square). Not timed."""
    import numpy as np

    from obsgov.drift import stats
    from obsgov.drift.data import numeric_column, read_frame, text_column, value_counts
    from obsgov.drift.profile import bin_counts

    reference = read_frame(workdir / "reference.parquet")
    current = read_frame(workdir / "current.parquet")
    out: dict[str, dict] = {}
    for name in reference.columns:
        if name.startswith("num_"):
            ref = np.sort(numeric_column(reference.columns[name]).values)
            cur = np.sort(numeric_column(current.columns[name]).values)
            if np.unique(ref).size > 20:
                # Evidently: equal-width Sturges bins over reference and current together,
                # histogram semantics (the same as obsgov's interior bins)
                edges = np.histogram_bin_edges(np.concatenate((ref, cur)), bins="sturges")
                ref_counts = bin_counts(ref, edges)[1:-1]
                cur_counts = bin_counts(cur, edges)[1:-1]
            else:
                # ... and one bin per distinct value when the reference has 20 or fewer
                # [k0, k1), ..., [k_last, inf]: one bin per distinct value
                keys = np.append(np.union1d(ref, cur), np.inf)
                ref_counts = bin_counts(ref, keys)[1:-1]
                cur_counts = bin_counts(cur, keys)[1:-1]
            out[name] = {
                "psi": stats.psi_from_shares(
                    *_evidently_fill(ref_counts / ref.size, cur_counts / cur.size)
                ),
                "js_distance": stats.jensen_shannon(ref_counts, cur_counts, base=math.e),
                "wasserstein_norm": stats.two_sample(ref, cur).wasserstein
                / max(float(np.std(ref)), 0.001),
            }
        else:
            ref_names, ref_counts, _ = value_counts(text_column(reference.columns[name]))
            cur_names, cur_counts, _ = value_counts(text_column(current.columns[name]))
            keys = sorted(set(ref_names) | set(cur_names))
            r = dict(zip(ref_names, ref_counts.tolist(), strict=True))
            c = dict(zip(cur_names, cur_counts.tolist(), strict=True))
            rc = np.array([r.get(k, 0) for k in keys], dtype=np.float64)
            cc = np.array([c.get(k, 0) for k in keys], dtype=np.float64)
            out[name] = {
                "psi": stats.psi_from_shares(
                    *_evidently_fill(rc / reference.rows, cc / current.rows)
                ),
                "js_distance": stats.jensen_shannon(rc, cc, base=math.e),
                "chi2_gof_pvalue": stats.chi2_goodness_of_fit(rc, cc),
            }
    return out


def _evidently_fill(reference, current):
    """Evidently's replacement of empty bins (legacy stattests utils.get_binned_data)."""
    import numpy as np

    def fill(shares):
        shares = shares.copy()
        smallest = shares[shares != 0].min()
        shares[shares == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
        return shares

    return fill(np.asarray(reference)), fill(np.asarray(current))


# --------------------------------------------------------------------------- Evidently child


def evidently_run(workdir: Path) -> dict:
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    started, cpu = time.perf_counter(), cpu_seconds()
    reference = pd.read_parquet(workdir / "reference.parquet")
    current = pd.read_parquet(workdir / "current.parquet")
    numeric = [c for c in reference.columns if c.startswith("num_")]
    categorical = [c for c in reference.columns if c.startswith("cat_")]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    ref = Dataset.from_pandas(reference, data_definition=definition)
    cur = Dataset.from_pandas(current, data_definition=definition)
    report = Report(
        [
            DataDriftPreset(num_method="ks", cat_method="chisquare"),
            DataDriftPreset(method="psi"),
            DataDriftPreset(method="jensenshannon"),
            DataDriftPreset(columns=numeric, num_method="wasserstein"),
        ]
    )
    snapshot = report.run(cur, ref)
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


# --------------------------------------------------------------------------- parent


def child(python: str, role: str, workdir: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    # Evidently's usage telemetry calls out over the network; a sandbox without it would
    # time those calls out and bill the wait to Evidently.
    env["DO_NOT_TRACK"] = "1"
    completed = subprocess.run(
        [python, __file__, "--child", role, "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"{role} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def compare(ours: dict, matched: dict, theirs: dict) -> list[tuple[str, str, float, int]]:
    """(statistic, how it was matched, largest absolute difference, features compared)."""
    rows = []

    def worst(pairs):
        diffs = [
            abs(a - b)
            for a, b in pairs
            if a is not None and b is not None and math.isfinite(a) and math.isfinite(b)
        ]
        return (max(diffs) if diffs else float("nan")), len(diffs)

    numeric = [n for n in ours if n.startswith("num_")]
    categorical = [n for n in ours if n.startswith("cat_")]
    specs = [
        (
            "KS p-value (numeric)",
            "same definition (two-sample, full reference)",
            [(ours[n]["ks_pvalue"], theirs[n]["ks"]) for n in numeric],
        ),
        (
            "Wasserstein (numeric)",
            "obsgov raw W / max(std(ref), 0.001) = Evidently's normed",
            [(matched[n]["wasserstein_norm"], theirs[n]["wasserstein"]) for n in numeric],
        ),
        (
            "PSI (numeric)",
            "obsgov PSI on Evidently's Sturges bins and zero fill",
            [(matched[n]["psi"], theirs[n]["psi"]) for n in numeric],
        ),
        (
            "JS distance (numeric)",
            "obsgov JS on Evidently's bins, natural log",
            [(matched[n]["js_distance"], theirs[n]["jensenshannon"]) for n in numeric],
        ),
        (
            "PSI (categorical)",
            "same categories; Evidently's zero fill",
            [(matched[n]["psi"], theirs[n]["psi"]) for n in categorical],
        ),
        (
            "PSI (categorical), engine",
            "obsgov engine as reported (no empty categories here)",
            [(ours[n]["psi"], theirs[n]["psi"]) for n in categorical],
        ),
        (
            "JS distance (categorical)",
            "engine value x sqrt(ln 2): base 2 -> natural log",
            [
                (ours[n]["js_distance"] * math.sqrt(math.log(2)), theirs[n]["jensenshannon"])
                for n in categorical
            ],
        ),
        (
            "chi-square p-value",
            "goodness of fit, as Evidently (obsgov reports homogeneity)",
            [(matched[n]["chi2_gof_pvalue"], theirs[n]["chisquare"]) for n in categorical],
        ),
    ]
    for label, how, pairs in specs:
        diff, count = worst(pairs)
        rows.append((label, how, diff, count))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reference-rows", type=int, default=100_000)
    parser.add_argument(
        "--evidently-python",
        default="/tmp/evidently-venv/bin/python",
        help="Python of the venv holding benchmarks/requirements-drift.txt.",
    )
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        role = {
            "baseline": obsgov_baseline,
            "run": obsgov_run,
            "matched": obsgov_matched,
            "evidently": evidently_run,
        }[args.child]
        print(json.dumps(role(args.workdir)))
        return

    with tempfile.TemporaryDirectory(prefix="obsgov-drift-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        print(
            f"data: {args.rows:,} current rows, {args.reference_rows:,} reference rows, "
            f"{NUMERIC} numeric + {CATEGORICAL} categorical features"
        )
        generate(workdir, args.rows, args.reference_rows)
        base = child(sys.executable, "baseline", workdir)
        print(f"obsgov baseline: {base['seconds']:.2f} s, peak {base['peak_mb']:.0f} MB")
        ours = child(sys.executable, "run", workdir)
        lines = [("obsgov", ours)]
        theirs = None
        if not args.skip_evidently:
            theirs = child(args.evidently_python, "evidently", workdir)
            lines.append(("Evidently", theirs))
        print(
            f"\n{'tool':<10} {'wall s':>8} {'rows/s':>11} {'CPU s':>8} {'rows/CPU s':>11} "
            f"{'peak MB':>8}"
        )
        for label, result in lines:
            print(
                f"{label:<10} {result['seconds']:>8.2f} "
                f"{result['rows'] / result['seconds']:>11,.0f} {result['cpu']:>8.2f} "
                f"{result['rows'] / result['cpu']:>11,.0f} {result['peak_mb']:>8.0f}"
            )
        if theirs is None:
            return
        print(
            f"\nthroughput ratio: {theirs['seconds'] / ours['seconds']:.1f}x wall, "
            f"{theirs['cpu'] / ours['cpu']:.1f}x CPU; "
            f"peak memory ratio: {ours['peak_mb'] / theirs['peak_mb']:.2f}"
        )
        matched = child(sys.executable, "matched", workdir)
        print(f"\n{'statistic':<31} {'max |diff|':>10} {'n':>3}  matched how")
        for label, how, diff, count in compare(ours["values"], matched, theirs["values"]):
            print(f"{label:<31} {diff:>10.2e} {count:>3}  {how}")


if __name__ == "__main__":
    main()
