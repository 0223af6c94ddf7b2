"""The organisation stack, the single-stack switch and member shards (README "Stacks").

AWS allows one OAM sink per account and Region ("Each account can have one sink per Region",
https://docs.aws.amazon.com/OAM/latest/APIReference/API_CreateSink.html) and one Data Catalog
encryption setting per catalog (https://docs.aws.amazon.com/glue/latest/webapi/
API_PutDataCatalogEncryptionSettings.html): with dev, staging and prod sharing the central
accounts, one stack owns them and the environments read the sink through a StackReference.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from obsgov.config.loader import load_environment
from obsgov.gate import inventory as inv
from obsgov.graph import ResourceGraph
from obsgov.synth import synthesize
from tests.conftest import STACKS

SINK = "aws:oam/sink:Sink"
CATALOG = "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings"
LINK = "aws:oam/link:Link"
BASELINE = "obsgov:member_baseline:MemberAccountBaseline"


def synth(stacks: Path, stack: str, **kwargs) -> ResourceGraph:
    return synthesize(load_environment(stack, stacks / f"Pulumi.{stack}.yaml"), **kwargs)


@pytest.fixture(scope="module")
def org_graph() -> ResourceGraph:
    return synth(STACKS, "org")


@pytest.fixture(scope="module")
def dev_graph() -> ResourceGraph:
    return synth(STACKS, "dev")


def _copy(tmp_path: Path) -> Path:
    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks)
    return stacks


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_organisation_stack_owns_the_sink_and_every_catalog_setting(org_graph):
    [sink] = org_graph.of_type(SINK)
    assert sink.account == "100000000002"
    # the observability catalog, and the log archive's for prod's audit analytics
    assert sorted(r.account for r in org_graph.of_type(CATALOG)) == ["100000000002", "100000000003"]
    assert not org_graph.of_type(LINK)  # it has no member accounts


def test_an_environment_reads_the_sink_from_the_organisation_stack(dev_graph):
    assert not dev_graph.of_type(SINK)
    assert not dev_graph.of_type(CATALOG)
    assert dev_graph.stack_references == {"organization/obsgov/org": True}
    [reference] = dev_graph.of_type("pulumi:pulumi:StackReference")
    sink_arn = reference.outputs["outputs"]["sinkArn"]
    assert re.fullmatch(r"arn:aws:oam:eu-west-1:100000000002:sink/[0-9a-f-]{36}", sink_arn)
    links = dev_graph.of_type(LINK)
    assert links
    assert {link.inputs["sinkIdentifier"] for link in links} == {sink_arn}


def test_given_stack_outputs_win_over_the_synthesized_ones(tmp_path):
    given = "arn:aws:oam:eu-west-1:100000000002:sink/11111111-2222-3333-4444-555555555555"
    graph = synth(STACKS, "dev", stack_outputs={"organization/obsgov/org": {"sinkArn": given}})
    assert {link.inputs["sinkIdentifier"] for link in graph.of_type(LINK)} == {given}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_single_stack_mode_is_one_switch(tmp_path, stack):
    stacks = _copy(tmp_path)
    _edit(stacks / f"Pulumi.{stack}.yaml", "  obsgov:organizationStack: org\n", "")
    (stacks / "Pulumi.org.yaml").unlink()  # nothing is referenced: the stack stands alone
    graph = synth(stacks, stack, preview=False)
    assert graph.stack_references == {}
    [sink] = graph.of_type(SINK)
    # the observability account's catalog, and the log-archive one where audit analytics run
    audit = load_environment(stack, stacks / f"Pulumi.{stack}.yaml").settings.central_audit
    analytics = audit.trail.enabled and audit.analytics.enabled
    assert sorted(str(r.account) for r in graph.of_type(CATALOG)) == (
        ["100000000002", "100000000003"] if analytics else ["100000000002"]
    )
    assert {link.inputs["sinkIdentifier"] for link in graph.of_type(LINK)} == {sink.outputs["arn"]}
    # and the central accounts' SCP, which the organisation stack makes otherwise
    [central] = [
        r
        for r in graph.of_type("aws:organizations/policy:Policy")
        if r.inputs["name"] == "obsgov-central-protect-monitoring"
    ]
    assert central.account == "100000000001"


def test_the_shipped_stacks_no_longer_share_a_singleton():
    claims = inv.load_inventory(inv.inventory_path(STACKS))
    assert claims is not None
    assert "org" in claims.stacks
    findings = inv.judge_all(claims)
    assert not [f for f in findings if "OAM sink" in f or "Catalog encryption" in f]


def test_the_organisation_stack_has_no_member_accounts():
    env = load_environment("org", STACKS / "Pulumi.org.yaml")
    assert env.member_accounts == []
    assert env.stack_accounts == []


# ---------------------------------------------------------------------------- member shards


def shard_environment(stacks: Path, stack: str, count: int) -> None:
    """``stack``'s environment as its central stack and ``count`` member shards (the switch
    README "Stacks" names: ``obsgov:memberShards`` and one three-line file per shard)."""
    _edit(
        stacks / f"Pulumi.{stack}.yaml",
        "  obsgov:organizationStack: org\n",
        f"  obsgov:organizationStack: org\n  obsgov:memberShards: {{count: {count}}}\n",
    )
    for shard in range(count):
        (stacks / f"Pulumi.{stack}-members-{shard}.yaml").write_text(
            f"config:\n  obsgov:stackRole: shard\n  obsgov:shardOf: {stack}\n"
            f"  obsgov:shard: {shard}\n"
        )


def _sharded(tmp_path: Path, count: int, stack: str = "dev") -> Path:
    stacks = _copy(tmp_path)
    shard_environment(stacks, stack, count)
    return stacks


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_a_sharded_environment_builds_its_members_in_the_shards_only(tmp_path, stack):
    """dev, staging and prod alike: the central stack keeps the central accounts, each shard
    builds its own member accounts and nothing else, every member account is built once; and
    taking ``memberShards`` out again (the one switch) brings them back to one stack."""
    stacks = _sharded(tmp_path, 2, stack)
    central = synth(stacks, stack)
    assert not central.of_type(BASELINE)
    assert central.of_type("aws:cloudwatch/eventBus:EventBus")  # the central accounts stay

    env = load_environment(stack, stacks / f"Pulumi.{stack}.yaml")
    assert env.member_accounts
    built: list[str] = []
    for shard in range(2):
        name = f"{stack}-members-{shard}"
        graph = synth(stacks, name)
        names = sorted(r.name for r in graph.of_type(BASELINE))
        shard_env = load_environment(name, stacks / f"Pulumi.{name}.yaml")
        assert names == sorted(a.name for a in shard_env.stack_accounts)
        # only the member accounts' providers: nothing in the central accounts
        assert {r.account for r in graph.resources if r.account} <= {
            a.id for a in shard_env.stack_accounts
        }
        assert graph.stack_references == {"organization/obsgov/org": True}
        built += names
    assert sorted(built) == sorted(a.name for a in env.member_accounts)

    _edit(stacks / f"Pulumi.{stack}.yaml", "  obsgov:memberShards: {count: 2}\n", "")
    single = synth(stacks, stack)
    assert sorted(r.name for r in single.of_type(BASELINE)) == sorted(built)


def test_adding_an_account_moves_no_other_account_between_shards():
    env = load_environment("prod", STACKS / "Pulumi.prod.yaml")
    from dataclasses import replace

    from obsgov.config.models.settings import MemberShards

    sharded = env.settings.model_copy(update={"member_shards": MemberShards(count=7)})
    placed = replace(env, settings=sharded)
    before = {a.id: placed.shard_of(a) for a in placed.member_accounts}
    fewer = replace(
        placed,
        registry=placed.registry.model_copy(update={"accounts": placed.registry.accounts[1:]}),
    )
    after = {a.id: fewer.shard_of(a) for a in fewer.member_accounts}
    assert after == {k: v for k, v in before.items() if k in after}


def test_a_shard_without_its_environment_stack_is_bad_input(tmp_path):
    from obsgov.errors import InputError

    stacks = _copy(tmp_path)
    (stacks / "Pulumi.x-members-0.yaml").write_text(
        "config:\n  obsgov:stackRole: shard\n  obsgov:shardOf: x\n  obsgov:shard: 0\n"
    )
    with pytest.raises(InputError) as raised:
        load_environment("x-members-0", stacks / "Pulumi.x-members-0.yaml")
    assert "no stack 'x'" in raised.value.report()


# ------------------------------------------------------- StackReference outputs, offline


@pytest.mark.parametrize("preview", [True, False])
def test_the_organisation_stack_outputs_are_read_in_preview_and_in_update(preview):
    """The engine reads a StackReference during ``pulumi preview`` too: "Unlike most steps,
    Read steps run during previews" (``ReadStep.Apply``, pulumi/pulumi pkg/resource/deploy/
    step.go), through the builtin provider's ``readStackReference`` (pkg/resource/deploy/
    builtins.go), which returns the referenced stack's deployed outputs. So the sink ARN the
    links name is known in both modes, and it is the one the organisation stack exports."""
    org = synth(STACKS, "org", preview=False)
    [root] = org.of_type("pulumi:pulumi:Stack")
    exported = root.outputs["sinkArn"]
    graph = synth(STACKS, "dev", preview=preview)
    [reference] = graph.of_type("pulumi:pulumi:StackReference")
    assert reference.read
    assert reference.outputs["outputs"]["sinkArn"] == exported
    assert {link.inputs["sinkIdentifier"] for link in graph.of_type(LINK)} == {exported}


@pytest.mark.parametrize("preview", [True, False])
def test_a_referenced_stack_that_cannot_be_read_is_bad_input_naming_it(tmp_path, preview):
    """The engine fails ``unknown stack "<name>"`` when the referenced stack does not exist
    (``backendClient.GetStackOutputs``, pulumi/pulumi pkg/backend/backend.go), in preview as in
    update: offline the stack must be in the folder or given as --stack-outputs."""
    from obsgov.errors import InputError

    stacks = _copy(tmp_path)
    (stacks / "Pulumi.org.yaml").unlink()
    with pytest.raises(InputError) as raised:
        synth(stacks, "dev", preview=preview)
    report = raised.value.report()
    assert "config.obsgov:organizationStack" in report
    assert "stack 'org'" in report
    assert "--stack-outputs organization/obsgov/org=FILE" in report


@pytest.mark.parametrize("preview", [True, False])
def test_a_missing_output_is_bad_input_naming_the_stack_and_the_key(preview):
    """``require_output`` raises a bare KeyError for an output the stack lacks
    (pulumi/pulumi sdk/python/lib/pulumi/stack_reference.py: ``l[1][l[0]]``); the program reads
    it through ``required_output`` and offline the outputs are checked before it runs."""
    from obsgov.errors import InputError

    given = {"organization/obsgov/org": {"centralEventBusArn": "arn:aws:events:x"}}
    with pytest.raises(InputError) as raised:
        synth(STACKS, "dev", preview=preview, stack_outputs=given)
    report = raised.value.report()
    assert "--stack-outputs organization/obsgov/org: sinkArn: stack 'org'" in report
    assert "has no output 'sinkArn' (its outputs: centralEventBusArn)" in report


def test_the_program_names_a_missing_output_when_run_for_real(scenario, tmp_path):
    """Under ``pulumi up`` there is no offline check: the program's own read fails naming the
    stack and the output instead of the SDK's KeyError (here a stack whose outputs lack it)."""
    from components.environment.stacks import SINK_OUTPUT
    from obsgov.synth import SynthesisError
    from obsgov.synth.runner import REQUIRED_OUTPUTS

    assert SINK_OUTPUT in REQUIRED_OUTPUTS  # the offline check covers what the program reads
    program = tmp_path / "__main__.py"
    program.write_text(
        "import pulumi\n"
        "from components.environment.stacks import required_output\n"
        "pulumi.export('sink', required_output('other', 'sinkArn'))\n"
    )
    env = scenario().load()
    with pytest.raises(SynthesisError, match="stack 'other' has no output 'sinkArn'"):
        synthesize(
            env,
            preview=False,
            program=program,
            stack_outputs={"organization/obsgov/other": {"bus": "x"}},
        )


