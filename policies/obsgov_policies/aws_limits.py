"""What AWS accepts, written once: the config models and the policies judge the same facts.

Plain functions, no pulumi imports. Each ``*_problem`` function returns why AWS would refuse
the value (a phrase that reads after the value's key path, e.g. ``must be 12 ASCII digits``)
or ``None`` when AWS accepts it.

Sources: the IAM/Organizations account id format; the ``Tag`` shape shared by most AWS APIs
(key 1-128 and value 0-256 characters of ``^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$``, the ``aws:``
prefix reserved); CloudWatch's ``PutMetricAlarm``/``Metric``/``Dimension`` shapes (namespace
and metric name 1-255 characters, namespace pattern ``[^:].*``, dimension name 1-255 and value
1-1024 ASCII characters with at least one non-whitespace character and no control
characters, dimension names not starting with a colon, at most 30 dimensions).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

ACCOUNT_ID = re.compile(r"[0-9]{12}")  # not \d: that matches every script's digits
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAG_SYMBOLS = frozenset("_.:/=+-@")
RESERVED_TAG_PREFIX = "aws:"
NAMESPACE_MAX = 255
METRIC_NAME_MAX = 255
DIMENSION_NAME_MAX = 255
DIMENSION_VALUE_MAX = 1024
DIMENSIONS_MAX = 30


def account_id_problem(value: str) -> str | None:
    if not isinstance(value, str) or not ACCOUNT_ID.fullmatch(value):
        return "must be 12 ASCII digits (0-9)"
    return None


def _tag_char_ok(char: str) -> bool:
    # \p{L}, \p{Z} and \p{N} are Unicode categories L*, Z* and N*.
    return char in TAG_SYMBOLS or unicodedata.category(char)[0] in "LZN"


def _bad_tag_chars(text: str) -> str:
    bad = sorted({c for c in text if not _tag_char_ok(c)})
    return " ".join(repr(c) for c in bad[:5])


def tag_key_problem(key: str) -> str | None:
    if not isinstance(key, str) or not key:
        return "tag keys must be 1-128 characters"
    if len(key) > TAG_KEY_MAX:
        return f"tag keys must be at most {TAG_KEY_MAX} characters (this one has {len(key)})"
    if key.lower().startswith(RESERVED_TAG_PREFIX):
        return "tag keys must not start with aws: (reserved for AWS)"
    bad = _bad_tag_chars(key)
    if bad:
        return f"tag keys may hold only letters, digits, spaces and _ . : / = + - @ (not {bad})"
    return None


def tag_value_problem(value: str) -> str | None:
    if not isinstance(value, str):
        return "tag values must be strings"
    if len(value) > TAG_VALUE_MAX:
        return f"tag values must be at most {TAG_VALUE_MAX} characters (this one has {len(value)})"
    bad = _bad_tag_chars(value)
    if bad:
        return f"tag values may hold only letters, digits, spaces and _ . : / = + - @ (not {bad})"
    return None


def tags_problem(tags: Mapping[str, Any]) -> str | None:
    """The first problem of a tag mapping, naming the tag."""
    for key, value in tags.items():
        reason = tag_key_problem(key)
        if reason:
            return f"{key!r}: {reason}"
        reason = tag_value_problem(value)
        if reason:
            return f"{key!r}: {reason}"
    return None


def _ascii_text_problem(value: str, what: str, maximum: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"{what} must hold at least one non-space character"
    if len(value) > maximum:
        return f"{what} must be at most {maximum} characters (this one has {len(value)})"
    bad = sorted({c for c in value if not (" " <= c <= "~")})
    if bad:
        shown = " ".join(repr(c) for c in bad[:5])
        return f"{what} must be printable ASCII (not {shown})"
    return None


def namespace_problem(value: str) -> str | None:
    reason = _ascii_text_problem(value, "a CloudWatch namespace", NAMESPACE_MAX)
    if reason is None and value.startswith(":"):
        return "a CloudWatch namespace must not start with a colon"
    return reason


def metric_name_problem(value: str) -> str | None:
    return _ascii_text_problem(value, "a CloudWatch metric name", METRIC_NAME_MAX)


def dimension_name_problem(value: str) -> str | None:
    reason = _ascii_text_problem(value, "a dimension name", DIMENSION_NAME_MAX)
    if reason is None and value.startswith(":"):
        return "a dimension name must not start with a colon"
    return reason


def dimension_value_problem(value: str) -> str | None:
    return _ascii_text_problem(value, "a dimension value", DIMENSION_VALUE_MAX)


def dimensions_problem(dimensions: Mapping[str, Any]) -> str | None:
    """The first problem of a metric's dimensions, naming the dimension."""
    if len(dimensions) > DIMENSIONS_MAX:
        return f"a metric has at most {DIMENSIONS_MAX} dimensions (these are {len(dimensions)})"
    for name, value in dimensions.items():
        reason = dimension_name_problem(name)
        if reason:
            return f"{name!r}: {reason}"
        reason = dimension_value_problem(value)
        if reason:
            return f"{name!r}: {reason}"
    return None


def finite_problem(value: Any) -> str | None:
    """AWS's numbers are finite: JSON and the APIs have no NaN or Infinity."""
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    return None
