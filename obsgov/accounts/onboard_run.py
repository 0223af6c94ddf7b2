"""What one onboarding is asked, what it returns, and the state its steps share.

The steps (``onboard_entry``, ``org_account``, ``deployment_role``) read and fill one
:class:`RunState`: the registry fields (AWS supplies a new account's id, an existing account's
name and email), the plan of what was checked and changed, and what the run is doing now, which
names the step when AWS fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from obsgov.config import EnvironmentConfig
from obsgov.config.models import MemberAccount

from .aws import Aws
from .errors import EXIT_INVITATION_PENDING, OnboardingError
from .plan import Plan
from .registry_file import RegistryEditor

DEFAULT_ACCESS_ROLE = "OrganizationAccountAccessRole"


@dataclass(frozen=True)
class OnboardRequest:
    owner: str
    cost_centre: str
    data_classification: str
    account_id: str | None = None
    create: bool = False
    name: str | None = None
    email: str | None = None
    ou: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    access_role: str = DEFAULT_ACCESS_ROLE
    # The principal the deployment role trusts (default: accountFactory.deployerArn).
    deployer_arn: str | None = None
    # None: obsgov's own boundary (obsgov-deployment-boundary), generated per account.
    permissions_boundary: str | None = None
    # Managed policies attached besides obsgov's inline policy (capped by the boundary).
    role_policies: tuple[str, ...] = ()


@dataclass
class OnboardResult:
    account_id: str | None
    name: str
    plan: Plan
    role_proven: bool | None = None
    notes: list[str] = field(default_factory=list)


class InvitationPending(OnboardingError):
    def __init__(self, message: str, plan: Plan) -> None:
        super().__init__(message, EXIT_INVITATION_PENDING)
        self.plan = plan


class StepFailed(OnboardingError):
    """An AWS failure after some steps ran; carries the plan so far for the report."""

    def __init__(self, cause: OnboardingError, plan: Plan) -> None:
        super().__init__(str(cause), cause.code)
        self.plan = plan


@dataclass
class RunState:
    env: EnvironmentConfig
    request: OnboardRequest
    aws: Aws
    plan: Plan
    editor: RegistryEditor
    poll_interval: float = 5.0
    poll_timeout: float = 900.0
    role_attempts: int = 6
    role_wait: float = 5.0
    doing: str = "starting"
    fields: dict[str, Any] = field(default_factory=dict)
    existing: MemberAccount | None = None
    caller: str = ""  # the IAM principal behind these credentials
    deployer: str = ""  # the principal the deployment role trusts
    partition: str = "aws"
    account_id: str | None = None
    sessions: dict[str, Any] = field(default_factory=dict)

    @property
    def dry_run(self) -> bool:
        return self.plan.dry_run

    def member_session(self, account_id: str, created: bool = False) -> Any:
        """The member account through the organization's access role (assumed once per run;
        a new account's role takes seconds to reach STS, so that one is retried)."""
        if account_id not in self.sessions:
            self.doing = f"assuming {self.request.access_role} in account {account_id}"
            self.sessions[account_id] = self.aws.assume(
                f"arn:{self.partition}:iam::{account_id}:role/{self.request.access_role}",
                attempts=self.role_attempts if created else 1,
                wait=self.role_wait,
            )
        return self.sessions[account_id]

    def member_client(
        self, service: str, account_id: str, created: bool = False, region: str | None = None
    ) -> Any:
        session = self.member_session(account_id, created)
        if region is not None and region != self.aws.region:
            return self.aws.client_in(service, region, session)
        return self.aws.client(service, session)
