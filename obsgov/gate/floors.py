"""The organisation's floors under the policy packs' thresholds.

A threshold such as ``minLogRetentionDays`` belongs to the policy configuration: the policy's
default, then the environment's pack config file (``stacks/policy-packs/<env>/<pack>.json``),
then ``--policy-pack-config``. None of them may go below the organisation's floor, kept in
``stacks/policy-packs/floors.yaml`` (owned, like the pack configs, by the reviewers CODEOWNERS
names): a config that lowers a threshold under its floor is refused, naming the layer that set
it, so a change that would judge an environment more leniently than the organisation allows
never passes the gate. A floor may be set per environment (dev's logs may be kept a month).

The floors name the library's policies and numeric properties; a name the library does not
have is an error, never a floor that silently guards nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from obsgov.config.models.types import Environment, Model
from obsgov.config.validation import validate_model
from obsgov.errors import InputError, Problem
from obsgov.io import display_path, read_yaml

FLOORS_FILE = Path("policy-packs") / "floors.yaml"

Finite = Annotated[float, Field(allow_inf_nan=False)]
PolicyFloors = dict[str, dict[str, Finite]]  # policy -> property -> least value


class FloorFile(Model):
    floors: PolicyFloors = Field(default_factory=dict)
    # Floors an environment is held to instead of the organisation-wide ones.
    environments: dict[Environment, PolicyFloors] = Field(default_factory=dict)

    def for_environment(self, environment: str) -> PolicyFloors:
        merged = {policy: dict(values) for policy, values in self.floors.items()}
        for policy, values in self.environments.get(environment, {}).items():  # type: ignore[call-overload]
            merged.setdefault(policy, {}).update(values)
        # whole numbers as integers, as the policies' integer properties hold them
        return {
            policy: {k: int(v) if float(v).is_integer() else v for k, v in values.items()}
            for policy, values in merged.items()
        }


def _known(model: FloorFile, shown: str) -> list[Problem]:
    """Every floor names a library policy and one of its numeric config properties."""
    from obsgov_policies.catalog import REGISTRY, load_all

    load_all()
    problems = []
    sections: list[tuple[str, PolicyFloors]] = [("floors", model.floors)]
    sections += [(f"environments.{e}", f) for e, f in model.environments.items()]
    for where, floors in sections:
        for policy, values in floors.items():
            spec = REGISTRY.get(policy)
            if spec is None:
                problems.append(Problem(shown, f"{where}.{policy}", "is not an obsgov policy id"))
                continue
            for prop in values:
                schema = spec.config_properties.get(prop, {})
                if schema.get("type") not in ("integer", "number"):
                    problems.append(
                        Problem(
                            shown,
                            f"{where}.{policy}.{prop}",
                            f"is not a numeric config property of {policy}",
                        )
                    )
    return problems


def load_floors(stacks_dir: Path) -> tuple[FloorFile, str] | None:
    """The floor file beside the stacks, validated (every problem at once, with its key
    path); None when the organisation keeps none."""
    path = stacks_dir / FLOORS_FILE
    if not path.exists() and not path.is_symlink():
        return None
    shown = display_path(path)
    model, problems = validate_model(FloorFile, read_yaml(path), shown)
    if model is not None:
        problems += _known(model, shown)
    if problems or model is None:
        raise InputError(problems)
    return model, shown


def below_floor(value: Any, floor: float) -> bool:
    """A value under the floor, or not a number at all (which judges nothing sure)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return True
    return value < floor


class Floors(dict):
    """A config layer that sets nothing and carries the floors, so the gate and ``obsgov
    policy config`` check every layer after it (see :func:`floor_errors`)."""

    def __init__(self, floors: PolicyFloors, source: str) -> None:
        super().__init__()
        self.floors = floors
        self.source = source


class FloorLayer:
    """The environment's floors, as a layer the gate resolves with the pack's schemas."""

    def __init__(self, env: Any) -> None:
        loaded = load_floors(env.stack_file.parent)
        self.floors = loaded[0].for_environment(env.environment) if loaded else {}
        self.source = loaded[1] if loaded else ""

    def __call__(self, policies: Any) -> Mapping[str, Any]:
        return Floors(self.floors, self.source)


def floor_errors(layers: list[Mapping[str, Any]], reconciled: Mapping[str, Any]) -> list[str]:
    """Each floored threshold the reconciled config sets below its floor, naming the layer
    that set it (the last one that did) or the policy's default."""
    floors = next((layer for layer in layers if isinstance(layer, Floors)), None)
    if floors is None:
        return []
    errors = []
    for policy, values in sorted(floors.floors.items()):
        config = reconciled.get(policy)
        if config is None:
            continue  # the pack has no such policy
        for prop, floor in sorted(values.items()):
            value = (config.properties or {}).get(prop)
            if not below_floor(value, floor):
                continue
            setters = [
                getattr(layer, "source", "a config layer")
                for layer in layers
                if prop in (getattr(layer.get(policy), "properties", None) or {})
            ]
            who = setters[-1] if setters else "the policy's default"
            shown = "unset" if value is None else json.dumps(value)
            errors.append(
                f"{policy}: {prop}: {shown} is below the organisation's floor {floor:g} "
                f"({floors.source}); set by {who}"
            )
    return errors
