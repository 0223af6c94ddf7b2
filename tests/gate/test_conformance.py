"""Conformance: purpose-built packs through the gate, asserting what the Pulumi CLI does.

Each test names the engine source it reproduces (pulumi/pulumi at 1b59498). Enforcement
levels from code, ``all`` and per-policy config, schema defaults and schema errors, and stack
policies with parents and dependencies are pinned in ``test_engine.py`` with the probe pack;
this file holds remediation, preview unknowns in the stack view, stack tags, display order,
concurrency and the state-file path.
"""

from __future__ import annotations

import json

import pytest
from pulumi.runtime.proto import analyzer_pb2 as proto
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.config.loader import load_environment
from obsgov.gate.driver import PackSession
from obsgov.gate.engine import GateOptions, run_gate
from obsgov.gate.pack_config import parse_pack_config
from obsgov.gate.project import load_policy_pack
from obsgov.gate.results import PackResult, PolicyMeta
from tests.support.gate import (
    PACKS,
    STACKS,
    by_policy,
    probe_graph,
    run_probe,
    trace_packs,
    trace_spans,
)


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    env = load_environment("dev", STACKS / "Pulumi.dev.yaml")
    tmp = tmp_path_factory.mktemp("conformance")
    return {True: probe_graph(env, tmp, True), False: probe_graph(env, tmp, False)}


def _stack_view(result) -> dict[str, str]:
    return {v.urn.rsplit("::", 1)[-1]: v.detail for v in by_policy(result, "stack-sees-topics")}


# --------------------------------------------------------------------------- remediation


def test_remediation_is_applied_before_analysis(graphs):
    """pkg/resource/deploy/step_generator.go, the remediation pass before ``analyzeAll``: the
    engine calls Remediate first and the remediated properties replace the resource's inputs,
    so a mandatory policy that the remediation satisfies passes, and the stack view shows the
    remediated value."""
    result = run_probe(graphs[False], pack="conformance")
    assert result.error is None, result.error
    assert by_policy(result, "topic-needs-kms") == []
    assert [(r.urn.rsplit("::", 1)[-1], r.changes) for r in result.remediations] == [
        ("plain", {"kmsMasterKeyId": "alias/remediated"})
    ]
    assert _stack_view(result)["plain"].startswith("plain: key=alias/remediated arn=arn:aws:sns:")
    assert not result.mandatory
    assert result.status == "warnings"


def test_remediations_are_summarised_per_policy(graphs):
    """pkg/backend/display/progress.go, printPolicies: one ``[remediate]`` line per policy with
    the number of resources it changed, policies sorted by name."""
    result = run_probe(graphs[False], {"add-tag": "remediate", "never-called": "disabled"})
    assert result.remediation_summary == [("add-tag", 3)]
    assert sorted(r.urn.rsplit("::", 1)[-1] for r in result.remediations) == [
        "alarms-topic",
        "encrypted",
        "plain",
    ]
    assert {json.dumps(r.changes) for r in result.remediations} == {
        '{"tags": {"remediated": "yes"}}'
    }


@pytest.mark.parametrize("order", [("conformance", "probe"), ("probe", "conformance")])
def test_one_packs_remediation_is_seen_by_every_packs_analysis(graphs, order):
    """step_generator.go: remediations run for every pack first, then analysis for every pack,
    so another pack's mandatory policy sees the remediated inputs, whatever the pack order."""
    packs = [
        (
            load_policy_pack(PACKS / name),
            [parse_pack_config({"never-called": "disabled"}, "t")] if name == "probe" else [],
        )
        for name in order
    ]
    run = run_gate(graphs[False], packs, GateOptions(stack_config={}))
    probe = next(p for p in run.packs if p.name == "probe")
    assert probe.error is None, probe.error
    assert by_policy(probe, "topic-needs-kms") == []  # "plain" got its key from conformance
    assert not run.failed


# --------------------------------------------------------------------------- preview unknowns


def test_stack_policies_see_unknown_computed_outputs_in_preview(graphs):
    """Point 4: in preview the engine gives AnalyzeStack the provider's preview outputs, where
    computed properties (``arn``) are unknown, so the SDK reports its advisory "can't run
    policy during preview" (pulumi_policy/policy.py AnalyzeStack, UnknownValueError)."""
    preview = run_probe(graphs[True], pack="conformance")
    assert preview.error is None, preview.error
    [seen] = by_policy(preview, "stack-sees-topics")
    assert seen.level == "advisory"
    assert seen.message == (
        "can't run policy 'stack-sees-topics' from policy pack 'conformance@v0.0.1' during "
        "preview: string value at .arn can't be known during preview"
    )
    update = run_probe(graphs[False], pack="conformance")
    seen_update = _stack_view(update)["encrypted"]
    assert seen_update.startswith("encrypted: key=alias/aws/sns arn=arn:aws:sns:eu-west-1:")
    assert seen_update.endswith(":obsgov-encrypted")


# --------------------------------------------------------------------------- stack identity


