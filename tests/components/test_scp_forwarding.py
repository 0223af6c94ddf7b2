"""The SCP keeps member accounts from dismantling the forwarding plumbing, and leaves workload
teams their own log groups and alarms.

An SCP only denies (the OUs keep FullAWSAccess), so each case evaluates the synthesized
document for a principal of a member account: an explicit deny means the SCP blocks the call.
Organizations caps an SCP document at 5,120 characters (Organizations user guide, "Quotas and
service limits": https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html);
SCPs deny by condition keys as IAM does (aws:PrincipalArn, aws:ResourceTag, aws:TagKeys:
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html).
"""

from __future__ import annotations

import json

import pytest

from components.audit.guardrails import SCP_MAX_CHARS, protect_baseline_policy
from obsgov.graph import ResourceGraph
from obsgov_policies.iam_evaluation import Decision, Principal, Request, evaluate

from .conftest import members

MEMBER = "400000000001"  # ml-serving-prod, in one of prod's OUs
TEAM_ROLE = f"arn:aws:iam::{MEMBER}:role/ml-serving-engineer"
DEPLOYER = f"arn:aws:iam::{MEMBER}:role/ObsgovDeploymentRole"
OBSGOV_TAG = {"aws:ResourceTag/managed-by": "obsgov"}


def _scp(graph: ResourceGraph, environment: str) -> str:
    [policy] = [
        r
        for r in graph.of_type("aws:organizations/policy:Policy")
        if r.name == f"guardrails-{environment}-scp"
    ]
    return policy.inputs["content"]


def _blocked(scp: str, action: str, resource: str, context=None, who: str = TEAM_ROLE) -> bool:
    request = Request(
        Principal(account=MEMBER, arn=who),
        action,
        resource,
        {"aws:PrincipalArn": who, **(context or {})},
    )
    return evaluate(request, [json.loads(scp)], None, MEMBER).decision is Decision.EXPLICIT_DENY


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_synthesized_scp_fits_organizations_limit(example_graph, stack):
    assert len(_scp(example_graph(stack, True), stack)) <= SCP_MAX_CHARS


def test_the_scp_fits_with_the_longest_names_config_allows():
    """Trail names reach 128 characters and IAM role names 64: the document still fits."""
    document = protect_baseline_policy(
        "staging", "R" * 64, "t" * 128, ["/obsgov/"], deny_leave_organization=True
    )
    assert len(document) <= SCP_MAX_CHARS


def test_the_forwarding_plumbing_is_protected(example_graph):
    prod = example_graph("prod", True)
    scp = _scp(prod, "prod")
    rules = [r for r in members(prod, "aws:cloudwatch/eventRule:EventRule")]
    assert rules
    for rule in rules:
        arn = f"arn:aws:events:eu-west-1:{MEMBER}:rule/{rule.inputs['name']}"
        for action in ("events:DeleteRule", "events:DisableRule", "events:RemoveTargets"):
            assert _blocked(scp, action, arn), (action, arn)
    filters = members(prod, "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")
    assert filters
    for subscription in filters:
        group = f"arn:aws:logs:eu-west-1:{MEMBER}:log-group:{subscription.inputs['logGroup']}"
        for action in (
            "logs:DeleteSubscriptionFilter",
            "logs:PutSubscriptionFilter",
            "logs:PutRetentionPolicy",
            "logs:DeleteLogGroup",
        ):
            # the workload log groups obsgov manages carry its managed-by tag
            assert _blocked(scp, action, group, OBSGOV_TAG), (action, group)
    link = f"arn:aws:oam:eu-west-1:{MEMBER}:link/abc"
    assert _blocked(scp, "oam:DeleteLink", link)
    trail = "arn:aws:cloudtrail:eu-west-1:100000000001:trail/obsgov-prod-organization-trail"
    assert _blocked(scp, "cloudtrail:StopLogging", trail)
    # stripping the tag would lift the protection
    assert _blocked(scp, "logs:UntagResource", group, {**OBSGOV_TAG, "aws:TagKeys": ["managed-by"]})
    assert _blocked(scp, "organizations:LeaveOrganization", "*")


def test_the_deployment_role_may_change_the_plumbing(example_graph):
    scp = _scp(example_graph("prod", True), "prod")
    rule = f"arn:aws:events:eu-west-1:{MEMBER}:rule/obsgov-prod-alarm-forwarding"
    assert not _blocked(scp, "events:PutTargets", rule, who=DEPLOYER)
    group = f"arn:aws:logs:eu-west-1:{MEMBER}:log-group:/aws/lambda/x"
    assert not _blocked(scp, "logs:PutSubscriptionFilter", group, OBSGOV_TAG, who=DEPLOYER)


