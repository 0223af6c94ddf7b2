"""``obsgov report`` end to end: one synthesis and gate run, and a report that agrees with the
gate's own verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.environment_report.cost import load_prices

from ..support.environments import ROOT

RETENTION = "obsgov-logs-loggroup-require-retention"
CLOUDWATCH_16 = "FSBP CloudWatch.16"


def invoke(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture
def strict_dev(inline_env):
    """dev with a pack config that asks for CloudWatch.16's 365 days: dev's 30-day log groups
    now fail it (advisory, as dev's packs are)."""
    env = inline_env("dev")
    env.directory.mkdir(parents=True)
    (env.directory / "observability.json").write_text(
        json.dumps({RETENTION: {"enforcementLevel": "advisory", "minLogRetentionDays": 365}})
    )
    env.config["obsgov:policyPacks"] = [
        {"path": str(ROOT / "policies" / Path(ref["path"]).name)}
        | ({"config": "observability.json"} if ref["path"].endswith("observability") else {})
        for ref in env.config["obsgov:policyPacks"]
    ]
    env.write()
    return env


def run_json(env, tmp_path, *extra: str) -> dict:
    env.write()
    out = tmp_path / "report.json"
    result = invoke(
        "report",
        "--stack",
        "dev",
        "--stacks-dir",
        str(env.directory),
        "--format",
        "json",
        "--out",
        str(out),
        *extra,
    )
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def test_a_failing_policy_fails_its_control_on_exactly_the_resources_the_gate_named(
    strict_dev, tmp_path
):
    report = run_json(strict_dev, tmp_path)
    preview = invoke(
        "preview",
        "--stack",
        "dev",
        "--stacks-dir",
        str(strict_dev.directory),
        "--format",
        "json",
        "--output",
        str(tmp_path / "gate.json"),
    )
    gate = json.loads((tmp_path / "gate.json").read_text())
    named = {
        v["urn"] for pack in gate["packs"] for v in pack["violations"] if v["policy"] == RETENTION
    }
    assert preview.exit_code == 0
    assert named  # advisory in dev: the gate passes, with findings
    [row] = [c for c in report["controls"] if c["control"] == CLOUDWATCH_16]
    log_groups = [r for r in report["inventory"] if r["type"] == "aws:cloudwatch/logGroup:LogGroup"]
    assert row["status"] == "failed"
    assert row["failed"] == len(named)
    assert row["passed"] + row["failed"] + row["notJudged"] == len(log_groups)
    assert report["verdict"] == "warnings"


def test_the_stack_assumptions_drive_the_usage_figures_and_the_diff(strict_dev, tmp_path):
    before = run_json(strict_dev, tmp_path)
    (tmp_path / "before.json").write_text(json.dumps(before))
    strict_dev.config["obsgov:costAssumptions"] = {"logGbPerDayPerLogGroup": 1.5}
    after = run_json(strict_dev, tmp_path, "--against", str(tmp_path / "before.json"))

    prices = load_prices()
    # dev deploys in eu-west-1 and is priced at eu-west-1's prices
    ingestion = prices.items["cloudwatch-logs-ingestion"].regions["eu-west-1"]
    storage = prices.items["cloudwatch-logs-storage"].regions["eu-west-1"]
    compressed = prices.assumptions["logCompressedFraction"]
    log_groups = [c for c in after["cost"]["charges"] if c["item"] == "cloudwatch-logs-ingestion"]
    assert {c["region"] for c in log_groups} == {"eu-west-1"}
    # each log group ingests 1.5 GB a day for 30 days and stores 30 days of it (retention 30)
    # on its compressed size
    expected_delta = len(log_groups) * (1.5 - 0.5) * 30 * (ingestion + storage * compressed)
    assert after["cost"]["assumptions"]["logGbPerDayPerLogGroup"] == 1.5
    assert after["diff"]["monthlyDelta"] == pytest.approx(expected_delta, abs=0.02)
    assert sum(after["diff"]["costDeltaByAccount"].values()) == pytest.approx(
        expected_delta, abs=0.05
    )
    assert after["diff"]["controls"] == []
    # old and new per resource, as Infracost shows them: every log group moved, nothing else
    rows = after["diff"]["resources"]
    assert {r["type"] for r in rows} == {"aws:cloudwatch/logGroup:LogGroup"}
    assert len(rows) == len(log_groups)
    one = 30 * (ingestion + storage * compressed)
    for row in rows:
        assert row["after"] - row["before"] == pytest.approx(row["change"], abs=0.011)
        assert row["change"] == pytest.approx(one, abs=0.011)


def test_against_a_report_of_another_stack_is_refused(strict_dev, tmp_path):
    before = run_json(strict_dev, tmp_path)
    (tmp_path / "other.json").write_text(json.dumps({**before, "stack": "prod"}))
    result = invoke(
        "report",
        "--stack",
        "dev",
        "--stacks-dir",
        str(strict_dev.directory),
        "--format",
        "md",
        "--against",
        str(tmp_path / "other.json"),
    )
    assert result.exit_code == 2
    assert "reports obsgov/prod, not obsgov/dev" in result.output


def test_markdown_for_a_pull_request_shows_the_change_and_the_failing_controls(
    strict_dev, tmp_path
):
    before = run_json(strict_dev, tmp_path)
    before["cost"]["monthlyUsd"] -= 12.5
    charge = before["cost"]["charges"][0]
    charge["usd"] -= 12.5
    account = charge["account"]
    before["cost"]["byAccount"][account] -= 12.5
    before["controls"] = [
        {**c, "status": "passed"} if c["control"] == CLOUDWATCH_16 else c
        for c in before["controls"]
    ]
    (tmp_path / "before.json").write_text(json.dumps(before))
    result = invoke(
        "report",
        "--stack",
        "dev",
        "--stacks-dir",
        str(strict_dev.directory),
        "--format",
        "md",
        "--against",
        str(tmp_path / "before.json"),
    )
    assert result.exit_code == 0
    name = before["accountNames"][account]
    assert "This change: **+$12.50** a month" in result.stdout
    assert f"| {account} | {name} | +12.50 |" in result.stdout
    assert f"| {CLOUDWATCH_16} | passed | failed |" in result.stdout
    # the comment a workflow keeps up to date: its marker, the verdict, the new violations
    lines = result.stdout.splitlines()
    assert lines[0] == "<!-- obsgov-report: obsgov/dev -->"
    assert lines[1] == "## obsgov obsgov/dev: ⚠️ the policy gate passed with warnings"
    assert "| resource | type | account | before $/month | after $/month | change |" in lines
    [row] = [line for line in lines if line.startswith(f"| {charge['resource']} | ")]
    assert row.endswith(" | +12.50 |")
    assert f"| {name} |" in row


def test_a_team_project_is_reported_with_its_findings_and_region(tmp_path):
    from ..support.environments import ROOT as root

    project = tmp_path / "clickstream-lake"
    import shutil

    shutil.copytree(root / "tests" / "fixtures" / "team_projects" / "clickstream-lake", project)
    out = tmp_path / "team.json"
    result = invoke(
        "report",
        "--project",
        str(project),
        "--stack",
        "staging",
        "--format",
        "json",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert (report["project"], report["stack"]) == ("clickstream-lake", "staging")
    assert report["verdict"] == "failed"
    policies = {f["policy"] for f in report["findings"] if f["status"] == "open"}
    assert "obsgov-iam-policy-disallow-public-principal" in policies
    # each finding is located in the team's own files
    assert all(f["where"] for f in report["findings"])
    assert report["cost"]["region"] == "eu-west-1"
    assert report["inventory"]
    assert report["cost"]["charges"]
