"""Offline synthesis: the real program under mocks, recorded as the engine would see it."""

from __future__ import annotations

import json
import re
import textwrap

import pytest
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.config.loader import load_environment
from obsgov.graph import STACK_TYPE, UNKNOWN, ResourceGraph
from obsgov.synth import SynthesisError, synthesize

from .conftest import STACKS

URN_RE = re.compile(
    r"^urn:pulumi:(?P<stack>[^:]+)::(?P<project>[^:]+)::(?P<qtype>.+)::(?P<name>[^:]+)$"
)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_urns_have_the_engine_form(example_graph, stack):
    graph: ResourceGraph = example_graph(stack, True)
    for resource in graph:
        match = URN_RE.match(resource.urn)
        assert match, resource.urn
        assert match["stack"] == stack
        assert match["project"] == "obsgov"
        assert match["name"] == resource.name
        qualified = match["qtype"]
        if resource.type == STACK_TYPE:
            assert qualified == STACK_TYPE
            continue
        # The engine leaves the root stack out of child URNs (a StackReference's type only
        # starts like the stack's) ...
        assert STACK_TYPE not in qualified.split("$"), resource.urn
        assert qualified.split("$")[-1] == resource.type
        # ... and chains the parent's full qualified type.
        assert resource.parent is not None, resource.urn
        parent = graph.get(resource.parent)
        assert parent is not None, f"{resource.urn} has no recorded parent"
        if parent.type == STACK_TYPE:
            assert qualified == resource.type
        else:
            assert qualified == parent.urn.split("::")[2] + "$" + resource.type


def test_nested_component_urn_keeps_full_parent_chain(inline_env, tmp_path):
    env = inline_env().load()
    program = tmp_path / "__main__.py"
    program.write_text(
        textwrap.dedent("""
        import pulumi, pulumi_aws as aws
        class Outer(pulumi.ComponentResource):
            def __init__(self, name, opts=None):
                super().__init__("test:index:Outer", name, None, opts)
                Inner(f"{name}-inner", pulumi.ResourceOptions(parent=self))
                self.register_outputs({})
        class Inner(pulumi.ComponentResource):
            def __init__(self, name, opts=None):
                super().__init__("test:index:Inner", name, None, opts)
                aws.sns.Topic(f"{name}-topic", opts=pulumi.ResourceOptions(parent=self))
                self.register_outputs({})
        Outer("o")
    """)
    )
    graph = synthesize(env, program=program)
    topic = graph.of_type("aws:sns/topic:Topic")[0]
    assert topic.urn == (
        "urn:pulumi:dev::obsgov::test:index:Outer$test:index:Inner$aws:sns/topic:Topic::o-inner-topic"
    )
    # a resource with no provider gets the engine's default provider, account unknown offline
    provider = graph.provider_of(topic)
    assert provider is not None
    assert provider.name.startswith("default_")
    assert topic.account is None


def test_json_is_deterministic(example_graph, inline_env, tmp_path):
    first = example_graph("prod", True).to_json()
    second = inline_env("prod").synthesize().to_json()
    assert json.loads(first)["resources"]
    assert json.loads(first)["stack"] == "prod"
    # same stack, fresh run, different folder: byte-identical
    assert first == second


def test_cli_json_output_is_byte_identical(tmp_path):
    runner = CliRunner()
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for target in (a, b):
        result = runner.invoke(app, ["synth", "--stack", "dev", "--json", str(target)])
        assert result.exit_code == 0, result.output
    assert a.read_bytes() == b.read_bytes()
    assert ResourceGraph.from_dict(json.loads(a.read_text())).to_json() == a.read_text()


def test_preview_leaves_computed_outputs_unknown(example_graph):
    topic = example_graph("dev", True).of_type("aws:sns/topic:Topic")[0]
    assert topic.inputs["kmsMasterKeyId"] == UNKNOWN
    assert "arn" not in topic.outputs


def test_update_mode_builds_arns_from_the_resources_own_account(example_graph, example_env):
    graph = example_graph("dev", False)
    for topic in graph.of_type("aws:sns/topic:Topic"):
        assert topic.inputs["name"].startswith("obsgov-dev-")
        assert topic.outputs["arn"] == (
            f"arn:aws:sns:eu-west-1:{topic.account}:{topic.inputs['name']}"
        )
        assert topic.inputs["kmsMasterKeyId"].startswith(
            f"arn:aws:kms:eu-west-1:{topic.account}:key/"
        )
        assert topic.outputs["tagsAll"]["environment"] == "dev"
    # the sink is the organisation stack's (README "Stacks"), read through a StackReference
    # with its outputs as after `pulumi up` of that stack
    sink = example_graph("org", False).of_type("aws:oam/sink:Sink")[0]
    links = graph.of_type("aws:oam/link:Link")
    assert links
    for link in links:
        assert link.inputs["sinkIdentifier"] == sink.outputs["arn"]
        assert ":100000000002:" in link.inputs["sinkIdentifier"]


