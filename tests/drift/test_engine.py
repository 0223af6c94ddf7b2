"""Baselines and drift runs on awkward data: every case counted and reported, none fatal;
the defects of issue 31 pinned one by one."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats as sps

from obsgov.drift import data as drift_data
from obsgov.drift import definition
from obsgov.drift.data import Frame, FrameSource
from obsgov.drift.engine import evaluate, feature_thresholds
from obsgov.drift.profile import (
    CategoricalProfile,
    GridPass,
    NumericProfile,
    ProfileSettings,
    ReferencePass,
    build_baseline,
    finalize_baseline,
    needs_grid_pass,
    parse_baseline,
    plan_features,
)
from obsgov.drift.schema import FeatureSpec, SchemaFile, ThresholdConfig
from obsgov.errors import InputError

NOW = dt.datetime(2026, 11, 27, 6, 0, tzinfo=dt.timezone.utc)


def frame(source="window", **columns) -> Frame:
    return Frame.from_table(pa.table(columns), source)


@pytest.fixture
def training():
    rng = np.random.default_rng(7)
    n = 4000
    return frame(
        "train.parquet",
        x=rng.normal(10, 2, n),
        k=pa.array(rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])),
        c=np.full(n, 5.0),
    )


def roundtrip(baseline):
    return parse_baseline(baseline.to_json(), "baseline.json")


def numeric(baseline, name) -> NumericProfile:
    profile = baseline.features[name]
    assert isinstance(profile, NumericProfile), name
    return profile


def categorical(baseline, name) -> CategoricalProfile:
    profile = baseline.features[name]
    assert isinstance(profile, CategoricalProfile), name
    return profile


def feature(report, name):
    return next(f for f in report.features if f.name == name)


def run(baseline, window, thresholds=None, **options):
    return evaluate(baseline, window, thresholds, now=NOW, **options)


# --------------------------------------------------------------------------- profiles


def test_baseline_round_trips_and_profiles(training):
    baseline = roundtrip(build_baseline(training))
    x = baseline.features["x"]
    assert x.type == "numeric"
    assert x.rows == 4000
    assert x.missing == 0
    assert x.values == 4000
    assert x.reference_count == 4000
    assert x.reference is not None
    assert x.spec.nullable is False  # inferred: training had no missing values
    assert x.summary.mean == pytest.approx(float(np.mean(training.columns["x"])), rel=1e-12)
    assert x.summary.std == pytest.approx(float(np.std(training.columns["x"], ddof=1)), rel=1e-9)
    assert x.summary.quantile_rank_error == 0.0
    assert sum(x.bin_counts) == 4000
    assert len(x.edges) == 11
    # every distinct reference value is a grid point: the reference CDF is exact everywhere
    assert x.grid.sample.n == 4000
    assert x.grid.sample.inner.sum() == 0
    k = baseline.features["k"]
    assert k.type == "categorical"
    assert k.categories == ["a", "b", "c"]
    assert sum(k.counts) == 4000
    assert k.other == 0
    assert not k.truncated
    assert k.pooled_complete


def test_bins_are_reference_quantiles_with_open_ends():
    values = np.arange(1.0, 101.0)
    baseline = build_baseline(frame("t", v=values), settings=ProfileSettings(bins=4))
    v = numeric(baseline, "v")
    assert v.edges == [1.0, 25.75, 50.5, 75.25, 100.0]
    assert v.bin_counts == [0, 25, 25, 25, 25, 0]
    window = frame(v=np.array([0.0, 1.0, 25.75, 100.0, 100.5]))
    result = feature(run(baseline, window), "v")
    # below min | [1, 25.75) | [25.75, 50.5) | [50.5, 75.25) | [75.25, 100] | above max
    assert result.current_shares == pytest.approx([0.2, 0.2, 0.2, 0.0, 0.2, 0.2])


def test_same_data_is_not_drift(training):
    report = run(roundtrip(build_baseline(training)), training)
    for result in report.features:
        assert result.psi == 0.0
        assert result.js_distance == 0.0
        assert not result.drifted
        assert result.judged
    assert feature(report, "x").ks_statistic == 0.0
    assert feature(report, "x").wasserstein == 0.0
    assert report.dataset.drifted_share == 0.0
    assert not report.dataset.dataset_drift
    assert report.dataset.status == "no_drift"


def test_numeric_statistics_match_scipy_exactly_while_samples_are_small(training):
    baseline = roundtrip(build_baseline(training))
    rng = np.random.default_rng(3)
    shifted = rng.normal(11, 2, 6000)
    report = run(baseline, frame(x=shifted, k=pa.array(["a"] * 6000), c=np.full(6000, 5.0)))
    x = feature(report, "x")
    reference = np.asarray(training.columns["x"])
    want = sps.ks_2samp(reference, shifted)
    assert x.method == "exact"
    assert x.ks_statistic_bounds is None
    assert x.ks_statistic == pytest.approx(float(want.statistic), abs=1e-12)
    assert x.ks_pvalue == pytest.approx(float(want.pvalue), rel=1e-9, abs=1e-300)
    assert x.wasserstein == pytest.approx(sps.wasserstein_distance(reference, shifted), rel=1e-12)
    # Evidently's normalisation: W / max(population std of the reference, 0.001)
    assert x.wasserstein_normed == pytest.approx(x.wasserstein / np.std(reference), rel=1e-9)
    assert x.drifted
    assert x.drift_reasons[0].startswith("normed Wasserstein ")
    k = feature(report, "k")
    assert k.chi2_pvalue == pytest.approx(0.0, abs=1e-300)
    assert report.dataset.drifted_features == ["x", "k"]
    assert report.dataset.drifted_share == pytest.approx(2 / 3)
    assert report.dataset.dataset_drift
    assert report.dataset.status == "drift"


def test_all_missing_feature_counts_as_missing_rate_change(training):
    baseline = roundtrip(build_baseline(training))
    n = 100
    report = run(
        baseline,
        frame(x=pa.array([None] * n, pa.float64()), k=pa.array(["a"] * n), c=np.full(n, 5.0)),
    )
    x = feature(report, "x")
    assert x.missing == n
    assert x.missing_rate == 1.0
    assert x.missing_rate_change == 1.0
    assert x.psi is None
    assert x.note == "no usable values in the window"
    assert x.drifted
    assert x.drift_reasons == ["missing-rate change 1 >= 0.1"]


def test_constant_feature_that_moves_is_drift(training):
    baseline = roundtrip(build_baseline(training))
    n = 500
    report = run(baseline, frame(x=np.full(n, 10.0), k=pa.array(["a"] * n), c=np.full(n, 6.0)))
    c = feature(report, "c")
    assert c.bins == ["< 5", "[5, 5]", "> 5"]
    assert c.current_shares == [0.0, 0.0, 1.0]
    assert c.ks_statistic == 1.0
    assert c.wasserstein == pytest.approx(1.0)
    assert c.out_of_range == n
    assert c.out_of_range_rate == 1.0
    assert c.drifted


def test_nan_infinity_and_text_in_numeric_features(training):
    baseline = roundtrip(build_baseline(training))
    x = pa.array(["10.5", "nan", "inf", "-inf", "abc", None, "9.5"])
    report = run(baseline, frame(x=x, k=pa.array(["a"] * 7), c=np.full(7, 5.0)))
    result = feature(report, "x")
    assert (result.missing, result.nonfinite, result.invalid, result.values) == (2, 2, 1, 2)
    # two infinities, one non-number, and two nulls in a feature training always filled
    assert result.schema_violations == 5
    assert result.ks_statistic is not None
    assert math.isfinite(result.ks_statistic)


def test_unseen_categories_are_counted_and_named(training):
    baseline = roundtrip(build_baseline(training))
    k = pa.array(["a", "zz", "zz", "b", None, "yy"])
    report = run(baseline, frame(x=np.full(6, 10.0), k=k, c=np.full(6, 5.0)))
    result = feature(report, "k")
    assert result.unseen == 3
    assert result.unseen_rate == pytest.approx(3 / 5)
    assert result.unseen_examples == {"zz": 2, "yy": 1}
    assert result.bins == ["a", "b", "c", "(other)", "(unseen)"]
    assert result.current_shares == pytest.approx([0.2, 0.2, 0, 0, 0.6])
    assert report.dataset.unseen == 3


def test_declared_schema_drives_violations():
    rng = np.random.default_rng(1)
    train = frame("t", age=rng.uniform(20, 60, 1000), country=pa.array(["DE", "FR"] * 500))
    schema = SchemaFile(
        features={
            "age": FeatureSpec(type="numeric", min=0, max=100, nullable=False),
            "country": FeatureSpec(
                type="categorical", categories=["DE", "FR", "US"], nullable=False
            ),
        }
    )
    baseline = roundtrip(build_baseline(train, schema))
    window = frame(
        age=pa.array([30.0, 150.0, -1.0, None]), country=pa.array(["US", "XX", None, "DE"])
    )
    report = run(baseline, window)
    age, country = feature(report, "age"), feature(report, "country")
    assert age.out_of_range == 2
    assert age.schema_violations == 1  # one null, not nullable
    # US is allowed but unseen in training; XX is neither
    assert country.unseen == 2
    assert country.schema_violations == 2
    assert report.dataset.schema_violations == 3


def test_schema_naming_a_missing_column_is_an_input_error(training):
    schema = SchemaFile(features={"nope": FeatureSpec(type="numeric")})
    with pytest.raises(InputError) as caught:
        build_baseline(training, schema, schema_file="schema.yaml")
    assert caught.value.report() == (
        "1 problem found:\n  schema.yaml: features.nope: is declared but train.parquet has "
        "no such column"
    )


def test_absent_column_in_the_window(training):
    baseline = roundtrip(build_baseline(training))
    report = run(baseline, frame(x=np.full(3, 10.0), c=np.full(3, 5.0)))
    k = feature(report, "k")
    assert k.absent
    assert k.missing_rate == 1.0
    assert k.note == "the window has no such column"
    assert k.drifted
    assert k.judged


def test_threshold_overrides_apply_per_feature(training):
    baseline = roundtrip(build_baseline(training))
    rng = np.random.default_rng(5)
    window = frame(
        x=rng.normal(10.05, 2, 4000), k=pa.array(["a", "b", "c", "a"] * 1000), c=np.full(4000, 5.0)
    )
    loose = run(baseline, window)
    assert not feature(loose, "x").drifted
    strict = ThresholdConfig.model_validate({"features": {"x": {"ks_pvalue": 0.05}}})
    report = run(baseline, window, strict)
    x = feature(report, "x")
    assert x.drifted
    assert x.drift_reasons[0].startswith("KS p-value ")
    assert x.thresholds["ks_pvalue"] == 0.05
    assert x.thresholds["wasserstein_normed"] == 0.1
    assert x.thresholds["psi"] is None


# --------------------------------------------------------------------------- the definition


def test_default_thresholds_follow_evidentlys_sample_size_rule():
    """evidently/legacy/calculations/stattests/registry.py ``_get_default_stattest``: tests
    (p < 0.05) up to 1,000 reference rows, distances (0.1) above; chi-square / JS for
    features with at most 5 values."""
    small, large = definition.SMALL_SAMPLE_MAX_VALUES, definition.SMALL_SAMPLE_MAX_VALUES + 1
    assert definition.default_thresholds("numeric", small, 100).ks_pvalue == 0.05
    assert definition.default_thresholds("numeric", small, 5).chi2_pvalue == 0.05
    assert definition.default_thresholds("categorical", small, 3).chi2_pvalue == 0.05
    assert definition.default_thresholds("numeric", large, None).wasserstein_normed == 0.1
    assert definition.default_thresholds("numeric", large, 4).js_distance == 0.1
    assert definition.default_thresholds("categorical", large, 50).js_distance == 0.1
    for kind in ("numeric", "categorical", "timestamp"):
        limits = definition.default_thresholds(kind, large, None)
        assert limits.missing_rate_change == 0.1
        assert limits.psi is None
    assert (
        definition.default_thresholds("identifier", large, None).model_dump(exclude_none=True) == {}
    )
    assert definition.dataset_drift(1, 2)
    assert not definition.dataset_drift(1, 3)
    assert not definition.dataset_drift(0, 0)
    assert definition.alarm_threshold_percent() == 50.0
    assert definition.ALARM_COMPARISON_OPERATOR == "GreaterThanOrEqualToThreshold"


def test_the_engine_judges_by_the_shared_definition():
    """A feature's thresholds are default_thresholds for its type and reference size."""
    rng = np.random.default_rng(2)
    small = build_baseline(frame("t", x=rng.normal(size=800), y=rng.normal(size=800)))
    large = build_baseline(frame("t", x=rng.normal(size=5000), k=pa.array(["a", "b"] * 2500)))
    assert feature_thresholds(small, "x") == definition.default_thresholds("numeric", 800, 800)
    assert feature_thresholds(large, "x").wasserstein_normed == definition.WASSERSTEIN_NORMED
    assert feature_thresholds(large, "k").js_distance == definition.JS_DISTANCE


