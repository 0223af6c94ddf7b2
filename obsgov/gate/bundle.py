"""Self-contained pack folders for ``pulumi policy publish``.

A published pack is its folder alone: the Pulumi service stores it and every ``pulumi
preview`` that enforces it installs it into a virtualenv from its own ``requirements.txt``.
So a bundle holds the pack's ``__main__.py``, the ``obsgov_policies`` library vendored beside it
(``python -m pulumi.policy`` runs with the pack folder first on ``sys.path``), a
``requirements.txt`` pinned to the versions this environment runs, and a ``PulumiPolicy.yaml``
that declares the ``venv`` virtualenv those requirements go into.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import yaml

from obsgov.errors import InputError
from obsgov.io import write_atomic

from .project import PolicyPackProject

LIBRARY = "obsgov_policies"
# Distributions the policy library imports (pulumi_policy, pulumi_aws, boto3) and the SDK
# pulumi_policy runs on.
REQUIREMENTS = ("pulumi", "pulumi-policy", "pulumi-aws", "boto3")
VIRTUALENV = "venv"


@dataclass(frozen=True)
class Bundle:
    pack: PolicyPackProject
    directory: Path


def pinned_requirements(names: Sequence[str] = REQUIREMENTS) -> list[str]:
    lines = []
    for name in names:
        try:
            lines.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            raise InputError.single(
                "policy bundle",
                "",
                f"{name} is not installed in this "
                "environment; install the project (pip install -e .)",
            ) from None
    return lines


def library_directory() -> Path:
    import obsgov_policies

    return Path(obsgov_policies.__file__).resolve().parent


def write_bundle(project: PolicyPackProject, out: Path, library: Path | None = None) -> Bundle:
    """Write ``out/<pack folder name>``; an existing bundle folder is replaced."""
    target = out / project.directory.name
    staging = out / f".{project.directory.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        main = project.directory / (project.main or "") / "__main__.py"
        if not main.is_file():
            raise InputError.single(
                str(project.directory), "main", f"{main} does not exist: nothing to bundle"
            )
        shutil.copy2(main, staging / "__main__.py")
        shutil.copytree(
            library or library_directory(),
            staging / LIBRARY,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        manifest: dict = {"runtime": {"name": "python", "options": {"virtualenv": VIRTUALENV}}}
        if project.version:
            manifest["version"] = project.version
        if project.description:
            manifest["description"] = project.description
        write_atomic(staging / "PulumiPolicy.yaml", yaml.safe_dump(manifest, sort_keys=False))
        write_atomic(
            staging / "requirements.txt",
            "\n".join(
                [
                    "# Pinned to the versions `obsgov policy bundle` ran with; the obsgov_policies",
                    "# library is vendored beside __main__.py.",
                    *pinned_requirements(),
                    "",
                ]
            ),
        )
        _replace_folder(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Bundle(pack=project, directory=target)


def _replace_folder(staging: Path, target: Path) -> None:
    """Put the finished ``staging`` folder in ``target``'s place. The old bundle is moved
    aside first and removed last: at every instant ``target`` is a whole bundle or absent
    (with the previous one beside it), never a half-written one."""
    if not target.exists():
        staging.rename(target)
        return
    previous = target.with_name(f".{target.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    target.rename(previous)
    try:
        staging.rename(target)
    except BaseException:
        previous.rename(target)
        raise
    shutil.rmtree(previous, ignore_errors=True)
