"""Compare a window of data with a baseline: drift statistics and data-quality checks per
feature, and the dataset-level verdict.

A window is read as a stream of record batches into a :class:`WindowAccumulator` (bounded
memory, mergeable: the Spark job builds one per task and merges them), then
:func:`compare` turns it into a :class:`DriftReport`. :func:`evaluate` does both for a frame
or a source.

How exact each figure is:

* counts, missing rates, schema violations, out-of-range and unseen-category counts, PSI,
  Jensen-Shannon and chi-square: exact at any window size (the reference's coarse bins and
  categories are counted exactly);
* KS statistic and p-value, Wasserstein distance: scipy's exact two-sample statistics
  (``method: exact``) while the reference kept all its values (at most ``exact_limit``,
  10,000 by default) and the window has at most :data:`WINDOW_EXACT_LIMIT` values of the
  feature; past either, computed on the reference's grid (``method: grid``) with
  deterministic bounds (``ks_statistic_bounds``, ``ks_pvalue_bounds``,
  ``wasserstein_bounds``) that the true values always lie within. The p-value uses the true
  sample sizes, never a sample's;
* duplicate rows: exact (64-bit row hashes: a false duplicate has probability about
  n**2 / 2**65, 3e-6 at ten million rows) up to 4 million distinct rows, then estimated from a
  hash-defined sample (``duplicate_rows_exact: false``);
* new-value rate of identifiers: exact while both sides have fewer than 4,096 distinct values,
  else estimated from bottom-k sketches, with its standard error.

Nothing here raises on bad data. A window with no rows, or in which no feature could be judged,
gets ``status: not_judged``: never "no drift".
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from obsgov.clock import utc_now

from . import definition, stats
from .data import Frame, FrameSource, Malformed, Source, hash_numbers, hash_text
from .profile import Baseline, CategoricalProfile, IdentifierProfile, NumericProfile
from .schema import ThresholdConfig, Thresholds
from .sketch import (
    CategoricalWindow,
    DuplicateCounter,
    IdentifierWindow,
    NumericWindow,
    new_value_share,
    row_hashes,
)

UNSEEN_SHOWN = 10
WINDOW_EXACT_LIMIT = 100_000
# Exact window values across all numeric features stay under this many (800 MB / 8 bytes
# would be the whole budget; a tenth of it is plenty).
WINDOW_EXACT_BUDGET = 12_500_000


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
    wasserstein_normed: float | None = None
    chi2_pvalue: float | None = None
    # how KS and Wasserstein were computed: "exact" or "grid" (then with bounds)
    method: str = ""
    ks_statistic_bounds: list[float] | None = None
    ks_pvalue_bounds: list[float] | None = None
    wasserstein_bounds: list[float] | None = None
    new_value_rate: float | None = None
    new_value_rate_error: float | None = None
    newest: str | None = None
    age_seconds: float | None = None
    judged: bool = False
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
    features_judged: int
    drifted_features: list[str]
    drifted_share: float
    drifted_share_threshold: float
    dataset_drift: bool
    # "drift", "no_drift" or "not_judged" (no rows, or no feature could be judged)
    status: str
    schema_violations: int
    out_of_range: int
    out_of_range_rate: float
    unseen: int
    unseen_rate: float
    duplicate_rows: int
    duplicate_row_rate: float
    duplicate_rows_exact: bool
    malformed_records: int
    malformed_examples: list[str]
    extra_columns: list[str] = field(default_factory=list)

    @property
    def judged(self) -> bool:
        return self.status != "not_judged"


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
                "version": 2,
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


def _rate(part: int | float, whole: int | float) -> float:
    return part / whole if whole else 0.0


# --------------------------------------------------------------------------- accumulating


class WindowAccumulator:
    """Everything :func:`compare` needs of a window, filled batch by batch; mergeable."""

    def __init__(
        self,
        baseline: Baseline,
        *,
        exact_limit: int | None = None,
        duplicates: bool = True,
    ) -> None:
        numeric = [n for n, p in baseline.features.items() if isinstance(p, NumericProfile)] or [""]
        if exact_limit is None:
            exact_limit = min(WINDOW_EXACT_LIMIT, WINDOW_EXACT_BUDGET // len(numeric))
        self.rows = 0
        self.seen: set[str] = set()
        self.features: dict[str, NumericWindow | CategoricalWindow | IdentifierWindow] = {}
        for name, profile in baseline.features.items():
            if isinstance(profile, NumericProfile):
                self.features[name] = NumericWindow(
                    profile.type, profile.grid.sample.grid, exact_limit
                )
            elif isinstance(profile, CategoricalProfile):
                self.features[name] = CategoricalWindow(
                    list(profile.categories),
                    list(profile.pooled),
                    profile.spec.category_set(),
                )
            else:
                self.features[name] = IdentifierWindow()
        self.duplicates = DuplicateCounter() if duplicates else None

    def update(self, batch: pa.RecordBatch) -> None:
        rows = batch.num_rows
        self.rows += rows
        names = set(batch.schema.names)
        codes: list[np.ndarray] = []
        for name, accumulator in self.features.items():
            if name in names:
                column = batch.column(name)
                self.seen.add(name)
            else:
                column = pa.nulls(rows)
            kept = accumulator.update(column)
            if self.duplicates is not None and name in names:
                if isinstance(accumulator, NumericWindow):
                    codes.append(hash_numbers(kept))
                elif isinstance(accumulator, CategoricalWindow):
                    codes.append(hash_text(kept))
                else:
                    codes.append(kept)
        if self.duplicates is not None and codes and rows:
            self.duplicates.update(row_hashes(codes, rows))

    def merge(self, other: WindowAccumulator) -> None:
        self.rows += other.rows
        self.seen |= other.seen
        for name, accumulator in self.features.items():
            accumulator.merge(other.features[name])  # type: ignore[arg-type]
        if self.duplicates is not None and other.duplicates is not None:
            self.duplicates.merge(other.duplicates)


def accumulate(baseline: Baseline, source: Source, **options: Any) -> WindowAccumulator:
    accumulator = WindowAccumulator(baseline, **options)
    for batch in source.batches(list(baseline.features)):
        accumulator.update(batch)
    return accumulator


# --------------------------------------------------------------------------- numeric


def _numeric(
    name: str, profile: NumericProfile, window: NumericWindow, rows: int, now: dt.datetime
) -> FeatureResult:
    counts = window.counts
    values = window.moments.n
    missing_rate = _rate(counts.missing, rows)
    result = FeatureResult(
        name=name,
        type=profile.type,
        rows=rows,
        missing=counts.missing,
        missing_rate=missing_rate,
        baseline_missing_rate=profile.missing_rate,
        missing_rate_change=missing_rate - profile.missing_rate,
        values=values,
        invalid=counts.invalid,
        nonfinite=counts.nonfinite,
    )
    result.schema_violations = (
        counts.invalid + counts.nonfinite + (0 if profile.spec.nullable else counts.missing)
    )
    reference = profile.grid.sample
    current = window.sample
    edges = np.asarray(profile.edges, dtype=np.float64)
    if profile.type == "timestamp" and values:
        newest = window.moments.maximum
        result.newest = _moment(newest).isoformat()
        result.age_seconds = now.timestamp() - newest
    if profile.type == "numeric" and values and reference.grid.size:
        result.out_of_range = _out_of_range(profile, window)
        result.out_of_range_rate = _rate(result.out_of_range, values)
    reference_counts = np.asarray(profile.bin_counts, dtype=np.int64)
    result.bins = _numeric_labels(edges, profile.type)
    result.baseline_shares = stats.proportions(reference_counts).tolist()
    if values == 0 or profile.values == 0:
        result.note = (
            "no usable values in the window" if values == 0 else "the baseline has no usable values"
        )
        return result
    current_counts = current.bin_counts(edges)
    result.current_shares = stats.proportions(current_counts).tolist()
    result.psi = stats.psi(reference_counts, current_counts)
    result.js_distance = stats.jensen_shannon(reference_counts, current_counts)
    result.chi2_pvalue = stats.chi2_homogeneity(reference_counts, current_counts)
    exact_reference = profile.reference
    exact_window = window.exact.values()
    if exact_reference is not None and exact_window is not None:
        pair = stats.two_sample(exact_reference, exact_window)
        result.method = "exact"
        result.ks_statistic, result.ks_pvalue = pair.ks_statistic, pair.ks_pvalue
        result.wasserstein = pair.wasserstein
    else:
        grid = stats.grid_two_sample(reference, current)
        result.method = "grid"
        result.ks_statistic, result.ks_pvalue = grid.ks_statistic, grid.ks_pvalue
        result.wasserstein = grid.wasserstein
        result.ks_statistic_bounds = list(grid.ks_bounds)
        result.ks_pvalue_bounds = list(grid.ks_pvalue_bounds)
        result.wasserstein_bounds = list(grid.wasserstein_bounds)
    result.wasserstein_normed = result.wasserstein / _normaliser(profile)
    return result


def _normaliser(profile: NumericProfile) -> float:
    """Evidently's: the reference's population standard deviation, at least 0.001."""
    n = profile.values
    std = profile.summary.std or 0.0
    population = std * math.sqrt((n - 1) / n) if n > 1 else 0.0
    return max(population, 0.001)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _moment(seconds: float) -> dt.datetime:
    """Seconds since the epoch as a UTC instant (a conversion, not a clock reading)."""
    return _EPOCH + dt.timedelta(seconds=seconds)


def _out_of_range(profile: NumericProfile, window: NumericWindow) -> int:
    low, high = profile.allowed_range()
    sample = window.sample
    grid = sample.grid
    lt, le = sample.cumulative()
    below = above = 0
    if low is not None:
        below = int(lt[int(np.searchsorted(grid, low))]) if low in grid else 0
    if high is not None:
        above = int(sample.n - le[int(np.searchsorted(grid, high))]) if high in grid else 0
    return below + above


def _numeric_labels(edges: np.ndarray, kind: str) -> list[str]:
    def show(value: float) -> str:
        if kind == "timestamp":
            return _moment(value).strftime("%Y-%m-%d %H:%M")
        return f"{value:.4g}"

    if edges.size == 0:
        return ["all"]
    if edges.size == 1:
        return [
            f"< {show(edges[0])}",
            f"[{show(edges[0])}, {show(edges[0])}]",
            f"> {show(edges[0])}",
        ]
    labels = [f"< {show(edges[0])}"]
    for j in range(1, edges.size):
        closing = "]" if j == edges.size - 1 else ")"
        labels.append(f"[{show(edges[j - 1])}, {show(edges[j])}{closing}")
    labels.append(f"> {show(edges[-1])}")
    return labels


# --------------------------------------------------------------------------- categorical


def _categorical(
    name: str, profile: CategoricalProfile, window: CategoricalWindow, rows: int
) -> FeatureResult:
    current = window.counts.copy()
    present = int(current.sum())
    missing_rate = _rate(window.missing, rows)
    result = FeatureResult(
        name=name,
        type="categorical",
        rows=rows,
        missing=window.missing,
        missing_rate=missing_rate,
        baseline_missing_rate=profile.missing_rate,
        missing_rate_change=missing_rate - profile.missing_rate,
        values=present,
    )
    result.schema_violations = window.outside_declared + (
        0 if profile.spec.nullable else window.missing
    )
    if profile.pooled_complete:
        result.unseen = int(current[-1])
        result.unseen_rate = _rate(result.unseen, present)
        result.unseen_examples = dict(window.unseen.top(UNSEEN_SHOWN))
    else:
        # the baseline could not name every rare category: a value it does not list may be
        # one of them, so it counts as "other", not as unseen
        current[-2] += current[-1]
        current[-1] = 0
        result.note = (
            f"the baseline named {len(profile.categories) + len(profile.pooled)} of its "
            "categories; values outside them count as other, not unseen"
        )
    reference = np.asarray([*profile.counts, profile.other, 0], dtype=np.int64)
    result.bins = [*profile.categories, "(other)", "(unseen)"]
    result.baseline_shares = stats.proportions(reference).tolist()
    result.current_shares = stats.proportions(current).tolist() if present else []
    if present == 0 or reference.sum() == 0:
        result.note = (
            "no usable values in the window"
            if present == 0
            else "the baseline has no usable values"
        )
        return result
    result.psi = stats.psi(reference, current)
    result.js_distance = stats.jensen_shannon(reference, current)
    result.chi2_pvalue = stats.chi2_homogeneity(reference, current)
    if profile.count_error:
        result.note = (
            f"baseline counts are from a frequent-items sketch (each within {profile.count_error})"
        )
    return result


def _identifier(
    name: str, profile: IdentifierProfile, window: IdentifierWindow, rows: int
) -> FeatureResult:
    missing_rate = _rate(window.missing, rows)
    result = FeatureResult(
        name=name,
        type="identifier",
        rows=rows,
        missing=window.missing,
        missing_rate=missing_rate,
        baseline_missing_rate=profile.missing_rate,
        missing_rate_change=missing_rate - profile.missing_rate,
        values=rows - window.missing,
        note=f"identifier ({profile.reason}): no distribution statistics",
    )
    result.schema_violations = 0 if profile.spec.nullable else window.missing
    if result.values:
        share, error = new_value_share(profile.sketch, window.distinct)
        result.new_value_rate, result.new_value_rate_error = share, error
    return result


def _absent(
    name: str, profile: NumericProfile | CategoricalProfile | IdentifierProfile, rows: int
) -> FeatureResult:
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


def feature_thresholds(
    baseline: Baseline, name: str, config: ThresholdConfig | None = None
) -> Thresholds:
    """The thresholds that judge ``name``: the shared definition's defaults for its type and
    reference size, then the baseline's and ``config``'s overrides."""
    profile = baseline.features[name]
    if isinstance(profile, NumericProfile):
        base = definition.default_thresholds(profile.type, profile.values, profile.distinct)
    elif isinstance(profile, CategoricalProfile):
        present = profile.rows - profile.missing
        base = definition.default_thresholds("categorical", present, profile.distinct)
    else:
        base = definition.default_thresholds("identifier", profile.values, None)
    merged = config.merged_over(baseline.thresholds) if config else baseline.thresholds
    return merged.for_feature(name, base)


def decide(result: FeatureResult, limits: Thresholds) -> None:
    reasons = []
    judged = False

    def at_least(value: float | None, limit: float | None, label: str) -> None:
        nonlocal judged
        if value is not None and limit is not None:
            judged = True
            if value >= limit:
                reasons.append(f"{label} {value:.4g} >= {limit:g}")

    def below(value: float | None, limit: float | None, label: str) -> None:
        nonlocal judged
        if value is not None and limit is not None:
            judged = True
            if value < limit:
                reasons.append(f"{label} {value:.3g} < {limit:g}")

    at_least(result.psi, limits.psi, "PSI")
    at_least(result.js_distance, limits.js_distance, "JS distance")
    at_least(result.wasserstein, limits.wasserstein, "Wasserstein")
    at_least(result.wasserstein_normed, limits.wasserstein_normed, "normed Wasserstein")
    below(result.ks_pvalue, limits.ks_pvalue, "KS p-value")
    below(result.chi2_pvalue, limits.chi2_pvalue, "chi-square p-value")
    at_least(result.new_value_rate, limits.new_value_rate, "new-value rate")
    at_least(result.age_seconds, limits.max_age_seconds, "age of newest value (s)")
    if result.rows:
        at_least(abs(result.missing_rate_change), limits.missing_rate_change, "missing-rate change")
    result.drift_reasons = reasons
    result.drifted = bool(reasons)
    result.judged = judged
    result.thresholds = limits.model_dump()


# --------------------------------------------------------------------------- the report


def compare(
    baseline: Baseline,
    window: WindowAccumulator,
    *,
    source: str,
    thresholds: ThresholdConfig | None = None,
    malformed: Malformed | None = None,
    columns: list[str] | None = None,
    duplicates: tuple[int, bool] | None = None,
    now: dt.datetime | None = None,
) -> DriftReport:
    """The report for an accumulated window. ``columns`` are the window's column names (for
    the extra-column check); ``duplicates`` overrides the accumulator's count (the Spark job
    counts them with Spark)."""
    now = now or utc_now()
    config = thresholds.merged_over(baseline.thresholds) if thresholds else baseline.thresholds
    rows = window.rows
    results: list[FeatureResult] = []
    for name, profile in baseline.features.items():
        accumulator = window.features[name]
        if name not in window.seen and (columns is None or name not in columns):
            result = _absent(name, profile, rows)
        elif isinstance(profile, NumericProfile):
            assert isinstance(accumulator, NumericWindow)
            result = _numeric(name, profile, accumulator, rows, now)
        elif isinstance(profile, CategoricalProfile):
            assert isinstance(accumulator, CategoricalWindow)
            result = _categorical(name, profile, accumulator, rows)
        else:
            assert isinstance(accumulator, IdentifierWindow)
            result = _identifier(name, profile, accumulator, rows)
        decide(result, feature_thresholds(baseline, name, thresholds))
        results.append(result)
    if duplicates is None:
        duplicates = window.duplicates.result() if window.duplicates is not None else (0, True)
    duplicate_count, duplicates_exact = duplicates
    evaluated = [r for r in results if r.psi is not None or r.ks_statistic is not None]
    judged = [r for r in results if r.judged]
    drifted = [r.name for r in results if r.drifted]
    share = _rate(len(drifted), len(judged))
    threshold = config.dataset_share()
    if rows == 0 or not judged:
        status = "not_judged"
        verdict = False
    else:
        verdict = definition.dataset_drift(len(drifted), len(judged), threshold)
        status = "drift" if verdict else "no_drift"
    numeric_values = sum(r.values for r in results if r.type == "numeric")
    categorical_values = sum(r.values for r in results if r.type == "categorical")
    out_of_range = sum(r.out_of_range for r in results)
    unseen = sum(r.unseen for r in results)
    malformed = malformed or Malformed()
    extra = [c for c in (columns or []) if c not in baseline.features]
    dataset = DatasetResult(
        rows=rows,
        features=len(results),
        features_evaluated=len(evaluated),
        features_judged=len(judged),
        drifted_features=drifted,
        drifted_share=share,
        drifted_share_threshold=threshold,
        dataset_drift=verdict,
        status=status,
        schema_violations=sum(r.schema_violations for r in results),
        out_of_range=out_of_range,
        out_of_range_rate=_rate(out_of_range, numeric_values),
        unseen=unseen,
        unseen_rate=_rate(unseen, categorical_values),
        duplicate_rows=duplicate_count,
        duplicate_row_rate=_rate(duplicate_count, rows),
        duplicate_rows_exact=duplicates_exact,
        malformed_records=malformed.count,
        malformed_examples=list(malformed.examples),
        extra_columns=extra,
    )
    return DriftReport(source, baseline.source, dataset, results)


def evaluate(
    baseline: Baseline,
    data: Frame | Source,
    thresholds: ThresholdConfig | None = None,
    *,
    now: dt.datetime | None = None,
    exact_limit: int | None = None,
) -> DriftReport:
    """The report for ``data`` against ``baseline``; ``thresholds`` override the ones the
    baseline recorded, key by key."""
    source = FrameSource(data) if isinstance(data, Frame) else data
    window = accumulate(baseline, source, exact_limit=exact_limit)
    return compare(
        baseline,
        window,
        source=source.name,
        thresholds=thresholds,
        malformed=source.malformed,
        columns=source.names,
        now=now,
    )
