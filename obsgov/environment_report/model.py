"""The environment report's content, built once and rendered as JSON, Markdown or HTML."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from obsgov.graph import ResourceGraph

from .compliance import ControlRow, account_shares
from .cost import Estimate, PriceTable


@dataclass(frozen=True)
class InventoryRow:
    account: str
    account_name: str
    component: str
    type: str
    name: str
    source: str  # the registry entry the resource came from, when one did


@dataclass
class EnvironmentReport:
    stack: str
    preview: bool
    inventory: list[InventoryRow]
    controls: list[ControlRow]
    estimate: Estimate
    prices: PriceTable
    verdict: str = ""  # passed | warnings | failed, from the gate
    notes: list[str] = field(default_factory=list)
    account_names: dict[str, str] = field(default_factory=dict)  # account id -> name
    # policy -> numeric config property -> {"value": judged with, "floor": the organisation's}
    thresholds: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        shares = account_shares(self.controls)
        return {
            "stack": self.stack,
            "preview": self.preview,
            "verdict": self.verdict,
            "accountNames": dict(sorted(self.account_names.items())),
            "inventory": [row.__dict__ for row in self.inventory],
            "controls": [
                {
                    "control": str(r.control),
                    "title": r.title,
                    "status": r.status,
                    "policies": r.policies,
                    "passed": r.count("passed"),
                    "failed": r.count("failed"),
                    "notJudged": r.count("not-judged"),
                    "accounts": r.accounts,
                }
                for r in self.controls
            ],
            "accountShares": {a: {"met": m, "applicable": t} for a, (m, t) in shares.items()},
            "cost": {
                "region": self.estimate.region,
                "monthlyUsd": round(self.estimate.total, 2),
                "byAccount": {str(k): round(v, 2) for k, v in self.estimate.by("account").items()},
                "byService": {k: round(v, 2) for k, v in self.estimate.by("service").items()},
                "assumptions": self.estimate.assumptions,
                "unpriced": sorted({r.type for r in self.estimate.unpriced}),
                "charges": [
                    {
                        "account": c.account,
                        "service": c.service,
                        "resource": c.name,
                        "type": c.resource_type,
                        "item": c.item,
                        "quantity": round(c.quantity, 6),
                        "usd": round(c.usd, 4),
                        "assumptions": list(c.assumptions),
                        "verified": c.verified,
                    }
                    for c in self.estimate.charges
                ],
                "prices": {
                    k: {
                        "unit": p.unit,
                        "usd": p.usd,
                        "source": p.source,
                        "read": p.read,
                        "verified": p.verified,
                    }
                    for k, p in sorted(self.prices.items.items())
                },
            },
            "thresholds": self.thresholds,
            "notes": self.notes,
        }


def inventory(graph: ResourceGraph, workloads: Mapping[str, Sequence[str]]) -> list[InventoryRow]:
    """Custom resources with their account and component; ``workloads`` maps an account name to
    the registry's workload names there, so a resource named after one is traced to it."""
    rows = []
    for resource in graph.resources:
        if not resource.custom or resource.is_provider:
            continue
        component = graph.component_of(resource)
        account_name = graph.accounts.get(resource.account or "", "")
        source = ""
        if account_name:
            source = f"accounts: {account_name}"
            for workload in sorted(workloads.get(account_name, ()), key=len, reverse=True):
                if workload in resource.name:
                    source = f"workloads: {workload} ({account_name})"
                    break
        rows.append(
            InventoryRow(
                resource.account or "",
                account_name,
                component.name if component else "",
                resource.type,
                resource.name,
                source,
            )
        )
    return sorted(rows, key=lambda r: (r.account, r.component, r.type, r.name))


def diff(current: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """What a change adds: cost per account, controls whose status moved, and thresholds (or
    their floors) the change set differently."""
    now, before = current["cost"]["byAccount"], previous["cost"]["byAccount"]
    cost = {
        a: round(now.get(a, 0.0) - before.get(a, 0.0), 2) for a in sorted(set(now) | set(before))
    }
    old = {c["control"]: c["status"] for c in previous["controls"]}
    moved = [
        {"control": c["control"], "before": old.get(c["control"], "absent"), "after": c["status"]}
        for c in current["controls"]
        if old.get(c["control"]) != c["status"]
    ]
    return {
        "costDeltaByAccount": {a: d for a, d in cost.items() if d},
        "monthlyDelta": round(current["cost"]["monthlyUsd"] - previous["cost"]["monthlyUsd"], 2),
        "controls": moved,
        "thresholds": threshold_changes(
            current.get("thresholds") or {}, previous.get("thresholds") or {}
        ),
    }


def threshold_changes(
    now: Mapping[str, Mapping[str, Any]], before: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    changes = []
    for policy in sorted(set(now) | set(before)):
        props_now, props_before = now.get(policy) or {}, before.get(policy) or {}
        for prop in sorted(set(props_now) | set(props_before)):
            after, earlier = props_now.get(prop) or {}, props_before.get(prop) or {}
            for key in ("value", "floor"):
                if after.get(key) != earlier.get(key):
                    changes.append(
                        {
                            "threshold": f"{policy} {prop}" + (" floor" if key == "floor" else ""),
                            "before": earlier.get(key),
                            "after": after.get(key),
                        }
                    )
    return changes


def markdown(report: Mapping[str, Any], delta: Mapping[str, Any] | None = None) -> str:
    lines = [f"## obsgov environment report: {report['stack']}", ""]
    cost = report["cost"]
    lines += [
        f"Estimated monthly cost: **${cost['monthlyUsd']:,.2f}** ({cost['region']} list prices)",
        "",
    ]
    if delta is not None:
        sign = "+" if delta["monthlyDelta"] >= 0 else "-"
        lines += [f"This change: **{sign}${abs(delta['monthlyDelta']):,.2f}** a month", ""]
        if delta["costDeltaByAccount"]:
            names = report.get("accountNames", {})
            lines += ["| account | name | monthly change |", "|---|---|---:|"]
            lines += [
                f"| {a} | {names.get(a, '')} | {d:+,.2f} |"
                for a, d in delta["costDeltaByAccount"].items()
            ]
            lines.append("")
        if delta["controls"]:
            lines += ["| control | before | after |", "|---|---|---|"]
            lines += [
                f"| {c['control']} | {c['before']} | {c['after']} |" for c in delta["controls"]
            ]
            lines.append("")
        if delta.get("thresholds"):
            lines += ["| threshold | before | after |", "|---|---|---|"]
            lines += [
                f"| {t['threshold']} | {t['before']} | {t['after']} |" for t in delta["thresholds"]
            ]
            lines.append("")
    names = report.get("accountNames", {})
    lines += ["| account | name | monthly USD |", "|---|---|---:|"]
    lines += [f"| {a} | {names.get(a, '')} | {v:,.2f} |" for a, v in cost["byAccount"].items()]
    counts: dict[str, int] = {}
    for control in report["controls"]:
        counts[control["status"]] = counts.get(control["status"], 0) + 1
    lines += ["", "Controls: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())), ""]
    failing = [
        c for c in report["controls"] if c["status"] in ("failed", "not judged", "not-judged")
    ]
    if failing:
        lines += ["| control | status | failed | not judged |", "|---|---|---:|---:|"]
        lines += [
            f"| {c['control']} | {c['status']} | {c['failed']} | {c['notJudged']} |"
            for c in failing
        ]
    if cost["unpriced"]:
        lines += ["", "Not priced: " + ", ".join(f"`{t}`" for t in cost["unpriced"])]
    return "\n".join(lines) + "\n"
