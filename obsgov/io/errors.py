"""The failures of the input layer, worded once."""

from __future__ import annotations

import errno
from collections.abc import Sequence

from obsgov.errors import InputError, PathPart, format_key_path


def problem(file: str, message: str, key_path: Sequence[PathPart] = ()) -> InputError:
    return InputError.single(file, format_key_path(key_path), message)


def os_error_message(exc: OSError) -> str:
    """One line for an ``OSError`` met while opening or reading a file."""
    code = exc.errno
    if code == errno.ENOENT:
        return "file not found"
    if code == errno.EISDIR:
        return "is a folder, expected a file"
    if code == errno.ELOOP:
        return "is a symlink loop (a symlink that points back to itself)"
    if code in (errno.EACCES, errno.EPERM):
        return "cannot be read (permission denied)"
    if code == errno.ENOTDIR:
        return "file not found (a part of the path is not a folder)"
    if code == errno.ENAMETOOLONG:
        return "path is too long"
    return f"cannot be read ({exc.strerror or type(exc).__name__})"
