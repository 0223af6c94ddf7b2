"""Issue 33, least privilege in what the program creates: the grants that named every key or
every source now name the one key, rule or resource that uses them.

Each case evaluates the synthesized prod document with the repo's IAM evaluator
(obsgov_policies.iam_evaluation): the flow the program sets up is allowed, its neighbour in the
same account is not. The deploy-readiness pack's flow rules judge the same documents over the
whole graph (scripts/deploy_readiness_findings.py).
"""

from __future__ import annotations

import json

import pytest

from obsgov.graph import GraphResource, ResourceGraph
from obsgov_policies.iam_evaluation import Decision, Principal, Request, evaluate

OBS = "100000000002"
MANAGEMENT = "100000000001"
MEMBER = "400000000001"  # ml-serving-prod
REGION = "eu-west-1"


@pytest.fixture
def prod(example_graph) -> ResourceGraph:
    return example_graph("prod", True)


def _role(graph: ResourceGraph, name: str, account: str) -> GraphResource:
    [role] = [
        r
        for r in graph.of_type("aws:iam/role:Role")
        if r.inputs.get("name") == name and r.account == account
    ]
    return role


def _assumes(role: GraphResource, service: str, account: str, source_arn: str) -> Decision:
    """``service`` assumes ``role`` on behalf of ``source_arn`` (a trust policy must allow the
    request itself)."""
    request = Request(
        Principal(account=account, service=service),
        "sts:AssumeRole",
        f"arn:aws:iam::{role.account}:role/{role.inputs['name']}",
        {"aws:SourceAccount": account, "aws:SourceArn": source_arn},
    )
    trust = json.loads(role.inputs["assumeRolePolicy"])
    return evaluate(request, None, [trust], role.account, resource_must_allow=True).decision


@pytest.mark.parametrize(
    ("role_name", "account", "rule_arn"),
    [
        (
            "obsgov-prod-audit-alarms-to-central-bus",
            MANAGEMENT,
            f"arn:aws:events:{REGION}:{MANAGEMENT}:rule/obsgov-prod-cis-alarms-to-central-bus",
        ),
        (
            "obsgov-prod-lifecycle-forwarding",
            MEMBER,
            f"arn:aws:events:{REGION}:{MEMBER}:rule/obsgov-prod-model-package-changes",
        ),
        (
            "obsgov-prod-model-lifecycle-archive-events",
            OBS,
            f"arn:aws:events:{REGION}:{OBS}:rule/obsgov-prod-alerts/"
            "obsgov-prod-model-lifecycle-archive-all",
        ),
    ],
)
def test_eventbridge_roles_trust_only_the_rules_they_serve(prod, role_name, account, rule_arn):
    """For a rule's target "the value of aws:SourceArn must be the rule ARN" (EventBridge user
    guide, "Cross-service confused deputy prevention in Amazon EventBridge",
    https://docs.aws.amazon.com/eventbridge/latest/userguide/cross-service-confused-deputy-prevention.html):
    another rule of the same account cannot borrow the role, as it could with
    aws:SourceAccount alone."""
    role = _role(prod, role_name, account)
    [rule] = [
        r
        for r in prod.of_type("aws:cloudwatch/eventRule:EventRule")
        if rule_arn.endswith("/" + r.inputs["name"]) and r.account == account
    ]
    assert _assumes(role, "events.amazonaws.com", account, rule_arn) is Decision.ALLOW
    other = f"arn:aws:events:{REGION}:{account}:rule/team-rule"
    assert _assumes(role, "events.amazonaws.com", account, other) is not Decision.ALLOW


def test_the_lifecycle_firehose_uses_only_the_archive_key(prod):
    """The archive's Firehose role named every key of every account for kms:Decrypt; it now
    names the archive key by its alias (KMS developer guide, "kms:ResourceAliases",
    https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-resource-aliases)
    in the observability account, through S3 only (Firehose developer guide, "Grant Firehose
    access to an Amazon S3 destination",
    https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3)."""
    [policy] = [
        p
        for p in prod.of_type("aws:iam/rolePolicy:RolePolicy")
        if "EncryptArchive" in str(p.inputs.get("policy"))
    ]
    document = json.loads(policy.inputs["policy"])
    [alias] = [
        a
        for a in prod.of_type("aws:kms/alias:Alias")
        if a.inputs["name"] == "alias/obsgov-prod-model-lifecycle"
    ]
    bucket = "arn:aws:s3:::obsgov-prod-model-lifecycle-archive-100000000002"
    role = f"arn:aws:iam::{OBS}:role/obsgov-prod-model-lifecycle-firehose"

    def uses(key_arn: str, aliases: list[str], action: str = "kms:Decrypt") -> Decision:
        request = Request(
            Principal(account=OBS, arn=role),
            action,
            key_arn,
            {
                "kms:ViaService": f"s3.{REGION}.amazonaws.com",
                "kms:EncryptionContext:aws:s3:arn": bucket,
                "kms:ResourceAliases": aliases,
            },
        )
        # the key policy delegates to the account's IAM (AccountAdministers)
        return evaluate(request, [document], None, OBS).decision

    key = f"arn:aws:kms:{REGION}:{OBS}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert uses(key, [alias.inputs["name"]]) is Decision.ALLOW
    assert uses(key, [alias.inputs["name"]], "kms:GenerateDataKey") is Decision.ALLOW
    assert uses(key, ["alias/obsgov-prod-metric-lake"]) is not Decision.ALLOW
    other_account = f"arn:aws:kms:{REGION}:{MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert uses(other_account, [alias.inputs["name"]]) is not Decision.ALLOW
    assert all(s["Resource"] != "*" for s in document["Statement"])


def test_the_archive_stream_waits_for_the_alias_its_role_names(prod):
    [stream] = [
        s
        for s in prod.of_type("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
        if s.inputs["name"] == "obsgov-prod-model-lifecycle-archive"
    ]
    [alias] = [
        a
        for a in prod.of_type("aws:kms/alias:Alias")
        if a.inputs["name"] == "alias/obsgov-prod-model-lifecycle"
    ]
    assert alias.urn in stream.dependencies
