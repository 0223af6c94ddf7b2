"""The one matcher for tag rules: which values a rule accepts, and how to say what it expects.

Shared by the tagging policies and by obsgov's config loader (``TagRule.accepts``), so the
gate and account onboarding never disagree about a tag. Plain Python on purpose: the loader
imports it without the policy SDK.
"""

from __future__ import annotations

import re
from collections.abc import Sequence


def value_accepted(
    value: str, allowed_values: Sequence[str] | None = None, pattern: str | None = None
) -> bool:
    """True when a tag rule accepts ``value``.

    A blank value (empty or only whitespace) names nobody and nothing, so no rule accepts it.
    ``allowed_values``, when given, is the exact list of accepted values (an empty list accepts
    none); otherwise ``pattern``, when given, must match the whole value. A pattern that is not
    a valid regular expression accepts nothing rather than raising inside a policy.
    """
    if not value.strip():
        return False
    if allowed_values is not None:
        return value in allowed_values
    if pattern is not None:
        try:
            return re.fullmatch(pattern, value) is not None
        except re.error:
            return False
    return True


def expectation(allowed_values: Sequence[str] | None = None, pattern: str | None = None) -> str:
    """What the rule expects, for messages: "one of a, b", "a value matching p"..."""
    if allowed_values is not None:
        return "one of " + (", ".join(allowed_values) or "(none: the rule allows no value)")
    if pattern is not None:
        return f"a value matching {pattern}"
    return "a non-empty value"
