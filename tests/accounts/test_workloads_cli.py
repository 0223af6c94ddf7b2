"""`obsgov workloads add|remove`: the registry's rules, its comments and atomic writes."""

from __future__ import annotations

import difflib

import pytest
import yaml
from typer.testing import CliRunner

from obsgov.cli.workloads import app

WORKLOAD = """\
# a new model going live
kind: ml-endpoint
name: credit-limit-prod
account: ml-serving-prod
modelId: credit-limit
modelVersion: "3"
modelPackageGroup: credit-limit
instanceType: ml.m5.xlarge
slo:
  latencyP99Ms: 150
  errorRatePercent: 1
"""
ADDED = """\
  - kind: ml-endpoint
    name: credit-limit-prod
    account: ml-serving-prod
    environment: prod
    modelId: credit-limit
    modelVersion: "3"
    modelPackageGroup: credit-limit
    instanceType: ml.m5.xlarge
    slo:
      latencyP99Ms: 150
      errorRatePercent: 1
"""


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, [*args, "--stacks-dir", "stacks"], input=input)


@pytest.fixture
def stacks(org):
    return org.stacks


def workloads(stacks) -> list[dict]:
    return yaml.safe_load((stacks / "accounts.yaml").read_text())["workloads"]


def index_of(stacks, name: str) -> int:
    return [w["name"] for w in workloads(stacks)].index(name)


def entry_text(text: str, name: str) -> str:
    """The lines of the workload entry called ``name``, as they stand in the file."""
    lines = text.splitlines(True)
    start = next(i for i, line in enumerate(lines) if line == f"    name: {name}\n") - 1
    end = next(
        i
        for i in range(start + 1, len(lines))
        if lines[i].startswith("  - ") or lines[i].startswith("  #")
    )
    return "".join(lines[start:end])


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.ndiff(before.splitlines(True), after.splitlines(True))
        if line[:1] in "+-"
    ]


def test_add_appends_after_the_environments_last_workload(stacks, tmp_path):
    registry = stacks / "accounts.yaml"
    before = registry.read_text()
    at = max(i for i, w in enumerate(workloads(stacks)) if w["environment"] == "prod") + 1
    (tmp_path / "wl.yaml").write_text(WORKLOAD)
    result = run("add", "wl.yaml", "--env", "prod")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"added workloads[{at}] (ml-endpoint credit-limit-prod) in "
        "accounts.yaml\nnext: pulumi up --stack prod\n"
    )
    after = registry.read_text()
    diff = changed_lines(before, after)
    assert all(line.startswith("+ ") for line in diff)
    assert "".join(line[2:] for line in diff) == ADDED
    again = run("add", "wl.yaml", "--env", "prod")
    assert again.exit_code == 0
    assert again.stdout == "already in accounts.yaml: nothing to do\n"
    assert registry.read_text() == after


def test_add_from_stdin_in_dev_goes_under_the_dev_comment_group(stacks):
    text = WORKLOAD.replace("-prod", "-dev")
    result = run("add", "-", "--env", "dev", input=text)
    assert result.exit_code == 0, result.output
    after = (stacks / "accounts.yaml").read_text()
    assert (
        after.index("name: checkout-conversion-dev")
        < after.index("name: credit-limit-dev")
        < after.index("# --- staging\n  - kind: ml-endpoint")
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("latencyP99Ms: 150", "latencyP99Ms: 0"),
            "wl.yaml: slo.latencyP99Ms: must be greater than 0",
        ),
        (
            ("account: ml-serving-prod", "account: nope"),
            "wl.yaml: account: unknown account 'nope'; it must name an entry of accounts",
        ),
        (
            ("account: ml-serving-prod", "account: ml-serving-dev"),
            "wl.yaml: environment: workload 'credit-limit-prod' is for prod but account "
            "'ml-serving-dev' belongs to dev",
        ),
        (
            ("name: credit-limit-prod", "name: fraud-scoring-prod"),
            "wl.yaml: name: ml-endpoint 'fraud-scoring-prod' in account 'ml-serving-prod' is "
            "already in the registry with other values; remove it first",
        ),
    ],
)
def test_add_rejects_what_the_loader_rejects_and_leaves_the_file(stacks, tmp_path, change, message):
    registry = stacks / "accounts.yaml"
    before = registry.read_bytes()
    (tmp_path / "wl.yaml").write_text(WORKLOAD.replace(*change))
    result = run("add", "wl.yaml", "--env", "prod")
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: 1 problem found:\n  {message}\n"
    assert registry.read_bytes() == before


