"""Baselines and drift runs on awkward data: every case counted and reported, none fatal."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats as sps

from obsgov.drift.data import Frame
from obsgov.drift.engine import _codes, duplicate_rows, evaluate
from obsgov.drift.profile import (
    bin_counts,
    build_baseline,
    parse_baseline,
    quantile_edges,
    reference_sample,
)
from obsgov.drift.schema import FeatureSpec, SchemaFile, ThresholdConfig
from obsgov.errors import InputError


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


def feature(report, name):
    return next(f for f in report.features if f.name == name)


def test_bins_are_reference_quantiles_with_open_ends():
    values = np.arange(1.0, 101.0)
    edges = quantile_edges(values, 4)
    assert edges.tolist() == [1.0, 25.75, 50.5, 75.25, 100.0]
    # below min | [1, 25.75) | [25.75, 50.5) | [50.5, 75.25) | [75.25, 100] | above max
    assert bin_counts(np.array([0.0, 1.0, 25.75, 100.0, 100.5]), edges).tolist() == [
        1,
        1,
        1,
        0,
        1,
        1,
    ]
    assert bin_counts(values, edges).tolist() == [0, 25, 25, 25, 25, 0]


def test_a_constant_feature_keeps_its_own_bin():
    edges = quantile_edges(np.full(10, 3.0), 10)
    assert edges.tolist() == [3.0, 3.0]
    assert bin_counts(np.array([2.0, 3.0, 3.0, 4.0]), edges).tolist() == [1, 2, 1]


def test_reference_sample_keeps_all_values_that_fit_and_order_statistics_otherwise():
    values = np.arange(10.0)
    kept, sampled = reference_sample(values, 20)
    assert kept.tolist() == values.tolist() and not sampled
    kept, sampled = reference_sample(values, 5)
    assert kept.tolist() == [1.0, 3.0, 5.0, 7.0, 9.0] and sampled


def test_baseline_round_trips_and_profiles(training):
    baseline = roundtrip(build_baseline(training))
    x = baseline.features["x"]
    assert x.type == "numeric" and x.rows == 4000 and x.missing == 0
    assert x.reference_count == 4000 and not x.reference_is_sample
    assert x.spec.nullable is False  # inferred: training had no missing values
    assert x.summary.mean == pytest.approx(float(np.mean(training.columns["x"])))
    assert sum(x.bin_counts) == 4000 and len(x.edges) == 11
    k = baseline.features["k"]
    assert k.type == "categorical" and k.categories == ["a", "b", "c"]
    assert sum(k.counts) == 4000 and k.other == 0 and not k.truncated


def test_same_data_is_not_drift(training):
    report = evaluate(roundtrip(build_baseline(training)), training)
    for result in report.features:
        assert result.psi == 0.0 and result.js_distance == 0.0
        assert not result.drifted
    assert feature(report, "x").ks_statistic == 0.0
    assert feature(report, "x").wasserstein == 0.0
    assert report.dataset.drifted_share == 0.0 and not report.dataset.dataset_drift


def test_numeric_statistics_match_scipy_through_the_engine(training):
    baseline = roundtrip(build_baseline(training))
    rng = np.random.default_rng(3)
    shifted = rng.normal(11, 2, 6000)
    report = evaluate(baseline, frame(x=shifted, k=pa.array(["a"] * 6000), c=np.full(6000, 5.0)))
    x = feature(report, "x")
    reference = np.asarray(training.columns["x"])
    want = sps.ks_2samp(reference, shifted)
    assert x.ks_statistic == pytest.approx(float(want.statistic), abs=1e-12)
    assert x.ks_pvalue == pytest.approx(float(want.pvalue), rel=1e-9, abs=1e-300)
    assert x.wasserstein == pytest.approx(sps.wasserstein_distance(reference, shifted), rel=1e-12)
    assert x.drifted and x.drift_reasons[0].startswith("PSI ")
    k = feature(report, "k")
    assert k.chi2_pvalue == pytest.approx(0.0, abs=1e-300)
    assert report.dataset.drifted_features == ["x", "k"]
    assert report.dataset.drifted_share == pytest.approx(2 / 3)
    assert report.dataset.dataset_drift


def test_empty_window_is_reported_not_fatal(training):
    baseline = roundtrip(build_baseline(training))
    empty = frame(
        x=pa.array([], pa.float64()), k=pa.array([], pa.string()), c=pa.array([], pa.float64())
    )
    report = evaluate(baseline, empty)
    assert report.dataset.rows == 0
    for result in report.features:
        assert result.psi is None and result.note == "no usable values in the window"
        assert result.missing_rate == 0.0 and not result.drifted
    assert report.dataset.drifted_share == 0.0 and report.dataset.duplicate_rows == 0


def test_all_missing_feature_counts_as_missing_rate_change(training):
    baseline = roundtrip(build_baseline(training))
    n = 100
    report = evaluate(
        baseline,
        frame(x=pa.array([None] * n, pa.float64()), k=pa.array(["a"] * n), c=np.full(n, 5.0)),
    )
    x = feature(report, "x")
    assert x.missing == n and x.missing_rate == 1.0 and x.missing_rate_change == 1.0
    assert x.psi is None and x.note == "no usable values in the window"
    assert x.drifted and x.drift_reasons == ["missing-rate change 1 >= 0.1"]


def test_constant_feature_that_moves_is_drift(training):
    baseline = roundtrip(build_baseline(training))
    n = 500
    report = evaluate(baseline, frame(x=np.full(n, 10.0), k=pa.array(["a"] * n), c=np.full(n, 6.0)))
    c = feature(report, "c")
    assert c.bins == ["< 5", "[5, 5]", "> 5"]
    assert c.current_shares == [0.0, 0.0, 1.0]
    assert c.ks_statistic == 1.0 and c.wasserstein == pytest.approx(1.0)
    assert c.out_of_range == n and c.out_of_range_rate == 1.0
    assert c.drifted


def test_nan_infinity_and_text_in_numeric_features(training):
    baseline = roundtrip(build_baseline(training))
    x = pa.array(["10.5", "nan", "inf", "-inf", "abc", None, "9.5"])
    report = evaluate(baseline, frame(x=x, k=pa.array(["a"] * 7), c=np.full(7, 5.0)))
    result = feature(report, "x")
    assert (result.missing, result.nonfinite, result.invalid, result.values) == (2, 2, 1, 2)
    # two infinities, one non-number, and two nulls in a feature training always filled
    assert result.schema_violations == 5
    assert result.ks_statistic is not None and math.isfinite(result.ks_statistic)


def test_unseen_categories_are_counted_and_named(training):
    baseline = roundtrip(build_baseline(training))
    k = pa.array(["a", "zz", "zz", "b", None, "yy"])
    report = evaluate(baseline, frame(x=np.full(6, 10.0), k=k, c=np.full(6, 5.0)))
    result = feature(report, "k")
    assert result.unseen == 3 and result.unseen_rate == pytest.approx(3 / 5)
    assert result.unseen_examples == {"zz": 2, "yy": 1}
    assert result.bins == ["a", "b", "c", "(unseen)"]
    assert result.current_shares == pytest.approx([0.2, 0.2, 0, 0.6])
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
    report = evaluate(baseline, window)
    age, country = feature(report, "age"), feature(report, "country")
    assert age.out_of_range == 2 and age.schema_violations == 1  # one null, not nullable
    # US is allowed but unseen in training; XX is neither
    assert country.unseen == 2 and country.schema_violations == 2
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
    report = evaluate(baseline, frame(x=np.full(3, 10.0), c=np.full(3, 5.0)))
    k = feature(report, "k")
    assert k.absent and k.missing_rate == 1.0 and k.note == "the window has no such column"


def test_threshold_overrides_apply_per_feature(training):
    baseline = roundtrip(build_baseline(training))
    rng = np.random.default_rng(5)
    window = frame(
        x=rng.normal(10.3, 2, 4000), k=pa.array(["a", "b", "c", "a"] * 1000), c=np.full(4000, 5.0)
    )
    loose = evaluate(baseline, window)
    assert not feature(loose, "x").drifted
    strict = ThresholdConfig.model_validate({"features": {"x": {"ks_pvalue": 0.05}}})
    report = evaluate(baseline, window, strict)
    x = feature(report, "x")
    assert x.drifted and x.drift_reasons[0].startswith("KS p-value ")
    assert x.thresholds["ks_pvalue"] == 0.05 and x.thresholds["psi"] == 0.2


def test_duplicate_rows_are_exact():
    a = np.array([1.0, 1.0, 2.0, np.nan, np.nan, -0.0, 0.0])
    b = pa.chunked_array([pa.array(["x", "x", "x", None, None, "y", "y"])])
    # rows 1 (repeats 0), 4 (NaN, null again) and 6 (-0.0 equals 0.0) repeat earlier rows
    assert duplicate_rows([_codes(a), _codes(b)], 7) == 3


def test_duplicate_rows_survive_hash_collisions():
    """Rows whose hashes collide but whose values differ are not duplicates: identical
    columns fed twice make every hash depend on the column pair only, and the exact check
    must still tell (1, 2) from (2, 1)."""
    left = np.array([1, 2, 1], dtype=np.uint64)
    right = np.array([2, 1, 2], dtype=np.uint64)
    assert duplicate_rows([left, right], 3) == 1


def test_categories_past_the_limit_are_pooled():
    values = pa.array([f"v{i}" for i in range(10) for _ in range(10 - i)])
    baseline = roundtrip(build_baseline(frame("t", k=values), max_categories=3))
    k = baseline.features["k"]
    assert k.categories == ["v0", "v1", "v2"] and k.counts == [10, 9, 8]
    assert k.other == sum(range(1, 8)) and k.truncated
