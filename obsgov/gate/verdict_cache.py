"""Verdicts already given: an ``Analyze`` answer reused when nothing it rests on changed.

A pack's ``Analyze`` answer is a function of the request (the resource's properties, options
and provider), of the pack (its code and the library it bundles), of its reconciled config
(levels and properties) and of the stack the pack was configured for (``ConfigureStack``:
stack, project, organisation, dry run, config, tags). The key is a digest of all of them, and
of every file a config property names (a registry snapshot the policy reads): change any and
the resource is judged again. ``AnalyzeStack`` (one call, which sees every resource) and
``Remediate`` are never cached.

The cache is a folder (``obsgov preview --verdict-cache DIR`` or ``OBSGOV_VERDICT_CACHE``),
one file per answer, written atomically, so the parallel processes of ``preview --env`` share
it. It is off unless asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from obsgov.io import write_atomic

from .project import PolicyPackProject

ENVIRONMENT_VARIABLE = "OBSGOV_VERDICT_CACHE"
#: Bumped when what is stored (or how the key is made) changes.
FORMAT = b"obsgov-verdict-cache-1"


def _files_digest(folder: Path) -> str:
    """The pack's own files (its virtualenv and caches left out)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        parts = set(path.relative_to(folder).parts)
        if not path.is_file() or parts & {"venv", ".venv", "__pycache__", "node_modules"}:
            continue
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def pack_digest(project: PolicyPackProject) -> str:
    """The pack's code and, beside it, the policy library it bundles (policies/
    obsgov_policies, obsgov.gate.bundle)."""
    parts = [_files_digest(project.directory)]
    library = project.directory.parent / "obsgov_policies"
    if library.is_dir():
        parts.append(_files_digest(library))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _named_files(value: Any) -> list[str]:
    """Digests of the files config property values name (read by the policy at run time)."""
    found: list[str] = []
    if isinstance(value, str) and value.startswith("/") and len(value) < 4096:
        path = Path(value)
        if path.is_file():
            found.append(hashlib.sha256(path.read_bytes()).hexdigest())
    elif isinstance(value, Mapping):
        for item in value.values():
            found += _named_files(item)
    elif isinstance(value, list):
        for item in value:
            found += _named_files(item)
    return found


class VerdictCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0

    @classmethod
    def from_environment(cls, folder: Path | None = None) -> VerdictCache | None:
        chosen = folder or (
            Path(os.environ[ENVIRONMENT_VARIABLE]) if os.environ.get(ENVIRONMENT_VARIABLE) else None
        )
        return cls(chosen) if chosen is not None else None

    def session_key(
        self, project: PolicyPackProject, config: Mapping[str, Any], stack: Mapping[str, Any]
    ) -> str:
        """What every Analyze answer of one pack session rests on besides its request."""
        document = json.dumps(
            {
                "pack": pack_digest(project),
                "config": config,
                "files": _named_files(config),
                "stack": stack,
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(FORMAT + document.encode()).hexdigest()

    def key(self, session_key: str, request: bytes) -> str:
        return hashlib.sha256(session_key.encode() + b"\0" + request).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def get(self, key: str) -> str | None:
        """The stored answer (the AnalyzeResponse as protobuf JSON), None when there is none."""
        path = self._path(key)
        try:
            data = path.read_text()
        except (OSError, UnicodeDecodeError):
            self.misses += 1
            return None
        self.hits += 1
        return data

    def put(self, key: str, response: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, response)
