"""The compliance map: for every control the packs map to, the resources it applies to and
whether each passed, failed or could not be judged; controls in the catalog that no policy
checks are gaps, never passes.

A control applies to the resources of its own types (``controls.yaml``: CloudTrail.9 to
trails, S3.5 to buckets), each counted once, whatever number of policies judged it: a policy
mapped to several controls counts under each only the resources of that control's types. A
policy's outcome on a part of a resource (a bucket policy, a topic policy) counts for the
resource it configures. A resource of the control's types that no policy judged is *not
judged*; an account with no resource of those types is *not applicable* (absent from the row).

A control fails when any resource fails any of its policies; it is *not judged* when no resource
failed but some could not be judged (values unknown in preview, or no policy judged them); it
passes only when every resource it applies to passed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from obsgov.graph import GraphResource, ResourceGraph
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


@dataclass(frozen=True)
class ControlSpec:
    title: str
    types: tuple[str, ...] = ()  # the pulumi-aws types of the resources the control evaluates


@dataclass
class ControlRow:
    control: ControlId
    title: str
    types: tuple[str, ...] = ()
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


def load_catalog(path: Path = CATALOG) -> dict[ControlId, ControlSpec]:
    data = read_yaml(path)
    catalog = {}
    for framework, controls in data["controls"].items():
        for control, entry in controls.items():
            catalog[ControlId(framework, str(control))] = ControlSpec(
                str(entry["title"]), tuple(str(t) for t in entry.get("types") or ())
            )
    return catalog


# Inputs by which a resource that configures another names it (pulumi-aws: BucketPolicy.bucket,
# TopicPolicy.arn, QueuePolicy.queueUrl, ...), through a dependency or by a known name.
PART_INPUTS = ("bucket", "arn", "topic", "queueUrl", "keyId", "role")
_NAMES = ("bucket", "name", "arn", "id")


def subject_of(graph: ResourceGraph, urn: str, types: tuple[str, ...]) -> str | None:
    """The resource of one of ``types`` that an outcome on ``urn`` is about: the resource
    itself, or the one it configures; None when neither is of those types."""
    resource = graph.get(urn)
    if resource is None:
        return None
    if resource.type in types:
        return urn
    for key in PART_INPUTS:
        for dependency in resource.property_dependencies.get(key, []):
            target = graph.get(dependency)
            if target is not None and target.type in types:
                return target.urn
        value = resource.inputs.get(key)
        if isinstance(value, str) and value:
            for candidate in graph.of_type(*types):
                if value in _known_names(candidate):
                    return candidate.urn
    return None


def _known_names(resource: GraphResource) -> set[str]:
    found = {resource.id or ""}
    for source in (resource.inputs, resource.outputs):
        found |= {v for k in _NAMES if isinstance(v := source.get(k), str)}
    return found - {""}


def applicable(graph: ResourceGraph, types: tuple[str, ...]) -> list[GraphResource]:
    return [r for r in graph.resources if r.custom and not r.is_provider and r.type in types]


def compliance_map(
    outcomes: Sequence[Outcome],
    controls_by_policy: Mapping[str, Sequence[ControlId]],
    catalog: Mapping[ControlId, ControlSpec],
    graph: ResourceGraph,
) -> list[ControlRow]:
    rows: dict[ControlId, ControlRow] = {
        c: ControlRow(c, spec.title, spec.types) for c, spec in catalog.items()
    }
    for policy, controls in controls_by_policy.items():
        for control in controls:
            row = rows.setdefault(control, ControlRow(control, ""))
            if policy not in row.policies:
                row.policies.append(policy)
    judged: dict[tuple[ControlId, str], Status] = {}
    for outcome in outcomes:
        for control in controls_by_policy.get(outcome.policy, ()):
            row = rows[control]
            # A control the catalog does not know has no types: its policies' outcomes stand
            # for the resources they name (packs outside obsgov's library).
            subject = subject_of(graph, outcome.urn, row.types) if row.types else outcome.urn
            if subject is not None:
                _worst(judged, (control, subject), outcome.status)
    for control, row in rows.items():
        if row.types:
            for resource in applicable(graph, row.types):
                status = judged.get((control, resource.urn), "not-judged")
                row.resources[resource.urn] = status
                if resource.account:
                    _worst(row.accounts, resource.account, status)
        else:
            for (judged_control, urn), status in judged.items():
                if judged_control == control:
                    row.resources[urn] = status
                    named = graph.get(urn)
                    if named is not None and named.account:
                        _worst(row.accounts, named.account, status)
        row.policies.sort()
    return [rows[c] for c in sorted(rows)]


def _worst(target: dict, key: Any, status: Status) -> None:
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