def test_the_cli_takes_the_organisation_stack_outputs_from_a_file(tmp_path):
    from typer.testing import CliRunner

    from obsgov.cli import app

    stacks = _copy(tmp_path)
    (stacks / "Pulumi.org.yaml").unlink()
    given = "arn:aws:oam:eu-west-1:100000000002:sink/11111111-2222-3333-4444-555555555555"
    outputs = tmp_path / "org.json"
    outputs.write_text(json.dumps({"sinkArn": given}))
    graph_file = tmp_path / "dev.json"
    runner = CliRunner()
    missing = runner.invoke(app, ["synth", "--stack", "dev", "--stacks-dir", str(stacks)])
    assert missing.exit_code == 2, missing.output
    assert "stack 'org'" in missing.output
    assert "Traceback" not in missing.output
    done = runner.invoke(
        app,
        [
            "synth",
            "--stack",
            "dev",
            "--stacks-dir",
            str(stacks),
            "--stack-outputs",
            f"organization/obsgov/org={outputs}",
            "--json",
            str(graph_file),
        ],
    )
    assert done.exit_code == 0, done.output
    graph = ResourceGraph.from_dict(json.loads(graph_file.read_text()))
    assert {link.inputs["sinkIdentifier"] for link in graph.of_type(LINK)} == {given}