def test_configure_stack_carries_the_builtin_stack_tags(tmp_path):
    """pkg/backend/stack.go, GetEnvironmentTagsForCurrentStack: ``pulumi:project``,
    ``pulumi:runtime`` and ``pulumi:description`` from Pulumi.yaml reach the pack through
    ConfigureStack; ``obsgov preview`` sends them."""
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        [
            "preview",
            "--stack",
            "dev",
            "--policy-pack",
            str(PACKS / "conformance"),
            "--format",
            "json",
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())["packs"][0]
    [seen] = [v for v in report["violations"] if v["policy"] == "runtime-env"]
    assert seen["message"] == (
        "PULUMI_STACK=dev tags=[('pulumi:description', 'Governed ML and data observability "
        "across an AWS organization'), ('pulumi:project', 'obsgov'), ('pulumi:runtime', "
        "'python')]"
    )


def test_state_file_analysis_loads_packs_without_the_stack(tmp_path, graphs):
    """pkg/cmd/pulumi/policy/policy_analyze.go: ``policy analyze --file`` loads packs with
    LoadLocalPolicyPackAnalyzers(..., nil): no ConfigureStack (no stack tags) and no PULUMI_*
    stack environment; pkg/resource/deploy/analyze_snapshot.go, AnalyzeSnapshot: remediations
    are reported, not applied."""
    state = _export(graphs[False], tmp_path)
    config = tmp_path / "config.json"  # the dev environment would make every policy advisory
    config.write_text(json.dumps({"add-kms-key": "remediate"}))
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        [
            "policy",
            "analyze",
            "--file",
            str(state),
            "--policy-pack",
            str(PACKS / "conformance"),
            "--policy-pack-config",
            str(config),
            "--format",
            "json",
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())["packs"][0]
    [seen] = [v for v in report["violations"] if v["policy"] == "runtime-env"]
    assert seen["message"] == "PULUMI_STACK=None tags=[]"
    # AnalyzeSnapshot reports remediations without applying them: the topic stays unkeyed
    assert [v["name"] for v in report["violations"] if v["policy"] == "topic-needs-kms"] == [
        "plain"
    ]
    assert [r["urn"].rsplit("::", 1)[-1] for r in report["remediations"]] == ["plain"]


# --------------------------------------------------------------------------- display order


def test_violations_are_ordered_by_level_severity_policy_and_urn(graphs):
    """pkg/backend/display/progress.go, printPolicies: violations sorted by enforcement level
    (remediate, mandatory, advisory), severity (critical to unspecified), policy name, URN."""
    result = run_probe(graphs[False], {"never-called": "disabled"})
    order = [(v.level, v.severity, v.policy, v.resource_name) for v in result.violations]
    assert order == [
        ("mandatory", "high", "topic-needs-kms", "plain"),
        ("advisory", "low", "name-prefix", "plain"),
        ("advisory", "", "parents-and-dependencies", "alarms-policy"),
        # by URN: urn:...::aws:sns/topic:Topic::* before urn:...::test:index:Alarms$...
        ("advisory", "", "provider-account", "encrypted"),
        ("advisory", "", "provider-account", "plain"),
        ("advisory", "", "provider-account", "alarms-topic"),
        ("advisory", "", "runtime-data", "obsgov-dev"),
    ]


def test_a_diagnostic_without_severity_takes_the_policys(graphs):
    """The display fills a diagnostic's missing severity from the policy's metadata."""
    result = PackResult(project=load_policy_pack(PACKS / "probe"), name="probe", version="1")
    session = PackSession(None, result.project, graphs[False], GateOptions(stack_config={}), result)  # type: ignore[arg-type]
    session._severity = {"p": "critical"}
    result.policies.append(PolicyMeta("p", "d", "mandatory", "critical", "resource"))
    response = proto.AnalyzeResponse(
        diagnostics=[
            proto.AnalyzeDiagnostic(
                policyName="p", description="d", message="d\nm", enforcementLevel=proto.MANDATORY
            )
        ]
    )
    session._record(response, graphs[False].resources[0], "analyze")
    assert [(v.severity, v.level) for v in result.violations] == [("critical", "mandatory")]


# --------------------------------------------------------------------------- concurrency


def test_packs_run_at_the_same_time(graphs, tmp_path):
    """Two packs that each take 1.5 s on one resource: their calls overlap in time (packs run
    concurrently, each in its own process), shown by the times the packs themselves record."""
    trace, packs = trace_packs(tmp_path, 1.5)
    run = run_gate(graphs[False], packs, GateOptions(stack_config={}))
    assert [p.error for p in run.packs] == [None, None]
    spans = trace_spans(trace)
    a, b = spans["trace-a"], spans["trace-b"]
    assert a["start"] < b["end"], spans
    assert b["start"] < a["end"], spans


# --------------------------------------------------------------------------- helpers


def _export(graph, tmp_path):
    resources = [
        {
            "urn": r.urn,
            "custom": r.custom,
            "type": r.type,
            "id": r.id,
            "inputs": r.inputs,
            "outputs": r.outputs,
            "parent": r.parent,
            "provider": r.provider,
            "dependencies": r.dependencies,
            "propertyDependencies": r.property_dependencies,
        }
        for r in graph.resources
    ]
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}))
    return state
