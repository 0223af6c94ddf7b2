"""YAML documents as plain JSON-able data, with every hostile or careless input refused.

PyYAML's own constructors accept what obsgov must not: duplicate keys (the last one silently
wins), dates, ``!!binary``, sets, recursive aliases and alias bombs (a few hundred bytes that
expand to billions of nodes when the result is walked). So the document is composed into
nodes by libyaml, measured, and then built here: mappings with string keys, lists, strings,
booleans, integers, finite floats and null, nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from obsgov.errors import InputError, PathPart

from .errors import problem
from .paths import PathLike, display_path
from .text import MAX_TEXT_BYTES, read_text

#: Deeper than any config obsgov reads (about 6 levels); bounds recursion everywhere after.
MAX_DEPTH = 64
#: Values after alias expansion; a billion-laughs document is refused before it is built.
MAX_NODES = 1_000_000

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_SCALARS = {f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null")}
_UNSUPPORTED = {
    f"{_TAG}timestamp": "is a date or time, which JSON cannot hold; quote it to keep it as text",
    f"{_TAG}binary": "is !!binary data, which obsgov does not accept; use a string",
    f"{_TAG}set": "is a !!set, which obsgov does not accept; use a list",
    f"{_TAG}omap": "is an !!omap, which obsgov does not accept; use a mapping",
    f"{_TAG}pairs": "is !!pairs, which obsgov does not accept; use a mapping",
}
_MERGE = f"{_TAG}merge"
_constructor = SafeConstructor()


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Builder:
    def __init__(self, shown: str, max_depth: int, max_nodes: int) -> None:
        self.shown = shown
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self._sizes: dict[int, int] = {}

    def fail(self, node: Node, path: list[PathPart], message: str) -> InputError:
        return problem(self.shown, f"line {_line(node)}: {message}", path)

    # ---- measuring: sizes after alias expansion, memoized per node, so a bomb costs nothing

    def measure(self, node: Node, path: list[PathPart], active: set[int], depth: int) -> int:
        key = id(node)
        if key in active:
            raise self.fail(node, path, "is a recursive alias (it contains itself)")
        if depth > self.max_depth:
            raise self.fail(node, path, f"is nested more than {self.max_depth} levels deep")
        known = self._sizes.get(key)
        if known is not None:
            return known
        size = 1
        if not isinstance(node, ScalarNode):
            active.add(key)
            children: list[tuple[PathPart, Node]] = (
                list(enumerate(node.value))
                if isinstance(node, SequenceNode)
                else [(_hint(k), v) for k, v in node.value]
            )
            for part, child in children:
                size += self.measure(child, [*path, part], active, depth + 1)
                if size > self.max_nodes:
                    raise self.fail(
                        node,
                        path,
                        f"expands to more than {self.max_nodes} values "
                        "(aliases that repeat aliases?)",
                    )
            if isinstance(node, MappingNode):
                for k, _ in node.value:
                    size += self.measure(k, path, active, depth + 1)
            active.discard(key)
        self._sizes[key] = size
        return size

    # ---- building: plain data, one fresh object per occurrence

    def build(self, node: Node, path: list[PathPart]) -> Any:
        tag = node.tag
        if tag in _UNSUPPORTED:
            raise self.fail(node, path, _UNSUPPORTED[tag])
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, SequenceNode):
            if tag != f"{_TAG}seq":
                raise self.fail(node, path, f"has the unsupported tag {tag}")
            return [self.build(child, [*path, i]) for i, child in enumerate(node.value)]
        if tag != f"{_TAG}map":
            raise self.fail(node, path, f"has the unsupported tag {tag}")
        return self.mapping(node, path)

    def scalar(self, node: ScalarNode, path: list[PathPart]) -> Any:
        tag = node.tag
        if tag not in _SCALARS:
            raise self.fail(node, path, f"has the unsupported tag {tag}")
        try:
            value = getattr(_constructor, f"construct_yaml_{tag[len(_TAG) :]}")(node)
        except (ValueError, TypeError, yaml.YAMLError):
            raise self.fail(
                node, path, f"{node.value!r} is not a valid {tag[len(_TAG) :]}"
            ) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(node, path, f"{node.value!r} is not a finite number")
        return value

    def key(self, node: Node, path: list[PathPart]) -> str:
        if not isinstance(node, ScalarNode):
            raise self.fail(node, path, "has a key that is a list or mapping; keys must be strings")
        value = self.build(node, path)
        if not isinstance(value, str):
            raise self.fail(
                node,
                path,
                f"has the key {node.value!r}, which YAML reads as "
                f"{type(value).__name__}; keys must be strings (quote it)",
            )
        return value

    def mapping(self, node: MappingNode, path: list[PathPart]) -> dict[str, Any]:
        own: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                for source in self.merge_sources(value_node, path):
                    for k, v in self.mapping(source, path).items():
                        merged.setdefault(k, v)
                continue
            key = self.key(key_node, path)
            if key in own:
                raise self.fail(
                    key_node,
                    [*path, key],
                    f"duplicate key {key!r} (YAML would keep only the last one)",
                )
            own[key] = self.build(value_node, [*path, key])
        return {**merged, **own} if merged else own

    def merge_sources(self, node: Node, path: list[PathPart]) -> list[MappingNode]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        if not all(isinstance(s, MappingNode) for s in sources):
            raise self.fail(node, path, "a merge key (<<) must name a mapping or a list of them")
        return list(sources)


def _hint(node: Node) -> PathPart:
    return node.value if isinstance(node, ScalarNode) else "?"


def parse_yaml(
    text: str, shown: str, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES
) -> Any:
    """Parse one YAML document from ``text``; ``shown`` names it in messages."""
    try:
        root: Node | None = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark else ""
        what = exc.problem or exc.context or "syntax error"
        raise problem(shown, f"{where}invalid YAML ({what})") from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise problem(shown, f"invalid YAML ({first})") from None
    except (RecursionError, MemoryError):
        raise problem(shown, "invalid YAML (nested too deeply)") from None
    if root is None:
        return None
    builder = _Builder(shown, max_depth, max_nodes)
    builder.measure(root, [], set(), 0)
    return builder.build(root, [])


BOM = "\ufeff"


@dataclass(frozen=True)
class Layout:
    """What a YAML text holds besides its data that a tool editing it cannot keep as the
    author wrote it: a byte-order mark, anchors (``&name``) and the aliases (``*name``) that
    repeat them, each with its line."""

    bom: bool
    anchors: tuple[tuple[str, int], ...]
    aliases: tuple[tuple[str, int], ...]

    def describe(self) -> str:
        """The anchors and aliases as a user finds them: ``&mq (line 107), *mq (line
        190)``; empty when there are none."""
        marks = [f"&{n} (line {line})" for n, line in self.anchors]
        marks += [f"*{n} (line {line})" for n, line in self.aliases]
        return ", ".join(marks)


def yaml_layout(text: str) -> Layout:
    """The :class:`Layout` of ``text``; text that does not parse has none."""
    anchors: list[tuple[str, int]] = []
    aliases: list[tuple[str, int]] = []
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            anchor = getattr(event, "anchor", None)
            if anchor is None:
                continue
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent):
                aliases.append((anchor, line))
            else:
                anchors.append((anchor, line))
    except (yaml.YAMLError, RecursionError):
        pass
    return Layout(text.startswith(BOM), tuple(anchors), tuple(aliases))


def read_yaml(path: PathLike, max_bytes: int = MAX_TEXT_BYTES) -> Any:
    """A YAML file as plain data (see the module docstring for what is refused).

    An empty file is ``None``. Top-level keys must be strings, as everywhere else.
    """
    return parse_yaml(read_text(path, max_bytes), display_path(path))
