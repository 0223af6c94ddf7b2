"""Safe edits of the accounts registry (``stacks/accounts.yaml``).

Every edit follows one path: take an exclusive lock on a lock file beside the registry, read the
file as it is now (another onboarding may have just added an entry), change the round-trip
document (ruamel.yaml keeps comments, order and quoting), check that the new text differs from
the old only by the lines of the change, validate the would-be registry with the same loader
the rest of obsgov uses, then write a unique temp file in the same folder, fsync it and rename
it over the registry. Any failure before the rename leaves the file byte-identical.
"""

from __future__ import annotations

import difflib
import fcntl
import io
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from obsgov.config import EnvironmentConfig, load_environment
from obsgov.errors import InputError, Problem
from obsgov.io import write_atomic
from obsgov.io.yamldoc import yaml_layout

# (mapping, sequence, offset) indentations tried, most common first; the first that
# round-trips the file unchanged is used, so an edit never re-indents the rest of the file.
_INDENTS = ((2, 4, 2), (2, 2, 0), (4, 6, 4), (4, 4, 2), (2, 4, 4))

ACCOUNT_OPTIONS = {
    "id": "--account-id",
    "name": "--name",
    "email": "--email",
    "environment": "--env",
    "organizationalUnit": "--ou",
    "owner": "--owner",
    "costCentre": "--cost-centre",
    "dataClassification": "--data-classification",
    "tags": "--tag",
}


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def lock_path(registry: Path) -> Path:
    return registry.with_name(f".{registry.name}.lock")


