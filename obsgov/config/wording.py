"""pydantic's validation errors, worded for someone editing YAML.

Each error becomes one sentence that reads after its key path (``accounts[0].id: must be 12
ASCII digits (0-9)``); an unknown key gets the closest known key as a suggestion.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.alias_generators import to_camel

from .models import WORKLOAD_MODELS

#: What a ``secure:`` value becomes: its ciphertext cannot be decrypted without the stack's
#: secrets provider, and ``pulumi policy analyze`` shows undecryptable secrets the same way.
SECRET = "[secret]"


def _kinds() -> str:
    return ", ".join(sorted(WORKLOAD_MODELS))


def friendly(error: Mapping[str, Any], model: type[BaseModel]) -> str:
    """One pydantic error (from ``ValidationError.errors()``) as a sentence."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if error.get("input") == SECRET and kind not in ("missing", "extra_forbidden"):
        return (
            "is a secret (secure:), which obsgov cannot decrypt offline; this setting "
            "must be plain text"
        )
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known key" + suggestion(error["loc"], model)
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"must be one of {expected}"
    if kind == "string_pattern_mismatch":
        return f"must match the pattern {ctx.get('pattern')}"
    if kind == "string_type":
        return "must be a string (quote it in YAML: unquoted digits become numbers)"
    if kind == "finite_number":
        return "must be a finite number"
    if kind == "union_tag_invalid":
        return f"kind must be one of {_kinds()}"
    if kind == "union_tag_not_found":
        return f"kind is required (one of {_kinds()})"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a mapping of key: value"
    if kind == "list_type":
        return "must be a list"
    return str(error["msg"]).replace("Input should be", "must be")


def strip_kinds(loc: Sequence[Any]) -> tuple:
    """Drop the discriminator pydantic inserts after ``workloads[i]`` (the kind is not a key
    the user wrote)."""
    out: list[Any] = []
    for i, part in enumerate(loc):
        after_workload = i >= 2 and isinstance(loc[i - 1], int) and loc[i - 2] == "workloads"
        if after_workload and part in WORKLOAD_MODELS:
            continue
        out.append(part)
    return tuple(out)


def as_written(loc: tuple, model: type[BaseModel]) -> tuple:
    """``loc`` with a last part pydantic names by its Python field name (it does when it
    validates a default, ``validate_default``) given as the key the user writes."""
    if not loc or not isinstance(loc[-1], str):
        return loc
    known = known_keys(model, list(loc[:-1]))
    written = to_camel(loc[-1])
    if loc[-1] not in known and written in known:
        return (*loc[:-1], written)
    return loc


def suggestion(loc: Sequence[Any], model: type[BaseModel]) -> str:
    known = known_keys(model, list(loc[:-1]))
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def known_keys(model: type[BaseModel], parents: Sequence[Any]) -> list[str]:
    """The keys a mapping at ``parents`` (a pydantic ``loc``) may hold."""
    current: Any = model
    named_entry = False  # the previous part was a map whose keys the user names
    for i, part in enumerate(parents):
        if isinstance(part, int) or named_entry:
            named_entry = False
            continue
        if i >= 2 and parents[i - 2] == "workloads" and part in WORKLOAD_MODELS:
            current = WORKLOAD_MODELS[part]
            continue
        fields = getattr(current, "model_fields", {})
        match = next((f for n, f in fields.items() if (f.alias or n) == part), None)
        if match is None:
            return []
        annotation = match.annotation
        named_entry = typing.get_origin(annotation) is dict
        for arg in getattr(annotation, "__args__", ()) or ():
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                annotation = arg
        current = annotation
    fields = getattr(current, "model_fields", {})
    return [f.alias or n for n, f in fields.items()]
