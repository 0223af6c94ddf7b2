"""Compare a window of data with a baseline: drift statistics and data-quality checks per
feature, and the dataset-level summary.

Nothing here raises on bad data. Empty windows, all-missing or constant features, unseen
categories, NaN and infinities are counted and reported; a statistic that cannot be computed
(no values on one side) is ``None`` with the reason in ``note``.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import stats
from .data import Frame, numeric_column, text_column, value_counts
from .profile import Baseline, CategoricalProfile, NumericProfile, bin_counts
from .schema import ThresholdConfig, Thresholds

UNSEEN_SHOWN = 10


@dataclass
class FeatureResult:
    name: str
    type: str
    rows: int
    missing: int
    missing_rate: float
    baseline_missing_rate: float
    missing_rate_change: float
    values: int  # usable values: not missing, not invalid, finite
    psi: float | None = None
    js_distance: float | None = None
    ks_statistic: float | None = None
    ks_pvalue: float | None = None
    wasserstein: float | None = None
    chi2_pvalue: float | None = None
    drifted: bool = False
    drift_reasons: list[str] = field(default_factory=list)
    schema_violations: int = 0
    invalid: int = 0
    nonfinite: int = 0
    out_of_range: int = 0
    out_of_range_rate: float = 0.0
    unseen: int = 0
    unseen_rate: float = 0.0
    unseen_examples: dict[str, int] = field(default_factory=dict)
    absent: bool = False
    note: str = ""
    # What the HTML report plots: labels, baseline and current shares per bin.
    bins: list[str] = field(default_factory=list)
    baseline_shares: list[float] = field(default_factory=list)
    current_shares: list[float] = field(default_factory=list)
    thresholds: dict[str, float | None] = field(default_factory=dict)


@dataclass
class DatasetResult:
    rows: int
    features: int
    features_evaluated: int
    drifted_features: list[str]
    drifted_share: float
    drifted_share_threshold: float
    dataset_drift: bool
    schema_violations: int
    out_of_range: int
    out_of_range_rate: float
    unseen: int
    unseen_rate: float
    duplicate_rows: int
    duplicate_row_rate: float
    malformed_records: int
    malformed_examples: list[str]


@dataclass
class DriftReport:
    source: str
    baseline_source: str
    dataset: DatasetResult
    features: list[FeatureResult]

    def to_dict(self) -> dict[str, Any]:
        return _finite(
            {
                "format": "obsgov-drift-report",
                "version": 1,
                "source": self.source,
                "baseline": self.baseline_source,
                "dataset": asdict(self.dataset),
                "features": [asdict(f) for f in self.features],
            }
        )


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


# --------------------------------------------------------------------------- numeric


def _numeric(
    name: str, profile: NumericProfile, column: pa.ChunkedArray | None, rows: int
) -> tuple[FeatureResult, np.ndarray | None]:
    if column is None:
        return _absent(name, profile, rows), None
    converted = numeric_column(column)
    values = converted.values
    finite = values[np.isfinite(values)]
    finite.sort()
    nonfinite = int(np.isinf(values).sum())
    missing_rate = _rate(converted.missing, rows)
    result = FeatureResult(
        name=name,
        type="numeric",
        rows=rows,
        missing=converted.missing,
        missing_rate=missing_rate,
        baseline_missing_rate=profile.missing_rate,
        missing_rate_change=missing_rate - profile.missing_rate,
        values=int(finite.size),
        invalid=converted.invalid,
        nonfinite=nonfinite,
    )
    result.schema_violations = (
        converted.invalid + nonfinite + (0 if profile.spec.nullable else converted.missing)
    )
    low, high = profile.allowed_range()
    if finite.size:
        below = int(np.searchsorted(finite, low, side="left")) if low is not None else 0
        above = (
            int(finite.size - np.searchsorted(finite, high, side="right"))
            if high is not None
            else 0
        )
        result.out_of_range = below + above
        result.out_of_range_rate = _rate(result.out_of_range, int(finite.size))
    edges = np.asarray(profile.edges, dtype=np.float64)
    reference_counts = np.asarray(profile.bin_counts, dtype=np.int64)
    current_counts = bin_counts(finite, edges)
    result.bins = _numeric_labels(edges)
    result.baseline_shares = stats.proportions(reference_counts).tolist()
    result.current_shares = stats.proportions(current_counts).tolist() if finite.size else []
    reference = profile.reference
    if finite.size == 0 or reference.size == 0:
        result.note = (
            "no usable values in the window"
            if finite.size == 0
            else "the baseline has no usable values"
        )
        return result, values
    result.psi = stats.psi(reference_counts, current_counts)
    result.js_distance = stats.jensen_shannon(reference_counts, current_counts)
    pair = stats.two_sample(reference, finite)
    result.ks_statistic, result.ks_pvalue = pair.ks_statistic, pair.ks_pvalue
    result.wasserstein = pair.wasserstein
    return result, values


def _numeric_labels(edges: np.ndarray) -> list[str]:
    if edges.size == 0:
        return ["all"]
    labels = [f"< {edges[0]:.4g}"]
    for j in range(1, edges.size):
        closing = "]" if j == edges.size - 1 else ")"
        labels.append(f"[{edges[j - 1]:.4g}, {edges[j]:.4g}{closing}")
    labels.append(f"> {edges[-1]:.4g}")
    return labels


# --------------------------------------------------------------------------- categorical


def _categorical(
    name: str, profile: CategoricalProfile, column: pa.ChunkedArray | None, rows: int
) -> tuple[FeatureResult, pa.ChunkedArray | None]:
    if column is None:
        return _absent(name, profile, rows), None
    texts = text_column(column)
    names, counts, nulls = value_counts(texts)
    missing_rate = _rate(nulls, rows)
    index = profile.index
    current = np.zeros(len(profile.categories) + 1, dtype=np.int64)
    unseen: dict[str, int] = {}
    allowed = profile.spec.category_set()
    allowed_set = set(allowed) if allowed is not None else None
    outside_declared = 0
    for value, count in zip(names, counts.tolist(), strict=True):
        position = index.get(value)
        if position is None:
            current[-1] += count
            unseen[value] = count
        else:
            current[position] += count
        if allowed_set is not None and value not in allowed_set:
            outside_declared += count
    present = int(counts.sum())
    result = FeatureResult(
        name=name,
        type="categorical",
        rows=rows,
        missing=nulls,
        missing_rate=missing_rate,
        baseline_missing_rate=profile.missing_rate,
        missing_rate_change=missing_rate - profile.missing_rate,
        values=present,
    )
    result.schema_violations = outside_declared + (0 if profile.spec.nullable else nulls)
    result.unseen = sum(unseen.values())
    result.unseen_rate = _rate(result.unseen, present)
    top = sorted(unseen.items(), key=lambda kv: (-kv[1], kv[0]))[:UNSEEN_SHOWN]
    result.unseen_examples = dict(top)
    reference = np.asarray(profile.counts + [profile.other], dtype=np.int64)
    result.bins = [*profile.categories, "(other)" if profile.truncated else "(unseen)"]
    result.baseline_shares = stats.proportions(reference).tolist()
    result.current_shares = stats.proportions(current).tolist() if present else []
    if profile.truncated:
        result.note = (
            f"the baseline kept its {len(profile.categories)} most frequent "
            "categories; rarer ones count as unseen"
        )
    if present == 0 or reference.sum() == 0:
        result.note = (
            "no usable values in the window"
            if present == 0
            else "the baseline has no usable values"
        )
        return result, texts
    result.psi = stats.psi(reference, current)
    result.js_distance = stats.jensen_shannon(reference, current)
    result.chi2_pvalue = stats.chi2_homogeneity(reference, current)
    return result, texts


def _absent(name: str, profile: NumericProfile | CategoricalProfile, rows: int) -> FeatureResult:
    result = FeatureResult(
        name=name,
        type=profile.type,
        rows=rows,
        missing=rows,
        missing_rate=1.0 if rows else 0.0,
        baseline_missing_rate=profile.missing_rate,
        missing_rate_change=(1.0 if rows else 0.0) - profile.missing_rate,
        values=0,
        absent=True,
        note="the window has no such column",
    )
    result.schema_violations = 0 if profile.spec.nullable else rows
    return result


# --------------------------------------------------------------------------- decisions


def decide(result: FeatureResult, limits: Thresholds) -> None:
    reasons = []

    def at_least(value: float | None, limit: float | None, label: str) -> None:
        if value is not None and limit is not None and value >= limit:
            reasons.append(f"{label} {value:.4g} >= {limit:g}")

    def below(value: float | None, limit: float | None, label: str) -> None:
        if value is not None and limit is not None and value < limit:
            reasons.append(f"{label} {value:.3g} < {limit:g}")

    at_least(result.psi, limits.psi, "PSI")
    at_least(result.js_distance, limits.js_distance, "JS distance")
    at_least(result.wasserstein, limits.wasserstein, "Wasserstein")
    below(result.ks_pvalue, limits.ks_pvalue, "KS p-value")
    below(result.chi2_pvalue, limits.chi2_pvalue, "chi-square p-value")
    if limits.missing_rate_change is not None and result.rows:
        at_least(abs(result.missing_rate_change), limits.missing_rate_change, "missing-rate change")
    result.drift_reasons = reasons
    result.drifted = bool(reasons)
    result.thresholds = limits.model_dump()


# --------------------------------------------------------------------------- duplicates

_MIX = np.uint64(0x9E3779B97F4A7C15)


def _codes(values: np.ndarray | pa.ChunkedArray) -> np.ndarray:
    """One uint64 per row that is equal exactly when the values are equal."""
    if isinstance(values, np.ndarray):
        canonical = np.where(np.isnan(values), np.nan, values) + 0.0  # one NaN, and -0.0 -> 0.0
        return canonical.view(np.uint64)
    encoded = pc.dictionary_encode(values).combine_chunks() if len(values) else None
    if encoded is None:
        return np.zeros(0, dtype=np.uint64)
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return indices.astype(np.int64).view(np.uint64)


def duplicate_rows(columns: list[np.ndarray], rows: int) -> int:
    """Rows that repeat an earlier row, counted exactly: rows are hashed, and only rows
    whose hash is shared are compared value by value."""
    if rows < 2 or not columns:
        return 0
    digest = np.zeros(rows, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for codes in columns:
            digest = (digest ^ codes) * _MIX
            digest ^= digest >> np.uint64(29)
    order = np.argsort(digest, kind="stable")
    ordered = digest[order]
    same_as_next = ordered[1:] == ordered[:-1]
    shared = np.zeros(rows, dtype=bool)
    shared[1:] |= same_as_next
    shared[:-1] |= same_as_next
    candidates = order[shared]
    if candidates.size == 0:
        return 0
    matrix = np.stack([codes[candidates] for codes in columns], axis=1)
    distinct = np.unique(matrix, axis=0).shape[0]
    return int(candidates.size - distinct)


# --------------------------------------------------------------------------- the run


def evaluate(
    baseline: Baseline, frame: Frame, thresholds: ThresholdConfig | None = None, workers: int = 2
) -> DriftReport:
    """The report for ``frame`` against ``baseline``; ``thresholds`` override the ones the
    baseline recorded, key by key."""
    config = thresholds.merged_over(baseline.thresholds) if thresholds else baseline.thresholds
    rows = frame.rows

    def one(item: tuple[str, Any]) -> tuple[FeatureResult, Any]:
        name, profile = item
        column = frame.columns.get(name)
        if isinstance(profile, NumericProfile):
            return _numeric(name, profile, column, rows)
        return _categorical(name, profile, column, rows)

    # numpy's sorts and searches and Arrow's kernels release the GIL: features run in
    # parallel threads without copying the data into other processes.
    items = list(baseline.features.items())
    if workers > 1 and len(items) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(one, items))
    else:
        outcomes = [one(item) for item in items]
    results = [r for r, _ in outcomes]
    for result in results:
        decide(result, config.for_feature(result.name))
    codes = [_codes(kept) for _, kept in outcomes if kept is not None]
    duplicates = duplicate_rows(codes, rows)
    evaluated = [r for r in results if r.psi is not None or r.ks_statistic is not None]
    drifted = [r.name for r in results if r.drifted]
    share = _rate(len(drifted), len(results))
    numeric_values = sum(r.values for r in results if r.type == "numeric")
    categorical_values = sum(r.values for r in results if r.type == "categorical")
    out_of_range = sum(r.out_of_range for r in results)
    unseen = sum(r.unseen for r in results)
    dataset = DatasetResult(
        rows=rows,
        features=len(results),
        features_evaluated=len(evaluated),
        drifted_features=drifted,
        drifted_share=share,
        drifted_share_threshold=config.dataset_share(),
        dataset_drift=bool(results) and share >= config.dataset_share(),
        schema_violations=sum(r.schema_violations for r in results),
        out_of_range=out_of_range,
        out_of_range_rate=_rate(out_of_range, numeric_values),
        unseen=unseen,
        unseen_rate=_rate(unseen, categorical_values),
        duplicate_rows=duplicates,
        duplicate_row_rate=_rate(duplicates, rows),
        malformed_records=frame.malformed.count,
        malformed_examples=list(frame.malformed.examples),
    )
    return DriftReport(frame.source, baseline.source, dataset, results)
