"""Pack config: several layers merged into the one file the CLI reconciles.

``ReconcilePolicyPackConfig`` and ``applyConfig`` (pkg/resource/analyzer/config.go) reconcile
one ``--policy-pack-config`` file per pack: defaults, initial config, then the file, ``all``
before per-policy keys. The gate must give, for every environment and pack, exactly what the
CLI derives from the file ``obsgov policy config`` writes.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.gate.engine import GateOptions, run_gate
from obsgov.gate.environment_layer import EnvironmentLayer
from obsgov.gate.pack_config import (
    PolicySchemaInfo,
    load_pack_config_file,
    merge_layers,
    parse_pack_config,
    reconcile,
    to_document,
    unknown_policy_names,
)
from obsgov.gate.project import discover_policy_packs, load_policy_pack
from obsgov.gate.selection import stack_pack_files
from obsgov.graph import ResourceGraph
from tests.support.environments import ROOT
from tests.support.gate import SHIPPED_PACKS

PROBE = ROOT / "tests" / "packs" / "probe"
POLICIES = [
    PolicySchemaInfo("a", "mandatory"),
    PolicySchemaInfo("b", "advisory"),
    PolicySchemaInfo("off", "disabled"),
]


def _levels(layers: list[dict]) -> dict[str, str | None]:
    parsed = [parse_pack_config(layer, "t") for layer in layers]
    merged = merge_layers(parsed, POLICIES)
    # what the CLI does with the merged file
    cli = reconcile(POLICIES, {}, [parse_pack_config(to_document(merged), "file")])
    return {name: c.enforcement_level for name, c in sorted(cli.items())}


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        # a later layer's all overrides an earlier layer's per-policy level
        (
            [{"a": "advisory"}, {"all": "mandatory"}],
            {"a": "mandatory", "b": "mandatory", "off": "mandatory"},
        ),
        # ... and a later per-policy level overrides an earlier all
        (
            [{"all": "advisory"}, {"b": "mandatory"}],
            {"a": "advisory", "b": "mandatory", "off": "advisory"},
        ),
        # within one layer, all first, then the per-policy keys (applyConfig)
        (
            [{"b": "disabled", "all": "mandatory"}],
            {"a": "mandatory", "b": "disabled", "off": "mandatory"},
        ),
        # no all: the pack's own levels stay, a disabled policy stays disabled
        ([{"b": "mandatory"}], {"a": "mandatory", "b": "mandatory", "off": "disabled"}),
    ],
)
def test_layers_merge_into_the_file_the_cli_reconciles(layers, expected):
    assert _levels(layers) == expected


def test_the_merged_document_has_no_all_key_and_keeps_properties():
    merged = merge_layers(
        [
            parse_pack_config({"all": "advisory", "a": {"x": 1}}, "t"),
            parse_pack_config({"a": {"y": 2}}, "t"),
        ],
        POLICIES,
    )
    assert to_document(merged) == {
        "a": {"enforcementLevel": "advisory", "x": 1, "y": 2},
        "b": "advisory",
        "off": "advisory",
    }


def test_the_document_writes_a_level_alone_as_text_and_leaves_out_empty_entries():
    from obsgov.gate.pack_config import PolicyConfig

    assert to_document(
        {
            "only-level": PolicyConfig("mandatory", None),
            "only-properties": PolicyConfig(None, {"limit": 3}),
            "both": PolicyConfig("advisory", {"limit": 4}),
            "neither": PolicyConfig(None, None),
            "empty": PolicyConfig(None, {}),
        }
    ) == {
        "both": {"enforcementLevel": "advisory", "limit": 4},
        "only-level": "mandatory",
        "only-properties": {"limit": 3},
    }


def test_unknown_policy_names_are_kept_and_named():
    """applyConfig keeps every configured name (the pack ignores unknown ones); obsgov
    matches that and names them so a typo is not silent."""
    config = parse_pack_config({"a": "advisory", "typo-policy": "mandatory"}, "t")
    assert unknown_policy_names(config, POLICIES) == ["typo-policy"]
    assert "typo-policy" in reconcile(POLICIES, {}, [config])


# --------------------------------------------------------------------------- identity


def _empty_graph(stack: str) -> ResourceGraph:
    return ResourceGraph(project="obsgov", stack=stack, preview=True, resources=[])


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_gate_config_equals_the_cli_config_from_the_written_file(inline_env, tmp_path, stack):
    """For every shipped environment and pack, with an ``all`` layer present, the gate's
    effective config equals what ReconcilePolicyPackConfig gives for the file that
    ``obsgov policy config --out-dir`` writes (one merge, one reconciliation)."""
    env = inline_env(stack)
    overrides = env.directory / "overrides"
    overrides.mkdir(parents=True)
    packs = discover_policy_packs(SHIPPED_PACKS)
    refs = []
    for directory in packs:
        file = overrides / f"{directory.name}.json"
        # all after the environment's per-policy levels: every policy must end mandatory,
        # except the one per-policy key after it
        file.write_text(
            json.dumps({"all": "mandatory", "obsgov-aws-resource-require-tags": "advisory"})
        )
        refs.append({"path": str(directory), "config": str(file)})
    env.stack_doc["config"]["obsgov:policyPacks"] = refs
    loaded = env.load()

    out = tmp_path / "configs"
    result = CliRunner().invoke(
        app,
        [
            "policy",
            "config",
            "--stack",
            stack,
            "--stacks-dir",
            str(env.directory),
            "--out-dir",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"--policy-pack {d} --policy-pack-config {out / (d.name + '.json')}" for d in packs
    ]

    projects = [load_policy_pack(d) for d in packs]
    options = GateOptions(stack_config=loaded.config_map)
    gate = run_gate(
        _empty_graph(stack),
        [(p, [EnvironmentLayer(loaded), *stack_pack_files(loaded, p.directory)]) for p in projects],
        options,
    )
    cli = run_gate(
        _empty_graph(stack),
        [(p, [load_pack_config_file(out / f"{p.directory.name}.json")]) for p in projects],
        options,
    )
    assert [p.error for p in gate.packs + cli.packs] == [None] * 2 * len(packs)
    for mine, theirs in zip(gate.packs, cli.packs, strict=True):
        assert mine.config == theirs.config, mine.name
        levels = {name: c["enforcementLevel"] for name, c in mine.config.items()}
        assert set(levels.values()) <= {"mandatory", "advisory"}
        assert [n for n, level in levels.items() if level == "advisory"] == (
            ["obsgov-aws-resource-require-tags"] if mine.name == "obsgov-tagging" else []
        )


def test_policy_config_refuses_to_write_a_file_the_pack_rejects(inline_env, tmp_path):
    """``policy config`` validates as the gate does: a schema error exits 2, writes nothing."""
    env = inline_env("dev")
    bad = env.directory / "bad.json"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        json.dumps({"obsgov-logs-loggroup-require-retention": {"minLogRetentionDays": "thirty"}})
    )
    env.stack_doc["config"]["obsgov:policyPacks"] = [
        {"path": str(SHIPPED_PACKS / "observability"), "config": str(bad)}
    ]
    env.write()
    out = tmp_path / "configs"
    result = CliRunner().invoke(
        app,
        [
            "policy",
            "config",
            "--stack",
            "dev",
            "--stacks-dir",
            str(env.directory),
            "--out-dir",
            str(out),
        ],
    )
    assert result.exit_code == 2, result.output
    assert (
        "validating policy config: obsgov-observability 0.1.0  "
        "obsgov-logs-loggroup-require-retention: minLogRetentionDays: Invalid type. "
        "Expected: integer, given: string"
    ) in result.output
    assert not out.exists()  # not even the folder: nothing is created before the check
    preview = CliRunner().invoke(
        app, ["preview", "--stack", "dev", "--stacks-dir", str(env.directory)]
    )
    assert preview.exit_code == 2
    assert "minLogRetentionDays: Invalid type" in preview.output


def test_policy_config_single_pack_form(tmp_path):
    target = tmp_path / "mg.json"
    result = CliRunner().invoke(
        app,
        [
            "policy",
            "config",
            "--stack",
            "staging",
            "--policy-pack",
            str(SHIPPED_PACKS / "model-governance"),
            "--output",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(target.read_text())
    approved = document["obsgov-sagemaker-model-require-approved-package"]
    assert approved["enforcementLevel"] == "mandatory"
    assert approved["registrySnapshotFile"].endswith("stacks/registry-snapshot.staging.json")
    # the per-environment file is merged on top of what the environment derives
    assert document["obsgov-sagemaker-model-require-package-metadata"] == "advisory" or (
        document["obsgov-sagemaker-model-require-package-metadata"]["enforcementLevel"]
        == "advisory"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give either --policy-pack DIR with --output FILE, or --out-dir DIR"),
        (["--policy-pack", str(SHIPPED_PACKS / "tagging")], "--policy-pack needs --output FILE"),
    ],
)
def test_policy_config_usage_errors(args, message):
    result = CliRunner().invoke(app, ["policy", "config", "--stack", "dev", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_pack_config_layers_map_and_unknown_names_warn(tmp_path):
    """A configured name the pack lacks: the CLI passes it on and the pack ignores it; the gate
    gives the same verdict and says so on stderr."""
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"topic-needs-kms": "advisory", "no-such-policy": "mandatory"}))
    from tests.support.gate import PACKS

    result = CliRunner().invoke(
        app,
        [
            "preview",
            "--stack",
            "dev",
            "--policy-pack",
            str(PACKS / "probe"),
            "--policy-pack-config",
            str(config),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        "warning: policy config for probe names 'no-such-policy', which the pack does not "
        "have; it is ignored (as the Pulumi CLI ignores it)"
    ) in result.output


def test_an_unknown_policy_given_properties_but_no_level_fails_as_configure_fails():
    """applyConfig (pkg/resource/analyzer/config.go) leaves such a name with the empty level;
    analyzer_plugin.go's Configure refuses it (invalid enforcement level "") and update.go
    fails the run with 'configuring policy pack'. Given a level, the name is only named."""
    from obsgov.gate.engine import PolicyConfigError
    from tests.support.gate import run_probe

    with pytest.raises(PolicyConfigError) as caught:
        run_probe(_empty_graph("dev"), {"no-such-policy": {"limit": 3}})
    assert caught.value.lines == [
        f'configuring policy pack "probe" at "{PROBE}": invalid enforcement level ""'
    ]
    named = run_probe(
        _empty_graph("dev"), {"no-such-policy": {"enforcementLevel": "advisory", "x": 1}}
    )
    assert named.warnings == [
        "policy config for probe names 'no-such-policy', which the pack does not have; "
        "it is ignored (as the Pulumi CLI ignores it)"
    ]


def test_all_with_properties_but_no_level_fails_as_the_cli_fails():
    """Issue 34 item 11. applyConfig (pkg/resource/analyzer/config.go) applies ``all``'s level
    only when it is valid, then treats every key, ``all`` too, as a policy: ``{"all": {props}}``
    leaves a policy ``all`` with the empty level, which analyzer_plugin.go's Configure refuses.
    obsgov used to drop the entry and pass."""
    from obsgov.gate.engine import PolicyConfigError
    from tests.support.gate import run_probe

    with pytest.raises(PolicyConfigError) as caught:
        run_probe(_empty_graph("dev"), {"all": {"limit": 3}})
    assert caught.value.lines == [
        f'configuring policy pack "probe" at "{PROBE}": invalid enforcement level ""'
    ]
    # with a level, all sets every policy's level and its properties go to no policy
    passed = run_probe(_empty_graph("dev"), {"all": {"enforcementLevel": "mandatory", "x": 1}})
    assert not passed.error
    assert not passed.warnings


def test_config_errors_of_every_pack_are_reported_together_and_sorted(tmp_path):
    """Issue 34 item 10. loadPolicyPlugins (pkg/engine/update.go) gathers the validation errors
    of all packs and reports them sorted, not the first pack's alone."""
    from obsgov.gate.engine import PolicyConfigError

    layer = parse_pack_config({"all": {"limit": 3}}, "test")
    packs = [
        (load_policy_pack(PROBE), [layer]),
        (load_policy_pack(SHIPPED_PACKS / "tagging"), [layer]),
    ]
    with pytest.raises(PolicyConfigError) as caught:
        run_gate(_empty_graph("dev"), packs, GateOptions(stack_config={}))
    assert caught.value.lines == sorted(caught.value.lines)
    assert len(caught.value.lines) == 2
    assert {line.split('"')[1] for line in caught.value.lines} == {"probe", "obsgov-tagging"}


