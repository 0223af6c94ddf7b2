"""Organization guardrails for one environment's OUs, from the management account.

The tag policy is generated from the tag schema in ``organization.yaml``, the same schema the
providers' default tags and the tagging policy pack read: one schema, three places. The service
control policy keeps member accounts (except through the deployment role) from dismantling what
obsgov builds: OAM links, the organization trail, the forwarding rules and their targets, the
baseline's log groups (retention, subscription filters), alarms, topics and keys; optionally it
keeps them in the organization. A Region-deny SCP is not made here: ``obsgov org prepare``
attaches one from ``accountFactory.allowedRegions``, and two copies would disagree. A second SCP, attached to the model registry account, lets only the environment's model
approvers set a package Approved (the preventive half of the approval guard).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from obsgov.accounts.deployment_policy import DEPLOYMENT_BOUNDARY_NAME, WORKLOAD_BOUNDARY_NAME
from obsgov.config.models import TagRule, TagSchema

from ..shared.iam_documents import document, statement

# Organizations' size limits on policy documents (quotas page): SCPs 5,120 characters, tag
# policies 10,000.
SCP_MAX_CHARS = 5_120
TAG_POLICY_MAX_CHARS = 10_000
_REGEX_META = set(".^$*+?{}[]\\|()")


def _literal_prefix(pattern: str) -> str:
    """The characters a regular expression's matches must start with, up to its first
    metacharacter ('' when it has none up front)."""
    out: list[str] = []
    for char in pattern:
        if char in _REGEX_META:
            # A quantifier makes the previous character optional or repeated: drop it.
            if char in "*?{" and out:
                out.pop()
            break
        out.append(char)
    return "".join(out)


def tag_values(rule: TagRule, environment: str) -> list[str] | None:
    """What a tag policy can say about a rule's values. Tag policies know exact values and a
    trailing ``*`` wildcard, not regular expressions: a pattern becomes its literal prefix plus
    ``*`` (or no constraint), and the pack keeps checking the full pattern."""
    if rule.key == "environment" and rule.allowed_values is not None:
        # An environment's OUs hold only that environment's resources.
        return [environment] if environment in rule.allowed_values else list(rule.allowed_values)
    if rule.allowed_values is not None:
        return list(rule.allowed_values)
    if rule.pattern is not None:
        prefix = _literal_prefix(rule.pattern)
        return [f"{prefix}*"] if prefix else None
    return None


def tag_policy(schema: TagSchema, environment: str, enforced_for: Sequence[str]) -> str:
    tags: dict[str, Any] = {}
    for rule in [*schema.required, *schema.ml_resources, *schema.pipelines]:
        entry: dict[str, Any] = {"tag_key": {"@@assign": rule.key}}
        values = tag_values(rule, environment)
        if values is not None:
            entry["tag_value"] = {"@@assign": values}
        if enforced_for:
            entry["enforced_for"] = {"@@assign": list(enforced_for)}
        # The policy key must equal tag_key ignoring case; lower case is the convention.
        tags[rule.key.lower()] = entry
    return json.dumps({"tags": tags}, sort_keys=True)


def deployment_role_pattern(role_name: str) -> str:
    return f"arn:aws:iam::*:role/{role_name}"


# The role the management account reaches member accounts through: `obsgov accounts onboard`
# creates and updates the deployment role with it (obsgov.accounts.onboard_run).
MANAGEMENT_ACCESS_ROLE = "OrganizationAccountAccessRole"
# What would let an account's administrator take over the deployment role (or the access role
# that manages it) and so pass every deny below: its trust, its policies, its boundary, and the
# managed boundaries onboarding attaches. Reads stay allowed.
ROLE_ACTIONS = (
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
)
MANAGED_POLICY_ACTIONS = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
)


# What would silence the monitoring, by resource. Writing logs and reading anything stays
# allowed; teams' own log groups, alarms and rules (not named or tagged obsgov's) are untouched.
LOG_GROUP_ACTIONS = (
    "logs:DeleteLogGroup",
    "logs:PutRetentionPolicy",
    "logs:DeleteRetentionPolicy",
    "logs:DisassociateKmsKey",
    # the forwarding to the central log destination (a log group holds two filters)
    "logs:PutSubscriptionFilter",
    "logs:DeleteSubscriptionFilter",
)
ALARM_ACTIONS = (
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DisableAlarmActions",
    "cloudwatch:PutMetricAlarm",
)
TOPIC_ACTIONS = (
    "sns:DeleteTopic",
    "sns:SetTopicAttributes",
    "sns:RemovePermission",
    "sns:Unsubscribe",
)
KEY_ACTIONS = ("kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy")
# The rules that forward alarm state changes and lifecycle events to the central bus.
RULE_ACTIONS = (
    "events:DeleteRule",
    "events:DisableRule",
    "events:PutRule",
    "events:PutTargets",
    "events:RemoveTargets",
)
# Who may set or remove the managed-by tag: removing it would lift the tag statement's
# protection, so only the deployment role touches it.
TAGGING_ACTIONS = tuple(
    f"{service}:{verb}Resource"
    for service in ("logs", "cloudwatch", "events", "sns", "kms", "oam")
    for verb in ("Tag", "Untag")
) + ("logs:TagLogGroup", "logs:UntagLogGroup")


def protect_baseline_policy(  # noqa: PLR0913 - the SCP's names, each from config
    environment: str,
    deployment_role_name: str,
    trail_name: str,
    log_group_prefixes: Sequence[str],
    managed_by_tag: tuple[str, str] = ("managed-by", "obsgov"),
    deny_leave_organization: bool = False,
    access_role_name: str = MANAGEMENT_ACCESS_ROLE,
) -> str:
    """The environment's SCP document (:func:`protect_baseline_statements`)."""
    return document(
        *protect_baseline_statements(
            environment,
            deployment_role_name,
            trail_name,
            log_group_prefixes,
            managed_by_tag,
            deny_leave_organization,
            access_role_name,
        )
    )


