"""Where a finding points in the repository: the line that caused it.

A resource is made by the program, but what it looks like is usually decided by a value in a
file someone edits: a key of the stack's config, an entry of the accounts registry, a value of
the organization file, a default in a team's ``Pulumi.yaml``. For each finding the
:class:`Locator` looks for those causes, most specific first:

1. a config or registry value that the resource's inputs hold *and* the finding's message
   names (``Tag 'owner' is 'commerce'`` -> ``Pulumi.prod.yaml:6  owner: commerce``);
2. for obsgov's own stack: the registry entry (workload, else account) that produced the
   resource; the section of the stack config its component is built from (the deepest key
   whose values only that component's resources hold, leaving out values it borrows from
   another component's section); the organization file's line naming
   the central account it lives in;
3. the line of the program that made the resource (team projects record it while the program
   runs; obsgov's own program too);
4. for a stack policy, the stack file's ``config:``.

The first found is the primary location; the others, with the config values the resource
holds (most specific first), are related locations (SARIF ``relatedLocations``; text, JSON and
JUnit name them as ``file:line``). A value "is held" by a resource when one of its inputs
equals it (numbers and booleans only when the input's name and the config key's name share a
word, ``logRetentionDays`` and ``retentionInDays``), or when a string input or the resource's
name contains it as a whole token and it is at least five characters long. A value is more
specific the fewer resources hold it. No location ever lands on a comment or a blank line.

Code scanning matches a result to a file by a URI relative to the repository root and shows it
on the lines its region names; both must be the same whatever directory obsgov ran in.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from obsgov.graph import STACK_TYPE, GraphResource, ResourceGraph, plain

SRCROOT = "%SRCROOT%"
MAX_RELATED = 4
MAX_SHARING = 3  # a value held by more components than this names no component's section
MIN_TOKEN_LENGTH = 5  # shorter values (raw, prod, dev) are held by too many strings by chance
# Config keys whose values every resource holds (region, environment) or that say nothing
# about one resource: they are never a cause.
IGNORED_KEYS = {
    "aws:region",
    "obsgov:environment",
    "environment",
    "obsgov:policyEnforcement",
    "obsgov:policyPacks",
    "obsgov:costAssumptions",
    "obsgov:suppressions",
    "suppressions",
    "pulumi:tags",
    "description",
    "type",
    "secure",
}
# A registry entry's own names: they say which entry it is, which the entry's place says.
ENTRY_NAMES = {"name", "account", "kind", "id", "email"}
# Words too common in property names to tie a number to a config key.
STOP_WORDS = {"in", "of", "the", "to", "id", "ids", "arn", "name", "enabled", "config", "value"}


def repository_root(path: Path) -> Path | None:
    """The git work tree holding ``path`` (``.git`` is a folder, or a file in worktrees and
    submodules), else the Pulumi project holding it (``Pulumi.yaml``), else None."""
    resolved = path.resolve()
    for folder in resolved.parents:
        if (folder / ".git").exists():
            return folder
    for folder in resolved.parents:
        if (folder / "Pulumi.yaml").is_file():
            return folder
    return None


class Artifacts:
    """SARIF ``artifactLocation`` objects relative to one source root.

    The root is the repository of the file results point at; files outside it get an absolute
    ``file:`` URI (code scanning cannot show those, but the SARIF stays truthful)."""

    def __init__(self, anchor: Path | None):
        self.root = repository_root(anchor) if anchor is not None else None

    def relative(self, path: Path) -> str | None:
        # Symlinks resolved: code scanning cannot show a result on a symlinked path.
        if self.root is None:
            return None
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None

    def location(self, path: Path) -> dict[str, Any]:
        relative = self.relative(path)
        if relative is not None:
            return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}
        return {"uri": path.resolve().as_uri()}

    def base_ids(self) -> dict[str, Any]:
        if self.root is None:
            return {}
        return {
            SRCROOT: {
                "uri": self.root.as_uri().rstrip("/") + "/",
                "description": {"text": "The repository root."},
            }
        }


@dataclass(frozen=True)
class Region:
    start_line: int
    start_column: int
    end_line: int
    end_column: int

    def to_sarif(self) -> dict[str, int]:
        return {
            "startLine": self.start_line,
            "startColumn": self.start_column,
            "endLine": self.end_line,
            "endColumn": self.end_column,
        }


@dataclass(frozen=True)
class Place:
    """One location: a region of a file, and what is there (``workload fraud-scoring-prod``,
    ``config obsgov:logRetentionDays``, ``program``)."""

    path: Path
    region: Region
    label: str

    def shown(self, root: Path | None = None) -> str:
        """``file:line`` relative to ``root`` (else as obsgov shows paths)."""
        from obsgov.io import display_path

        relative = None
        if root is not None:
            try:
                relative = self.path.resolve().relative_to(root).as_posix()
            except ValueError:
                relative = None
        return f"{relative or display_path(self.path)}:{self.region.start_line}"


@dataclass(frozen=True)
class Located:
    primary: Place | None
    related: tuple[Place, ...] = ()

    @property
    def places(self) -> tuple[Place, ...]:
        return ((self.primary,) if self.primary else ()) + self.related


@dataclass
class SourceFiles:
    """The files a stack's findings may point at.

    ``config``: YAML files whose values make resources what they are (the stack file first,
    then the organization file; for a team's project its stack file and ``Pulumi.yaml``);
    ``registry``: obsgov's accounts registry; ``state``: a ``pulumi stack export`` file that was
    judged; ``stack_file``: where findings on the whole stack point; ``program_root``: the
    folder the graph's program lines are relative to (obsgov's own program)."""

    config: list[Path] = field(default_factory=list)
    registry: Path | None = None
    state: Path | None = None
    stack_file: Path | None = None
    program_root: Path | None = None  # what the graph's relative program lines are relative to

    @property
    def anchor(self) -> Path | None:
        """The file whose repository the URIs are relative to."""
        for path in (self.stack_file, self.registry, self.state, *self.config):
            if path is not None:
                return path
        return None

    @classmethod
    def coerce(cls, value: SourceFiles | Path | None) -> SourceFiles:
        """A plain path is the one file results point at: a registry, or a state file."""
        if value is None or isinstance(value, SourceFiles):
            return value or cls()
        if value.suffix.lower() in (".yaml", ".yml"):
            return cls(registry=value)
        return cls(state=value)


def line_region(path: Path, line: int) -> Region:
    """The text of one line of ``path`` (1-based), without its indentation."""
    return _region_in(_lines(path), line)


def _region_in(lines: Sequence[str], line: int) -> Region:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if not text.strip():
        return Region(line, 1, line, 1)
    return Region(line, len(text) - len(text.lstrip()) + 1, line, len(text.rstrip()) + 1)


# A file is read, split and composed once per version of it: one preview places findings and
# suppressions in the registry several times, and at 1,000 accounts splitting and composing it
# again for each was most of the central stack's preview. The (mtime, size) stamp keeps a file
# rewritten in the same process from being answered from its old text.
_Stamp = tuple[int, int] | None


def _stamp(path: Path) -> _Stamp:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size)


def _read(path: Path) -> str:
    return _text(path, _stamp(path))


@functools.lru_cache(maxsize=64)
def _text(path: Path, stamp: _Stamp) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _lines(path: Path) -> tuple[str, ...]:
    return _split(path, _stamp(path))


@functools.lru_cache(maxsize=64)
def _split(path: Path, stamp: _Stamp) -> tuple[str, ...]:
    return tuple(_text(path, stamp).split("\n"))


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def first_content_region(path: Path) -> Region:
    """The first line that is neither blank nor a comment (line 1 when there is none)."""
    for number, line in enumerate(_lines(path), 1):
        if _is_content(line):
            return line_region(path, number)
    return Region(1, 1, 1, 1)


# --------------------------------------------------------------------------- YAML values


def words(name: str) -> set[str]:
    """``logRetentionDays`` / ``retention_in_days`` / ``obsgov:alarmDefaults`` -> words."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return {w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w and w not in STOP_WORDS}


