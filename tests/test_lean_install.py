"""The lean install (issue 36): the policy gate needs none of the drift engine's libraries,
which are the `drift` extra; the `test` extra holds everything the suite needs, drift
included, since CI's .ci/run installs only '.[test]'."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import tomllib

from obsgov.cli.drift import DRIFT_MODULES

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ;]", r, maxsplit=1)[0].lower() for r in requirements}


def test_the_drift_libraries_are_an_extra_that_the_test_extra_includes():
    extras = PROJECT["optional-dependencies"]
    assert not names(PROJECT["dependencies"]) & set(DRIFT_MODULES)
    assert names(extras["drift"]) == set(DRIFT_MODULES)
    assert "obsgov[drift]" in extras["test"]
    assert "-e '.[test]'" in (ROOT / ".ci" / "run").read_text()


def test_only_the_drift_engine_imports_the_drift_libraries():
    offenders = []
    for folder in ("obsgov", "components", "policies"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.is_relative_to(ROOT / "obsgov" / "drift"):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                modules = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom) and node.level == 0
                    else []
                )
                if any(m.split(".")[0] in DRIFT_MODULES for m in modules):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def without_drift(*args: str) -> subprocess.CompletedProcess:
    """The CLI in a process where the drift libraries cannot be imported, as after a lean
    install."""
    code = (
        "import sys\n"
        f"sys.modules.update(dict.fromkeys({list(DRIFT_MODULES)!r}))\n"
        f"sys.argv = ['obsgov', *{list(args)!r}]\n"
        "from obsgov.cli import main\n"
        "main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_gate_runs_without_the_drift_extra():
    validate = without_drift("validate", "--stack", "dev")
    assert validate.returncode == 0, validate.stderr
    preview = without_drift("preview", "--stack", "dev", "--policy-pack", "policies/tagging")
    assert preview.returncode in (0, 1), preview.stderr
    assert "judged by 1 pack in" in preview.stdout


def test_drift_without_its_extra_says_how_to_install_it(tmp_path):
    done = without_drift(
        "drift", "baseline", "--data", "x.parquet", "--output", str(tmp_path / "b.json")
    )
    assert done.returncode == 2
    assert "obsgov drift needs the drift extra" in done.stderr
    assert "pip install 'obsgov[drift]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_readme_says_which_install_to_use():
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "pip install obsgov" in readme
    assert "obsgov[drift]" in readme
