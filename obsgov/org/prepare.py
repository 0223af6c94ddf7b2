"""What the organization must have before ``pulumi up``, derived from the environment's config.

Each requirement names what in the config needs it and the AWS documentation that says so:

* trusted access (``EnableAWSServiceAccess``):
  ``cloudtrail.amazonaws.com`` for the organization trail (CloudTrail User Guide, "Creating a
  trail for an organization": trusted access must be enabled);
  ``account.amazonaws.com`` for alternate contacts set from the management account (AWS
  Account Management Reference Guide, "Enabling trusted access for AWS Account Management");
  ``sso.amazonaws.com`` for Identity Center assignments (IAM Identity Center User Guide,
  "Prerequisites"). obsgov uses no StackSets, so ``member.org.stacksets...`` is not asked for;
* policy types enabled on the root (``EnablePolicyType``): ``SERVICE_CONTROL_POLICY`` for the
  protect-monitoring SCP and the Region-deny SCP, ``TAG_POLICY`` for the tag policy
  (Organizations User Guide, "Enabling a policy type");
* service-linked roles: ``opensearchservice.amazonaws.com`` in the observability account for
  a domain in a VPC (OpenSearch Service Developer Guide, "Using service-linked roles to
  provide Amazon OpenSearch Service access": created by the console, not by the API or IaC);
* the Region-deny SCP, when ``accountFactory.allowedRegions`` is set;
* principals the config names and nothing creates: trail decrypt principals, OpenSearch admin
  principals, QuickSight readers and owners, approvers of the model guard, the deployer, and
  the deployment role of each central and member account (``pulumi up`` assumes it there).

``prepare`` makes what it can, ``check`` only reads: it is ``prepare`` run dry, and every
write it would make is a finding. Principals cannot be made here; a missing one is a finding
of both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from obsgov.accounts.aws import Aws, error_code, paginate
from obsgov.accounts.plan import Plan
from obsgov.config import EnvironmentConfig

from .policies import ensure_region_deny_policy

OPENSEARCH_SERVICE = "opensearchservice.amazonaws.com"


@dataclass(frozen=True)
class Missing:
    """A principal the config names that AWS does not have."""

    principal: str
    named_by: str  # the config key
    detail: str


@dataclass
class Preparation:
    plan: Plan
    missing: list[Missing] = field(default_factory=list)


def trusted_services(env: EnvironmentConfig) -> dict[str, str]:
    """Service principal -> the config that needs it."""
    needed: dict[str, str] = {}
    if env.settings.central_audit.trail.enabled:
        needed["cloudtrail.amazonaws.com"] = "obsgov:centralAudit.trail (organization trail)"
    factory = env.org.account_factory
    if factory.alternate_contacts:
        needed["account.amazonaws.com"] = "accountFactory.alternateContacts"
    if factory.identity_center is not None:
        needed["sso.amazonaws.com"] = "accountFactory.identityCenter"
    return needed


def policy_types(env: EnvironmentConfig) -> dict[str, str]:
    audit = env.settings.central_audit
    needed: dict[str, str] = {}
    if audit.service_control_policy.enabled or env.org.account_factory.allowed_regions:
        needed["SERVICE_CONTROL_POLICY"] = "protect-monitoring SCP, Region-deny SCP"
    if audit.tag_policy.enabled:
        needed["TAG_POLICY"] = "obsgov:centralAudit.tagPolicy"
    return needed


def principals(env: EnvironmentConfig) -> list[tuple[str, str]]:
    """(principal ARN, config key) for every principal the config names."""
    s = env.settings
    found: list[tuple[str, str]] = [
        (p, "obsgov:centralAudit.trail.decryptPrincipals")
        for p in s.central_audit.trail.decrypt_principals
    ]
    if s.open_search.enabled:
        found += [(p, "obsgov:openSearch.adminPrincipals") for p in s.open_search.admin_principals]
    found += [(p, "obsgov:quickSight.principals") for p in s.quick_sight.principals]
    found += [(p, "obsgov:quickSight.owners") for p in s.quick_sight.owners]
    if s.model_approval.enabled and s.model_approval.guard.enabled:
        found += [
            (p, "obsgov:modelApproval.guard.allowedApprovers")
            for p in s.model_approval.guard.allowed_approvers
        ]
    factory = env.org.account_factory
    if factory.deployer_arn:
        found.append((factory.deployer_arn, "accountFactory.deployerArn"))
    org = env.org.organization
    for key, account in (
        ("managementAccountId", org.management_account_id),
        ("observabilityAccountId", org.observability_account_id),
        ("logArchiveAccountId", org.log_archive_account_id),
    ):
        found.append((env.role_arn(account), f"organization.{key} (deployment role)"))
    # every member account's provider assumes it too (the deploy-readiness pack's
    # deployment-role prerequisites); `obsgov accounts onboard` creates it in new accounts
    found += [
        (env.role_arn(a.id), f"accounts.yaml {a.name} (deployment role)")
        for a in env.member_accounts
    ]
    return list(dict.fromkeys(found))


def prepare(env: EnvironmentConfig, aws: Aws, *, dry_run: bool, access_role: str) -> Preparation:
    plan = Plan(dry_run=dry_run)
    done = Preparation(plan)
    orgs = aws.client("organizations")
    _trusted_access(env, orgs, plan)
    _policy_types(env, orgs, plan)
    if env.org.account_factory.allowed_regions:
        ensure_region_deny_policy(env, orgs, plan, access_role)
    sessions = _Sessions(aws, env, access_role)
    _service_linked_roles(env, sessions, plan)
    done.missing = _principals(env, sessions, plan)
    done.missing += _quicksight_subscription(env, sessions, plan)
    return done


def _trusted_access(env: EnvironmentConfig, orgs: Any, plan: Plan) -> None:
    enabled = {
        s["ServicePrincipal"]
        for s in paginate(
            orgs, "list_aws_service_access_for_organization", "EnabledServicePrincipals"
        )
    }
    for service, why in trusted_services(env).items():
        if service in enabled:
            plan.ok(
                f"trusted access for {service}",
                "organizations:ListAWSServiceAccessForOrganization",
                why,
            )
            continue
        if not plan.dry_run:
            orgs.enable_aws_service_access(ServicePrincipal=service)
        plan.change(
            f"enable trusted access for {service}", "organizations:EnableAWSServiceAccess", why
        )


def _policy_types(env: EnvironmentConfig, orgs: Any, plan: Plan) -> None:
    root = orgs.list_roots()["Roots"][0]
    enabled = {t["Type"] for t in root.get("PolicyTypes", []) if t.get("Status") == "ENABLED"}
    for kind, why in policy_types(env).items():
        if kind in enabled:
            plan.ok(f"{kind} enabled on the root", "organizations:ListRoots", why)
            continue
        if not plan.dry_run:
            orgs.enable_policy_type(RootId=root["Id"], PolicyType=kind)
        plan.change(f"enable {kind} on the root", "organizations:EnablePolicyType", why)


class _Sessions:
    """One assumed access-role session per account (the management account uses its own)."""

    def __init__(self, aws: Aws, env: EnvironmentConfig, access_role: str) -> None:
        self.aws, self.env, self.access_role = aws, env, access_role
        self.cache: dict[str, Any] = {}

    def client(self, service: str, account: str, region: str | None = None) -> Any:
        if account == self.env.org.organization.management_account_id:
            session = None
        else:
            if account not in self.cache:
                self.cache[account] = self.aws.assume(
                    f"arn:aws:iam::{account}:role/{self.access_role}"
                )
            session = self.cache[account]
        if region is not None and region != self.aws.region:
            return self.aws.client_in(service, region, session)
        return self.aws.client(service, session)


def _service_linked_roles(env: EnvironmentConfig, sessions: _Sessions, plan: Plan) -> None:
    search = env.settings.open_search
    if not (search.enabled and search.subnet_ids):
        return
    account = env.org.organization.observability_account_id
    iam = sessions.client("iam", account)
    roles = paginate(
        iam, "list_roles", "Roles", PathPrefix=f"/aws-service-role/{OPENSEARCH_SERVICE}/"
    )
    if roles:
        plan.ok(
            f"service-linked role for {OPENSEARCH_SERVICE} in {account}",
            "iam:ListRoles",
            roles[0]["RoleName"],
        )
        return
    if not plan.dry_run:
        iam.create_service_linked_role(AWSServiceName=OPENSEARCH_SERVICE)
    plan.change(
        f"create the service-linked role for {OPENSEARCH_SERVICE} in {account}",
        "iam:CreateServiceLinkedRole",
        "obsgov:openSearch in a VPC",
    )


QUICKSIGHT_EDITIONS = ("ENTERPRISE", "ENTERPRISE_AND_Q")


def _quicksight_subscription(
    env: EnvironmentConfig, sessions: _Sessions, plan: Plan
) -> list[Missing]:
    """The observability account's QuickSight Enterprise subscription, which the analytics
    views need (every QuickSight call fails without one: QuickSight User Guide, "Signing up
    for an Amazon QuickSight subscription"; DescribeAccountSubscription answers
    ResourceNotFoundException). Subscribing has a price and an administrator to choose, so
    ``prepare`` does not: a missing one is a finding, like a missing principal."""
    quicksight = env.settings.quick_sight
    if not (quicksight.principals or quicksight.owners):
        return []  # no analytics views (components/environment/views.py)
    account = env.org.organization.observability_account_id
    what = f"QuickSight subscription in {account}"
    client = sessions.client("quicksight", account)
    try:
        info = client.describe_account_subscription(AwsAccountId=account)["AccountInfo"]
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        info = None
    edition = (info or {}).get("Edition")
    if edition in QUICKSIGHT_EDITIONS:
        plan.ok(f"{what} ({edition})", "quicksight:DescribeAccountSubscription", "quickSight")
        return []
    detail = (
        "does not exist: sign the account up for QuickSight Enterprise"
        if info is None
        else f"is the {edition} edition; the views need Enterprise"
    )
    return [Missing(f"quicksight-subscription@{account}", "obsgov:quickSight", detail)]


def _principals(env: EnvironmentConfig, sessions: _Sessions, plan: Plan) -> list[Missing]:
    missing = []
    for arn, key in principals(env):
        detail = _principal_missing(arn, sessions, env)
        if detail is None:
            plan.ok(f"{arn} exists", "iam:GetRole", key)
        else:
            missing.append(Missing(arn, key, detail))
    return missing


def _principal_missing(arn: str, sessions: _Sessions, env: EnvironmentConfig) -> str | None:
    iam_match = re.fullmatch(r"arn:[\w-]+:iam::(\d{12}):(role|user)/(?:.*/)?([^/]+)", arn)
    sts_match = re.fullmatch(r"arn:[\w-]+:sts::(\d{12}):assumed-role/([^/]+)/.*", arn)
    quicksight = re.fullmatch(
        r"arn:[\w-]+:quicksight:([a-z0-9-]+):(\d{12}):(group|user)/([^/]+)/(.+)", arn
    )
    try:
        if iam_match or sts_match:
            account, kind, name = (
                iam_match.groups() if iam_match else (sts_match[1], "role", sts_match[2])  # type: ignore[index]
            )
            iam = sessions.client("iam", account)
            if kind == "role":
                iam.get_role(RoleName=name)
            else:
                iam.get_user(UserName=name)
            return None
        if quicksight:
            region, account, kind, namespace, name = quicksight.groups()
            client = sessions.client("quicksight", account, region)
            if kind == "group":
                client.describe_group(AwsAccountId=account, Namespace=namespace, GroupName=name)
            else:
                client.describe_user(AwsAccountId=account, Namespace=namespace, UserName=name)
            return None
    except ClientError as exc:
        if error_code(exc) in ("NoSuchEntity", "ResourceNotFoundException"):
            return "does not exist"
        raise
    return "is not an IAM or QuickSight principal obsgov can look up"