def protect_baseline_statements(  # noqa: PLR0913 - the SCP's names, each from config
    environment: str,
    deployment_role_name: str,
    trail_name: str,
    log_group_prefixes: Sequence[str],
    managed_by_tag: tuple[str, str] = ("managed-by", "obsgov"),
    deny_leave_organization: bool = False,
    access_role_name: str = MANAGEMENT_ACCESS_ROLE,
) -> list[dict[str, Any]]:
    """Deny, to everyone but the deployment role, the calls that would silence monitoring or
    its forwarding: OAM links, the organization trail, the forwarding rules and their targets,
    the log groups' retention and subscription filters, alarms, topics and keys.

    The baseline's resources are matched twice: by the names obsgov gives them, and by the
    ``managed-by`` tag every obsgov provider stamps on what it creates (key ids are random and
    member alarms and workload log groups are named after workloads, so the tag is what reaches
    them without reaching a team's own alarms and log groups). Denies add up, so a resource
    either statement matches is protected; the tag itself is protected too. With
    ``deny_leave_organization`` no one in the OUs may take an account out of the organization
    (and so out of the trail and the guardrails).

    The exemption is only as strong as the deployment role: its trust, policies and boundaries
    (and those of the management account's access role, which onboarding manages it through)
    are changed only by those two roles, or an account administrator could make the role
    trust them and pass every deny (the pattern of AWS Control Tower's guardrail that protects
    its AWSControlTowerExecution role)."""
    exempt = {"ArnNotLike": {"aws:PrincipalArn": deployment_role_pattern(deployment_role_name)}}
    prefix = f"obsgov-{environment}-"
    key, value = managed_by_tag
    managing_roles = [
        deployment_role_pattern(deployment_role_name),
        deployment_role_pattern(access_role_name),
    ]
    statements = [
        statement(
            "ProtectTheDeploymentRole",
            [*ROLE_ACTIONS, *MANAGED_POLICY_ACTIONS],
            [
                *managing_roles,
                f"arn:aws:iam::*:policy/{DEPLOYMENT_BOUNDARY_NAME}",
                f"arn:aws:iam::*:policy/{WORKLOAD_BOUNDARY_NAME}",
            ],
            effect="Deny",
            condition={"ArnNotLike": {"aws:PrincipalArn": managing_roles}},
        ),
        statement(
            "ProtectOamLinks",
            ["oam:DeleteLink", "oam:UpdateLink"],
            "*",
            effect="Deny",
            condition=exempt,
        ),
        statement(
            "ProtectOrganizationTrail",
            [
                "cloudtrail:DeleteTrail",
                "cloudtrail:StopLogging",
                "cloudtrail:UpdateTrail",
                "cloudtrail:PutEventSelectors",
            ],
            f"arn:aws:cloudtrail:*:*:trail/{trail_name}",
            effect="Deny",
            condition=exempt,
        ),
        statement(
            "ProtectBaselineByName",
            [*LOG_GROUP_ACTIONS, *ALARM_ACTIONS, *TOPIC_ACTIONS, *RULE_ACTIONS],
            [
                *(f"arn:aws:logs:*:*:log-group:{p}*" for p in log_group_prefixes),
                f"arn:aws:cloudwatch:*:*:alarm:{prefix}*",
                f"arn:aws:sns:*:*:{prefix}*",
                # rules on the default bus, and on a named bus
                f"arn:aws:events:*:*:rule/{prefix}*",
                f"arn:aws:events:*:*:rule/*/{prefix}*",
            ],
            effect="Deny",
            condition=exempt,
        ),
        statement(
            "ProtectBaselineByTag",
            [*LOG_GROUP_ACTIONS, *ALARM_ACTIONS, *TOPIC_ACTIONS, *KEY_ACTIONS, *RULE_ACTIONS],
            "*",
            effect="Deny",
            condition={**exempt, "StringEquals": {f"aws:ResourceTag/{key}": value}},
        ),
        statement(
            "ProtectTheManagedByTag",
            list(TAGGING_ACTIONS),
            "*",
            effect="Deny",
            condition={**exempt, "ForAnyValue:StringEquals": {"aws:TagKeys": [key]}},
        ),
    ]
    if deny_leave_organization:
        statements.append(
            statement(
                "DenyLeavingTheOrganization",
                "organizations:LeaveOrganization",
                "*",
                effect="Deny",
            )
        )
    return statements


