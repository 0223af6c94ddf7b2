"""Per-resource outcomes inferred from a gate run, and the compliance map they drive.

The Analyzer protocol lists violations only; passes are inferred from the policy's resource
types. The "can't run policy ... during preview" advisory is the SDK's (pulumi_policy/policy.py,
``UnknownValueError`` in ``Analyze``), sent with an empty URN that the gate fills in.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from obsgov.environment_report.compliance import ControlId, ControlSpec, compliance_map
from obsgov.environment_report.outcomes import gate_controls, gate_outcomes, library_applicability
from obsgov.gate.project import PolicyPackProject
from obsgov.gate.results import GateRun, PackResult, PolicyMeta, Violation
from obsgov.graph import GraphResource, ResourceGraph

KEY_TYPE = "aws:kms/key:Key"
TOPIC_TYPE = "aws:sns/topic:Topic"
ROTATION = "obsgov-kms-key-require-rotation"
CANNOT_RUN = (
    "can't run policy 'obsgov-kms-key-require-rotation' from policy pack 'security-baseline@v1.0.0' "
    "during preview: boolean value at .enableKeyRotation can't be known during preview"
)


def resource(token: str, name: str, account: str) -> GraphResource:
    return GraphResource(
        urn=f"urn:pulumi:prod::p::{token}::{name}",
        type=token,
        name=name,
        custom=True,
        account=account,
    )


GRAPH = ResourceGraph(
    project="p",
    stack="prod",
    preview=True,
    resources=[
        resource(KEY_TYPE, "good-key", "111111111111"),
        resource(KEY_TYPE, "bad-key", "111111111111"),
        resource(KEY_TYPE, "unknown-key", "222222222222"),
        resource(TOPIC_TYPE, "topic", "222222222222"),
        GraphResource(
            urn="urn:pulumi:prod::p::pulumi:providers:aws::aws-111",
            type="pulumi:providers:aws",
            name="aws-111",
            custom=True,
            account="111111111111",
        ),
    ],
)


def urn(name: str) -> str:
    return next(r.urn for r in GRAPH.resources if r.name == name)


def meta(name: str = ROTATION, level: str = "mandatory", kind: str = "resource", **extra):
    return PolicyMeta(name, "Keys rotate.", level, "medium", kind, **extra)


def violation(
    name: str,
    message: str = "Keys rotate.\nrotation is off",
    policy: str = ROTATION,
    level: str = "mandatory",
) -> Violation:
    target = next(r for r in GRAPH.resources if r.name == name)
    return Violation(
        "security-baseline",
        "1.0.0",
        policy,
        "Keys rotate.",
        message,
        level,
        "medium",
        target.urn,
        target.type,
        target.name,
        "analyze",
    )


def pack(*violations: Violation, policies=None, error: str | None = None) -> PackResult:
    return PackResult(
        PolicyPackProject(Path("policies/security-baseline"), "python", {}),
        name="security-baseline",
        version="1.0.0",
        policies=list(policies if policies is not None else [meta()]),
        violations=list(violations),
        error=error,
    )


def keys_only(policy: str):
    if policy != ROTATION:
        return None
    return lambda graph, config: [r.urn for r in graph.resources if r.type == KEY_TYPE]


def statuses(run: GateRun, applicability=keys_only) -> dict[str, str]:
    return {o.urn.rsplit("::", 1)[1]: o.status for o in gate_outcomes(run, applicability)}


def test_resources_a_policy_applies_to_pass_unless_reported():
    run = GateRun(GRAPH, [pack(violation("bad-key"), violation("unknown-key", CANNOT_RUN))], 0)
    assert statuses(run) == {"good-key": "passed", "bad-key": "failed", "unknown-key": "not-judged"}


def test_an_advisory_violation_still_fails_the_resource():
    run = GateRun(GRAPH, [pack(violation("bad-key", level="advisory"))], 0)
    assert statuses(run)["bad-key"] == "failed"


def test_a_pack_that_failed_to_run_judged_nothing():
    run = GateRun(GRAPH, [pack(error="pack exited with code 1")], 0)
    assert set(statuses(run).values()) == {"not-judged"}
    assert len(statuses(run)) == 3  # every key, neither the topic nor the provider


def test_disabled_policies_have_no_outcomes():
    run = GateRun(GRAPH, [pack(violation("bad-key"), policies=[meta(level="disabled")])], 0)
    assert statuses(run) == {}


def test_a_policy_outside_the_library_knows_only_what_it_reported():
    run = GateRun(
        GRAPH,
        [pack(violation("topic", policy="team-topic-rule"), policies=[meta("team-topic-rule")])],
        0,
    )
    assert statuses(run, lambda policy: None) == {"topic": "failed"}


def test_the_library_answers_with_the_registered_type_test():
    judged = library_applicability(ROTATION)
    assert judged is not None
    assert judged(GRAPH, {}) == [urn("good-key"), urn("bad-key"), urn("unknown-key")]
    assert library_applicability("no-such-policy") is None


def test_controls_come_from_what_the_packs_sent():
    framework = {
        "name": "AWS Foundational Security Best Practices",
        "reference": "KMS.4",
        "specification": "AWS Foundational Security Best Practices KMS.4",
    }
    run = GateRun(
        GRAPH,
        [
            pack(
                policies=[
                    meta(framework=framework, tags=("kms", "CIS AWS Foundations Benchmark 3.6"))
                ]
            )
        ],
        0,
    )
    assert gate_controls(run) == {ROTATION: [ControlId("CIS", "3.6"), ControlId("FSBP", "KMS.4")]}


KMS4 = ControlId("FSBP", "KMS.4")


@given(st.lists(st.sampled_from(["passed", "failed", "not-judged"]), min_size=1, max_size=3))
def test_a_control_passes_only_when_every_resource_passed(keys):
    names = ["good-key", "bad-key", "unknown-key"][: len(keys)]
    found = [
        violation(n, CANNOT_RUN if s == "not-judged" else "Keys rotate.\noff")
        for n, s in zip(names, keys, strict=True)
        if s != "passed"
    ]
    graph = ResourceGraph("p", "prod", True, [r for r in GRAPH.resources if r.name in names])
    run = GateRun(graph, [pack(*found)], 0)
    [row] = [
        r
        for r in compliance_map(
            gate_outcomes(run, keys_only),
            {ROTATION: [KMS4]},
            {KMS4: ControlSpec("rotation", (KEY_TYPE,))},
            graph,
        )
        if r.control == KMS4
    ]
    expected = "failed" if "failed" in keys else "not-judged" if "not-judged" in keys else "passed"
    assert row.status == expected
    assert (row.count("passed"), row.count("failed"), row.count("not-judged")) == (
        keys.count("passed"),
        keys.count("failed"),
        keys.count("not-judged"),
    )


S3_TLS = "obsgov-s3-bucket-require-tls"
ARCHIVE = "obsgov-s3-bucket-require-archive-versioning"
BUCKETS = ResourceGraph(
    "p",
    "prod",
    True,
    [
        GraphResource(
            urn=f"urn:pulumi:prod::p::aws:s3/bucket:Bucket::{name}",
            type="aws:s3/bucket:Bucket",
            name=name,
            custom=True,
            inputs={"bucket": name},
            account="111111111111",
        )
        for name in ("audit-archive", "features", "trail-logs")
    ],
)


def stack_pack(policy: str, *failed: str, config: dict | None = None) -> PackResult:
    found = [
        Violation(
            "security-baseline",
            "1.0.0",
            policy,
            "",
            "no",
            "mandatory",
            "high",
            f"urn:pulumi:prod::p::aws:s3/bucket:Bucket::{name}",
            "aws:s3/bucket:Bucket",
            name,
            "analyze-stack",
        )
        for name in failed
    ]
    result = pack(*found, policies=[meta(policy, kind="stack")])
    result.config = {policy: config or {}}
    return result


def test_a_stack_policy_attributes_every_resource_it_judged():
    # Stack policies report violations only (AnalyzeStack); the library says they judge every
    # bucket, so the buckets they did not name passed.
    run = GateRun(BUCKETS, [stack_pack(S3_TLS, "features")], 0)
    assert {o.urn.rsplit("::", 1)[1]: o.status for o in gate_outcomes(run)} == {
        "audit-archive": "passed",
        "features": "failed",
        "trail-logs": "passed",
    }


def test_a_stack_policy_that_judges_some_buckets_attributes_only_those():
    # The versioning policy judges archives only (named by its archiveNamePattern, here the
    # environment's config): the other buckets are none of its business.
    config = {"archiveNamePattern": "(^|[-_.])(archive|logs)([-_.]|$)", "archiveTag": ""}
    run = GateRun(BUCKETS, [stack_pack(ARCHIVE, "trail-logs", config=config)], 0)
    assert {o.urn.rsplit("::", 1)[1]: o.status for o in gate_outcomes(run)} == {
        "audit-archive": "passed",
        "trail-logs": "failed",
    }
