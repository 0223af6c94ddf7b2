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
# The deployment role deploys CloudWatch, OAM, SNS, EventBridge and SageMaker monitoring, none
# of which needs IAM: PowerUserAccess both grants that and, as the boundary, caps the role.
DEFAULT_ROLE_POLICY = "arn:aws:iam::aws:policy/PowerUserAccess"
DEFAULT_BOUNDARY = "arn:aws:iam::aws:policy/PowerUserAccess"


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
    deployer_arn: str | None = None
    permissions_boundary: str | None = DEFAULT_BOUNDARY
    role_policies: tuple[str, ...] = (DEFAULT_ROLE_POLICY,)


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

    @property
    def dry_run(self) -> bool:
        return self.plan.dry_run
