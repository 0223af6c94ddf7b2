"""The baseline: a per-feature profile of the training (reference) data, saved as JSON.

Numeric features keep summary statistics, reference quantile bins with their counts (for PSI
and Jensen-Shannon) and the sorted reference values (for the exact KS statistic and Wasserstein
distance); past ``reference_size`` values, evenly spaced order statistics stand in for the full
sample, which bounds the error of either ECDF statistic by 1 / reference_size. Categorical
features keep category counts, the rarest past ``max_categories`` pooled into an "other"
bucket.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from obsgov.clock import utc_now
from obsgov.errors import InputError, Problem, format_key_path
from obsgov.io import display_path

from .data import Frame, is_numeric_type, numeric_column, text_column, value_counts
from .schema import FeatureSpec, SchemaFile, ThresholdConfig

FORMAT_VERSION = 1
DEFAULT_BINS = 10
DEFAULT_MAX_CATEGORIES = 200
DEFAULT_REFERENCE_SIZE = 10_000
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class NumericSummary(_Model):
    min: float | None
    max: float | None
    mean: float | None
    std: float | None
    quantiles: dict[str, float]


class NumericProfile(_Model):
    type: Literal["numeric"] = "numeric"
    rows: int = Field(ge=0)
    missing: int = Field(ge=0)
    invalid: int = Field(ge=0)
    nonfinite: int = Field(ge=0)
    summary: NumericSummary
    # Bin i of len(edges)+1 bins: below edges[0]; [edges[j-1], edges[j]) for the interior,
    # the last interior bin closed on the right; above edges[-1].
    edges: list[float]
    bin_counts: list[int]
    reference_values: str  # base64 of little-endian float64, sorted
    reference_count: int = Field(ge=0)
    reference_is_sample: bool
    spec: FeatureSpec

    @cached_property
    def reference(self) -> np.ndarray:
        raw = base64.b64decode(self.reference_values.encode("ascii"))
        return np.frombuffer(raw, dtype="<f8").astype(np.float64)

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
    other: int = Field(ge=0)  # reference rows in categories pooled away
    truncated: bool
    spec: FeatureSpec

    @property
    def missing_rate(self) -> float:
        return self.missing / self.rows if self.rows else 0.0

    @cached_property
    def index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.categories)}


FeatureProfile = Annotated[NumericProfile | CategoricalProfile, Field(discriminator="type")]


class Baseline(_Model):
    format: Literal["obsgov-drift-baseline"] = "obsgov-drift-baseline"
    version: int = FORMAT_VERSION
    created: str
    source: str
    rows: int = Field(ge=0)
    bins: int = Field(ge=1)
    max_categories: int = Field(ge=1)
    reference_size: int = Field(ge=0)
    schema_declared: bool
    features: dict[str, FeatureProfile]
    thresholds: ThresholdConfig = Field(default_factory=lambda: ThresholdConfig())

    def input_features(self) -> list[str]:
        return [n for n, f in self.features.items() if f.spec.source == "input"]

    def output_features(self) -> list[str]:
        return [n for n, f in self.features.items() if f.spec.source == "output"]

    def to_json(self) -> str:
        data = self.model_dump(mode="json", exclude={"thresholds"})
        data["thresholds"] = self.thresholds.to_json()
        return json.dumps(data, indent=1, sort_keys=False, allow_nan=False) + "\n"


def encode_values(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f8").tobytes()).decode("ascii")


# --------------------------------------------------------------------------- building


def quantile_edges(finite_sorted: np.ndarray, bins: int) -> np.ndarray:
    """Distinct reference quantiles at 0, 1/bins, ..., 1 (so min and max are edges); a
    constant feature gets the edges [c, c]."""
    if finite_sorted.size == 0:
        return np.zeros(0)
    levels = np.linspace(0.0, 1.0, bins + 1)
    edges = np.unique(np.quantile(finite_sorted, levels))
    # a constant keeps a bin of its own, [c, c], between "below" and "above"
    return np.repeat(edges, 2) if edges.size == 1 else edges


def bin_counts(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of ``sorted_values`` in the bins :class:`NumericProfile` describes, found with
    one binary search per edge."""
    n = sorted_values.size
    if edges.size == 0:
        return np.array([n], dtype=np.int64)
    cuts = np.empty(edges.size + 2, dtype=np.int64)
    cuts[0] = 0
    cuts[1:-2] = np.searchsorted(sorted_values, edges[:-1], side="left")
    cuts[-2] = np.searchsorted(sorted_values, edges[-1], side="right")
    cuts[-1] = n
    return np.diff(cuts)


def reference_sample(finite_sorted: np.ndarray, size: int) -> tuple[np.ndarray, bool]:
    """All values when they fit; otherwise ``size`` evenly spaced order statistics."""
    if size <= 0 or finite_sorted.size <= size:
        return finite_sorted, False
    ranks = ((np.arange(size) + 0.5) * (finite_sorted.size / size)).astype(np.int64)
    return finite_sorted[ranks], True


def infer_spec(frame: Frame, name: str) -> FeatureSpec:
    column = frame.columns[name]
    kind = column.type
    numeric = is_numeric_type(kind)
    return FeatureSpec(type="numeric" if numeric else "categorical")