# --------------------------------------------------------------------------- issue 31 defects


def test_pooled_categories_are_other_not_unseen():
    """Issue 31: categories pooled into "other" at 200 were later reported as unseen (21% on
    identical data)."""
    rng = np.random.default_rng(4)
    names = np.array([f"v{i}" for i in range(600)])
    weights = 1.0 / np.arange(1, 601)
    values = pa.array(names[rng.choice(600, 20_000, p=weights / weights.sum())])
    baseline = roundtrip(build_baseline(frame("t", k=values)))
    k = baseline.features["k"]
    assert k.truncated
    assert len(k.categories) == 200
    assert len(k.pooled) == k.distinct - 200
    result = feature(run(baseline, frame(k=values)), "k")
    assert result.unseen == 0
    assert result.unseen_rate == 0.0
    assert result.psi == 0.0
    assert not result.drifted


def test_a_column_of_only_new_values_is_drift():
    """Issue 31: a column whose values are all new got PSI 4e-8 and "no drift"."""
    rng = np.random.default_rng(5)
    names = np.array([f"v{i}" for i in range(600)])
    baseline = build_baseline(frame("t", k=pa.array(names[rng.integers(0, 600, 3000)])))
    fresh = pa.array([f"new{i % 50}" for i in range(3000)])
    result = feature(run(baseline, frame(k=fresh)), "k")
    assert result.unseen_rate == 1.0
    assert result.psi > 9
    assert result.js_distance == pytest.approx(1.0)
    assert result.drifted


