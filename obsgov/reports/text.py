"""The ``Policies:`` block as ``pulumi preview`` prints it, fitted to the terminal.

The layout follows the CLI (pkg/backend/display/progress.go, printPolicies, and diff.go,
renderDiffPolicyViolationEvent): packs sorted by ``name@vX``, per pack first one summary line
per remediating policy, then the violations in the CLI's order with the message indented
under them. Unlike the CLI, lines are wrapped to the console's width with a hanging indent
(CI logs are 80 columns; violation lines reach 155) and pack output is stripped of control
characters before it reaches the terminal.
"""

from __future__ import annotations

from collections import Counter

from rich import box
from rich.cells import cell_len, get_character_cell_size
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from obsgov.gate.results import GateRun, PackResult
from obsgov.io import display_path

from .common import clean_text, pack_label, pack_name, resource_clause, sort_packs
from .findings import Finding, Review, review
from .guesses import guess_lines

_ICONS = {"failed": "❌", "warnings": "⚠️", "passed": "✅"}
PACK_INDENT = " " * 4
ITEM_INDENT = " " * 8  # the CLI's subItemIndent
LINE_INDENT = " " * 10  # subItemIndent + "  ": message lines
HANG = "  "  # continuation lines sit this much deeper than the line they continue
MIN_TEXT_WIDTH = 20  # below this a terminal is too narrow to wrap into; lines overflow instead


def _pieces(word: str, first_room: int, room: int) -> list[str]:
    """``word`` cut into pieces of at most ``first_room`` cells, then ``room`` cells (at
    least one character each); the last piece is what is left. One pass over the word:
    each character's width is looked up once, so a 100 KB word costs 100 K lookups."""
    if word.isascii() and word.isprintable():  # one cell a character: cut by slicing
        head, tail = word[:first_room], word[first_room:]
        return [head, *(tail[i : i + room] for i in range(0, len(tail), room))] if tail else [head]
    pieces: list[str] = []
    start, used, limit = 0, 0, first_room
    for i, char in enumerate(word):
        size = get_character_cell_size(char)
        if used + size > limit and i > start:
            pieces.append(word[start:i])
            start, used, limit = i, 0, room
        used += size
    pieces.append(word[start:])
    return pieces


def wrap(text: str, width: int, indent: str, hang: str = HANG) -> list[str]:
    """``text`` (one line) as lines of at most ``width`` cells: the first after ``indent``,
    the rest after ``indent + hang``. A line that fits is kept as it is; otherwise words are
    kept whole unless one alone is wider than the room. Linear in the text's length: every
    word's width is measured once, and the line being built is never measured again."""
    # Only spaces break lines: a no-break space or any other character stays inside its word.
    text = text.rstrip(" ")
    if cell_len(indent + text) <= width:
        return [(indent + text).rstrip(" ")]
    body = text.lstrip(" ")
    lead = text[: len(text) - len(body)]
    first, rest = indent + lead, indent + lead + hang
    first_room = max(width - cell_len(first), MIN_TEXT_WIDTH)
    rest_room = max(width - cell_len(rest), MIN_TEXT_WIDTH)

    # printable ASCII takes one cell a character: its width is its length
    measure = len if body.isascii() and body.isprintable() else cell_len
    lines: list[str] = []
    prefix, room = first, first_room
    current: list[str] = []  # the words of the line being built
    used = 0  # its width in cells
    for word in body.split(" "):
        if not word:
            continue
        size = measure(word)
        wanted = used + 1 + size if current else size
        if wanted <= room:
            current.append(word)
            used = wanted
            continue
        if current:
            lines.append(prefix + " ".join(current))
            prefix, room = rest, rest_room
        if size > room:
            *heads, word = _pieces(word, room, rest_room)
            for head in heads:
                lines.append(prefix + head)
                prefix, room = rest, rest_room
            size = measure(word)
        current, used = [word], size
    lines.append(prefix + " ".join(current))
    return lines


