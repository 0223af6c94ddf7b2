"""Exit codes of ``obsgov accounts`` beyond the shared 0-4, and the error that carries them.

The shared codes keep their meaning (2 bad input, 3 internal error, 4 any other AWS error);
these name the failures a platform team acts on differently.
"""

from __future__ import annotations

EXIT_AWS = 4
EXIT_ACCESS_DENIED = 10
EXIT_DUPLICATE_EMAIL = 11
EXIT_ACCOUNT_LIMIT = 12
EXIT_CREATE_FAILED = 13
EXIT_UNKNOWN_OU = 14
EXIT_INVITATION_PENDING = 15
EXIT_BASELINE_DEPLOYED = 16

EXIT_CODES_HELP = (
    "Exit codes: 0 done (or nothing to do); 1 drift found (verify); 2 bad input; "
    "3 internal error; 4 other AWS error or AWS unreachable; 10 access denied; "
    "11 email already used by another account; 12 organization's account limit reached; "
    "13 account creation failed; 14 OU not found in the organization; "
    "15 invitation sent or pending: the account owner must accept it, then rerun; "
    "16 offboarding waits: the account still holds obsgov's baseline (run pulumi up, "
    "then rerun)."
)


class OnboardingError(Exception):
    """A failure already worded for the user; ``code`` is the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code
