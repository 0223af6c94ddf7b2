"""Where in its YAML file a config problem is: the line and column of the key it names.

A problem names its file and key path (``accounts[1].id``); editors and GitHub's annotations
want ``file:line:column``. The file is composed again (never constructed: an alias is one node,
so a file of nested aliases is walked once per node) and the key path is matched against the
keys the file has, the deepest one that exists when the path names a key the file lacks (a
missing required key is shown at the mapping that lacks it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from obsgov.errors import PathPart, Problem, format_key_path

#: A file larger than this is not read again to place its problems (the loader refuses far
#: smaller ones; this only bounds the work of a message).
MAX_BYTES = 8 * 1024 * 1024
_LAST_PART = re.compile(r"(\[\d+\]|\.[^.]*)$")


@dataclass(frozen=True)
class Position:
    file: str
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def key_positions(text: str) -> dict[str, tuple[int, int]]:
    """Every key path of a YAML document (``format_key_path`` spelling) with the 1-based line
    and column of its key, or of the item for a list element; empty when it does not parse."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    positions: dict[str, tuple[int, int]] = {}
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[PathPart, ...]]] = [(root, ())] if root is not None else []
    while stack:
        node, keys = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    path = (*keys, key.value)
                    mark = key.start_mark
                    positions.setdefault(format_key_path(path), (mark.line + 1, mark.column + 1))
                    stack.append((value, path))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                path = (*keys, index)
                mark = item.start_mark
                positions.setdefault(format_key_path(path), (mark.line + 1, mark.column + 1))
                stack.append((item, path))
    return positions


def locate(
    problem: Problem, cache: dict[str, dict[str, tuple[int, int]]] | None = None
) -> Position | None:
    """The position of ``problem``'s key in its file (read relative to the working directory,
    as the problem names it), or None when the file cannot be read or names no key."""
    if not problem.key_path:
        return None
    cache = {} if cache is None else cache
    if problem.file not in cache:
        cache[problem.file] = _read_positions(Path(problem.file))
    positions = cache[problem.file]
    key = problem.key_path
    while key:
        if key in positions:
            line, column = positions[key]
            return Position(problem.file, line, column)
        shorter = _LAST_PART.sub("", key)
        if shorter == key:
            break
        key = shorter
    return None


def _read_positions(path: Path) -> dict[str, tuple[int, int]]:
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return {}
        return key_positions(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, RecursionError):
        return {}


def github_annotation(problem: Problem, position: Position | None) -> str:
    """The workflow command that makes GitHub show ``problem`` as an error annotation on its
    line ("Workflow commands for GitHub Actions": ``::error file=,line=,col=,title=::``;
    properties escape ``%``, CR, LF, ``:`` and ``,``, the message ``%``, CR and LF)."""
    properties = {"file": problem.file}
    if position is not None:
        properties |= {"line": str(position.line), "col": str(position.column)}
    if problem.key_path:
        properties["title"] = problem.key_path
    head = ",".join(f"{name}={_escape_property(value)}" for name, value in properties.items())
    return f"::error {head}::{_escape_data(problem.message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