@dataclass(frozen=True)
class Leaf:
    """One scalar of a YAML file: where it is and the key path leading to it."""

    path: Path
    keys: tuple[str | int, ...]
    value: Any
    region: Region  # the `key: value` line (the item for a list element)

    @property
    def name(self) -> str:
        """The key the value belongs to: the nearest named key (a list's key for its items,
        a project config key for its ``default``/``value``)."""
        for key in reversed(self.keys):
            if isinstance(key, str) and key not in ("default", "value", "items"):
                return key
        return ""

    @property
    def key_path(self) -> str:
        out = ""
        for key in self.keys:
            out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
        return out


def _region_of(lines: Sequence[str], start: yaml.Mark, end: yaml.Mark) -> Region:
    end_line = end.line if end.column > 0 else end.line - 1
    end_line = max(min(end_line, len(lines) - 1), start.line)
    while end_line > start.line and not _is_content(lines[end_line]):
        end_line -= 1
    return Region(start.line + 1, start.column + 1, end_line + 1, len(lines[end_line].rstrip()) + 1)


def _scalar_value(node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor().construct_object(node)
    except yaml.YAMLError:
        return node.value


class YamlFile:
    """A YAML file's scalars with their positions, and the key line of every mapping entry."""

    def __init__(self, path: Path, root_key: str | None = None):
        self.path = path
        self.lines = _lines(path)
        self.leaves: list[Leaf] = []
        self.keys: dict[tuple[str | int, ...], Region] = {}
        self.nodes: dict[tuple[str | int, ...], yaml.Node] = {}
        try:
            root = yaml.compose(_read(path), Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            root = None  # the loader has already reported it
        if root is None:
            return
        self.root = root
        if root_key is not None:
            for key, value in (
                getattr(root, "value", ()) if isinstance(root, yaml.MappingNode) else ()
            ):
                if isinstance(key, yaml.ScalarNode) and key.value == root_key:
                    self.keys[(root_key,)] = _region_in(self.lines, key.start_mark.line + 1)
                    self._walk(value, (root_key,), key.start_mark)
            return
        self._walk(root, (), root.start_mark)

    def _walk(self, node: yaml.Node, keys: tuple[str | int, ...], mark: yaml.Mark) -> None:
        self.nodes[keys] = node
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue
                self.keys[(*keys, key.value)] = _region_in(self.lines, key.start_mark.line + 1)
                self._walk(value, (*keys, key.value), key.start_mark)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*keys, i), item.start_mark)
        elif isinstance(node, yaml.ScalarNode):
            region = Region(
                mark.line + 1,
                mark.column + 1,
                node.end_mark.line + 1,
                node.end_mark.column + 1,
            )
            if region.end_line != region.start_line:  # a block scalar: its first line
                region = _region_in(self.lines, mark.line + 1)
            self.leaves.append(Leaf(self.path, keys, _scalar_value(node), region))

    def entry_region(self, keys: tuple[str | int, ...]) -> Region | None:
        node = self.nodes.get(keys)
        if node is None:
            return None
        return _region_of(self.lines, node.start_mark, _last_mark(node))