def test_the_packs_initial_all_sets_every_policys_level_before_its_own_keys():
    """ReconcilePolicyPackConfig (pkg/resource/analyzer/config.go) applies the pack's
    initialConfig with applyConfig: ``all`` sets every policy's level, then per-policy keys."""
    from obsgov.gate.pack_config import PolicyConfig

    initial = {"all": PolicyConfig("advisory", None), "b": PolicyConfig("mandatory", None)}
    result = reconcile(POLICIES, initial, [])
    assert {n: c.enforcement_level for n, c in sorted(result.items())} == {
        "a": "advisory",
        "b": "mandatory",
        "off": "advisory",
    }
    assert "all" not in result


def test_the_merged_document_shares_no_values_with_its_layers():
    """Changing the merged document (or a layer afterwards) leaves the other as it was."""
    layer = parse_pack_config({"a": {"tags": ["team"]}}, "t")
    merged = merge_layers([layer], POLICIES)
    properties = merged["a"].properties
    assert properties is not None
    properties["tags"].append("cost-center")
    assert layer["a"].properties == {"tags": ["team"]}


def test_the_packs_initial_config_keeps_each_entrys_level_and_properties():
    """GetAnalyzerInfo's initialConfig, read as analyzer_plugin.go's convertPolicyConfig reads
    it (sdk/go/common/resource/plugin): convertEnforcementLevel maps each level, the unset
    level (0) being advisory; properties arrive through a protobuf Struct (numbers as
    doubles)."""
    from pulumi.runtime.proto import analyzer_pb2 as proto

    from obsgov.gate.pack_config import PolicyConfig, initial_config_from_info

    info = proto.AnalyzerInfo(name="p")
    info.initialConfig["all"].enforcementLevel = proto.DISABLED
    info.initialConfig["a"].enforcementLevel = proto.MANDATORY
    info.initialConfig["b"].properties.update({"limit": 3})
    assert initial_config_from_info(info) == {
        "all": PolicyConfig("disabled", None),
        "a": PolicyConfig("mandatory", None),
        "b": PolicyConfig("advisory", {"limit": 3.0}),
    }


def test_all_is_never_named_as_an_unknown_policy():
    config = parse_pack_config({"all": "mandatory", "typo-policy": "advisory"}, "t")
    assert unknown_policy_names(config, POLICIES) == ["typo-policy"]


def test_a_config_error_reads_as_its_lines_one_per_line():
    """What a caller of the gate sees when it does not print ``lines`` itself."""
    from obsgov.gate.engine import PolicyConfigError

    error = PolicyConfigError(["validating policy config: p 1.0.0  a: x is required", "second"])
    assert str(error) == "validating policy config: p 1.0.0  a: x is required\nsecond"
