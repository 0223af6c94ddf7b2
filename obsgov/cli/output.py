"""Checks on output paths, made before any work starts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from obsgov.errors import InputError


def check_output(path: Path, option: str, inputs: Iterable[Path] = ()) -> None:
    """Refuse an output path that cannot be written or that is one of the command's inputs."""
    target = path.resolve()
    if target.is_dir():
        raise InputError.single(option, "", f"{path} is a folder; give a file path")
    parent = target.parent
    if not parent.exists():
        raise InputError.single(option, "", f"folder {path.parent} does not exist")
    if not parent.is_dir():
        raise InputError.single(option, "", f"{path.parent} is not a folder")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise InputError.single(option, "", f"{path} cannot be written (permission denied)")
    for source in inputs:
        try:
            same = source.exists() and target.exists() and os.path.samefile(source, target)
        except OSError:
            same = False
        if same or source.resolve() == target:
            raise InputError.single(
                option, "", f"{path} is one of this command's inputs; it would be overwritten")
