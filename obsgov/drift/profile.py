"""The baseline: a per-feature profile of the training (reference) data, saved as JSON.

A baseline is built in bounded memory, from a stream of record batches, in two passes that
can each run in pieces and be merged (partitions, Spark tasks):

1. :class:`ReferencePass` infers or takes each feature's type and keeps, per feature, exact
   counts, mean and variance, a KLL quantile sketch, the exact values while there are at most
   ``exact_limit``, category counts (exact, then a frequent-items sketch) and a distinct-value
   sketch. Merge partition passes with :meth:`ReferencePass.merge`.
2. :func:`plan_features` fixes each feature's final type (identifiers detected) and, for
   numeric features, the grid: every distinct reference value when they were all kept, else
   ``grid_size`` + 1 reference quantiles from the sketch and the 512 smallest and largest
   reference values (the tails of heavy-tailed features), plus the coarse bin edges
   (reference deciles by default) and any declared bounds. :class:`GridPass` then counts the reference
   exactly on that grid (skipped when every numeric feature kept its values); merge partition
   counts with :meth:`GridPass.merge`.

:func:`finalize_baseline` turns both into a :class:`Baseline`. What is exact and what is not:
counts, missing rates, bin counts and category counts are exact (a feature with more than
100,000 distinct categories falls back to a frequent-items sketch and records the largest
count error); summary quantiles are exact when the values were kept, else within the KLL
sketch's normalized rank error (recorded as ``quantile_rank_error``); mean and standard
deviation are exact up to floating-point rounding.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from obsgov.clock import utc_now
from obsgov.errors import InputError, Problem, format_key_path
from obsgov.io import display_path

from .data import Frame, FrameSource, Source, infer_kind
from .schema import FeatureSpec, SchemaFile, ThresholdConfig
from .sketch import (
    KLL_K,
    DistinctSketch,
    NumericProfiler,
    TextProfiler,
    convert_numeric,
)
from .stats import GridSample

FORMAT_VERSION = 2
DEFAULT_BINS = 10
DEFAULT_MAX_CATEGORIES = 200
DEFAULT_GRID_SIZE = 4096
DEFAULT_EXACT_LIMIT = 10_000
# Baseline categories past max_categories are kept by name (for the unseen check) up to this.
KNOWN_CATEGORIES_LIMIT = 10_000
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
# Identifier detection: at least this many values, nearly all distinct.
IDENTIFIER_MIN_VALUES = 1_000
IDENTIFIER_TEXT_SHARE = 0.95
IDENTIFIER_INTEGER_SHARE = 0.99
_ID_NAME = re.compile(r"(^|[_\-. ])(id|uuid|guid|key)$|[a-z0-9]Id$|^id", re.IGNORECASE)
FLOAT_EXACT_INTEGERS = float(2**53)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, allow_inf_nan=False)


def encode_array(values: np.ndarray, dtype: str) -> str:
    raw = np.ascontiguousarray(values, dtype=dtype).tobytes()
    return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")


def decode_array(text: str, dtype: str) -> np.ndarray:
    if not text:
        return np.zeros(0, dtype=dtype)
    raw = zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True))
    return np.frombuffer(raw, dtype=dtype).astype(dtype.lstrip("<"))


# kept for callers of version 1's helper
def encode_values(values: np.ndarray) -> str:
    return encode_array(values, "<f8")


class NumericSummary(_Model):
    min: float | None
    max: float | None
    mean: float | None
    std: float | None
    quantiles: dict[str, float]
    # 0 when the quantiles are exact; else the KLL sketch's normalized rank error (99%)
    quantile_rank_error: float = Field(default=0.0, ge=0, le=1)


class GridProfile(_Model):
    """The reference counted exactly on the grid (see :class:`obsgov.drift.stats.GridSample`)."""

    points: str  # float64, strictly increasing
    atoms: str  # int64
    inner: str  # int64
    inner_offset: str  # float64
    below: int = Field(ge=0)
    below_offset: float = Field(ge=0)
    above: int = Field(ge=0)
    above_offset: float = Field(ge=0)

    @classmethod
    def of(cls, sample: GridSample) -> GridProfile:
        return cls(
            points=encode_array(sample.grid, "<f8"),
            atoms=encode_array(sample.atoms, "<i8"),
            inner=encode_array(sample.inner, "<i8"),
            inner_offset=encode_array(sample.inner_offset, "<f8"),
            below=sample.below,
            below_offset=sample.below_offset,
            above=sample.above,
            above_offset=sample.above_offset,
        )

    @cached_property
    def sample(self) -> GridSample:
        return GridSample(
            decode_array(self.points, "<f8"),
            self.below,
            self.below_offset,
            self.above,
            self.above_offset,
            decode_array(self.atoms, "<i8"),
            decode_array(self.inner, "<i8"),
            decode_array(self.inner_offset, "<f8"),
        )


class NumericProfile(_Model):
    type: Literal["numeric", "timestamp"] = "numeric"
    rows: int = Field(ge=0)
    missing: int = Field(ge=0)
    invalid: int = Field(ge=0)
    nonfinite: int = Field(ge=0)
    values: int = Field(ge=0)  # finite values
    distinct: int | None = Field(default=None, ge=0)
    summary: NumericSummary
    # Bin i of len(edges)+1 bins: below edges[0]; [edges[j-1], edges[j]) for the interior,
    # the last interior bin closed on the right; above edges[-1]. One edge: a constant, whose
    # bin is [c, c].
    edges: list[float]
    bin_counts: list[int]
    grid: GridProfile
    reference_values: str  # every finite value, sorted, when at most exact_limit; else ""
    reference_count: int = Field(ge=0)
    spec: FeatureSpec

    @cached_property
    def reference(self) -> np.ndarray | None:
        if self.reference_count == 0 and self.values > 0:
            return None
        return decode_array(self.reference_values, "<f8")

    @property
    def missing_rate(self) -> float:
        return self.missing / self.rows if self.rows else 0.0

    def allowed_range(self) -> tuple[float | None, float | None]:
        """The declared range, else the range the reference data covered."""
        low = self.spec.min if self.spec.min is not None else self.summary.min
        high = self.spec.max if self.spec.max is not None else self.summary.max
        return low, high


class CategoricalProfile(_Model):
    type: Literal["categorical"] = "categorical"
    rows: int = Field(ge=0)
    missing: int = Field(ge=0)
    categories: list[str]
    counts: list[int]
    other: int = Field(ge=0)  # reference values in categories pooled away
    pooled: list[str] = Field(default_factory=list)  # their names, for the unseen check
    pooled_complete: bool = True  # every pooled category is named
    count_error: int = Field(default=0, ge=0)  # 0: exact counts
    truncated: bool
    distinct: int | None = Field(default=None, ge=0)
    spec: FeatureSpec

    @property
    def missing_rate(self) -> float:
        return self.missing / self.rows if self.rows else 0.0

    @cached_property
    def index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.categories)}


class IdentifierProfile(_Model):
    type: Literal["identifier"] = "identifier"
    rows: int = Field(ge=0)
    missing: int = Field(ge=0)
    values: int = Field(ge=0)
    distinct: float = Field(ge=0)
    distinct_exact: bool
    hashes: str  # uint64, the k smallest hashes of distinct values (KMV)
    k: int = Field(ge=2)
    reason: str = ""
    spec: FeatureSpec

    @property
    def missing_rate(self) -> float:
        return self.missing / self.rows if self.rows else 0.0

    @cached_property
    def sketch(self) -> DistinctSketch:
        return DistinctSketch(self.k, decode_array(self.hashes, "<u8"))


FeatureProfile = Annotated[
    NumericProfile | CategoricalProfile | IdentifierProfile, Field(discriminator="type")
]


class Baseline(_Model):
    format: Literal["obsgov-drift-baseline"] = "obsgov-drift-baseline"
    version: int = FORMAT_VERSION
    created: str
    source: str
    rows: int = Field(ge=0)
    bins: int = Field(ge=1)
    grid_size: int = Field(ge=1)
    max_categories: int = Field(ge=1)
    exact_limit: int = Field(ge=0)
    schema_declared: bool
    malformed_records: int = Field(default=0, ge=0)
    features: dict[str, FeatureProfile]
    thresholds: ThresholdConfig = Field(default_factory=lambda: ThresholdConfig())

    def input_features(self) -> list[str]:
        return [n for n, f in self.features.items() if f.spec.source == "input"]

    def output_features(self) -> list[str]:
        return [n for n, f in self.features.items() if f.spec.source == "output"]

    def text_features(self) -> list[str]:
        return [n for n, f in self.features.items() if f.type in ("categorical", "identifier")]

    def to_json(self) -> str:
        data = self.model_dump(mode="json", exclude={"thresholds"})
        data["thresholds"] = self.thresholds.to_json()
        return json.dumps(data, indent=1, sort_keys=False, allow_nan=False) + "\n"


# --------------------------------------------------------------------------- pass one


@dataclass
class ReferencePass:
    """Pass one over reference batches; merge passes over partitions with :meth:`merge`."""

    declared: dict[str, FeatureSpec] | None
    untyped: bool
    exact_limit: int = DEFAULT_EXACT_LIMIT
    kll_k: int = KLL_K
    rows: int = 0
    kinds: dict[str, str] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    numeric: dict[str, NumericProfiler] = field(default_factory=dict)
    text: dict[str, TextProfiler] = field(default_factory=dict)
    pending_nulls: dict[str, int] = field(default_factory=dict)
    malformed: int = 0
    malformed_examples: list[str] = field(default_factory=list)

    def update(self, batch: pa.RecordBatch) -> None:
        self.rows += batch.num_rows
        names = list(self.declared) if self.declared is not None else batch.schema.names
        for name in names:
            if name not in self.order:
                self.order.append(name)
                self.pending_nulls.setdefault(name, 0)
            if name not in batch.schema.names:
                column = pa.nulls(batch.num_rows)
            else:
                column = batch.column(name)
            kind = self.kinds.get(name) or self._decide(name, column)
            if kind is None:
                self.pending_nulls[name] += len(column)
                continue
            self._feed(name, kind, column)
        for name in self.order:
            if name not in names:
                # a column this batch lacks is missing in every one of its rows
                kind = self.kinds.get(name)
                if kind is None:
                    self.pending_nulls[name] += batch.num_rows
                else:
                    self._feed(name, kind, pa.nulls(batch.num_rows))

    def _decide(self, name: str, column: pa.Array) -> str | None:
        kind: str
        if self.declared is not None:
            kind = self.declared[name].type
        elif len(column) == column.null_count:
            return None
        else:
            kind = infer_kind(column, self.untyped)
        self.kinds[name] = kind
        if kind in ("numeric", "integer", "timestamp"):
            self.numeric[name] = NumericProfiler(
                "timestamp" if kind == "timestamp" else "numeric", self.exact_limit, self.kll_k
            )
        if kind in ("categorical", "integer", "identifier"):
            self.text[name] = TextProfiler(counting=kind == "categorical")
        waiting = self.pending_nulls.pop(name, 0)
        if waiting:
            self._feed(name, kind, pa.nulls(waiting))
        return kind

    def _feed(self, name: str, kind: str, column: pa.Array) -> None:
        if name in self.numeric:
            self.numeric[name].update(column)
        if name in self.text:
            self.text[name].update(column)

    def merge(self, other: ReferencePass) -> None:
        self.rows += other.rows
        self.malformed += other.malformed
        room = 5 - len(self.malformed_examples)
        self.malformed_examples.extend(other.malformed_examples[: max(room, 0)])
        for name in other.order:
            if name not in self.order:
                self.order.append(name)
        for name, kind in other.kinds.items():
            mine = self.kinds.get(name)
            if mine is None:
                self.kinds[name] = kind
                if name in other.numeric:
                    self.numeric[name] = other.numeric[name]
                if name in other.text:
                    self.text[name] = other.text[name]
                waiting = self.pending_nulls.pop(name, 0)
                if waiting:
                    self._feed(name, kind, pa.nulls(waiting))
                continue
            if mine != kind:
                # partitions disagree (a number column with text in one file): text wins
                self._to_text(name)
                other_text = other.text.get(name)
                if other_text is not None and name in self.text:
                    self.text[name].merge(other_text)
                continue
            if name in other.numeric:
                self.numeric[name].merge(other.numeric[name])
            if name in other.text:
                self.text[name].merge(other.text[name])
        for name, waiting in other.pending_nulls.items():
            known = self.kinds.get(name)
            if known is None:
                self.pending_nulls[name] = self.pending_nulls.get(name, 0) + waiting
            else:
                self._feed(name, known, pa.nulls(waiting))

    def _to_text(self, name: str) -> None:
        self.kinds[name] = "categorical"
        self.numeric.pop(name, None)
        self.text.setdefault(name, TextProfiler(counting=True))


# --------------------------------------------------------------------------- planning


@dataclass
class FeaturePlan:
    kind: str  # numeric, timestamp, categorical, identifier
    spec: FeatureSpec
    edges: np.ndarray = field(default_factory=lambda: np.zeros(0))
    grid: np.ndarray = field(default_factory=lambda: np.zeros(0))
    counted: GridSample | None = None  # known without a second pass
    reason: str = ""


def plan_features(
    first: ReferencePass, *, bins: int = DEFAULT_BINS, grid_size: int = DEFAULT_GRID_SIZE
) -> dict[str, FeaturePlan]:
    plans: dict[str, FeaturePlan] = {}
    for name in first.order:
        declared = first.declared[name] if first.declared is not None else None
        if name not in first.kinds:
            # never a value: a categorical feature that is always missing
            empty = TextProfiler(counting=True)
            empty.rows = empty.missing = first.pending_nulls.get(name, 0)
            first.kinds[name], first.text[name] = "categorical", empty
        kind = first.kinds[name]
        reason = ""
        if declared is None:
            kind, reason = _final_kind(name, kind, first)
        spec = declared or FeatureSpec(type=kind)  # type: ignore[arg-type]
        plan = FeaturePlan(kind, spec, reason=reason)
        if kind in ("numeric", "timestamp"):
            _plan_grid(plan, first.numeric[name], bins, grid_size)
        plans[name] = plan
    return plans


def _final_kind(name: str, kind: str, first: ReferencePass) -> tuple[str, str]:
    if kind not in ("integer", "categorical"):
        return kind, ""
    text = first.text[name]
    present = text.rows - text.missing
    distinct = text.distinct_values()
    share = distinct / present if present else 0.0
    if kind == "integer":
        if text.largest > FLOAT_EXACT_INTEGERS:
            return "identifier", "integers past 2**53 (not quantities a float can hold)"
        if (
            present >= IDENTIFIER_MIN_VALUES
            and share >= IDENTIFIER_INTEGER_SHARE
            and _ID_NAME.search(name)
        ):
            return "identifier", f"named like an identifier, {share:.1%} of values distinct"
        return "numeric", ""
    if text.stopped or (present >= IDENTIFIER_MIN_VALUES and share >= IDENTIFIER_TEXT_SHARE):
        return "identifier", f"{share:.1%} of {present} values distinct"
    return "categorical", ""


def _plan_grid(plan: FeaturePlan, profiler: NumericProfiler, bins: int, grid_size: int) -> None:
    exact = profiler.exact.values()
    levels = np.linspace(0.0, 1.0, bins + 1)
    if exact is not None:
        if exact.size == 0:
            return
        edges = np.unique(np.quantile(exact, levels))
        base = np.unique(exact)
    else:
        edges = np.unique(profiler.quantiles(levels))
        # the tail cells of a heavy-tailed feature are the widest: the most extreme reference
        # values are grid points themselves, so those cells hold single values
        fine = np.linspace(0.0, 1.0, grid_size + 1)
        base = np.union1d(profiler.quantiles(fine), profiler.extremes.values())
    extra = [v for v in (plan.spec.min, plan.spec.max) if v is not None]
    grid = np.union1d(np.union1d(base, edges), np.asarray(extra, dtype=np.float64))
    plan.edges, plan.grid = edges, grid
    if exact is not None:
        sample = GridSample.empty(grid)
        sample.add_sorted(exact)
        plan.counted = sample


def needs_grid_pass(plans: dict[str, FeaturePlan]) -> bool:
    return any(
        p.kind in ("numeric", "timestamp") and p.counted is None and p.grid.size
        for p in plans.values()
    )


@dataclass
class GridPass:
    """Pass two: the reference counted exactly on each numeric feature's grid."""

    plans: dict[str, FeaturePlan]
    samples: dict[str, GridSample] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, plan in self.plans.items():
            if plan.kind in ("numeric", "timestamp") and plan.counted is None and plan.grid.size:
                self.samples[name] = GridSample.empty(plan.grid)

    def update(self, batch: pa.RecordBatch) -> None:
        for name, sample in self.samples.items():
            if name not in batch.schema.names:
                continue
            finite, _ = convert_numeric(batch.column(name), self.plans[name].kind)
            sample.add_sorted(np.sort(finite))

    def merge(self, other: GridPass) -> None:
        for name, sample in other.samples.items():
            self.samples[name].merge(sample)


