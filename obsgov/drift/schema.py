"""The declared schema and drift thresholds, read from YAML.

A schema file looks like::

    features:
      age: {type: numeric, min: 0, max: 130, nullable: false}
      country: {type: categorical, categories: [DE, FR, US]}
      score: {type: numeric, source: output}
      customer_id: {type: identifier}
      signed_up: {type: timestamp}
    thresholds:
      defaults: {psi: 0.2}
      features:
        age: {wasserstein_normed: 0.2}
      drifted_share: 0.5

Feature types: ``numeric``, ``categorical``, ``timestamp`` (numeric drift on seconds since
the epoch, plus the age of the newest value) and ``identifier`` (no distribution: its missing
rate and the share of values the baseline never saw). Without a schema they are inferred.

The ``thresholds`` section has the same shape as a ``drift run --thresholds`` file, which
overrides what the baseline recorded. A key given there replaces the default chosen by
:mod:`obsgov.drift.definition` for that statistic (``null`` leaves it out of the decision);
keys not given keep the default. Every problem is collected and reported with its file and
key path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from obsgov.config.validation import validate_model
from obsgov.errors import InputError, Problem
from obsgov.io import display_path, read_yaml

FeatureType = Literal["numeric", "categorical", "timestamp", "identifier"]
Scalar = str | int | float | bool


class Thresholds(BaseModel):
    """When a feature counts as drifted: any statistic at or past a set threshold
    (p-values below theirs). ``None`` leaves that statistic out of the decision (it is still
    reported). The defaults per feature type and sample size come from
    :func:`obsgov.drift.definition.default_thresholds`."""

    model_config = ConfigDict(extra="forbid")

    psi: Annotated[float | None, Field(ge=0, allow_inf_nan=False)] = None
    js_distance: Annotated[float | None, Field(ge=0, le=1)] = None
    ks_pvalue: Annotated[float | None, Field(gt=0, lt=1)] = None
    chi2_pvalue: Annotated[float | None, Field(gt=0, lt=1)] = None
    wasserstein: Annotated[float | None, Field(ge=0, allow_inf_nan=False)] = None
    wasserstein_normed: Annotated[float | None, Field(ge=0, allow_inf_nan=False)] = None
    missing_rate_change: Annotated[float | None, Field(ge=0, le=1)] = None
    new_value_rate: Annotated[float | None, Field(gt=0, le=1)] = None
    max_age_seconds: Annotated[float | None, Field(gt=0, allow_inf_nan=False)] = None


class ThresholdOverrides(Thresholds):
    """A partial :class:`Thresholds`: only the keys given replace the defaults."""


class ThresholdConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: ThresholdOverrides = Field(default_factory=lambda: ThresholdOverrides())
    features: dict[str, ThresholdOverrides] = Field(default_factory=dict)
    drifted_share: Annotated[float | None, Field(gt=0, le=1)] = None

    def merged_over(self, base: ThresholdConfig) -> ThresholdConfig:
        """This config's explicit keys on top of ``base``."""
        defaults = base.defaults.model_copy(update=self.defaults.model_dump(exclude_unset=True))
        features = {k: v.model_copy() for k, v in base.features.items()}
        for name, over in self.features.items():
            prior = features.get(name, ThresholdOverrides())
            features[name] = prior.model_copy(update=over.model_dump(exclude_unset=True))
        share = self.drifted_share if self.drifted_share is not None else base.drifted_share
        return ThresholdConfig.model_construct(
            defaults=defaults, features=features, drifted_share=share
        )

    def for_feature(self, name: str, base: Thresholds | None = None) -> Thresholds:
        """``base`` (the feature's defaults) with this config's keys on top."""
        result = (base or Thresholds()).model_copy()
        result = result.model_copy(update=self.defaults.model_dump(exclude_unset=True))
        if name in self.features:
            result = result.model_copy(update=self.features[name].model_dump(exclude_unset=True))
        return result

    def dataset_share(self) -> float:
        from .definition import DRIFTED_SHARE

        return self.drifted_share if self.drifted_share is not None else DRIFTED_SHARE

    def to_json(self) -> dict[str, Any]:
        return {
            "defaults": self.defaults.model_dump(exclude_unset=True),
            "features": {k: v.model_dump(exclude_unset=True) for k, v in self.features.items()},
            "drifted_share": self.drifted_share,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ThresholdConfig:
        return cls.model_validate(data)


class FeatureSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: FeatureType
    nullable: bool = True
    min: float | None = None
    max: float | None = None
    categories: list[Scalar] | None = None
    source: Literal["input", "output"] = "input"

    @field_validator("categories")
    @classmethod
    def _distinct(cls, value: list[Scalar] | None) -> list[Scalar] | None:
        if value is not None:
            as_text = [category_text(v) for v in value]
            if len(set(as_text)) != len(as_text):
                raise ValueError("lists a category twice")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FeatureSpec:
        if self.type != "categorical" and self.categories is not None:
            raise ValueError("categories apply to categorical features only")
        if self.type != "numeric" and (self.min is not None or self.max is not None):
            raise ValueError("min and max apply to numeric features only")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self

    def category_set(self) -> list[str] | None:
        return None if self.categories is None else [category_text(v) for v in self.categories]


class SchemaFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    features: Annotated[dict[str, FeatureSpec], Field(min_length=1)]
    thresholds: ThresholdConfig = Field(default_factory=lambda: ThresholdConfig())

    @model_validator(mode="after")
    def _known_features(self) -> SchemaFile:
        unknown = sorted(set(self.thresholds.features) - set(self.features))
        if unknown:
            raise ValueError(
                f"thresholds.features names features the schema lacks: {', '.join(unknown)}"
            )
        return self


def category_text(value: Any) -> str:
    """Categories compare as text, so 1, 1.0 and "1" from YAML, CSV and Parquet agree."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def load_schema(path: Path) -> SchemaFile:
    data = read_yaml(path)
    model, problems = validate_model(SchemaFile, data, display_path(path))
    if problems or model is None:
        raise InputError(problems)
    return model


def load_thresholds(path: Path, features: set[str] | None = None) -> ThresholdConfig:
    """A thresholds file; ``features`` (the baseline's) makes unknown feature keys errors."""
    shown = display_path(path)
    data = read_yaml(path)
    model, problems = validate_model(ThresholdConfig, data, shown)
    if problems or model is None:
        raise InputError(problems)
    if features is not None:
        extra = sorted(set(model.features) - features)
        if extra:
            raise InputError(
                [
                    Problem(shown, f"features.{name}", "is not a feature of the baseline")
                    for name in extra
                ]
            )
    return model
