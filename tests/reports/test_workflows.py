"""The shipped GitHub workflows: valid against the Actions workflow schema, and doing what CI
needs of them (code scanning on pull requests and the default branch, one deploy per stack at
a time, the pack list taken from the stack's config).

The deploy workflow's own shell steps are run here, with a stand-in ``pulumi`` that records
its arguments and the real ``obsgov``, to show where the packs come from.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml as pyyaml
from ruamel.yaml import YAML

from .conftest import ROOT, STACKS

WORKFLOWS = ROOT / ".github" / "workflows"
GATE = WORKFLOWS / "policy-gate.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
PINNED = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+(?:\.\d+){0,2})$")


def load(path: Path) -> dict:
    # YAML 1.2, as GitHub reads it: the key `on` is the string "on", not true.
    return YAML(typ="safe").load(path.read_text())


def check_jsonschema(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


#: The deploy's jobs, in the order it promotes a change: the organisation stack (the OAM sink
#: the environments read by StackReference) first.
DEPLOY_STACKS = ["org", "dev", "staging", "prod"]


def deploy_job(stack: str = "prod") -> dict:
    return load(DEPLOY)["jobs"][stack]


def steps_by_name(job: dict) -> dict:
    return {step.get("id") or step.get("name") or step.get("uses"): step for step in job["steps"]}


# --------------------------------------------------------------------------- schema


def test_workflows_are_valid_against_the_github_actions_schema():
    result = check_jsonschema(GATE, DEPLOY, WORKFLOWS / "team-gate.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = load(GATE)
    del broken["jobs"]["gate"]["runs-on"]
    broken["jobs"]["gate"]["permissions"] = {"security-events": "sometimes"}
    path = tmp_path / "broken.yml"
    path.write_text(pyyaml.safe_dump(broken))
    result = check_jsonschema(path)
    assert result.returncode == 1
    assert "Schema validation errors were encountered." in result.stdout + result.stderr


@pytest.mark.parametrize("path", [GATE, DEPLOY], ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_its_tag(path):
    uses = [line for line in path.read_text().splitlines() if "uses:" in line]
    assert uses
    for line in uses:
        assert PINNED.match(line), f"not pinned by commit with a tag comment: {line.strip()}"


# --------------------------------------------------------------------------- the gate


def test_gate_runs_on_pull_requests_and_the_default_branch():
    gate = load(GATE)
    assert set(gate["on"]) == {"pull_request", "push"}
    assert gate["on"]["push"] == {"branches": ["main"]}


def test_gate_permissions_are_what_code_scanning_uploads_need():
    assert load(GATE)["jobs"]["gate"]["permissions"] == {
        "actions": "read",
        "contents": "read",
        "security-events": "write",
        "pull-requests": "write",
    }


def test_gate_uploads_with_the_current_action_only_when_a_sarif_file_exists():
    job = load(GATE)["jobs"]["gate"]
    upload = steps_by_name(job)["Upload SARIF"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    line = next(x for x in GATE.read_text().splitlines() if "upload-sarif@" in x)
    pinned = PINNED.match(line)
    assert pinned is not None
    assert pinned.group(3).startswith("v4.")
    assert upload["if"] == "always() && hashFiles(format('gate-{0}.sarif', matrix.stack)) != ''"
    assert upload["with"]["sarif_file"] == "gate-${{ matrix.stack }}.sarif"
    gate_step = steps_by_name(job)["Offline policy gate"]
    assert '--output "gate-$STACK.sarif"' in gate_step["run"]
    assert job["env"]["STACK"] == "${{ matrix.stack }}"


@pytest.mark.parametrize("path", [GATE, DEPLOY], ids=lambda p: p.name)
def test_pip_cache_is_keyed_on_pyproject(path):
    job = next(iter(load(path)["jobs"].values()))
    setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["cache"] == "pip"
    assert setup["with"]["cache-dependency-path"] == "pyproject.toml"


# --------------------------------------------------------------------------- the deploy


def test_one_deploy_per_stack_at_a_time():
    for stack in DEPLOY_STACKS:
        assert deploy_job(stack)["concurrency"] == {
            "group": f"deploy-{stack}",
            "cancel-in-progress": False,
        }


def test_a_change_is_promoted_dev_then_staging_then_prod():
    """Each stack's job `needs:` the one before, so dev deploys only after the organisation
    stack, staging only after dev
    succeeded and prod only after staging ("Using jobs in a workflow": a job that needs
    another is skipped when that one fails or is cancelled); each runs in the GitHub
    environment of its stack, whose protection rules (required reviewers on prod) gate it
    ("Managing environments for deployment")."""
    jobs = load(DEPLOY)["jobs"]
    assert list(jobs) == DEPLOY_STACKS
    assert "strategy" not in jobs["org"]
    assert "needs" not in jobs["org"]
    assert jobs["dev"]["needs"] == "org"
    assert jobs["staging"]["needs"] == "dev"
    assert jobs["prod"]["needs"] == "staging"
    for stack, job in jobs.items():
        assert job["environment"] == stack
        assert job["env"]["STACK"] == stack
        assert job["name"] == f"deploy ({stack})"
        # one list of steps (a YAML anchor), so the environments cannot drift apart
        assert job["steps"] == jobs["org"]["steps"], stack
        assert job["permissions"] == jobs["org"]["permissions"]
    # nothing in the steps names an environment or a matrix: the job's STACK does
    text = DEPLOY.read_text()
    assert "matrix" not in text
    snapshot = next(s for s in jobs["prod"]["steps"] if "registry snapshot" in s.get("run", ""))
    assert snapshot["if"] == "env.STACK != 'dev' && env.STACK != 'org'"


def test_the_pulumi_token_reaches_only_the_steps_that_run_pulumi():
    workflow = load(DEPLOY)
    job = workflow["jobs"]["prod"]
    assert "PULUMI_ACCESS_TOKEN" not in (workflow.get("env") or {})
    assert "PULUMI_ACCESS_TOKEN" not in (job.get("env") or {})
    with_token = [
        s.get("id") for s in job["steps"] if "PULUMI_ACCESS_TOKEN" in (s.get("env") or {})
    ]
    assert with_token == ["stack", "preview", "up", "shards"]
    for step in job["steps"]:
        # `obsgov deploy` drives the Pulumi CLI through the Automation API
        runs_pulumi = (
            re.search(r"^\s*(pulumi|obsgov deploy) ", step.get("run", ""), re.M) is not None
        )
        assert runs_pulumi == (step.get("id") in ("stack", "preview", "up", "shards")), step


def test_packs_run_in_the_environment_the_project_is_installed_in():
    steps = deploy_job()["steps"]
    names = [s.get("id") or s.get("name") for s in steps]
    install = next(i for i, s in enumerate(steps) if "pip install -e ." in s.get("run", ""))
    assert 'echo "$PWD/.venv/bin" >> "$GITHUB_PATH"' in steps[install]["run"]
    assert install < names.index("packs") < names.index("preview") < names.index("up")
    # no pack declares a virtualenv, so the CLI runs them with the python3 on PATH
    for manifest in (ROOT / "policies").glob("*/PulumiPolicy.yaml"):
        runtime = pyyaml.safe_load(manifest.read_text())["runtime"]
        assert runtime == "python" or "virtualenv" not in runtime.get("options", {}), manifest


def test_no_pack_is_named_in_the_deploy_workflows_commands():
    scripts = [s.get("run", "") for s in deploy_job()["steps"]]
    for pack in (ROOT / "policies").glob("*/PulumiPolicy.yaml"):
        assert not any(pack.parent.name in script for script in scripts), pack.parent.name
    assert sum("--policy-pack" in script for script in scripts) == 0


def _fake_pulumi(folder: Path) -> Path:
    folder.mkdir()
    script = folder / "pulumi"
    script.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$PULUMI_CALLS/$1"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder


def _run_step(step: dict, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    # GitHub runs `run:` with bash -e -o pipefail; the scripts use no ${{ }} expressions.
    assert "${{" not in step["run"]
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    "packs", [["tagging", "security-baseline"], ["observability", "model-governance", "tagging"]]
)
def test_preview_and_up_get_the_packs_the_stack_lists(tmp_path, packs):
    """Change the stack's policyPacks and pulumi gets exactly those packs, in that order, each
    with the config file `obsgov policy config` wrote for it."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copytree(STACKS, checkout / "stacks")
    (checkout / "policies").symlink_to(ROOT / "policies")
    stack_file = checkout / "stacks" / "Pulumi.prod.yaml"
    stack = pyyaml.safe_load(stack_file.read_text())
    listed = {Path(p["path"]).name: p for p in stack["config"]["obsgov:policyPacks"]}
    stack["config"]["obsgov:policyPacks"] = [copy.deepcopy(listed[name]) for name in packs]
    stack_file.write_text(pyyaml.safe_dump(stack, sort_keys=False))

    calls, runner_temp = tmp_path / "calls", tmp_path / "runner"
    calls.mkdir()
    runner_temp.mkdir()
    bin_dirs = [str(_fake_pulumi(tmp_path / "bin")), str(Path(sys.executable).parent)]
    env = {
        **os.environ,
        "PATH": os.pathsep.join([*bin_dirs, os.environ["PATH"]]),
        "RUNNER_TEMP": str(runner_temp),
        "STACK": "prod",
        "PULUMI_CALLS": str(calls),
    }
    steps = steps_by_name(deploy_job())
    for step_id in ("packs", "preview", "up"):
        result = _run_step(steps[step_id], checkout, env)
        assert result.returncode == 0, f"{step_id}: {result.stdout}{result.stderr}"

    expected = []
    for name in packs:
        config = runner_temp / "policy" / f"{name}.json"
        assert config.is_file()
        expected += [
            "--policy-pack",
            str((checkout / "policies" / name).resolve()),
            "--policy-pack-config",
            str(config),
        ]
    preview = (calls / "preview").read_text().split("\n")[:-1]
    up = (calls / "up").read_text().split("\n")[:-1]
    assert preview[:3] == ["preview", "--stack", "prod"]
    assert up[:4] == ["up", "--yes", "--stack", "prod"]
    assert [_resolve(a) for a in preview[3:]] == expected
    assert [_resolve(a) for a in up[4:]] == expected