def test_int64_past_2_53_is_profiled_not_a_crash():
    """Issue 31: an int64 above 2**53 crashed `drift baseline` with ArrowInvalid."""
    ids = pa.array([2**60 + i for i in range(50)], pa.int64())
    amounts = pa.array(list(range(50)), pa.int64())
    baseline = roundtrip(build_baseline(frame("t", order_id=ids, amount=amounts)))
    assert baseline.features["order_id"].type == "identifier"
    assert "2**53" in baseline.features["order_id"].reason
    assert baseline.features["amount"].type == "numeric"
    report = run(baseline, frame(order_id=ids, amount=amounts))
    assert feature(report, "order_id").new_value_rate == 0.0


def test_timestamps_are_their_own_type():
    """Issue 31: timestamps were profiled as categories, so an identical timestamp column was
    "drifted" and inflated the unseen-category rate."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    stamps = pa.array(
        [start + dt.timedelta(minutes=7 * i) for i in range(3000)], pa.timestamp("us", tz="UTC")
    )
    baseline = roundtrip(build_baseline(frame("t", at=stamps)))
    assert baseline.features["at"].type == "timestamp"
    same = run(baseline, frame(at=stamps))
    at = feature(same, "at")
    assert not at.drifted
    assert at.ks_statistic == 0.0
    assert same.dataset.unseen == 0
    assert at.newest == "2026-01-15T13:53:00+00:00"
    assert (
        at.age_seconds
        == (NOW - dt.datetime(2026, 1, 15, 13, 53, tzinfo=dt.timezone.utc)).total_seconds()
    )
    later = pa.array(
        [start + dt.timedelta(days=30, minutes=7 * i) for i in range(3000)],
        pa.timestamp("us", tz="UTC"),
    )
    moved = feature(run(baseline, frame(at=later)), "at")
    assert moved.drifted
    assert moved.wasserstein == pytest.approx(30 * 86400.0, rel=1e-9)
    stale = ThresholdConfig.model_validate({"features": {"at": {"max_age_seconds": 86400}}})
    assert (
        "age of newest value (s)"
        in feature(run(baseline, frame(at=stamps), stale), "at").drift_reasons[0]
    )


def test_iso_timestamp_text_is_a_timestamp(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "at,x\n" + "".join(f"2026-11-{1 + i % 28:02d}T06:00:00Z,{i}\n" for i in range(50))
    )
    baseline = build_baseline(drift_data.open_source(path))
    assert baseline.features["at"].type == "timestamp"
    assert (
        baseline.features["at"].summary.min
        == dt.datetime(2026, 11, 1, 6, tzinfo=dt.timezone.utc).timestamp()
    )


def test_identifiers_are_detected_excluded_and_judged_by_new_value_rate():
    rng = np.random.default_rng(8)
    n = 5000
    train = frame(
        "t",
        customer_id=pa.array([f"c-{i:08d}" for i in range(n)]),
        x=rng.normal(size=n),
    )
    baseline = roundtrip(build_baseline(train))
    ident = baseline.features["customer_id"]
    assert ident.type == "identifier"
    assert ident.distinct_exact is False
    window = frame(
        customer_id=pa.array([f"c-{i:08d}" for i in range(2500, 2500 + n)]),
        x=rng.normal(size=n),
    )
    report = run(baseline, window)
    result = feature(report, "customer_id")
    assert not result.judged
    assert not result.drifted
    assert result.psi is None
    assert report.dataset.features_judged == 1  # x only
    assert result.new_value_rate == pytest.approx(0.5, abs=4 * result.new_value_rate_error)
    judged = ThresholdConfig.model_validate({"features": {"customer_id": {"new_value_rate": 0.3}}})
    result = feature(run(baseline, window, judged), "customer_id")
    assert result.judged
    assert result.drifted


def test_integers_named_like_ids_are_identifiers_but_amounts_are_not():
    rng = np.random.default_rng(9)
    n = 3000
    baseline = build_baseline(
        frame(
            "t",
            user_id=pa.array(rng.permutation(10**6)[:n], pa.int64()),
            income=pa.array(rng.permutation(10**6)[:n], pa.int64()),
        )
    )
    assert baseline.features["user_id"].type == "identifier"
    assert baseline.features["income"].type == "numeric"


def test_extra_columns_are_reported(training):
    """Issue 31: extra columns in a window were ignored without a word."""
    baseline = build_baseline(training)
    window = frame(x=np.full(5, 10.0), k=pa.array(["a"] * 5), c=np.full(5, 5.0), surprise=[1] * 5)
    assert run(baseline, window).dataset.extra_columns == ["surprise"]


def test_empty_window_is_not_judged(training):
    """Data that cannot be judged is never reported healthy (issue 33)."""
    baseline = roundtrip(build_baseline(training))
    empty = frame(
        x=pa.array([], pa.float64()), k=pa.array([], pa.string()), c=pa.array([], pa.float64())
    )
    report = run(baseline, empty)
    assert report.dataset.rows == 0
    assert report.dataset.status == "not_judged"
    assert not report.dataset.judged
    assert not report.dataset.dataset_drift
    for result in report.features:
        assert result.psi is None
        assert result.note == "no usable values in the window"
        assert not result.judged


# --------------------------------------------------------------------------- large samples


def test_large_samples_use_the_grid_with_bounds_that_hold_and_honest_p_values():
    """Issue 31: with a 10,000-value reference sample the KS p-value was about 1 for every
    undrifted feature at >= 100k rows, and Wasserstein was off by -57% to +145% on heavy
    tails. Now the p-value uses the real sample sizes and both statistics carry bounds that
    contain scipy's exact values."""
    rng = np.random.default_rng(12)
    n = 120_000
    columns = {
        "normal": lambda: rng.normal(size=n),
        "lognormal": lambda: rng.lognormal(0, 1.2, n),
        "pareto": lambda: rng.pareto(1.5, n),
        "poisson": lambda: rng.poisson(4, n).astype(float),
        "cauchy": lambda: rng.standard_cauchy(n),
    }
    reference = {k: make() for k, make in columns.items()}
    baseline = build_baseline(frame("t", **reference), settings=ProfileSettings(grid_size=1024))
    pvalues = []
    for shift in (0.0, 0.05):
        current = {k: make() + shift for k, make in columns.items()}
        report = run(baseline, frame(**current), exact_limit=50_000)
        for name in columns:
            result = feature(report, name)
            assert result.method == "grid"
            exact = sps.ks_2samp(reference[name], current[name])
            low, high = result.ks_statistic_bounds
            assert low - 1e-12 <= exact.statistic <= high + 1e-12
            assert high - low <= 4 / 1024
            p_low, p_high = result.ks_pvalue_bounds
            assert p_low - 1e-12 <= exact.pvalue <= p_high + 1e-12
            w = sps.wasserstein_distance(reference[name], current[name])
            w_low, w_high = result.wasserstein_bounds
            assert w_low * (1 - 1e-9) <= w <= w_high * (1 + 1e-9)
            assert result.wasserstein == pytest.approx(w, rel=0.1)
            if shift == 0.0:
                pvalues.append(result.ks_pvalue)
    # undrifted p-values are not all pinned near 1
    assert min(pvalues) < 0.9