def test_new_resource_takes_the_account_of_the_provider_its_request_names():
    """Deterministic half of the test below: the mock reads the provider from the request it
    answers, not from whatever RegisterResource ran last on another thread."""
    from pulumi.runtime.mocks import MockResourceArgs

    from obsgov.synth.monitor import ObsgovMocks, RecordingMonitor

    impl = ObsgovMocks("obsgov", "dev")
    monitor = RecordingMonitor(False, "eu-west-1", impl)
    refs = {}
    for name, account in (("a", "111111111111"), ("b", "222222222222")):
        urn = f"urn:pulumi:dev::obsgov::pulumi:providers:aws::{name}"
        monitor.provider_account[urn], monitor.provider_region[urn] = account, "eu-west-1"
        refs[name] = f"{urn}::id-{name}"
    for name, account in (("b", "222222222222"), ("a", "111111111111")):
        args = MockResourceArgs("aws:sns/topic:Topic", f"t-{name}", {}, refs[name], custom=True)
        _, state = impl.new_resource(args)
        assert state["arn"].split(":")[3:5] == ["eu-west-1", account]


def test_arns_name_the_resources_own_account_whatever_the_registration_order(inline_env):
    """The SDK registers resources from several threads at once; a mock that carried the
    provider from RegisterResource to new_resource in shared state gave some resources
    another account's ARN (about one run in three on dev before the fix)."""
    env = inline_env("dev")
    for _ in range(4):
        graph = env.synthesize(preview=False)
        wrong = [
            (r.name, r.outputs["arn"])
            for r in graph.custom_resources()
            if r.account
            and "arn" not in r.inputs  # an input named arn (an event target's) is not its own
            and str(r.outputs.get("arn", "")).startswith("arn:aws:")
            and str(r.outputs["arn"]).split(":")[4] not in ("", r.account)
        ]
        assert wrong == []


def test_invokes_answer_for_the_providers_account(inline_env, tmp_path):
    env = inline_env().load()
    program = tmp_path / "__main__.py"
    program.write_text(
        textwrap.dedent("""
        import pulumi, pulumi_aws as aws
        p = aws.Provider("p", region="eu-central-1",
            assume_roles=[aws.ProviderAssumeRoleArgs(role_arn="arn:aws:iam::200000000002:role/R")])
        who = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=p))
        where = aws.get_region_output(opts=pulumi.InvokeOutputOptions(provider=p))
        part = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(provider=p))
        aws.sns.Topic("t", name=pulumi.Output.concat(who.account_id, "-", where.region, "-", part.partition),
                      opts=pulumi.ResourceOptions(provider=p))
    """)
    )
    topic = synthesize(env, program=program, preview=False).of_type("aws:sns/topic:Topic")[0]
    assert topic.inputs["name"] == "200000000002-eu-central-1-aws"
    assert (
        topic.outputs["arn"]
        == "arn:aws:sns:eu-central-1:200000000002:200000000002-eu-central-1-aws"
    )


def test_program_failure_is_reported_not_raised_raw(inline_env, tmp_path):
    env = inline_env().load()
    program = tmp_path / "__main__.py"
    program.write_text("raise ValueError('boom')\n")
    with pytest.raises(SynthesisError, match="ValueError: boom"):
        synthesize(env, program=program)


def test_stack_config_reaches_the_program_as_the_cli_passes_it(inline_env, tmp_path):
    env = inline_env().load()
    program = tmp_path / "__main__.py"
    program.write_text(
        textwrap.dedent("""
        import json, pulumi, pulumi_aws as aws
        cfg = pulumi.Config("obsgov")
        aws.sns.Topic("t", name="-".join([
            pulumi.Config("aws").require("region"),
            cfg.require("environment"),
            str(cfg.require_int("logRetentionDays")),
            str(cfg.require_object("alarmDefaults")["periodSeconds"]),
        ]))
    """)
    )
    topic = synthesize(env, program=program).of_type("aws:sns/topic:Topic")[0]
    assert topic.inputs["name"] == "eu-west-1-dev-30-300"


