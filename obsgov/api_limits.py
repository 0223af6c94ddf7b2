"""AWS's own limits on a parameter, read from the API models botocore ships.

Every botocore service model gives each request member its ``min``/``max`` length, ``pattern``
and ``enum``: the constraints AWS's API validates. Checking a value against them here, before
the call, turns what would be a ``ValidationException`` half-way through a run into a bad-input
message naming the option, and keeps obsgov from retyping limits that AWS may change.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any


@cache
def _member(service: str, operation: str, member: str) -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    return model.operation_model(operation).input_shape.members[member]


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    # botocore's patterns are AWS's (Java) regular expressions; the \uXXXX escapes and
    # classes they use read the same in Python. AWS matches the whole value.
    return re.compile(pattern)


def constraints(service: str, operation: str, member: str) -> dict[str, Any]:
    shape = _member(service, operation, member)
    return {k: v for k, v in shape.metadata.items() if k in ("min", "max", "pattern", "enum")}


def problem(service: str, operation: str, member: str, value: str) -> str | None:
    """Why AWS would refuse ``value`` for ``member`` of ``operation``, or None."""
    limits = constraints(service, operation, member)
    where = f"{service} {operation} {member}"
    if "enum" in limits and value not in limits["enum"]:
        return f"must be one of {', '.join(limits['enum'])} ({where})"
    low, high = limits.get("min"), limits.get("max")
    if low is not None and len(value) < low or high is not None and len(value) > high:
        if low is not None and high is not None:
            span = f"{low}-{high} characters"
        elif high is not None:
            span = f"at most {high} characters"
        else:
            span = f"at least {low} characters"
        return f"must be {span}, not {len(value)} ({where})"
    pattern = limits.get("pattern")
    if pattern and not _compiled(pattern).fullmatch(value):
        return f"does not match AWS's pattern {pattern} ({where})"
    return None


# IAM identifiers (IAM User Guide, "IAM identifiers", ARN formats): a managed policy and an IAM
# principal a trust policy may name. AWS's API models give these parameters only a length.
_PARTITION = r"aws(?:-[a-z]+){0,3}"
POLICY_ARN = re.compile(
    rf"arn:{_PARTITION}:iam::(?:\d{{12}}|aws):policy/(?:[\x21-\x7e]*/)?[\w+=,.@-]{{1,128}}"
)
PRINCIPAL_ARN = re.compile(
    rf"arn:{_PARTITION}:iam::(\d{{12}}):(root|(role|user)/(?:[\x21-\x7e]*/)?[\w+=,.@-]{{1,64}})"
)


def policy_arn_problem(value: str) -> str | None:
    reason = problem("iam", "AttachRolePolicy", "PolicyArn", value)
    if reason:
        return reason
    if not POLICY_ARN.fullmatch(value):
        return "must be a managed policy ARN (arn:aws:iam::<account or aws>:policy/<name>)"
    return None


def principal_problem(value: str) -> str | None:
    """A principal a deployment role may trust: one named role or user, never a wildcard
    and never a whole account (``:root`` trusts every principal the account allows)."""
    if "*" in value or "?" in value:
        return "must name one role or user: wildcards would let anyone assume the role"
    match = PRINCIPAL_ARN.fullmatch(value)
    if match is None:
        return (
            "must be an IAM role or user ARN (arn:aws:iam::<account>:role/<path/><name>), "
            "not a session ARN (arn:aws:sts::...:assumed-role/...): give the role's ARN with "
            "its path"
        )
    if match.group(2) == "root":
        return (
            "must name one role or user, not the whole account (:root trusts every "
            "principal the account allows)"
        )
    return None
