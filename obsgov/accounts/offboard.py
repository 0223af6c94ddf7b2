"""Offboarding one account, in the order that leaves nothing behind:

1. the account leaves the registry (checked first: the registry must stay valid without it);
   this is what makes ``pulumi up`` destroy its baseline, with the deployment role;
2. the baseline must be gone: resources tagged ``managed-by=obsgov`` still in the account
   stop the run (exit 16) until ``pulumi up`` has destroyed them, then a rerun goes on;
3. the deployment role and obsgov's boundaries are deleted (the SCP exempts the role by
   name, so with the role gone nothing in the account is exempt any more), and obsgov's
   Region-deny SCP is detached;
4. the account moves to ``accountFactory.suspendedOu``;
5. obsgov's tags come off (the tag schema's, ``managed-by`` and the registry's extra ones,
   the latter as soon as the entry goes), except the billing ones (``cost-centre``,
   ``owner``), which stay for the invoices still to come;
6. with ``--close``, the account is closed.

Each step reads first, so a rerun after a crash goes on where it stopped. An account that
left the registry is still found by its ``managed-by`` tag or by sitting in the suspended OU.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from obsgov.config import EnvironmentConfig
from obsgov.config.models import MemberAccount
from obsgov.errors import InputError

from .aws import Aws, aws_failure, error_code, paginate
from .deployment_policy import DEPLOYMENT_BOUNDARY_NAME, MANAGED_BY, WORKLOAD_BOUNDARY_NAME
from .errors import EXIT_BASELINE_DEPLOYED, OnboardingError
from .onboard_run import DEFAULT_ACCESS_ROLE
from .verify import tags_of

BILLING_TAGS = ("cost-centre", "owner")


@dataclass
class Target:
    """The account being offboarded and what the registry (or its tags) says about it."""

    env: EnvironmentConfig
    account_id: str
    name: str
    registered: MemberAccount | None


def find_target(
    envs: Iterable[EnvironmentConfig], account_id: str, env_name: str | None, aws: Aws
) -> Target:
    """The registry entry of ``account_id``, else the account obsgov left half-offboarded
    (tagged ``managed-by=obsgov`` for the environment, or in the suspended OU)."""
    envs = list(envs)
    for candidate in envs:
        account = next((a for a in candidate.member_accounts if a.id == account_id), None)
        if account is not None:
            return Target(candidate, account_id, account.name, account)
    orgs = aws.client("organizations")
    try:
        tags = tags_of(orgs, account_id)
        parent = orgs.list_parents(ChildId=account_id)["Parents"][0]["Id"]
        name = orgs.describe_account(AccountId=account_id)["Account"]["Name"]
    except ClientError as exc:
        if error_code(exc) in (
            "AccountNotFoundException",
            "TargetNotFoundException",
            "ChildNotFoundException",
        ):
            tags, parent, name = {}, "", ""
        else:
            raise
    for candidate in envs:
        suspended = candidate.org.account_factory.suspended_ou
        ou_ids = {ou.name: ou.id for ou in candidate.org.organization.organizational_units}
        ours = (
            tags.get(MANAGED_BY[0]) == MANAGED_BY[1]
            and tags.get("environment") == candidate.environment
        )
        parked = (
            suspended is not None
            and parent == ou_ids.get(suspended)
            and (env_name is None or env_name == candidate.environment)
        )
        if ours or parked:
            return Target(candidate, account_id, name, None)
    where = f"environment {env_name}" if env_name else "any environment"
    raise InputError.single(
        "ID",
        "",
        f"account {account_id} is not in the registry for {where}, nor tagged "
        f"{MANAGED_BY[0]}={MANAGED_BY[1]} or in the suspended OU: nothing to offboard",
    )


def baseline_left(target: Target, session: Any, aws: Aws) -> list[str]:
    """ARNs of resources still tagged ``managed-by=obsgov`` in the account's Region."""
    client = aws.client("resourcegroupstaggingapi", session)
    found = paginate(
        client,
        "get_resources",
        "ResourceTagMappingList",
        TagFilters=[{"Key": MANAGED_BY[0], "Values": [MANAGED_BY[1]]}],
    )
    role = target.env.org.organization.deployment_role_name
    onboarding_owns = {
        f"arn:aws:iam::{target.account_id}:role/{role}",
        f"arn:aws:iam::{target.account_id}:policy/{DEPLOYMENT_BOUNDARY_NAME}",
        f"arn:aws:iam::{target.account_id}:policy/{WORKLOAD_BOUNDARY_NAME}",
    }
    return sorted(r["ResourceARN"] for r in found if r["ResourceARN"] not in onboarding_owns)


