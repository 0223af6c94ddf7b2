"""Human summary of a resource graph: resources per account, per component, and totals."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from obsgov.graph import ResourceGraph


def account_label(graph: ResourceGraph, account: str | None) -> str:
    if account is None:
        return "(default credentials)"
    name = graph.accounts.get(account)
    return f"{account} {name}" if name else account


def render_summary(graph: ResourceGraph, console: Console) -> None:
    custom = graph.custom_resources()
    mode = "preview" if graph.preview else "update (all outputs known)"
    console.print(
        f"[bold]Stack[/bold] {escape(graph.project)}/{escape(graph.stack)}  "
        f"[dim]({mode}, offline)[/dim]"
    )

    per_account = Counter(r.account for r in custom)
    accounts = Table(title="Resources per account", title_justify="left")
    accounts.add_column("Account")
    accounts.add_column("Resources", justify="right")
    for account, count in sorted(per_account.items(), key=lambda kv: str(kv[0])):
        accounts.add_row(escape(account_label(graph, account)), str(count))
    console.print(accounts)

    per_component: Counter[tuple[str, str]] = Counter()
    for resource in custom:
        component = graph.component_of(resource)
        key = (component.type, component.name) if component else ("(stack)", graph.stack)
        per_component[key] += 1
    components = Table(title="Resources per component", title_justify="left")
    components.add_column("Component type")
    components.add_column("Name")
    components.add_column("Resources", justify="right")
    for (ctype, name), count in sorted(per_component.items()):
        components.add_row(escape(ctype), escape(name), str(count))
    console.print(components)

    types = Counter(r.type for r in custom)
    console.print(
        f"[bold]Totals:[/bold] {len(custom)} resources of {len(types)} types, "
        f"{len(graph.components())} components, {len(graph.providers())} providers, "
        f"{len({r.account for r in custom})} accounts"
    )
