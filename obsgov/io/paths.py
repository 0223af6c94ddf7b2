"""How paths appear in messages."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Union

PathLike = Union[str, "os.PathLike[str]"]


def display_path(path: PathLike) -> str:
    """``path`` relative to the working directory when it lies below it, else as given.

    Symlinks are not followed: a message names the path the user wrote, and a symlink loop
    must not make the message itself fail.
    """
    text = os.fspath(path)
    try:
        absolute = Path(os.path.abspath(text))
        return str(absolute.relative_to(Path(os.path.abspath(os.getcwd()))))
    except (ValueError, OSError):
        return text