def test_teams_keep_their_own_log_groups_alarms_and_rules(example_graph):
    """Nothing obsgov did not create is named or tagged as obsgov's: a team's alarm named like
    its environment (prod-...) is the team's to change."""
    scp = _scp(example_graph("prod", True), "prod")
    own_group = f"arn:aws:logs:eu-west-1:{MEMBER}:log-group:/aws/lambda/team-batch"
    for action in ("logs:PutRetentionPolicy", "logs:PutSubscriptionFilter", "logs:DeleteLogGroup"):
        assert not _blocked(scp, action, own_group, {"aws:ResourceTag/team": "ml"}), action
    own_alarm = f"arn:aws:cloudwatch:eu-west-1:{MEMBER}:alarm:prod-team-batch-latency"
    for action in ("cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm"):
        assert not _blocked(scp, action, own_alarm), action
    own_rule = f"arn:aws:events:eu-west-1:{MEMBER}:rule/team-nightly"
    assert not _blocked(scp, "events:PutRule", own_rule)
    assert not _blocked(scp, "logs:TagResource", own_group, {"aws:TagKeys": ["team"]})


def test_leaving_the_organization_is_denied_only_when_config_asks():
    assert "LeaveOrganization" not in protect_baseline_policy("dev", "R", "t", ["/obsgov/"])
    assert "LeaveOrganization" in protect_baseline_policy(
        "dev", "R", "t", ["/obsgov/"], deny_leave_organization=True
    )


ACCESS_ROLE = f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole"


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("iam:UpdateAssumeRolePolicy", DEPLOYER),
        ("iam:PutRolePolicy", DEPLOYER),
        ("iam:AttachRolePolicy", DEPLOYER),
        ("iam:DetachRolePolicy", DEPLOYER),
        ("iam:DeleteRolePermissionsBoundary", DEPLOYER),
        ("iam:DeleteRole", DEPLOYER),
        ("iam:UpdateAssumeRolePolicy", ACCESS_ROLE),
        ("iam:CreatePolicyVersion", f"arn:aws:iam::{MEMBER}:policy/obsgov-deployment-boundary"),
        ("iam:SetDefaultPolicyVersion", f"arn:aws:iam::{MEMBER}:policy/obsgov-workload-boundary"),
    ],
)
def test_an_account_administrator_cannot_take_over_the_exempt_deployment_role(
    example_graph, action, resource
):
    """The SCP exempts the deployment role, so the role itself (its trust, policies and
    boundaries, and the management access role onboarding manages it through) is protected
    too: otherwise a member administrator makes it trust them and passes every deny. AWS
    Control Tower protects its execution role the same way (Control Tower user guide,
    "Mandatory controls", https://docs.aws.amazon.com/controltower/latest/controlreference/mandatory-controls.html);
    the IAM actions and their role/policy resources: Service Authorization Reference,
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html."""
    scp = _scp(example_graph("prod", True), "prod")
    assert _blocked(scp, action, resource)
    # the management path (onboarding through the access role) still manages it
    assert not _blocked(scp, action, resource, who=ACCESS_ROLE)


def test_teams_keep_their_own_roles(example_graph):
    scp = _scp(example_graph("prod", True), "prod")
    own = f"arn:aws:iam::{MEMBER}:role/ml-serving-engineer"
    for action in ("iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRole"):
        assert not _blocked(scp, action, own), action


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        # PutMetricAlarm can turn an alarm's actions off (ActionsEnabled false)
        ("cloudwatch:PutMetricAlarm", "alarm:obsgov-prod-cis-root-usage", {}),
        ("cloudwatch:DisableAlarmActions", "alarm:ml-serving-prod-fraud-latency", OBSGOV_TAG),
        ("logs:PutRetentionPolicy", "log-group:/obsgov/prod/x", {}),
        ("logs:DeleteSubscriptionFilter", "log-group:/aws/lambda/fraud", OBSGOV_TAG),
        ("events:DisableRule", "rule/obsgov-prod-alarm-forwarding", {}),
        ("events:RemoveTargets", "rule/obsgov-prod-alarm-forwarding", {}),
        ("kms:PutKeyPolicy", "key/1234abcd-12ab-34cd-56ef-1234567890ab", OBSGOV_TAG),
        (
            "cloudwatch:UntagResource",
            "alarm:ml-serving-prod-fraud-latency",
            {**OBSGOV_TAG, "aws:TagKeys": ["managed-by"]},
        ),
    ],
)
def test_the_calls_that_silence_monitoring_are_denied(example_graph, action, resource, context):
    """Issue 33's list, each call on an obsgov resource (by name or by its managed-by tag)."""
    service = action.split(":")[0]
    arn = f"arn:aws:{service}:eu-west-1:{MEMBER}:{resource}"
    scp = _scp(example_graph("prod", True), "prod")
    assert _blocked(scp, action, arn, context)
    assert not _blocked(scp, action, arn, context, who=DEPLOYER)
