"""Suppressions with a reason and an expiry date, a baseline, a severity threshold: what each
does to the verdict, and that every output (text, JSON, SARIF, JUnit) says so.

Runs are built here (no packs started) on a small graph and registry written per test; the
instant is always passed in, never read from the clock.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
from lxml import etree
from rich.console import Console

from obsgov.errors import InputError
from obsgov.gate.project import PolicyPackProject
from obsgov.gate.results import GateRun, PackResult, PolicyMeta, Violation
from obsgov.graph import GraphResource, ResourceGraph
from obsgov.reports import render_text, review, to_json, to_junit, to_sarif
from obsgov.reports.common import clean_text, clean_xml
from obsgov.reports.findings import (
    Suppression,
    baseline_text,
    read_baseline,
    stack_suppressions,
)
from obsgov.reports.locations import SourceFiles

from .conftest import ROOT, cli

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
KEY = "aws:kms/key:Key"
STACK = "pulumi:pulumi:Stack"
DAY = dt.date(2027, 3, 31)
TEAMS = ROOT / "tests" / "fixtures" / "team_projects"

REGISTRY = """\
# the registry: a comment first, as the real one has
accounts:
  - id: "400000000001"
    name: ml-serving-prod
  - id: "400000000002"
    name: data-platform-prod
workloads:
  - kind: ml-endpoint
    name: fraud-scoring-prod
    account: ml-serving-prod
    slo:
      latencyP99Ms: 120
"""
STACK_FILE = """\
# prod
config:
  aws:region: eu-west-1
  obsgov:logRetentionDays: 30