# The receivers every environment's members send to, in the central accounts: the OAM sink and
# its policy, the bus's policy, the log destination and its policy, and the buckets obsgov makes
# there (their policies, logging, lifecycle and encryption).
CENTRAL_RECEIVER_ACTIONS = (
    "oam:DeleteSink",
    "oam:PutSinkPolicy",
    "events:DeleteEventBus",
    "events:PutPermission",
    "events:RemovePermission",
    "logs:DeleteDestination",
    "logs:PutDestination",
    "logs:PutDestinationPolicy",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketLogging",
    "s3:PutBucketPolicy",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
)
CENTRAL_SCP_NAME = "obsgov-central-protect-monitoring"


def protect_central_policy(
    deployment_role_name: str,
    log_group_prefixes: Sequence[str] = ("/obsgov/",),
    managed_by_tag: tuple[str, str] = ("managed-by", "obsgov"),
    deny_leave_organization: bool = False,
    access_role_name: str = MANAGEMENT_ACCESS_ROLE,
) -> str:
    """The SCP of the central accounts (observability, log archive, a delegated trail
    administrator, a model registry), shared by every environment: the members' denies for
    every environment's names (``obsgov-*``, the trail ``obsgov-*``) and the managed-by tag,
    and the receivers the members send to. One document for all environments keeps each
    central account at one obsgov SCP of the five Organizations allows per target."""
    key, value = managed_by_tag
    exempt = {"ArnNotLike": {"aws:PrincipalArn": deployment_role_pattern(deployment_role_name)}}
    receivers = statement(
        "ProtectTheCentralReceivers",
        list(CENTRAL_RECEIVER_ACTIONS),
        [
            "arn:aws:oam:*:*:sink/*",
            "arn:aws:events:*:*:event-bus/obsgov-*",
            "arn:aws:logs:*:*:destination:obsgov-*",
            "arn:aws:s3:::obsgov-*",
        ],
        effect="Deny",
        condition=exempt,
    )
    return document(
        *protect_baseline_statements(
            "*",
            deployment_role_name,
            "obsgov-*",
            log_group_prefixes,
            (key, value),
            deny_leave_organization,
            access_role_name,
        ),
        receivers,
    )


