"""Thresholds belong to the policy configuration, above the organisation's floors.

Measured on the shipped prod stack: setting its own ``logRetentionDays: 30`` used to lower the
threshold it is judged by (the environment layer passed it as ``minLogRetentionDays``), so the
gate passed and CloudWatch.16 stayed met. Security Hub's CloudWatch.16 asks for at least 365
days (https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-16).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.gate.floors import Floors, floor_errors
from obsgov.gate.pack_config import PolicyConfig, SourcedConfig

from ..support.environments import ROOT, STACKS

RETENTION = "obsgov-logs-loggroup-require-retention"
FLOORS = "stacks/policy-packs/floors.yaml"


@pytest.fixture
def workspace(tmp_path) -> Path:
    """The shipped stacks beside the shipped packs, in a folder a test may change."""
    shutil.copytree(STACKS, tmp_path / "stacks")
    (tmp_path / "policies").symlink_to(ROOT / "policies")
    return tmp_path


def _edit(path: Path, edit) -> None:
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _preview(workspace: Path, stack: str, *extra: str):
    result = CliRunner().invoke(
        app,
        ["preview", "--stack", stack, "--stacks-dir", str(workspace / "stacks"), *extra],
        env={"COLUMNS": "200"},
    )
    assert "Traceback" not in result.output, result.output
    return result


def test_prod_keeping_logs_30_days_fails_the_gate(workspace, monkeypatch):
    monkeypatch.chdir(workspace)
    _edit(
        workspace / "stacks/Pulumi.prod.yaml",
        lambda d: d["config"].__setitem__("obsgov:logRetentionDays", 30),
    )
    result = _preview(workspace, "prod")
    assert result.exit_code == 1, result.output
    assert "Retention is 30 days; at least 365 are required." in result.output


def test_a_pack_config_below_the_floor_is_refused_naming_the_file(workspace, monkeypatch):
    monkeypatch.chdir(workspace)
    lenient = workspace / "stacks/policy-packs/prod/observability.json"
    lenient.write_text(json.dumps({RETENTION: {"minLogRetentionDays": 30}}))

    def use_it(data):
        for ref in data["config"]["obsgov:policyPacks"]:
            if ref["path"].endswith("observability"):
                ref["config"] = "policy-packs/prod/observability.json"

    _edit(workspace / "stacks/Pulumi.prod.yaml", use_it)
    result = _preview(workspace, "prod")
    assert result.exit_code == 2, result.output
    assert (
        f"{RETENTION}: minLogRetentionDays: 30 is below the organisation's floor 365 "
        f"({FLOORS}); set by stacks/policy-packs/prod/observability.json"
    ) in result.output
    config = CliRunner().invoke(
        app,
        [
            "policy",
            "config",
            "--stack",
            "prod",
            "--stacks-dir",
            str(workspace / "stacks"),
            "--policy-pack",
            str(workspace / "policies/observability"),
            "--output",
            str(workspace / "observability.json"),
        ],
        env={"COLUMNS": "200"},
    )
    assert config.exit_code == 2
    assert "below the organisation's floor 365" in config.output
    assert not (workspace / "observability.json").exists()


def test_a_policy_pack_config_option_cannot_go_below_the_floor_either(workspace, monkeypatch):
    monkeypatch.chdir(workspace)
    option = workspace / "lenient.json"
    option.write_text(json.dumps({RETENTION: {"minLogRetentionDays": 364}}))
    result = _preview(
        workspace,
        "prod",
        "--policy-pack",
        str(workspace / "policies/observability"),
        "--policy-pack-config",
        str(option),
    )
    assert result.exit_code == 2, result.output
    assert "minLogRetentionDays: 364 is below the organisation's floor 365" in result.output
    assert "set by lenient.json" in result.output


def test_an_environment_keeps_the_floor_the_organisation_gives_it(workspace, monkeypatch):
    monkeypatch.chdir(workspace)
    assert _preview(workspace, "dev").exit_code == 0  # dev's floor is 30, and dev asks 30
    (workspace / "stacks/policy-packs/dev/observability.json").write_text(
        json.dumps({RETENTION: {"minLogRetentionDays": 29}})
    )
    result = _preview(workspace, "dev")
    assert result.exit_code == 2, result.output
    assert "minLogRetentionDays: 29 is below the organisation's floor 30" in result.output


def test_the_environment_layer_cannot_lower_a_floor(workspace, monkeypatch):
    monkeypatch.chdir(workspace)

    def less_capture(data):
        data["config"]["obsgov:modelApproval"]["dataCaptureMinPercent"] = 1

    _edit(workspace / "stacks/Pulumi.prod.yaml", less_capture)
    result = _preview(workspace, "prod")
    assert result.exit_code == 2, result.output
    assert (
        "obsgov-sagemaker-endpointconfig-require-data-capture: dataCaptureMinPercent: 1 is "
        f"below the organisation's floor 10 ({FLOORS}); set by stacks/Pulumi.prod.yaml"
    ) in result.output


@pytest.mark.parametrize(
    ("floors", "problems"),
    [
        (
            {"floors": {"obsgov-logs-loggroup-require-retentoin": {"minLogRetentionDays": 1}}},
            ["floors.obsgov-logs-loggroup-require-retentoin: is not an obsgov policy id"],
        ),
        (
            {"floors": {RETENTION: {"retentionDays": 1}}},
            [f"floors.{RETENTION}.retentionDays: is not a numeric config property of {RETENTION}"],
        ),
        (
            {"floors": {RETENTION: {"minLogRetentionDays": "a year"}}},
            [f"floors.{RETENTION}.minLogRetentionDays"],
        ),
        (
            {"environments": {"qa": {}}},
            ["environments.qa"],
        ),
    ],
)
def test_a_floor_file_that_guards_nothing_is_bad_input(workspace, monkeypatch, floors, problems):
    monkeypatch.chdir(workspace)
    (workspace / FLOORS).write_text(yaml.safe_dump(floors))
    result = _preview(workspace, "prod")
    assert result.exit_code == 2, result.output
    for problem in problems:
        assert problem in result.output


def test_floor_errors_name_the_last_layer_that_set_the_value_or_the_default():
    floors = Floors({RETENTION: {"minLogRetentionDays": 365}}, "floors.yaml")
    env = SourcedConfig({RETENTION: PolicyConfig("mandatory", None)}, "Pulumi.prod.yaml")
    lenient = SourcedConfig({RETENTION: PolicyConfig(None, {"minLogRetentionDays": 90})}, "a.json")
    strict = SourcedConfig({RETENTION: PolicyConfig(None, {"minLogRetentionDays": 400})}, "b.json")
    reconciled = {RETENTION: PolicyConfig("mandatory", {"minLogRetentionDays": 90})}
    assert floor_errors([floors, env, strict, lenient], reconciled) == [
        f"{RETENTION}: minLogRetentionDays: 90 is below the organisation's floor 365 "
        "(floors.yaml); set by a.json"
    ]
    defaulted = {RETENTION: PolicyConfig("mandatory", {"minLogRetentionDays": 30})}
    assert floor_errors([floors, env], defaulted)[0].endswith("set by the policy's default")
    unset = {RETENTION: PolicyConfig("mandatory", None)}
    assert "minLogRetentionDays: unset is below" in floor_errors([floors], unset)[0]
    assert floor_errors([floors], {RETENTION: PolicyConfig("mandatory", {"x": 1})}) != []
    assert floor_errors([env, lenient], reconciled) == []  # no floors, nothing to hold
    assert floor_errors([floors], {}) == []  # the pack has no such policy


def _report(workspace: Path, *extra: str) -> dict:
    out = workspace / "report.json"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--stack",
            "prod",
            "--stacks-dir",
            str(workspace / "stacks"),
            "--format",
            "json",
            "--out",
            str(out),
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def test_the_report_shows_cloudwatch_16_failing_and_the_diff_names_it(workspace, monkeypatch):
    monkeypatch.chdir(workspace)
    before = _report(workspace)
    (workspace / "before.json").write_text(json.dumps(before))
    _edit(
        workspace / "stacks/Pulumi.prod.yaml",
        lambda d: d["config"].__setitem__("obsgov:logRetentionDays", 30),
    )
    after = _report(workspace, "--against", str(workspace / "before.json"))
    status = {c["control"]: c["status"] for c in after["controls"]}
    assert (after["verdict"], status["FSBP CloudWatch.16"]) == ("failed", "failed")
    assert {"control": "FSBP CloudWatch.16", "before": "passed", "after": "failed"} in (
        after["diff"]["controls"]
    )


def test_a_lowered_floor_and_threshold_show_in_the_report_diff(workspace, monkeypatch):
    # Lowering a floor passes the gate only with the floor file changed too (CODEOWNERS
    # reviews both); the report's diff says what moved.
    monkeypatch.chdir(workspace)
    before = _report(workspace)
    assert before["thresholds"][RETENTION]["minLogRetentionDays"] == {"value": 365, "floor": 365}
    (workspace / "before.json").write_text(json.dumps(before))
    _edit(
        workspace / FLOORS,
        lambda d: d["floors"][RETENTION].__setitem__("minLogRetentionDays", 180),
    )
    (workspace / "stacks/policy-packs/prod/observability.json").write_text(
        json.dumps({RETENTION: {"minLogRetentionDays": 180}})
    )

    def use_it(data):
        for ref in data["config"]["obsgov:policyPacks"]:
            if ref["path"].endswith("observability"):
                ref["config"] = "policy-packs/prod/observability.json"

    _edit(workspace / "stacks/Pulumi.prod.yaml", use_it)
    after = _report(workspace, "--against", str(workspace / "before.json"))
    assert after["diff"]["thresholds"] == [
        {"threshold": f"{RETENTION} minLogRetentionDays", "before": 365, "after": 180},
        {"threshold": f"{RETENTION} minLogRetentionDays floor", "before": 365, "after": 180},
    ]
    markdown = CliRunner().invoke(
        app,
        [
            "report",
            "--stack",
            "prod",
            "--stacks-dir",
            str(workspace / "stacks"),
            "--format",
            "md",
            "--against",
            str(workspace / "before.json"),
        ],
    )
    assert f"| {RETENTION} minLogRetentionDays floor | 365 | 180 |" in markdown.stdout