# --------------------------------------------------------------------------- finishing


@dataclass(frozen=True)
class ProfileSettings:
    """How a baseline is profiled, each a `drift baseline` option (and a baseline field)."""

    bins: int = DEFAULT_BINS
    max_categories: int = DEFAULT_MAX_CATEGORIES
    grid_size: int = DEFAULT_GRID_SIZE
    exact_limit: int = DEFAULT_EXACT_LIMIT


DEFAULT_PROFILE = ProfileSettings()


def finalize_baseline(
    first: ReferencePass,
    plans: dict[str, FeaturePlan],
    second: GridPass | None,
    *,
    source: str,
    schema: SchemaFile | None = None,
    settings: ProfileSettings = DEFAULT_PROFILE,
    created: dt.datetime | None = None,
) -> Baseline:
    """The baseline from both passes' accumulators (merged over partitions if need be); the
    exact limit is the first pass's own."""
    if first.rows == 0:
        raise InputError.single(
            source, "", "has no data rows: a baseline needs training data to profile"
        )
    features: dict[str, NumericProfile | CategoricalProfile | IdentifierProfile] = {}
    for name, plan in plans.items():
        profile: NumericProfile | CategoricalProfile | IdentifierProfile
        if plan.kind in ("numeric", "timestamp"):
            counted = plan.counted or (second.samples.get(name) if second else None)
            profile = _numeric_profile(first.numeric[name], plan, counted)
        elif plan.kind == "identifier":
            profile = _identifier_profile(first.text[name], plan)
        else:
            profile = _categorical_profile(first.text[name], plan, settings.max_categories)
        if schema is None:
            # inferred nullability: a feature the training data always filled must stay filled
            profile.spec = profile.spec.model_copy(update={"nullable": profile.missing > 0})
        features[name] = profile
    if not features:
        raise InputError.single(source, "", "has no columns to profile")
    return Baseline(
        created=(created or utc_now()).replace(microsecond=0).isoformat(),
        source=source,
        rows=first.rows,
        bins=settings.bins,
        grid_size=settings.grid_size,
        max_categories=settings.max_categories,
        exact_limit=first.exact_limit,
        schema_declared=schema is not None,
        malformed_records=first.malformed,
        features=features,
        thresholds=schema.thresholds if schema is not None else ThresholdConfig(),
    )


