"""Self-contained pack folders for ``pulumi policy publish``.

A published pack is its folder alone: the Pulumi service stores it and every ``pulumi
preview`` that enforces it installs it into a virtualenv from its own ``requirements.txt``.
So a bundle holds the pack's ``__main__.py``, the ``obsgov_policies`` library vendored beside it
(``python -m pulumi.policy`` runs with the pack folder first on ``sys.path``), a
``requirements.txt`` pinned to the versions this environment runs, and a ``PulumiPolicy.yaml``
that declares the ``venv`` virtualenv those requirements go into, and the official Python
pack template's ``.gitignore`` (pulumi/templates-policy ``aws-python``: ``*.pyc``, ``venv/``),
so the virtualenv the service or a developer creates there is never archived.

``pulumi policy publish`` archives the pack folder honouring every ``.gitignore`` in it and in
each folder above it up to the file system's root (``addDirectoryToTar`` in
sdk/go/common/util/archive/archive.go). A bundle written under an ignored folder (a repository
ignoring ``dist/``) would be published as an empty archive, so :func:`write_bundle` refuses such
an output folder and names the ``.gitignore`` line that would drop the files.
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
# the official template's .gitignore (pulumi/templates-policy aws-python)
GITIGNORE = "*.pyc\nvenv/\n"
# files a published pack cannot do without
ESSENTIAL = ("PulumiPolicy.yaml", "__main__.py", "requirements.txt", f"{LIBRARY}/__init__.py")


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


def ignoring_line(file: Path) -> tuple[Path, str] | None:
    """The ``.gitignore`` and pattern that keep ``file`` out of ``pulumi policy publish``'s
    archive, if any: the archive consults every ``.gitignore`` from the file's folder up to the
    root, each matched against the path below its own folder."""
    import pathspec

    file = file.absolute()
    for folder in file.parents:
        gitignore = folder / ".gitignore"
        if not gitignore.is_file():
            continue
        try:
            lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        relative = file.relative_to(folder).as_posix()
        for line in lines:
            if line.strip() and not line.lstrip().startswith(("#", "!")):
                spec = pathspec.PathSpec.from_lines("gitwildmatch", [line])
                if spec.match_file(relative):
                    return gitignore, line.strip()
    return None


def check_publishable(target: Path) -> None:
    """Refuse an output folder whose bundle ``pulumi policy publish`` would archive without
    its essential files."""
    for name in ESSENTIAL:
        found = ignoring_line(target / name)
        if found is not None:
            gitignore, line = found
            raise InputError.single(
                "--out",
                "",
                f"{target.parent} is ignored by {gitignore} ({line!r}): `pulumi policy "
                f"publish` archives a pack honouring every .gitignore above it, so "
                f"{target.name}/{name} would not be published; write the bundles to a folder "
                "no .gitignore covers (or outside the repository)",
            )


def write_bundle(project: PolicyPackProject, out: Path, library: Path | None = None) -> Bundle:
    """Write ``out/<pack folder name>``; an existing bundle folder is replaced."""
    target = out / project.directory.name
    check_publishable(target)
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
        write_atomic(staging / ".gitignore", GITIGNORE)
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
