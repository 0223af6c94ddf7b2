"""Every class of config error names its file and key path; the CLI exits 2 without a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.errors import InputError


def problems_of(env) -> list[str]:
    with pytest.raises(InputError) as caught:
        env.load()
    return [str(p) for p in caught.value.problems]


def test_account_id_must_be_12_digits(inline_env):
    env = inline_env()
    env.registry["accounts"][2]["id"] = "12345"
    assert any(p.endswith("stacks/accounts.yaml: accounts[2].id: must be 12 digits")
               for p in problems_of(env))


def _find(problems: list[str], suffix: str) -> str:
    matches = [p for p in problems if p.endswith(suffix) or suffix in p]
    assert matches, f"{suffix!r} not in {problems}"
    return matches[0]


def test_unquoted_account_id_is_explained(inline_env):
    env = inline_env()
    env.registry["accounts"][0]["id"] = 200000000001
    found = _find(problems_of(env), "accounts[0].id: must be a string")
    assert "accounts.yaml" in found and "quote it" in found


def test_missing_required_key_is_reported(inline_env):
    env = inline_env()
    del env.registry["accounts"][1]["email"]
    _find(problems_of(env), "accounts.yaml: accounts[1].email: is required")


def test_unknown_key_suggests_the_close_one(inline_env):
    env = inline_env()
    env.registry["accounts"][0]["costCenter"] = "CC-2100"
    _find(problems_of(env), "accounts[0].costCenter: is not a known key (did you mean costCentre?)")


def test_all_errors_are_reported_together(inline_env):
    env = inline_env()
    env.registry["accounts"][0]["id"] = "1"
    env.registry["accounts"][1]["email"] = "not-an-email"
    env.organization["organization"]["id"] = "org-1"
    problems = problems_of(env)
    _find(problems, "accounts.yaml: accounts[0].id: must be 12 digits")
    _find(problems, "accounts.yaml: accounts[1].email: must be an email address")
    _find(problems, "organization.yaml: organization.id: must look like o-")


def test_stack_config_errors_name_the_namespaced_key(inline_env):
    env = inline_env()
    cfg = env.stack_doc["config"]
    cfg["obsgov:alarmDefaults"]["periodSeconds"] = 45
    cfg["obsgov:logRetentionDays"] = 31
    cfg["aws:region"] = "Ireland"
    cfg["obsgov:environment"] = "qa"
    problems = problems_of(env)
    _find(problems, "Pulumi.dev.yaml: config.obsgov:alarmDefaults: periodSeconds must be 10, 20, 30 or a multiple of 60")
    _find(problems, "Pulumi.dev.yaml: config.obsgov:logRetentionDays: must be one of the values CloudWatch Logs accepts")
    _find(problems, "Pulumi.dev.yaml: config.aws:region: must match the pattern")
    _find(problems, "Pulumi.dev.yaml: config.obsgov:environment: must be one of dev, staging, prod")


def test_alarm_window_longer_than_aws_allows(inline_env):
    env = inline_env()
    env.stack_doc["config"]["obsgov:alarmDefaults"] = {"periodSeconds": 3000, "evaluationPeriods": 30}
    _find(problems_of(env), "config.obsgov:alarmDefaults: periodSeconds x evaluationPeriods must be at most 86400 seconds")


def test_duplicate_account_id_name_and_email(inline_env):
    env = inline_env()
    accounts = env.registry["accounts"]
    accounts[4]["id"] = accounts[3]["id"]
    accounts[5]["name"] = accounts[3]["name"]
    accounts[5]["email"] = accounts[0]["email"]
    problems = problems_of(env)
    _find(problems, "accounts[4].id: duplicate id '300000000001' (already used by accounts[3])")
    _find(problems, "accounts[5].name: duplicate name 'ml-serving-staging' (already used by accounts[3])")
    _find(problems, "accounts[5].email: duplicate email")


def test_member_account_cannot_be_a_central_account(inline_env):
    env = inline_env()
    env.registry["accounts"][0]["id"] = env.organization["organization"]["managementAccountId"]
    _find(problems_of(env), "accounts[0].id: 100000000001 is the organization's managementAccountId")


def test_unknown_organizational_unit(inline_env):
    env = inline_env()
    env.registry["accounts"][2]["organizationalUnit"] = "sandbox"
    _find(problems_of(env), "accounts[2].organizationalUnit: unknown organizational unit 'sandbox'")


def test_workload_in_an_account_of_another_environment(inline_env):
    env = inline_env()
    workload = env.registry["workloads"][0]
    assert workload["environment"] == "dev"
    workload["account"] = "ml-serving-prod"
    _find(problems_of(env), "workloads[0].environment: workload 'fraud-scoring-dev' is for dev but account 'ml-serving-prod' belongs to prod")


def test_workload_referencing_a_missing_account(inline_env):
    env = inline_env()
    env.registry["workloads"][3]["account"] = "nope"
    _find(problems_of(env), "workloads[3].account: unknown account 'nope'")


def test_workload_kind_must_be_known(inline_env):
    env = inline_env()
    env.registry["workloads"][0]["kind"] = "notebook"
    _find(problems_of(env), "workloads[0]: kind must be one of business-kpi, etl-pipeline, ml-endpoint")


def test_account_tags_must_satisfy_the_tag_schema(inline_env):
    env = inline_env()
    env.registry["accounts"][0]["costCentre"] = "finance"
    env.registry["accounts"][1]["dataClassification"] = "secret"
    problems = problems_of(env)
    _find(problems, "accounts[0].costCentre: 'finance' is not valid for tag 'cost-centre': expected a value matching CC-\\d{4}")
    _find(problems, "accounts[1].dataClassification: 'secret' is not valid for tag 'data-classification'")


def test_invalid_regex_in_tag_schema(inline_env):
    env = inline_env()
    env.organization["tagSchema"]["required"][1]["pattern"] = "([a-z"
    _find(problems_of(env), "organization.yaml: tagSchema.required[1].pattern: is not a valid regular expression")


def test_model_approval_needs_a_registry_account(inline_env):
    env = inline_env("prod")
    del env.stack_doc["config"]["obsgov:modelApproval"]["registryAccountId"]
    _find(problems_of(env), "Pulumi.prod.yaml: config.obsgov:modelApproval: registryAccountId is required when enabled is true")


def test_yaml_syntax_error_names_line(inline_env):
    env = inline_env()
    env.write()
    (env.directory / "accounts.yaml").write_text("accounts:\n  - id: [unclosed\n")
    with pytest.raises(InputError) as caught:
        from obsgov.config.loader import load_environment
        load_environment(env.stack, env.stack_file)
    message = str(caught.value.problems[0])
    assert "accounts.yaml" in message and "invalid YAML" in message and "line" in message


def test_missing_registry_file(inline_env):
    env = inline_env()
    env.stack_doc["config"]["obsgov:registryFile"] = "missing.yaml"
    _find(problems_of(env), "missing.yaml: file not found")


@pytest.mark.parametrize("command", ["validate", "synth"])
def test_cli_exits_2_with_every_problem_and_no_traceback(inline_env, command):
    env = inline_env()
    env.registry["accounts"][0]["id"] = "1"
    env.registry["accounts"][1]["organizationalUnit"] = "nowhere"
    env.write()
    result = CliRunner().invoke(app, [command, "--stack", "dev", "--stacks-dir", str(env.directory)])
    assert result.exit_code == 2
    text = result.output
    assert "Traceback" not in text
    assert "accounts[0].id: must be 12 digits" in text
    assert "accounts[1].organizationalUnit: unknown organizational unit 'nowhere'" in text
    assert "2 problems found" in text


def test_cli_unknown_stack_is_a_usage_error(tmp_path):
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    result = CliRunner().invoke(app, ["synth", "--stack", "qa", "--stacks-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "no stack 'qa'" in result.output and "available: dev" in result.output


def test_cli_validate_accepts_the_examples():
    for stack in ("dev", "staging", "prod"):
        result = CliRunner().invoke(app, ["validate", "--stack", stack])
        assert result.exit_code == 0, result.output
        assert "3 member accounts" in result.output
