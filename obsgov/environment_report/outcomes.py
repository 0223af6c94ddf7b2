"""Per-resource outcomes of a gate run: which policy passed, failed or could not judge which
resource.

The Analyzer protocol reports violations only, so a pass is inferred: a resource passed a
policy when the policy judged it (the library's registry says which: a resource policy's types;
a stack policy's judged types, or the resources its ``judges`` function picks, such as the
archive buckets the versioning policy demands versioning of) and the pack reported nothing for
it. A violation that is the SDK's "can't run policy ... during
preview" advisory (pulumi_policy/policy.py, ``UnknownValueError``) means the resource was not
judged; any other violation, whatever its enforcement level, means the resource failed. A pack
that failed to run judged nothing, so every resource its policies apply to is not judged.
Policies from packs outside obsgov's library have no registry entry: only the resources they
reported are known to them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from obsgov.gate.results import GateRun, PackResult, PolicyMeta
from obsgov.graph import GraphResource, ResourceGraph, plain

from .compliance import ControlId, Outcome, Status, policy_controls

# The resources a policy judged in a graph, given the policy's config: their URNs.
Judged = Callable[[ResourceGraph, Mapping[str, Any]], list[str]]
# A policy's answer, or None when it is not the library's (only its reports are known).
Applicability = Callable[[str], Judged | None]

CANNOT_RUN_IN_PREVIEW = "can't run policy "


@dataclass
class PolicyView:
    """A graph resource as a stack policy sees it (``args.resources``): type, inputs, URN,
    name, provider and property dependencies."""

    resource_type: str
    props: Any
    urn: str
    name: str
    provider: PolicyView | None = None
    property_dependencies: dict[str, list[PolicyView]] = field(default_factory=dict)


def policy_views(graph: ResourceGraph) -> list[PolicyView]:
    def view(resource: GraphResource) -> PolicyView:
        return PolicyView(resource.type, plain(resource.inputs), resource.urn, resource.name)

    views = {r.urn: view(r) for r in graph.resources}
    for resource in graph.resources:
        own = views[resource.urn]
        if resource.provider_urn in views:
            own.provider = views[resource.provider_urn]
        own.property_dependencies = {
            key: [views[u] for u in urns if u in views]
            for key, urns in resource.property_dependencies.items()
        }
    return [views[r.urn] for r in graph.resources if r.custom and not r.is_provider]


def library_applicability(policy: str) -> Judged | None:
    """The obsgov library's answer: a resource policy judges the resources of its types; a
    stack policy the resources its ``judges`` function picks, else those of the types it
    declares; a stack policy that declares neither is only known by what it reported."""
    from obsgov_policies.catalog import REGISTRY, load_all

    load_all()
    spec = REGISTRY.get(policy)
    if spec is None:
        return None
    if spec.kind == "stack" and spec.judges is not None:
        judges = spec.judges
        return lambda graph, config: list(judges(policy_views(graph), config))
    if spec.kind == "stack" and not spec.resource_types:
        return None
    return lambda graph, config: [
        r.urn for r in graph.resources if r.custom and not r.is_provider and spec.applies(r.type)
    ]


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
    judged = applicability(meta.name)
    config = {k: v for k, v in (pack.config.get(meta.name) or {}).items()}
    applicable = judged(run.graph, config) if judged is not None else []
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
