"""The bounded-memory summaries: each one's documented error bound, checked against the exact
answer, and merging partitions equal to one pass."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from obsgov.drift.data import hash_numbers, mix64
from obsgov.drift.sketch import (
    CategoryCounter,
    DistinctSketch,
    DuplicateCounter,
    Extremes,
    Moments,
    NumericProfiler,
    new_value_share,
)
from obsgov.drift.stats import GridSample, grid_two_sample


def hashes(values) -> np.ndarray:
    return mix64(np.asarray(values, dtype=np.uint64))


def test_distinct_sketch_is_exact_below_k_and_within_its_error_above():
    small = DistinctSketch(k=1024)
    small.update(hashes(np.arange(1000) % 700))
    assert small.exact
    assert small.estimate() == 700
    large = DistinctSketch(k=1024)
    for start in range(0, 200_000, 50_000):
        large.update(hashes(np.arange(start, start + 50_000)))
    assert not large.exact
    # relative standard error 1/sqrt(k - 2): 4 of them is far beyond chance
    assert abs(large.estimate() / 200_000 - 1) <= 4 * large.relative_error()


def test_new_value_share_is_exact_for_small_sets_and_estimated_for_large():
    seen, window = DistinctSketch(k=4096), DistinctSketch(k=4096)
    seen.update(hashes(np.arange(1000)))
    window.update(hashes(np.arange(750, 1250)))
    assert new_value_share(seen, window) == (0.5, 0.0)
    seen, window = DistinctSketch(k=2048), DistinctSketch(k=2048)
    seen.update(hashes(np.arange(100_000)))
    window.update(hashes(np.arange(70_000, 170_000)))
    share, error = new_value_share(seen, window)
    assert error > 0
    assert abs(share - 0.7) <= 4 * error


def test_duplicate_counter_is_exact_within_its_limit_and_unbiased_past_it():
    rng = np.random.default_rng(1)
    rows = rng.integers(0, 60_000, 100_000)
    truth = rows.size - np.unique(rows).size
    exact = DuplicateCounter(limit=1_000_000)
    for chunk in np.array_split(hashes(rows), 7):
        exact.update(chunk)
    assert exact.result() == (truth, True)
    # a tiny limit forces sampling by hash; merged partitions agree with one pass
    left, right = DuplicateCounter(limit=5_000), DuplicateCounter(limit=5_000)
    left.update(hashes(rows[:50_000]))
    right.update(hashes(rows[50_000:]))
    left.merge(right)
    estimate, is_exact = left.result()
    assert not is_exact
    assert left.level >= 1
    # the kept fraction 2**-level of distinct rows: a binomial count, 5 standard errors
    kept = truth / 2**left.level
    assert abs(estimate - truth) <= 5 * math.sqrt(kept) * 2**left.level


def test_category_counter_switches_to_a_sketch_whose_counts_keep_their_bound():
    rng = np.random.default_rng(2)
    # more distinct values than the sketch's 16,384 counters, so it must estimate
    weights = 1.0 / np.arange(1, 60_001) ** 0.8
    values = rng.choice(60_000, 200_000, p=weights / weights.sum())
    truth = np.bincount(values, minlength=60_000)
    counter = CategoryCounter(limit=500)
    for chunk in np.array_split(values, 10):
        names, counts = np.unique(chunk, return_counts=True)
        counter.add([f"v{n}" for n in names], counts)
    assert not counter.exact
    assert counter.total == 200_000
    error = counter.max_error()
    assert error > 0
    for name, estimate in counter.top(50):
        assert abs(estimate - truth[int(name[1:])]) <= error
    # the most frequent values come first
    assert [n for n, _ in counter.top(3)] == ["v0", "v1", "v2"]


def test_moments_merge_like_one_pass():
    rng = np.random.default_rng(3)
    values = rng.normal(1e9, 3.0, 10_000)  # far from zero: the merge must not lose digits
    whole, parts = Moments(), Moments()
    whole.add(values)
    for chunk in np.array_split(values, 13):
        piece = Moments()
        piece.add(chunk)
        parts.merge(piece)
    assert parts.n == whole.n
    assert parts.mean == pytest.approx(np.mean(values), rel=1e-15)
    assert parts.std() == pytest.approx(np.std(values, ddof=1), rel=1e-9)
    assert (parts.minimum, parts.maximum) == (values.min(), values.max())


def test_extremes_keep_the_most_extreme_values():
    rng = np.random.default_rng(4)
    values = rng.standard_cauchy(50_000)
    kept = Extremes(keep=100)
    for chunk in np.array_split(values, 9):
        kept.add(chunk)
    ordered = np.sort(values)
    assert kept.low.tolist() == ordered[:100].tolist()
    assert kept.high.tolist() == ordered[-100:].tolist()


def test_kll_quantiles_are_within_the_documented_rank_error():
    """The KLL sketch's normalized rank error (DataSketches, 99% confidence) bounds the rank
    of every summary quantile of a baseline past its exact limit."""
    rng = np.random.default_rng(5)
    values = rng.lognormal(0, 2, 400_000)
    profiler = NumericProfiler("numeric", exact_limit=1000)
    for chunk in np.array_split(values, 20):
        profiler.update(pa.array(chunk))
    error = profiler.rank_error()
    assert 0 < error < 0.001
    levels = np.array([0.0, 0.01, 0.25, 0.5, 0.75, 0.99, 1.0])
    ordered = np.sort(values)
    for level, quantile in zip(levels, profiler.quantiles(levels), strict=True):
        rank = np.searchsorted(ordered, quantile, side="right") / values.size
        assert abs(rank - level) <= error + 1 / values.size
    assert profiler.quantiles(levels)[[0, -1]].tolist() == [ordered[0], ordered[-1]]


samples = st.lists(
    st.one_of(
        st.floats(-1e6, 1e6, allow_nan=False),
        st.integers(-5, 5).map(float),  # ties and atoms on the grid
    ),
    min_size=1,
    max_size=300,
)


@settings(max_examples=150, deadline=None)
@given(samples, samples, st.integers(1, 40), st.integers(0, 2))
def test_grid_bounds_always_contain_scipys_exact_statistics(reference, current, points, where):
    """KS and Wasserstein computed on a grid: scipy's exact values always lie within the
    reported bounds, whatever the data and wherever the grid falls."""
    ref = np.sort(np.asarray(reference))
    cur = np.sort(np.asarray(current))
    if where == 0:
        grid = np.unique(np.quantile(ref, np.linspace(0, 1, points + 1)))
    elif where == 1:
        grid = np.unique(np.quantile(np.concatenate((ref, cur)), np.linspace(0, 1, points + 1)))
    else:
        grid = np.unique(np.linspace(-10, 10, points + 1))
    left, right = GridSample.empty(grid), GridSample.empty(grid)
    half = ref.size // 2
    left.add_sorted(ref[:half])
    rest = GridSample.empty(grid)
    rest.add_sorted(ref[half:])
    left.merge(rest)
    right.add_sorted(cur)
    result = grid_two_sample(left, right)
    d = sps.ks_2samp(ref, cur).statistic
    w = sps.wasserstein_distance(ref, cur)
    assert result.ks_bounds[0] - 1e-9 <= d <= result.ks_bounds[1] + 1e-9
    slack = 1e-9 * max(1.0, np.abs(np.concatenate((ref, cur))).max())
    assert result.wasserstein_bounds[0] - slack <= w <= result.wasserstein_bounds[1] + slack
    assert result.wasserstein_bounds[0] - slack <= result.wasserstein
    assert result.wasserstein <= result.wasserstein_bounds[1] + slack


def test_grid_sample_counts_equal_a_histogram():
    rng = np.random.default_rng(6)
    values = np.sort(rng.poisson(3, 5000).astype(float))
    grid = np.array([1.0, 2.5, 4.0, 9.0])
    sample = GridSample.empty(grid)
    sample.add_sorted(values)
    assert sample.n == 5000
    assert sample.below == int((values < 1).sum())
    assert sample.atoms.tolist() == [int((values == g).sum()) for g in grid]
    assert sample.inner.tolist() == [
        int(((values > a) & (values < b)).sum()) for a, b in zip(grid[:-1], grid[1:], strict=True)
    ]
    assert sample.above_offset == pytest.approx(float((values[values > 9] - 9).sum()))
    edges = np.array([1.0, 4.0, 9.0])
    # below 1 | [1, 4) | [4, 9] | above 9
    assert sample.bin_counts(edges).tolist() == [
        int((values < 1).sum()),
        int(((values >= 1) & (values < 4)).sum()),
        int(((values >= 4) & (values <= 9)).sum()),
        int((values > 9).sum()),
    ]


def test_number_hashes_treat_nan_alike_and_negative_zero_as_zero():
    codes = hash_numbers(np.array([np.nan, -np.nan, 0.0, -0.0, 1.0]))
    assert codes[0] == codes[1]
    assert codes[2] == codes[3]
    assert codes[2] != codes[4]
