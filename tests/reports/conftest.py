"""Reports of real gate runs: the noisy test pack on the example prod stack, through the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from obsgov.cli import app

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
STACKS = ROOT / "stacks"
NOISY = HERE / "packs" / "noisy"
CRASH = ROOT / "tests" / "packs" / "crash-at-start"
DATA = HERE / "data"
# The noisy pack's remediation runs only at remediate level, and key-rotation is judged
# advisory so that one pack gives every level a report has to tell apart.
NOISY_CONFIG = {"owner-tag": "remediate", "key-rotation": "advisory"}


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


def gate(
    fmt: str, output: Path, pack: Path = NOISY, config: Path | None = None, cwd: Path = ROOT
) -> tuple[int, str]:
    """``obsgov preview --stack prod`` with one pack, run from ``cwd``; (exit code, report)."""
    args = [
        "preview",
        "--stack",
        "prod",
        "--stacks-dir",
        str(STACKS),
        "--policy-pack",
        str(pack),
        "--format",
        fmt,
        "--output",
        str(output),
    ]
    if config is not None:
        args += ["--policy-pack-config", str(config)]
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = cli(*args)
    finally:
        os.chdir(previous)
    assert output.exists(), result.output
    return result.exit_code, output.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def noisy(tmp_path_factory) -> dict[str, Any]:
    """The noisy pack's reports: SARIF from the repository root and from a folder outside it,
    JUnit and JSON (the JSON is what the pack actually said, the oracle for the others)."""
    tmp = tmp_path_factory.mktemp("noisy")
    config = tmp / "noisy.json"
    config.write_text(json.dumps(NOISY_CONFIG))
    reports: dict[str, Any] = {}
    for name, fmt, cwd in (
        ("sarif", "sarif", ROOT),
        ("sarif_elsewhere", "sarif", tmp),
        ("junit", "junit", ROOT),
        ("json", "json", ROOT),
    ):
        code, text = gate(fmt, tmp / f"{name}.{fmt}", config=config, cwd=cwd)
        assert code == 1, f"alarm-runbook is mandatory: the gate must fail ({name})"
        reports[name] = text
    return reports


@pytest.fixture(scope="session")
def crashed(tmp_path_factory) -> dict[str, str]:
    """Reports of a run whose only pack fails to start."""
    tmp = tmp_path_factory.mktemp("crashed")
    reports = {}
    for fmt in ("sarif", "junit"):
        code, text = gate(fmt, tmp / f"crash.{fmt}", pack=CRASH)
        assert code == 1, "a pack that fails makes the gate fail"
        reports[fmt] = text
    return reports
