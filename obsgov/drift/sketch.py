"""Mergeable, bounded-memory summaries of columns, filled batch by batch.

Every accumulator here has ``update`` (one record batch's column), ``merge`` (another
accumulator of the same kind, e.g. from another partition or Spark task) and a state that
pickles, so a window or a baseline can be profiled in pieces and combined. Memory per feature
is bounded whatever the number of rows:

* :class:`NumericWindow`: the exact sorted values while there are at most ``exact_limit`` of
  them (then KS and Wasserstein are scipy's exact statistics), and always exact counts on the
  baseline's grid (:class:`~obsgov.drift.stats.GridSample`): PSI, Jensen-Shannon, chi-square,
  out-of-range counts and missing rates are exact at any size, KS and Wasserstein come with
  deterministic bounds.
* :class:`NumericProfiler` (building a baseline): exact counts, mean and variance (Chan's
  parallel update), minimum and maximum, a KLL quantile sketch (Apache DataSketches; rank
  error ``kll_doubles_sketch.get_normalized_rank_error(k, False)``, 0.07% at the default
  k = 4000, with 99% confidence) that places the grid, and the exact values up to
  ``exact_limit``.
* :class:`CategoryCounter`: exact counts up to ``CATEGORY_EXACT_LIMIT`` distinct values, then
  a frequent-items sketch (DataSketches; every count within ``maximum_error`` of the truth).
* :class:`DistinctSketch`: a bottom-k (KMV) sketch of 64-bit hashes: exact below k distinct
  values, relative standard error 1/sqrt(k - 2) above.
* :class:`DuplicateCounter`: exact duplicate rows by 64-bit row hash up to
  ``DUPLICATE_EXACT_LIMIT`` (4 million) distinct rows; past it, the rows whose hash falls in a shrinking
  fraction 2**-level of hash space are counted exactly and scaled up (all copies of a row share
  a hash, so the estimate is unbiased).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .data import (
    epoch_seconds,
    hash_numbers,
    hash_text,
    numeric_values,
    text_values,
)
from .stats import GridSample

KLL_K = 4000
CATEGORY_EXACT_LIMIT = 100_000
FREQUENT_ITEMS_LG_MAP = 14  # 16,384 counters: count error <= n * 3.5 / 16,384
UNSEEN_EXACT_LIMIT = 10_000
DISTINCT_K = 4096
DUPLICATE_EXACT_LIMIT = 4_000_000
# row hashes waiting to be folded into the distinct set
DUPLICATE_PENDING = 1_000_000
EXTREMES_KEPT = 512
TWO64 = float(2**64)


# --------------------------------------------------------------------------- distinct values


@dataclass
class DistinctSketch:
    """The ``k`` smallest distinct 64-bit hashes seen (a KMV / theta sketch)."""

    k: int = DISTINCT_K
    hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))

    @property
    def full(self) -> bool:
        return self.hashes.size >= self.k

    @property
    def theta(self) -> float:
        """The fraction of hash space the kept hashes cover."""
        return float(self.hashes[-1]) / TWO64 if self.full else 1.0

    def update(self, hashes: np.ndarray) -> None:
        if hashes.size == 0:
            return
        if self.full:
            hashes = hashes[hashes < self.hashes[-1]]
        if hashes.size > 4 * self.k:
            # keep the batch's k smallest distinct before the union
            hashes = np.unique(hashes)[: self.k]
        merged = np.union1d(self.hashes, hashes)
        self.hashes = merged[: self.k].astype(np.uint64)

    def merge(self, other: DistinctSketch) -> None:
        self.update(other.hashes)

    def estimate(self) -> float:
        if not self.full:
            return float(self.hashes.size)
        return (self.k - 1) / self.theta

    @property
    def exact(self) -> bool:
        return not self.full

    def relative_error(self) -> float:
        """Relative standard error of :meth:`estimate` (0 when exact)."""
        return 0.0 if self.exact else 1.0 / math.sqrt(self.k - 2)


def new_value_share(reference: DistinctSketch, current: DistinctSketch) -> tuple[float, float]:
    """The share of the window's distinct values the reference never had, and its standard
    error: both sketches are cut at the smaller theta, and the window's hashes under it are a
    uniform sample of its distinct values."""
    theta = min(reference.theta, current.theta)
    cut = np.uint64(min(theta * TWO64, TWO64 - 1)) if theta < 1.0 else None
    seen = reference.hashes if cut is None else reference.hashes[reference.hashes <= cut]
    sample = current.hashes if cut is None else current.hashes[current.hashes <= cut]
    if sample.size == 0:
        return 0.0, 0.0
    new = int(np.count_nonzero(~np.isin(sample, seen, assume_unique=True)))
    share = new / sample.size
    exact = reference.exact and current.exact
    error = 0.0 if exact else math.sqrt(max(share * (1 - share), 1e-12) / sample.size)
    return share, error


# --------------------------------------------------------------------------- duplicates


@dataclass
class DuplicateCounter:
    limit: int = DUPLICATE_EXACT_LIMIT
    level: int = 0
    rows: int = 0  # rows counted (all rows when level is 0)
    hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _pending: list[np.ndarray] = field(default_factory=list)
    _pending_size: int = 0

    def _cut(self) -> np.uint64:
        return np.uint64((1 << (64 - self.level)) - 1)

    def update(self, row_hashes: np.ndarray) -> None:
        if self.level:
            row_hashes = row_hashes[row_hashes <= self._cut()]
        self._pending.append(row_hashes)
        self._pending_size += row_hashes.size
        if self._pending_size >= DUPLICATE_PENDING:
            self._compact()

    def _compact(self) -> None:
        if self._pending:
            pending = np.concatenate(self._pending)
            self._pending, self._pending_size = [], 0
            uniques, counts = np.unique(pending, return_counts=True)
            self._absorb(uniques, counts.astype(np.int64))
        while self.hashes.size > self.limit:
            self.level += 1
            keep = self.hashes <= self._cut()
            self.hashes, self.counts = self.hashes[keep], self.counts[keep]

    def _absorb(self, hashes: np.ndarray, counts: np.ndarray) -> None:
        """Fold sorted distinct ``hashes`` with their ``counts`` into the kept set (a merge
        of two sorted runs: memory a few times the kept set, never the row count)."""
        if self.level:
            keep = hashes <= self._cut()
            hashes, counts = hashes[keep], counts[keep]
        if self.hashes.size == 0:
            self.hashes, self.counts = hashes, counts
            return
        both = np.concatenate((self.hashes, hashes))
        order = np.argsort(both, kind="stable")
        both = both[order]
        weights = np.concatenate((self.counts, counts))[order]
        del order
        # each run is distinct, so a hash appears at most twice, side by side
        twice = np.flatnonzero(both[1:] == both[:-1])
        if twice.size:
            weights[twice] += weights[twice + 1]
            keep = np.ones(both.size, dtype=bool)
            keep[twice + 1] = False
            both, weights = both[keep], weights[keep]
        self.hashes, self.counts = both, weights

    def merge(self, other: DuplicateCounter) -> None:
        other._compact()
        self._compact()
        self.level = max(self.level, other.level)
        self._absorb(other.hashes, other.counts)
        self._compact()

    def result(self) -> tuple[int, bool]:
        """Duplicate rows (exact, or estimated past the limit) and whether exact."""
        self._compact()
        repeated = int(self.counts.sum() - self.hashes.size)
        return repeated * (1 << self.level), self.level == 0


def row_hashes(columns: list[np.ndarray], rows: int) -> np.ndarray:
    """One 64-bit hash per row from the columns' value hashes."""
    from .data import mix64

    digest = np.full(rows, np.uint64(0x2545F4914F6CDD1D), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for codes in columns:
            digest = mix64(digest ^ codes) + np.uint64(0x9E3779B97F4A7C15)
    return digest


# --------------------------------------------------------------------------- categories


@dataclass
class CategoryCounter:
    """Counts of distinct text values: exact up to a limit, then a frequent-items sketch."""

    limit: int = CATEGORY_EXACT_LIMIT
    counts: dict[str, int] | None = field(default_factory=dict)
    sketch: Any = None  # datasketches.frequent_strings_sketch once past the limit
    total: int = 0

    def add(self, names: list[str], counts: np.ndarray) -> None:
        self.total += int(counts.sum())
        if self.counts is not None:
            table = self.counts
            for name, count in zip(names, counts.tolist(), strict=True):
                table[name] = table.get(name, 0) + count
            if len(table) > self.limit:
                self._to_sketch()
            return
        for name, count in zip(names, counts.tolist(), strict=True):
            self.sketch.update(name, count)

    def _to_sketch(self) -> None:
        from datasketches import frequent_strings_sketch

        sketch = frequent_strings_sketch(FREQUENT_ITEMS_LG_MAP)
        for name, count in (self.counts or {}).items():
            sketch.update(name, count)
        self.sketch, self.counts = sketch, None

    def merge(self, other: CategoryCounter) -> None:
        if other.counts is not None and self.counts is not None:
            self.total += other.total
            for name, count in other.counts.items():
                self.counts[name] = self.counts.get(name, 0) + count
            if len(self.counts) > self.limit:
                self._to_sketch()
            return
        if self.counts is not None:
            self._to_sketch()
        if other.counts is not None:
            names = list(other.counts)
            self.add(names, np.array([other.counts[n] for n in names], dtype=np.int64))
            return
        self.total += other.total
        self.sketch.merge(other.sketch)

    @property
    def exact(self) -> bool:
        return self.counts is not None

    def max_error(self) -> int:
        """The largest possible error of any count :meth:`top` returns (0 when exact):
        the sketch's upper minus lower bound, the same for every item."""
        if self.sketch is None:
            return 0
        items = self.sketch.get_frequent_items(_no_false_negatives())
        return int(max((upper - lower for _, _, lower, upper in items), default=0))

    def top(self, limit: int) -> list[tuple[str, int]]:
        """The most frequent values, most frequent first (ties by name)."""
        if self.counts is not None:
            ordered = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
            return ordered[:limit]
        items = self.sketch.get_frequent_items(_no_false_negatives())
        ordered = sorted(
            ((name, int(est)) for name, est, _, _ in items), key=lambda kv: (-kv[1], kv[0])
        )
        return ordered[:limit]

    def distinct(self) -> int | None:
        return len(self.counts) if self.counts is not None else None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if self.sketch is not None:
            state["sketch"] = bytes(self.sketch.serialize())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("sketch") is not None:
            from datasketches import frequent_strings_sketch

            state["sketch"] = frequent_strings_sketch.deserialize(state["sketch"])
        self.__dict__.update(state)


def _no_false_negatives() -> Any:
    from datasketches import frequent_items_error_type

    return frequent_items_error_type.NO_FALSE_NEGATIVES


# --------------------------------------------------------------------------- numeric


@dataclass
class Moments:
    """Count, mean and sum of squared deviations, merged with Chan et al.'s formula."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf

    def add(self, values: np.ndarray) -> None:
        if values.size == 0:
            return
        batch = Moments(
            int(values.size),
            float(values.mean()),
            float(((values - values.mean()) ** 2).sum()),
            float(values.min()),
            float(values.max()),
        )
        self.merge(batch)

    def merge(self, other: Moments) -> None:
        if other.n == 0:
            return
        if self.n == 0:
            self.n, self.mean, self.m2 = other.n, other.mean, other.m2
            self.minimum, self.maximum = other.minimum, other.maximum
            return
        n = self.n + other.n
        delta = other.mean - self.mean
        self.mean += delta * other.n / n
        self.m2 += other.m2 + delta * delta * self.n * other.n / n
        self.n = n
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)

    def std(self) -> float:
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else 0.0


@dataclass
class ValueCounts:
    """Missing, invalid and non-finite values of a numeric column."""

    rows: int = 0
    missing: int = 0
    invalid: int = 0
    nonfinite: int = 0

    def merge(self, other: ValueCounts) -> None:
        self.rows += other.rows
        self.missing += other.missing
        self.invalid += other.invalid
        self.nonfinite += other.nonfinite


def convert_numeric(column: pa.Array, kind: str) -> tuple[np.ndarray, ValueCounts]:
    """Finite values of a batch column and the counts of what was not usable."""
    _, finite, counts = convert_numeric_rows(column, kind)
    return finite, counts


def convert_numeric_rows(column: pa.Array, kind: str) -> tuple[np.ndarray, np.ndarray, ValueCounts]:
    """Every row as float64 (NaN where unusable), the finite values, and the counts."""
    converted = epoch_seconds(column) if kind == "timestamp" else numeric_values(column)
    values = converted.values
    finite_mask = np.isfinite(values)
    finite = values if finite_mask.all() else values[finite_mask]
    nonfinite = int(np.isinf(values).sum())
    counts = ValueCounts(len(values), converted.missing, converted.invalid, nonfinite)
    return values, finite, counts


@dataclass
class ExactValues:
    """Sorted finite values while there are at most ``limit``; ``None`` past it."""

    limit: int
    chunks: list[np.ndarray] | None = field(default_factory=list)
    size: int = 0

    def add(self, values: np.ndarray) -> None:
        if self.chunks is None:
            return
        self.size += values.size
        if self.size > self.limit:
            self.chunks = None
            return
        self.chunks.append(values)

    def merge(self, other: ExactValues) -> None:
        if self.chunks is None or other.chunks is None:
            self.chunks = None
            self.size += other.size
            return
        for chunk in other.chunks:
            self.add(chunk)

    def values(self) -> np.ndarray | None:
        if self.chunks is None:
            return None
        joined = np.concatenate(self.chunks) if self.chunks else np.zeros(0)
        joined.sort()
        self.chunks = [joined]
        return joined


@dataclass
class NumericWindow:
    """A numeric or timestamp feature of a window (or of the reference on its grid)."""

    kind: str
    grid: np.ndarray
    exact_limit: int
    counts: ValueCounts = field(default_factory=ValueCounts)
    exact: ExactValues = field(init=False)
    sample: GridSample = field(init=False)
    moments: Moments = field(default_factory=Moments)

    def __post_init__(self) -> None:
        self.exact = ExactValues(self.exact_limit)
        self.sample = GridSample.empty(self.grid)

    def update(self, column: pa.Array) -> np.ndarray:
        """Count a batch column; returns every row as float64 (for row hashes)."""
        rows, finite, counts = convert_numeric_rows(column, self.kind)
        self.counts.merge(counts)
        ordered = np.sort(finite)
        if ordered.size:
            # only the count and the extremes are needed of a window (newest timestamp)
            self.moments.merge(
                Moments(int(ordered.size), 0.0, 0.0, float(ordered[0]), float(ordered[-1]))
            )
        self.exact.add(ordered)
        if self.grid.size:
            self.sample.add_sorted(ordered)
        return rows

    def merge(self, other: NumericWindow) -> None:
        self.counts.merge(other.counts)
        self.exact.merge(other.exact)
        self.sample.merge(other.sample)
        self.moments.merge(other.moments)


@dataclass
class Extremes:
    """The ``keep`` smallest and largest values seen (exact; merged by keeping the extremes
    of the union)."""

    keep: int = EXTREMES_KEPT
    low: np.ndarray = field(default_factory=lambda: np.zeros(0))
    high: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def add(self, values: np.ndarray) -> None:
        if values.size == 0:
            return
        k = self.keep
        low = np.concatenate(
            (self.low, values if values.size <= k else np.partition(values, k - 1)[:k])
        )
        high = np.concatenate(
            (self.high, values if values.size <= k else np.partition(values, values.size - k)[-k:])
        )
        self.low = np.sort(low)[:k]
        self.high = np.sort(high)[-k:]

    def merge(self, other: Extremes) -> None:
        self.add(other.low)
        self.add(other.high)

    def values(self) -> np.ndarray:
        return np.union1d(self.low, self.high)


@dataclass
class NumericProfiler:
    """Pass one over the reference for a numeric or timestamp feature."""

    kind: str
    exact_limit: int
    kll_k: int = KLL_K
    counts: ValueCounts = field(default_factory=ValueCounts)
    moments: Moments = field(default_factory=Moments)
    exact: ExactValues = field(init=False)
    distinct: DistinctSketch = field(default_factory=DistinctSketch)
    extremes: Extremes = field(default_factory=Extremes)
    kll: Any = field(init=False)

    def __post_init__(self) -> None:
        from datasketches import kll_doubles_sketch

        self.exact = ExactValues(self.exact_limit)
        self.kll = kll_doubles_sketch(self.kll_k)

    def update(self, column: pa.Array) -> None:
        finite, counts = convert_numeric(column, self.kind)
        self.counts.merge(counts)
        self.moments.add(finite)
        self.exact.add(np.sort(finite))
        self.extremes.add(finite)
        if finite.size:
            # the binding takes writable arrays only (Arrow's buffers are read-only)
            self.kll.update(finite if finite.flags.writeable else finite.copy())
            self.distinct.update(hash_numbers(finite))

    def merge(self, other: NumericProfiler) -> None:
        self.counts.merge(other.counts)
        self.moments.merge(other.moments)
        self.exact.merge(other.exact)
        self.distinct.merge(other.distinct)
        self.extremes.merge(other.extremes)
        self.kll.merge(other.kll)

    def rank_error(self) -> float:
        from datasketches import kll_doubles_sketch

        if self.exact.chunks is not None or not self.kll.is_estimation_mode():
            return 0.0
        return float(kll_doubles_sketch.get_normalized_rank_error(self.kll_k, False))

    def quantiles(self, levels: np.ndarray) -> np.ndarray:
        values = self.exact.values()
        if values is not None:
            return np.quantile(values, levels) if values.size else np.zeros(0)
        if self.kll.is_empty():
            return np.zeros(0)
        inner = np.asarray(self.kll.get_quantiles(list(levels)), dtype=np.float64)
        # the sketch keeps the exact extremes
        inner[levels <= 0] = self.kll.get_min_value()
        inner[levels >= 1] = self.kll.get_max_value()
        return inner

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["kll"] = bytes(self.kll.serialize())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        from datasketches import kll_doubles_sketch

        state["kll"] = kll_doubles_sketch.deserialize(state["kll"])
        self.__dict__.update(state)


# --------------------------------------------------------------------------- text features


@dataclass
class TextProfiler:
    """Pass one over the reference for a categorical (or identifier) feature."""

    counting: bool = True  # keep category counts (not for integers or identifiers)
    counter: CategoryCounter = field(default_factory=CategoryCounter)
    distinct: DistinctSketch = field(default_factory=DistinctSketch)
    rows: int = 0
    missing: int = 0
    largest: float = 0.0  # largest absolute integer (past 2**53: an identifier)
    # counting stopped: past the exact limit with nearly every value distinct, the column is
    # an identifier and counting each value in a sketch would only cost time
    stopped: bool = False

    def update(self, column: pa.Array) -> None:
        self.rows += len(column)
        if pa.types.is_integer(column.type) and len(column) > column.null_count:
            as_float = pc.cast(column, pa.float64(), safe=False)
            biggest = pc.max(pc.abs(as_float)).as_py()
            self.largest = max(self.largest, float(biggest or 0.0))
        # identifiers are hashed as text everywhere, so a CSV baseline and a Parquet window
        # hash 123 alike
        text = text_values(column)
        present = pc.drop_null(text)
        self.distinct.update(hash_text(present) if len(present) else np.zeros(0, np.uint64))
        from .data import value_counts

        if not self.counting or self.stopped:
            self.missing += text.null_count
            return
        names, counts, nulls = value_counts(text)
        self.missing += nulls
        self.counter.add(names, counts)
        if not self.counter.exact:
            present = self.rows - self.missing
            if present and self.distinct.estimate() / present >= 0.95:
                self.stopped = True
                self.counter = CategoryCounter()

    def merge(self, other: TextProfiler) -> None:
        self.rows += other.rows
        self.missing += other.missing
        self.stopped = self.stopped or other.stopped
        if self.stopped:
            self.counter = CategoryCounter()
        else:
            self.counter.merge(other.counter)
        self.distinct.merge(other.distinct)
        self.largest = max(self.largest, other.largest)

    def distinct_values(self) -> float:
        exact = self.counter.distinct() if self.counting and not self.stopped else None
        return float(exact) if exact is not None else self.distinct.estimate()


@dataclass
class CategoricalWindow:
    """A categorical feature of a window: exact counts of the baseline's categories, of
    categories it pooled, of values outside the declared set, and of unseen values."""

    categories: list[str]  # the baseline's kept categories, in order
    pooled: list[str]  # categories the baseline saw but pooled as "other"
    declared: list[str] | None
    counts: np.ndarray = field(init=False)  # kept..., other, unseen
    rows: int = 0
    missing: int = 0
    outside_declared: int = 0
    unseen: CategoryCounter = field(default_factory=lambda: CategoryCounter(UNSEEN_EXACT_LIMIT))

    def __post_init__(self) -> None:
        self.counts = np.zeros(len(self.categories) + 2, dtype=np.int64)

    def update(self, column: pa.Array) -> pa.Array:
        text = text_values(column)
        self.rows += len(text)
        self.missing += text.null_count
        known = self.__dict__.get("_known")
        if known is None:
            known = self.__dict__["_known"] = pa.array(
                self.categories + self.pooled, type=pa.string()
            )
        index = pc.index_in(text, value_set=known)
        positions = pc.drop_null(index).to_numpy(zero_copy_only=False).astype(np.int64)
        kept = len(self.categories)
        binned = np.bincount(np.minimum(positions, kept), minlength=kept + 1)
        self.counts[: kept + 1] += binned[: kept + 1]
        new_mask = pc.and_(pc.is_null(index), pc.is_valid(text))
        new_values = pc.filter(text, new_mask)
        if len(new_values):
            from .data import value_counts

            names, counts, _ = value_counts(new_values)
            self.counts[-1] += int(counts.sum())
            self.unseen.add(names, counts)
        if self.declared is not None:
            allowed = pc.is_in(text, value_set=pa.array(self.declared, type=pa.string()))
            outside = pc.and_(pc.invert(pc.fill_null(allowed, True)), pc.is_valid(text))
            self.outside_declared += int(pc.sum(outside).as_py() or 0)
        return text

    def merge(self, other: CategoricalWindow) -> None:
        self.counts += other.counts
        self.rows += other.rows
        self.missing += other.missing
        self.outside_declared += other.outside_declared
        self.unseen.merge(other.unseen)


@dataclass
class IdentifierWindow:
    rows: int = 0
    missing: int = 0
    distinct: DistinctSketch = field(default_factory=DistinctSketch)

    def update(self, column: pa.Array) -> np.ndarray:
        self.rows += len(column)
        self.missing += column.null_count
        text = text_values(column)
        hashed = hash_text(text)
        present = text.is_valid().to_numpy(zero_copy_only=False) if text.null_count else None
        self.distinct.update(hashed[np.asarray(present)] if present is not None else hashed)
        return hashed

    def merge(self, other: IdentifierWindow) -> None:
        self.rows += other.rows
        self.missing += other.missing
        self.distinct.merge(other.distinct)
