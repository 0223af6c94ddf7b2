"""Per-resource outcomes of a gate run: which policy passed, failed or could not judge which
resource.

The Analyzer protocol reports violations only, so a pass is inferred: a resource passed a
policy when the policy applies to its type (the library's registry says which types) and the
pack reported nothing for it. A violation that is the SDK's "can't run policy ... during
preview" advisory (pulumi_policy/policy.py, ``UnknownValueError``) means the resource was not
judged; any other violation, whatever its enforcement level, means the resource failed. A pack
that failed to run judged nothing, so every resource its policies apply to is not judged.
Policies from packs outside obsgov's library have no registry entry: only the resources they
reported are known to them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from obsgov.gate.results import GateRun, PackResult, PolicyMeta

from .compliance import ControlId, Outcome, Status, policy_controls

# Where the resource policy applies: resource type -> bool; None when the policy is unknown.
Applicability = Callable[[str], Callable[[str], bool] | None]

CANNOT_RUN_IN_PREVIEW = "can't run policy "


def library_applicability(policy: str) -> Callable[[str], bool] | None:
    """The obsgov library's answer: the registered policy's own type test."""
    from obsgov_policies.catalog import REGISTRY, load_all

    load_all()
    spec = REGISTRY.get(policy)
    return spec.applies if spec is not None and spec.kind == "resource" else None


def gate_outcomes(
    run: GateRun, applicability: Applicability = library_applicability
) -> list[Outcome]:
    outcomes: dict[tuple[str, str], Outcome] = {}

    def record(policy: str, urn: str, status: Status) -> None:
        resource = run.graph.get(urn)
        account = resource.account if resource is not None else None
        previous = outcomes.get((policy, urn))
        if previous is None or _rank(status) < _rank(previous.status):
            outcomes[(policy, urn)] = Outcome(policy, urn, account, status)

    for pack in run.packs:
        for meta in pack.policies:
            if meta.enforcement_level == "disabled":
                continue
            for urn, status in _policy_outcomes(run, pack, meta, applicability):
                record(meta.name, urn, status)
    return sorted(outcomes.values(), key=lambda o: (o.policy, o.urn))


def _policy_outcomes(
    run: GateRun, pack: PackResult, meta: PolicyMeta, applicability: Applicability
) -> list[tuple[str, Status]]:
    applies = applicability(meta.name) if meta.policy_type == "resource" else None
    applicable = (
        [r.urn for r in run.graph.resources if r.custom and not r.is_provider and applies(r.type)]
        if applies is not None
        else []
    )
    if pack.error:
        return [(urn, "not-judged") for urn in applicable]
    found: list[tuple[str, Status]] = [
        (v.urn, "not-judged" if v.message.startswith(CANNOT_RUN_IN_PREVIEW) else "failed")
        for v in pack.violations
        if v.policy == meta.name
    ]
    reported = {urn for urn, _ in found}
    return found + [(urn, "passed") for urn in applicable if urn not in reported]


def _rank(status: Status) -> int:
    return {"failed": 0, "not-judged": 1, "passed": 2}[status]


def gate_controls(run: GateRun) -> dict[str, list[ControlId]]:
    """The controls each policy declares, read from what the packs themselves sent
    (``GetAnalyzerInfo``), so a pack outside the library is mapped too."""
    controls: dict[str, list[ControlId]] = {}
    for pack in run.packs:
        for meta in pack.policies:
            framework: Mapping[str, str] = meta.framework or {}
            found = policy_controls(meta.tags, framework.get("specification", ""))
            if found:
                controls.setdefault(meta.name, [])
                controls[meta.name] += [c for c in found if c not in controls[meta.name]]
    return controls
