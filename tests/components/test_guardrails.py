"""Organization guardrails from the management account: a tag policy generated from the one tag
schema, and an SCP that protects the monitoring, both attached to the environment's OUs."""

from __future__ import annotations

import json
import re

import pytest

from components.audit.guardrails import SCP_MAX_CHARS, TAG_POLICY_MAX_CHARS, tag_policy
from obsgov.config.models import TagSchema
from obsgov.graph import ResourceGraph

from ..support.caching import graph_scope
from .test_audit_support import (
    MANAGEMENT,
    PROD_SETTINGS,
    STACKS,
    by_sid,
    central_graph,
    lint,
    one,
)

PROD_OUS = ["ou-k7x2-prddata01", "ou-k7x2-prdml001"]
DEPLOY = {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ObsgovDeploymentRole"}}


@pytest.fixture(scope=graph_scope)
def prod() -> ResourceGraph:
    return central_graph("prod", PROD_SETTINGS)


@pytest.fixture(scope=graph_scope)
def schema(example_env_module) -> TagSchema:
    return example_env_module.org.tag_schema


@pytest.fixture(scope=graph_scope)
def example_env_module():
    from obsgov.config.loader import load_environment

    return load_environment("prod", STACKS / "Pulumi.prod.yaml")


def test_tag_policy_is_generated_from_the_tag_schema(prod, schema):
    policy = one(prod, "aws:organizations/policy:Policy", "guardrails-prod-tag-policy")
    assert policy.account == MANAGEMENT
    assert policy.inputs["type"] == "TAG_POLICY"
    content = json.loads(policy.inputs["content"])
    keys = [r.key for r in [*schema.required, *schema.ml_resources, *schema.pipelines]]
    assert sorted(content["tags"]) == sorted(k.lower() for k in keys)
    enforced = {"@@assign": ["sagemaker:endpoint", "s3:bucket"]}
    for key in keys:
        entry = content["tags"][key.lower()]
        assert entry["tag_key"] == {"@@assign": key}
        assert entry["enforced_for"] == enforced
    tags = content["tags"]
    # prod OUs hold prod resources only, whatever the schema allows elsewhere.
    assert tags["environment"]["tag_value"] == {"@@assign": ["prod"]}
    assert tags["data-classification"]["tag_value"] == {
        "@@assign": ["public", "internal", "confidential", "restricted"]
    }
    # Patterns become their literal prefix plus the one wildcard tag policies know.
    assert tags["cost-centre"]["tag_value"] == {"@@assign": ["CC-*"]}
    assert "tag_value" not in tags["owner"]
    assert "tag_value" not in tags["model-id"]
    assert len(policy.inputs["content"]) <= TAG_POLICY_MAX_CHARS


def test_wildcard_values_accept_every_value_the_schema_accepts(schema):
    """A tag policy must never reject what the schema (and so the tagging pack) accepts."""
    content = json.loads(tag_policy(schema, "prod", []))
    examples = {
        "cost-centre": ["CC-1000", "CC-9999"],
        "model-version": ["1", "2.3.4"],
        "pipeline": ["daily-features"],
        "owner": ["ml@example.com"],
    }
    for key, values in examples.items():
        rule = schema.rule(key)
        assert rule is not None
        assigned = content["tags"][key].get("tag_value", {"@@assign": ["*"]})["@@assign"]
        for value in values:
            assert rule.accepts(value)
            assert any(re.fullmatch(re.escape(a).replace(r"\*", ".*"), value) for a in assigned)


def test_tag_policy_and_scp_are_attached_to_the_environments_ous_only(prod):
    attachments = prod.of_type("aws:organizations/policyAttachment:PolicyAttachment")
    tag = one(prod, "aws:organizations/policy:Policy", "guardrails-prod-tag-policy")
    scp = one(prod, "aws:organizations/policy:Policy", "guardrails-prod-scp")
    for policy in (tag, scp):
        targets = sorted(
            a.inputs["targetId"]
            for a in attachments
            if a.property_dependencies["policyId"] == [policy.urn]
        )
        assert targets == PROD_OUS


def test_scp_denies_dismantling_monitoring_except_to_the_deployment_role(prod):
    scp = one(prod, "aws:organizations/policy:Policy", "guardrails-prod-scp")
    assert scp.inputs["type"] == "SERVICE_CONTROL_POLICY"
    assert len(scp.inputs["content"]) <= SCP_MAX_CHARS
    statements = by_sid(scp.inputs["content"])
    assert all(s["Effect"] == "Deny" for s in statements.values())
    assert all("Principal" not in s for s in statements.values())
    logs = [
        "logs:DeleteLogGroup",
        "logs:PutRetentionPolicy",
        "logs:DeleteRetentionPolicy",
        "logs:DisassociateKmsKey",
        "logs:PutSubscriptionFilter",
        "logs:DeleteSubscriptionFilter",
    ]
    alarms = [
        "cloudwatch:DeleteAlarms",
        "cloudwatch:DisableAlarmActions",
        "cloudwatch:PutMetricAlarm",
    ]
    topics = [
        "sns:DeleteTopic",
        "sns:SetTopicAttributes",
        "sns:RemovePermission",
        "sns:Unsubscribe",
    ]
    rules = [
        "events:DeleteRule",
        "events:DisableRule",
        "events:PutRule",
        "events:PutTargets",
        "events:RemoveTargets",
    ]
    keys = ["kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"]
    tagging = [
        f"{service}:{verb}Resource"
        for service in ("logs", "cloudwatch", "events", "sns", "kms", "oam")
        for verb in ("Tag", "Untag")
    ] + ["logs:TagLogGroup", "logs:UntagLogGroup"]
    managing = [
        "arn:aws:iam::*:role/ObsgovDeploymentRole",
        "arn:aws:iam::*:role/OrganizationAccountAccessRole",
    ]
    assert statements == {
        "ProtectTheDeploymentRole": {
            "Effect": "Deny",
            "Action": [
                "iam:AttachRolePolicy",
                "iam:DeleteRole",
                "iam:DeleteRolePermissionsBoundary",
                "iam:DeleteRolePolicy",
                "iam:DetachRolePolicy",
                "iam:PutRolePermissionsBoundary",
                "iam:PutRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:SetDefaultPolicyVersion",
            ],
            "Resource": [
                *managing,
                "arn:aws:iam::*:policy/obsgov-deployment-boundary",
                "arn:aws:iam::*:policy/obsgov-workload-boundary",
            ],
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": managing}},
        },
        "ProtectOamLinks": {
            "Effect": "Deny",
            "Action": ["oam:DeleteLink", "oam:UpdateLink"],
            "Resource": "*",
            "Condition": DEPLOY,
        },
        "ProtectOrganizationTrail": {
            "Effect": "Deny",
            "Action": [
                "cloudtrail:DeleteTrail",
                "cloudtrail:StopLogging",
                "cloudtrail:UpdateTrail",
                "cloudtrail:PutEventSelectors",
            ],
            "Resource": "arn:aws:cloudtrail:*:*:trail/obsgov-prod-organization-trail",
            "Condition": DEPLOY,
        },
        "ProtectBaselineByName": {
            "Effect": "Deny",
            "Action": [*logs, *alarms, *topics, *rules],
            "Resource": [
                "arn:aws:logs:*:*:log-group:/obsgov/*",
                "arn:aws:cloudwatch:*:*:alarm:obsgov-prod-*",
                "arn:aws:sns:*:*:obsgov-prod-*",
                "arn:aws:events:*:*:rule/obsgov-prod-*",
                "arn:aws:events:*:*:rule/*/obsgov-prod-*",
            ],
            "Condition": DEPLOY,
        },
        "ProtectBaselineByTag": {
            "Effect": "Deny",
            "Action": [*logs, *alarms, *topics, *keys, *rules],
            "Resource": "*",
            "Condition": {**DEPLOY, "StringEquals": {"aws:ResourceTag/managed-by": "obsgov"}},
        },
        "ProtectTheManagedByTag": {
            "Effect": "Deny",
            "Action": tagging,
            "Resource": "*",
            "Condition": {**DEPLOY, "ForAnyValue:StringEquals": {"aws:TagKeys": ["managed-by"]}},
        },
        "DenyLeavingTheOrganization": {
            "Effect": "Deny",
            "Action": "organizations:LeaveOrganization",
            "Resource": "*",
        },
    }


def test_scp_reaches_every_baseline_resource_by_name_or_tag(example_graph):
    """The member baseline's topics match the SCP's names; everything it creates (alarms whose
    names vary by workload, keys with random ids) carries the managed-by tag the SCP's tag
    statement matches, through the member providers' default tags."""
    scp = json.loads(
        one(
            central_graph("prod", PROD_SETTINGS),
            "aws:organizations/policy:Policy",
            "guardrails-prod-scp",
        ).inputs["content"]
    )
    by_name = next(s for s in scp["Statement"] if s["Sid"] == "ProtectBaselineByName")
    topic_pattern = next(r for r in by_name["Resource"] if r.startswith("arn:aws:sns:"))
    topic_re = re.escape(topic_pattern.split(":")[-1]).replace(r"\*", ".*")
    member = example_graph("prod", True)
    topics = [r.inputs["name"] for r in member.of_type("aws:sns/topic:Topic")]
    assert topics
    assert all(re.fullmatch(topic_re, t) for t in topics), topics
    protected = (
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:kms/key:Key",
        "aws:sns/topic:Topic",
        "aws:cloudwatch/logGroup:LogGroup",
    )
    resources = [r for r in member.custom_resources() if r.type in protected]
    assert resources
    for resource in resources:
        provider = member.provider_of(resource)
        tags = provider.inputs.get("defaultTags")
        tags = json.loads(tags) if isinstance(tags, str) else tags
        own = resource.inputs.get("tags") or {}
        assert own.get("managed-by", tags["tags"]["managed-by"]) == "obsgov", resource.name


def test_scp_lints_clean(prod):
    scp = one(prod, "aws:organizations/policy:Policy", "guardrails-prod-scp").inputs["content"]
    assert lint(scp) == []


def test_disabled_guardrails_create_nothing_and_a_delegated_admin_is_registered():
    graph = central_graph(
        "prod",
        {
            "tagPolicy": {"enabled": False},
            "serviceControlPolicy": {"enabled": False},
            "trail": {"adminAccountId": "100000000009"},
        },
    )
    assert graph.of_type("aws:organizations/policy:Policy") == []
    assert graph.of_type("aws:organizations/policyAttachment:PolicyAttachment") == []
    admin = graph.of_type(
        "aws:cloudtrail/organizationDelegatedAdminAccount:OrganizationDelegatedAdminAccount"
    )
    assert [(a.inputs["accountId"], a.account) for a in admin] == [("100000000009", MANAGEMENT)]


def test_only_model_approvers_approve_in_the_registry_account(example_graph):
    """The preventive half of the approval guard: an SCP on the registry account (prod's
    100000000002, outside the member OUs) denies CreateModelPackage and UpdateModelPackage
    that set ModelApprovalStatus Approved, or a lifecycle stage Approved, to every principal
    but the approvers, and prod's own stage to every principal but the guard.

    Condition keys: sagemaker:ModelApprovalStatus (Service Authorization Reference, "Actions,
    resources, and condition keys for Amazon SageMaker", on CreateModelPackage and
    UpdateModelPackage); sagemaker:ModelLifeCycle:stage and :stageStatus (SageMaker developer
    guide, "Set up Staging Construct Examples"); aws:PrincipalArn holds a role session's role
    ARN (IAM user guide, "AWS global condition context keys")."""
    prod = example_graph("prod", True)
    policy = one(prod, "aws:organizations/policy:Policy", "guardrails-prod-model-approval-scp")
    assert policy.inputs["type"] == "SERVICE_CONTROL_POLICY"
    assert policy.account == MANAGEMENT
    assert len(policy.inputs["content"]) <= SCP_MAX_CHARS
    [attachment] = [
        a
        for a in prod.of_type("aws:organizations/policyAttachment:PolicyAttachment")
        if a.property_dependencies["policyId"] == [policy.urn]
    ]
    assert attachment.inputs["targetId"] == "100000000002"
    writes = ["sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"]
    approvers = [
        "arn:aws:iam::100000000002:role/MLApprovers",
        "arn:aws:iam::100000000002:role/*/MLApprovers",
    ]
    guard = "arn:aws:iam::100000000002:role/obsgov-prod-model-guard"
    assert by_sid(policy.inputs["content"]) == {
        "OnlyApproversApproveModelPackages": {
            "Effect": "Deny",
            "Action": writes,
            "Resource": "*",
            "Condition": {
                "StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"},
                "ArnNotLike": {"aws:PrincipalArn": approvers},
            },
        },
        "OnlyApproversApproveLifecycleStages": {
            "Effect": "Deny",
            "Action": writes,
            "Resource": "*",
            "Condition": {
                "StringEquals": {"sagemaker:ModelLifeCycle:stageStatus": "Approved"},
                "ArnNotLike": {"aws:PrincipalArn": [*approvers, guard]},
            },
        },
        "OnlyTheGuardRecordsItsStage": {
            "Effect": "Deny",
            "Action": writes,
            "Resource": "*",
            "Condition": {
                "StringEquals": {"sagemaker:ModelLifeCycle:stage": "prod"},
                "ArnNotLike": {"aws:PrincipalArn": guard},
            },
        },
    }
    # parliament's IAM definitions predate the lifecycle keys SageMaker documents
    assert {f[0] for f in lint(policy.inputs["content"])} <= {"UNKNOWN_CONDITION_FOR_ACTION"}


def test_the_guard_role_the_scp_exempts_is_the_one_the_guard_runs_as(example_graph):
    from components.lifecycle.model_approval_guard import guard_role_arn

    graph = example_graph("prod", True)
    [role] = [r for r in graph.of_type("aws:iam/role:Role") if r.name == "model-guard-prod-fn-role"]
    assert guard_role_arn("prod", "100000000002").endswith(f":role/{role.inputs['name']}")
    assert role.account == "100000000002"


def test_approver_sessions_become_their_roles_for_the_scp():
    from components.audit.guardrails import principal_arns

    assert principal_arns(
        [
            "arn:aws:sts::100000000002:assumed-role/MLApprovers/*",
            "arn:aws:sts::100000000002:assumed-role/MLApprovers/alice",
            "arn:aws:iam::100000000002:user/bob",
        ]
    ) == [
        "arn:aws:iam::100000000002:role/MLApprovers",
        "arn:aws:iam::100000000002:role/*/MLApprovers",
        "arn:aws:iam::100000000002:user/bob",
    ]
