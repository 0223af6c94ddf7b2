"""One pack driven through the Analyzer protocol (:mod:`obsgov.gate.driver`): remediations that
could not run, a pack that dies in Remediate or in Analyze, the ConfigureStack request, the
policies' metadata, stack violations with no URN, display order."""

from __future__ import annotations

import json

import pytest
from pulumi.runtime.proto import analyzer_pb2 as proto

from obsgov.config.loader import load_environment
from obsgov.gate.driver import PackSession, violation_order
from obsgov.gate.engine import GateOptions
from obsgov.gate.plugin import PackError
from obsgov.gate.project import load_policy_pack
from obsgov.gate.results import PackResult, PolicyMeta, Remediation, Violation
from obsgov.graph import GraphResource, ResourceGraph
from tests.support.gate import PACKS, STACKS, probe_graph, run_probe

ALARMS_TOPIC = "urn:pulumi:dev::obsgov::test:index:Alarms$aws:sns/topic:Topic::alarms-topic"
PLAIN_TOPIC = "urn:pulumi:dev::obsgov::aws:sns/topic:Topic::plain"


@pytest.fixture(scope="module")
def preview_graph(tmp_path_factory):
    """The probe program in preview: ``alarms-topic``'s key is another resource's ARN, unknown."""
    env = load_environment("dev", STACKS / "Pulumi.dev.yaml")
    return probe_graph(env, tmp_path_factory.mktemp("driver"), True)


# --------------------------------------------------------------------------- configure


def test_configure_stack_carries_the_stack_its_config_and_tags(preview_graph):
    """sdk/go/common/resource/plugin/analyzer_plugin.go, NewPolicyAnalyzer: the engine sends
    ConfigureStack the stack, project, organization, dry-run flag, config and tags."""
    result = run_probe(
        preview_graph,
        pack="configure-stack",
        config={"obsgov:environment": "qa", "aws:region": "eu-west-1"},
        organization="acme",
        stack_tags={"team": "data"},
    )
    [seen] = result.violations
    assert json.loads(seen.detail) == {
        "stack": "dev",
        "project": "obsgov",
        "organization": "acme",
        "dry_run": True,
        "config": {"obsgov:environment": "qa", "aws:region": "eu-west-1"},
        "tags": {"team": "data"},
    }


# --------------------------------------------------------------------------- remediation


@pytest.fixture(scope="module")
def remediated(preview_graph):
    """The ``remediate-unknown`` pack's run on the preview graph."""
    return run_probe(preview_graph, pack="remediate-unknown")


def test_a_remediation_that_could_not_run_is_an_advisory_violation(remediated):
    """pkg/resource/deploy/step_generator.go, the remediation pass: a Remediation that carries
    a diagnostic (the SDK's "can't run remediation ... during preview") is shown as an advisory
    policy violation on the resource, with the policy's name and description; the others are
    applied. The display fills the missing severity from the policy's metadata."""
    result = remediated
    assert result.error is None, result.error
    assert result.violations == [
        Violation(
            pack="remediate-unknown",
            pack_version="0.1.0",
            policy="topic-key",
            description="Topics get a KMS key.",
            message=(
                "can't run remediation 'topic-key' from policy pack 'remediate-unknown@v0.0.1' "
                "during preview: string value at .kmsMasterKeyId can't be known during preview"
            ),
            level="advisory",
            severity="medium",
            urn=ALARMS_TOPIC,
            resource_type="aws:sns/topic:Topic",
            resource_name="alarms-topic",
            phase="remediate",
        )
    ]
    assert result.remediations == [
        Remediation(
            pack="remediate-unknown",
            policy="topic-key",
            urn=PLAIN_TOPIC,
            changes={"kmsMasterKeyId": "alias/remediated"},
            diagnostic="",
        )
    ]
    assert result.status == "warnings"


