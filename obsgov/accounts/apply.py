"""``accounts apply``: accounts as code, as Account Factory for Terraform's account requests.

The registry is the request: every account it lists for the environment is brought to what
onboarding makes (in the organization and its OU, tagged, the deployment role, contacts,
Identity Center access, default VPCs, Region-deny SCP). The whole environment is planned
first with the same steps run dry, so nothing is written when one account's plan fails;
then each account is applied in turn. Accounts tagged ``managed-by=obsgov`` for the
environment that the registry no longer lists are reported for ``accounts offboard``, never
removed here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from obsgov.config import EnvironmentConfig
from obsgov.config.models import MemberAccount

from .aws import Aws
from .onboard import Onboarding
from .onboard_run import DEFAULT_ACCESS_ROLE, InvitationPending, OnboardRequest, OnboardResult
from .plan import Plan
from .verify import Finding


@dataclass
class AccountPlan:
    account: MemberAccount
    plan: Plan
    result: OnboardResult | None = None
    pending: str | None = None  # an invitation the account's owner must accept


@dataclass
class Reconciliation:
    accounts: list[AccountPlan] = field(default_factory=list)
    unregistered: list[Finding] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return sum(len(a.plan.changes) for a in self.accounts)

    @property
    def pending(self) -> list[AccountPlan]:
        return [a for a in self.accounts if a.pending]


def request_for(account: MemberAccount, access_role: str = DEFAULT_ACCESS_ROLE) -> OnboardRequest:
    """The onboarding request that brings a registered account to what the registry says."""
    return OnboardRequest(
        account_id=account.id,
        owner=account.owner,
        cost_centre=account.cost_centre,
        data_classification=account.data_classification,
        ou=account.organizational_unit,
        tags=dict(account.tags),
        access_role=access_role,
    )


def reconcile(
    env: EnvironmentConfig,
    aws: Aws,
    *,
    dry_run: bool,
    access_role: str = DEFAULT_ACCESS_ROLE,
    progress: Callable[[str], None] = lambda s: None,
    **onboarding: Any,
) -> Reconciliation:
    """Plan every account (no write), then, unless ``dry_run``, apply each plan."""
    from .verify import _unregistered, paginate

    planned = Reconciliation()
    for account in env.member_accounts:
        progress(f"planning {account.name}")
        planned.accounts.append(
            _run(
                Onboarding(env, request_for(account, access_role), aws, dry_run=True, **onboarding),
                account,
            )
        )
    orgs = aws.client("organizations")
    in_org = {a["Id"]: a for a in paginate(orgs, "list_accounts", "Accounts")}
    planned.unregistered = _unregistered(env, orgs, in_org)
    if dry_run:
        return planned
    applied = Reconciliation(unregistered=planned.unregistered)
    for item in planned.accounts:
        if not item.plan.changes:
            applied.accounts.append(item)
            continue
        progress(f"applying {item.account.name}")
        run = Onboarding(env, request_for(item.account, access_role), aws, **onboarding)
        applied.accounts.append(_run(run, item.account))
    return applied


def _run(run: Onboarding, account: MemberAccount) -> AccountPlan:
    try:
        result = run.run()
    except InvitationPending as exc:
        return AccountPlan(account, exc.plan, pending=str(exc))
    return AccountPlan(account, result.plan, result)