@contextmanager
def registry_lock(registry: Path) -> Iterator[None]:
    """Exclusive advisory lock shared by every obsgov process editing ``registry``.

    The lock file is never deleted: deleting it would let a waiting process lock a file a
    newcomer no longer sees.
    """
    with open(lock_path(registry), "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _yaml(indent: tuple[int, int, int]) -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    return yaml


def _dump(yaml: YAML, doc: Any) -> str:
    stream = io.StringIO()
    yaml.dump(doc, stream)
    return stream.getvalue()


def _last_slot(node: Any) -> tuple[Any, Any] | None:
    """The innermost last key of ``node``: where ruamel keeps the comment after an entry."""
    slot = None
    while isinstance(node, (CommentedMap, CommentedSeq)) and len(node):
        key = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
        slot = (node, key)
        node = node[key]
    return slot


def _move_trailing_comment(source: Any, target: Any) -> None:
    """Comments and blank lines after an entry (``# --- staging``) introduce the next group:
    they move with the end of the group when an entry is inserted after or removed before."""
    src, dst = _last_slot(source), _last_slot(target)
    if (
        src is None
        or dst is None
        or not isinstance(src[0], CommentedMap)
        or not isinstance(dst[0], CommentedMap)
    ):
        return
    items = src[0].ca.items
    token = items.get(src[1])
    if not token or len(token) < 3 or token[2] is None:
        return
    slot = dst[0].ca.items.setdefault(dst[1], [None, None, None, None])
    slot[2] = token[2]
    token[2] = None


def to_commented(value: Any) -> Any:
    if isinstance(value, Mapping) and not isinstance(value, CommentedMap):
        return CommentedMap((k, to_commented(v)) for k, v in value.items())
    if isinstance(value, list) and not isinstance(value, CommentedSeq):
        return CommentedSeq(to_commented(v) for v in value)
    return value


@dataclass
class Edit:
    """What an edit did, for the command's report."""

    changed: bool
    summary: str  # "workloads[17] (etl-pipeline feature-refresh-prod)"
    kind: str = ""  # insert | delete
    dry_run: bool = False

    def __str__(self) -> str:
        verbs = {
            ("insert", False): "added",
            ("insert", True): "would add",
            ("delete", False): "removed",
            ("delete", True): "would remove",
        }
        return f"{verbs[(self.kind, self.dry_run)]} {self.summary}"


Mutation = Callable[[Any], tuple[str, str, str] | None]


class RegistryEditor:
    """Edits ``env.registry_file``, validating with ``env``'s stack and organization."""

    def __init__(self, env: EnvironmentConfig) -> None:
        self.env = env
        self.path = env.registry_file
        self.crlf = False

    # ------------------------------------------------------------------ reading

    def read(self) -> tuple[str, Any, YAML]:
        """The file's text with LF line ends, its document and the YAML that reproduces it;
        ``self.crlf`` remembers whether the file used CRLF, so an edit keeps it."""
        with open(self.path, encoding="utf-8", newline="") as handle:
            raw = handle.read()
        self.crlf = "\r\n" in raw
        text = raw.replace("\r\n", "\n")
        if yaml_layout(text).bom:
            # ruamel.yaml drops the mark, so no indentation would reproduce the file
            raise InputError.single(
                display(self.path),
                "",
                "starts with a byte-order mark (U+FEFF), which obsgov cannot keep when it "
                "edits the file; save it as UTF-8 without a BOM",
            )
        for indent in _INDENTS:
            yaml = _yaml(indent)
            try:
                doc = yaml.load(text)
            except YAMLError as exc:
                raise InputError.single(display(self.path), "", f"invalid YAML ({exc})") from None
            if _dump(yaml, doc) == text:
                return text, doc, yaml
        raise InputError.single(
            display(self.path),
            "",
            "cannot be edited without reformatting it (ruamel.yaml does not reproduce its "
            "indentation or line breaks); indent mappings by 2 and list items by 4 with "
            "offset 2, as the shipped file does",
        )

    # ------------------------------------------------------------------ edits

    def edit(
        self, mutate: Mutation, options: Mapping[str, str] | None = None, dry_run: bool = False
    ) -> Edit:
        """Apply ``mutate`` under the lock. ``mutate`` returns ``None`` when there is nothing
        to do, else ``(summary, kind, entry_prefix)``: ``kind`` is ``insert`` or ``delete``
        and ``entry_prefix`` the key path of the new entry (``accounts[9]``), whose problems
        are reported against the command-line ``options`` that produced its fields."""
        with registry_lock(self.path):
            before, doc, yaml = self.read()
            result = mutate(doc)
            if result is None:
                return Edit(False, "already recorded")
            summary, kind, prefix = result
            after = _dump(yaml, doc)
            self._check_only(before, after, kind)
            self.validate(after, prefix, options or {})
            if not dry_run:
                write_atomic(self.path, after.replace("\n", "\r\n") if self.crlf else after)
            return Edit(True, summary, kind, dry_run)

    def _check_only(self, before: str, after: str, kind: str) -> None:
        matcher = difflib.SequenceMatcher(
            a=before.splitlines(keepends=True), b=after.splitlines(keepends=True), autojunk=False
        )
        allowed = {"equal", kind}
        bad = [op for op in matcher.get_opcodes() if op[0] not in allowed]
        if bad:
            tag, i1, _, _j1, _ = bad[0]
            marks = yaml_layout(before).describe()
            why = (
                f"; the file repeats values through YAML anchors and aliases ({marks}), "
                "which the edit cannot keep: write the repeated values out, or edit it by hand"
                if marks
                else ": edit it by hand"
            )
            raise InputError.single(
                display(self.path),
                "",
                f"the edit would also change line {i1 + 1} ({tag}); refusing to reformat "
                f"the file{why}",
            )

    def validate(self, text: str, prefix: str, options: Mapping[str, str]) -> None:
        """Run the loader on the would-be registry, beside the real stack and organization.

        Problems of the new entry are reported against the options that set them; anything
        else against the real registry file.
        """
        env = self.env
        with tempfile.TemporaryDirectory(prefix="obsgov-registry-") as tmp:
            candidate = Path(tmp) / self.path.name
            candidate.write_text(text, encoding="utf-8")
            config = dict(env.config_map)
            config["obsgov:registryFile"] = str(candidate)
            config["obsgov:organizationFile"] = str(env.organization_file)
            try:
                load_environment(env.stack, env.stack_file, config_map=config)
            except InputError as exc:
                shown = display(candidate)
                raise InputError(
                    self._remap(p, shown, prefix, options) for p in exc.problems
                ) from None

    def _remap(
        self, problem: Problem, shown: str, prefix: str, options: Mapping[str, str]
    ) -> Problem:
        if problem.file != shown:
            return problem
        if prefix and problem.key_path.startswith(prefix + "."):
            rest = problem.key_path[len(prefix) + 1 :]
            field = rest.split(".")[0].split("[")[0]
            if field in options:
                return Problem(options[field], "", problem.message)
            if "*" in options:  # the entry came from a file: point into it
                return Problem(options["*"], rest, problem.message)
        if prefix and problem.key_path == prefix:
            return Problem("new entry", "", problem.message)
        return Problem(display(self.path), problem.key_path, problem.message)


# ---------------------------------------------------------------------- account edits


def account_entry(fields: Mapping[str, Any]) -> CommentedMap:
    """A registry entry in the file's key order; ids are double-quoted as in the shipped file
    (an unquoted id would be read as a number)."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    entry = CommentedMap()
    for key in (
        "id",
        "name",
        "email",
        "environment",
        "organizationalUnit",
        "owner",
        "costCentre",
        "dataClassification",
    ):
        if key in fields:
            value = fields[key]
            entry[key] = DoubleQuotedScalarString(value) if key == "id" else value
    if fields.get("tags"):
        entry["tags"] = CommentedMap(fields["tags"])
    return entry


def insert_entry(seq: CommentedSeq, entry: CommentedMap, group_key: str) -> int:
    """Insert after the last entry of the same group (environment), else at the end."""
    same = [
        i
        for i, item in enumerate(seq)
        if isinstance(item, Mapping) and item.get(group_key) == entry.get(group_key)
    ]
    at = (same[-1] + 1) if same else len(seq)
    if at > 0:
        _move_trailing_comment(seq[at - 1], entry)
    seq.insert(at, entry)
    return at


def remove_entry(seq: CommentedSeq, index: int) -> None:
    if index > 0:
        _move_trailing_comment(seq[index], seq[index - 1])
    del seq[index]


def section(doc: Any, key: str) -> CommentedSeq:
    if not isinstance(doc, CommentedMap):
        raise InputError.single("registry", "", "must be a mapping")
    items = doc.get(key)
    if items is None:
        items = doc[key] = CommentedSeq()
    if not isinstance(items, CommentedSeq):
        raise InputError.single("registry", key, "must be a list")
    return items
