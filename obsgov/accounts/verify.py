"""``accounts verify``: the registry against Organizations and IAM, read-only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from obsgov.config import EnvironmentConfig
from obsgov.config.models import MemberAccount

from .aws import Aws, error_code, error_message, paginate


@dataclass(frozen=True)
class Finding:
    account_id: str
    name: str
    check: str  # missing | ou | tag | role
    detail: str


def verify(
    env: EnvironmentConfig,
    aws: Aws,
    check_role: bool = True,
    progress: Callable[[MemberAccount], None] = lambda a: None,
) -> list[Finding]:
    orgs = aws.client("organizations")
    in_org = {a["Id"]: a for a in paginate(orgs, "list_accounts", "Accounts")}
    ou_names = {ou.id: ou.name for ou in env.org.organization.organizational_units}
    ou_ids = {ou.name: ou.id for ou in env.org.organization.organizational_units}
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
        tags = {
            t["Key"]: t["Value"]
            for t in paginate(orgs, "list_tags_for_resource", "Tags", ResourceId=account.id)
        }
        for key, value in env.account_default_tags(account).items():
            if tags.get(key) != value:
                have = "missing" if key not in tags else repr(tags[key])
                findings.append(
                    Finding(account.id, account.name, "tag", f"{key}: {have}, want {value!r}")
                )
        if check_role:
            finding = _role(env, aws, account)
            if finding:
                findings.append(finding)
    return findings


def _role(env: EnvironmentConfig, aws: Aws, account: MemberAccount) -> Finding | None:
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


def tags_of(client: Any, account_id: str) -> dict[str, str]:
    return {
        t["Key"]: t["Value"]
        for t in paginate(client, "list_tags_for_resource", "Tags", ResourceId=account_id)
    }
