"""Checks on an output path, made before any work starts.

A command that runs the gate for minutes must not find out at the end that it cannot write
its report, nor overwrite one of the files it read, nor replace a file the project reads on
its next run (its program, policy packs, stack config, snapshots, shipped data): those are
:class:`ProtectedArea` s, refused unless the command names the file as the one it
regenerates (``allowed``).
"""

from __future__ import annotations

import fnmatch
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from obsgov.errors import InputError

from .paths import PathLike, display_path
from .writer import resolve_target


@dataclass(frozen=True)
class ProtectedArea:
    """Files a project reads: every file under ``root`` (a folder, or one file), or only
    those whose name matches one of ``patterns`` (in ``root`` itself unless ``recursive``).
    ``what`` says what they are, for the message."""

    root: Path
    what: str
    patterns: tuple[str, ...] = ()
    recursive: bool = True

    def holds(self, target: Path) -> bool:
        root = _real(self.root)
        if target == root:
            return True
        if root not in target.parents or (not self.recursive and target.parent != root):
            return False
        return not self.patterns or any(fnmatch.fnmatchcase(target.name, p) for p in self.patterns)

    def holds_folder(self, folder: Path) -> bool:
        """Whether ``folder`` lies in this area (only a whole-folder area holds folders)."""
        root = _real(self.root)
        return not self.patterns and (folder == root or root in folder.parents)


def _real(path: PathLike) -> Path:
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError, RuntimeError):
        return Path(os.path.abspath(path))


def protected_problem(
    target: Path, areas: Iterable[ProtectedArea], allowed: Iterable[PathLike] = ()
) -> ProtectedArea | None:
    """The area ``target`` (a resolved path) lies in, unless it is one of ``allowed``."""
    if any(_real(a) == target for a in allowed):
        return None
    for area in areas:
        if area.holds(target):
            return area
    return None


def _refuse_protected(shown: str, option: str, area: ProtectedArea) -> InputError:
    return InputError.single(
        option,
        "",
        f"{shown} is in {area.what} ({display_path(area.root).rstrip('/')}/), which the "
        "project reads; obsgov writes no output there: give a path outside it",
    )


def check_folder_writable(
    folder: PathLike, option: str, areas: Iterable[ProtectedArea] = ()
) -> Path:
    """Refuse an output folder that is a file, lies in a protected area, or cannot be
    created or written. Nothing is left behind; returns the folder's real path."""
    shown = display_path(folder)
    if os.path.lexists(folder) and not os.path.isdir(folder):
        raise InputError.single(option, "", f"{shown} is not a folder")
    target = _real(folder)
    for area in areas:
        if area.holds_folder(target):
            raise _refuse_protected(shown, option, area)
    existing = target
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise InputError.single(option, "", f"{shown}: {display_path(existing)} is not a folder")
    try:
        # The real test, as for a file: create (and remove) a folder where the output will
        # be made. Permission bits alone do not say it (root, read-only mounts, /proc).
        os.rmdir(tempfile.mkdtemp(dir=existing, prefix=".obsgov-probe."))
    except OSError as exc:
        raise InputError.single(
            option, "", f"{shown} cannot be written in {display_path(existing)} ({exc.strerror})"
        ) from None
    return target


def check_writable(
    path: PathLike,
    option: str,
    inputs: Iterable[PathLike] = (),
    areas: Iterable[ProtectedArea] = (),
    allowed: Iterable[PathLike] = (),
) -> Path:
    """Refuse an output path that is a folder, cannot be written, is one of ``inputs``, or
    lies in one of the protected ``areas`` (unless it is one of ``allowed``: the file the
    command exists to regenerate).

    Returns the file the write will land in (a symlink's target). Problems name ``option``,
    the argument the user gave the path with.
    """
    shown = display_path(path)
    try:
        target = resolve_target(path)
    except InputError as exc:
        raise InputError.single(option, "", f"{shown} {exc.problems[0].message}") from None
    parent = target.parent
    if not parent.exists():
        raise InputError.single(
            option, "", f"{shown}: folder {display_path(parent)} does not exist"
        )
    if not parent.is_dir():
        raise InputError.single(option, "", f"{shown}: {display_path(parent)} is not a folder")
    for source in inputs:
        if _same_file(source, target):
            raise InputError.single(
                option,
                "",
                f"{shown} is one of this command's inputs "
                f"({display_path(source)}); it would be overwritten",
            )
    area = protected_problem(target, areas, allowed)
    if area is not None:
        raise _refuse_protected(shown, option, area)
    if target.exists() and not target.is_file():
        raise InputError.single(option, "", f"{shown} is not a regular file")
    if target.exists() and not os.access(target, os.W_OK):
        raise InputError.single(option, "", f"{shown} cannot be written (permission denied)")
    try:
        # The real test: the atomic write creates a temporary file beside the target.
        with tempfile.NamedTemporaryFile(dir=parent, prefix=f".{target.name}.", suffix=".probe"):
            pass
    except OSError as exc:
        raise InputError.single(
            option, "", f"{shown} cannot be written in {display_path(parent)} ({exc.strerror})"
        ) from None
    return target


def _same_file(source: PathLike, target: Path) -> bool:
    try:
        if os.path.exists(source) and target.exists():
            return os.path.samefile(source, target)
        return Path(os.path.realpath(source)) == target
    except (OSError, ValueError):
        return False
