"""Reports of a gate run: the Pulumi CLI's ``Policies:`` block, JSON, SARIF 2.1.0 and JUnit XML."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Optional
from xml.etree import ElementTree as ET

from rich import box
from rich.console import Console
from rich.table import Table

from obsgov import __version__
from obsgov.config.loader import display_path
from obsgov.files import write_atomic

from .results import GateRun, PackResult, Violation

_LEVEL_ORDER = {"mandatory": 0, "remediate": 1, "advisory": 2, "disabled": 3}
_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "": 4}
_ICONS = {"failed": "❌", "warnings": "⚠️", "passed": "✅"}


def display_type(token: str) -> str:
    """``aws:sns/topic:Topic`` -> ``aws:sns:Topic``, as the CLI's Type.DisplayName does."""
    parts = token.split(":")
    if len(parts) == 3:
        return f"{parts[0]}:{parts[1].split('/')[0]}:{parts[2]}"
    return token


def sort_violations(violations: list[Violation]) -> list[Violation]:
    return sorted(violations, key=lambda v: (
        _LEVEL_ORDER.get(v.level, 9), _SEVERITY_ORDER.get(v.severity, 9), v.policy, v.urn, v.message,
    ))


def _pack_label(pack: PackResult) -> str:
    name = pack.name or pack.project.directory.name
    version = f"@v{pack.version}" if pack.version else ""
    return f"{name}{version}"


def render_text(run: GateRun, console: Console) -> None:
    console.print("Policies:")
    for pack in run.packs:
        console.print(
            f"    {_ICONS[pack.status]} {_pack_label(pack)} (local: {display_path(pack.project.directory)})"
        )
        if pack.error:
            for i, line in enumerate(pack.error.splitlines()):
                console.print(f"        {'error: ' if i == 0 else ''}{line}", markup=False)
            continue
        for v in sort_violations(pack.violations):
            severity = f" [severity: {v.severity}]" if v.severity else ""
            console.print(
                f"        - [{v.level}]{severity}  {v.policy}  "
                f"({display_type(v.resource_type)}: {v.resource_name})", markup=False,
            )
            for line in v.message.splitlines():
                console.print(f"          {line}", markup=False)
        for r in pack.remediations:
            change = json.dumps(r.changes, sort_keys=True)
            note = r.diagnostic or f"would change {change}"
            console.print(f"        - [remediate]  {r.policy}  ({r.urn.rsplit('::', 1)[-1]}): {note}",
                          markup=False)

    # compact enough for the 80 columns CI logs get (versions are in the Policies block)
    table = Table(title="Policy gate summary", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("pack", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for column in ("mandatory", "advisory", "remediate", "secs"):
        table.add_column(column, justify="right", no_wrap=True)
    for pack in run.packs:
        table.add_row(
            pack.name or pack.project.directory.name, "error" if pack.error else pack.status,
            str(len(pack.mandatory)), str(len(pack.advisory)), str(len(pack.remediations)),
            f"{pack.seconds:.2f}",
        )
    console.print(table)
    verdict = "[bold red]FAILED[/bold red]" if run.failed else "[bold green]PASSED[/bold green]"
    console.print(
        f"{verdict}: {len(run.graph)} resources of {run.graph.project}/{run.graph.stack} judged by "
        f"{len(run.packs)} packs in {run.seconds:.2f}s"
    )


# --------------------------------------------------------------------------- JSON


def to_json(run: GateRun) -> dict[str, Any]:
    return {
        "project": run.graph.project,
        "stack": run.graph.stack,
        "preview": run.graph.preview,
        "resources": len(run.graph),
        "failed": run.failed,
        "packs": [
            {
                "name": p.name or p.project.directory.name,
                "version": p.version,
                "path": display_path(p.project.directory),
                "status": "error" if p.error else p.status,
                "error": p.error,
                "config": p.config,
                "violations": [
                    {
                        "policy": v.policy, "level": v.level, "severity": v.severity,
                        "urn": v.urn, "type": v.resource_type, "name": v.resource_name,
                        "description": v.description, "message": v.detail, "phase": v.phase,
                    }
                    for v in sort_violations(p.violations)
                ],
                "remediations": [
                    {"policy": r.policy, "urn": r.urn, "changes": r.changes,
                     "diagnostic": r.diagnostic}
                    for r in p.remediations
                ],
                "notApplicable": p.not_applicable,
            }
            for p in run.packs
        ],
    }


# --------------------------------------------------------------------------- SARIF

_SARIF_LEVEL = {"mandatory": "error", "remediate": "error", "advisory": "warning"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def _resource_line(text_lines: list[str], names: list[str]) -> int:
    """The first line of the location file that mentions the resource (its account or
    component name), so code scanning points near the config that produced it."""
    for name in names:
        pattern = re.compile(rf"\b{re.escape(name)}\b")
        for i, line in enumerate(text_lines, 1):
            if pattern.search(line):
                return i
    return 1


def _names_for(run: GateRun, violation: Violation) -> list[str]:
    resource = run.graph.get(violation.urn)
    names = [violation.resource_name]
    if resource is not None:
        component = run.graph.component_of(resource)
        if component is not None:
            names.insert(0, component.name)
        if resource.account and resource.account in run.graph.accounts:
            names.append(run.graph.accounts[resource.account])
    return names


def to_sarif(run: GateRun, location_file: Optional[Path] = None) -> dict[str, Any]:
    """SARIF 2.1.0 for GitHub code scanning: one run, rules from every pack's policies."""
    artifact = display_path(location_file) if location_file else f"stacks/Pulumi.{run.graph.stack}.yaml"
    lines = location_file.read_text().splitlines() if location_file and location_file.exists() else []
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for pack in run.packs:
        for policy in pack.policies:
            rule_id = f"{pack.name}/{policy.name}"
            if rule_id in index:
                continue
            index[rule_id] = len(rules)
            properties: dict[str, Any] = {"tags": ["pulumi-policy", pack.name, *policy.tags]}
            if policy.severity in _SECURITY_SEVERITY:
                properties["security-severity"] = _SECURITY_SEVERITY[policy.severity]
            if policy.framework:
                properties["framework"] = policy.framework
            rule: dict[str, Any] = {
                "id": rule_id,
                "name": policy.name,
                "shortDescription": {"text": policy.description},
                "fullDescription": {"text": policy.description},
                "defaultConfiguration": {
                    "level": _SARIF_LEVEL.get(policy.enforcement_level, "none")},
                "properties": properties,
            }
            if policy.remediation_steps:
                rule["help"] = {"text": policy.remediation_steps}
            if policy.url:
                rule["helpUri"] = policy.url
            rules.append(rule)

    results = []
    for pack in run.packs:
        for v in sort_violations(pack.violations):
            rule_id = f"{pack.name}/{v.policy}"
            result: dict[str, Any] = {
                "ruleId": rule_id,
                "level": _SARIF_LEVEL.get(v.level, "note"),
                "message": {"text": f"{v.detail} ({display_type(v.resource_type)}: {v.resource_name})"},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact},
                        "region": {"startLine": _resource_line(lines, _names_for(run, v))},
                    },
                    "logicalLocations": [{
                        "name": v.resource_name, "fullyQualifiedName": v.urn, "kind": "resource",
                    }],
                }],
                "partialFingerprints": {"pulumiUrnPolicy/v1": f"{v.urn}|{v.policy}"},
            }
            if rule_id in index:
                result["ruleIndex"] = index[rule_id]
            results.append(result)
        if pack.error:
            results.append({
                "ruleId": f"{pack.name or pack.project.directory.name}/pack-error",
                "level": "error",
                "message": {"text": pack.error},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": artifact}}}],
            })
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "obsgov-policy-gate",
                "version": __version__,
                "informationUri": "https://www.pulumi.com/docs/iac/crossguard/",
                "rules": rules,
            }},
            "results": results,
        }],
    }


