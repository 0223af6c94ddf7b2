"""The compliance map never calls a control passed when any resource failed or was not judged,
and counts each resource of a control's types once, in its own account only."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from obsgov.environment_report.compliance import (
    ControlId,
    ControlSpec,
    Outcome,
    account_shares,
    compliance_map,
    load_catalog,
    parse_control,
    policy_controls,
)
from obsgov.graph import GraphResource, ResourceGraph

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KEY = "aws:kms/key:Key"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
TRAIL = "aws:cloudtrail/trail:Trail"
QUEUE = "aws:sqs/queue:Queue"

S35 = ControlId("FSBP", "S3.5")
S32 = ControlId("FSBP", "S3.2")
KMS4 = ControlId("FSBP", "KMS.4")
SQS1 = ControlId("FSBP", "SQS.1")
SNS4 = ControlId("FSBP", "SNS.4")
TRAIL9 = ControlId("Tagging", "CloudTrail.9")
CATALOG = {
    S35: ControlSpec("TLS only", (BUCKET,)),
    S32: ControlSpec("no public read", (BUCKET,)),
    KMS4: ControlSpec("rotation", (KEY,)),
    SQS1: ControlSpec("queues encrypted", (QUEUE,)),
    SNS4: ControlSpec("no public topics", (TOPIC,)),
    TRAIL9: ControlSpec("trails tagged", (TRAIL,)),
}
POLICIES = {"require-s3-tls": [S35], "require-kms-rotation": [KMS4]}


def res(token: str, name: str, account: str = "111111111111", **deps) -> GraphResource:
    return GraphResource(
        urn=f"urn:pulumi:prod::p::{token}::{name}",
        type=token,
        name=name,
        custom=True,
        account=account,
        property_dependencies={k: [f"urn:pulumi:prod::p::{t}::{n}"] for k, (t, n) in deps.items()},
    )


def graph(*resources: GraphResource) -> ResourceGraph:
    return ResourceGraph("p", "prod", True, list(resources))


def urn(token: str, name: str) -> str:
    return f"urn:pulumi:prod::p::{token}::{name}"


def test_control_names_are_read_from_policy_tags_and_frameworks():
    assert parse_control("AWS Foundational Security Best Practices S3.5") == S35
    assert parse_control("CIS AWS Foundations Benchmark 1.16") == ControlId("CIS", "1.16")
    assert parse_control("observability") is None
    assert policy_controls(
        ["s3", "AWS Foundational Security Best Practices S3.5"],
        "AWS Foundational Security Best Practices KMS.4",
    ) == [KMS4, S35]


def test_statuses_gaps_and_accounts():
    g = graph(
        res(BUCKET, "b1"),
        res(BUCKET, "b2", "222222222222"),
        res(KEY, "k1"),
        res(KEY, "k2"),
        res(QUEUE, "q1", "222222222222"),
    )
    outcomes = [
        Outcome("require-s3-tls", urn(BUCKET, "b1"), "111111111111", "passed"),
        Outcome("require-s3-tls", urn(BUCKET, "b2"), "222222222222", "failed"),
        Outcome("require-kms-rotation", urn(KEY, "k1"), "111111111111", "passed"),
        Outcome("require-kms-rotation", urn(KEY, "k2"), "111111111111", "not-judged"),
    ]
    rows = {r.control: r for r in compliance_map(outcomes, POLICIES, CATALOG, g)}
    assert rows[S35].status == "failed"
    assert rows[S35].count("passed") == 1
    assert rows[KMS4].status == "not-judged"
    sqs = rows[SQS1]
    assert sqs.gap
    assert sqs.status == "gap"
    assert sqs.count("not-judged") == 1
    # the queue's account has SQS.1, unmet (a gap); the trail's control applies to no account
    assert rows[TRAIL9].accounts == {}
    assert rows[TRAIL9].resources == {}
    # S3.2 is a gap too: each account's buckets count against it
    assert account_shares(list(rows.values())) == {
        "111111111111": (1, 3),
        "222222222222": (0, 3),
    }


def test_a_control_whose_types_the_stack_lacks_has_no_resources_not_a_pass():
    [row] = [r for r in compliance_map([], POLICIES, CATALOG, graph()) if r.control == S35]
    assert row.status == "no resources"


def test_a_policy_mapped_to_several_controls_counts_only_each_controls_types():
    # The tagging policy maps to CloudTrail.9 and judges every taggable resource: the trail
    # control counts the one trail, in its own account, not the 198 resources tagged.
    g = graph(res(TRAIL, "org"), *(res(BUCKET, f"b{i}", "222222222222") for i in range(5)))
    outcomes = [Outcome("require-tags", r.urn, r.account, "passed") for r in g.resources]
    rows = {
        r.control: r for r in compliance_map(outcomes, {"require-tags": [TRAIL9, S35]}, CATALOG, g)
    }
    assert (rows[TRAIL9].count("passed"), rows[TRAIL9].accounts) == (1, {"111111111111": "passed"})
    assert rows[S35].count("passed") == 5
    assert set(rows[S35].accounts) == {"222222222222"}


def test_an_outcome_on_a_part_counts_for_the_resource_it_configures():
    g = graph(
        res(BUCKET, "data"),
        res(BUCKET_POLICY, "data-policy", bucket=(BUCKET, "data")),
        res(TOPIC, "alarms"),
        res(TOPIC_POLICY, "alarms-policy", arn=(TOPIC, "alarms")),
    )
    outcomes = [
        Outcome("block-public-access", urn(BUCKET, "data"), "111111111111", "passed"),
        Outcome("no-public-principal", urn(BUCKET_POLICY, "data-policy"), "1", "failed"),
        Outcome("no-public-principal", urn(TOPIC_POLICY, "alarms-policy"), "1", "passed"),
    ]
    rows = {
        r.control: r
        for r in compliance_map(
            outcomes,
            {"block-public-access": [S32], "no-public-principal": [S32, SNS4]},
            CATALOG,
            g,
        )
    }
    assert rows[S32].resources == {urn(BUCKET, "data"): "failed"}
    assert rows[SNS4].resources == {urn(TOPIC, "alarms"): "passed"}


statuses = st.sampled_from(["passed", "failed", "not-judged"])


@given(st.lists(st.tuples(st.sampled_from(["b1", "b2", "b3"]), statuses), min_size=1))
def test_passed_only_when_every_judgement_passed(judgements):
    g = graph(res(BUCKET, "b1"), res(BUCKET, "b2"), res(BUCKET, "b3"))
    outcomes = [Outcome("require-s3-tls", urn(BUCKET, n), "1", s) for n, s in judgements]
    [row] = [r for r in compliance_map(outcomes, POLICIES, CATALOG, g) if r.control == S35]
    every = {s for _, s in judgements}
    if row.status == "passed":
        assert every == {"passed"}
        assert len({n for n, _ in judgements}) == 3
    if "failed" in every:
        assert row.status == "failed"
    elif "not-judged" in every:
        assert row.status == "not-judged"


TYPES = [BUCKET, BUCKET_POLICY, KEY, TOPIC, TOPIC_POLICY, TRAIL, QUEUE, "aws:iam/role:Role"]
ACCOUNTS = ["111111111111", "222222222222", "333333333333"]
PARTS = {BUCKET_POLICY: ("bucket", BUCKET), TOPIC_POLICY: ("arn", TOPIC)}


@st.composite
def stacks(draw):
    """A graph of random resources in random accounts (parts tied to a resource of their
    parent type when one exists), and random policy outcomes mapped to random controls."""
    kinds = draw(
        st.lists(st.tuples(st.sampled_from(TYPES), st.sampled_from(ACCOUNTS)), max_size=25)
    )
    resources: list[GraphResource] = []
    for i, (token, account) in enumerate(kinds):
        resource = res(token, f"r{i}", account)
        part = PARTS.get(token)
        parents = [r for r in resources if part and r.type == part[1]]
        if part and parents:
            parent = draw(st.sampled_from(parents))
            resource.property_dependencies = {part[0]: [parent.urn]}
        resources.append(resource)
    resources.append(
        GraphResource(
            "urn:pulumi:prod::p::pulumi:providers:aws::a", "pulumi:providers:aws", "a", True
        )
    )
    g = graph(*resources)
    policies = [f"policy-{i}" for i in range(4)]
    mapping = {
        p: draw(st.lists(st.sampled_from(sorted(CATALOG)), unique=True, max_size=3))
        for p in policies
    }
    outcomes = [
        Outcome(p, r.urn, r.account, draw(statuses))
        for r in resources
        for p in policies
        if draw(st.booleans())
    ]
    return g, mapping, outcomes


@settings(max_examples=200, deadline=None)
@given(stacks())
def test_counts_equal_the_graphs_resources_of_each_controls_types(stack):
    g, mapping, outcomes = stack
    for row in compliance_map(outcomes, mapping, CATALOG, g):
        subjects = [
            r for r in g.resources if r.custom and not r.is_provider and r.type in row.types
        ]
        assert row.count("passed") + row.count("failed") + row.count("not-judged") == len(subjects)
        assert set(row.resources) == {r.urn for r in subjects}
        assert Counter(r.account for r in subjects).keys() == row.accounts.keys()
        if row.policies:
            assert row.status == ("no resources" if not subjects else row.status)
        else:
            assert row.status == "gap"
            assert set(row.resources.values()) <= {"not-judged"}


def test_the_shipped_catalog_names_the_types_of_every_control():
    from obsgov_policies.tags import taggable_types

    catalog = load_catalog()
    assert all(spec.types for spec in catalog.values())
    tagging = [c for c in catalog if c.framework == "Tagging"]
    # a tagging control's types are taggable pulumi-aws types (read from the installed SDK)
    assert all(set(catalog[c].types) <= taggable_types() for c in tagging)


def test_shipped_catalog_covers_every_control_the_policies_map():
    from obsgov_policies.catalog import load_all

    catalog = load_catalog()
    mapped = set()
    for spec in load_all().values():
        for control in getattr(spec, "controls", ()):
            parsed = parse_control(str(control))
            if parsed is not None:
                mapped.add(parsed)
    assert mapped, "the policies map controls"
    assert mapped <= set(catalog), sorted(mapped - set(catalog))