def _numeric_profile(
    profiler: NumericProfiler, plan: FeaturePlan, counted: GridSample | None
) -> NumericProfile:
    moments = profiler.moments
    counts = profiler.counts
    sample = counted or GridSample.empty(plan.grid)
    if moments.n:
        levels = np.asarray(QUANTILES)
        summary = NumericSummary(
            min=moments.minimum,
            max=moments.maximum,
            mean=moments.mean,
            std=moments.std(),
            quantiles={
                f"p{round(q * 100):02d}": float(v)
                for q, v in zip(QUANTILES, profiler.quantiles(levels), strict=True)
            },
            quantile_rank_error=profiler.rank_error(),
        )
    else:
        summary = NumericSummary(min=None, max=None, mean=None, std=None, quantiles={})
    exact = profiler.exact.values()
    distinct = profiler.distinct.estimate() if profiler.distinct.exact else None
    return NumericProfile(
        type="timestamp" if plan.kind == "timestamp" else "numeric",
        rows=counts.rows,
        missing=counts.missing,
        invalid=counts.invalid,
        nonfinite=counts.nonfinite,
        values=moments.n,
        distinct=int(distinct) if distinct is not None else None,
        summary=summary,
        edges=[float(e) for e in plan.edges],
        bin_counts=[int(c) for c in sample.bin_counts(plan.edges)] if moments.n else [0],
        grid=GridProfile.of(sample),
        reference_values=encode_array(exact, "<f8") if exact is not None else "",
        reference_count=int(exact.size) if exact is not None else 0,
        spec=plan.spec,
    )


