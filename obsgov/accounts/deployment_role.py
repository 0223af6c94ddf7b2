"""Onboarding step 4: the deployment role ``pulumi up`` assumes in a member account.

Reached through the organization's access role; created or brought in line (trust, boundary,
managed policies), then proven by assuming it when these credentials are the deployer's.
"""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.exceptions import ClientError

from .aws import error_code, paginate
from .onboard_run import RunState


def principal_arn(caller_arn: str) -> str:
    """The IAM principal behind a caller ARN: an assumed-role session becomes its role."""
    match = re.fullmatch(r"arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/.+", caller_arn)
    if match:
        partition, account, role = match.groups()
        return f"arn:{partition}:iam::{account}:role/{role}"
    match = re.fullmatch(r"arn:([\w-]+):sts::(\d{12}):(user/.+)", caller_arn)
    if match:
        return f"arn:{match[1]}:iam::{match[2]}:{match[3]}"
    return caller_arn


def trust_policy(deployer_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": deployer_arn},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def canonical_policy(policy: Any) -> str:
    """Compare policies as IAM means them: a one-item list equals its item."""
    if isinstance(policy, str):
        from urllib.parse import unquote

        policy = json.loads(unquote(policy))

    def norm(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        if isinstance(value, list):
            items = [norm(v) for v in value]
            return items[0] if len(items) == 1 else sorted(items, key=json.dumps)
        return value

    return json.dumps(norm(policy), sort_keys=True)


def ensure_deployment_role(state: RunState, account_id: str | None, created: bool) -> bool | None:
    """The role ``pulumi up`` assumes in the account, trusting the deployer; True when these
    credentials proved it by assuming it, False when they are not the deployer's, None when
    it cannot be proven yet (a dry run or a new account)."""
    r = state.request
    role_name = state.env.org.organization.deployment_role_name
    state.doing = "reading the caller's identity"
    caller_arn = state.aws.client("sts").get_caller_identity()["Arn"]
    state.caller = principal_arn(caller_arn)
    partition = caller_arn.split(":")[1]  # aws, aws-us-gov, aws-cn
    state.deployer = r.deployer_arn or state.caller
    trust = trust_policy(state.deployer)
    if account_id is None:
        for what, call in (
            (f"assume {r.access_role} in the new account", "sts:AssumeRole"),
            (f"create role {role_name} trusting {state.deployer}", "iam:CreateRole"),
            *((f"attach {p}", "iam:AttachRolePolicy") for p in r.role_policies),
            (f"prove {role_name} by assuming it", "sts:AssumeRole"),
        ):
            state.plan.change(what, call, write=call != "sts:AssumeRole")
        return None
    state.doing = f"assuming {r.access_role} in account {account_id}"
    member = state.aws.assume(
        f"arn:{partition}:iam::{account_id}:role/{r.access_role}",
        attempts=state.role_attempts if created else 1,
        wait=state.role_wait,
    )
    iam = state.aws.client("iam", member)
    state.doing = f"checking role {role_name} in account {account_id}"
    changed = False
    try:
        role = iam.get_role(RoleName=role_name)["Role"]
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        role = None
    if role is None:
        state.doing = f"creating role {role_name} in account {account_id}"
        params: dict[str, Any] = {
            "RoleName": role_name,
            "AssumeRolePolicyDocument": json.dumps(trust),
            "Description": "obsgov deployment role: pulumi up for this account",
            "Tags": [{"Key": "managed-by", "Value": "obsgov"}],
        }
        if r.permissions_boundary:
            params["PermissionsBoundary"] = r.permissions_boundary
        if not state.dry_run:
            iam.create_role(**params)
        state.plan.change(
            f"create role {role_name} trusting {state.deployer}",
            "iam:CreateRole",
            f"boundary {r.permissions_boundary or 'none'}",
        )
        attached: set[str] = set()
        changed = True
    else:
        if canonical_policy(role["AssumeRolePolicyDocument"]) != canonical_policy(trust):
            if not state.dry_run:
                iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=json.dumps(trust))
            state.plan.change(
                f"limit {role_name}'s trust to {state.deployer}", "iam:UpdateAssumeRolePolicy"
            )
            changed = True
        boundary = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if r.permissions_boundary and boundary != r.permissions_boundary:
            if not state.dry_run:
                iam.put_role_permissions_boundary(
                    RoleName=role_name, PermissionsBoundary=r.permissions_boundary
                )
            state.plan.change(
                f"set {role_name}'s permissions boundary",
                "iam:PutRolePermissionsBoundary",
                r.permissions_boundary,
            )
            changed = True
        attached = {
            p["PolicyArn"]
            for p in paginate(
                iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role_name
            )
        }
    for policy in r.role_policies:
        if policy in attached:
            continue
        if not state.dry_run:
            iam.attach_role_policy(RoleName=role_name, PolicyArn=policy)
        state.plan.change(f"attach {policy}", "iam:AttachRolePolicy")
        changed = True
    if not changed:
        state.plan.ok(f"role {role_name} is as required", "iam:GetRole")
    role_arn = f"arn:{partition}:iam::{account_id}:role/{role_name}"
    if state.dry_run and changed:
        state.plan.change(f"prove {role_name} by assuming it", "sts:AssumeRole", write=False)
        return None
    if state.deployer != state.caller:
        state.plan.note(
            f"prove {role_name} by assuming it",
            "sts:AssumeRole",
            "skipped",
            "these credentials are not the deployer",
        )
        return False
    state.doing = f"proving {role_arn} by assuming it"
    state.aws.assume(role_arn, attempts=state.role_attempts if changed else 1, wait=state.role_wait)
    state.plan.ok(f"assumed {role_name}", "sts:AssumeRole", role_arn)
    return True
