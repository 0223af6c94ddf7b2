"""Offboarding one account: find it in the registry, then remove obsgov's tags from it in
Organizations and, on request, close it.

The registry edit stays with the caller: it is checked before any AWS call (the registry must
stay valid without the account) and written after them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from botocore.exceptions import BotoCoreError, ClientError

from obsgov.config import EnvironmentConfig
from obsgov.config.models import MemberAccount
from obsgov.errors import InputError

from .aws import Aws, aws_failure, error_code
from .verify import tags_of


def find_registered(
    envs: Iterable[EnvironmentConfig], account_id: str, env_name: str | None
) -> tuple[EnvironmentConfig, MemberAccount]:
    """The first environment whose registry lists ``account_id``, and its entry; ``env_name``
    (the --env given, if any) only words the error."""
    for candidate in envs:
        account = next((a for a in candidate.member_accounts if a.id == account_id), None)
        if account is not None:
            return candidate, account
    where = f"environment {env_name}" if env_name else "any environment"
    raise InputError.single("ID", "", f"account {account_id} is not in the registry for {where}")


def release(
    env: EnvironmentConfig,
    account: MemberAccount,
    *,
    close: bool,
    dry_run: bool,
    report: Callable[[str], None],
) -> None:
    """Remove the tags obsgov set (only those still carrying obsgov's value) and close the
    account if ``close``; ``report`` hears each step as it happens, so a failure half-way
    leaves a true record. AWS failures are raised worded, as ``OnboardingError``."""
    account_id = account.id
    aws = Aws(region=env.settings.region)
    prefix = "would " if dry_run else ""
    try:
        orgs = aws.client("organizations")
        ours = env.account_default_tags(account)
        try:
            current = tags_of(orgs, account_id)
        except ClientError as exc:
            if error_code(exc) not in ("AccountNotFoundException", "TargetNotFoundException"):
                raise
            current = {}
            report(f"account {account_id} is not in the organization: no tags to remove")
        keys = [k for k, v in ours.items() if current.get(k) == v]
        if keys:
            if not dry_run:
                orgs.untag_resource(ResourceId=account_id, TagKeys=keys)
            report(f"{prefix}untag {account_id}: {', '.join(keys)}")
        if close:
            if not dry_run:
                orgs.close_account(AccountId=account_id)
            report(f"{prefix}close {account_id} (Organizations: CloseAccount)")
    except (ClientError, BotoCoreError) as exc:
        raise aws_failure(exc, f"offboarding {account_id}") from None
