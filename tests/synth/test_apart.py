"""Synthesis in a process of its own (obsgov/synth/apart.py): the same graph and the same
errors as in-process, with the SDK's working state (and memory) left in the child."""

from __future__ import annotations

import asyncio
import threading

import pytest
from pulumi.runtime import settings

from obsgov.errors import InputError
from obsgov.synth import SynthesisError, runner
from obsgov.synth.apart import synthesis_apart


class _Sdk:
    """The SDK's settings, made fresh by :meth:`reset`; a synthesis in this process points
    them at obsgov's monitor (set_mocks), one in a child cannot."""

    def reset(self) -> None:
        settings.SETTINGS = settings.Settings(project="p", stack="s")

    def untouched(self) -> bool:
        return settings.SETTINGS.monitor is None


@pytest.fixture
def sdk():
    before = settings.SETTINGS
    try:
        yield _Sdk()
    finally:
        settings.SETTINGS = before


def test_the_childs_graph_is_the_in_process_graph(example_env, example_graph, sdk):
    expected = example_graph("dev", True).to_dict()
    sdk.reset()
    with synthesis_apart(example_env("dev")) as pending:
        graph = pending.result()
    assert pending.process.returncode == 0
    assert sdk.untouched()
    assert graph.to_dict() == expected


def test_obsgov_preview_synthesizes_in_a_child(scenario, sdk):
    """``obsgov preview``'s synthesis (synthesize_and_gate) leaves this process's SDK alone."""
    from obsgov.gate.engine import GateOptions, synthesize_and_gate

    env = scenario().load()
    sdk.reset()
    run = synthesize_and_gate(env, [], GateOptions(stack_config=env.config_map))
    assert len(run.graph.resources) > 1
    assert sdk.untouched()


def _raised_both_ways(error: type[Exception], env, **kwargs) -> tuple[Exception, Exception]:
    """What ``error`` the synthesis raised in-process, then apart."""
    with pytest.raises(error) as in_process:
        runner.synthesize(env, **kwargs)
    with pytest.raises(error) as apart, synthesis_apart(env, **kwargs) as pending:
        pending.result()
    return in_process.value, apart.value


def test_bad_input_found_in_the_child_is_bad_input_here_with_every_problem(example_env):
    """The same report as in-process (tests/synth/test_stacks.py's missing-output case)."""
    given = {"organization/obsgov/org": {"centralEventBusArn": "arn:aws:events:x"}}
    in_process, apart = _raised_both_ways(InputError, example_env("dev"), stack_outputs=given)
    assert isinstance(apart, InputError)
    assert isinstance(in_process, InputError)
    assert apart.problems == in_process.problems
    assert "has no output 'sinkArn'" in apart.report()


def test_a_program_failure_keeps_its_message(example_env, tmp_path):
    program = tmp_path / "__main__.py"
    program.write_text("raise ValueError('no such account')\n")
    in_process, apart = _raised_both_ways(SynthesisError, example_env("dev"), program=program)
    assert str(apart) == str(in_process)
    assert str(apart) == "__main__.py failed: ValueError: no such account"


def test_a_crash_in_the_child_is_an_internal_error_not_a_verdict():
    with (
        pytest.raises(RuntimeError, match=r"^synthesis failed: AttributeError: "),
        synthesis_apart(None) as pending,
    ):
        pending.result()


def test_a_child_killed_midway_is_reported_not_waited_for(example_env):
    """The kernel's OOM killer ends a process with SIGKILL, which nothing in it can catch."""
    with synthesis_apart(example_env("dev")) as pending:
        pending.process.kill()
        with pytest.raises(RuntimeError, match=r"ended \(signal 9\) without a graph; was it"):
            pending.result()


def test_a_child_whose_graph_is_not_wanted_is_stopped(example_env):
    with synthesis_apart(example_env("dev")) as pending:
        pass
    assert pending.process.returncode is not None  # ended and reaped, not left running


def test_an_in_process_synthesis_leaves_no_threads_and_gives_the_loop_back(example_env):
    """The SDK registers resources through the event loop's default executor; the synthesis
    runs on a loop of its own, shut down with its executor's threads, and the thread's own
    loop is current again afterwards."""
    policy = asyncio.get_event_loop_policy()
    previous = policy.get_event_loop()
    own = asyncio.new_event_loop()
    asyncio.set_event_loop(own)
    try:
        threads = threading.active_count()
        runner.synthesize(example_env("dev"))
        assert threading.active_count() == threads
        assert policy.get_event_loop() is own
    finally:
        asyncio.set_event_loop(previous)
        own.close()
