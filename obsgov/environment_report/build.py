"""The environment report from one gate run: the graph the gate judged, its per-resource
outcomes and the price table, so the report never synthesizes or judges a second time."""

from __future__ import annotations

import json
from collections.abc import Mapping

from obsgov.errors import InputError, Problem
from obsgov.gate.results import GateRun
from obsgov.reports.findings import Review

from .compliance import compliance_map, load_catalog
from .cost import PriceTable, estimate
from .model import EnvironmentReport, inventory
from .outcomes import gate_controls, gate_outcomes

COST_ASSUMPTIONS_KEY = "config.obsgov:costAssumptions"


def stack_assumptions(env, prices: PriceTable) -> dict[str, float]:
    """The stack's ``obsgov:costAssumptions``, checked against the names the table defines."""
    given = dict(env.settings.cost_assumptions)
    unknown = sorted(set(given) - set(prices.assumptions))
    if unknown:
        known = ", ".join(sorted(prices.assumptions))
        raise InputError(
            [
                Problem(
                    str(env.stack_file),
                    f"{COST_ASSUMPTIONS_KEY}.{name}",
                    f"is not a known assumption (known: {known})",
                )
                for name in unknown
            ]
        )
    return given


def build_report(
    run: GateRun,
    env,
    prices: PriceTable,
    overrides: Mapping[str, float] = (),  # type: ignore[assignment]
    notes: list[str] | None = None,
    checked: Review | None = None,
    region: str | None = None,
) -> EnvironmentReport:
    """``overrides`` are usage assumptions on top of the table's (the stack's, checked with
    :func:`stack_assumptions` before the run, then a file's). ``env`` is None for a team's
    project (no registry to trace resources to); ``checked`` is the gate's review
    (suppressions, baseline), whose verdict the report shows; ``region`` is the stack's."""
    from obsgov.reports.common import display_type

    prices = prices.with_assumptions(dict(overrides))
    workloads: dict[str, list[str]] = {}
    for workload in env.registry.workloads if env is not None else ():
        if workload.environment == env.environment:
            workloads.setdefault(workload.account, []).append(workload.name)
    outcomes = gate_outcomes(run)
    if checked is None:
        verdict = "failed" if run.failed else ("warnings" if run.violations else "passed")
        findings: list[dict] = []
    else:
        verdict = (
            "failed"
            if checked.failed
            else ("warnings" if any(f.status == "open" for f in checked.findings) else "passed")
        )
        findings = [
            {
                "policy": f.violation.policy,
                "urn": f.violation.urn,
                "name": f.violation.resource_name,
                "type": display_type(f.violation.resource_type),
                "level": f.violation.level,
                "severity": f.violation.severity,
                "status": f.status,
                "message": f.violation.detail,
                "where": checked.where(f),
            }
            for f in checked.findings
            if f.shown
        ]
    if region is None and env is not None:
        region = env.settings.region
    report = EnvironmentReport(
        stack=run.graph.stack,
        preview=run.graph.preview,
        inventory=inventory(run.graph, workloads),
        controls=compliance_map(outcomes, gate_controls(run), load_catalog(), run.graph),
        estimate=estimate(run.graph, prices, region),
        prices=prices,
        verdict=verdict,
        notes=list(notes or []),
        account_names=dict(run.graph.accounts),
        project=run.graph.project,
        resource_count=len(run.graph),
        findings=findings,
    )
    report.thresholds = thresholds(run, env)
    report.notes += config_notes(run)
    for item, where, priced in report.estimate.stand_ins:
        report.notes.append(f"{item}: no {where} price in the table; priced at {priced}")
    unjudged = sum(1 for o in outcomes if o.status == "not-judged")
    if unjudged:
        report.notes.append(
            f"{unjudged} policy outcomes were not judged: values unknown in preview, or a "
            "pack that failed to run; their controls are never counted as met"
        )
    return report


def thresholds(run: GateRun, env) -> dict[str, dict[str, dict[str, object]]]:
    """The numeric config each library policy judged with, beside the organisation's floor,
    so a report diff shows a threshold or a floor that moved."""
    from obsgov.gate.floors import FloorLayer
    from obsgov_policies.catalog import REGISTRY, load_all

    load_all()
    # a team project judged without --environment has no organisation floors to show
    floors = FloorLayer(env).floors if env is not None else {}
    found: dict[str, dict[str, dict[str, object]]] = {}
    for pack in run.packs:
        for policy, config in sorted(pack.config.items()):
            spec = REGISTRY.get(policy)
            if spec is None:
                continue
            for prop, schema in sorted(spec.config_properties.items()):
                value = config.get(prop)
                if schema.get("type") in ("integer", "number") and value is not None:
                    floor = floors.get(policy, {}).get(prop)
                    found.setdefault(policy, {})[prop] = {"value": value, "floor": floor}
    return found


def config_notes(run: GateRun) -> list[str]:
    """A control is judged against the policy's config, which an environment may set away
    from the policy's default (dev keeps logs 30 days where CloudWatch.16 asks for 365): say so
    next to every control such a policy maps to."""
    from obsgov_policies.catalog import REGISTRY, load_all

    load_all()
    controls = gate_controls(run)
    notes = []
    for pack in run.packs:
        for policy, config in sorted(pack.config.items()):
            spec = REGISTRY.get(policy)
            if spec is None or not controls.get(policy):
                continue
            changed = [
                f"{key}={json.dumps(config[key])} (default {json.dumps(default)})"
                for key, default in sorted(spec.config_defaults().items())
                # scalar thresholds and switches; lists (tag rules) are usually stricter
                if key in config
                and config[key] != default
                and isinstance(default, (bool, int, float, str))
            ]
            if changed:
                judged = ", ".join(str(c) for c in controls[policy])
                notes.append(f"{judged}: judged by {policy} with {'; '.join(changed)}")
    return notes
