"""The environment report as one self-contained HTML page: no network at view time, tables that
sort and filter, a cost bar chart per account and a controls heat map (account x control)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

STATUS_COLOURS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "not-judged": "#f9a825",
    "no resources": "#9e9e9e",
    "gap": "#6a1b9a",
}

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1c1c1c;max-width:1200px}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3;cursor:pointer;user-select:none}td.num{text-align:right}
.badge{display:inline-block;padding:0 .4rem;border-radius:.3rem;color:#fff;font-size:.8rem}
.filter{display:block;margin:.25rem 0;padding:.2rem;width:20rem}.summary span{margin-right:1.5rem}
.heat td{width:1.2rem;height:1.2rem;padding:0;border:1px solid #fff}.heat th{font-weight:normal;font-size:.7rem}
.heat th.rot{writing-mode:vertical-rl;transform:rotate(180deg);height:7rem}
@media print{.filter{display:none}th{cursor:default}body{margin:0}}
"""

SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function(table){
  table.querySelectorAll('th').forEach(function(th, index){
    th.addEventListener('click', function(){
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var ascending = th.getAttribute('data-order') !== 'asc';
      rows.sort(function(a, b){
        var x = a.cells[index].getAttribute('data-value') || a.cells[index].textContent;
        var y = b.cells[index].getAttribute('data-value') || b.cells[index].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? c : -c;
      });
      rows.forEach(function(row){ body.appendChild(row); });
      th.setAttribute('data-order', ascending ? 'asc' : 'desc');
    });
  });
});
document.querySelectorAll('input.filter').forEach(function(input){
  input.addEventListener('input', function(){
    var table = document.getElementById(input.getAttribute('data-table'));
    var needle = input.value.toLowerCase();
    Array.prototype.forEach.call(table.tBodies[0].rows, function(row){
      row.style.display = row.textContent.toLowerCase().indexOf(needle) === -1 ? 'none' : '';
    });
  });
});
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _table(
    table_id: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    numeric: Sequence[int] = (),
) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            if isinstance(value, tuple):  # (display html, sort value)
                cells.append(f'<td data-value="{_e(value[1])}">{value[0]}</td>')
            elif i in numeric:
                cells.append(f'<td class="num" data-value="{_e(value)}">{_e(value)}</td>')
            else:
                cells.append(f"<td>{_e(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<input class="filter" type="search" placeholder="filter" data-table="{table_id}" '
        f'aria-label="filter {table_id}">'
        f'<table id="{table_id}" class="sortable"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _badge(status: str) -> tuple[str, str]:
    colour = STATUS_COLOURS.get(status, "#616161")
    return f'<span class="badge" style="background:{colour}">{_e(status)}</span>', status


def bar_chart(values: Mapping[str, float], names: Mapping[str, str]) -> str:
    """Horizontal bars, one per account, as inline SVG."""
    if not values:
        return "<p>No priced resources.</p>"
    top = max(values.values()) or 1.0
    bar_height, label_width, width = 22, 260, 760
    items = list(values.items())
    height = bar_height * len(items) + 10
    parts = [
        f'<svg id="cost-chart" role="img" aria-label="monthly cost per account" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
    ]
    for i, (account, usd) in enumerate(items):
        y = 5 + i * bar_height
        length = (width - label_width - 90) * usd / top
        label = f"{account} {names.get(account, '')}".strip()
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12">{_e(label)}</text>'
            f'<rect class="bar" x="{label_width}" y="{y + 3}" width="{length:.1f}" '
            f'height="{bar_height - 6}" fill="#1565c0"></rect>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 15}" font-size="12">'
            f"${usd:,.2f}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def heat_map(controls: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> str:
    judged = [c for c in controls if c["accounts"]]
    accounts = sorted({a for c in judged for a in c["accounts"]})
    if not judged:
        return "<p>No control applies to a judged resource.</p>"
    head = "".join(f'<th class="rot">{_e(c["control"])}</th>' for c in judged)
    rows = []
    for account in accounts:
        cells = []
        for control in judged:
            status = control["accounts"].get(account)
            colour = STATUS_COLOURS.get(status, "#eeeeee") if status else "#eeeeee"
            cells.append(
                f'<td style="background:{colour}" title="{_e(control["control"])}: '
                f'{_e(status or "not applicable")}"></td>'
            )
        rows.append(f"<tr><th>{_e(account)} {_e(names.get(account, ''))}</th>{''.join(cells)}</tr>")
    return f'<table id="heat-map" class="heat"><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def change_section(delta: Mapping[str, Any]) -> list[str]:
    """What a change adds, from :func:`obsgov.environment_report.model.diff`."""
    sign = "+" if delta["monthlyDelta"] >= 0 else "-"
    return [
        "<h2>This change</h2>",
        f'<p id="change-total">monthly cost {sign}${abs(delta["monthlyDelta"]):,.2f}</p>',
        _table(
            "change-cost",
            ["account", "monthly change USD"],
            [(a, (f"{d:+,.2f}", d)) for a, d in delta["costDeltaByAccount"].items()],
        ),
        _table(
            "change-controls",
            ["control", "before", "after"],
            [(c["control"], _badge(c["before"]), _badge(c["after"])) for c in delta["controls"]],
        ),
    ]


def render(
    report: Mapping[str, Any],
    names: Mapping[str, str],
    delta: Mapping[str, Any] | None = None,
) -> str:
    cost = report["cost"]
    shares = report["accountShares"]
    summary = (
        f'<p class="summary"><span>gate: {_badge(report["verdict"] or "not run")[0]}</span>'
        # counted as `obsgov preview` counts them, then the AWS resources the inventory lists
        f"<span>resources: {report.get('resourceCount', len(report['inventory']))} "
        f"({len(report['inventory'])} in AWS)</span>"
        f"<span>estimated monthly cost: <b>${cost['monthlyUsd']:,.2f}</b> "
        f"({_e(cost['region'])} list prices)</span></p>"
    )
    share_rows = [
        (a, names.get(a, ""), f"{m}/{t}", (f"{100 * m / t:.0f}%", m / t if t else 0))
        for a, (m, t) in ((a, (s["met"], s["applicable"])) for a, s in shares.items())
    ]
    control_rows = [
        (
            c["control"],
            c["title"],
            _badge(c["status"]),
            c["passed"],
            c["failed"],
            c["notJudged"],
            ", ".join(c["policies"]) or "none: a gap",
        )
        for c in report["controls"]
    ]
    charge_rows = [
        (
            c["account"],
            c["service"],
            c["resource"],
            c["item"],
            f"{c['quantity']:g}",
            (f"{c['usd']:,.2f}", c["usd"]),
            ", ".join(c["assumptions"]) or "-",
            "yes" if c["verified"] else "no",
        )
        for c in cost["charges"]
    ]
    counts: dict[tuple[str, str], int] = {}
    for r in report["inventory"]:
        key = (r["account"], r["component"] or "(no component)")
        counts[key] = counts.get(key, 0) + 1
    count_rows = [
        (account, names.get(account, ""), component, n)
        for (account, component), n in sorted(counts.items())
    ]
    inventory_rows = [
        (r["account"], r["account_name"], r["component"], r["type"], r["name"], r["source"])
        for r in report["inventory"]
    ]
    price_rows = [
        (k, p["unit"], f"{p['usd']:g}", p["source"], p["read"], "yes" if p["verified"] else "no")
        for k, p in cost["prices"].items()
    ]
    sections = [
        f"<h1>obsgov environment report: {_e(report['stack'])}</h1>",
        summary,
        *(change_section(delta) if delta is not None else []),
        "<h2>Cost per account</h2>",
        bar_chart(cost["byAccount"], names),
        _table(
            "cost-by-service",
            ["service", "monthly USD"],
            [(s, (f"{v:,.2f}", v)) for s, v in cost["byService"].items()],
        ),
        "<h2>Controls by account</h2>",
        heat_map(report["controls"], names),
        _table("control-shares", ["account", "name", "controls met", "share"], share_rows),
        "<h2>Compliance map</h2>",
        _table(
            "controls",
            ["control", "title", "status", "passed", "failed", "not judged", "policies"],
            control_rows,
            numeric=(3, 4, 5),
        ),
        "<h2>Inventory</h2>",
        _table(
            "inventory-counts",
            ["account", "name", "component", "resources"],
            count_rows,
            numeric=(3,),
        ),
        _table(
            "inventory",
            ["account", "name", "component", "type", "resource", "registry entry"],
            inventory_rows,
        ),
        "<h2>Cost lines</h2>",
        _table(
            "charges",
            [
                "account",
                "service",
                "resource",
                "price",
                "quantity",
                "monthly USD",
                "assumptions",
                "verified price",
            ],
            charge_rows,
        ),
        "<h2>Assumptions</h2>",
        _table(
            "assumptions",
            ["assumption", "value"],
            [(k, f"{v:g}") for k, v in sorted(cost["assumptions"].items())],
        ),
        "<h2>Prices</h2>",
        _table("prices", ["price", "unit", "USD", "source", "read", "verified"], price_rows),
    ]
    if cost["unpriced"]:
        sections += [
            "<h2>Not priced</h2><ul>",
            *(f"<li><code>{_e(t)}</code></li>" for t in cost["unpriced"]),
            "</ul>",
        ]
    if report.get("notes"):
        sections += ["<h2>Notes</h2><ul>", *(f"<li>{_e(n)}</li>" for n in report["notes"]), "</ul>"]
    body = "\n".join(sections)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>obsgov report {_e(report['stack'])}</title><style>{STYLE}</style></head>"
        f"<body>{body}<script>{SCRIPT}</script></body></html>\n"
    )