def test_the_packs_policies_are_reported_with_their_metadata(remediated):
    """GetAnalyzerInfo's policies as the reports show them: the level after the config is
    reconciled, the severity, the framework without its empty fields, steps, URL and tags;
    and the time the pack took."""
    assert remediated.policies == [
        PolicyMeta(
            name="topic-key",
            description="Topics get a KMS key.",
            enforcement_level="remediate",
            severity="medium",
            policy_type="resource",
            framework={"name": "cis", "version": "1.4.0", "reference": "3.7"},
            remediation_steps="Give the topic a KMS key.",
            url="https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html",
            tags=("encryption", "sns"),
        )
    ]
    assert 0 < remediated.seconds < 60


def test_a_pack_that_dies_during_remediate_fails_closed(preview_graph):
    result = run_probe(preview_graph, pack="crash-in-remediate")
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith(
        f"policy pack {load_policy_pack(PACKS / 'crash-in-remediate').label} "
        "exited with code 8 during Remediate\n"
    )


def test_a_pack_that_dies_on_the_last_resources_in_flight_fails_closed():
    """A graph smaller than the calls kept in flight: the pack's death surfaces while the last
    answers are collected, and is reported as during Analyze all the same."""
    graph = ResourceGraph(project="team", stack="qa", preview=False, resources=[_topic()])
    result = run_probe(graph, pack="crash-in-analyze")
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith(
        f"policy pack {PACKS / 'crash-in-analyze'} exited with code 7 during Analyze\n"
    )


# --------------------------------------------------------------------------- stack violations


def _topic() -> GraphResource:
    return GraphResource(
        urn="urn:pulumi:qa::team::aws:sns/topic:Topic::orders",
        type="aws:sns/topic:Topic",
        name="orders",
        custom=True,
    )


def _session(graph: ResourceGraph) -> tuple[PackSession, PackResult]:
    project = load_policy_pack(PACKS / "probe")
    result = PackResult(project=project, name="probe", version="1.2.3")
    session = PackSession(None, project, graph, GateOptions(stack_config={}), result)  # type: ignore[arg-type]
    return session, result


def test_a_stack_violation_without_urn_on_a_graph_without_a_stack_resource():
    """pkg/resource/deploy/analyze_snapshot.go, snapshotRootStackURN: with no root stack
    resource in the state, a stack-level violation without a URN goes to the default root
    stack URN (sdk/go/common/resource/stack.go, DefaultRootStackURN), named
    ``<project>-<stack>``."""
    topic = _topic()
    graph = ResourceGraph(project="team", stack="qa", preview=False, resources=[topic])
    session, result = _session(graph)
    response = proto.AnalyzeResponse(
        diagnostics=[
            proto.AnalyzeDiagnostic(
                policyName="p", description="d", message="d\nm", enforcementLevel=proto.MANDATORY
            )
        ]
    )
    session._record(response, None, "stack")
    assert [(v.urn, v.resource_type, v.resource_name, v.level) for v in result.violations] == [
        (
            "urn:pulumi:qa::team::pulumi:pulumi:Stack::team-qa",
            "pulumi:pulumi:Stack",
            "team-qa",
            "mandatory",
        )
    ]


def test_a_diagnostic_at_a_level_outside_the_protocol_fails_the_pack_closed():
    """sdk/go/common/resource/plugin/analyzer_plugin.go, convertEnforcementLevel: the CLI
    refuses a diagnostic whose level is none of the protocol's four ("invalid enforcement
    level"), failing the run; the gate fails the pack (a PackError) instead of guessing."""
    topic = _topic()
    session, result = _session(
        ResourceGraph(project="team", stack="qa", preview=False, resources=[topic])
    )
    response = proto.AnalyzeResponse(
        diagnostics=[
            proto.AnalyzeDiagnostic(
                policyName="p",
                description="d",
                message="d",
                enforcementLevel=7,  # type: ignore[arg-type]  # a level this protocol lacks
            )
        ]
    )
    with pytest.raises(PackError) as caught:
        session._record(response, topic, "analyze")
    assert str(caught.value) == (
        f"policy pack {PACKS / 'probe'} reported 'p' at enforcement level 7, which is none of "
        "advisory, mandatory, disabled, remediate (the Pulumi CLI fails the run: invalid "
        "enforcement level 7)"
    )
    assert result.violations == []


