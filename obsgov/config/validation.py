"""Validating one file's data against its model, collecting every problem."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from obsgov.errors import PathPart, Problem, format_key_path

from .models import AccountsRegistry
from .wording import as_written, friendly, strip_kinds

M = TypeVar("M", bound=BaseModel)


def validate_model(
    model: type[M],
    data: Any,
    file: str,
    prefix: Callable[[tuple], list[PathPart]] = lambda loc: list(loc),
) -> tuple[M | None, list[Problem]]:
    """Validate ``data``; return the model or the list of problems (never both).

    ``prefix`` maps pydantic's ``loc`` to the key path the user wrote.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [Problem(file, "", f"must be a mapping, got {_kind(data)}")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = strip_kinds(as_written(tuple(error["loc"]), model))
            problems.append(Problem(file, format_key_path(prefix(loc)), friendly(error, model)))
        return None, problems


def _kind(value: Any) -> str:
    return {
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
    }.get(type(value), type(value).__name__)


@dataclass
class Positions:
    """Where the registry's valid entries stand in the file, so messages point at the entry
    the user wrote; ``declared`` holds the names every account entry gave, valid or not."""

    accounts: list[int] = field(default_factory=list)
    workloads: list[int] = field(default_factory=list)
    declared: list[Any] = field(default_factory=list)
    # names every workload entry gave, valid or not: a reference to an invalid entry is that
    # entry's problem, already reported, not a dangling reference
    declared_workloads: list[Any] = field(default_factory=list)


def _at(index: int) -> Callable[[tuple], list[PathPart]]:
    """Key paths of a one-entry wrapper, pointed at the entry's place in the file."""

    def prefix(loc: tuple) -> list[PathPart]:
        return [loc[0], index, *loc[2:]] if len(loc) > 1 else list(loc)

    return prefix


def validate_registry(
    data: Any, file: str
) -> tuple[AccountsRegistry | None, Positions, list[Problem]]:
    """Validate the registry entry by entry, keeping the valid entries.

    Cross-entry rules (duplicates, references) then still run on what is valid, so one bad
    entry does not hide the problems of the others.
    """
    positions = Positions()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, positions, [Problem(file, "", f"must be a mapping, got {_kind(data)}")]
    problems: list[Problem] = []
    for key in sorted(set(data) - {"accounts", "workloads"}):
        problems.append(
            Problem(file, str(key), "is not a known key (expected accounts, workloads)")
        )
    kept: dict[str, list] = {"accounts": [], "workloads": []}
    for section in ("accounts", "workloads"):
        items = data.get(section, [])
        if items is None:
            items = []
        if not isinstance(items, list):
            problems.append(Problem(file, section, "must be a list"))
            continue
        for i, item in enumerate(items):
            wrapper = (
                {"accounts": [item]}
                if section == "accounts"
                else {"accounts": [], "workloads": [item]}
            )
            _, found = validate_model(AccountsRegistry, wrapper, file, prefix=_at(i))
            found = [p for p in found if p.key_path != "accounts"]  # min_length on the wrapper
            problems += found
            if not found:
                kept[section].append(item)
                getattr(positions, section).append(i)
    accounts = data.get("accounts")
    if isinstance(accounts, list):
        positions.declared = [a.get("name") for a in accounts if isinstance(a, dict)]
    workloads = data.get("workloads")
    if isinstance(workloads, list):
        positions.declared_workloads = [w.get("name") for w in workloads if isinstance(w, dict)]
    if not accounts:
        problems.append(Problem(file, "accounts", "must list at least one member account"))
    if problems and not kept["accounts"]:
        return None, positions, problems
    registry = AccountsRegistry.model_construct(
        accounts=[
            AccountsRegistry.model_validate({"accounts": [a]}).accounts[0] for a in kept["accounts"]
        ],
        workloads=[
            AccountsRegistry.model_validate(
                {"accounts": kept["accounts"][:1], "workloads": [w]}
            ).workloads[0]
            for w in kept["workloads"]
        ],
    )
    return registry, positions, problems
