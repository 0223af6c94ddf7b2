"""Account onboarding: bring AWS accounts under governance and keep the registry in step.

The registry (``stacks/accounts.yaml``) is the source of truth; these modules change it only
through :class:`registry.RegistryEditor` (locked, validated, atomic) and read AWS state before
every write, so each command is idempotent and a failed run is finished by running it again.
"""

from .aws import RETRY_CONFIG, Aws
from .errors import EXIT_CODES_HELP, OnboardingError
from .onboard import InvitationPending, Onboarding, OnboardRequest, OnboardResult, StepFailed
from .plan import Plan, Step
from .registry_file import RegistryEditor

__all__ = [
    "EXIT_CODES_HELP",
    "RETRY_CONFIG",
    "Aws",
    "InvitationPending",
    "OnboardRequest",
    "OnboardResult",
    "Onboarding",
    "OnboardingError",
    "Plan",
    "RegistryEditor",
    "Step",
    "StepFailed",
]