def _categorical_profile(
    profiler: TextProfiler, plan: FeaturePlan, max_categories: int
) -> CategoricalProfile:
    counter = profiler.counter
    ranked = counter.top(max_categories + KNOWN_CATEGORIES_LIMIT)
    kept = ranked[:max_categories]
    pooled = ranked[max_categories:]
    distinct = counter.distinct()
    complete = counter.exact and (distinct or 0) <= max_categories + KNOWN_CATEGORIES_LIMIT
    return CategoricalProfile(
        rows=profiler.rows,
        missing=profiler.missing,
        categories=[n for n, _ in kept],
        counts=[c for _, c in kept],
        other=max(counter.total - sum(c for _, c in kept), 0),
        pooled=[n for n, _ in pooled],
        pooled_complete=bool(complete),
        count_error=counter.max_error(),
        truncated=(distinct if distinct is not None else len(ranked) + 1) > max_categories,
        distinct=distinct,
        spec=plan.spec,
    )


def _identifier_profile(profiler: TextProfiler, plan: FeaturePlan) -> IdentifierProfile:
    sketch = profiler.distinct
    return IdentifierProfile(
        rows=profiler.rows,
        missing=profiler.missing,
        values=profiler.rows - profiler.missing,
        distinct=sketch.estimate(),
        distinct_exact=sketch.exact,
        hashes=encode_array(sketch.hashes, "<u8"),
        k=sketch.k,
        reason=plan.reason or "declared in the schema",
        spec=plan.spec.model_copy(update={"type": "identifier"}),
    )


