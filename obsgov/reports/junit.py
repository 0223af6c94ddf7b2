"""JUnit XML as Jenkins-style consumers read it (the junit-10 dialect of Jenkins' xUnit plugin,
which GitLab, Azure DevOps and the GitHub test-report actions also parse).

One suite per pack; one test case per policy and resource, as Checkov writes them, carrying the
``file`` and ``line`` of what caused the finding (the config value, registry entry or program
line; see :mod:`.locations`). A resource policy of obsgov's library has a case for every
resource it applies to (a pass is inferred as the compliance map infers it: the policy applies
to the type and the pack reported nothing); a policy the library does not know has a case per
resource it reported, or one passing case. A mandatory open finding fails its case; a
suppressed one, one in the baseline or one below ``--severity`` is skipped with the reason;
advisory findings and remediations pass, each labelled with its level in ``system-out``. A
policy disabled by config is one skipped case; a pack that fails to run is an ``error`` case
and its policies are skipped. Names stay stable across versions: the class name is
``obsgov.<stack>.<pack>`` (no version, no dots inside a part, which reporters would read as
packages) and the case name is ``<policy> (<type>: <resource>)``. Every string passes
:func:`clean_xml` first: one ANSI colour code from a pack's output makes the whole document not
well-formed.
"""

from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree as ET

from obsgov.gate.results import GateRun, PackResult, Remediation
from obsgov.graph import STACK_TYPE

from .common import clean_xml, display_type, pack_label, pack_name, resource_clause, sort_packs
from .findings import Finding, Review, review
from .locations import Locator, Place

PACK_CASE = "policy-pack"
CANNOT_RUN_IN_PREVIEW = "can't run policy "


def _part(text: str) -> str:
    return clean_xml(text).replace(".", "-").replace(" ", "-") or "unnamed"


def classname(stack: str, pack: PackResult) -> str:
    return f"obsgov.{_part(stack)}.{_part(pack_name(pack))}"


def _element(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: clean_xml(v) for k, v in attrs.items()})
    if text is not None:
        element.text = clean_xml(text)
    return element


def _violation_line(finding: Finding, checked: Review) -> str:
    v = finding.violation
    clause = resource_clause(v)
    where = f" ({clause})" if clause else ""
    lines = [f"[{v.level}]{where} {v.detail or v.description}".rstrip(), f"    urn: {v.urn}"]
    for place in finding.located.places:
        lines.append(f"    at {place.shown(checked.root)} ({place.label})")
    return "\n".join(lines)


def _remediation_line(r: Remediation) -> str:
    change = ", ".join(sorted(r.changes)) or "nothing"
    return (
        f"[remediate] ({r.urn.rsplit('::', 1)[-1]}) {r.diagnostic or f'would change {change}'}"
        f"\n    urn: {r.urn}"
    )


def _skip_reason(finding: Finding) -> str:
    if finding.suppression is not None:
        s = finding.suppression
        return f"suppressed until {s.expires.isoformat()}: {s.reason}"
    if finding.status == "baseline":
        return "in the baseline"
    return f"below the severity threshold ({finding.violation.severity})"


