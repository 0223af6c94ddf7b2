"""The pack process: its environment, as the Python language host builds it, and what a
failure to start tells."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
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
    # children this worker already had (a session's Spark JVM from the drift tests) are not
    # the pack's
    before = child_pids()
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
    assert child_pids() - before == set()


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


# --------------------------------------------------------------------------- hostile packs


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, waiting for a parent to reap it, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _serving_pack(tmp_path: Path, name: str, at_import: str) -> Path:
    """A pack that runs ``at_import`` when it loads, then serves one policy normally."""
    pack = tmp_path / name
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.1.0\n")
    (pack / "__main__.py").write_text(
        textwrap.dedent(at_import)
        + textwrap.dedent("""
            from pulumi_policy import PolicyPack, ResourceValidationPolicy

            def judged(args, report_violation):
                report_violation("judged")

            PolicyPack(name="served", policies=[ResourceValidationPolicy(
                name="judged", description="Reports every resource.", validate=judged)])
        """)
    )
    return pack


def _judge_in_a_process(pack: Path, timeout: float) -> subprocess.CompletedProcess:
    """Judge a one-resource stack with ``pack`` from a fresh interpreter that then exits, as
    the CLI does; the test's own process must not inherit what the pack leaves behind."""
    script = textwrap.dedent(f"""
        from pathlib import Path
        from obsgov.gate.engine import GateOptions, run_pack
        from obsgov.gate.project import load_policy_pack
        from obsgov.graph import GraphResource, ResourceGraph
        stack = GraphResource(urn="urn:pulumi:qa::team::pulumi:pulumi:Stack::team-qa",
                              type="pulumi:pulumi:Stack", name="team-qa", custom=False)
        graph = ResourceGraph(project="team", stack="qa", preview=True, resources=[stack])
        result = run_pack(load_policy_pack(Path({str(pack)!r})), graph, [],
                          GateOptions(stack_config={{}}, start_timeout=60, call_timeout=60))
        print(result.error or [v.message.splitlines()[-1] for v in result.violations])
    """)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout
    )


def test_a_pack_whose_child_keeps_its_pipes_open_is_stopped_with_the_child(tmp_path):
    """The pack starts a process that inherits its stdout and stderr, then serves. When the
    gate is done it stops the pack's whole process group: the child dies with it and nothing
    waits for the pipes it held (the gate used to wait for the child to exit)."""
    pid_file = tmp_path / "child.pid"
    pack = _serving_pack(
        tmp_path,
        "with-child",
        f"""
        import subprocess
        child = subprocess.Popen(["sleep", "120"])
        with open({str(pid_file)!r}, "w") as handle:
            handle.write(str(child.pid))
        """,
    )
    started = time.monotonic()
    done = _judge_in_a_process(pack, timeout=200)
    assert time.monotonic() - started < 60, "the gate waited for the pack's child"
    assert done.stdout.strip() == "['judged']", done.stderr
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the pack's child outlived the gate"


def test_a_daemon_the_pack_detaches_does_not_hold_the_gate(tmp_path):
    """A daemon leaves the pack's session (setsid after a double fork), out of reach of the
    group kill, and keeps the pack's pipes open for ever. The gate still returns as soon as
    it is done: its pipe readers stop when told, not when the pipes end."""
    pid_file = tmp_path / "daemon.pid"
    pack = _serving_pack(
        tmp_path,
        "with-daemon",
        f"""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                with open({str(pid_file)!r}, "w") as handle:
                    handle.write(str(os.getpid()))
                time.sleep(300)
            os._exit(0)
        """,
    )
    try:
        started = time.monotonic()
        done = _judge_in_a_process(pack, timeout=400)
        assert time.monotonic() - started < 60, "the gate waited for the daemon"
        assert done.stdout.strip() == "['judged']", done.stderr
    finally:
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_a_pack_that_prints_without_end_is_judged_not_blocked(tmp_path):
    """A pack printing to stdout after its port line: the CLI reads a plugin's output to the
    end; a gate that left it unread would see the pack block once the pipe's buffer (64 KiB)
    filled, and time the call out."""
    pack = tmp_path / "chatty"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.1.0\n")
    (pack / "__main__.py").write_text(
        textwrap.dedent("""
            import sys
            from pulumi_policy import PolicyPack, ResourceValidationPolicy

            def chatter(args, report_violation):
                sys.stdout.write("x" * 200_000 + "\\n")
                sys.stdout.flush()
                report_violation("said a lot")

            PolicyPack(name="chatty", policies=[ResourceValidationPolicy(
                name="chatter", description="Prints 200 KB per resource.", validate=chatter)])
        """)
    )
    from obsgov.gate.engine import run_pack

    result = run_pack(
        load_policy_pack(pack),
        _team_stack(preview=True),
        [],
        GateOptions(stack_config={}, call_timeout=20),
    )
    assert result.error is None
    assert [v.message.splitlines()[-1] for v in result.violations] == ["said a lot"]