# --------------------------------------------------------------------------- one call


def build_baseline(
    data: Frame | Source,
    schema: SchemaFile | None = None,
    *,
    schema_file: str = "--schema",
    settings: ProfileSettings = DEFAULT_PROFILE,
    created: dt.datetime | None = None,
) -> Baseline:
    """Profile ``data`` (a frame or a stream) into a baseline, reading it at most twice."""
    source = FrameSource(data) if isinstance(data, Frame) else data
    declared = dict(schema.features) if schema is not None else None
    columns = list(declared) if declared is not None else None
    first = ReferencePass(declared, source.untyped, settings.exact_limit)
    for batch in source.batches(columns):
        first.update(batch)
    first.malformed = source.malformed.count
    first.malformed_examples = list(source.malformed.examples)
    if declared is not None:
        absent = [n for n in declared if n not in source.names]
        if absent:
            raise InputError(
                [
                    Problem(
                        schema_file,
                        f"features.{n}",
                        f"is declared but {source.name} has no such column",
                    )
                    for n in absent
                ]
            )
    if first.rows == 0:
        why = "has no data rows"
        if source.malformed.count:
            why += f" it could read ({source.malformed.count} malformed; first: {source.malformed.examples[0]})"
        raise InputError.single(source.name, "", why + ": a baseline needs training data")
    plans = plan_features(first, bins=settings.bins, grid_size=settings.grid_size)
    second = None
    if needs_grid_pass(plans):
        second = GridPass(plans)
        for batch in source.batches(list(second.samples)):
            second.update(batch)
    return finalize_baseline(
        first,
        plans,
        second,
        source=source.name,
        schema=schema,
        settings=settings,
        created=created,
    )


