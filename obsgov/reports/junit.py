"""JUnit XML as Jenkins-style consumers read it (the junit-10 dialect of Jenkins' xUnit plugin,
which GitLab, Azure DevOps and the GitHub test-report actions also parse).

One suite per pack, one test case per policy: a policy fails when it has a mandatory
violation, is skipped when disabled (or when its pack failed and judged nothing), and a pack
that fails to run is an ``error`` case. Names stay stable across versions: the class name is
``obsgov.<stack>.<pack>`` (no version, no dots inside a part, which reporters would read as
packages) and the case name is the policy. Every string passes :func:`clean_xml` first: one
ANSI colour code from a pack's output makes the whole document not well-formed.
"""

from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree as ET

from obsgov.gate.results import GateRun, PackResult, Remediation, Violation

from .common import clean_xml, pack_label, pack_name, resource_clause, sort_packs, sort_violations

MAX_NAMED_RESOURCES = 5  # in a failure's message attribute; the body lists them all
PACK_CASE = "policy-pack"


def _part(text: str) -> str:
    return clean_xml(text).replace(".", "-").replace(" ", "-") or "unnamed"


def classname(stack: str, pack: PackResult) -> str:
    return f"obsgov.{_part(stack)}.{_part(pack_name(pack))}"


def _element(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: clean_xml(v) for k, v in attrs.items()})
    if text is not None:
        element.text = clean_xml(text)
    return element


def _violation_line(v: Violation) -> str:
    clause = resource_clause(v)
    where = f" ({clause})" if clause else ""
    lines = [f"[{v.level}]{where} {v.detail or v.description}".rstrip(), f"    urn: {v.urn}"]
    return "\n".join(lines)


def _remediation_line(r: Remediation) -> str:
    change = ", ".join(sorted(r.changes)) or "nothing"
    return (
        f"[remediate] ({r.urn.rsplit('::', 1)[-1]}) {r.diagnostic or f'would change {change}'}"
        f"\n    urn: {r.urn}"
    )


def _failure_message(mandatory: list[Violation]) -> str:
    names: list[str] = []
    for v in mandatory:
        name = v.resource_name or v.urn
        if name not in names:
            names.append(name)
    shown = ", ".join(names[:MAX_NAMED_RESOURCES])
    hidden = len(names) - MAX_NAMED_RESOURCES
    more = f" and {hidden} more" if hidden > 0 else ""
    count = len(mandatory)
    return f"{count} mandatory violation{'' if count == 1 else 's'}: {shown}{more}"


def _suite(suites: ET.Element, run: GateRun, pack: PackResult) -> dict[str, int]:
    name = classname(run.graph.stack, pack)
    suite = _element(suites, "testsuite", name=name, time=f"{pack.seconds:.3f}")
    properties = _element(suite, "properties")
    _element(properties, "property", name="pack", value=pack_label(pack))
    _element(properties, "property", name="stack", value=run.graph.stack)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}

    by_policy: dict[str, list[Violation]] = defaultdict(list)
    for v in sort_violations(pack.violations):
        by_policy[v.policy].append(v)
    remediations: dict[str, list[Remediation]] = defaultdict(list)
    for r in pack.remediations:
        remediations[r.policy].append(r)

    if pack.error:
        case = _element(
            suite, "testcase", classname=name, name=PACK_CASE, time=f"{pack.seconds:.3f}"
        )
        _element(
            case, "error", pack.error, message="the policy pack failed to run", type="pack-error"
        )
        counts["tests"] += 1
        counts["errors"] += 1

    # Policies run inside one Analyze call per resource, so a policy's own time is not
    # observable; cases carry 0 and the suite carries the pack's time.
    described = [p.name for p in pack.policies]
    extra = [p for p in [*by_policy, *remediations] if p not in described]
    levels = {p.name: p.enforcement_level for p in pack.policies}
    for policy in [*described, *dict.fromkeys(extra)]:
        counts["tests"] += 1
        case = _element(suite, "testcase", classname=name, name=policy, time="0.000")
        if pack.error:
            _element(case, "skipped", message="not judged: the policy pack failed")
            counts["skipped"] += 1
            continue
        if levels.get(policy) == "disabled":
            _element(case, "skipped", message="disabled by the policy config")
            counts["skipped"] += 1
            continue
        found = by_policy.get(policy, [])
        mandatory = [v for v in found if v.level == "mandatory"]
        if mandatory:
            counts["failures"] += 1
            _element(
                case,
                "failure",
                "\n".join(_violation_line(v) for v in mandatory),
                message=_failure_message(mandatory),
                type="mandatory",
            )
        # Remediations and advisory findings pass, each labelled with its own level.
        notes = [_remediation_line(r) for r in remediations.get(policy, [])]
        notes += [_violation_line(v) for v in found if v.level != "mandatory"]
        if notes:
            _element(case, "system-out", "\n".join(notes))

    for key, value in counts.items():
        suite.set(key, str(value))
    return counts


def to_junit(run: GateRun) -> str:
    suites = ET.Element("testsuites", {"name": clean_xml(f"obsgov policy gate {run.graph.stack}")})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for pack in sort_packs(run.packs):
        for key, value in _suite(suites, run, pack).items():
            totals[key] += value
    for key, value in totals.items():
        suites.set(key, str(value))
    suites.set("time", f"{run.seconds:.3f}")
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True).decode("utf-8") + "\n"
