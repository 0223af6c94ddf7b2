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


#: Borders and padding of a three-column rich table: four bars and one space either side of
#: each cell.
_TABLE_FRAME = 4 + 3 * 2


def _fit_type(ctype: str, width: int) -> str:
    """A component type as it is, or, when it is wider than its column, broken after its
    module (``obsgov:member_baseline:`` over ``MemberAccountBaseline``) so that no part of the
    token is cut off: rich breaks words only at spaces and would end it in an ellipsis."""
    if len(ctype) <= width or ":" not in ctype:
        return ctype
    module, _, kind = ctype.rpartition(":")
    return f"{module}:\n{kind}"


def _broken_width(ctype: str) -> int:
    """The width a type needs once broken after its module."""
    module, _, kind = ctype.rpartition(":")
    return max(len(module) + 1, len(kind)) if module else len(kind)


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
    names = [name for _, name in per_component]
    # a type is never cut: it is shown whole, or broken after its module when the names leave
    # too little room; a name too long for what is left wraps (monitoring jobs' names are long)
    broken = max((_broken_width(ctype) for ctype, _ in per_component), default=0)
    type_width = max(
        console.width - _TABLE_FRAME - len("Resources") - max(map(len, names), default=0), broken
    )
    components.add_column("Component type", min_width=broken)
    components.add_column("Name", overflow="fold")
    components.add_column("Resources", justify="right")
    for (ctype, name), count in sorted(per_component.items()):
        components.add_row(escape(_fit_type(ctype, type_width)), escape(name), str(count))
    console.print(components)

    types = Counter(r.type for r in custom)
    console.print(
        f"[bold]Totals:[/bold] {len(custom)} resources of {len(types)} types, "
        f"{len(graph.components())} components, {len(graph.providers())} providers, "
        f"{len({r.account for r in custom})} accounts"
    )
