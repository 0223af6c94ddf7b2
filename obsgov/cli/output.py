"""Checks on output paths, made before any work starts (see :mod:`obsgov.io.output`).

One rule for every command: an output never replaces one of the command's inputs, nor a file
the project (obsgov's own, or the team project a command runs) reads on its next run: the
program, the policy packs and their folders, the stack config and everything beside it
(pack configs, registry snapshots), obsgov's code and shipped data (the price table). The
one exception is a file the command exists to regenerate, which it names in ``allowed``
(``registry snapshot`` writing the environment's snapshot).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from obsgov.io import ProtectedArea, check_folder_writable, check_writable

from .common import default_stacks_dir, project_root

#: What a Python Pulumi project reads besides its stack files: the CLI's project and stack
#: files, the program's sources and its dependency manifests.
PROJECT_READS = (
    "Pulumi.yaml",
    "Pulumi.yml",
    "Pulumi.*.yaml",
    "Pulumi.*.yml",
    "*.py",
    "*.pyi",
    "requirements*.txt",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "poetry.lock",
    "uv.lock",
    "Pipfile",
    "Pipfile.lock",
    ".python-version",
)


def obsgov_areas(stacks_dir: Path | None = None, packs: Iterable[Any] = ()) -> list[ProtectedArea]:
    """What obsgov's own project reads: its program and project files, ``components/``, the
    ``obsgov`` package with its shipped data, every pack under ``policies/`` and each pack
    folder a command is given, and the stack folders (shipped and in use)."""
    import obsgov
    from obsgov.gate.selection import POLICIES_ROOT

    root = project_root()
    areas = [
        ProtectedArea(root, "obsgov's Pulumi project files", PROJECT_READS, recursive=False),
        ProtectedArea(root / "components", "obsgov's components"),
        ProtectedArea(Path(obsgov.__file__).parent, "obsgov's code and shipped data"),
        ProtectedArea(POLICIES_ROOT, "the policy packs' folder"),
        ProtectedArea(root / "stacks", "the environments' config folder"),
        ProtectedArea(stacks_dir or default_stacks_dir(), "the environments' config folder"),
    ]
    areas += [ProtectedArea(Path(p.directory), "a policy pack folder") for p in packs]
    return areas


def team_areas(team: Any) -> list[ProtectedArea]:
    """What a team's project reads: its project and stack files and its program's sources,
    wherever they sit in its folder, and its stack config folder."""
    project = team.project
    areas = [
        ProtectedArea(project.directory, "the team project's files", PROJECT_READS),
        ProtectedArea(project.stack_config_dir, "the team project's files", PROJECT_READS),
    ]
    main = project.main if project.main.is_dir() else project.main.parent
    if main != project.directory:
        areas.append(ProtectedArea(main, "the team project's program folder"))
    return areas


def check_output(
    path: Path,
    option: str,
    inputs: Iterable[Path] = (),
    *,
    stacks_dir: Path | None = None,
    packs: Sequence[Any] = (),
    team: Any = None,
    allowed: Iterable[Path] = (),
) -> None:
    """Refuse an output path that cannot be written, is one of the command's inputs, or lies
    among the files obsgov's project (and ``team``'s, when given) reads."""
    areas = obsgov_areas(stacks_dir, packs) + (team_areas(team) if team is not None else [])
    check_writable(path, option, inputs, areas, allowed)


def check_output_folder(
    folder: Path, option: str, *, stacks_dir: Path | None = None, packs: Sequence[Any] = ()
) -> None:
    """Refuse an output folder that is a file, lies among obsgov's project files, or cannot
    be created."""
    check_folder_writable(folder, option, obsgov_areas(stacks_dir, packs))
