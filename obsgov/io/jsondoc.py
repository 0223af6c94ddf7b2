"""JSON documents: strict UTF-8, duplicate keys refused, finite numbers, bounded depth."""

from __future__ import annotations

import json
import re
from typing import Any

from obsgov.errors import PathPart

from .errors import problem
from .paths import PathLike, display_path
from .text import decode_utf8, read_bytes

#: State exports of large stacks run to hundreds of megabytes.
MAX_JSON_BYTES = 512 * 1024 * 1024
#: Pulumi state nests resource inputs inside outputs inside resources: far less than this.
MAX_JSON_DEPTH = 200

_WS = re.compile(r"[ \t\n\r]*")
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]  # public, untyped


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return result


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number; JSON has no {name}")


def _locate_duplicate(text: str) -> tuple[list[PathPart], int, str]:
    """Find the first duplicate key: its path, line and name. Only called on text that
    parsed, so the walk needs no error handling; depth is already bounded."""
    decoder = json.JSONDecoder()

    def skip(i: int) -> int:
        return _WS.match(text, i).end()  # type: ignore[union-attr]

    def value(i: int, path: list[PathPart]) -> int:
        i = skip(i)
        char = text[i]
        if char == "{":
            seen: set[str] = set()
            i = skip(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                i = skip(i)
                key, end = _scanstring(text, i + 1)
                if key in seen:
                    raise _Found([*path, key], text.count("\n", 0, i) + 1, key)
                seen.add(key)
                i = value(skip(end) + 1, [*path, key])
                i = skip(i)
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1
        if char == "[":
            i = skip(i + 1)
            if text[i] == "]":
                return i + 1
            index = 0
            while True:
                i = skip(value(i, [*path, index]))
                index += 1
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1
        _, end = decoder.raw_decode(text, i)
        return end

    try:
        value(0, [])
    except _Found as found:
        return found.path, found.line, found.key
    return [], 1, ""


class _Found(Exception):
    def __init__(self, path: list[PathPart], line: int, key: str) -> None:
        self.path, self.line, self.key = path, line, key


def _depth_ok(value: Any, limit: int) -> bool:
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def parse_json(text: str, shown: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON text; ``shown`` names it in messages."""
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
    except _Duplicate as duplicate:
        try:
            path, line, key = _locate_duplicate(text)
        except RecursionError:
            path, line, key = [], 0, duplicate.key
        if not key:
            path, line, key = [], 0, duplicate.key
        where = f"line {line}: " if line else ""
        raise problem(
            shown, f"{where}duplicate key {key!r} (JSON readers disagree on which one wins)", path
        ) from None
    except json.JSONDecodeError as exc:
        raise problem(
            shown, f"line {exc.lineno} column {exc.colno}: invalid JSON ({exc.msg})"
        ) from None
    except ValueError as exc:  # from _constant
        raise problem(shown, f"invalid JSON ({exc})") from None
    except RecursionError:
        raise problem(shown, f"is nested more than {max_depth} levels deep") from None
    if not _depth_ok(value, max_depth):
        raise problem(shown, f"is nested more than {max_depth} levels deep")
    return value


def read_json(
    path: PathLike, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """A JSON file as plain data (strict UTF-8, no duplicate keys, no NaN or Infinity)."""
    shown = display_path(path)
    return parse_json(decode_utf8(read_bytes(path, max_bytes), shown), shown, max_depth)
