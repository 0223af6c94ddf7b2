"""Custom timeouts, which a program gives as Go duration strings, read in seconds as the engine
reads them (``generateTimeoutInSeconds`` in pkg/resource/deploy/source_eval.go), so a pack sees
the numbers ``marshalResourceOptions`` would send it."""

from __future__ import annotations

import re
import textwrap

import pytest

from obsgov.config.loader import load_environment
from obsgov.gate.requests import resource_options
from obsgov.synth.monitor import timeout_seconds
from obsgov.synth.runner import SynthesisError
from tests.support.gate import STACKS, probe_graph

PROGRAM = textwrap.dedent("""
    import pulumi, pulumi_aws as aws

    aws.sns.Topic("t", name="obsgov-t", kms_master_key_id="k",
        opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create={create!r},
                                                                           delete="90s")))
""")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("1.5h", 5400.0),
        (".5s", 0.5),
        ("250ms", 0.25),
        ("0", 0.0),
        ("-2m", -120.0),
    ],
)
def test_go_durations_in_seconds(text, seconds):
    assert timeout_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["5", "5 minutes", "m", "1d", "+-1m"])
def test_what_go_cannot_parse_is_refused_in_the_engines_words(text):
    expected = f"unable to parse customTimeout Value {text}"
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        timeout_seconds(text)


@pytest.fixture(scope="module")
def env():
    return load_environment("dev", STACKS / "Pulumi.dev.yaml")


def test_a_programs_timeouts_reach_the_pack_in_seconds(env, tmp_path):
    graph = probe_graph(env, tmp_path, program=PROGRAM.format(create="5m"))
    [topic] = graph.of_type("aws:sns/topic:Topic")
    assert topic.custom_timeouts == {"create": 300.0, "delete": 90.0}
    timeouts = resource_options(topic).customTimeouts
    assert (timeouts.create, timeouts.update, timeouts.delete) == (300.0, 0.0, 90.0)


def test_a_timeout_the_engine_cannot_parse_fails_the_program(env, tmp_path):
    with pytest.raises(SynthesisError) as caught:
        probe_graph(env, tmp_path, program=PROGRAM.format(create="5 minutes"))
    assert str(caught.value).endswith(
        "failed: ValueError: unable to parse customTimeout Value 5 minutes"
    )


def test_a_failed_program_does_not_fail_the_next_synthesis(env, tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "good").mkdir()
    with pytest.raises(SynthesisError):
        probe_graph(env, tmp_path / "bad", program=PROGRAM.format(create="5 minutes"))
    graph = probe_graph(env, tmp_path / "good", program=PROGRAM.format(create="5m"))
    [topic] = graph.of_type("aws:sns/topic:Topic")
    assert topic.custom_timeouts == {"create": 300.0, "delete": 90.0}
