"""Checks on an output path, made before any work starts.

A command that runs the gate for minutes must not find out at the end that it cannot write
its report, nor overwrite one of the files it read.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from obsgov.errors import InputError

from .paths import PathLike, display_path
from .writer import resolve_target


def check_writable(path: PathLike, option: str, inputs: Iterable[PathLike] = ()) -> Path:
    """Refuse an output path that is a folder, cannot be written, or is one of ``inputs``.

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
