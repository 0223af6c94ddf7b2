"""The pack process: its environment, as the Python language host builds it, and what a
failure to start tells."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
import time
from pathlib import Path

import pytest

from obsgov.gate.launch import GateOptions, launch_pack
from obsgov.gate.plugin import PackError, activate_virtualenv
from obsgov.gate.project import load_policy_pack
from obsgov.graph import GraphResource, ResourceGraph
from tests.support.gate import PACKS, child_pids, run_probe


def test_a_virtualenv_goes_first_on_path_and_python_home_is_dropped():
    env = {"PATH": "/usr/bin", "PYTHONHOME": "/opt/python", "HOME": "/home/ci"}
    activated = activate_virtualenv(env, Path("/packs/venv"))
    assert activated == {
        "PATH": f"/packs/venv/bin{os.pathsep}/usr/bin",
        "VIRTUAL_ENV": "/packs/venv",
        "HOME": "/home/ci",
    }
    # the caller's environment is left as it was
    assert env == {"PATH": "/usr/bin", "PYTHONHOME": "/opt/python", "HOME": "/home/ci"}


def test_without_a_path_the_virtualenv_bin_is_joined_with_an_empty_path():
    assert activate_virtualenv({}, Path("/v")) == {
        "PATH": f"/v/bin{os.pathsep}",
        "VIRTUAL_ENV": "/v",
    }


def test_a_pack_that_dies_at_start_is_reported_with_the_last_15_lines_it_wrote(tmp_path):
    pack = tmp_path / "noisy"
    shutil.copytree(PACKS / "crash-at-start", pack)
    (pack / "__main__.py").write_text(
        textwrap.dedent("""
            import os, sys
            for i in range(1, 21):
                print(f"line {i}", file=sys.stderr)
            sys.stderr.flush()
            os._exit(3)
        """)
    )
    project = load_policy_pack(pack)
    with pytest.raises(PackError) as caught:
        launch_pack(project, "dev", "obsgov", True, GateOptions(stack_config={}))
    tail = "\n".join(f"    line {i}" for i in range(6, 21))
    assert (
        str(caught.value) == f"policy pack {pack} printed no port and exited with code 3.\n{tail}"
    )


def test_a_virtualenv_python_that_cannot_run_is_reported_with_its_path(tmp_path):
    """A declared virtualenv whose ``bin/python`` exists but cannot be executed: the pack
    fails to start and the error names the interpreter and the operating system's reason."""
    pack = tmp_path / "pack"
    shutil.copytree(PACKS / "starts", pack)
    (pack / "PulumiPolicy.yaml").write_text(
        "runtime:\n  name: python\n  options:\n    virtualenv: venv\nversion: 0.1.0\n"
    )
    python = pack / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("not a program\n")
    python.chmod(0o644)
    project = load_policy_pack(pack)
    with pytest.raises(PackError) as caught:
        launch_pack(project, "dev", "obsgov", True, GateOptions(stack_config={}))
    assert str(caught.value) == (
        f"policy pack {pack}: cannot start {python}: [Errno 13] Permission denied: '{python}'"
    )


def test_stderr_that_is_not_utf8_is_still_shown_with_replacement_characters(tmp_path):
    """The pack's stderr is decoded leniently: a stray byte does not cost the lines after it."""
    pack = tmp_path / "binary"
    shutil.copytree(PACKS / "crash-at-start", pack)
    (pack / "__main__.py").write_text(
        textwrap.dedent("""
            import os, sys
            sys.stderr.buffer.write(b"bad \\xff byte\\nlast words\\n")
            sys.stderr.flush()
            os._exit(3)
        """)
    )
    project = load_policy_pack(pack)
    with pytest.raises(PackError) as caught:
        launch_pack(project, "dev", "obsgov", True, GateOptions(stack_config={}))
    assert str(caught.value) == (
        f"policy pack {pack} printed no port and exited with code 3.\n"
        "    bad \ufffd byte\n    last words"
    )