def test_cli_summary_counts_accounts_and_components(monkeypatch):
    from obsgov.cli import common

    monkeypatch.setattr(common.out, "_width", 80)
    result = CliRunner().invoke(app, ["synth", "--stack", "dev"])
    assert result.exit_code == 0, result.output
    assert "200000000001 ml-serving-dev" in result.output
    # the type column fits 80 columns and every type is shown whole (issue 36: they were cut
    # to `obsgov:member_baseline:MemberAccount…`): a long one is broken after its module
    lines = result.output.splitlines()
    assert max(map(len, lines)) <= 80
    assert "…" not in result.output
    table = lines[lines.index("Resources per component") :]
    # a long name wraps onto a line whose type cell is empty
    first_cells = [
        cell for line in table if line.startswith("│ ") and (cell := line.split("│")[1].strip())
    ]
    types, pending = [], ""
    for cell in first_cells:
        if pending:
            types.append(pending + cell)
            pending = ""
        elif cell.endswith(":"):
            pending = cell
        else:
            types.append(cell)
    assert "obsgov:member_baseline:" in first_cells
    assert "MemberAccountBaseline" in first_cells
    graph = synthesize(load_environment("dev", STACKS / "Pulumi.dev.yaml"))
    accounts = {r.account for r in graph.custom_resources()}
    assert (
        f"Totals: {len(graph.custom_resources())} resources of "
        f"{len({r.type for r in graph.custom_resources()})} types, {len(graph.components())} "
        f"components, {len(graph.providers())} providers, {len(accounts)} accounts"
    ) in result.output
    # a resource outside any component (dev's StackReference to the organisation stack) is
    # counted under "(stack)"
    rows = {
        (c.type, c.name) if (c := graph.component_of(r)) else ("(stack)", "dev")
        for r in graph.custom_resources()
    }
    assert sorted(types) == sorted(ctype for ctype, _ in rows)
    names = [line.split("│")[2].strip() for line in table if line.startswith("│ ")]
    assert "data-platform-dev-transactions-daily-dev-drift" in "".join(names)


def test_the_program_reads_the_environment_it_was_given(inline_env):
    env = inline_env("dev")
    env.registry["accounts"].append(
        {
            "id": "200000000099",
            "name": "sandbox-dev",
            "email": "aws+sandbox-dev@example.com",
            "environment": "dev",
            "organizationalUnit": "ml-dev",
            "owner": "ml-platform@example.com",
            "costCentre": "CC-2100",
        }
    )
    env.stack_doc["config"]["obsgov:notifications"]["emails"] = []
    graph = env.synthesize()
    assert "200000000099" in {r.account for r in graph.custom_resources()}
    assert graph.of_type("aws:sns/topicSubscription:TopicSubscription") == []


def test_graph_queries_by_type_account_and_component(example_graph):
    graph = example_graph("dev", True)
    in_account = graph.in_account("200000000002")
    assert in_account
    assert {r.account for r in in_account} == {"200000000002"}
    # the account's resources are its baseline's and its monitoring jobs' (the store with the
    # signal alarms, the drift job of the pipeline with drift monitoring, the freshness job)
    in_component = [
        r
        for name in (
            "data-platform-dev",
            "data-platform-dev-monitoring",
            "data-platform-dev-transactions-daily-dev-drift",
            "data-platform-dev-freshness",
        )
        for r in graph.in_component(name)
    ]
    assert sorted(r.urn for r in in_component) == sorted(r.urn for r in in_account)
    # dev reads its sink from the organisation stack: central-dev is that stack's component
    assert graph.in_component("central-dev") == []
    assert {r.type for r in example_graph("org", True).in_component("central-org")} == {
        "aws:oam/sink:Sink",
        "aws:oam/sinkPolicy:SinkPolicy",
    }
    alarms = [
        r
        for r in graph.in_component("data-platform-dev")
        if r.type == "aws:cloudwatch/metricAlarm:MetricAlarm"
    ]
    # the baseline's alarms on the account's three pipelines: 7 alarms for the Glue job (with data quality), 6 each
    # for the state machine and the function
    assert sorted(a.inputs["tags"]["workload"] for a in alarms) == (
        ["events-enricher-dev"] * 6 + ["feature-refresh-dev"] * 6 + ["transactions-daily-dev"] * 7
    )