def _print(console: Console, line: str) -> None:
    # Already wrapped and cleaned: no markup, emoji codes or highlighting from pack text.
    console.print(line, markup=False, emoji=False, highlight=False, soft_wrap=True)


def _finding_lines(finding: Finding, checked: Review, width: int, compact: bool) -> list[str]:
    v = finding.violation
    severity = f" [severity: {v.severity}]" if v.severity else ""
    status = {"suppressed": ", suppressed", "baseline": ", baseline"}.get(finding.status, "")
    head = f"- [{v.level}{status}]{severity}  {clean_text(v.policy)}"
    clause = clean_text(resource_clause(v))
    where = checked.where(finding)
    if compact:
        tail = " ".join(
            x for x in (f"({clause})" if clause else "", f"at {where}" if where else "") if x
        )
        return wrap(f"{head}  {tail}".rstrip(), width, ITEM_INDENT, HANG * 2)
    lines: list[str] = []
    one_line = f"{ITEM_INDENT}{head}  ({clause})" if clause else f"{ITEM_INDENT}{head}"
    if cell_len(one_line) <= width:
        lines.append(one_line)
    else:
        # The resource gets its own line, where the CLI puts message lines.
        lines += wrap(head, width, ITEM_INDENT, HANG * 2)
        if clause:
            lines += wrap(f"({clause})", width, LINE_INDENT)
    for line in clean_text(v.message).rstrip("\n").split("\n"):
        lines += wrap(line, width, LINE_INDENT)
    primary = finding.located.primary
    if primary is not None:
        lines += wrap(f"at {where} ({clean_text(primary.label)})", width, LINE_INDENT)
    for place in finding.located.related:
        lines += wrap(
            f"see {place.shown(checked.root)} ({clean_text(place.label)})", width, LINE_INDENT
        )
    if finding.suppression is not None:
        rule = finding.suppression
        lines += wrap(
            f"suppressed until {rule.expires.isoformat()}: {clean_text(rule.reason)}",
            width,
            LINE_INDENT,
        )
    elif finding.expired is not None:
        lines += wrap(
            f"its suppression expired on {finding.expired.expires.isoformat()}: it counts again",
            width,
            LINE_INDENT,
        )
    return lines


def _pack_lines(
    pack: PackResult, checked: Review, width: int, compact: bool = False, quiet: bool = False
) -> list[str]:
    status = checked.pack_status(pack)
    status = "failed" if status == "error" else status
    head = f"{PACK_INDENT}{_ICONS[status]} {clean_text(pack_label(pack))}"
    local = f"(local: {display_path(pack.project.directory)})"
    if cell_len(f"{head} {local}") <= width:
        lines = [f"{head} {local}"]
    else:
        lines = [head, *wrap(local, width, PACK_INDENT + "  ")]
    if pack.error:
        for i, line in enumerate(clean_text(pack.error).split("\n")):
            lines += wrap(("error: " if i == 0 else "") + line, width, ITEM_INDENT)
        return lines

    if not quiet:
        counts = Counter(r.policy for r in pack.remediations)
        for policy in sorted(counts):
            n = counts[policy]
            summary = f"- [remediate]  {clean_text(policy)}  ({n} resource{'' if n == 1 else 's'})"
            lines += wrap(summary, width, ITEM_INDENT, HANG * 2)

    for finding in checked.of_pack(pack_name(pack)):
        if not finding.shown or (quiet and not finding.blocking):
            continue
        lines += _finding_lines(finding, checked, width, compact or quiet)
    return lines


def _plural(count: int, word: str) -> str:
    if count == 1:
        return f"{count} {word}"
    return f"{count} {word[:-1]}ies" if word.endswith("y") else f"{count} {word}s"


