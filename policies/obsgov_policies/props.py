"""Reading resource properties defensively.

Properties come from any team's stack, so nothing here assumes a type: a helper returns the
default for a missing or oddly-typed value instead of raising. Unknown values (preview) are left
to the SDK's proxy, which raises ``UnknownValueError`` when a policy reads one; the pack then
reports the advisory "can't run during preview" diagnostic. Only :func:`is_set` treats an
unknown value as an answer, because a value that will be known later is, in any case, set.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

try:
    from pulumi_policy.proxy import UnknownValueError
except ImportError:  # pragma: no cover - exercised by the program host in a team's virtualenv

    class UnknownValueError(Exception):  # type: ignore[no-redef]
        """Where pulumi_policy is not installed (a team's program environment, which reads
        only :func:`assumed_account`) no policy proxy exists to raise the real one."""


_MISSING = object()


def get(value: Any, *path: Any, default: Any = None) -> Any:
    """Follow keys (str) and indexes (int) through mappings and sequences."""
    current = value
    for key in path:
        if isinstance(key, int):
            if (
                isinstance(current, Sequence)
                and not isinstance(current, (str, bytes))
                and -len(current) <= key < len(current)
            ):
                current = current[key]
            else:
                return default
        elif isinstance(current, Mapping):
            try:
                current = current[key]
            except KeyError:
                return default
        else:
            return default
    return default if current is None else current


def is_set(props: Any, *path: Any) -> bool:
    """True when the value exists and is not empty (a blank string is empty); unknown values
    count as set."""
    try:
        value = get(props, *path, default=_MISSING)
    except UnknownValueError:
        return True
    if value is _MISSING:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (Mapping, Sequence)):
        return len(value) > 0
    return True


def known_str(value: Any, *path: Any) -> str | None:
    """The non-empty string at ``path``; None when it is missing, not a string, or unknown
    until deployment (for matching resources, where an unknown name simply does not match)."""
    try:
        found = get(value, *path)
    except UnknownValueError:
        return None
    return found if isinstance(found, str) and found else None


def as_str(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return False


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def number_text(value: float) -> str:
    """A number for messages: whole numbers in full (``86400``, never ``:g``'s ``86400`` turning
    into ``1e+06`` past six digits), others as Python writes them."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def is_list(value: Any) -> bool:
    """A JSON array (or the SDK's proxy of one), not a string."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def as_list(value: Any) -> list[Any]:
    return list(value) if is_list(value) else []


def as_dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


UNKNOWN_VALUE = object()
"""Stands in for a value that is unknown until deployment (see :func:`known_items`)."""


def known_items(value: Any) -> dict[str, Any]:
    """A plain copy of a mapping where unknown values become :data:`UNKNOWN_VALUE` instead
    of raising, for policies that only need the keys or the known values."""
    out: dict[str, Any] = {}
    if not isinstance(value, Mapping):
        return out
    for key in list(value.keys()):
        try:
            out[key] = value[key]
        except UnknownValueError:
            out[key] = UNKNOWN_VALUE
    return out


def json_document(value: Any) -> Mapping[str, Any] | None:
    """A policy document given as a JSON string or an object; None when it is neither."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except (json.JSONDecodeError, ValueError):
            return None
        return parsed if isinstance(parsed, Mapping) else None
    return None


def statements(document: Mapping[str, Any] | None) -> Iterator[Mapping[str, Any]]:
    raw = get(document, "Statement")
    if isinstance(raw, Mapping):
        raw = [raw]
    for statement in as_list(raw):
        if isinstance(statement, Mapping):
            yield statement


def is_everyone(principal: Any) -> bool:
    """True when an IAM statement's Principal is anyone: ``*`` or ``{"AWS": "*"}``."""
    if principal == "*":
        return True
    return "*" in str_list(as_dict(principal).get("AWS"))


def str_list(value: Any) -> list[str]:
    """IAM fields that take a string or a list of strings."""
    if isinstance(value, str):
        return [value]
    return [v for v in as_list(value) if isinstance(v, str)]


def assumed_account(assume_roles: Any) -> str:
    """The account of an AWS provider's first assumed role whose ARN names one ("" when none
    does). The engine passes nested provider config as JSON text, and a provider may carry one
    role as a mapping rather than a list."""
    if isinstance(assume_roles, str):
        try:
            assume_roles = json.loads(assume_roles)
        except ValueError:
            return ""
    if isinstance(assume_roles, Mapping):
        assume_roles = [assume_roles]
    for role in as_list(assume_roles):
        parts = as_str(get(role, "roleArn")).split(":")
        if len(parts) > 4 and parts[4].isdigit():
            return parts[4]
    return ""


def provider_account(resource: Any) -> str:
    """The account a resource lands in: its AWS provider's assumed role's account ("" for the
    stack's default provider or one that assumes no role)."""
    if resource.provider is None:
        return ""
    return assumed_account(get(resource.provider.props, "assumeRoles"))