def test_add_of_a_same_named_workload_with_other_values_is_refused(stacks, tmp_path):
    (tmp_path / "wl.yaml").write_text(WORKLOAD)
    assert run("add", "wl.yaml", "--env", "prod").exit_code == 0
    (tmp_path / "wl.yaml").write_text(WORKLOAD.replace('"3"', '"4"'))
    result = run("add", "wl.yaml", "--env", "prod")
    assert result.exit_code == 2
    assert "is already in the registry with other values; remove it first" in result.stderr


def test_remove_deletes_only_the_entrys_lines(stacks):
    registry = stacks / "accounts.yaml"
    before = registry.read_text()
    result = run("remove", "transactions-daily-staging", "--env", "staging")
    assert result.exit_code == 2  # no staging stack in the test copy
    assert "--stack: no stack 'staging'" in result.stderr

    at = index_of(stacks, "feature-refresh-prod")
    result = run("remove", "feature-refresh-prod", "--env", "prod")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"removed workloads[{at}] (etl-pipeline feature-refresh-prod) "
        "in accounts.yaml\nnext: pulumi up --stack prod\n"
    )
    block = entry_text(before, "feature-refresh-prod")
    assert block.startswith("  - kind: etl-pipeline\n    name: feature-refresh-prod\n")
    assert registry.read_text() == before.replace(block, "", 1)


def test_removing_a_kpis_driver_is_refused(stacks):
    registry = stacks / "accounts.yaml"
    before = registry.read_bytes()
    result = run("remove", "fraud-scoring-prod", "--env", "prod")
    assert result.exit_code == 2
    assert (
        "drivenBy: 'fraud-scoring-prod' is not an ml-endpoint or etl-pipeline of prod"
        in result.output
    )
    assert registry.read_bytes() == before


def test_remove_of_the_first_entry_of_a_group_keeps_the_group_comment(stacks):
    registry = stacks / "accounts.yaml"
    before = registry.read_text()
    for workload in yaml.safe_load(before)["workloads"]:  # free the endpoint its KPI names
        if workload.get("drivenBy") == "fraud-scoring-prod":
            assert run("remove", workload["name"], "--env", "prod").exit_code == 0
    before = registry.read_text()
    result = run("remove", "fraud-scoring-prod", "--env", "prod")
    assert result.exit_code == 0, result.output
    after = registry.read_text()
    assert all(line.startswith("- ") for line in changed_lines(before, after))
    assert "  # --- prod\n  - kind: ml-endpoint\n    name: churn-propensity-prod" in after


def test_remove_unknown_and_dry_run(stacks):
    registry = stacks / "accounts.yaml"
    before = registry.read_bytes()
    missing = run("remove", "nope", "--env", "prod")
    assert missing.exit_code == 2
    assert missing.stderr == (
        "error: 1 problem found:\n  NAME: no workload 'nope' in environment prod in accounts.yaml\n"
    )
    at = index_of(stacks, "feature-refresh-prod")
    dry = run("remove", "feature-refresh-prod", "--env", "prod", "--dry-run")
    assert dry.exit_code == 0
    assert dry.stdout == (
        f"would remove workloads[{at}] (etl-pipeline feature-refresh-prod) in accounts.yaml\n"
    )
    assert registry.read_bytes() == before