class _Suite:
    def __init__(self, suites: ET.Element, run: GateRun, pack: PackResult, checked: Review):
        self.run, self.pack, self.checked = run, pack, checked
        self.name = classname(run.graph.stack, pack)
        self.suite = _element(suites, "testsuite", name=self.name, time=f"{pack.seconds:.3f}")
        properties = _element(self.suite, "properties")
        _element(properties, "property", name="pack", value=pack_label(pack))
        _element(properties, "property", name="stack", value=run.graph.stack)
        self.counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        self.locator = Locator(checked.sources, run.graph)

    def case(self, name: str, place: Place | None = None) -> ET.Element:
        # Policies run inside one Analyze call per resource, so a policy's own time is not
        # observable; cases carry 0 and the suite carries the pack's time.
        self.counts["tests"] += 1
        attrs = {"classname": self.name, "name": name, "time": "0.000"}
        if place is not None:
            attrs["file"] = place.shown(self.checked.root).rsplit(":", 1)[0]
            attrs["line"] = str(place.region.start_line)
        return _element(self.suite, "testcase", **attrs)

    def skip(self, case: ET.Element, message: str) -> None:
        _element(case, "skipped", message=message)
        self.counts["skipped"] += 1

    def resource_case(
        self,
        policy: str,
        urn: str,
        findings: list[Finding],
        remediations: list[Remediation],
    ) -> None:
        resource = self.run.graph.get(urn)
        if resource is not None:
            label = f"{policy} ({display_type(resource.type)}: {resource.name})"
        else:
            label = f"{policy} ({urn.rsplit('::', 1)[-1]})" if urn else policy
        place = findings[0].located.primary if findings else self.locator.locate(urn).primary
        case = self.case(label, place)
        blocking = [f for f in findings if f.blocking]
        accepted = [f for f in findings if f.status != "open"]
        not_judged = [f for f in findings if f.violation.message.startswith(CANNOT_RUN_IN_PREVIEW)]
        if blocking:
            self.counts["failures"] += 1
            count = len(blocking)
            _element(
                case,
                "failure",
                "\n".join(_violation_line(f, self.checked) for f in blocking),
                message=f"{count} mandatory violation{'' if count == 1 else 's'}: "
                + (blocking[0].violation.detail or blocking[0].violation.description).split("\n")[
                    0
                ],
                type="mandatory",
            )
        elif accepted and len(accepted) == len(findings):
            self.skip(case, _skip_reason(accepted[0]))
        elif not_judged and len(not_judged) == len(findings):
            self.skip(case, "not judged: values unknown in preview")
        notes = [_remediation_line(r) for r in remediations]
        notes += [
            _violation_line(f, self.checked)
            for f in findings
            if not f.blocking and f.status == "open"
        ]
        if notes:
            _element(case, "system-out", "\n".join(notes))

    def write(self) -> dict[str, int]:
        pack, checked = self.pack, self.checked
        if pack.error:
            case = self.case(PACK_CASE)
            _element(
                case,
                "error",
                pack.error,
                message="the policy pack failed to run",
                type="pack-error",
            )
            self.counts["errors"] += 1
        by_policy: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
        for finding in checked.of_pack(pack_name(pack)):
            if finding.shown:
                by_policy[finding.violation.policy][finding.violation.urn].append(finding)
        below = {
            (f.violation.policy, f.violation.urn)
            for f in checked.of_pack(pack_name(pack))
            if not f.shown
        }
        remediations: dict[str, dict[str, list[Remediation]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for r in pack.remediations:
            remediations[r.policy][r.urn].append(r)
        described = {p.name: p for p in pack.policies}
        extra = [p for p in [*by_policy, *remediations] if p not in described]
        for policy in [*described, *dict.fromkeys(extra)]:
            meta = described.get(policy)
            if pack.error:
                self.skip(self.case(policy), "not judged: the policy pack failed")
                continue
            if meta is not None and meta.enforcement_level == "disabled":
                self.skip(self.case(policy), "disabled by the policy config")
                continue
            urns = list(by_policy[policy]) + [
                u for u in remediations[policy] if u not in by_policy[policy]
            ]
            library = pack_name(pack).startswith("obsgov-")
            resource_policy = meta is None or meta.policy_type == "resource"
            applies = _applicability(policy) if library and resource_policy else None
            if applies is not None:
                urns += [
                    r.urn
                    for r in self.run.graph.resources
                    if r.custom
                    and not r.is_provider
                    and r.type != STACK_TYPE
                    and applies(r.type)
                    and r.urn not in urns
                    and (policy, r.urn) not in below
                ]
            if not urns:
                self.case(policy)  # judged the stack and found nothing
                continue
            for urn in sorted(urns, key=lambda u: (u not in by_policy[policy], u)):
                self.resource_case(
                    policy, urn, by_policy[policy].get(urn, []), remediations[policy].get(urn, [])
                )
        for key, value in self.counts.items():
            self.suite.set(key, str(value))
        return self.counts


def _applicability(policy: str):
    from obsgov.environment_report.outcomes import library_applicability

    try:
        return library_applicability(policy)
    except ImportError:
        return None


def to_junit(run: GateRun, checked: Review | None = None) -> str:
    checked = checked or review(run)
    suites = ET.Element("testsuites", {"name": clean_xml(f"obsgov policy gate {run.graph.stack}")})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for pack in sort_packs(run.packs):
        for key, value in _Suite(suites, run, pack, checked).write().items():
            totals[key] += value
    for key, value in totals.items():
        suites.set(key, str(value))
    suites.set("time", f"{run.seconds:.3f}")
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True).decode("utf-8") + "\n"
