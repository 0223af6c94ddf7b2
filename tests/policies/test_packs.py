"""The real packs: registry rules, pack processes, the example stacks and a broken stack."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from google.protobuf import empty_pb2

import obsgov_policies
from obsgov.gate.engine import GateOptions, run_gate
from obsgov.gate.environment_layer import EnvironmentLayer
from obsgov.gate.floors import FloorLayer
from obsgov.gate.pack_config import PolicyConfig
from obsgov.gate.plugin import AnalyzerPlugin
from obsgov.gate.project import discover_policy_packs, load_policy_pack
from obsgov.gate.selection import stack_pack_files
from obsgov.synth import synthesize
from obsgov_policies.catalog import load_all, pack_table, policies_for

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
PACK_DIRS = {d.name: d for d in discover_policy_packs(POLICIES)}


PACKS = sorted(pack_table())
# AWS limits shared with obsgov's config models, which test them
TESTED_ELSEWHERE = {"aws_limits.py"}


LIBRARY = Path(obsgov_policies.__file__).parent


@pytest.mark.pack_folders
def test_every_library_pack_has_a_folder_and_every_folder_a_library_pack():
    # the library's packages, as its tree holds them (each with an __init__)
    packages = sorted(p.parent.name.replace("_", "-") for p in LIBRARY.glob("*/__init__.py"))
    assert packages
    assert PACKS == sorted(PACK_DIRS) == packages


def test_the_library_has_every_policy():
    """One policy per module of a pack's package: the catalog holds each exactly once."""
    modules = sorted(
        f"{obsgov_policies.__name__}.{path.parent.name}.{path.stem}"
        for path in LIBRARY.glob("*/*.py")
        if path.stem != "__init__"
    )
    assert modules
    assert sorted(spec.module for spec in load_all().values()) == modules


def test_descriptions_are_full_sentences():
    for spec in load_all().values():
        assert re.match(r"^[A-Z][^\n]+[.]$", spec.description), spec.id
        assert len(spec.description.split()) >= 6, spec.id
        assert spec.remediation, spec.id
        assert spec.remediation.endswith("."), spec.id


def test_resource_policies_say_which_types_they_judge():
    for spec in load_all().values():
        assert (
            spec.kind == "stack"
            or spec.resource_types
            or spec.id == "obsgov-aws-resource-require-tags"
        ), spec.id


def test_each_library_module_has_a_mirroring_test_file():
    """tests/policies mirrors policies/obsgov_policies: a module and its test file."""
    library = Path(obsgov_policies.__file__).parent
    for module in sorted(library.rglob("*.py")):
        if module.name == "__init__.py" or module.name in TESTED_ELSEWHERE:
            continue
        relative = module.relative_to(library)
        test_file = ROOT / "tests" / "policies" / relative.parent / f"test_{module.name}"
        assert test_file.exists(), f"{relative}: missing {test_file.relative_to(ROOT)}"


def test_every_policy_has_a_config_default_for_each_property():
    for spec in load_all().values():
        for name, schema in spec.config_properties.items():
            optional_inputs = {"registrySnapshotFile", "registryAccountId", "environment"}
            assert "default" in schema or name in optional_inputs, f"{spec.id}.{name}"


@pytest.mark.pack_folders
@pytest.mark.parametrize("pack", PACKS)
def test_pack_starts_as_a_process_and_lists_its_policies(pack):
    project = load_policy_pack(PACK_DIRS[pack])
    with AnalyzerPlugin(
        project, stack="dev", project_name="obsgov", organization="o", dry_run=True, config={}
    ) as plugin:
        info = plugin.call("GetAnalyzerInfo", empty_pb2.Empty())
    assert info.name == f"obsgov-{pack}"
    assert sorted(p.name for p in info.policies) == [s.id for s in policies_for(pack)]
    for policy in info.policies:
        assert policy.severity != 0
        assert policy.description
        assert policy.remediation_steps


def _all_packs(env):
    """Every pack with the layers the gate gives it for ``env``: the organisation's floors,
    the environment, then the stack's own file for that pack (where thresholds live, and which
    keeps deploy-readiness advisory where the environment is mandatory)."""
    return [
        (
            load_policy_pack(PACK_DIRS[p]),
            [FloorLayer(env), EnvironmentLayer(env), *stack_pack_files(env, PACK_DIRS[p])],
        )
        for p in PACKS
    ]


@pytest.mark.pack_folders
@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_example_stacks_have_no_mandatory_violations(
    stack, example_env, example_graph, no_aws_credentials
):
    env = example_env(stack)
    run = run_gate(
        example_graph(stack, True), _all_packs(env), GateOptions(stack_config=env.config_map)
    )
    for pack in run.packs:
        assert pack.error is None, pack.error
        assert pack.mandatory == [], [(v.policy, v.resource_name, v.detail) for v in pack.mandatory]


