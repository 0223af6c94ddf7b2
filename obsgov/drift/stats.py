"""The drift statistics, vectorised over whole columns.

Every function here takes sorted arrays or bin counts and returns plain floats; the engine
decides what to feed them. Each statistic follows one reference definition, named in its
docstring, and the tests pin it against that implementation (scipy) or against tables worked
by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

# Zero proportions make PSI infinite; a bin empty on one side is scored as if it held this
# share. 1e-4 is the common choice (one row in ten thousand), and it bounds a single bin's
# contribution to about |p| * 9.2.
PSI_EPSILON = 1e-4

# scipy's ks_2samp switches from the exact distribution to the asymptotic one above this
# sample size ('auto' mode); using the same switch keeps our p-values equal to scipy's.
KS_EXACT_MAX_N = 10_000


@dataclass(frozen=True)
class TwoSample:
    """KS and Wasserstein of two samples, computed from one merged pass."""

    ks_statistic: float
    ks_pvalue: float
    wasserstein: float


def two_sample(reference_sorted: np.ndarray, current_sorted: np.ndarray) -> TwoSample:
    """Two-sided two-sample Kolmogorov-Smirnov statistic and p-value, and the first
    Wasserstein distance, of two **sorted**, finite, non-empty float arrays.

    Definitions are scipy's: ``scipy.stats.ks_2samp(method='auto')`` and
    ``scipy.stats.wasserstein_distance`` (integral of |F_ref - F_cur|). Both ECDFs are
    evaluated on the merged sample, found in one linear merge instead of binary searches.
    """
    n1, n2 = reference_sorted.size, current_sorted.size
    if n1 == 0 or n2 == 0:
        raise ValueError("two_sample needs two non-empty samples")
    both = np.concatenate((reference_sorted, current_sorted))
    # Two sorted runs: the stable argsort (timsort) merges them in linear time, and the
    # permutation says which side each merged value came from.
    order = np.argsort(both, kind="stable")
    merged = both[order]
    from_reference = np.cumsum(order < n1)
    # Both ECDFs are right-continuous: within a run of equal values only the last position
    # counts, so evaluate them at the end of each run of ties.
    ends = np.append(np.flatnonzero(merged[1:] != merged[:-1]), merged.size - 1)
    count1 = from_reference[ends]
    count2 = (ends + 1) - count1
    diff = count1 / n1 - count2 / n2  # the same quotients scipy forms, so the same floats
    d = float(max(diff.max(), min(max(-diff.min(), 0.0), 1.0)))
    if max(n1, n2) <= KS_EXACT_MAX_N:
        # the exact branch also snaps D to the lattice of attainable values; take both
        exact = stats.ks_2samp(reference_sorted, current_sorted)
        d, pvalue = float(exact.statistic), float(exact.pvalue)
    else:
        m, n = sorted((float(n1), float(n2)), reverse=True)
        en = m * n / (m + n)
        pvalue = float(np.clip(stats.kstwo.sf(d, np.round(en)), 0.0, 1.0))
    # integral of |F1 - F2|: the step after each run end runs to the next distinct value
    wasserstein = float(np.sum(np.abs(diff[:-1]) * np.diff(merged[ends])))
    return TwoSample(d, pvalue, wasserstein)


def proportions(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    return counts / total if total > 0 else np.full_like(counts, np.nan)


def psi(
    reference_counts: np.ndarray, current_counts: np.ndarray, epsilon: float = PSI_EPSILON
) -> float:
    """Population stability index: sum over bins of (q - p) * ln(q / p), p the reference
    share and q the current share, each floored at ``epsilon`` so an empty bin stays finite.
    Symmetric in its arguments and never negative."""
    p = np.maximum(proportions(reference_counts), epsilon)
    q = np.maximum(proportions(current_counts), epsilon)
    return float(np.sum((q - p) * np.log(q / p)))


def psi_from_shares(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI of shares that have already had their zeros replaced (no flooring here)."""
    reference = np.asarray(reference, dtype=np.float64)
    current = np.asarray(current, dtype=np.float64)
    return float(np.sum((reference - current) * np.log(reference / current)))