# --------------------------------------------------------------------------- loading


def load_baseline(path: Path) -> Baseline:
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError.single(shown, "", "file not found") from None
    except UnicodeDecodeError:
        raise InputError.single(
            shown,
            "",
            "is not an obsgov drift baseline (not UTF-8 text; run `obsgov drift baseline`)",
        ) from None
    except OSError as exc:
        raise InputError.single(shown, "", f"cannot be read ({exc.strerror})") from None
    return parse_baseline(text, shown)


def parse_baseline(text: str, shown: str) -> Baseline:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.single(
            shown, "", f"line {exc.lineno}: not valid JSON ({exc.msg})"
        ) from None
    except RecursionError:
        raise InputError.single(shown, "", "not valid JSON (nested too deeply)") from None
    if not isinstance(data, dict) or data.get("format") != "obsgov-drift-baseline":
        raise InputError.single(
            shown, "format", "is not an obsgov drift baseline (run `obsgov drift baseline`)"
        )
    if data.get("version") != FORMAT_VERSION:
        raise InputError.single(
            shown,
            "version",
            f"must be {FORMAT_VERSION}, got {data.get('version')!r} (rebuild the baseline "
            "with `obsgov drift baseline`)",
        )
    try:
        baseline = Baseline.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            [
                Problem(
                    shown,
                    format_key_path(
                        [
                            p
                            for p in e["loc"]
                            if p not in ("numeric", "timestamp", "categorical", "identifier")
                        ]
                    ),
                    str(e["msg"]).replace("Input should be", "must be"),
                )
                for e in exc.errors()
            ]
        ) from None
    problems = []
    for name, feature in baseline.features.items():
        problems.extend(_check_feature(shown, f"features.{name}", feature))
    if problems:
        raise InputError(problems)
    return baseline


