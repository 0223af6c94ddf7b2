"""A policy pack folder as the Pulumi CLI reads it (``PulumiPolicy.yaml``)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from obsgov.errors import InputError


@dataclass(frozen=True)
class PolicyPackProject:
    directory: Path
    runtime: str
    runtime_options: dict[str, Any] = field(default_factory=dict)
    version: Optional[str] = None
    main: Optional[str] = None
    description: Optional[str] = None

    @property
    def label(self) -> str:
        return str(self.directory)

    def python(self) -> str:
        """The interpreter the Python language host would use: the pack's virtualenv if it has
        one, else the current interpreter (which has the pack's requirements installed)."""
        venv = self.runtime_options.get("virtualenv")
        if venv:
            base = Path(venv) if os.path.isabs(venv) else self.directory / venv
            candidate = base / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
            if candidate.exists():
                return str(candidate)
        return sys.executable

    def program(self) -> str:
        return self.main or "."


def load_policy_pack(directory: Path, option: str = "--policy-pack") -> PolicyPackProject:
    directory = directory.resolve()
    manifest = directory / "PulumiPolicy.yaml"
    if not directory.is_dir():
        raise InputError.single(option, "", f"{directory} is not a folder")
    if not manifest.exists():
        raise InputError.single(
            option, "", f"{directory} is not a policy pack: it has no PulumiPolicy.yaml"
        )
    try:
        data = yaml.safe_load(manifest.read_text()) or {}
    except yaml.YAMLError as exc:
        raise InputError.single(str(manifest), "", f"invalid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise InputError.single(str(manifest), "", "must be a mapping")
    runtime = data.get("runtime")
    options: dict[str, Any] = {}
    if isinstance(runtime, dict):
        options = dict(runtime.get("options") or {})
        runtime = runtime.get("name")
    if runtime != "python":
        raise InputError.single(
            str(manifest), "runtime",
            f"obsgov runs Python policy packs; this pack's runtime is {runtime!r}",
        )
    version = data.get("version")
    return PolicyPackProject(
        directory=directory,
        runtime=runtime,
        runtime_options=options,
        version=str(version) if version is not None else None,
        main=data.get("main"),
        description=data.get("description"),
    )


def discover_policy_packs(root: Path) -> list[Path]:
    """Every folder directly under ``root`` that holds a PulumiPolicy.yaml, sorted."""
    return sorted(p.parent for p in root.glob("*/PulumiPolicy.yaml"))
