"""Checks on output paths, made before any work starts (see :mod:`obsgov.io.output`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from obsgov.io.output import check_writable


def check_output(path: Path, option: str, inputs: Iterable[Path] = ()) -> None:
    """Refuse an output path that cannot be written or that is one of the command's inputs."""
    check_writable(path, option, inputs)