"""


def urn(kind: str, name: str) -> str:
    return f"urn:pulumi:prod::obsgov::{kind}::{name}"


RESOURCES = {
    "latency": GraphResource(
        urn=urn(ALARM, "ml-serving-prod-fraud-scoring-prod-p99"),
        type=ALARM,
        name="ml-serving-prod-fraud-scoring-prod-p99",
        custom=True,
        account="400000000001",
        inputs={"threshold": 120, "alarmName": "obsgov-prod-fraud-scoring-prod-p99"},
    ),
    "key": GraphResource(
        urn=urn(KEY, "data-platform-prod-key"),
        type=KEY,
        name="data-platform-prod-key",
        custom=True,
        account="400000000002",
    ),
    "stack": GraphResource(
        urn=urn(STACK, "obsgov-prod"), type=STACK, name="obsgov-prod", custom=False
    ),
}


def violation(
    resource: str, policy: str, level: str = "mandatory", severity: str = "high", message: str = ""
) -> Violation:
    r = RESOURCES[resource]
    return Violation(
        pack="p",
        pack_version="1.0.0",
        policy=policy,
        description=f"{policy} holds.",
        message=f"{policy} holds.\n{message or 'it does not'}",
        level=level,
        severity=severity,
        urn=r.urn,
        resource_type=r.type,
        resource_name=r.name,
        phase="analyze",
    )


def make_run(tmp_path: Path, *violations: Violation) -> tuple[GateRun, SourceFiles]:
    stacks = tmp_path / "stacks"
    stacks.mkdir(exist_ok=True)
    (tmp_path / ".git").mkdir(exist_ok=True)
    (stacks / "accounts.yaml").write_text(REGISTRY)
    (stacks / "Pulumi.prod.yaml").write_text(STACK_FILE)
    graph = ResourceGraph(
        project="obsgov",
        stack="prod",
        preview=True,
        resources=list(RESOURCES.values()),
        accounts={"400000000001": "ml-serving-prod", "400000000002": "data-platform-prod"},
    )
    pack = PackResult(
        project=PolicyPackProject(directory=tmp_path / "pack", runtime="python"),
        name="p",
        version="1.0.0",
        policies=[
            PolicyMeta(
                name=v.policy,
                description=v.description,
                enforcement_level=v.level,
                severity=v.severity,
                policy_type="resource",
            )
            for v in {v.policy: v for v in violations}.values()
        ],
        violations=list(violations),
    )
    sources = SourceFiles(
        config=[stacks / "Pulumi.prod.yaml"],
        registry=stacks / "accounts.yaml",
        stack_file=stacks / "Pulumi.prod.yaml",
    )
    return GateRun(graph=graph, packs=[pack], seconds=0.1), sources


def rule(
    policy: str, resource: str = "", expires: dt.date = DAY, scope: str = "stack"
) -> Suppression:
    return Suppression(
        policy, resource, "accepted by the platform team until the migration", expires, scope
    )


def text_of(run, checked, **options) -> str:
    buffer = io.StringIO()
    render_text(
        run, Console(file=buffer, width=80, highlight=False, soft_wrap=True), checked, **options
    )
    return buffer.getvalue()


# --------------------------------------------------------------------------- suppressions


def test_a_suppression_holds_through_its_expiry_day_and_not_a_day_longer(tmp_path):
    run, sources = make_run(tmp_path, violation("latency", "alarm-runbook"))
    suppressions = [rule("alarm-runbook")]
    on_the_day = review(run, sources, today=DAY, suppressions=suppressions)
    assert [f.status for f in on_the_day.findings] == ["suppressed"]
    assert not on_the_day.failed
    after = review(run, sources, today=DAY + dt.timedelta(days=1), suppressions=suppressions)
    assert [f.status for f in after.findings] == ["open"]
    assert after.findings[0].expired == suppressions[0]
    assert after.failed
    assert after.expired == suppressions


def test_suppressions_need_the_date_they_are_judged_on(tmp_path):
    run, sources = make_run(tmp_path, violation("latency", "alarm-runbook"))
    with pytest.raises(ValueError, match="need the date"):
        review(run, sources, suppressions=[rule("alarm-runbook")])


@pytest.mark.parametrize(
    ("suppression", "covered"),
    [
        (rule("alarm-runbook"), {"latency"}),
        (rule("alarm-runbook", "*-p99"), {"latency"}),
        (rule("alarm-runbook", "data-*"), set()),
        (
            rule("p/alarm-runbook", urn(ALARM, "ml-serving-prod-fraud-scoring-prod-p99")),
            {"latency"},
        ),
        (rule("alarm-runbook", scope="workload fraud-scoring-prod"), {"latency"}),
        (rule("key-rotation", scope="workload fraud-scoring-prod"), set()),
        (rule("key-rotation", scope="account data-platform-prod"), {"key"}),
        (rule("key-rotation", scope="account ml-serving-prod"), set()),
        (rule("other-policy"), set()),
    ],
)
def test_a_suppression_covers_its_policy_scope_and_resources(tmp_path, suppression, covered):
    run, sources = make_run(
        tmp_path, violation("latency", "alarm-runbook"), violation("key", "key-rotation")
    )
    checked = review(run, sources, today=DAY, suppressions=[suppression])
    found = {
        name
        for f in checked.findings
        if f.status == "suppressed"
        for name, r in RESOURCES.items()
        if r.urn == f.violation.urn
    }
    assert found == covered
    assert checked.unused == ([] if covered else [suppression])


def test_every_output_lists_the_suppressed_finding_with_its_reason(tmp_path):
    run, sources = make_run(tmp_path, violation("latency", "alarm-runbook"))
    checked = review(run, sources, today=DAY, suppressions=[rule("alarm-runbook")])
    text = text_of(run, checked)
    assert "[mandatory, suppressed]" in text
    assert "suppressed until 2027-03-31: accepted by the platform team until the" in text
    assert "PASSED" in text
    assert "Not counted: 1 suppressed." in text
    data = to_json(run, checked)
    found = data["packs"][0]["violations"][0]
    assert (found["status"], found["suppression"]["expires"]) == ("suppressed", "2027-03-31")
    assert data["failed"] is False
    assert data["counts"]["suppressed"] == 1
    result = to_sarif(run, checked=checked)["runs"][0]["results"][0]
    assert result["level"] == "note"
    assert result["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "accepted by the platform team until the migration (until 2027-03-31)",
        }
    ]
    junit = etree.fromstring(to_junit(run, checked).encode())
    [case] = junit.iter("testcase")
    assert case.find("skipped").get("message") == (
        "suppressed until 2027-03-31: accepted by the platform team until the migration"
    )


def test_every_output_says_a_suppression_expired(tmp_path):
    run, sources = make_run(tmp_path, violation("latency", "alarm-runbook"))
    later = DAY + dt.timedelta(days=1)
    checked = review(run, sources, today=later, suppressions=[rule("alarm-runbook")])
    text = text_of(run, checked)
    assert "its suppression expired on 2027-03-31: it counts again" in text
    assert "warning: suppression of alarm-runbook on every resource expired on 2027-03-31" in text
    assert "FAILED" in text
    data = to_json(run, checked)
    assert data["packs"][0]["violations"][0]["expiredSuppression"]["expires"] == "2027-03-31"
    assert data["suppressions"][0]["expired"] is True
    result = to_sarif(run, checked=checked)["runs"][0]["results"][0]
    assert result["level"] == "error"
    assert "suppressions" not in result
    assert result["message"]["text"].endswith("[suppression expired on 2027-03-31]")
    junit = etree.fromstring(to_junit(run, checked).encode())
    assert junit.get("failures") == "1"


def test_an_unused_suppression_is_a_warning(tmp_path):
    run, sources = make_run(tmp_path, violation("latency", "alarm-runbook"))
    checked = review(run, sources, today=DAY, suppressions=[rule("key-rotation")])
    assert "warning: suppression of key-rotation on every resource matches no finding" in (
        text_of(run, checked)
    )
    assert to_json(run, checked)["suppressions"][0]["used"] is False


def test_a_pack_that_failed_cannot_be_suppressed(tmp_path):
    run, sources = make_run(tmp_path, violation("latency", "alarm-runbook"))
    run.packs[0].error = "the pack crashed"
    checked = review(run, sources, today=DAY, suppressions=[rule("alarm-runbook")])
    assert checked.failed


# --------------------------------------------------------------------------- reading them


def team_copy(tmp_path: Path, name: str, extra: str) -> Path:
    project = tmp_path / name
    shutil.copytree(TEAMS / name, project)
    stack_file = next(project.glob("Pulumi.*.yaml"))
    stack_file.write_text(stack_file.read_text() + extra)
    return project


SUPPRESSIONS = """\
  obsgov:suppressions:
    - policy: obsgov-iam-policy-disallow-public-principal
      resource: curated-policy
      reason: curated datasets are published openly (DATA-412)
      expires: "2027-06-30"
