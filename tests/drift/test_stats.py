"""The drift statistics against scipy and against PSI tables worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats as sps
from scipy.spatial import distance

from obsgov.drift import stats


def _pair(rng, n1, n2, shift, kind):
    if kind == "normal":
        return np.sort(rng.normal(0, 1, n1)), np.sort(rng.normal(shift, 1, n2))
    if kind == "ties":
        return (
            np.sort(rng.poisson(4, n1).astype(float)),
            np.sort(rng.poisson(4 + shift, n2).astype(float)),
        )
    return np.sort(rng.exponential(1, n1)), np.sort(rng.exponential(1 + shift, n2))


@pytest.mark.parametrize(("n1", "n2"), [(50, 80), (3000, 9000), (20_000, 50_000)])
@pytest.mark.parametrize("kind", ["normal", "ties", "exponential"])
@pytest.mark.parametrize("shift", [0.0, 0.1, 1.0])
def test_ks_and_wasserstein_equal_scipy(n1, n2, kind, shift):
    """Small samples take scipy's exact KS branch, large ones the asymptotic one
    (scipy/stats/_stats_py.py, ks_2samp, MAX_AUTO_N); both must agree with scipy, ties
    included, and Wasserstein must equal scipy.stats.wasserstein_distance."""
    rng = np.random.default_rng(n1 + n2)
    ref, cur = _pair(rng, n1, n2, shift, kind)
    got = stats.two_sample(ref, cur)
    want = sps.ks_2samp(ref, cur)
    assert got.ks_statistic == pytest.approx(float(want.statistic), abs=1e-12)
    assert got.ks_pvalue == pytest.approx(float(want.pvalue), rel=1e-9, abs=1e-300)
    assert got.wasserstein == pytest.approx(
        sps.wasserstein_distance(ref, cur), rel=1e-12, abs=1e-15
    )


def test_two_sample_refuses_an_empty_side():
    with pytest.raises(ValueError, match="two non-empty samples"):
        stats.two_sample(np.array([1.0]), np.array([]))


def test_psi_small_table_by_hand():
    # shares p = .5 .3 .2 and q = .4 .4 .2:
    # (.4-.5) ln(.4/.5) + (.4-.3) ln(.4/.3) + 0 = .0223143551 + .0287682072
    assert stats.psi(np.array([50, 30, 20]), np.array([40, 40, 20])) == pytest.approx(
        0.0510825624, abs=1e-10
    )


def test_psi_empty_bin_uses_the_floor():
    # p = 1, 0 -> 1, 1e-4 ; q = .5, .5:
    # (.5 - 1) ln(.5) + (.5 - 1e-4) ln(5000) = .3465735903 + .4999 * 8.5171931914
    #                                        = .3465735903 + 4.2577448765
    assert stats.psi(np.array([10, 0]), np.array([5, 5])) == pytest.approx(4.6043184668, abs=1e-9)


def test_psi_table_with_four_bins_by_hand():
    # p = .25 each, q = .1 .2 .3 .4:
    # -.15 ln .4 - .05 ln .8 + .05 ln 1.2 + .15 ln 1.6
    # = .1374436 + .0111572 + .0091161 + .0705005 = .2282174
    assert stats.psi(np.array([25, 25, 25, 25]), np.array([10, 20, 30, 40])) == pytest.approx(
        0.2282174, abs=1e-7
    )


@pytest.mark.parametrize(
    ("p", "q"), [([1, 2, 3], [3, 2, 1]), ([5, 0, 5], [0, 10, 0]), ([100, 1, 0, 7], [90, 3, 2, 9])]
)
def test_jensen_shannon_equals_scipy(p, q):
    assert stats.jensen_shannon(p, q) == pytest.approx(
        distance.jensenshannon(np.array(p, float), np.array(q, float), base=2), abs=1e-12
    )
    assert stats.jensen_shannon(p, q, base=math.e) == pytest.approx(
        distance.jensenshannon(np.array(p, float), np.array(q, float)), abs=1e-12
    )


@pytest.mark.parametrize(
    ("ref", "cur"),
    [
        ([30, 70], [45, 55]),
        ([30, 70], [30, 70]),
        ([10, 20, 30, 40], [15, 15, 35, 35]),
        ([10, 0, 30], [12, 4, 20]),
    ],
)
def test_chi2_homogeneity_equals_chi2_contingency(ref, cur):
    """scipy/stats/contingency.py, chi2_contingency: Yates' correction at dof 1."""
    table = np.array([ref, cur], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    want = sps.chi2_contingency(table).pvalue
    assert stats.chi2_homogeneity(ref, cur) == pytest.approx(want, rel=1e-12)


def test_chi2_homogeneity_with_one_category_has_nothing_to_test():
    assert stats.chi2_homogeneity(np.array([10, 0]), np.array([7, 0])) == 1.0


def test_chi2_goodness_of_fit_equals_chisquare():
    ref, cur = np.array([20.0, 30.0, 50.0]), np.array([25.0, 35.0, 40.0])
    want = sps.chisquare(cur, ref * cur.sum() / ref.sum()).pvalue
    assert stats.chi2_goodness_of_fit(ref, cur) == pytest.approx(want, rel=1e-12)


# --------------------------------------------------------------------------- properties

counts = st.lists(st.integers(0, 1000), min_size=2, max_size=12).filter(lambda c: sum(c) > 0)
samples = arrays(
    np.float64,
    st.integers(1, 200),
    elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=150, deadline=None)
@given(counts)
def test_identical_distributions_show_no_drift(c):
    assert stats.psi(c, c) == 0.0
    assert stats.jensen_shannon(c, c) == 0.0
    assert stats.chi2_homogeneity(c, c) == pytest.approx(1.0)


@settings(max_examples=150, deadline=None)
@given(samples)
def test_identical_samples_show_no_drift(x):
    x = np.sort(x)
    pair = stats.two_sample(x, x.copy())
    assert pair.ks_statistic == 0.0
    assert pair.wasserstein == 0.0
    assert pair.ks_pvalue == pytest.approx(1.0)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_binned_statistics_are_symmetric_and_bounded(data):
    size = data.draw(st.integers(2, 10))
    p = data.draw(
        st.lists(st.integers(0, 500), min_size=size, max_size=size).filter(lambda c: sum(c) > 0)
    )
    q = data.draw(
        st.lists(st.integers(0, 500), min_size=size, max_size=size).filter(lambda c: sum(c) > 0)
    )
    assert stats.psi(p, q) == pytest.approx(stats.psi(q, p), rel=1e-12, abs=1e-15)
    assert stats.psi(p, q) >= 0.0
    js = stats.jensen_shannon(p, q)
    assert js == pytest.approx(stats.jensen_shannon(q, p), abs=1e-12)
    assert 0.0 <= js <= 1.0
    assert 0.0 <= stats.chi2_homogeneity(p, q) <= 1.0
    assert stats.chi2_homogeneity(p, q) == pytest.approx(stats.chi2_homogeneity(q, p))


@settings(max_examples=150, deadline=None)
@given(samples, samples)
def test_sample_statistics_are_symmetric_and_bounded(x, y):
    x, y = np.sort(x), np.sort(y)
    forward, backward = stats.two_sample(x, y), stats.two_sample(y, x)
    assert 0.0 <= forward.ks_statistic <= 1.0
    assert 0.0 <= forward.ks_pvalue <= 1.0
    assert forward.ks_statistic == pytest.approx(backward.ks_statistic, abs=1e-12)
    assert forward.wasserstein == pytest.approx(backward.wasserstein, rel=1e-9, abs=1e-9)
    assert forward.wasserstein >= 0.0
    # W1 never exceeds the span of the pooled data
    span = max(x[-1], y[-1]) - min(x[0], y[0])
    assert forward.wasserstein <= span * (1 + 1e-12) + 1e-9