# --------------------------------------------------------------------------- display order


def _violation(level: str, severity: str, policy: str = "p") -> Violation:
    return Violation("pack", "1", policy, "d", "d", level, severity, "urn", "T", "n", "analyze")


def test_violations_are_ordered_by_level_before_severity():
    """pkg/backend/display/progress.go, printPolicies: enforcement level first (remediate,
    mandatory, advisory), then severity, whatever the severities say."""
    shuffled = [
        _violation("advisory", "critical"),
        _violation("mandatory", "low"),
        _violation("advisory", ""),
        _violation("remediate", ""),
        _violation("mandatory", "critical"),
    ]
    assert [(v.level, v.severity) for v in sorted(shuffled, key=violation_order)] == [
        ("remediate", ""),
        ("mandatory", "critical"),
        ("mandatory", "low"),
        ("advisory", "critical"),
        ("advisory", ""),
    ]


# --------------------------------------------------------------------------- attribution


def test_violations_are_filed_where_the_engine_files_them(preview_graph):
    """analyze_snapshot.go: an Analyze diagnostic belongs to the analyzed resource whatever URN
    the pack named (analyzeResource); a stack diagnostic keeps its URN only when that names a
    resource of the stack, else it goes to the root stack (resolveStackPolicyViolationURN),
    and its remediate level becomes mandatory, since stack policies cannot remediate."""
    result = run_probe(preview_graph, pack="misattributed")
    assert result.error is None, result.error
    root = next(r.urn for r in preview_graph.resources if r.type == "pulumi:pulumi:Stack")
    filed = sorted((v.policy, v.message.split("\n")[-1], v.urn, v.level) for v in result.violations)
    assert filed == [
        ("elsewhere", "names another URN", PLAIN_TOPIC, "advisory"),
        ("stack", "names a resource of the stack", PLAIN_TOPIC, "mandatory"),
        ("stack", "names no resource of the stack", root, "mandatory"),
        ("stack", "names nothing", root, "mandatory"),
    ]


class _Answers:
    """A pack process reduced to its answers: GetAnalyzerInfo returns ``info``."""

    def __init__(self, info: proto.AnalyzerInfo) -> None:
        self.info = info

    def call(self, method: str, request):
        return self.info if method == "GetAnalyzerInfo" else None


def test_a_severity_outside_the_protocol_is_unspecified():
    """sdk/go/common/resource/plugin/analyzer_plugin.go, convertSeverity: a policy severity the
    protocol does not define (a newer pack's, say) is read as unspecified, as are the
    diagnostics that leave theirs to the policy's metadata."""
    topic = _topic()
    graph = ResourceGraph(project="team", stack="qa", preview=False, resources=[topic])
    project = load_policy_pack(PACKS / "probe")
    result = PackResult(project=project)
    info = proto.AnalyzerInfo(
        name="newer",
        version="2.0.0",
        policies=[
            proto.PolicyInfo(
                name="p",
                description="d",
                enforcementLevel=proto.MANDATORY,
                severity=9,  # type: ignore[arg-type]  # a severity this protocol lacks
            )
        ],
    )
    session = PackSession(
        _Answers(info),  # type: ignore[arg-type]
        project,
        graph,
        GateOptions(stack_config={}, configure_stack=False),
        result,
    )
    session.configure([])
    assert [(p.name, p.severity) for p in result.policies] == [("p", "")]
    session._record(
        proto.AnalyzeResponse(
            diagnostics=[
                proto.AnalyzeDiagnostic(
                    policyName="p", description="d", message="m", enforcementLevel=proto.MANDATORY
                )
            ]
        ),
        topic,
        "analyze",
    )
    assert [(v.policy, v.severity) for v in result.violations] == [("p", "")]
