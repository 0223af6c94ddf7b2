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
