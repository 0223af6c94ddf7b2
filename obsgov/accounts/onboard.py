"""Onboarding one account: validate, create or invite, place in its OU, tag, deployment role,
record in the registry.

Every step first reads the state from AWS and writes only what differs, so a rerun after a
crash finishes the job and a rerun after success writes nothing (to AWS or to the file). The
steps live beside this module: ``onboard_entry`` (the registry entry), ``org_account`` (the
account in the organization) and ``deployment_role``; this one runs them in order.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from obsgov.config import EnvironmentConfig

from . import onboard_entry, org_account
from .aws import Aws, aws_failure
from .deployment_role import ensure_deployment_role
from .errors import OnboardingError
from .onboard_run import (
    InvitationPending,
    OnboardRequest,
    OnboardResult,
    RunState,
    StepFailed,
)
from .plan import Plan
from .registry_file import RegistryEditor

__all__ = ["InvitationPending", "OnboardRequest", "OnboardResult", "Onboarding", "StepFailed"]


class Onboarding:
    """One onboarding run. ``run`` validates first (no AWS call), then walks the steps."""

    def __init__(
        self,
        env: EnvironmentConfig,
        request: OnboardRequest,
        aws: Aws,
        dry_run: bool = False,
        poll_interval: float = 5.0,
        poll_timeout: float = 900.0,
        role_attempts: int = 6,
        role_wait: float = 5.0,
    ) -> None:
        self.state = RunState(
            env=env,
            request=request,
            aws=aws,
            plan=Plan(dry_run=dry_run),
            editor=RegistryEditor(env),
            poll_interval=poll_interval,
            poll_timeout=poll_timeout,
            role_attempts=role_attempts,
            role_wait=role_wait,
        )

    @property
    def plan(self) -> Plan:
        return self.state.plan

    @property
    def dry_run(self) -> bool:
        return self.state.dry_run

    def validate(self) -> None:
        """Every argument against the tag schema and the registry's rules; no AWS call."""
        onboard_entry.validate(self.state)

    def run(self) -> OnboardResult:
        self.validate()
        try:
            return self._steps()
        except (ClientError, BotoCoreError) as exc:
            raise StepFailed(aws_failure(exc, self.state.doing), self.plan) from None
        except InvitationPending:
            raise
        except OnboardingError as exc:
            raise StepFailed(exc, self.plan) from None

    def _steps(self) -> OnboardResult:
        state = self.state
        orgs = state.aws.client("organizations")
        ou_id = org_account.target_ou_id(state)
        account_id, created = org_account.ensure_account(state, orgs, ou_id)
        name = state.fields["name"]
        result = OnboardResult(account_id, name, state.plan)
        org_account.place(state, orgs, account_id, ou_id)
        org_account.tag(state, orgs, account_id, created)
        result.role_proven = ensure_deployment_role(state, account_id, created)
        if result.role_proven is False:
            result.notes.append(
                f"the deployment role trusts {state.deployer} and these credentials are "
                f"{state.caller}: prove it with `obsgov accounts verify --env "
                f"{state.env.environment}` as the deployer"
            )
        onboard_entry.record(state, account_id)
        return result