def jensen_shannon(
    reference_counts: np.ndarray, current_counts: np.ndarray, base: float = 2.0
) -> float:
    """Jensen-Shannon distance (the square root of the divergence) between two binned
    distributions, as ``scipy.spatial.distance.jensenshannon(p, q, base)``; in base 2 it lies
    in [0, 1]."""
    p = proportions(reference_counts)
    q = proportions(current_counts)
    m = (p + q) / 2.0
    divergence = (np.sum(special.rel_entr(p, m)) + np.sum(special.rel_entr(q, m))) / 2.0
    divergence /= math.log(base)
    # rounding can leave -1e-17 where the distributions are equal
    return float(math.sqrt(max(divergence, 0.0)))


def chi2_homogeneity(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """p-value of Pearson's chi-square test that two samples share one categorical
    distribution: the 2 x K contingency table of counts, as
    ``scipy.stats.chi2_contingency(table)`` (Yates' correction when there is one degree of
    freedom, scipy's default). Categories absent from both samples are dropped; fewer than
    two categories leave nothing to test and give 1.0."""
    table = np.vstack(
        (
            np.asarray(reference_counts, dtype=np.float64),
            np.asarray(current_counts, dtype=np.float64),
        )
    )
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or np.any(table.sum(axis=1) == 0):
        return 1.0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    dof = table.shape[1] - 1
    observed = table
    if dof == 1:
        # scipy's Yates correction: move each observation half a unit towards its
        # expectation, never past it
        diff = expected - observed
        direction = np.sign(diff)
        magnitude = np.minimum(0.5, np.abs(diff))
        observed = observed + magnitude * direction
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    return float(stats.chi2.sf(statistic, dof))


def chi2_goodness_of_fit(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """p-value of ``scipy.stats.chisquare(current, expected)`` with the expectation the
    reference counts scaled by n_current / n_reference. This is the test Evidently's
    ``chisquare`` implements; obsgov reports :func:`chi2_homogeneity` and keeps this one for
    comparisons under matching definitions."""
    observed = np.asarray(current_counts, dtype=np.float64)
    reference = np.asarray(reference_counts, dtype=np.float64)
    expected = reference * (observed.sum() / reference.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = float(np.sum((observed - expected) ** 2 / expected))
    dof = observed.size - 1
    if math.isnan(statistic):
        return float("nan")
    return float(stats.chi2.sf(statistic, dof))


# --------------------------------------------------------------------------- grid statistics
#
# Past the exact limits a numeric sample is summarised on a grid g_0 < ... < g_m shared by the
# reference and the window: exact counts at each grid point (atoms), exact counts inside each
# open cell (g_j, g_{j+1}) with the exact sum of (x - g_j) there, and the same for the two
# tails. Both empirical CDFs are then known exactly at every grid point, together with their
# integral over every cell. Between grid points they are only known to be non-decreasing, so
# KS and Wasserstein are reported with deterministic bounds that hold for any data:
#
# * KS: D >= the largest difference at the grid points (the estimate) and D <= the largest
#   difference any non-decreasing CDFs with those cell ends could reach;
# * Wasserstein: in a cell where one CDF stays above the other the integral of |F_r - F_c| is
#   exact (the difference of the two integrals); elsewhere it lies between that difference and
#   the cell width times the largest possible gap, and the estimate lets each CDF step once,
#   at the mean of its values in the cell (the step function with the cell's exact ends and
#   integral). The tails are exact.
#
# The gap between the bounds shrinks with the mass per cell: with the default 4,096-point grid
# of reference quantiles it is about 1/4096 for KS.


@dataclass
class GridSample:
    """One sample summarised on ``grid`` (see above); merged by adding the fields."""

    grid: np.ndarray
    below: int
    below_offset: float  # sum of (g_0 - x) over x < g_0
    above: int
    above_offset: float  # sum of (x - g_m) over x > g_m
    atoms: np.ndarray  # int64, m + 1: values equal to g_j
    inner: np.ndarray  # int64, m: values in (g_j, g_{j+1})
    inner_offset: np.ndarray  # float64, m: sum of (x - g_j) over those values

    @classmethod
    def empty(cls, grid: np.ndarray) -> GridSample:
        m = max(grid.size - 1, 0)
        return cls(
            grid,
            0,
            0.0,
            0,
            0.0,
            np.zeros(grid.size, dtype=np.int64),
            np.zeros(m, dtype=np.int64),
            np.zeros(m, dtype=np.float64),
        )

    @property
    def n(self) -> int:
        return int(self.below + self.above + self.atoms.sum() + self.inner.sum())

    def add_sorted(self, values: np.ndarray) -> None:
        """Count a sorted batch of finite values."""
        grid = self.grid
        if values.size == 0:
            return
        if grid.size == 0:
            raise ValueError("an empty grid holds no values")
        lt = np.searchsorted(values, grid, side="left")
        le = np.searchsorted(values, grid, side="right")
        # sums of (x - shift) stay small for values far from zero (epoch seconds)
        shift = grid[grid.size // 2]
        running = np.concatenate((np.zeros(1), np.cumsum(values - shift)))
        n = values.size
        self.atoms += le - lt
        self.below += int(lt[0])
        self.below_offset += max(float(lt[0] * (grid[0] - shift) - running[lt[0]]), 0.0)
        self.above += int(n - le[-1])
        self.above_offset += max(
            float((running[n] - running[le[-1]]) - (n - le[-1]) * (grid[-1] - shift)), 0.0
        )
        if grid.size > 1:
            inner = lt[1:] - le[:-1]
            offset = (running[lt[1:]] - running[le[:-1]]) - inner * (grid[:-1] - shift)
            width = np.diff(grid)
            self.inner += inner
            self.inner_offset += np.clip(offset, 0.0, inner * width)

    def merge(self, other: GridSample) -> None:
        if other.grid.size != self.grid.size or not np.array_equal(other.grid, self.grid):
            raise ValueError("grid samples merge only on the same grid")
        self.below += other.below
        self.below_offset += other.below_offset
        self.above += other.above
        self.above_offset += other.above_offset
        self.atoms += other.atoms
        self.inner += other.inner
        self.inner_offset += other.inner_offset

    def cumulative(self) -> tuple[np.ndarray, np.ndarray]:
        """Counts of values below (``lt``) and at or below (``le``) each grid point."""
        m1 = self.grid.size
        lt = np.empty(m1, dtype=np.int64)
        le = np.empty(m1, dtype=np.int64)
        if m1 == 0:
            return lt, le
        # le[j] = below + atoms[0..j] + inner[0..j-1]; lt[j] = le[j] - atoms[j]
        steps = self.atoms.copy()
        steps[1:] += self.inner
        le[:] = self.below + np.cumsum(steps)
        lt[:] = le - self.atoms
        return lt, le

    def bin_counts(self, edges: np.ndarray) -> np.ndarray:
        """Counts in the coarse bins of :class:`~obsgov.drift.profile.NumericProfile`
        (below edges[0]; [e_{i-1}, e_i), the last interior bin closed; above edges[-1]),
        where every edge is a grid point."""
        n = self.n
        if edges.size == 0:
            return np.array([n], dtype=np.int64)
        lt, le = self.cumulative()
        index = np.searchsorted(self.grid, edges)
        if not np.array_equal(self.grid[np.minimum(index, self.grid.size - 1)], edges):
            raise ValueError("bin edges must be grid points")
        if edges.size == 1:
            # a constant: below, [c, c], above
            return np.diff(np.array([0, lt[index[0]], le[index[0]], n], dtype=np.int64))
        cuts = np.empty(edges.size + 2, dtype=np.int64)
        cuts[0] = 0
        cuts[1:-2] = lt[index[:-1]]
        cuts[-2] = le[index[-1]]
        cuts[-1] = n
        return np.diff(cuts)


@dataclass(frozen=True)
class GridTwoSample:
    ks_statistic: float
    ks_bounds: tuple[float, float]
    ks_pvalue: float
    ks_pvalue_bounds: tuple[float, float]
    wasserstein: float
    wasserstein_bounds: tuple[float, float]


def ks_pvalue_asymptotic(d: float, n1: int, n2: int) -> float:
    """scipy's ``ks_2samp`` p-value for large samples (its 'asymp' branch)."""
    m, n = sorted((float(n1), float(n2)), reverse=True)
    en = m * n / (m + n)
    return float(np.clip(stats.kstwo.sf(d, np.round(en)), 0.0, 1.0))


def grid_two_sample(reference: GridSample, current: GridSample) -> GridTwoSample:
    """KS and first Wasserstein distance of two samples on one grid, with bounds."""
    n_r, n_c = reference.n, current.n
    if n_r == 0 or n_c == 0:
        raise ValueError("grid_two_sample needs two non-empty samples")
    grid = reference.grid
    lt_r, le_r = reference.cumulative()
    lt_c, le_c = current.cumulative()
    at_r, at_c = le_r / n_r, le_c / n_c  # F(g_j)
    left_r, left_c = lt_r / n_r, lt_c / n_c  # F(g_j^-)
    exact_points = np.concatenate((np.abs(at_r - at_c), np.abs(left_r - left_c)))
    d_low = float(exact_points.max()) if exact_points.size else 0.0
    d_high = d_low
    # tails: F rises from 0 to F(g_0^-), and from F(g_m) to 1
    d_high = max(d_high, left_r[0], left_c[0], 1.0 - at_r[-1], 1.0 - at_c[-1])
    w_low = w_high = w_est = 0.0
    for mass_r, mass_c, off_r, off_c in (
        (reference.below, current.below, reference.below_offset, current.below_offset),
        (reference.above, current.above, reference.above_offset, current.above_offset),
    ):
        i_r, i_c = off_r / n_r, off_c / n_c
        if mass_r == 0 or mass_c == 0:
            exact = abs(i_r - i_c)
            w_low, w_high, w_est = w_low + exact, w_high + exact, w_est + exact
        else:
            w_low += abs(i_r - i_c)
            w_high += i_r + i_c
            w_est += (abs(i_r - i_c) + i_r + i_c) / 2
    if grid.size > 1:
        width = np.diff(grid)
        lo_r, hi_r = at_r[:-1], left_r[1:]
        lo_c, hi_c = at_c[:-1], left_c[1:]
        # integral of F over the open cell: w F(g_j) + sum of (g_{j+1} - x) / n
        int_r = width * lo_r + (reference.inner * width - reference.inner_offset) / n_r
        int_c = width * lo_c + (current.inner * width - current.inner_offset) / n_c
        lower = np.abs(int_r - int_c)
        gap = np.maximum(hi_r - lo_c, hi_c - lo_r)
        separated = (hi_c <= lo_r) | (hi_r <= lo_c)
        upper = np.where(separated, lower, np.maximum(lower, width * np.maximum(gap, 0.0)))
        # estimate: each CDF steps once, at the mean of its values in the cell (the one step
        # function with the cell's exact ends and integral), then integrate |F_r - F_c|
        with np.errstate(invalid="ignore", divide="ignore"):
            step_r = np.where(reference.inner > 0, reference.inner_offset / reference.inner, 0.0)
            step_c = np.where(current.inner > 0, current.inner_offset / current.inner, 0.0)
        first, second = np.minimum(step_r, step_c), np.maximum(step_r, step_c)
        middle = np.where(step_r <= step_c, np.abs(hi_r - lo_c), np.abs(lo_r - hi_c))
        linear = (
            np.abs(lo_r - lo_c) * first
            + middle * (second - first)
            + np.abs(hi_r - hi_c) * (width - second)
        )
        estimate = np.clip(linear, lower, upper)
        w_low += float(lower.sum())
        w_high += float(upper.sum())
        w_est += float(estimate.sum())
        # inside a cell one CDF may jump early and the other late: the whole gap is possible
        d_high = max(d_high, float(np.max(gap, initial=0.0)))
    d_high = min(max(d_high, d_low), 1.0)
    pvalue = ks_pvalue_asymptotic(d_low, n_r, n_c)
    return GridTwoSample(
        ks_statistic=d_low,
        ks_bounds=(d_low, d_high),
        ks_pvalue=pvalue,
        ks_pvalue_bounds=(
            pvalue if d_high == d_low else ks_pvalue_asymptotic(d_high, n_r, n_c),
            pvalue,
        ),
        wasserstein=w_est,
        wasserstein_bounds=(w_low, max(w_high, w_est)),
    )
