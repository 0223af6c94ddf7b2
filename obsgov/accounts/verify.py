"""``accounts verify``: the registry against Organizations and IAM, read-only.

Per registered account: in the organization and active, in its OU, tagged with the schema's
tags; its deployment role (read through the organization access role) trusting exactly the
configured deployer, bounded by obsgov's boundary, carrying obsgov's inline policy and
nothing else, and the boundaries as obsgov generates them; and, when these credentials are
the deployer's, the role can be assumed. Then the other way round: accounts tagged
``managed-by=obsgov`` for this environment that the registry does not list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from obsgov.config import EnvironmentConfig
from obsgov.config.models import MemberAccount

from .aws import Aws, error_code, error_message, paginate
from .deployment_policy import (
    DEPLOYMENT_BOUNDARY_NAME,
    DEPLOYMENT_POLICY_NAME,
    MANAGED_BY,
    WORKLOAD_BOUNDARY_NAME,
    DeploymentScope,
    deployment_boundary,
    deployment_policy,
    scope_for,
    workload_boundary,
)
from .deployment_role import canonical_policy, trusted_principals
from .onboard_run import DEFAULT_ACCESS_ROLE


@dataclass(frozen=True)
class Finding:
    account_id: str
    name: str
    check: str  # missing | ou | tag | role | unregistered
    detail: str


def verify(
    env: EnvironmentConfig,
    aws: Aws,
    check_role: bool = True,
    progress: Callable[[MemberAccount], None] = lambda a: None,
    access_role: str = DEFAULT_ACCESS_ROLE,
    deployer: str | None = None,
) -> list[Finding]:
    orgs = aws.client("organizations")
    in_org = {a["Id"]: a for a in paginate(orgs, "list_accounts", "Accounts")}
    ou_names = {ou.id: ou.name for ou in env.org.organization.organizational_units}
    ou_ids = {ou.name: ou.id for ou in env.org.organization.organizational_units}
    deployer = deployer or env.org.account_factory.deployer_arn
    caller = aws.client("sts").get_caller_identity()["Arn"] if check_role else ""
    findings: list[Finding] = []
    for account in env.member_accounts:
        progress(account)
        found = in_org.get(account.id)
        if found is None:
            findings.append(Finding(account.id, account.name, "missing", "not in the organization"))
            continue
        if found.get("Status", "ACTIVE") != "ACTIVE":
            findings.append(
                Finding(account.id, account.name, "missing", f"account is {found['Status']}")
            )
            continue
        parent = orgs.list_parents(ChildId=account.id)["Parents"][0]["Id"]
        wanted = ou_ids[account.organizational_unit]
        if parent != wanted:
            findings.append(
                Finding(
                    account.id,
                    account.name,
                    "ou",
                    f"in {ou_names.get(parent, parent)}, registry says "
                    f"{account.organizational_unit}",
                )
            )
        tags = tags_of(orgs, account.id)
        for key, value in env.account_default_tags(account).items():
            if tags.get(key) != value:
                have = "missing" if key not in tags else repr(tags[key])
                findings.append(
                    Finding(account.id, account.name, "tag", f"{key}: {have}, want {value!r}")
                )
        if check_role:
            findings += _role_drift(env, aws, account, access_role, deployer)
            if deployer is None or _same_principal(caller, deployer):
                finding = _assume(env, aws, account)
                if finding:
                    findings.append(finding)
    findings += _unregistered(env, orgs, in_org)
    return findings


def _same_principal(caller: str, deployer: str) -> bool:
    """Whether a caller ARN (a session) is the deployer (a role or user ARN, with a path)."""
    if caller == deployer:
        return True
    if ":assumed-role/" in caller:
        role = caller.split(":assumed-role/")[1].split("/")[0]
        return deployer.split(":")[4] == caller.split(":")[4] and deployer.endswith(f"/{role}")
    return caller.replace(":sts:", ":iam:") == deployer


def _assume(env: EnvironmentConfig, aws: Aws, account: MemberAccount) -> Finding | None:
    arn = env.role_arn(account.id)
    try:
        aws.assume(arn)
    except ClientError as exc:
        return Finding(
            account.id,
            account.name,
            "role",
            f"cannot assume {arn}: {error_code(exc)}: {error_message(exc)}",
        )
    return None


def _role_drift(
    env: EnvironmentConfig,
    aws: Aws,
    account: MemberAccount,
    access_role: str,
    deployer: str | None,
) -> list[Finding]:
    """The deployment role as IAM has it, against what onboarding makes."""
    role_name = env.org.organization.deployment_role_name

    def finding(detail: str) -> Finding:
        return Finding(account.id, account.name, "role", detail)

    try:
        session = aws.assume(f"arn:aws:iam::{account.id}:role/{access_role}")
        iam = aws.client("iam", session)
        role = iam.get_role(RoleName=role_name)["Role"]
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return [finding(f"{role_name} does not exist")]
        return [
            finding(
                f"cannot read {role_name} through {access_role}: {error_code(exc)}: "
                f"{error_message(exc)}"
            )
        ]
    scope = scope_for(env, account.id, [deployer] if deployer else [])
    details = [
        *_trust_drift(role, deployer),
        *_boundary_drift(role, scope),
        *_role_policies_drift(iam, role_name, scope),
    ]
    for name, document in (
        (DEPLOYMENT_BOUNDARY_NAME, deployment_boundary(scope)),
        (WORKLOAD_BOUNDARY_NAME, workload_boundary(scope)),
    ):
        detail = _managed_policy_drift(iam, account.id, name, document)
        if detail:
            details.append(detail)
    return [finding(detail) for detail in details]


def _trust_drift(role: Any, deployer: str | None) -> list[str]:
    """Who the role trusts, against the deployer alone (nothing to judge without one)."""
    if deployer is None:
        return []
    found: list[str] = []
    trusted = trusted_principals(role["AssumeRolePolicyDocument"])
    extra = sorted(trusted - {deployer})
    if extra:
        found.append(f"trusts {', '.join(extra)} besides the deployer")
    if deployer not in trusted:
        found.append(f"does not trust the deployer {deployer}")
    return found


def _boundary_drift(role: Any, scope: DeploymentScope) -> list[str]:
    boundary = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    if boundary is None:
        return ["has no permissions boundary"]
    if boundary != scope.deployment_boundary_arn:
        return [f"bounded by {boundary}, not {DEPLOYMENT_BOUNDARY_NAME}"]
    return []


def _role_policies_drift(iam: Any, role_name: str, scope: DeploymentScope) -> list[str]:
    """Managed policies attached and inline policies, against the one inline policy
    onboarding writes."""
    found = [
        f"has {policy['PolicyArn']} attached"
        for policy in paginate(
            iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role_name
        )
    ]
    inline = paginate(iam, "list_role_policies", "PolicyNames", RoleName=role_name)
    found.extend(f"has inline policy {name}" for name in inline if name != DEPLOYMENT_POLICY_NAME)
    if DEPLOYMENT_POLICY_NAME not in inline:
        found.append(f"lacks its inline policy {DEPLOYMENT_POLICY_NAME}")
        return found
    current = iam.get_role_policy(RoleName=role_name, PolicyName=DEPLOYMENT_POLICY_NAME)
    if canonical_policy(current["PolicyDocument"]) != canonical_policy(deployment_policy(scope)):
        found.append(f"inline policy {DEPLOYMENT_POLICY_NAME} was changed")
    return found


def _managed_policy_drift(iam: Any, account_id: str, name: str, document: Any) -> str | None:
    arn = f"arn:aws:iam::{account_id}:policy/{name}"
    try:
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return f"policy {name} does not exist"
        raise
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    if canonical_policy(version["PolicyVersion"]["Document"]) != canonical_policy(document):
        return f"policy {name} differs from what obsgov generates"
    return None


def _unregistered(
    env: EnvironmentConfig, orgs: Any, in_org: dict[str, dict[str, Any]]
) -> list[Finding]:
    """Accounts Organizations tags as obsgov's, in this environment, that the registry lacks."""
    registered = {a.id for a in env.registry.accounts}
    central = {
        env.org.organization.management_account_id,
        env.org.organization.observability_account_id,
        env.org.organization.log_archive_account_id,
    }
    found = []
    for account_id, account in sorted(in_org.items()):
        if account_id in registered or account_id in central:
            continue
        tags = tags_of(orgs, account_id)
        if tags.get(MANAGED_BY[0]) == MANAGED_BY[1] and tags.get("environment") == env.environment:
            found.append(
                Finding(
                    account_id,
                    account.get("Name", ""),
                    "unregistered",
                    f"tagged {MANAGED_BY[0]}={MANAGED_BY[1]} for {env.environment} but not in "
                    f"{env.registry_file.name}: onboard it or offboard it",
                )
            )
    return found


def tags_of(client: Any, account_id: str) -> dict[str, str]:
    return {
        t["Key"]: t["Value"]
        for t in paginate(client, "list_tags_for_resource", "Tags", ResourceId=account_id)
    }