# --------------------------------------------------------------------------- JUnit


def to_junit(run: GateRun) -> str:
    suites = ET.Element("testsuites", name=f"obsgov policy gate {run.graph.stack}")
    total_tests = total_failures = 0
    for pack in run.packs:
        failures = {}
        for v in pack.violations:
            failures.setdefault(v.policy, []).append(v)
        suite = ET.SubElement(suites, "testsuite", name=_pack_label(pack),
                              time=f"{pack.seconds:.3f}")
        tests = fails = errors = 0
        if pack.error:
            case = ET.SubElement(suite, "testcase", classname=_pack_label(pack), name="pack")
            ET.SubElement(case, "error", message="policy pack failed").text = pack.error
            errors += 1
            tests += 1
        for policy in pack.policies:
            tests += 1
            case = ET.SubElement(suite, "testcase", classname=_pack_label(pack), name=policy.name)
            found = failures.get(policy.name, [])
            if policy.enforcement_level == "disabled":
                ET.SubElement(case, "skipped", message="disabled")
                continue
            mandatory = [v for v in found if v.level == "mandatory"]
            if mandatory:
                fails += 1
                failure = ET.SubElement(case, "failure", message=f"{len(mandatory)} mandatory violation(s)",
                                        type="mandatory")
                failure.text = "\n".join(f"{v.urn}: {v.detail}" for v in mandatory)
            advisory = [v for v in found if v.level != "mandatory"]
            if advisory:
                ET.SubElement(case, "system-out").text = "\n".join(
                    f"[advisory] {v.urn}: {v.detail}" for v in advisory)
        suite.set("tests", str(tests))
        suite.set("failures", str(fails))
        suite.set("errors", str(errors))
        total_tests += tests
        total_failures += fails
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write_report(run: GateRun, fmt: str, output: Path, location_file: Optional[Path]) -> None:
    if fmt == "json":
        text = json.dumps(to_json(run), indent=2, sort_keys=True) + "\n"
    elif fmt == "sarif":
        text = json.dumps(to_sarif(run, location_file), indent=2) + "\n"
    elif fmt == "junit":
        text = to_junit(run)
    else:
        raise ValueError(fmt)
    write_atomic(output, text)