@dataclass
class CentralGuardrailsArgs:
    # the central accounts that hold obsgov's resources (never the management account: SCPs
    # do not apply to it)
    account_ids: Sequence[str]
    deployment_role_name: str
    deny_leave_organization: bool = False
    managed_by_tag: tuple[str, str] = field(default=("managed-by", "obsgov"))


class CentralGuardrails(pulumi.ComponentResource):
    """The central accounts' SCP, attached to each of them (made once per organisation: by the
    organisation stack, or by an environment's stack in the single-stack mode)."""

    service_control_policy: aws.organizations.Policy

    def __init__(
        self,
        name: str,
        args: CentralGuardrailsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("obsgov:guardrails:CentralGuardrails", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.service_control_policy = aws.organizations.Policy(
            f"{name}-scp",
            name=CENTRAL_SCP_NAME,
            type="SERVICE_CONTROL_POLICY",
            description="Keeps the central accounts from disabling obsgov's monitoring",
            content=protect_central_policy(
                args.deployment_role_name,
                managed_by_tag=args.managed_by_tag,
                deny_leave_organization=args.deny_leave_organization,
            ),
            opts=child,
        )
        for account in sorted(set(args.account_ids)):
            aws.organizations.PolicyAttachment(
                f"{name}-scp-{account}",
                policy_id=self.service_control_policy.id,
                target_id=account,
                opts=child,
            )
        self.register_outputs({"serviceControlPolicyId": self.service_control_policy.id})


MODEL_PACKAGE_WRITES = ("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage")
_SESSION = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/.+$")


def principal_arns(approvers: Sequence[str]) -> list[str]:
    """``aws:PrincipalArn`` values for ``allowedApprovers`` entries. For a role session the key
    holds the role's ARN, not the session's (IAM user guide, "AWS global condition context
    keys", aws:PrincipalArn), and a session ARN drops the role's path: a session entry becomes
    its role with and without a path. Which sessions of the role may approve is checked by the
    guard only (detective)."""
    out: list[str] = []
    for approver in approvers:
        session = _SESSION.match(approver)
        if session is None:
            found = [approver]
        else:
            partition, account, role = session.groups()
            found = [
                f"arn:{partition}:iam::{account}:role/{role}",
                f"arn:{partition}:iam::{account}:role/*/{role}",
            ]
        out += [a for a in found if a not in out]
    return out


def model_approval_policy(
    approvers: Sequence[str], guard_role_arn: str, guarded_stage: str | None
) -> str:
    """Deny, in the model registry account, the writes only approvers (and the approval guard)
    may make: ``ModelApprovalStatus`` Approved on CreateModelPackage or UpdateModelPackage, a
    model lifecycle stage status Approved, and the guarded environment's stage, which is the
    guard's record. Condition keys: sagemaker:ModelApprovalStatus (Service Authorization
    Reference, "Actions, resources, and condition keys for Amazon SageMaker") and
    sagemaker:ModelLifeCycle:stage / :stageStatus (SageMaker developer guide, "Set up Staging
    Construct Examples")."""
    people = principal_arns(approvers)
    statements = [
        statement(
            "OnlyApproversApproveModelPackages",
            list(MODEL_PACKAGE_WRITES),
            "*",
            effect="Deny",
            condition={
                "StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"},
                "ArnNotLike": {"aws:PrincipalArn": people},
            },
        ),
        statement(
            "OnlyApproversApproveLifecycleStages",
            list(MODEL_PACKAGE_WRITES),
            "*",
            effect="Deny",
            condition={
                "StringEquals": {"sagemaker:ModelLifeCycle:stageStatus": "Approved"},
                "ArnNotLike": {"aws:PrincipalArn": [*people, guard_role_arn]},
            },
        ),
    ]
    if guarded_stage:
        statements.append(
            statement(
                "OnlyTheGuardRecordsItsStage",
                list(MODEL_PACKAGE_WRITES),
                "*",
                effect="Deny",
                condition={
                    "StringEquals": {"sagemaker:ModelLifeCycle:stage": guarded_stage},
                    "ArnNotLike": {"aws:PrincipalArn": guard_role_arn},
                },
            )
        )
    return document(*statements)


@dataclass
class ModelApprovalGuardrail:
    """Who may approve in the environment's model registry account (an SCP attached to that
    account: SCPs do not reach the management account)."""

    registry_account_id: str
    approvers: Sequence[str]
    guard_role_arn: str
    guarded_stage: str | None = None


@dataclass
class GuardrailsArgs:
    environment: str
    organizational_unit_ids: Sequence[str]
    tag_schema: TagSchema
    deployment_role_name: str
    trail_name: str
    enforced_for: Sequence[str] = ()
    log_group_prefixes: Sequence[str] = ("/obsgov/",)
    tag_policy_enabled: bool = True
    service_control_policy_enabled: bool = True
    deny_leave_organization: bool = False
    # Registers CloudTrail's delegated administrator (an organization-wide, one-time setting:
    # set it in one stack only).
    cloudtrail_admin_account_id: str | None = None
    managed_by_tag: tuple[str, str] = field(default=("managed-by", "obsgov"))
    model_approval: ModelApprovalGuardrail | None = None


class Guardrails(pulumi.ComponentResource):
    """Tag policy and SCP attached to the environment's OUs."""

    tag_policy: aws.organizations.Policy | None
    service_control_policy: aws.organizations.Policy | None
    model_approval_policy: aws.organizations.Policy | None

    def __init__(
        self,
        name: str,
        args: GuardrailsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("obsgov:guardrails:Guardrails", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        env = args.environment
        ous = sorted(set(args.organizational_unit_ids))

        self.tag_policy = None
        if args.tag_policy_enabled:
            self.tag_policy = aws.organizations.Policy(
                f"{name}-tag-policy",
                name=f"obsgov-{env}-tags",
                type="TAG_POLICY",
                description=f"obsgov tag schema for the {env} OUs (from organization.yaml)",
                content=tag_policy(args.tag_schema, env, args.enforced_for),
                opts=child,
            )
            for ou in ous:
                aws.organizations.PolicyAttachment(
                    f"{name}-tag-policy-{ou}",
                    policy_id=self.tag_policy.id,
                    target_id=ou,
                    opts=child,
                )
        self.service_control_policy = None
        if args.service_control_policy_enabled:
            self.service_control_policy = aws.organizations.Policy(
                f"{name}-scp",
                name=f"obsgov-{env}-protect-monitoring",
                type="SERVICE_CONTROL_POLICY",
                description=f"Keeps {env} accounts from disabling obsgov's monitoring",
                content=protect_baseline_policy(
                    env,
                    args.deployment_role_name,
                    args.trail_name,
                    args.log_group_prefixes,
                    args.managed_by_tag,
                    args.deny_leave_organization,
                ),
                opts=child,
            )
            for ou in ous:
                aws.organizations.PolicyAttachment(
                    f"{name}-scp-{ou}",
                    policy_id=self.service_control_policy.id,
                    target_id=ou,
                    opts=child,
                )
        self.model_approval_policy = None
        if args.service_control_policy_enabled and args.model_approval is not None:
            approval = args.model_approval
            self.model_approval_policy = aws.organizations.Policy(
                f"{name}-model-approval-scp",
                name=f"obsgov-{env}-model-approval",
                type="SERVICE_CONTROL_POLICY",
                description=f"Only {env}'s model approvers approve in its registry account",
                content=model_approval_policy(
                    approval.approvers, approval.guard_role_arn, approval.guarded_stage
                ),
                opts=child,
            )
            aws.organizations.PolicyAttachment(
                f"{name}-model-approval-scp-{approval.registry_account_id}",
                policy_id=self.model_approval_policy.id,
                target_id=approval.registry_account_id,
                opts=child,
            )
        if args.cloudtrail_admin_account_id:
            aws.cloudtrail.OrganizationDelegatedAdminAccount(
                f"{name}-cloudtrail-admin",
                account_id=args.cloudtrail_admin_account_id,
                opts=child,
            )
        self.register_outputs(
            {
                "tagPolicyId": self.tag_policy.id if self.tag_policy else None,
                "serviceControlPolicyId": (
                    self.service_control_policy.id if self.service_control_policy else None
                ),
                "organizationalUnitIds": ous,
            }
        )
