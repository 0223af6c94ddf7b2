"""The record of an onboarding run: each AWS call or registry change, and what came of it.

A dry run records the same steps with ``planned`` instead of ``done``, so ``--dry-run`` prints
exactly what a real run would do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["done", "planned", "ok", "waiting", "skipped"]


@dataclass(frozen=True)
class Step:
    what: str
    call: str  # "organizations:MoveAccount", "registry"
    status: Status
    detail: str = ""
    write: bool = True  # False: a read or an AssumeRole a dry run lists but cannot make yet

    @property
    def is_write(self) -> bool:
        return self.write and self.status in ("done", "planned")


@dataclass
class Plan:
    dry_run: bool = False
    steps: list[Step] = field(default_factory=list)

    def change(self, what: str, call: str, detail: str = "", write: bool = True) -> None:
        """A write: done now, or planned in a dry run."""
        self.steps.append(Step(what, call, "planned" if self.dry_run else "done", detail, write))

    def ok(self, what: str, call: str, detail: str = "") -> None:
        """A check whose answer needed no change."""
        self.steps.append(Step(what, call, "ok", detail))

    def note(self, what: str, call: str, status: Status, detail: str = "") -> None:
        self.steps.append(Step(what, call, status, detail))

    @property
    def changes(self) -> list[Step]:
        return [s for s in self.steps if s.is_write]
