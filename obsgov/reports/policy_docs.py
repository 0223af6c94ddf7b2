"""One documentation page per policy of obsgov's library, generated from the catalog.

Each page says what the policy checks (the catalog's description and the policy module's
docstring), why (``policy_why.yaml``), how to fix a finding (the catalog's remediation), the
Security Hub, CIS and tagging-standard controls it maps to, and its configuration. SARIF rules
link the page (``helpUri``) and carry its text (``help.markdown``, which code scanning shows
beside an alert).

``python -m obsgov.reports.policy_docs`` rewrites ``docs/policies/``; ``--check`` exits 1 and
names every page that is missing, stale or left over, as the test of the committed pages does.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

PAGES = Path(__file__).resolve().parents[2] / "docs" / "policies"
WHY = Path(__file__).with_name("policy_why.yaml")
INDEX = "README.md"
# Where the committed pages are published; a fork or a private mirror sets its own.
DOCS_URL_VARIABLE = "OBSGOV_POLICY_DOCS_URL"
DEFAULT_DOCS_URL = "https://github.com/example-org/obsgov/blob/main/docs/policies/"
GENERATED = (
    "<!-- Generated from the policy catalog by `python -m obsgov.reports.policy_docs`; "
    "edit the policy module or obsgov/reports/policy_why.yaml, not this page. -->"
)
SECURITY_HUB = "https://docs.aws.amazon.com/securityhub/latest/userguide/"
# The standard's page for the controls of frameworks Security Hub does not document one by one.
FRAMEWORK_PAGES = {
    "CIS AWS Foundations Benchmark": SECURITY_HUB + "cis-aws-foundations-benchmark.html",
    "AWS Resource Tagging Standard": SECURITY_HUB + "standards-tagging.html",
}
FSBP = "AWS Foundational Security Best Practices"


def docs_url(policy_id: str) -> str:
    """The published page of ``policy_id`` (``$OBSGOV_POLICY_DOCS_URL`` or the default)."""
    base = os.environ.get(DOCS_URL_VARIABLE, "").strip() or DEFAULT_DOCS_URL
    return base.rstrip("/") + f"/{policy_id}.md"


def control_url(framework: str, control_id: str) -> str:
    """Security Hub's page for a control: FSBP controls by anchor on their service's page
    (``s3-controls.html#s3-5``), others at their standard's page."""
    if framework == FSBP and "." in control_id:
        service, number = control_id.split(".", 1)
        return f"{SECURITY_HUB}{service.lower()}-controls.html#{service.lower()}-{number}"
    return FRAMEWORK_PAGES.get(framework, SECURITY_HUB + "securityhub-standards.html")


@functools.lru_cache(maxsize=1)
def load_why(path: Path = WHY) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): " ".join(str(v).split()) for k, v in data.items()}


@functools.lru_cache(maxsize=1)
def _control_titles() -> dict[tuple[str, str], str]:
    from obsgov.environment_report.compliance import FRAMEWORKS, load_catalog

    short = {v: k for k, v in FRAMEWORKS.items()}
    return {
        (short.get(c.framework, c.framework), c.control): spec.title
        for c, spec in load_catalog().items()
    }


def _module_doc(module: str) -> str:
    """The policy module's docstring: what the policy checks, in the words of its author."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return ""
    if spec is None or spec.origin is None:
        return ""
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    return (ast.get_docstring(tree) or "").strip()


def _source_path(module: str) -> str:
    return "policies/" + module.replace(".", "/") + ".py"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _default(value: Any) -> str:
    if value is None:
        return ""
    return "`" + yaml.safe_dump(value, default_flow_style=True, width=10_000).strip() + "`"


def _controls_lines(spec: Any) -> list[str]:
    titles = _control_titles()
    lines = []
    for control in spec.controls:
        title = titles.get((control.framework, control.control_id), "")
        link = f"[{control.control_id}]({control_url(control.framework, control.control_id)})"
        lines.append(f"- {control.framework} {link}" + (f": {title}" if title else ""))
    return lines


def page_body(spec: Any, why: str) -> str:
    """The page without its title: what SARIF carries as the rule's ``help.markdown``."""
    parts = [spec.description, ""]
    kind = "the whole stack" if spec.kind == "stack" else "each resource"
    types = ", ".join(f"`{t}`" for t in spec.resource_types) or "any type it recognises"
    parts += [
        "| | |",
        "|---|---|",
        f"| Pack | `{spec.pack}` |",
        f"| Severity | {spec.severity} |",
        f"| Service | {spec.service} |",
        f"| Judges | {kind}: {_cell(types)} |",
        f"| Source | `{_source_path(spec.module)}` |",
        "",
        "## What it checks",
        "",
        _module_doc(spec.module) or spec.description,
        "",
        "## Why",
        "",
        why,
        "",
        "## How to fix",
        "",
        spec.remediation or "Change the resource so that it meets the description above.",
        "",
        "## Controls",
        "",
    ]
    controls = _controls_lines(spec)
    parts += controls or ["None: this is one of obsgov's own rules."]
    parts += ["", "## Configuration", ""]
    if spec.config_properties:
        parts += ["| property | type | default | description |", "|---|---|---|---|"]
        for name, schema in sorted(spec.config_properties.items()):
            parts.append(
                f"| `{name}` | {_cell(schema.get('type', ''))} | "
                f"{_cell(_default(schema.get('default')))} | "
                f"{_cell(schema.get('description', ''))} |"
            )
        parts += [
            "",
            "Set per environment in `stacks/policy-packs/<env>/<pack>.json` (the Pulumi CLI's "
            "`--policy-pack-config` format).",
        ]
    else:
        parts.append("No properties; only its enforcement level can be set.")
    parts += [
        "",
        "## Suppressing a finding",
        "",
        "Fix the resource where you can. Where you cannot yet, add a suppression with a reason "
        "and an expiry date to the stack config or the registry (see "
        "[docs/suppressions.md](../suppressions.md)): it is reviewed like code, every report "
        "lists it, and it stops applying on its expiry date.",
    ]
    return "\n".join(parts).strip() + "\n"


