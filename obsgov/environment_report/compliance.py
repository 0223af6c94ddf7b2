"""The compliance map: for every control the packs map to, the resources it applies to and
whether each passed, failed or could not be judged; controls in the catalog that no policy
checks are gaps, never passes.

A control fails when any resource fails any of its policies; it is *not judged* when no resource
failed but some could not be judged (values unknown in preview); it passes only when every
resource it applies to passed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from obsgov.io import read_yaml

Status = Literal["passed", "failed", "not-judged"]
RANK = {"failed": 0, "not-judged": 1, "passed": 2}
CATALOG = Path(__file__).with_name("controls.yaml")
FRAMEWORKS = {
    "AWS Foundational Security Best Practices": "FSBP",
    "CIS AWS Foundations Benchmark": "CIS",
    "AWS Resource Tagging Standard": "Tagging",
}
_CONTROL = re.compile(r"^(?P<framework>.+?) (?P<id>(?:[A-Za-z][A-Za-z0-9]*\.\d+|\d+(?:\.\d+)+))$")


@dataclass(frozen=True, order=True)
class ControlId:
    framework: str  # short name: FSBP, CIS, Tagging
    control: str

    def __str__(self) -> str:
        return f"{self.framework} {self.control}"


@dataclass(frozen=True)
class Outcome:
    """One policy's judgement of one resource."""

    policy: str
    urn: str
    account: str | None
    status: Status


@dataclass
class ControlRow:
    control: ControlId
    title: str
    policies: list[str] = field(default_factory=list)
    resources: dict[str, Status] = field(default_factory=dict)  # urn -> status
    accounts: dict[str, Status] = field(default_factory=dict)  # account -> status

    @property
    def gap(self) -> bool:
        return not self.policies

    @property
    def status(self) -> str:
        if self.gap:
            return "gap"
        if not self.resources:
            return "no resources"
        return min(self.resources.values(), key=RANK.__getitem__)

    def count(self, status: Status) -> int:
        return sum(1 for s in self.resources.values() if s == status)


def parse_control(text: str) -> ControlId | None:
    """``"AWS Foundational Security Best Practices S3.5"`` -> ``ControlId("FSBP", "S3.5")``."""
    match = _CONTROL.match(text.strip())
    if match is None or match.group("framework") not in FRAMEWORKS:
        return None
    return ControlId(FRAMEWORKS[match.group("framework")], match.group("id"))


def policy_controls(tags: Iterable[str], specification: str = "") -> list[ControlId]:
    """The controls a policy declares: in its tags, or in its framework's specification."""
    found = {c for c in (parse_control(t) for t in tags) if c is not None}
    found |= {c for c in (parse_control(p) for p in specification.split(";")) if c is not None}
    return sorted(found)


def load_catalog(path: Path = CATALOG) -> dict[ControlId, str]:
    data = read_yaml(path)
    catalog = {}
    for framework, controls in data["controls"].items():
        for control, title in controls.items():
            catalog[ControlId(framework, str(control))] = str(title)
    return catalog


def compliance_map(
    outcomes: Sequence[Outcome],
    controls_by_policy: Mapping[str, Sequence[ControlId]],
    catalog: Mapping[ControlId, str],
) -> list[ControlRow]:
    rows: dict[ControlId, ControlRow] = {c: ControlRow(c, t) for c, t in catalog.items()}
    for policy, controls in controls_by_policy.items():
        for control in controls:
            row = rows.setdefault(control, ControlRow(control, catalog.get(control, "")))
            if policy not in row.policies:
                row.policies.append(policy)
    for outcome in outcomes:
        for control in controls_by_policy.get(outcome.policy, ()):
            row = rows[control]
            _worst(row.resources, outcome.urn, outcome.status)
            if outcome.account:
                _worst(row.accounts, outcome.account, outcome.status)
    for row in rows.values():
        row.policies.sort()
    return [rows[c] for c in sorted(rows)]


def _worst(target: dict, key: str, status: Status) -> None:
    current = target.get(key)
    if current is None or RANK[status] < RANK[current]:
        target[key] = status


def account_shares(rows: Sequence[ControlRow]) -> dict[str, tuple[int, int]]:
    """Per account: (controls met, controls that apply to its resources)."""
    shares: dict[str, list[int]] = {}
    for row in rows:
        for account, status in row.accounts.items():
            met, total = shares.setdefault(account, [0, 0])
            shares[account] = [met + (status == "passed"), total + 1]
    return {a: (m, t) for a, (m, t) in sorted(shares.items())}
