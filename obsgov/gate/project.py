"""A policy pack folder as the Pulumi CLI reads it (``PulumiPolicy.yaml``)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from obsgov.errors import InputError
from obsgov.io import read_yaml


@dataclass(frozen=True)
class PolicyPackProject:
    directory: Path
    runtime: str
    runtime_options: dict[str, Any] = field(default_factory=dict)
    version: str | None = None
    main: str | None = None
    description: str | None = None

    @property
    def label(self) -> str:
        return str(self.directory)

    @property
    def virtualenv(self) -> Path | None:
        """The virtualenv ``runtime.options.virtualenv`` declares, relative to the pack."""
        venv = self.runtime_options.get("virtualenv")
        if not venv:
            return None
        return Path(venv) if os.path.isabs(venv) else self.directory / venv

    def python(self) -> str:
        """The interpreter the Python language host would use (``pip.Command`` in
        sdk/python/toolchain/pip.go): the declared virtualenv's ``bin/python``, else the
        project's own interpreter, which has the shipped packs' requirements installed."""
        venv = self.virtualenv
        if venv is None:
            return sys.executable
        candidate = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        if not candidate.exists():
            raise InputError.single(
                str(self.directory / "PulumiPolicy.yaml"),
                "runtime.options.virtualenv",
                virtualenv_error(self),
            )
        return str(candidate)

    def program(self) -> str:
        return self.main or "."


def virtualenv_error(project: PolicyPackProject) -> str:
    """The CLI's words for a declared virtualenv that is missing (``NewVirtualEnvError`` in
    sdk/python/toolchain/pip.go)."""
    option = project.runtime_options.get("virtualenv")
    full = project.virtualenv
    assert full is not None
    state = "doesn't exist" if not full.exists() else "doesn't appear to be a virtual environment"
    python = full / "bin" / "python"
    return (
        f'The \'virtualenv\' option in Pulumi.yaml is set to "{option}", but "{full}" {state}; '
        "run the following commands to create the virtual environment and install "
        "dependencies into it:\n\n"
        f"    1. python3 -m venv {full}\n"
        f"    2. {python} -m pip install --upgrade pip setuptools wheel\n"
        f"    3. {python} -m pip install -r requirements.txt\n\n\n"
        "For more information see: "
        "https://www.pulumi.com/docs/intro/languages/python/#virtual-environments"
    )


def load_policy_pack(directory: Path, option: str = "--policy-pack") -> PolicyPackProject:
    directory = directory.resolve()
    manifest = directory / "PulumiPolicy.yaml"
    if not directory.is_dir():
        raise InputError.single(option, "", f"{directory} is not a folder")
    if not manifest.exists():
        raise InputError.single(
            option, "", f"{directory} is not a policy pack: it has no PulumiPolicy.yaml"
        )
    if not manifest.is_file():
        raise InputError.single(str(manifest), "", "is not a file")
    data = read_manifest(manifest)
    if not isinstance(data, dict):
        raise InputError.single(str(manifest), "", "must be a mapping")
    runtime = data.get("runtime")
    options: dict[str, Any] = {}
    if isinstance(runtime, dict):
        raw_options = runtime.get("options")
        if raw_options is not None and not isinstance(raw_options, dict):
            raise InputError.single(
                str(manifest), "runtime.options", "must be a mapping of option name to value"
            )
        options = dict(raw_options or {})
        runtime = runtime.get("name")
    venv = options.get("virtualenv")
    if venv is not None and not isinstance(venv, str):
        # the language host's parseOptions: "virtualenv option must be a string"
        raise InputError.single(
            str(manifest), "runtime.options.virtualenv", "virtualenv option must be a string"
        )
    for key in ("version", "main", "description"):
        value = data.get(key)
        if value is not None and not isinstance(value, (str, int, float)):
            raise InputError.single(str(manifest), key, "must be a string")
    if runtime != "python":
        raise InputError.single(
            str(manifest),
            "runtime",
            f"obsgov runs Python policy packs; this pack's runtime is {runtime!r}",
        )
    version = data.get("version")
    main = data.get("main")
    project = PolicyPackProject(
        directory=directory,
        runtime=runtime,
        runtime_options=options,
        version=str(version) if version is not None else None,
        main=str(main) if main is not None else None,
        description=data.get("description"),
    )
    project.python()  # a declared virtualenv must exist before any pack is started
    return project


def read_manifest(manifest: Path) -> Any:
    """PulumiPolicy.yaml's (or Pulumi.yaml's) document, read by the shared input layer:
    errors are one line naming the file and line."""
    return read_yaml(manifest)


def discover_policy_packs(root: Path) -> list[Path]:
    """Every folder directly under ``root`` that holds a PulumiPolicy.yaml, sorted."""
    return sorted(p.parent for p in root.glob("*/PulumiPolicy.yaml"))


def builtin_stack_tags(project_file: Path) -> dict[str, str]:
    """The stack tags the CLI derives from ``Pulumi.yaml`` and sends in ``ConfigureStack``
    (``GetEnvironmentTagsForCurrentStack`` in pkg/backend/stack.go): ``pulumi:project``,
    ``pulumi:runtime`` and, when set, ``pulumi:description``."""
    data = read_manifest(project_file)
    if not isinstance(data, dict):
        raise InputError.single(str(project_file), "", "must be a mapping")
    tags: dict[str, str] = {}
    name = data.get("name")
    if isinstance(name, str):
        tags["pulumi:project"] = name
    runtime = data.get("runtime")
    runtime = runtime.get("name") if isinstance(runtime, dict) else runtime
    if isinstance(runtime, str):
        tags["pulumi:runtime"] = runtime
    description = data.get("description")
    if isinstance(description, str):
        tags["pulumi:description"] = description
    return tags
