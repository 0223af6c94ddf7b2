"""What a policy run produces: per-pack results, violations and remediations.

Reports, the CLI and the tests depend on these types only, never on how the gate got them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from obsgov.graph import ResourceGraph

from .project import PolicyPackProject

SEVERITIES = {0: "", 1: "low", 2: "medium", 3: "high", 4: "critical"}


@dataclass(frozen=True)
class PolicyMeta:
    name: str
    description: str
    enforcement_level: str  # after reconciliation
    severity: str
    policy_type: str  # "resource" | "stack"
    framework: dict[str, str] | None = None
    remediation_steps: str = ""
    url: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Violation:
    pack: str
    pack_version: str
    policy: str
    description: str
    message: str  # as the pack sent it: description, newline, detail
    level: str
    severity: str
    urn: str
    resource_type: str
    resource_name: str
    phase: str  # analyze | stack | remediate (a remediation that could not run)

    @property
    def detail(self) -> str:
        head, _, rest = self.message.partition("\n")
        return rest if head == self.description else self.message


@dataclass(frozen=True)
class Remediation:
    """A remediation the gate applied: ``changes`` are the top-level properties it changed;
    ``Analyze`` and ``AnalyzeStack`` saw the remediated inputs, as under the CLI."""

    pack: str
    policy: str
    urn: str
    changes: dict[str, Any]
    diagnostic: str


@dataclass
class PackResult:
    project: PolicyPackProject
    name: str = ""
    version: str = ""
    policies: list[PolicyMeta] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    remediations: list[Remediation] = field(default_factory=list)
    not_applicable: int = 0
    config: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    analyze_calls: int = 0
    # Things a user should know that do not change the verdict (unknown policy names).
    warnings: list[str] = field(default_factory=list)

    @property
    def remediation_summary(self) -> list[tuple[str, int]]:
        """(policy, resources remediated) sorted by policy: the CLI's summary lines
        ``- [remediate]  <policy>  (N resources)`` (pkg/backend/display/progress.go)."""
        counts: dict[str, int] = {}
        for remediation in self.remediations:
            counts[remediation.policy] = counts.get(remediation.policy, 0) + 1
        return sorted(counts.items())

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "advisory"]

    @property
    def status(self) -> str:
        if self.error or self.mandatory:
            return "failed"
        return "warnings" if self.violations else "passed"


class PolicyConfigError(Exception):
    """The reconciled config does not satisfy a pack's schemas (the CLI's wording)."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


@dataclass
class GateRun:
    graph: ResourceGraph
    packs: list[PackResult]
    seconds: float

    @property
    def failed(self) -> bool:
        return any(p.status == "failed" for p in self.packs)

    @property
    def violations(self) -> list[Violation]:
        return [v for p in self.packs for v in p.violations]
