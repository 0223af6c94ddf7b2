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
    project: str = "obsgov"
    resource_count: int = 0  # every resource of the stack, as `obsgov preview` counts them
    # every violation the gate found, with its status and file:line (see obsgov.reports)
    findings: list[dict[str, Any]] = field(default_factory=list)
    # policy -> numeric config property -> {"value": judged with, "floor": the organisation's}
    thresholds: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        shares = account_shares(self.controls)
        return {
            "project": self.project,
            "stack": self.stack,
            "preview": self.preview,
            "resourceCount": self.resource_count,
            "verdict": self.verdict,
            "findings": self.findings,
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
                "tableRegion": self.estimate.table_region,
                # prices the table has only for another region, used in their place
                "standIns": [
                    {"item": item, "region": region, "pricedAt": priced}
                    for item, region, priced in self.estimate.stand_ins
                ],
                "monthlyUsd": round(self.estimate.total, 2),
                "byAccount": {str(k): round(v, 2) for k, v in self.estimate.by("account").items()},
                "byService": {k: round(v, 2) for k, v in self.estimate.by("service").items()},
                "assumptions": self.estimate.assumptions,
                "unpriced": sorted({r.type for r in self.estimate.unpriced}),
                "charges": [
                    {
                        "urn": c.urn,
                        "account": c.account,
                        "service": c.service,
                        "resource": c.name,
                        "region": c.region,
                        "pricedRegion": c.priced_region,
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
                        "regions": dict(sorted(p.regions.items())),
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


def by_resource(report: Mapping[str, Any]) -> dict[tuple[str, str, str], float]:
    """Monthly USD per resource, keyed (account, type, name): what a diff compares."""
    totals: dict[tuple[str, str, str], float] = {}
    for charge in report["cost"].get("charges") or []:
        key = (
            str(charge.get("account") or ""),
            str(charge.get("type")),
            str(charge.get("resource")),
        )
        totals[key] = totals.get(key, 0.0) + float(charge.get("usd") or 0)
    return totals


def diff(current: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """What a change adds: cost per account and per resource (old and new, as Infracost
    shows them), controls whose status moved, findings that are new or gone, and thresholds
    (or their floors) the change set differently."""
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
    new_costs, old_costs = by_resource(current), by_resource(previous)
    resources: list[dict[str, Any]] = []
    for key in sorted(set(new_costs) | set(old_costs)):
        was, now_usd = old_costs.get(key), new_costs.get(key)
        change = (now_usd or 0.0) - (was or 0.0)
        if was is not None and now_usd is not None and abs(change) < 0.005:
            continue
        account, kind, name = key
        resources.append(
            {
                "account": account,
                "type": kind,
                "resource": name,
                "before": None if was is None else round(was, 2),
                "after": None if now_usd is None else round(now_usd, 2),
                "change": round(change, 2),
            }
        )
    resources.sort(key=lambda r: (-abs(float(r["change"])), str(r["resource"])))
    seen = {(f["policy"], f["urn"]) for f in previous.get("findings") or []}
    found = {(f["policy"], f["urn"]) for f in current.get("findings") or []}
    return {
        "costDeltaByAccount": {a: d for a, d in cost.items() if d},
        "monthlyDelta": round(current["cost"]["monthlyUsd"] - previous["cost"]["monthlyUsd"], 2),
        "resources": resources,
        "controls": moved,
        "newFindings": [
            f for f in current.get("findings") or [] if (f["policy"], f["urn"]) not in seen
        ],
        "goneFindings": [
            f for f in previous.get("findings") or [] if (f["policy"], f["urn"]) not in found
        ],
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


VERDICT_HEADINGS = {
    "failed": "❌ the policy gate failed",
    "warnings": "⚠️ the policy gate passed with warnings",
    "passed": "✅ the policy gate passed",
}
MAX_ROWS = 25  # a pull-request comment stays readable; the JSON report has every row


def comment_marker(report: Mapping[str, Any]) -> str:
    """The hidden line a workflow finds its own comment by (one per project and stack)."""
    return f"<!-- obsgov-report: {report.get('project', 'obsgov')}/{report['stack']} -->"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _money(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _findings_table(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["| level | policy | resource | where |", "|---|---|---|---|"]
    for f in findings[:MAX_ROWS]:
        where = f"`{f['where']}`" if f.get("where") else ""
        lines.append(
            f"| {f['level']} | {_cell(f['policy'])} | {_cell(f['type'])} "
            f"{_cell(f['name'])} | {where} |"
        )
    if len(findings) > MAX_ROWS:
        lines.append(f"| | and {len(findings) - MAX_ROWS} more | | |")
    return lines


def markdown(report: Mapping[str, Any], delta: Mapping[str, Any] | None = None) -> str:
    """The report as a pull-request comment (or job summary): the verdict, the violations
    (new ones when compared with the base), compliance moves and the cost change."""
    subject = f"{report.get('project', 'obsgov')}/{report['stack']}"
    verdict = VERDICT_HEADINGS.get(report.get("verdict", ""), report.get("verdict", ""))
    lines = [comment_marker(report), f"## obsgov {subject}: {verdict}", ""]
    findings = list(report.get("findings") or [])
    open_findings = [f for f in findings if f.get("status") == "open"]
    if delta is not None:
        new = [f for f in delta.get("newFindings") or [] if f.get("status") == "open"]
        gone = delta.get("goneFindings") or []
        lines.append(
            f"**{len(new)} new violation{'' if len(new) == 1 else 's'}** against the base"
            + (f", {len(gone)} gone" if gone else "")
            + f" ({len(open_findings)} open in all)."
        )
        shown = new
    else:
        lines.append(
            f"**{len(open_findings)} open violation{'' if len(open_findings) == 1 else 's'}**."
        )
        shown = open_findings
    lines.append("")
    if shown:
        lines += [*_findings_table(shown), ""]
    accepted = [f for f in findings if f.get("status") in ("suppressed", "baseline")]
    if accepted:
        lines += [
            f"Not counted: {sum(1 for f in accepted if f['status'] == 'suppressed')} suppressed, "
            f"{sum(1 for f in accepted if f['status'] == 'baseline')} in the baseline.",
            "",
        ]

    lines += ["### Compliance", ""]
    counts: dict[str, int] = {}
    for control in report["controls"]:
        counts[control["status"]] = counts.get(control["status"], 0) + 1
    lines += ["Controls: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())), ""]
    if delta is not None and delta["controls"]:
        lines += ["| control | before | after |", "|---|---|---|"]
        lines += [f"| {c['control']} | {c['before']} | {c['after']} |" for c in delta["controls"]]
        lines.append("")
    if delta is not None and delta.get("thresholds"):
        lines += ["| threshold | before | after |", "|---|---|---|"]
        lines += [
            f"| {t['threshold']} | {t['before']} | {t['after']} |" for t in delta["thresholds"]
        ]
        lines.append("")
    failing = [
        c for c in report["controls"] if c["status"] in ("failed", "not judged", "not-judged")
    ]
    if failing:
        lines += ["| control | status | failed | not judged |", "|---|---|---:|---:|"]
        lines += [
            f"| {c['control']} | {c['status']} | {c['failed']} | {c['notJudged']} |"
            for c in failing
        ]
        lines.append("")

    cost = report["cost"]
    lines += ["### Cost", ""]
    stand_ins = cost.get("standIns") or []
    priced = f"{cost['region']} list prices"
    if stand_ins:
        priced += f"; {len(stand_ins)} at {stand_ins[0]['pricedAt']} prices, the table has no other"
    lines += [f"Estimated monthly cost: **${cost['monthlyUsd']:,.2f}** ({priced})", ""]
    names = report.get("accountNames", {})
    if delta is not None:
        sign = "+" if delta["monthlyDelta"] >= 0 else "-"
        lines += [f"This change: **{sign}${abs(delta['monthlyDelta']):,.2f}** a month", ""]
        if delta.get("resources"):
            rows = delta["resources"]
            lines += [
                "| resource | type | account | before $/month | after $/month | change |",
                "|---|---|---|---:|---:|---:|",
            ]
            lines += [
                f"| {_cell(r['resource'])} | {_cell(r['type'])} | "
                f"{names.get(r['account'], r['account'])} | {_money(r['before'])} | "
                f"{_money(r['after'])} | {r['change']:+,.2f} |"
                for r in rows[:MAX_ROWS]
            ]
            if len(rows) > MAX_ROWS:
                lines.append(f"| and {len(rows) - MAX_ROWS} more | | | | | |")
            lines.append("")
        if delta["costDeltaByAccount"]:
            lines += ["| account | name | monthly change |", "|---|---|---:|"]
            lines += [
                f"| {a} | {names.get(a, '')} | {d:+,.2f} |"
                for a, d in delta["costDeltaByAccount"].items()
            ]
            lines.append("")
    lines += ["| account | name | monthly USD |", "|---|---|---:|"]
    lines += [f"| {a} | {names.get(a, '')} | {v:,.2f} |" for a, v in cost["byAccount"].items()]
    if cost["unpriced"]:
        lines += ["", "Not priced: " + ", ".join(f"`{t}`" for t in cost["unpriced"])]
    return "\n".join(lines) + "\n"
