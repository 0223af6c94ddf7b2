"""The workflows as a security reviewer and a platform team read them (issue 36): checkouts
that leave no credentials behind, permissions per job, bounded and superseded runs, a private
obsgov readable from a team's repository, deploys to a self-managed backend, and one sticky
comment per environment on a pull request. Shell steps run here as GitHub runs them, with
stand-in ``pulumi`` and ``gh`` scripts that record what they are asked to do."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT
from .test_pr_comment import run_step, stand_in
from .test_workflows import DEPLOY, DEPLOY_STACKS, GATE, WORKFLOWS, deploy_job, load, steps_by_name

TEAM_GATE = WORKFLOWS / "team-gate.yml"
ALL = [GATE, DEPLOY, TEAM_GATE]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_checkouts_keep_no_credentials_and_jobs_ask_for_their_own_permissions(path):
    """actions/checkout persists the token in .git/config unless told not to; a later step
    (the team's own requirements, a pack) could read it (docs.zizmor.sh/audits/#artipacked)."""
    workflow = load(path)
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        assert job["permissions"], name
        assert 0 < job["timeout-minutes"] <= 90, name
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, (name, step)


def test_a_new_push_cancels_the_gate_of_the_one_before_but_never_a_deploy():
    gate = load(GATE)["concurrency"]
    assert gate["group"] == "policy-gate-${{ github.event.pull_request.number || github.ref }}"
    assert gate["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    for stack in DEPLOY_STACKS:
        assert deploy_job(stack)["concurrency"]["cancel-in-progress"] is False


def test_zizmor_finds_nothing_in_its_pedantic_persona():
    zizmor = shutil.which("zizmor", path=str(Path(sys.executable).parent))
    assert zizmor, "zizmor is in the test extras"
    result = subprocess.run(
        [zizmor, "--offline", "--persona", "pedantic", "--no-progress", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_team_gate_reads_a_private_obsgov_with_a_token_the_caller_passes():
    """A called workflow's GITHUB_TOKEN is the caller's, scoped to the caller's repository
    (docs.github.com, "Reusing workflows": GITHUB_TOKEN permissions can only be the same or
    more restrictive in nested workflows), so it cannot read a private obsgov."""
    workflow = load(TEAM_GATE)
    secret = workflow["on"]["workflow_call"]["secrets"]["obsgov-token"]
    assert secret["required"] is False
    checkout = steps_by_name(workflow["jobs"]["gate"])["Check out obsgov"]
    assert checkout["with"]["token"] == "${{ secrets.obsgov-token || github.token }}"
    # the README's caller passes it
    readme = (ROOT / "docs" / "team-projects.md").read_text()
    section = readme[readme.index("## In a team's repository") :]
    caller = section[section.index("```yaml\n") : section.index("```\n", 8)]
    assert "obsgov-token: ${{ secrets." in caller


BACKENDS = {
    "pulumi-cloud": ({}, ["login"], ["stack", "select", "--create", "--stack", "prod"]),
    "s3-and-kms": (
        {
            "PULUMI_BACKEND_URL": "s3://obsgov-state/obsgov?region=eu-west-1",
            "PULUMI_SECRETS_PROVIDER": "awskms://alias/obsgov-pulumi?region=eu-west-1",
        },
        ["login", "s3://obsgov-state/obsgov?region=eu-west-1"],
        [
            "stack",
            "select",
            "--create",
            "--stack",
            "prod",
            "--secrets-provider",
            "awskms://alias/obsgov-pulumi?region=eu-west-1",
        ],
    ),
    "s3-and-passphrase": (
        {
            "PULUMI_BACKEND_URL": "s3://obsgov-state/obsgov",
            "PULUMI_SECRETS_PROVIDER": "passphrase",
        },
        ["login", "s3://obsgov-state/obsgov"],
        ["stack", "select", "--create", "--stack", "prod", "--secrets-provider", "passphrase"],
    ),
}


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_the_deploy_logs_in_to_its_backend_and_creates_a_missing_stack(tmp_path, backend):
    """`pulumi login [url]` and `pulumi stack select --create --secrets-provider` (Pulumi CLI
    reference: pulumi_login, pulumi_stack_select)."""
    variables, login, select = BACKENDS[backend]
    job = deploy_job()
    # the variables reach every step through the job's env; GitHub gives '' when unset
    assert job["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert job["env"]["PULUMI_SECRETS_PROVIDER"] == "${{ vars.PULUMI_SECRETS_PROVIDER }}"
    calls = tmp_path / "calls"
    stand_in(tmp_path / "bin", "pulumi", 'printf "%s\\n" "$@" >> "$CALLS"\necho --- >> "$CALLS"\n')
    env = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "CALLS": str(calls),
        "STACK": "prod",
        "PULUMI_BACKEND_URL": "",
        "PULUMI_SECRETS_PROVIDER": "",
        **variables,
    }
    result = run_step(steps_by_name(job)["stack"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    recorded = [c.split("\n") for c in calls.read_text().split("---\n") if c]
    assert [c[:-1] for c in recorded] == [login, select]


def test_every_step_that_runs_pulumi_gets_the_backends_secrets():
    for step in deploy_job()["steps"]:
        if "pulumi " in step.get("run", ""):
            assert set(step["env"]) == {"PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"}, step


@pytest.mark.parametrize("stack", DEPLOY_STACKS)
def test_the_deploy_lists_each_environments_shards(stack, tmp_path):
    """The shards step runs as GitHub runs it (`bash -e`): `obsgov deploy --shards-only`
    lists the environment's member shards, none in the single-stack mode the shipped stacks
    use, so it deploys nothing and passes; `pulumi` is never reached. It once passed a str
    where the loader reads `.parent` of a Path, which would have failed every deploy job."""
    step = next(s for s in deploy_job(stack)["steps"] if s.get("id") == "shards")
    assert "obsgov deploy" in step["run"]
    assert "--shards-only" in step["run"]
    stand_in(tmp_path / "bin", "pulumi", "exit 99\n")
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=ROOT,
        env={
            **os.environ,
            "STACK": stack,
            "PULUMI_SECRETS_PROVIDER": "",
            "PATH": f"{tmp_path / 'bin'}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no member shards" in done.stdout
