"""Writing output files: whole or not at all, through symlinks, safe between concurrent runs."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import problem
from .paths import PathLike, display_path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def resolve_target(path: PathLike) -> Path:
    """The file a write to ``path`` lands in: a symlink's final target, not the link."""
    shown = display_path(path)
    loop = "is a symlink loop (a symlink that points back to itself)"
    try:
        target = Path(os.path.realpath(path, strict=False))
    except (OSError, RuntimeError):
        raise problem(shown, loop) from None
    except ValueError:  # a NUL byte in the path
        raise problem(shown, "is not a valid path") from None
    if os.path.islink(path) and not os.path.exists(path):
        # realpath stops at a loop without saying so; a dangling link is fine, a loop is not.
        try:
            os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise problem(shown, loop) from None
    if target.is_dir():
        raise problem(shown, "is a folder; give a file path")
    return target


def write_atomic(path: PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path``: an interrupted or failed run leaves the previous file
    as it was, never half a file, and never its temporary file.

    A symlink is written through (its target changes, the link stays); the temporary file is
    unique in the target's folder, so concurrent runs do not collide and the final rename is
    atomic; the data is flushed to disk before the rename.
    """
    shown = display_path(path)
    target = resolve_target(path)
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    except OSError as exc:
        raise problem(shown, f"cannot be written ({exc.strerror})") from None
    data = text.encode("utf-8")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise problem(shown, f"cannot be written ({exc.strerror})") from None
    try:
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        raise problem(shown, f"cannot be written ({exc.strerror})") from None
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk; not every system allows it.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
