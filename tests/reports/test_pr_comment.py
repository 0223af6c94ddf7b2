"""The pull request comment (issue 36): one per environment, created on the first push and
edited on every later one, found by the marker line `obsgov report --format md` writes first.
The workflow's shell step runs here as GitHub runs it, with a stand-in ``gh`` that records
what it is asked to do."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from .test_workflows import GATE, load, steps_by_name


def run_step(step: dict, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    # GitHub runs `run:` with bash -e -o pipefail; expressions live in `env:`, not the script
    assert "${{" not in step["run"]
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def stand_in(folder: Path, name: str, script: str) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("#!/usr/bin/env bash\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


GH = """\
printf "%s\\n" "$@" >> "$CALLS"
echo --- >> "$CALLS"
case "$*" in
  *"--method"*) ;;
  *) if [ -n "$EXISTING" ]; then echo "$EXISTING"; fi ;;
esac
"""


@pytest.mark.parametrize("existing", ["", "4711"], ids=["first-push", "later-push"])
def test_the_pull_request_comment_is_created_once_then_edited(tmp_path, existing):
    """Found by its marker among the pull request's issue comments, then edited or created
    (REST: GET/POST /repos/{owner}/{repo}/issues/{n}/comments, PATCH .../issues/comments/{id});
    `gh api -F body=@FILE` reads the value from the file (gh api manual, -F/--field)."""
    job = load(GATE)["jobs"]["gate"]
    step = steps_by_name(job)["Sticky pull request comment"]
    assert step["env"] == {
        "GH_TOKEN": "${{ github.token }}",
        "PR": "${{ github.event.pull_request.number }}",
    }
    assert step["continue-on-error"] is True  # a fork's token cannot comment
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    body = runner_temp / "comment-dev.md"
    body.write_text("<!-- obsgov-report: obsgov/dev -->\n## obsgov obsgov/dev: passed\n")
    calls = tmp_path / "calls"
    stand_in(tmp_path / "bin", "gh", GH)
    env = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "CALLS": str(calls),
        "EXISTING": existing,
        "STACK": "dev",
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_REPOSITORY": "org/obsgov",
        "PR": "7",
    }
    result = run_step(step, tmp_path, env)
    assert result.returncode == 0, result.stderr
    recorded = [c.split("\n")[:-1] for c in calls.read_text().split("---\n") if c]
    lookup = recorded[0]
    assert lookup[:3] == ["api", "repos/org/obsgov/issues/7/comments", "--paginate"]
    # found by the marker line the report writes first
    assert 'startswith("<!-- obsgov-report: obsgov/dev -->")' in lookup[4]
    if existing:
        assert recorded[1] == [
            "api",
            "--method",
            "PATCH",
            "repos/org/obsgov/issues/comments/4711",
            "-F",
            f"body=@{body}",
        ]
    else:
        assert recorded[1] == [
            "api",
            "--method",
            "POST",
            "repos/org/obsgov/issues/7/comments",
            "-F",
            f"body=@{body}",
        ]
    assert len(recorded) == 2


def test_without_a_report_no_comment_is_posted(tmp_path):
    step = steps_by_name(load(GATE)["jobs"]["gate"])["Sticky pull request comment"]
    stand_in(tmp_path / "bin", "gh", 'echo called >> "$CALLS"\n')
    (tmp_path / "runner").mkdir()
    env = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "CALLS": str(tmp_path / "calls"),
        "STACK": "dev",
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "GITHUB_REPOSITORY": "org/obsgov",
        "PR": "7",
    }
    assert run_step(step, tmp_path, env).returncode == 0
    assert not (tmp_path / "calls").exists()