def test_streamed_batches_give_the_same_report_as_one_batch(training, monkeypatch):
    baseline = build_baseline(training)
    rng = np.random.default_rng(13)
    window = frame(
        x=np.concatenate([rng.normal(10, 2, 3000), [np.nan, np.inf]]),
        k=pa.array(list(rng.choice(["a", "b", "z"], 3002))),
        c=np.full(3002, 5.0),
    )
    whole = run(baseline, window, exact_limit=0).to_dict()
    monkeypatch.setattr(drift_data, "BATCH_ROWS", 97)
    pieces = run(baseline, window, exact_limit=0).to_dict()
    for one, other in zip(whole["features"], pieces["features"], strict=True):
        for key, value in one.items():
            if isinstance(value, float | list) and key not in ("bins", "drift_reasons"):
                assert other[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
            else:
                assert other[key] == value, key
    assert whole["dataset"] == pieces["dataset"]


def test_baselines_merge_from_partition_profiles():
    rng = np.random.default_rng(14)
    n = 30_000
    table = pa.table(
        {
            "x": rng.lognormal(0, 1, n),
            "k": pa.array(rng.choice(["a", "b", "c", "d"], n)),
            "y": rng.normal(size=n),
        }
    )
    whole = build_baseline(
        Frame.from_table(table, "all"), settings=ProfileSettings(exact_limit=1000)
    )
    parts = [table.slice(i, n // 3) for i in range(0, n, n // 3)]
    firsts = []
    for part in parts:
        first = ReferencePass(None, False, 1000)
        for batch in part.to_batches(max_chunksize=4096):
            first.update(batch)
        firsts.append(first)
    merged = firsts[0]
    for first_part in firsts[1:]:
        merged.merge(first_part)
    plans = plan_features(merged)
    assert needs_grid_pass(plans)
    seconds: list[GridPass] = []
    for part in parts:
        second = GridPass(plans)
        for batch in part.to_batches(max_chunksize=4096):
            second.update(batch)
        seconds.append(second)
    for second_part in seconds[1:]:
        seconds[0].merge(second_part)
    combined = finalize_baseline(merged, plans, seconds[0], source="all")
    for name in ("x", "y"):
        a, b = numeric(whole, name), numeric(combined, name)
        assert (a.rows, a.values, a.missing) == (b.rows, b.values, b.missing)
        assert b.summary.mean == pytest.approx(a.summary.mean, rel=1e-12)
        assert b.summary.std == pytest.approx(a.summary.std, rel=1e-9)
        assert (b.summary.min, b.summary.max) == (a.summary.min, a.summary.max)
        assert b.grid.sample.n == n
        # quantiles within the KLL sketch's rank error of the exact ones
        values = np.sort(table.column(name).to_numpy())
        for key, q in zip(
            b.summary.quantiles, (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99), strict=True
        ):
            below = np.searchsorted(values, b.summary.quantiles[key], side="left") / n
            upto = np.searchsorted(values, b.summary.quantiles[key], side="right") / n
            error = b.summary.quantile_rank_error
            assert below - error - 1 / n <= q <= upto + error + 1 / n
    assert categorical(combined, "k").counts == categorical(whole, "k").counts


# --------------------------------------------------------------------------- loading


def test_a_baseline_with_nan_statistics_is_refused(training):
    """Issue 33: a baseline with NaN statistics was accepted."""
    document = json.loads(build_baseline(training).to_json())
    document["features"]["x"]["summary"]["mean"] = float("nan")
    with pytest.raises(InputError) as caught:
        parse_baseline(json.dumps(document), "b.json")
    assert caught.value.report() == (
        "1 problem found:\n  b.json: features.x.summary.mean: must be a finite number"
    )


def test_a_version_1_baseline_asks_for_a_rebuild(training):
    document = json.loads(build_baseline(training).to_json())
    document["version"] = 1
    with pytest.raises(InputError) as caught:
        parse_baseline(json.dumps(document), "b.json")
    assert caught.value.problems[0].message == (
        "must be 2, got 1 (rebuild the baseline with `obsgov drift baseline`)"
    )


def test_a_baseline_whose_grid_does_not_add_up_is_refused(training):
    document = json.loads(build_baseline(training).to_json())
    document["features"]["x"]["values"] = 3999
    with pytest.raises(InputError) as caught:
        parse_baseline(json.dumps(document), "b.json")
    assert caught.value.problems[0].key_path == "features.x.grid"


def test_frames_stream_through_a_frame_source(training):
    source = FrameSource(training)
    assert sum(b.num_rows for b in source.batches(["x"])) == 4000
    assert sum(b.num_rows for b in source.batches([])) == 4000