def _review_lines(checked: Review, width: int) -> list[str]:
    """What the verdict rests on beyond the packs: suppressions that expired or match
    nothing, baseline entries now fixed, findings under the severity threshold."""
    lines: list[str] = []
    root = checked.root
    counts = checked.counts()
    if counts["suppressed"] or counts["baseline"] or counts["below-threshold"]:
        parts = []
        if counts["suppressed"]:
            parts.append(f"{counts['suppressed']} suppressed")
        if counts["baseline"]:
            parts.append(f"{counts['baseline']} in the baseline")
        if counts["below-threshold"]:
            parts.append(
                f"{counts['below-threshold']} below --severity {checked.severity} (not shown)"
            )
        lines += wrap("Not counted: " + ", ".join(parts) + ".", width, "")
    for rule in checked.expired:
        where = f" ({rule.place.shown(root)})" if rule.place else ""
        lines += wrap(
            f"warning: suppression of {clean_text(rule.label)} expired on "
            f"{rule.expires.isoformat()}{where}: renew it with a new reason, or fix the "
            "resources",
            width,
            "",
        )
    for rule in checked.unused:
        if rule.expires < checked.today:
            continue
        where = f" ({rule.place.shown(root)})" if rule.place else ""
        lines += wrap(
            f"warning: suppression of {clean_text(rule.label)} matches no finding{where}: "
            "remove it",
            width,
            "",
        )
    if checked.fixed:
        lines += wrap(
            f"{_plural(len(checked.fixed), 'baseline entry')} no longer found (fixed): "
            f"refresh {display_path(checked.baseline) if checked.baseline else 'the baseline'} "
            "with --write-baseline",
            width,
            "",
        )
    return lines


def render_text(
    run: GateRun,
    console: Console,
    checked: Review | None = None,
    *,
    compact: bool = False,
    quiet: bool = False,
) -> None:
    """The ``Policies:`` block, a summary table and the verdict, on ``console``. ``compact``
    prints one line per finding (with its ``file:line``); ``quiet`` prints only what fails the
    gate and the verdict."""
    checked = checked or review(run)
    width = console.width
    packs = sort_packs(run.packs)
    if not quiet or checked.failed:
        block = ["Policies:"]
        for pack in packs:
            if quiet and checked.pack_status(pack) not in ("failed", "error"):
                continue
            block += _pack_lines(pack, checked, width, compact, quiet)
        # Written as it is: the lines are wrapped and cleaned already, and rich's rendering
        # (splitting, wrapping and styling every line again) cost over a minute for a pack
        # writing 100 KB messages about a few hundred resources.
        console.file.write("\n".join(block) + "\n")

    if not quiet:
        # compact enough for the 80 columns CI logs get (versions are in the Policies block)
        table = Table(title="Policy gate summary", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("pack", no_wrap=True)
        table.add_column("status", no_wrap=True)
        for column in ("mandatory", "advisory", "remediate", "secs"):
            table.add_column(column, justify="right", no_wrap=True)
        for pack in packs:
            found = [f for f in checked.of_pack(pack_name(pack)) if f.status == "open"]
            table.add_row(
                Text(clean_text(pack_name(pack))),
                checked.pack_status(pack),
                str(sum(1 for f in found if f.violation.level == "mandatory")),
                str(sum(1 for f in found if f.violation.level == "advisory")),
                str(len(pack.remediations)),
                f"{pack.seconds:.2f}",
            )
        console.print(table)
        for heading, items in guess_lines(run.graph):
            for line in wrap(clean_text(heading), width, ""):
                _print(console, line)
            for item in items:
                for line in wrap(clean_text(item), width, PACK_INDENT):
                    _print(console, line)
    for line in _review_lines(checked, width):
        _print(console, line)
    verdict = "[bold red]FAILED[/bold red]" if checked.failed else "[bold green]PASSED[/bold green]"
    console.print(
        f"{verdict}: {_plural(len(run.graph), 'resource')} of "
        f"{escape(clean_text(f'{run.graph.project}/{run.graph.stack}'))} judged by "
        f"{_plural(len(run.packs), 'pack')} in {run.seconds:.2f}s"
    )