@pytest.mark.pack_folders
def test_a_broken_stack_trips_every_pack(example_env, no_aws_credentials):
    env = example_env("prod")
    graph = synthesize(
        env, program=ROOT / "tests" / "fixtures" / "broken_program.py", preview=False
    )
    run = run_gate(graph, _all_packs(env), GateOptions(stack_config=env.config_map))
    assert run.failed
    tripped = {p.name: sorted({v.policy for v in p.mandatory}) for p in run.packs}
    assert all(p.error is None for p in run.packs), [p.error for p in run.packs]
    assert "obsgov-aws-resource-require-tags" in tripped["obsgov-tagging"]
    assert "obsgov-sagemaker-resource-require-ml-tags" in tripped["obsgov-tagging"]
    assert {
        "obsgov-cloudwatch-alarm-require-actions",
        "obsgov-cloudwatch-alarm-valid-evaluation-window",
    } <= set(tripped["obsgov-observability"])
    assert {
        "obsgov-sns-topic-require-kms",
        "obsgov-kms-key-require-rotation",
        "obsgov-iam-policy-disallow-full-admin",
        "obsgov-sagemaker-endpointconfig-require-kms",
        "obsgov-sagemaker-model-require-network-isolation",
        "obsgov-sagemaker-endpointconfig-require-multiple-instances",
    } <= set(tripped["obsgov-security-baseline"])
    assert {
        "obsgov-sagemaker-model-require-approved-package",
        "obsgov-sagemaker-endpointconfig-require-data-capture",
        "obsgov-sagemaker-endpoint-require-monitoring",
    } <= set(tripped["obsgov-model-governance"])


@pytest.mark.pack_folders
@pytest.mark.parametrize("preview", [True, False])
def test_a_well_governed_team_stack_passes_every_pack(example_env, preview, no_aws_credentials):
    # no credentials: model approval is read from the shipped registry snapshot
    env = example_env("prod")
    graph = synthesize(
        env, program=ROOT / "tests" / "fixtures" / "team_stack_program.py", preview=preview
    )
    # the team's account is onboarded: `obsgov org check` confirmed its deployment role
    onboarded = {
        "obsgov-deploy-account-require-prerequisites": PolicyConfig(
            None,
            {
                "verifiedPrerequisites": [
                    "deployment-role:arn:aws:iam::400000000001:role/ObsgovDeploymentRole"
                ]
            },
        )
    }
    packs = [
        (project, [*layers, onboarded] if project.directory.name == "deploy-readiness" else layers)
        for project, layers in _all_packs(env)
    ]
    run = run_gate(graph, packs, GateOptions(stack_config=env.config_map))
    assert all(p.error is None for p in run.packs), [p.error for p in run.packs]
    mandatory = [(v.policy, v.resource_name, v.detail) for p in run.packs for v in p.mandatory]
    assert mandatory == []
    if not preview:  # with every value known, nothing is left unjudged either
        assert [(v.policy, v.resource_name, v.detail) for v in run.violations] == []


@pytest.fixture
def served(monkeypatch):
    """What build_pack hands the SDK's PolicyPack (which would serve forever in-process)."""
    import gc

    from obsgov_policies import packs

    calls = []
    monkeypatch.setattr(packs, "PolicyPack", lambda **kwargs: calls.append(kwargs))
    threshold = gc.get_threshold()
    yield calls
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.parametrize("pack", PACKS)
def test_build_pack_serves_the_packs_policies(served, pack):
    import gc

    from pulumi_policy import EnforcementLevel

    from obsgov_policies.packs import build_pack

    build_pack(pack)
    [kwargs] = served
    assert kwargs["name"] == f"obsgov-{pack}"
    assert kwargs["description"] == pack_table()[pack].description
    assert kwargs["enforcement_level"] == EnforcementLevel.ADVISORY
    assert [p.name for p in kwargs["policies"]] == [s.id for s in policies_for(pack)]
    assert (kwargs["provider"], kwargs["tags"]) == ("aws", ["obsgov", pack])
    assert gc.get_threshold() == (50_000, 20, 100)
    assert gc.get_freeze_count() > 0


def test_build_pack_warms_the_tagging_pack_up(served, monkeypatch):
    from obsgov_policies import catalog
    from obsgov_policies.packs import build_pack

    warmed: list[str] = []

    def warm_up(name: str) -> None:
        warmed.append(name)

    table = {
        name: catalog.Pack(p.name, p.package, p.description, functools.partial(warm_up, name))
        for name, p in pack_table().items()
    }
    monkeypatch.setattr("obsgov_policies.packs.pack_table", lambda: table)
    build_pack("observability")
    assert warmed == ["observability"]


def test_build_pack_refuses_an_unknown_pack(served):
    from obsgov_policies.packs import build_pack

    with pytest.raises(ValueError, match="^unknown pack 'logging'") as caught:
        build_pack("logging")
    assert str(caught.value) == (
        "unknown pack 'logging'; expected one of deploy-readiness, model-governance, "
        "observability, security-baseline, tagging"
    )
    assert served == []
