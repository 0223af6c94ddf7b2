"""Where a finding points in the repository: the registry entry that produced the resource.

Code scanning matches a result to a file by a URI relative to the repository root and shows
it on the lines its region names; both must be the same whatever directory obsgov ran in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from obsgov.graph import GraphResource, ResourceGraph

SRCROOT = "%SRCROOT%"


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

    def location(self, path: Path) -> dict[str, Any]:
        # Symlinks resolved: code scanning cannot show a result on a symlinked path.
        resolved = path.resolve()
        if self.root is not None:
            try:
                relative = resolved.relative_to(self.root)
            except ValueError:
                pass
            else:
                return {"uri": quote(relative.as_posix(), safe="/"), "uriBaseId": SRCROOT}
        return {"uri": resolved.as_uri()}

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


def line_region(path: Path, line: int) -> Region:
    """The text of one line of ``path`` (1-based), without its indentation."""
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        lines = []
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if not text.strip():
        return Region(line, 1, line, 1)
    return Region(line, len(text) - len(text.lstrip()) + 1, line, len(text.rstrip()) + 1)


def _scalar(node: yaml.Node, key: str) -> str | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.ScalarNode):
            return str(v.value)
    return None


def _items(root: yaml.Node, key: str) -> list[yaml.Node]:
    if not isinstance(root, yaml.MappingNode):
        return []
    for k, v in root.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.SequenceNode):
            return list(v.value)
    return []


def _last_mark(node: yaml.Node) -> yaml.Mark:
    """Where the entry's own text ends: the end of its last value. A block collection's own
    end mark is where the next token starts, often the next entry's line."""
    if isinstance(node, yaml.MappingNode) and node.value:
        return _last_mark(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and node.value:
        return _last_mark(node.value[-1])
    return node.end_mark


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


class Locator:
    """Regions of the location file for resources of one graph.

    For the accounts registry (YAML with ``accounts`` and ``workloads``) a resource points at
    the workload entry that produced it (its logical name holds the workload's name, inside the
    workload's account), else at its account's entry (by account id, or by the component named
    after the account). For a ``pulumi stack export`` file it points at the resource's URN.
    Anything else points at the first line."""

    def __init__(self, path: Path, graph: ResourceGraph):
        self.graph = graph
        try:
            self.text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            self.text = ""
        self.lines = self.text.split("\n")
        self.accounts_by_id: dict[str, Region] = {}
        self.accounts_by_name: dict[str, Region] = {}
        self.workloads: list[tuple[str, str, Region]] = []  # account name, workload name, region
        if path.suffix.lower() in (".yaml", ".yml"):
            self._read_registry()

    def _read_registry(self) -> None:
        try:
            root = yaml.compose(self.text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            return  # the loader has already reported it; results point at line 1
        if root is None:
            return
        for node in _items(root, "accounts"):
            region = self._region(node)
            account_id, name = _scalar(node, "id"), _scalar(node, "name")
            if account_id:
                self.accounts_by_id.setdefault(account_id, region)
            if name:
                self.accounts_by_name.setdefault(name, region)
        for node in _items(root, "workloads"):
            name, account = _scalar(node, "name"), _scalar(node, "account")
            if name:
                self.workloads.append((account or "", name, self._region(node)))

    def _region(self, node: yaml.Node) -> Region:
        start = node.start_mark
        end = _last_mark(node)
        # A mark at column 0 is the start of the line after the value (block scalars end so).
        end_line = end.line if end.column > 0 else end.line - 1
        end_line = max(min(end_line, len(self.lines) - 1), start.line)
        while end_line > start.line and not _is_content(self.lines[end_line]):
            end_line -= 1
        return Region(
            start.line + 1, start.column + 1, end_line + 1, len(self.lines[end_line].rstrip()) + 1
        )

    def _line_region(self, index: int) -> Region:
        line = self.lines[index] if index < len(self.lines) else ""
        body = line.strip()
        start = len(line) - len(line.lstrip()) + 1
        return Region(
            index + 1, start if body else 1, index + 1, len(line.rstrip()) + 1 if body else 1
        )

    def _workload(self, resource: GraphResource, account: str | None) -> Region | None:
        name = f"-{resource.name}-"
        found = [
            (len(w), region)
            for owner, w, region in self.workloads
            if f"-{w}-" in name and (account is None or owner == account)
        ]
        return max(found, key=lambda item: item[0])[1] if found else None

    def region(self, urn: str) -> Region:
        resource = self.graph.get(urn)
        if resource is not None and (self.workloads or self.accounts_by_id):
            account = self.graph.accounts.get(resource.account) if resource.account else None
            component = self.graph.component_of(resource)
            if (
                account is None
                and component is not None
                and component.name in self.accounts_by_name
            ):
                account = component.name
            for candidate in (
                self._workload(resource, account) if account else None,
                self.accounts_by_id.get(resource.account or ""),
                self.accounts_by_name.get(account or ""),
                self.accounts_by_name.get(resource.name),
            ):
                if candidate is not None:
                    return candidate
        if urn:
            needle = re.compile(r'"urn":\s*' + re.escape(json.dumps(urn)))
            for i, line in enumerate(self.lines):
                if needle.search(line):
                    return self._line_region(i)
        return self._line_region(0)