def _hanging_pack(tmp_path, body: str) -> Path:
    pack = tmp_path / "hangs"
    shutil.copytree(PACKS / "crash-at-start", pack)
    (pack / "__main__.py").write_text(textwrap.dedent(body))
    return pack


def test_a_pack_that_closes_stdout_and_hangs_is_reported_as_still_running(tmp_path):
    """Stdout closed without a port: the gate waits a few seconds for the process to exit,
    not for ever, and says it is still running."""
    pack = _hanging_pack(
        tmp_path,
        """
        import os, time
        os.close(1)
        time.sleep(30)
        """,
    )
    started = time.monotonic()
    with pytest.raises(PackError) as caught:
        launch_pack(load_policy_pack(pack), "dev", "obsgov", True, GateOptions(stack_config={}))
    assert str(caught.value) == f"policy pack {pack} printed no port and is still running.\n"
    assert time.monotonic() - started < 20


def test_a_pack_that_ignores_sigterm_is_killed(tmp_path):
    """Stopping a pack: SIGTERM, and SIGKILL a few seconds later if it ignores that; the gate
    neither hangs on it nor leaves it behind."""
    pack = _hanging_pack(
        tmp_path,
        """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(30)
        """,
    )
    started = time.monotonic()
    with pytest.raises(PackError, match="printed no port within 1s"):
        launch_pack(
            load_policy_pack(pack),
            "dev",
            "obsgov",
            True,
            GateOptions(stack_config={}, start_timeout=1),
        )
    assert time.monotonic() - started < 20
    assert child_pids() == set()


def _team_stack(preview: bool) -> ResourceGraph:
    """The ``qa`` stack of project ``team``: only its Stack resource, which the environment
    pack reports on."""
    stack = GraphResource(
        urn="urn:pulumi:qa::team::pulumi:pulumi:Stack::team-qa",
        type="pulumi:pulumi:Stack",
        name="team-qa",
        custom=False,
    )
    return ResourceGraph(project="team", stack="qa", preview=preview, resources=[stack])


def test_the_pack_gets_the_stack_environment_the_cli_sets(monkeypatch):
    """``constructEnv`` (sdk/go/common/resource/plugin/analyzer_plugin.go): the stack's
    identity in ``PULUMI_*`` variables, and its config as Go's ``json.Marshal`` writes a map:
    keys sorted, no spaces, non-ASCII as is, ``<``, ``>`` and ``&`` escaped. The engine sets
    no PYTHONUNBUFFERED (the language host passes ``-u``)."""
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    result = run_probe(
        _team_stack(preview=False),
        pack="environment",
        config={"team:zone": "b<&>é", "team:area": "a"},
        organization="acme",
    )
    [violation] = result.violations
    assert json.loads(violation.message.split("\n", 1)[1]) == {
        "PULUMI_CONFIG": '{"team:area":"a","team:zone":"b\\u003c\\u0026\\u003eé"}',
        "PULUMI_ORGANIZATION": "acme",
        "PULUMI_PROJECT": "team",
        "PULUMI_STACK": "qa",
        "PULUMI_DRY_RUN": "false",
        "PYTHONUNBUFFERED": None,
    }


def test_an_empty_stack_value_is_not_set_and_the_inherited_one_stays(monkeypatch):
    """constructEnv sets a PULUMI_* variable only when its value is not empty
    (maybeAppendEnv), so an empty organization leaves the inherited variable alone."""
    monkeypatch.setenv("PULUMI_ORGANIZATION", "inherited")
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    [violation] = run_probe(
        _team_stack(preview=True), pack="environment", organization=""
    ).violations
    seen = json.loads(violation.message.split("\n", 1)[1])
    assert seen["PULUMI_ORGANIZATION"] == "inherited"
    assert seen["PULUMI_CONFIG"] == '{"obsgov:environment":"dev"}'
    assert seen["PULUMI_DRY_RUN"] == "true"