def _check_feature(shown: str, where: str, feature: Any) -> list[Problem]:
    if isinstance(feature, NumericProfile):
        return _check_numeric(shown, where, feature)
    problems: list[Problem] = []
    if isinstance(feature, CategoricalProfile):
        if len(feature.counts) != len(feature.categories):
            problems.append(Problem(shown, f"{where}.counts", "must hold one count per category"))
        elif any(c < 0 for c in feature.counts):
            problems.append(Problem(shown, f"{where}.counts", "must not be negative"))
    elif isinstance(feature, IdentifierProfile):
        try:
            _ = feature.sketch
        except (ValueError, TypeError, zlib.error):
            problems.append(Problem(shown, f"{where}.hashes", "is not base64 zlib data"))
    return problems


def _check_numeric(shown: str, where: str, feature: NumericProfile) -> list[Problem]:
    try:
        values = feature.reference
        sample = feature.grid.sample
    except (ValueError, TypeError, zlib.error):
        return [Problem(shown, where, "holds an array that is not base64 zlib data")]
    return [
        *_reference_values_problems(shown, where, values, feature.reference_count),
        *_grid_problems(shown, where, sample, feature.values),
        *_bin_problems(shown, where, feature),
    ]


def _reference_values_problems(
    shown: str, where: str, values: Any, reference_count: int
) -> list[Problem]:
    """The exact reference values (when kept): as many as counted, finite and sorted."""
    if values is None:
        return []
    if values.size != reference_count:
        return [
            Problem(
                shown,
                f"{where}.reference_values",
                f"holds {values.size} values, reference_count says {reference_count}",
            )
        ]
    if values.size and (not np.all(np.isfinite(values)) or np.any(np.diff(values) < 0)):
        return [Problem(shown, f"{where}.reference_values", "must be finite and sorted")]
    return []


def _grid_problems(shown: str, where: str, sample: Any, counted: int) -> list[Problem]:
    """The grid sketch: increasing points, arrays that fit them, counts that sum to the
    feature's values (the first failing check only: later ones assume the earlier)."""
    grid = sample.grid
    if not np.all(np.isfinite(grid)) or np.any(np.diff(grid) <= 0):
        return [Problem(shown, f"{where}.grid.points", "must be finite and increasing")]
    if (
        sample.atoms.size != grid.size
        or sample.inner.size != max(grid.size - 1, 0)
        or sample.inner_offset.size != sample.inner.size
    ):
        return [Problem(shown, f"{where}.grid", "arrays do not match the grid")]
    if (
        np.any(sample.atoms < 0)
        or np.any(sample.inner < 0)
        or not np.all(np.isfinite(sample.inner_offset))
    ):
        return [Problem(shown, f"{where}.grid", "holds negative or non-finite counts")]
    if sample.n != counted:
        return [Problem(shown, f"{where}.grid", f"counts {sample.n} values, values says {counted}")]
    return []


def _bin_problems(shown: str, where: str, feature: NumericProfile) -> list[Problem]:
    problems: list[Problem] = []
    bins = 3 if len(feature.edges) == 1 else len(feature.edges) + 1
    if len(feature.bin_counts) != bins:
        problems.append(Problem(shown, f"{where}.bin_counts", f"must hold {bins} counts"))
    elif any(c < 0 for c in feature.bin_counts):
        problems.append(Problem(shown, f"{where}.bin_counts", "must not be negative"))
    if any(not math.isfinite(e) for e in feature.edges) or sorted(feature.edges) != feature.edges:
        problems.append(Problem(shown, f"{where}.edges", "must be finite and sorted"))
    return problems


def describe(baseline: Baseline) -> dict[str, Any]:
    return {"rows": baseline.rows, "features": len(baseline.features)}
