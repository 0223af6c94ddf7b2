"""Pack processes: refused duplicates, never one left behind whatever fails, and a pack started
early (while the program is synthesized) is the process that judges."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.config.loader import load_environment
from obsgov.errors import InputError
from obsgov.gate import launch
from obsgov.gate.engine import (
    GateOptions,
    PackLauncher,
    PolicyConfigError,
    run_gate,
    synthesize_and_gate,
    synthesize_program_and_gate,
)
from obsgov.gate.pack_config import parse_pack_config
from obsgov.gate.project import PolicyPackProject, load_policy_pack
from tests.support.gate import PACKS, STACKS, child_pids, probe_graph


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    env = load_environment("dev", STACKS / "Pulumi.dev.yaml")
    return probe_graph(env, tmp_path_factory.mktemp("launch"), False)


def _settled(before: set[int], seconds: float = 5.0) -> set[int]:
    """Children that are still alive a moment after the run (a process being reaped may
    linger for a few milliseconds)."""
    deadline = time.monotonic() + seconds
    left = child_pids() - before
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = child_pids() - before
    return left


def test_the_same_pack_twice_is_refused_before_any_process_starts(graph):
    before = child_pids()
    probe = load_policy_pack(PACKS / "probe")
    with pytest.raises(InputError) as caught:
        run_gate(
            graph,
            [(probe, []), (load_policy_pack(PACKS / "probe"), [])],
            GateOptions(stack_config={}),
        )
    assert str(caught.value.problems[0]) == (
        f"--policy-pack: {probe.directory} is given twice (positions 1 and 2); "
        "give each policy pack once"
    )
    assert _settled(before) == set()


def test_the_same_pack_twice_on_the_command_line():
    before = child_pids()
    result = CliRunner().invoke(
        app,
        [
            "preview",
            "--stack",
            "dev",
            "--policy-pack",
            str(PACKS / "probe"),
            "--policy-pack",
            str(PACKS / "probe") + "/",
        ],
    )
    assert result.exit_code == 2, result.output
    assert "is given twice (positions 1 and 2)" in result.output
    assert "Traceback" not in result.output
    assert _settled(before) == set()


@pytest.mark.parametrize(
    ("packs", "layers", "expect"),
    [
        # a config error in one pack while the others are up
        (["probe", "strict-config", "conformance"], [[], [{}], []], PolicyConfigError),
        # a pack that crashes at start, one that dies mid-Analyze, one that hangs
        (["crash-at-start", "probe"], [[], []], None),
        (["crash-in-analyze", "probe"], [[], []], None),
        (["hang-in-analyze", "probe"], [[], []], None),
    ],
)
def test_no_pack_process_is_left_after_a_failure(graph, packs, layers, expect):
    before = child_pids()
    chosen = [
        (load_policy_pack(PACKS / name), [parse_pack_config(x, "t") for x in layer])
        for name, layer in zip(packs, layers, strict=True)
    ]
    options = GateOptions(stack_config={}, call_timeout=2, start_timeout=10)
    if expect is not None:
        with pytest.raises(expect):
            run_gate(graph, chosen, options)
    else:
        run = run_gate(graph, chosen, options)
        assert run.failed
        assert any(p.error for p in run.packs)
    assert _settled(before) == set()


def test_no_pack_process_is_left_when_synthesis_fails_after_launch(tmp_path):
    """``obsgov preview`` starts packs while it synthesizes; a program that fails under the
    mocks must stop them."""
    before = child_pids()
    projects = [load_policy_pack(PACKS / "probe"), load_policy_pack(PACKS / "strict-config")]
    with (
        pytest.raises(RuntimeError),
        PackLauncher(
            projects,
            stack="dev",
            project_name="obsgov",
            dry_run=True,
            options=GateOptions(stack_config={}),
        ),
    ):
        raise RuntimeError("synthesis failed")
    assert _settled(before) == set()


def test_no_pack_process_is_left_after_bad_input_on_the_command_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name-prefix": {"mode": "fast"}}))
    before = child_pids()
    result = CliRunner().invoke(
        app,
        [
            "preview",
            "--stack",
            "dev",
            "--policy-pack",
            str(PACKS / "probe"),
            "--policy-pack-config",
            str(bad),
        ],
    )
    assert result.exit_code == 2
    assert _settled(before) == set()


# --------------------------------------------------------------------------- early starts


def _starts(tmp_path) -> tuple[list, GateOptions]:
    """The ``starts`` pack, which writes its process id to a file each time it starts and
    reports, on the stack resource, the process that judged it."""
    options = GateOptions(stack_config={"starts:file": str(tmp_path / "starts.txt")})
    return [(load_policy_pack(PACKS / "starts"), [])], options


def _started(tmp_path) -> str:
    """The id of the one pack process that was started (fails if there were several)."""
    [pid] = (tmp_path / "starts.txt").read_text().split()
    return pid


def test_a_pack_the_launcher_started_is_the_one_that_judges(graph, tmp_path):
    packs, options = _starts(tmp_path)
    with PackLauncher(
        [packs[0][0]], stack="dev", project_name="obsgov", dry_run=False, options=options
    ) as launcher:
        run = run_gate(graph, packs, options, launcher=launcher)
    [seen] = run.packs[0].violations
    assert seen.detail == f"pid={_started(tmp_path)} dry_run=False"


def test_obsgov_preview_starts_each_pack_once_in_preview_mode(scenario, tmp_path):
    """``obsgov preview`` (preview unless told otherwise): the packs are started while the
    environment is synthesized, with ``PULUMI_DRY_RUN`` true, and those processes judge."""
    packs, options = _starts(tmp_path)
    run = synthesize_and_gate(scenario().load(), packs, options)
    assert run.graph.preview is True
    [seen] = run.packs[0].violations
    assert seen.urn == "urn:pulumi:dev::obsgov::pulumi:pulumi:Stack::obsgov-dev"
    assert seen.detail == f"pid={_started(tmp_path)} dry_run=True"


def test_a_team_program_is_judged_by_the_packs_started_meanwhile(tmp_path):
    """``obsgov preview --project``: the team's program runs in its own process while the
    packs start; ``on_graph`` sees the synthesized graph before it is judged."""
    from obsgov.synth.project_runner import ProgramRun

    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "__main__.py").write_text(
        "import pulumi_aws as aws\naws.sns.Topic('orders', name='orders')\n"
    )
    program = ProgramRun(
        directory=str(folder),
        program=str(folder / "__main__.py"),
        project="team",
        stack="qa",
        config={},
        secret_keys=[],
        region="eu-west-1",
        provider_config={"region": "eu-west-1"},
    )
    packs, options = _starts(tmp_path)
    seen_graphs: list[Any] = []
    run = synthesize_program_and_gate(program, packs, options, on_graph=seen_graphs.append)
    [seen] = run.packs[0].violations
    assert seen.urn == "urn:pulumi:qa::team::pulumi:pulumi:Stack::team-qa"
    assert seen.detail == f"pid={_started(tmp_path)} dry_run=True"
    [graph] = seen_graphs
    assert (graph.project, graph.stack, graph.preview) == ("team", "qa", True)
    assert [r.urn for r in graph.resources] == [r.urn for r in run.graph.resources]
    assert "urn:pulumi:qa::team::aws:sns/topic:Topic::orders" in graph.by_urn


def test_the_gate_judges_with_the_process_the_launcher_started(graph):
    """``obsgov preview`` starts the pack while it synthesizes; the gate then uses that process
    and closes it, rather than starting a second one: nothing is left running once the gate
    has run, before the launcher itself is closed."""
    before = child_pids()
    probe = load_policy_pack(PACKS / "probe")
    options = GateOptions(stack_config={"obsgov:environment": "dev"})
    with PackLauncher(
        [probe], stack=graph.stack, project_name=graph.project, dry_run=False, options=options
    ) as launcher:
        run = run_gate(graph, [(probe, [])], options, launcher=launcher)
        assert [p.error for p in run.packs] == [None]
        assert _settled(before) == set()


def test_every_pack_starts_at_once_however_many_there_are(monkeypatch):
    """No pack waits for another to finish starting: each start waits here until all have
    begun, which only works if all run at the same time (more than a thread pool's default
    of at most 32 workers)."""
    count = 33
    everyone = threading.Barrier(count, timeout=10)

    class Started:
        def __init__(self, project):
            self.project = project

        def close(self):
            pass

    def start(project, stack, project_name, dry_run, options):
        everyone.wait()
        return Started(project)

    monkeypatch.setattr(launch, "launch_pack", start)
    projects = [PolicyPackProject(Path(f"/packs/p{i}"), "python") for i in range(count)]
    with PackLauncher(
        projects,
        stack="dev",
        project_name="obsgov",
        dry_run=True,
        options=GateOptions(stack_config={}),
    ) as launcher:
        assert [launcher.take(p)().project for p in projects] == projects
