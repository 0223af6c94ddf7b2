"""Every rule written in the config code runs when an environment is validated.

Issue 33 found ``central_audit_problems`` written, tested on its own, and never called by
``load_environment``: ``validate`` (and the gate, and the program) passed what it forbids. The
rules are found here by introspection, not listed, so a new one is covered the day it is
written:

* every function of ``obsgov.config`` that returns problems (its return annotation names
  ``Problem``) must be called while the shipped environments are validated;
* every pydantic validator of the config models (``field_validator``, ``model_validator``,
  and the functions of ``AfterValidator``/``BeforeValidator``/... in a field's type) must sit
  on a model reachable from the three documents ``load_environment`` validates, and every
  ``Annotated`` type with a validator that a models module defines must be used by one.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import sys
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel
from pydantic.functional_validators import (
    AfterValidator,
    BeforeValidator,
    PlainValidator,
    WrapValidator,
)

import obsgov.config
import obsgov.config.models
from obsgov.config.loader import load_environment
from obsgov.config.models import AccountsRegistry, OrganizationConfig, StackSettings

from ..support.environments import EXAMPLE_STACKS, STACKS

ROOTS: tuple[type[BaseModel], ...] = (StackSettings, OrganizationConfig, AccountsRegistry)
VALIDATOR_KINDS = (AfterValidator, BeforeValidator, PlainValidator, WrapValidator)


def _modules(package) -> Iterator[types.ModuleType]:
    for info in pkgutil.iter_modules(package.__path__):
        yield importlib.import_module(f"{package.__name__}.{info.name}")


CONFIG_MODULES = [*_modules(obsgov.config), *_modules(obsgov.config.models)]
MODEL_MODULES = list(_modules(obsgov.config.models))


def _defined_functions(module: types.ModuleType) -> Iterator[Callable]:
    """Module-level functions and the methods of classes ``module`` defines."""
    for _, obj in inspect.getmembers(module):
        if inspect.isfunction(obj) and obj.__module__ == module.__name__:
            yield obj
        elif inspect.isclass(obj) and obj.__module__ == module.__name__:
            for member in vars(obj).values():
                function = getattr(member, "__func__", member)
                if inspect.isfunction(function):
                    yield function


def problem_rules() -> list[Callable]:
    found = []
    for module in CONFIG_MODULES:
        for function in _defined_functions(module):
            annotations = dict(function.__annotations__)
            returns = annotations.pop("return", None)
            # a function that makes problems from data; one handed problems (the loader's
            # _unique) only passes them on
            if "Problem" in str(returns) and not any(
                "Problem" in str(a) for a in annotations.values()
            ):
                found.append(function)
    return found


def _calls_while(action: Callable[[], None]) -> set:
    called: set = set()

    def profile(frame, event, arg):
        if event == "call":
            called.add(frame.f_code)

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return called


def _validate_every_shipped_environment() -> None:
    for stack in EXAMPLE_STACKS:
        load_environment(stack, STACKS / f"Pulumi.{stack}.yaml")


@functools.cache
def _called_in_validate() -> frozenset:
    return frozenset(_calls_while(_validate_every_shipped_environment))


def test_there_are_problem_rules_to_check():
    names = {f.__name__ for f in problem_rules()}
    assert {"central_audit_problems", "check", "account_ids_are_unique"} <= names


@pytest.mark.parametrize("rule", problem_rules(), ids=lambda f: f.__qualname__)
def test_every_rule_that_returns_problems_runs_in_validate(rule):
    assert rule.__code__ in _called_in_validate(), (
        f"{rule.__module__}.{rule.__qualname__} returns problems but validating the shipped "
        "environments never calls it: add it to obsgov.config.rules.RULES"
    )


# --------------------------------------------------------------------------- validators


def _unwrap(function) -> Callable:
    while isinstance(function, functools.partial):
        function = function.func
    return getattr(function, "__func__", function)


def _metadata_validators(annotation) -> Iterator[Callable]:
    """Validator functions anywhere in a type: Annotated metadata, list items, dict values,
    union members."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *metadata = typing.get_args(annotation)
        for item in metadata:
            if isinstance(item, VALIDATOR_KINDS):
                yield _unwrap(item.func)
        yield from _metadata_validators(inner)
        return
    for arg in typing.get_args(annotation):
        yield from _metadata_validators(arg)


def _model_classes(annotation) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _model_classes(arg)


def _validators_of(model: type[BaseModel]) -> Iterator[Callable]:
    decorators = model.__pydantic_decorators__
    for group in (
        decorators.validators,
        decorators.field_validators,
        decorators.root_validators,
        decorators.model_validators,
    ):
        for decorator in group.values():
            yield _unwrap(decorator.func)
    for field in model.model_fields.values():
        for item in field.metadata:
            if isinstance(item, VALIDATOR_KINDS):
                yield _unwrap(item.func)
        yield from _metadata_validators(field.annotation)


def _reachable_models() -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    todo = list(ROOTS)
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for field in model.model_fields.values():
            todo.extend(_model_classes(field.annotation))
    return seen


def _declared_models() -> set[type[BaseModel]]:
    return {
        obj
        for module in MODEL_MODULES
        for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, BaseModel) and obj.__module__ == module.__name__
    }


def _annotated_aliases() -> Iterator[tuple[str, object]]:
    for module in MODEL_MODULES:
        for name, obj in vars(module).items():
            if typing.get_origin(obj) is typing.Annotated:
                yield f"{module.__name__}.{name}", obj


def test_every_model_with_validators_is_validated_by_load_environment():
    reachable = _reachable_models()
    orphans = sorted(
        model.__qualname__
        for model in _declared_models()
        if model not in reachable
        and list(_validators_of(model))
        # a base class whose validators its reachable subclasses inherit
        and not any(issubclass(r, model) for r in reachable)
    )
    assert orphans == [], f"models whose validators never run: {orphans}"


def test_every_validated_type_a_models_module_defines_is_used():
    used = {v for model in _reachable_models() for v in _validators_of(model)}
    unused = sorted(
        name
        for name, alias in _annotated_aliases()
        if any(v not in used for v in _metadata_validators(alias))
    )
    assert unused == [], f"validated types no reachable field uses: {unused}"


def test_the_introspection_finds_the_validators_it_must():
    """The walk itself: a field validator, a model validator and an AfterValidator in a list
    item's type, each from a different model."""
    from obsgov.config.models.accounts import EtlPipeline
    from obsgov.config.models.central import ArchiveSettings
    from obsgov.config.models.settings import _event_bus_arn

    found = {v for model in _reachable_models() for v in _validators_of(model)}
    assert _unwrap(EtlPipeline._engine_limits) in found
    assert _unwrap(ArchiveSettings._ordered) in found
    assert _event_bus_arn in found
    assert Path(obsgov.config.__file__).parent.name == "config"