def yaml_file(path: Path, root_key: str | None = None) -> YamlFile:
    """``path`` read as a :class:`YamlFile` once per version of the file (read-only: shared)."""
    return _yaml_file(path, root_key, _stamp(path))


@functools.lru_cache(maxsize=16)
def _yaml_file(path: Path, root_key: str | None, stamp: _Stamp) -> YamlFile:
    return YamlFile(path, root_key)


def _last_mark(node: yaml.Node) -> yaml.Mark:
    """Where the entry's own text ends: the end of its last value. A block collection's own
    end mark is where the next token starts, often the next entry's line."""
    if isinstance(node, yaml.MappingNode) and node.value:
        return _last_mark(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and node.value:
        return _last_mark(node.value[-1])
    return node.end_mark


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _usable(leaf: Leaf) -> bool:
    if any(isinstance(k, str) and k in IGNORED_KEYS for k in leaf.keys):
        return False
    value = leaf.value
    if isinstance(value, bool) or value is None:
        return isinstance(value, bool)
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    return isinstance(value, str) and len(value) >= 2


# --------------------------------------------------------------------------- resource values


def _flatten(value: Any, keys: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, (*keys, str(key)))
    elif isinstance(value, list):
        for item in value:
            yield from _flatten(item, keys)
    else:
        yield keys, value


@dataclass
class _Held:
    """A resource's input values, ready to be matched against config values."""

    strings: set[str]
    text: str  # every string input and the resource's name, newline-separated
    scalars: list[tuple[set[str], Any]]  # (words of the input's key path, number or bool)

    @classmethod
    def of(cls, resource: GraphResource) -> _Held:
        strings: list[str] = [resource.name]
        scalars: list[tuple[set[str], Any]] = []
        for keys, value in _flatten(plain(resource.inputs)):
            if isinstance(value, str):
                strings.append(value)
                # a JSON document in a string (policies, definitions) holds values too
                if value[:1] in "{[":
                    try:
                        inner = json.loads(value)
                    except ValueError:
                        inner = None
                    for inner_keys, inner_value in _flatten(inner, keys):
                        if isinstance(inner_value, (bool, int, float)):
                            scalars.append((_key_words(inner_keys), inner_value))
            elif isinstance(value, (bool, int, float)):
                scalars.append((_key_words(keys), value))
        return cls(set(strings), "\n".join(strings), scalars)

    def holds(self, leaf: Leaf, by_value: bool = False) -> bool:
        """Whether the resource holds ``leaf``'s value; ``by_value``: a number or boolean is
        held when any input equals it (for the registry entry that produced the resource,
        whose numbers are the resource's thresholds under other names)."""
        value = leaf.value
        if isinstance(value, str):
            if value in self.strings:
                return len(value) >= MIN_TOKEN_LENGTH or bool(words(leaf.name))
            return len(value) >= MIN_TOKEN_LENGTH and _contains_token(self.text, value)
        name = words(leaf.name)
        for key_words, held in self.scalars:
            if isinstance(value, bool) != isinstance(held, bool):
                continue
            if held == value and (by_value or name & key_words):
                return True
        return False


_WORD = re.compile(r"[A-Za-z0-9]+")


class _HeldIndex:
    """Which resources can hold a value, so a value's holders are counted without testing
    every resource: a stack of 12,000 resources and a registry of 2,000 values made that
    count most of a preview's report (30 s of CPU at 100 accounts).

    A candidate is only a superset: :meth:`_Held.holds` still decides. A string of
    ``MIN_TOKEN_LENGTH`` or more is held as a token of the text, so each run of letters and
    digits in it is a whole word of that text (the token cannot start or end inside a word);
    a shorter one only as a whole input. A number or boolean is held by an input equal to it
    under a key that shares a word with the leaf's name.
    """

    def __init__(self, held: Sequence[_Held]):
        # lists, not sets: most words belong to one resource, and a preview's peak memory is
        # a goal (each resource's index is added once per key, so a list holds no repeats)
        self.held = held
        self.by_word: dict[str, list[int]] = {}
        self.by_string: dict[str, list[int]] = {}
        self.by_scalar: dict[tuple[bool, Any, str], list[int]] = {}
        for i, one in enumerate(held):
            for word in set(_WORD.findall(one.text)):
                self.by_word.setdefault(word, []).append(i)
            for string in one.strings:
                self.by_string.setdefault(string, []).append(i)
            keys = {
                (isinstance(value, bool), value, word)
                for key_words, value in one.scalars
                for word in key_words
            }
            for key in keys:
                self.by_scalar.setdefault(key, []).append(i)

    def candidates(self, leaf: Leaf) -> Iterator[_Held]:
        value = leaf.value
        found: set[int]
        if isinstance(value, str):
            if len(value) < MIN_TOKEN_LENGTH:
                found = set(self.by_string.get(value, ()))
            else:
                runs = set(_WORD.findall(value))
                if not runs:
                    return iter(self.held)
                postings = sorted((self.by_word.get(r, []) for r in runs), key=len)
                found = set(postings[0])
                for posting in postings[1:]:
                    found.intersection_update(posting)
        else:  # held under a key sharing a word with the leaf's name
            kind = isinstance(value, bool)
            found = set()
            for word in words(leaf.name):
                found.update(self.by_scalar.get((kind, value, word), ()))
        return (self.held[i] for i in sorted(found))


def _key_words(keys: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for key in keys:
        found |= words(key)
    return found


@functools.lru_cache(maxsize=4096)
def _token_pattern(value: str) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(value) + r"(?![A-Za-z0-9])")


def _contains_token(text: str, value: str) -> bool:
    return value in text and _token_pattern(value).search(text) is not None


@functools.lru_cache(maxsize=4096)
def _word_pattern(value: str) -> re.Pattern[str]:
    # A name joins its parts with - _ . / :, so a value inside one (fraud-scoring in the alarm
    # name fraud-scoring-prod-p99) is part of that name, not a mention of the value.
    joined = r"A-Za-z0-9_.\-/:"
    return re.compile(rf"(?<![{joined}])" + re.escape(value) + rf"(?![{joined}]?[A-Za-z0-9])")


def mentions(message: str, value: Any) -> bool:
    """Whether a finding's message names ``value`` as a word of its own (``Tag 'owner' is
    'commerce'`` names commerce; ``alarm fraud-scoring-prod-p99`` does not name fraud-scoring)."""
    if isinstance(value, bool):
        return False
    text = _number_text(value) if isinstance(value, (int, float)) else value
    if not isinstance(text, str) or len(text) < 1 or text not in message:
        return False
    return _word_pattern(text).search(message) is not None


# --------------------------------------------------------------------------- the locator


class Locator:
    """The places findings on ``graph``'s resources point at."""

    def __init__(self, sources: SourceFiles | Path | None, graph: ResourceGraph):
        self.sources = SourceFiles.coerce(sources)
        self.graph = graph
        self.config_files = [
            yaml_file(p, root_key="config" if _is_stack_or_project(p) else None)
            for p in self.sources.config
            if p.is_file()
        ]
        self.registry = (
            yaml_file(self.sources.registry)
            if self.sources.registry is not None and self.sources.registry.is_file()
            else None
        )
        self.leaves = [leaf for f in self.config_files for leaf in f.leaves if _usable(leaf)]
        self._held: dict[str, _Held] = {}
        self._holders: dict[tuple[bool, Any, str], int] = {}
        self._index: _HeldIndex | None = None
        self._workloads: list[tuple[str, str, tuple[str | int, ...]]] = []
        self._accounts: dict[str, tuple[str | int, ...]] = {}
        self._account_names: dict[str, tuple[str | int, ...]] = {}
        if self.registry is not None:
            self._read_registry(self.registry)
        self._sections: dict[str, Place | None] | None = None

    # ------------------------------------------------------------------ registry
    def _read_registry(self, registry: YamlFile) -> None:
        by_keys: dict[tuple[str | int, ...], dict[str, Any]] = {}
        for leaf in registry.leaves:
            if len(leaf.keys) == 3 and isinstance(leaf.keys[1], int):
                by_keys.setdefault(leaf.keys[:2], {})[str(leaf.keys[2])] = leaf.value
        for keys, fields in by_keys.items():
            if keys[0] == "accounts":
                if fields.get("id") is not None:
                    self._accounts.setdefault(str(fields["id"]), keys)
                if fields.get("name"):
                    self._account_names.setdefault(str(fields["name"]), keys)
            elif keys[0] == "workloads" and fields.get("name"):
                self._workloads.append(
                    (str(fields.get("account") or ""), str(fields["name"]), keys)
                )

    def _entry(self, resource: GraphResource) -> tuple[str, tuple[str | int, ...]] | None:
        """The registry entry that produced ``resource``: (label, key path)."""
        if self.registry is None:
            return None
        account = self.graph.accounts.get(resource.account) if resource.account else None
        component = self.graph.component_of(resource)
        if account is None and component is not None and component.name in self._account_names:
            account = component.name
        if account is not None:
            name = f"-{resource.name}-"
            found = [
                (len(w), w, keys)
                for owner, w, keys in self._workloads
                if f"-{w}-" in name and owner == account
            ]
            if found:
                _, workload, keys = max(found, key=lambda item: item[0])
                return f"workload {workload}", keys
        for entry, label in (
            (self._accounts.get(resource.account or ""), f"account {account}"),
            (self._account_names.get(account or ""), f"account {account}"),
            (self._account_names.get(resource.name), f"account {resource.name}"),
        ):
            if entry is not None:
                return label, entry
        return None

    def workload_of(self, urn: str) -> str | None:
        """The registry workload that produced the resource, if any."""
        resource = self.graph.get(urn)
        entry = self._entry(resource) if resource is not None else None
        return entry[0].split(" ", 1)[1] if entry and entry[0].startswith("workload ") else None

    # ------------------------------------------------------------------ values
    def held(self, resource: GraphResource) -> _Held:
        found = self._held.get(resource.urn)
        if found is None:
            found = self._held[resource.urn] = _Held.of(resource)
        return found

    def holders(self, leaf: Leaf) -> int:
        """How many of the stack's resources hold ``leaf``'s value (its specificity)."""
        # What holds a value depends on the value and the key's name only: every account's
        # `dataClassification: internal` counts once.
        key = (isinstance(leaf.value, bool), leaf.value, leaf.name)
        count = self._holders.get(key)
        if count is None:
            if self._index is None:
                self._index = _HeldIndex([self.held(r) for r in self.graph.custom_resources()])
            count = sum(1 for held in self._index.candidates(leaf) if held.holds(leaf))
            self._holders[key] = count
        return count

    def _matches(
        self, resource: GraphResource, leaves: Sequence[Leaf], entry: Sequence[Leaf] = ()
    ) -> list[Leaf]:
        held = self.held(resource)
        found = [leaf for leaf in leaves if held.holds(leaf)]
        found += [leaf for leaf in entry if held.holds(leaf, by_value=True)]
        return sorted(found, key=lambda leaf: (self.holders(leaf), len(leaf.keys)))

    # ------------------------------------------------------------------ sections
    def _component_sections(self) -> dict[str, Place | None]:
        """Per top-level component: the deepest stack-config key holding the string values that
        component's resources hold and few others do."""
        if self._sections is not None:
            return self._sections
        self._sections = {}
        stack_file = self.config_files[0] if self.config_files else None
        if stack_file is None or not _is_stack_or_project(stack_file.path):
            return self._sections
        strings = [
            leaf
            for leaf in stack_file.leaves
            if _usable(leaf) and isinstance(leaf.value, str) and len(leaf.value) >= 5
        ]
        owners: dict[Leaf, set[str]] = {}
        for resource in self.graph.custom_resources():
            top = self._top_component(resource)
            if top is None:
                continue
            held = self.held(resource)
            for leaf in strings:
                if held.holds(leaf):
                    owners.setdefault(leaf, set()).add(top)
        by_top: dict[str, list[Leaf]] = {}
        for leaf, tops in owners.items():
            if len(tops) <= MAX_SHARING:
                for top in tops:
                    by_top.setdefault(top, []).append(leaf)
        chosen: dict[str, list[Leaf]] = {}
        for top, shared in by_top.items():
            # the values only this component holds, when there are two; else those it shares
            # with at most two others (a trail and the archive it writes to share a principal)
            own = [leaf for leaf in shared if len(owners[leaf]) == 1]
            leaves = own if len(own) >= 2 else shared
            if len(leaves) >= 2:  # one value is a value, not a section
                chosen[top] = leaves
        first = {
            top: _common_prefix([leaf.keys for leaf in leaves]) for top, leaves in chosen.items()
        }
        for top, leaves in chosen.items():
            # a value that lies in another component's section is borrowed from it (the trail's
            # CIS topic subscribes the security contacts of centralAudit.eventRouting): the
            # section is where the rest are, when two are left
            kept = [
                leaf
                for leaf in leaves
                if not any(
                    other != top
                    and len(section) >= 2
                    and leaf.keys[: len(section)] == section
                    and first[top][: len(section)] != section  # not a section around this one
                    for other, section in first.items()
                )
            ]
            common = _common_prefix([leaf.keys for leaf in (kept if len(kept) >= 2 else leaves)])
            # at least a key under config: (the whole config is no section)
            named = tuple(k for k in common if isinstance(k, str))
            while common and not isinstance(common[-1], str):
                common = common[:-1]
            if len(named) >= 2 and common in stack_file.keys:
                label = "config " + ".".join(str(k) for k in common[1:])
                self._sections[top] = Place(stack_file.path, stack_file.keys[common], label)
        return self._sections

    def _top_component(self, resource: GraphResource) -> str | None:
        component = self.graph.component_of(resource)
        top = None
        while component is not None:
            top = component.urn
            component = self.graph.component_of(component)
        return top

    def _central_account(self, resource: GraphResource) -> Place | None:
        if not resource.account:
            return None
        for config in self.config_files[1:]:
            for leaf in config.leaves:
                if str(leaf.value) == resource.account and "account" in words(leaf.name):
                    return Place(config.path, leaf.region, f"{leaf.key_path} (the account)")
        return None

    # ------------------------------------------------------------------ locate
    def locate(self, urn: str, message: str = "") -> Located:
        if self.sources.state is not None:
            return Located(Place(self.sources.state, self._state_region(urn), "resource"))
        resource = self.graph.get(urn)
        candidates: list[Place] = []
        related: list[Place] = []
        if resource is None or resource.type == STACK_TYPE or not urn:
            return Located(self._stack_place())

        entry = self._entry(resource)
        entry_leaves: list[Leaf] = []
        entry_place = None
        if entry is not None and self.registry is not None:
            label, keys = entry
            region = self.registry.entry_region(keys)
            if region is not None:
                entry_place = Place(self.registry.path, region, label)
            entry_leaves = [
                leaf
                for leaf in self.registry.leaves
                if leaf.keys[: len(keys)] == keys
                and _usable(leaf)
                and leaf.keys[-1] not in ENTRY_NAMES
            ]
        matched = self._matches(resource, self.leaves, entry_leaves)
        named = [leaf for leaf in matched if mentions(message, leaf.value)]
        if named:
            candidates.append(_leaf_place(named[0]))
        if entry_place is not None:
            candidates.append(entry_place)
        top = self._top_component(resource)
        section = self._component_sections().get(top) if top else None
        if section is not None:
            candidates.append(section)
        if entry_place is None:
            central = self._central_account(resource)
            if central is not None:
                candidates.append(central)
        program = self._program_place(urn)
        if program is not None:
            candidates.append(program)
        related += [_leaf_place(leaf) for leaf in matched]
        places = _unique([*candidates, *related])
        if not places:
            return Located(self._stack_place())
        return Located(places[0], tuple(places[1 : 1 + MAX_RELATED]))

    def _program_place(self, urn: str) -> Place | None:
        source = self.graph.sources.get(urn)
        if not source:
            return None
        file, _, line = source.rpartition(":")
        if not line.isdigit():
            return None
        path = Path(file)
        if not path.is_absolute() and self.sources.program_root is not None:
            path = self.sources.program_root / path
        return Place(path, line_region(path, int(line)), "program")

    def _stack_place(self) -> Place | None:
        stack_file = self.sources.stack_file
        if stack_file is not None and stack_file.is_file():
            config = yaml_file(stack_file, root_key="config")
            region = config.keys.get(("config",)) or first_content_region(stack_file)
            return Place(stack_file, region, "stack config")
        for path in (self.sources.registry, *self.sources.config):
            if path is not None and path.is_file():
                return Place(path, first_content_region(path), "stack")
        return None

    def _state_region(self, urn: str) -> Region:
        assert self.sources.state is not None
        lines = _lines(self.sources.state)
        if urn:
            needle = re.compile(r'"urn":\s*' + re.escape(json.dumps(urn)))
            for i, line in enumerate(lines):
                if needle.search(line):
                    return line_region(self.sources.state, i + 1)
        return first_content_region(self.sources.state)

    def region(self, urn: str) -> Region:
        """The primary region of a finding on ``urn`` (line 1 when there is none)."""
        primary = self.locate(urn).primary
        return primary.region if primary is not None else Region(1, 1, 1, 1)


def _is_stack_or_project(path: Path) -> bool:
    return path.name.startswith("Pulumi.") and path.suffix.lower() in (".yaml", ".yml")


def _leaf_place(leaf: Leaf) -> Place:
    shown = leaf.key_path
    if shown.startswith("config."):
        shown = shown[len("config.") :]
    return Place(leaf.path, leaf.region, f"{shown}: {_shown_value(leaf.value)}")


def _shown_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number_text(value)
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _common_prefix(paths: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    if not paths:
        return ()
    prefix = paths[0]
    for path in paths[1:]:
        n = 0
        while n < min(len(prefix), len(path)) and prefix[n] == path[n]:
            n += 1
        prefix = prefix[:n]
    return prefix


def _unique(places: Iterable[Place]) -> list[Place]:
    seen: set[tuple[Path, int]] = set()
    out = []
    for place in places:
        key = (place.path.resolve(), place.region.start_line)
        if key not in seen:
            seen.add(key)
            out.append(place)
    return out
