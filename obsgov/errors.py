"""Errors that carry user-facing diagnostics instead of tracebacks.

Every problem with user input (config, registry, CLI arguments, state files) is raised as an
``InputError`` holding one or more ``Problem`` entries, each naming the file and the key path, so
the CLI can print all of them at once and exit 2.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PathPart = str | int


def format_key_path(parts: Sequence[PathPart]) -> str:
    """Render ``("accounts", 2, "id")`` as ``accounts[2].id``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    key_path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key_path}" if self.key_path else self.file
        return f"{where}: {self.message}"


class InputError(Exception):
    """Bad user input; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__(self.report())

    def report(self) -> str:
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} found:"
        return "\n".join([header, *(f"  {p}" for p in self.problems)])

    @classmethod
    def single(cls, file: str, key_path: str, message: str) -> InputError:
        return cls([Problem(file, key_path, message)])
