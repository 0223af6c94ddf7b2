"""The real packs: registry rules, pack processes, the example stacks and a broken stack."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from google.protobuf import empty_pb2

from obsgov.gate.engine import GateOptions, run_gate
from obsgov.gate.envconfig import EnvironmentLayer
from obsgov.gate.plugin import AnalyzerPlugin
from obsgov.gate.project import discover_policy_packs, load_policy_pack
from obsgov.synth import synthesize
from obsgov_policies.registry import ID_PATTERN, PACKS, load_all, policies_for

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
PACK_DIRS = {d.name: d for d in discover_policy_packs(POLICIES)}


def test_every_registry_pack_has_a_folder():
    assert sorted(PACK_DIRS) == sorted(PACKS)


def test_policy_ids_are_unique_and_well_formed():
    registry = load_all()
    assert len(registry) == len({s.id for s in registry.values()}) >= 25
    for spec in registry.values():
        assert ID_PATTERN.match(spec.id), spec.id
        assert spec.id.startswith(f"obsgov-{spec.service}-"), spec.id


def test_descriptions_are_full_sentences():
    for spec in load_all().values():
        assert re.match(r"^[A-Z][^\n]+[.]$", spec.description), spec.id
        assert len(spec.description.split()) >= 6, spec.id
        assert spec.remediation and spec.remediation.endswith("."), spec.id


def test_every_policy_is_in_a_pack_with_metadata():
    for spec in load_all().values():
        assert spec.pack in PACKS, spec.id
        assert spec.severity in ("low", "medium", "high", "critical"), spec.id
        assert spec.kind == "stack" or spec.resource_types or spec.id == "obsgov-aws-resource-require-tags"


def test_each_policy_module_has_a_mirroring_test_file():
    for spec in load_all().values():
        _, package, module = spec.module.rsplit(".", 2)
        test_file = ROOT / "tests" / "policies" / package / f"test_{module}.py"
        assert test_file.exists(), f"{spec.id}: missing {test_file.relative_to(ROOT)}"


def test_every_policy_has_a_config_default_for_each_property():
    for spec in load_all().values():
        for name, schema in spec.config_properties.items():
            optional_inputs = {"registrySnapshotFile", "registryAccountId", "environment"}
            assert "default" in schema or name in optional_inputs, f"{spec.id}.{name}"


@pytest.mark.parametrize("pack", PACKS)
def test_pack_starts_as_a_process_and_lists_its_policies(pack):
    project = load_policy_pack(PACK_DIRS[pack])
    with AnalyzerPlugin(project, stack="dev", project_name="obsgov", organization="o",
                        dry_run=True, config={}) as plugin:
        info = plugin.call("GetAnalyzerInfo", empty_pb2.Empty())
    assert info.name == f"obsgov-{pack}"
    assert sorted(p.name for p in info.policies) == [s.id for s in policies_for(pack)]
    for policy in info.policies:
        assert policy.severity != 0 and policy.description and policy.remediation_steps


def _all_packs(env):
    return [(load_policy_pack(PACK_DIRS[p]), [EnvironmentLayer(env)]) for p in PACKS]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_example_stacks_have_no_mandatory_violations(stack, example_env, example_graph, no_aws_credentials):
    env = example_env(stack)
    run = run_gate(example_graph(stack, True), _all_packs(env), GateOptions(stack_config=env.config_map))
    for pack in run.packs:
        assert pack.error is None, pack.error
        assert pack.mandatory == [], [(v.policy, v.resource_name, v.detail) for v in pack.mandatory]


def test_a_broken_stack_trips_every_pack(example_env, no_aws_credentials):
    env = example_env("prod")
    graph = synthesize(env, program=ROOT / "tests" / "fixtures" / "broken_program.py", preview=False)
    run = run_gate(graph, _all_packs(env), GateOptions(stack_config=env.config_map))
    assert run.failed
    tripped = {p.name: sorted({v.policy for v in p.mandatory}) for p in run.packs}
    assert all(p.error is None for p in run.packs), [p.error for p in run.packs]
    assert "obsgov-aws-resource-require-tags" in tripped["obsgov-tagging"]
    assert "obsgov-sagemaker-resource-require-ml-tags" in tripped["obsgov-tagging"]
    assert {"obsgov-cloudwatch-alarm-require-actions",
            "obsgov-cloudwatch-alarm-valid-evaluation-window"} <= set(tripped["obsgov-observability"])
    assert {"obsgov-sns-topic-require-kms", "obsgov-kms-key-require-rotation",
            "obsgov-iam-policy-disallow-full-admin", "obsgov-sagemaker-endpointconfig-require-kms",
            "obsgov-sagemaker-model-require-network-isolation",
            "obsgov-sagemaker-endpointconfig-require-multiple-instances"} <= set(tripped["obsgov-security-baseline"])
    assert {"obsgov-sagemaker-model-require-approved-package",
            "obsgov-sagemaker-endpointconfig-require-data-capture",
            "obsgov-sagemaker-endpoint-require-monitoring"} <= set(tripped["obsgov-model-governance"])


@pytest.mark.parametrize("preview", [True, False])
def test_a_well_governed_team_stack_passes_every_pack(example_env, preview, no_aws_credentials):
    # no credentials: model approval is read from the shipped registry snapshot
    env = example_env("prod")
    graph = synthesize(env, program=ROOT / "tests" / "fixtures" / "team_stack_program.py", preview=preview)
    run = run_gate(graph, _all_packs(env), GateOptions(stack_config=env.config_map))
    assert all(p.error is None for p in run.packs), [p.error for p in run.packs]
    mandatory = [(v.policy, v.resource_name, v.detail) for p in run.packs for v in p.mandatory]
    assert mandatory == []
    if not preview:  # with every value known, nothing is left unjudged either
        assert [(v.policy, v.resource_name, v.detail) for v in run.violations] == []