def _resolve(arg: str) -> str:
    return str(Path(arg).resolve()) if arg.startswith("/") and "policies" in arg else arg


# --------------------------------------------------------------------------- the report


def _report_checkout(tmp_path: Path) -> tuple[Path, dict]:
    checkout = tmp_path / "checkout"
    (checkout / ".venv" / "bin").mkdir(parents=True)
    (checkout / ".venv" / "bin" / "obsgov").symlink_to(Path(sys.executable).parent / "obsgov")
    shutil.copytree(STACKS, checkout / "stacks")
    (checkout / "policies").symlink_to(ROOT / "policies")
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    env = {
        **os.environ,
        "STACK": "dev",
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    return checkout, env


def test_pull_requests_get_the_report_with_the_change_against_the_base(tmp_path):
    """The summary step, run as GitHub runs it, with a base report whose cost is lower and
    whose CloudWatch.16 had failed: the summary shows both changes."""
    job = load(GATE)["jobs"]["gate"]
    steps = steps_by_name(job)
    for name in ("Check out the base branch", "Environment report of the base branch"):
        assert steps[name]["if"] == "always() && github.event_name == 'pull_request'"
    checkout, env = _report_checkout(tmp_path)
    base = tmp_path / "runner-temp" / "base-report-dev.json"
    subprocess.run(
        [
            str(checkout / ".venv/bin/obsgov"),
            "report",
            "--stack",
            "dev",
            "--format",
            "json",
            "--out",
            str(base),
        ],
        cwd=checkout,
        check=True,
        capture_output=True,
        timeout=300,
    )
    report = json.loads(base.read_text())
    account = next(iter(report["cost"]["byAccount"]))
    report["cost"]["byAccount"][account] -= 40
    report["cost"]["monthlyUsd"] -= 40
    for control in report["controls"]:
        if control["control"] == "FSBP CloudWatch.16":
            control["status"] = "failed"
    base.write_text(json.dumps(report))

    result = _run_step(steps["Environment report"], checkout, env)
    assert result.returncode == 0, result.stderr
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("<!-- obsgov-report: obsgov/dev -->\n## obsgov obsgov/dev: ")
    assert "This change: **+$40.00** a month" in summary
    assert f"| {account} | {report['accountNames'][account]} | +40.00 |" in summary
    assert "| FSBP CloudWatch.16 | failed | passed |" in summary


def test_without_a_base_report_the_summary_has_no_diff(tmp_path):
    checkout, env = _report_checkout(tmp_path)
    result = _run_step(
        steps_by_name(load(GATE)["jobs"]["gate"])["Environment report"], checkout, env
    )
    assert result.returncode == 0, result.stderr
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("<!-- obsgov-report: obsgov/dev -->\n## obsgov obsgov/dev: ")
    # the comment is the summary's text
    assert (tmp_path / "runner-temp" / "comment-dev.md").read_text() == summary
    assert "This change" not in summary
    assert "Estimated monthly cost: **$" in summary


def test_every_stack_is_checked_against_the_organisation_before_it_is_deployed():
    """`obsgov org check` (read-only) runs before the stack's preview and `pulumi up` in every
    job (one list of steps), so a missing trusted access, policy type, service-linked role or
    principal stops the deploy before it starts instead of failing `pulumi up` part-way."""
    for stack in DEPLOY_STACKS:
        steps = deploy_job(stack)["steps"]
        names = [s.get("id") or s.get("name") for s in steps]
        check = steps[names.index("org-check")]
        assert check["run"] == 'obsgov org check --stack "$STACK"'
        assert "env" not in check  # no Pulumi token: it calls AWS only
        assert names.index("packs") < names.index("org-check") < names.index("preview")