"""


def test_a_team_stack_files_suppressions_are_read_with_their_line(tmp_path):
    project = team_copy(tmp_path, "clickstream-lake", SUPPRESSIONS)
    stack_file = project / "Pulumi.staging.yaml"
    from obsgov.synth.project import load_project
    from obsgov.synth.stack_file import load_stack_config

    config = load_stack_config(load_project(project), "staging", None, []).config
    [found] = stack_suppressions(config, stack_file)
    assert (found.policy, found.resource, found.expires) == (
        "obsgov-iam-policy-disallow-public-principal",
        "curated-policy",
        dt.date(2027, 6, 30),
    )
    lines = stack_file.read_text().split("\n")
    assert found.place is not None
    assert lines[found.place.region.start_line - 1].strip() == (
        "- policy: obsgov-iam-policy-disallow-public-principal"
    )


@pytest.mark.parametrize(
    ("entry", "key", "message"),
    [
        ('{"policy": "p", "reason": "why not", "expires": "2027-01-01"}', "reason", "must say why"),
        (
            '{"policy": "p", "reason": "we accept this risk", "expires": "2027-02-30"}',
            "expires",
            "not a calendar date",
        ),
        (
            '{"policy": "p", "reason": "we accept this risk", "expires": "31/01/2027"}',
            "expires",
            "YYYY-MM-DD",
        ),
        ('{"policy": "p", "reason": "we accept this risk"}', "expires", "required"),
        ('{"reason": "we accept this risk", "expires": "2027-01-01"}', "policy", "required"),
    ],
)
def test_a_bad_suppression_is_bad_input_naming_its_key(tmp_path, entry, key, message):
    with pytest.raises(InputError) as raised:
        stack_suppressions({"obsgov:suppressions": f"[{entry}]"}, tmp_path / "Pulumi.dev.yaml")
    [problem] = raised.value.problems
    assert problem.key_path == f"config.obsgov:suppressions[0].{key}"
    assert message in problem.message


def test_a_registry_suppression_must_name_a_workload_or_account_it_has():
    from obsgov.config.models import AccountsRegistry

    base = {
        "accounts": [
            {
                "id": "400000000001",
                "name": "ml-serving-prod",
                "email": "a@example.com",
                "environment": "prod",
                "organizationalUnit": "ml-prod",
                "owner": "o@example.com",
                "costCentre": "CC-1000",
            }
        ]
    }
    good = {"policy": "p", "reason": "accepted until the migration", "expires": "2027-01-01"}
    AccountsRegistry.model_validate(
        {**base, "suppressions": [{**good, "account": "ml-serving-prod"}]}
    )
    for bad, message in (
        ({**good, "account": "nope"}, "no account named nope"),
        ({**good, "workload": "nope"}, "no workload named nope"),
        (good, "name exactly one of workload or account"),
    ):
        with pytest.raises(Exception, match=message):
            AccountsRegistry.model_validate({**base, "suppressions": [bad]})


def test_the_cli_applies_a_team_stacks_suppressions(tmp_path):
    project = team_copy(tmp_path, "clickstream-lake", SUPPRESSIONS)
    out = tmp_path / "gate.json"
    result = cli(
        "preview",
        "--project",
        str(project),
        "--stack",
        "staging",
        "--format",
        "json",
        "--output",
        str(out),
    )
    assert result.exit_code == 1, result.output  # two other mandatory findings remain
    data = json.loads(out.read_text())
    statuses = {v["policy"]: v["status"] for p in data["packs"] for v in p["violations"]}
    assert statuses["obsgov-iam-policy-disallow-public-principal"] == "suppressed"
    assert statuses["obsgov-sns-topic-require-kms"] == "open"
    assert "suppressed until 2027-06-30: curated datasets are published openly" in result.output


# --------------------------------------------------------------------------- baseline


def test_a_baseline_lets_only_new_findings_fail(tmp_path):
    run, sources = make_run(tmp_path, violation("latency", "alarm-runbook"))
    path = tmp_path / "baseline.json"
    path.write_text(baseline_text(run))
    entries = read_baseline(path)
    assert [(e.policy, e.urn) for e in entries] == [("alarm-runbook", RESOURCES["latency"].urn)]
    same = review(run, sources, baseline=(path, entries))
    assert [f.status for f in same.findings] == ["baseline"]
    assert not same.failed
    later, _ = make_run(tmp_path, violation("key", "key-rotation"))
    new = review(later, sources, baseline=(path, entries))
    assert [f.status for f in new.findings] == ["open"]
    assert new.failed
    assert [e.policy for e in new.fixed] == ["alarm-runbook"]
    assert "1 baseline entry no longer found (fixed)" in text_of(later, new)
    sarif = to_sarif(later, checked=new)["runs"][0]["results"][0]
    assert sarif["baselineState"] == "new"
    assert to_sarif(run, checked=same)["runs"][0]["results"][0]["baselineState"] == "unchanged"


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ("[]", "obsgovBaseline"),
        ('{"obsgovBaseline": 2, "findings": []}', "obsgovBaseline"),
        ('{"obsgovBaseline": 1}', "findings"),
        ('{"obsgovBaseline": 1, "findings": [{"policy": "p"}]}', "findings[0]"),
    ],
)
def test_a_bad_baseline_file_is_bad_input(tmp_path, content, key):
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(InputError) as raised:
        read_baseline(path)
    assert raised.value.problems[0].key_path == key


# --------------------------------------------------------------------------- severity


def test_findings_below_the_severity_threshold_are_counted_not_shown(tmp_path):
    run, sources = make_run(
        tmp_path,
        violation("latency", "alarm-runbook", severity="medium"),
        violation("key", "key-rotation", severity="critical", level="advisory"),
    )
    checked = review(run, sources, severity="high")
    assert [f.status for f in checked.findings] == ["open", "below-threshold"] or [
        f.status for f in checked.findings
    ] == ["below-threshold", "open"]
    assert not checked.failed  # the only mandatory one is medium
    text = text_of(run, checked)
    assert "alarm-runbook" not in text
    assert "1 below --severity high (not shown)" in text
    assert [v["policy"] for v in to_json(run, checked)["packs"][0]["violations"]] == [
        "key-rotation"
    ]
    assert [r["ruleId"] for r in to_sarif(run, checked=checked)["runs"][0]["results"]] == [
        "p/key-rotation"
    ]


# --------------------------------------------------------------------------- text shapes


def test_text_names_the_file_and_line_of_each_finding(tmp_path):
    run, sources = make_run(
        tmp_path, violation("latency", "alarm-runbook", message="threshold 120 is too high")
    )
    text = text_of(run, review(run, sources))
    # the message names the workload's value: the finding points at that line
    assert "at stacks/accounts.yaml:12 (workloads[0].slo.latencyP99Ms: 120)" in text
    assert "see stacks/accounts.yaml:8 (workload fraud-scoring-prod)" in text


def test_compact_prints_one_line_per_finding_and_quiet_only_failures(tmp_path):
    run, sources = make_run(
        tmp_path,
        violation("latency", "alarm-runbook"),
        violation("key", "key-rotation", level="advisory"),
    )
    checked = review(run, sources)
    compact = text_of(run, checked, compact=True)
    assert "- [mandatory] [severity: high] alarm-runbook" in compact
    assert "at stacks/accounts.yaml:8" in compact
    assert "it does not" not in compact  # no message lines
    quiet = text_of(run, checked, quiet=True)
    assert "key-rotation" not in quiet
    assert "Policy gate summary" not in quiet
    assert (
        quiet.strip()
        .splitlines()[-1]
        .startswith("FAILED: 3 resources of obsgov/prod judged by 1 pack ")
    )


def test_the_verdict_counts_in_the_singular_and_the_plural(tmp_path):
    run, sources = make_run(tmp_path)
    assert "judged by 1 pack in" in text_of(run, review(run, sources))
    run.packs.append(run.packs[0])
    assert "judged by 2 packs in" in text_of(run, review(run, sources))


# --------------------------------------------------------------------------- U+2028


def test_line_and_paragraph_separators_are_cleaned_like_line_ends(tmp_path):
    assert clean_text("one\u2028two\u2029three") == "one\ntwo\nthree"
    assert clean_xml("a\u2028b") == "a\nb"
    run, sources = make_run(
        tmp_path, violation("latency", "alarm-runbook", message="first\u2028second")
    )
    checked = review(run, sources)
    assert "\u2028" not in to_junit(run, checked)
    assert "\u2028" not in json.dumps(to_sarif(run, checked=checked), ensure_ascii=False)
    assert "\u2028" not in text_of(run, checked)