def profile_numeric(
    frame: Frame, name: str, spec: FeatureSpec, bins: int, reference_size: int
) -> NumericProfile:
    column = numeric_column(frame.columns[name])
    values = column.values
    finite_mask = np.isfinite(values)
    finite = np.sort(values[finite_mask])
    nonfinite = int(np.isinf(values).sum())
    edges = quantile_edges(finite, bins)
    counts = bin_counts(finite, edges)
    sample, is_sample = reference_sample(finite, reference_size)
    if finite.size:
        summary = NumericSummary(
            min=float(finite[0]),
            max=float(finite[-1]),
            mean=float(finite.mean()),
            std=float(finite.std(ddof=1)) if finite.size > 1 else 0.0,
            quantiles={
                f"p{round(q * 100):02d}": float(v)
                for q, v in zip(QUANTILES, np.quantile(finite, QUANTILES), strict=True)
            },
        )
    else:
        summary = NumericSummary(min=None, max=None, mean=None, std=None, quantiles={})
    return NumericProfile(
        rows=frame.rows,
        missing=column.missing,
        invalid=column.invalid,
        nonfinite=nonfinite,
        summary=summary,
        edges=[float(e) for e in edges],
        bin_counts=[int(c) for c in counts],
        reference_values=encode_values(sample),
        reference_count=int(sample.size),
        reference_is_sample=is_sample,
        spec=spec,
    )


def profile_categorical(
    frame: Frame, name: str, spec: FeatureSpec, max_categories: int
) -> CategoricalProfile:
    names, counts, nulls = value_counts(text_column(frame.columns[name]))
    order = sorted(range(len(names)), key=lambda i: (-int(counts[i]), str(names[i])))
    kept = order[:max_categories]
    pooled = int(sum(int(counts[i]) for i in order[max_categories:]))
    return CategoricalProfile(
        rows=frame.rows,
        missing=nulls,
        categories=[str(names[i]) for i in kept],
        counts=[int(counts[i]) for i in kept],
        other=pooled,
        truncated=len(order) > max_categories,
        spec=spec,
    )


def build_baseline(
    frame: Frame,
    schema: SchemaFile | None = None,
    *,
    schema_file: str = "--schema",
    bins: int = DEFAULT_BINS,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    reference_size: int = DEFAULT_REFERENCE_SIZE,
    created: dt.datetime | None = None,
) -> Baseline:
    if schema is not None:
        absent = [n for n in schema.features if n not in frame.columns]
        if absent:
            raise InputError(
                [
                    Problem(
                        schema_file,
                        f"features.{n}",
                        f"is declared but {frame.source} has no such column",
                    )
                    for n in absent
                ]
            )
        specs = dict(schema.features)
    else:
        specs = {name: infer_spec(frame, name) for name in frame.columns}
    if not specs:
        raise InputError.single(frame.source, "", "has no columns to profile")
    features: dict[str, NumericProfile | CategoricalProfile] = {}
    for name, spec in specs.items():
        profile: NumericProfile | CategoricalProfile
        if spec.type == "numeric":
            profile = profile_numeric(frame, name, spec, bins, reference_size)
        else:
            profile = profile_categorical(frame, name, spec, max_categories)
        if schema is None:
            # inferred nullability: a feature the training data always filled must stay filled
            profile.spec = spec.model_copy(update={"nullable": profile.missing > 0})
        features[name] = profile
    return Baseline(
        created=(created or utc_now()).replace(microsecond=0).isoformat(),
        source=frame.source,
        rows=frame.rows,
        bins=bins,
        max_categories=max_categories,
        reference_size=reference_size,
        schema_declared=schema is not None,
        features=features,
        thresholds=schema.thresholds if schema is not None else ThresholdConfig(),
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
        raise InputError.single(shown, "", "is nested too deeply to be a baseline") from None
    if not isinstance(data, dict) or data.get("format") != "obsgov-drift-baseline":
        raise InputError.single(
            shown, "format", "is not an obsgov drift baseline (run `obsgov drift baseline`)"
        )
    if data.get("version") != FORMAT_VERSION:
        raise InputError.single(
            shown, "version", f"must be {FORMAT_VERSION}, got {data.get('version')!r}"
        )
    try:
        baseline = Baseline.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            [
                Problem(
                    shown,
                    format_key_path([p for p in e["loc"] if p not in ("numeric", "categorical")]),
                    str(e["msg"]).replace("Input should be", "must be"),
                )
                for e in exc.errors()
            ]
        ) from None
    problems = []
    for name, feature in baseline.features.items():
        where = f"features.{name}"
        if isinstance(feature, NumericProfile):
            try:
                values = feature.reference
            except (ValueError, TypeError):
                problems.append(Problem(shown, f"{where}.reference_values", "is not base64"))
                continue
            if values.size != feature.reference_count:
                problems.append(
                    Problem(
                        shown,
                        f"{where}.reference_values",
                        f"holds {values.size} values, "
                        f"reference_count says {feature.reference_count}",
                    )
                )
            elif values.size and (not np.all(np.isfinite(values)) or np.any(np.diff(values) < 0)):
                problems.append(
                    Problem(shown, f"{where}.reference_values", "must be finite and sorted")
                )
            if len(feature.bin_counts) != len(feature.edges) + 1:
                problems.append(
                    Problem(
                        shown, f"{where}.bin_counts", f"must hold {len(feature.edges) + 1} counts"
                    )
                )
        elif len(feature.counts) != len(feature.categories):
            problems.append(Problem(shown, f"{where}.counts", "must hold one count per category"))
    if problems:
        raise InputError(problems)
    return baseline


def describe(baseline: Baseline) -> dict[str, Any]:
    return {"rows": baseline.rows, "features": len(baseline.features)}