def release(
    target: Target,
    aws: Aws,
    *,
    close: bool,
    dry_run: bool,
    report: Callable[[str], None],
    access_role: str = DEFAULT_ACCESS_ROLE,
) -> None:
    """Steps 2-6; ``report`` hears each as it happens, so a failure half-way leaves a true
    record. AWS failures are raised worded, as ``OnboardingError``."""
    env, account_id = target.env, target.account_id
    prefix = "would " if dry_run else ""
    doing = f"offboarding {account_id}"
    try:
        orgs = aws.client("organizations")
        try:
            status = orgs.describe_account(AccountId=account_id)["Account"].get("Status", "ACTIVE")
        except ClientError as exc:
            if error_code(exc) != "AccountNotFoundException":
                raise
            report(f"account {account_id} is not in the organization: nothing to do in AWS")
            return
        if status != "ACTIVE":
            report(f"account {account_id} is {status}: nothing more to do")
            return
        schema = {r.key for r in env.org.tag_schema.required} | {MANAGED_BY[0]}
        if target.registered is not None:
            # the registry's own extra tags: only the registry knows them, and it is about
            # to forget the account
            doing = f"untagging {account_id}"
            present = tags_of(orgs, account_id)
            extras = [
                k
                for k, v in target.registered.tags.items()
                if k not in schema and k not in BILLING_TAGS and present.get(k) == v
            ]
            if extras:
                if not dry_run:
                    orgs.untag_resource(ResourceId=account_id, TagKeys=extras)
                report(f"{prefix}untag {account_id}: {', '.join(extras)}")
        doing = f"assuming {access_role} in account {account_id}"
        session = aws.assume(f"arn:aws:iam::{account_id}:role/{access_role}")
        doing = f"looking for obsgov's resources in account {account_id}"
        left = baseline_left(target, session, aws)
        if left:
            shown = ", ".join(left[:3]) + (f" and {len(left) - 3} more" if len(left) > 3 else "")
            raise OnboardingError(
                f"account {account_id} still holds {len(left)} resources of obsgov's baseline "
                f"({shown}); run `pulumi up --stack {env.stack}` to destroy them (the "
                "registry no longer lists the account), then rerun this command",
                EXIT_BASELINE_DEPLOYED,
            )
        report(f"baseline of {account_id} is gone")
        doing = f"deleting the deployment role of {account_id}"
        _delete_role(env, aws.client("iam", session), account_id, dry_run, report)
        doing = f"detaching obsgov's SCPs from {account_id}"
        _detach_scps(orgs, account_id, dry_run, report)
        doing = f"moving {account_id} to the suspended OU"
        _suspend(env, orgs, account_id, dry_run, report)
        doing = f"untagging {account_id}"
        current = tags_of(orgs, account_id)
        keys = [k for k in current if k in schema and k not in BILLING_TAGS]
        if keys:
            if not dry_run:
                orgs.untag_resource(ResourceId=account_id, TagKeys=keys)
            report(f"{prefix}untag {account_id}: {', '.join(keys)} (billing tags stay)")
        if close:
            doing = f"closing {account_id}"
            if not dry_run:
                orgs.close_account(AccountId=account_id)
            report(f"{prefix}close {account_id} (Organizations: CloseAccount)")
    except (ClientError, BotoCoreError) as exc:
        raise aws_failure(exc, doing) from None


def _delete_role(
    env: EnvironmentConfig, iam: Any, account_id: str, dry_run: bool, report: Callable[[str], None]
) -> None:
    prefix = "would " if dry_run else ""
    role = env.org.organization.deployment_role_name
    try:
        iam.get_role(RoleName=role)
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
    else:
        if not dry_run:
            for name in paginate(iam, "list_role_policies", "PolicyNames", RoleName=role):
                iam.delete_role_policy(RoleName=role, PolicyName=name)
            for policy in paginate(
                iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role
            ):
                iam.detach_role_policy(RoleName=role, PolicyArn=policy["PolicyArn"])
            iam.delete_role(RoleName=role)
        report(f"{prefix}delete role {role} in {account_id}")
    for name in (DEPLOYMENT_BOUNDARY_NAME, WORKLOAD_BOUNDARY_NAME):
        arn = f"arn:aws:iam::{account_id}:policy/{name}"
        try:
            versions = paginate(iam, "list_policy_versions", "Versions", PolicyArn=arn)
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            continue
        if not dry_run:
            for version in versions:
                if not version["IsDefaultVersion"]:
                    iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
            iam.delete_policy(PolicyArn=arn)
        report(f"{prefix}delete policy {name} in {account_id}")


def _detach_scps(orgs: Any, account_id: str, dry_run: bool, report: Callable[[str], None]) -> None:
    from obsgov.org.policies import REGION_DENY_NAME

    attached = paginate(
        orgs,
        "list_policies_for_target",
        "Policies",
        TargetId=account_id,
        Filter="SERVICE_CONTROL_POLICY",
    )
    for policy in attached:
        if policy["Name"] == REGION_DENY_NAME:
            if not dry_run:
                orgs.detach_policy(PolicyId=policy["Id"], TargetId=account_id)
            report(f"{'would ' if dry_run else ''}detach SCP {REGION_DENY_NAME} from {account_id}")


def _suspend(
    env: EnvironmentConfig, orgs: Any, account_id: str, dry_run: bool, report: Callable[[str], None]
) -> None:
    suspended = env.org.account_factory.suspended_ou
    if suspended is None:
        return
    target = {ou.name: ou.id for ou in env.org.organization.organizational_units}[suspended]
    current = orgs.list_parents(ChildId=account_id)["Parents"][0]["Id"]
    if current == target:
        return
    if not dry_run:
        orgs.move_account(AccountId=account_id, SourceParentId=current, DestinationParentId=target)
    report(f"{'would ' if dry_run else ''}move {account_id} to OU {suspended}")
