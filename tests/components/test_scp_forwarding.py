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

from components.audit.guardrails import (
    SCP_MAX_CHARS,
    protect_baseline_policy,
    protect_central_policy,
)
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


# ------------------------------------------------------------------------ central accounts

OBSERVABILITY = "100000000002"
PLATFORM_ADMIN = f"arn:aws:iam::{OBSERVABILITY}:role/platform-admin"
CENTRAL_DEPLOYER = f"arn:aws:iam::{OBSERVABILITY}:role/ObsgovDeploymentRole"


def _central_scp(graph: ResourceGraph) -> str:
    [policy] = [
        r
        for r in graph.of_type("aws:organizations/policy:Policy")
        if r.inputs["name"] == "obsgov-central-protect-monitoring"
    ]
    return policy.inputs["content"]


def test_the_central_accounts_have_one_scp_for_every_environment(example_graph):
    """The organisation stack attaches one SCP to the observability and log-archive accounts
    (the management account is beyond SCPs: Organizations user guide, "Service control
    policies", https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html);
    the environments' stacks make none (dev, staging and prod would hold three of the five SCPs
    Organizations allows per target)."""
    org = example_graph("org", True)
    policy = _central_scp(org)
    assert len(policy) <= SCP_MAX_CHARS
    attachments = [
        r.inputs["targetId"]
        for r in org.of_type("aws:organizations/policyAttachment:PolicyAttachment")
    ]
    assert sorted(attachments) == ["100000000002", "100000000003"]
    for stack in ("dev", "staging", "prod"):
        names = {
            r.inputs["name"]
            for r in example_graph(stack, True).of_type("aws:organizations/policy:Policy")
        }
        assert "obsgov-central-protect-monitoring" not in names


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("events:RemovePermission", "arn:aws:events:eu-west-1:{a}:event-bus/obsgov-prod-alerts"),
        ("events:PutPermission", "arn:aws:events:eu-west-1:{a}:event-bus/obsgov-dev-alerts"),
        ("oam:PutSinkPolicy", "arn:aws:oam:eu-west-1:{a}:sink/1234abcd"),
        ("logs:PutDestinationPolicy", "arn:aws:logs:eu-west-1:{a}:destination:obsgov-prod-logs"),
        ("s3:PutBucketPolicy", "arn:aws:s3:::obsgov-prod-metric-lake-{a}"),
        ("s3:PutLifecycleConfiguration", "arn:aws:s3:::obsgov-staging-access-logs-{a}"),
        ("cloudwatch:DisableAlarmActions", "arn:aws:cloudwatch:eu-west-1:{a}:alarm:obsgov-prod-x"),
        ("sns:SetTopicAttributes", "arn:aws:sns:eu-west-1:{a}:obsgov-prod-critical"),
        ("events:DisableRule", "arn:aws:events:eu-west-1:{a}:rule/obsgov-prod-alerts/route-x"),
        ("iam:UpdateAssumeRolePolicy", "arn:aws:iam::{a}:role/ObsgovDeploymentRole"),
        ("cloudtrail:StopLogging", "arn:aws:cloudtrail:eu-west-1:{a}:trail/obsgov-prod-trail"),
    ],
)
def test_a_central_administrator_cannot_silence_the_receivers(example_graph, action, resource):
    """The receivers every member sends to (the bus and its policy, the sink and its policy,
    the log destination, the buckets), and the names and tag the members' SCP protects, for
    every environment; the deployment role still deploys them."""
    scp = _central_scp(example_graph("org", True))
    arn = resource.format(a=OBSERVABILITY)

    def blocked(who: str) -> bool:
        request = Request(
            Principal(account=OBSERVABILITY, arn=who), action, arn, {"aws:PrincipalArn": who}
        )
        decision = evaluate(request, [json.loads(scp)], None, OBSERVABILITY).decision
        return decision is Decision.EXPLICIT_DENY

    assert blocked(PLATFORM_ADMIN)
    assert not blocked(CENTRAL_DEPLOYER)


def test_central_teams_keep_their_own_resources(example_graph):
    scp = _central_scp(example_graph("org", True))
    for action, arn in (
        ("s3:PutBucketPolicy", "arn:aws:s3:::platform-team-reports"),
        ("events:PutPermission", "arn:aws:events:eu-west-1:100000000002:event-bus/team-bus"),
        ("cloudwatch:PutMetricAlarm", "arn:aws:cloudwatch:eu-west-1:100000000002:alarm:team-x"),
    ):
        request = Request(
            Principal(account=OBSERVABILITY, arn=PLATFORM_ADMIN),
            action,
            arn,
            {"aws:PrincipalArn": PLATFORM_ADMIN},
        )
        decision = evaluate(request, [json.loads(scp)], None, OBSERVABILITY).decision
        assert decision is not Decision.EXPLICIT_DENY, action


def test_the_central_scp_fits_with_the_longest_names_config_allows():
    assert len(protect_central_policy("R" * 64, deny_leave_organization=True)) <= SCP_MAX_CHARS


def test_no_target_holds_more_scps_than_organizations_allows(example_graph):
    """Five SCPs per root, OU or account, FullAWSAccess among them (Organizations user guide,
    "Quotas and service limits", "Maximum number of policies of a type attached to a root, OU,
    or account": https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html).
    Every stack together leaves room for FullAWSAccess and the Region-deny SCP onboarding
    attaches to each member account."""
    scps = {
        r.urn
        for s in ("dev", "staging", "prod", "org")
        for r in example_graph(s, True).of_type("aws:organizations/policy:Policy")
        if r.inputs["type"] == "SERVICE_CONTROL_POLICY"
    }
    per_target: dict[str, int] = {}
    for s in ("dev", "staging", "prod", "org"):
        for attachment in example_graph(s, True).of_type(
            "aws:organizations/policyAttachment:PolicyAttachment"
        ):
            if set(attachment.property_dependencies["policyId"]) & scps:
                target = attachment.inputs["targetId"]
                per_target[target] = per_target.get(target, 0) + 1
    assert per_target
    assert max(per_target.values()) <= 3, per_target
