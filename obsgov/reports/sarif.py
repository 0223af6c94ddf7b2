"""SARIF 2.1.0 for GitHub code scanning.

Written to GitHub's documented subset ("SARIF support for code scanning"):

- every result has a rule (pack errors too), a level, one location relative to the
  repository root with a full region, and ``partialFingerprints.primaryLocationLineHash``;
- the hash is ours, per (rule, resource URN, occurrence): the upload action only computes one
  when it is missing, from the text of the result's first line
  (github/codeql-action src/fingerprints.ts), so every result on one registry entry would
  share it and code scanning would fold them into one alert;
- ``security-severity`` only on security rules (it makes a result a security alert),
  ``problem.severity`` on the others; at most ten tags per rule (the rest are not shown);
- ``runs[].automationDetails.id`` is ``obsgov/<stack>/`` (``obsgov/<project>/<stack>/`` for
  a team's project), so the uploads for several environments or projects of one commit are
  separate analyses instead of replacing each other.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import Any

from obsgov import __version__
from obsgov.environment_report.compliance import policy_controls
from obsgov.gate.results import GateRun, PackResult, PolicyMeta

from .common import (
    clean_text,
    display_type,
    pack_name,
    resource_clause,
    sort_packs,
)
from .findings import Finding, Review, review
from .locations import Artifacts, Located, Locator, Place, Region, SourceFiles

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "obsgov-policy-gate"

RESULT_LEVEL = {"mandatory": "error", "remediate": "error", "advisory": "warning"}
# GitHub's scale: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
PROBLEM_SEVERITY = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "recommendation",
    "": "warning",
}
MAX_TAGS = 10  # code scanning shows ten per rule and rejects a file with more than twenty
MAX_DESCRIPTION = 1024
MAX_NAME = 255
PACK_ERROR = "pack-error"


def _limit(text: str, limit: int) -> str:
    text = clean_text(text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_security_rule(pack: str, policy: PolicyMeta) -> bool:
    """A rule about security: its pack is named for security (``security-baseline``) or the
    policy is tagged ``security``. A control of a security standard is not enough: the
    observability rules map to AWS Foundational Security Best Practices controls (alarm
    actions, log retention) and are still quality findings, as tagging rules are."""
    return "security" in re.split(r"[^a-z]+", pack.lower()) or any(
        str(tag).strip().lower() == "security" for tag in policy.tags
    )


def _tags(pack: str, policy: PolicyMeta, security: bool) -> list[str]:
    tags: list[str] = []
    for tag in (["security"] if security else []) + [pack, *policy.tags, "pulumi-policy"]:
        tag = clean_text(str(tag)).strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def _rule(pack: str, policy: PolicyMeta) -> dict[str, Any]:
    security = is_security_rule(pack, policy)
    description = _limit(policy.description or policy.name, MAX_DESCRIPTION)
    properties: dict[str, Any] = {
        "tags": _tags(pack, policy, security),
        "problem.severity": PROBLEM_SEVERITY.get(policy.severity, "warning"),
        "precision": "very-high",  # a policy judges the resource itself; no heuristics
    }
    if security and policy.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[policy.severity]
    if policy.framework:
        properties["framework"] = policy.framework
    controls = policy_controls(policy.tags, (policy.framework or {}).get("specification", ""))
    if controls:  # every control, grouped by its framework (the framework field names one)
        grouped: dict[str, list[str]] = {}
        for control in controls:
            grouped.setdefault(control.framework, []).append(control.control)
        properties["controls"] = grouped
    if policy.enforcement_level == "disabled":
        # "none" is not a level code scanning accepts; SARIF says so with enabled: false.
        configuration: dict[str, Any] = {"enabled": False, "level": "note"}
    else:
        configuration = {"level": RESULT_LEVEL.get(policy.enforcement_level, "warning")}
    rule: dict[str, Any] = {
        "id": f"{pack}/{policy.name}",
        "name": _limit(policy.name, MAX_NAME),
        "shortDescription": {"text": description},
        "fullDescription": {"text": description},
        # help.text is required; third-party packs often have no remediation steps
        "help": {
            "text": clean_text(
                policy.remediation_steps or policy.description or policy.name
            ).strip()
        },
        "defaultConfiguration": configuration,
        "properties": properties,
    }
    # obsgov's own policies link their generated page and carry its text, which code
    # scanning shows beside the alert; a third-party pack's policy keeps its own URL
    from .policy_docs import docs_url, help_markdown  # not at import: it runs as a script

    markdown = help_markdown(policy.name) if pack.startswith("obsgov-") else None
    if markdown is not None:
        rule["help"]["markdown"] = markdown
        rule["helpUri"] = docs_url(policy.name)
    if policy.url:
        rule["helpUri"] = policy.url
    return rule


def _pack_error_rule(pack: str) -> dict[str, Any]:
    text = f"The policy pack {pack} could not judge the stack."
    return {
        "id": f"{pack}/{PACK_ERROR}",
        "name": PACK_ERROR,
        "shortDescription": {"text": text},
        "fullDescription": {
            "text": text + " The gate fails closed: no policy of the pack was applied."
        },
        "help": {
            "text": "Run the gate locally and read the pack's error output; fix the "
            "pack or its config."
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": [pack, "pulumi-policy", PACK_ERROR],
            "problem.severity": "error",
            "precision": "very-high",
        },
    }


def fingerprint(kind: str, rule_id: str, urn: str, occurrence: int) -> str:
    """Stable across runs and unique per result: it names what the result is about, never
    where it is printed, so moving a registry entry keeps its alerts."""
    digest = hashlib.sha256("\0".join((kind, rule_id, urn)).encode("utf-8")).hexdigest()
    return f"{digest[:16]}:{occurrence}"


class _Builder:
    def __init__(self, run: GateRun, checked: Review):
        self.run = run
        self.review = checked
        self.artifacts = Artifacts(checked.sources.anchor)
        self.locator = Locator(checked.sources, run.graph)
        self.rules: list[dict[str, Any]] = []
        self.index: dict[str, int] = {}
        self.results: list[dict[str, Any]] = []
        self.seen: Counter[tuple[str, str, str]] = Counter()

    def add_rule(self, rule: dict[str, Any]) -> None:
        if rule["id"] not in self.index:
            self.index[rule["id"]] = len(self.rules)
            self.rules.append(rule)

    def physical(self, place: Place) -> dict[str, Any]:
        return {
            "artifactLocation": self.artifacts.location(place.path),
            "region": place.region.to_sarif(),
        }

    def location(self, place: Place | None, urn: str = "", name: str = "") -> dict[str, Any]:
        location: dict[str, Any] = {}
        if place is not None:
            location["physicalLocation"] = self.physical(place)
        if urn:
            location["logicalLocations"] = [
                {"name": name, "fullyQualifiedName": urn, "kind": "resource"}
            ]
        return location

    def related(self, located: Located) -> list[dict[str, Any]]:
        """The other causes of the finding, each with what it is (``message``)."""
        return [
            {
                "id": i,
                "physicalLocation": self.physical(place),
                "message": {"text": clean_text(place.label)},
            }
            for i, place in enumerate(located.related, 1)
        ]

    def result(
        self,
        kind: str,
        rule_id: str,
        level: str,
        text: str,
        urn: str,
        location: dict[str, Any],
        located: Located | None = None,
    ) -> dict[str, Any]:
        self.seen[(kind, rule_id, urn)] += 1
        result: dict[str, Any] = {
            "ruleId": rule_id,
            "ruleIndex": self.index[rule_id],
            "level": level,
            "message": {"text": clean_text(text).strip() or rule_id},
            "locations": [location] if location else [],
            "partialFingerprints": {
                "primaryLocationLineHash": fingerprint(
                    kind, rule_id, urn, self.seen[(kind, rule_id, urn)]
                ),
            },
        }
        if located is not None and located.related:
            result["relatedLocations"] = self.related(located)
        if kind == "remediation":
            result["kind"] = "informational"
        self.results.append(result)
        return result

    def violation(self, finding: Finding) -> None:
        pack, v = finding.pack, finding.violation
        rule_id = f"{pack}/{v.policy}"
        if rule_id not in self.index:  # a policy the pack did not describe
            self.add_rule(
                _rule(
                    pack,
                    PolicyMeta(
                        name=v.policy,
                        description=v.description,
                        enforcement_level=v.level,
                        severity=v.severity,
                        policy_type="resource",
                    ),
                )
            )
        clause = resource_clause(v)
        text = f"{v.detail or v.description} ({clause})" if clause else (v.detail or v.description)
        level = RESULT_LEVEL.get(v.level, "warning")
        if finding.status in ("suppressed", "baseline"):
            level = "note"  # accepted: shown, never an error
        if finding.expired is not None and finding.status == "open":
            text += f" [suppression expired on {finding.expired.expires.isoformat()}]"
        result = self.result(
            "violation",
            rule_id,
            level,
            text,
            v.urn,
            self.location(finding.located.primary, v.urn, v.resource_name),
            finding.located,
        )
        if finding.suppression is not None:
            rule = finding.suppression
            where = f" ({rule.place.shown(self.artifacts.root)})" if rule.place else ""
            result["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": clean_text(
                        f"{rule.reason} (until {rule.expires.isoformat()}){where}"
                    ),
                }
            ]
        elif finding.status == "baseline":
            result["baselineState"] = "unchanged"
        elif self.review.baseline is not None:
            result["baselineState"] = "new"

    def pack(self, pack: PackResult) -> None:
        name = pack_name(pack)
        for policy in pack.policies:
            self.add_rule(_rule(name, policy))
        for finding in self.review.of_pack(name):
            if finding.shown:
                self.violation(finding)
        for r in sorted(pack.remediations, key=lambda r: (r.policy, r.urn)):
            rule_id = f"{name}/{r.policy}"
            if rule_id not in self.index:
                self.add_rule(
                    _rule(
                        name,
                        PolicyMeta(
                            name=r.policy,
                            description=r.policy,
                            enforcement_level="remediate",
                            severity="",
                            policy_type="resource",
                        ),
                    )
                )
            resource = self.run.graph.get(r.urn)
            resource_name = resource.name if resource else r.urn.rsplit("::", 1)[-1]
            clause = (
                f"{display_type(resource.type)}: {resource_name}" if resource else resource_name
            )
            change = ", ".join(sorted(r.changes)) or "nothing"
            note = r.diagnostic or f"remediation would change {change}"
            located = self.locator.locate(r.urn)
            self.result(
                "remediation",
                rule_id,
                "note",
                f"{note} ({clause})",
                r.urn,
                self.location(located.primary, r.urn, resource_name),
                located,
            )
        if pack.error:
            self.add_rule(_pack_error_rule(name))
            manifest = pack.project.directory / "PulumiPolicy.yaml"
            self.result(
                "pack-error",
                f"{name}/{PACK_ERROR}",
                "error",
                f"policy pack {name} failed: {pack.error}",
                "",
                self.location(Place(manifest, Region(1, 1, 1, 1), "policy pack")),
            )


def _analysis_id(run: GateRun) -> str:
    if run.graph.project in ("obsgov", ""):
        return f"obsgov/{run.graph.stack}/"
    return f"obsgov/{run.graph.project}/{run.graph.stack}/"


def to_sarif(
    run: GateRun, sources: SourceFiles | Path | None = None, checked: Review | None = None
) -> dict[str, Any]:
    """One SARIF run; results point at the line that caused each finding among ``sources``
    (the environment's files, a team's project, or a state file), with URIs relative to the
    repository root; ``checked`` carries suppressions and the baseline."""
    checked = checked or review(run, sources)
    builder = _Builder(run, checked)
    for pack in sort_packs(run.packs):
        builder.pack(pack)
    sarif_run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": "https://www.pulumi.com/docs/iac/crossguard/",
                "rules": builder.rules,
            }
        },
        "automationDetails": {"id": _analysis_id(run)},
        "columnKind": "unicodeCodePoints",
        "results": builder.results,
    }
    base_ids = builder.artifacts.base_ids()
    if base_ids:
        sarif_run["originalUriBaseIds"] = base_ids
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [sarif_run]}
