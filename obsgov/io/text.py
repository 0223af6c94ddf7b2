"""Reading a file as strict UTF-8 text, within a size bound."""

from __future__ import annotations

import os
import stat

from .errors import os_error_message, problem
from .paths import PathLike, display_path

#: Config files are a few kilobytes; anything near this is a mistake (a binary, a log).
MAX_TEXT_BYTES = 16 * 1024 * 1024


def read_bytes(path: PathLike, max_bytes: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a regular file, at most ``max_bytes`` of them."""
    shown = display_path(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise problem(shown, os_error_message(exc)) from None
    except ValueError:  # e.g. a NUL byte in the path
        raise problem(shown, "is not a valid path") from None
    if stat.S_ISDIR(info.st_mode):
        raise problem(shown, "is a folder, expected a file")
    if not stat.S_ISREG(info.st_mode):
        # FIFOs and devices would block or never end.
        raise problem(shown, "is not a regular file")
    if info.st_size > max_bytes:
        raise problem(shown, f"is {info.st_size} bytes; the limit is {max_bytes}")
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise problem(shown, os_error_message(exc)) from None
    if len(data) > max_bytes:  # grew between stat and read
        raise problem(shown, f"is larger than the limit of {max_bytes} bytes")
    return data


def decode_utf8(data: bytes, shown: str) -> str:
    """Strict UTF-8 (a leading byte-order mark is allowed and dropped)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise problem(
            shown,
            f"is not valid UTF-8: byte 0x{data[exc.start]:02x} at byte offset "
            f"{exc.start} (line {line})",
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def read_text(path: PathLike, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The file's text: a regular file of at most ``max_bytes`` bytes, strict UTF-8."""
    return decode_utf8(read_bytes(path, max_bytes), display_path(path))