def render_page(spec: Any, why: str) -> str:
    return f"# {spec.id}\n\n{GENERATED}\n\n" + page_body(spec, why)


def render_index(specs: Sequence[Any], packs: Mapping[str, Any]) -> str:
    lines = [
        "# Policies",
        "",
        GENERATED,
        "",
        "Every policy of obsgov's library, by pack. Each page says what the policy checks, why,",
        "how to fix a finding and which controls it maps to.",
    ]
    for pack in sorted({s.pack for s in specs}):
        description = getattr(packs.get(pack), "description", "")
        lines += ["", f"## {pack}", ""]
        if description:
            lines += [description, ""]
        lines += ["| policy | severity | what |", "|---|---|---|"]
        for spec in sorted((s for s in specs if s.pack == pack), key=lambda s: s.id):
            lines.append(
                f"| [{spec.id}]({spec.id}.md) | {spec.severity} | {_cell(spec.description)} |"
            )
    return "\n".join(lines) + "\n"


def _catalog() -> tuple[list[Any], dict[str, Any]]:
    from obsgov_policies.catalog import load_all, pack_table

    return sorted(load_all().values(), key=lambda s: s.id), dict(pack_table())


def expected_pages() -> dict[str, str]:
    """Every page the catalog calls for, by file name; a policy without a why is an error."""
    specs, packs = _catalog()
    why = load_why()
    missing = [s.id for s in specs if s.id not in why]
    if missing:
        raise ValueError(
            f"{WHY.name} has no entry for {', '.join(missing)}: say why each policy exists"
        )
    pages = {f"{s.id}.md": render_page(s, why[s.id]) for s in specs}
    pages[INDEX] = render_index(specs, packs)
    return pages


@functools.lru_cache(maxsize=256)
def help_markdown(policy_id: str) -> str | None:
    """The page body of ``policy_id`` for SARIF's ``help.markdown``; None for a policy that is
    not in obsgov's library (a third-party pack's)."""
    try:
        specs, _ = _catalog()
    except ImportError:
        return None
    why = load_why()
    for spec in specs:
        if spec.id == policy_id:
            return page_body(spec, why.get(spec.id, ""))
    return None


def stale_pages(folder: Path | None = None) -> list[str]:
    """What differs between ``folder`` (default: docs/policies) and the catalog: missing,
    stale and left-over pages."""
    folder = folder or PAGES
    expected = expected_pages()
    found = {p.name: p for p in folder.glob("*.md")} if folder.is_dir() else {}
    problems = []
    for name, text in sorted(expected.items()):
        if name not in found:
            problems.append(f"missing: {name}")
        elif found[name].read_text(encoding="utf-8") != text:
            problems.append(f"stale: {name}")
    problems += [f"left over: {name}" for name in sorted(set(found) - set(expected))]
    return problems


def write_pages(folder: Path | None = None) -> list[str]:
    from obsgov.io import write_atomic

    folder = folder or PAGES
    folder.mkdir(parents=True, exist_ok=True)
    expected = expected_pages()
    for name, text in expected.items():
        write_atomic(folder / name, text)
    removed = sorted(set(p.name for p in folder.glob("*.md")) - set(expected))
    for name in removed:
        (folder / name).unlink()
    return sorted(expected)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args not in ([], ["--check"]):
        print("usage: python -m obsgov.reports.policy_docs [--check]", file=sys.stderr)
        return 2
    if args == ["--check"]:
        problems = stale_pages()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: python -m obsgov.reports.policy_docs", file=sys.stderr)
        return 1 if problems else 0
    written = write_pages()
    print(f"wrote {len(written)} pages to {PAGES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
