"""A small IAM policy evaluator: identity policies, a permissions boundary and SCPs, with
conditions, following AWS's documented evaluation logic for a principal in its own account.

What it follows (IAM User Guide, "Policy evaluation logic",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):

* an explicit ``Deny`` in any policy that applies wins;
* otherwise the request is allowed only if every kind of policy present allows it: the
  identity policies, the permissions boundary (when the principal has one) and each level of
  service control policies (when given); an action no statement allows is implicitly denied.

Matching (IAM JSON policy element reference, "Action", "Resource", "Condition"):

* actions are ``service:Name``, compared without regard to case, ``*`` and ``?`` wildcards;
* resources are ARNs compared with regard to case; wildcards match within the first five
  colon-separated parts, and across ``:`` and ``/`` in the resource part;
* the condition operators below, with ``...IfExists``, ``ForAnyValue:``/``ForAllValues:`` and
  ``Null``; keys of a block are ANDed, values of a key ORed (NORed for the negated
  operators); a key the request lacks fails a positive operator and passes a negated one
  ("Condition operators": "If the key that you specify in a policy condition is not present
  in the request context, the values do not match and the condition is false. If the policy
  condition requires that the key is not matched, such as StringNotLike or ArnNotLike, and
  the right key is not present, the condition is true.").

Not covered, and refused rather than guessed: policy variables (``${...}``) in resources or
condition values, ``NotPrincipal``, and operators outside the table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

ContextValue = str | bool | int | Sequence[str]
Verdict = Literal["allow", "explicit-deny", "implicit-deny"]


class PolicyError(ValueError):
    """A policy this evaluator cannot judge faithfully."""


@dataclass(frozen=True)
class Request:
    """One authorization request: ``action`` on ``resource`` with the request context."""

    action: str
    resource: str = "*"
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def value(self, key: str) -> ContextValue | None:
        wanted = key.lower()
        for name, value in self.context.items():
            if name.lower() == wanted:
                return value
        return None


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str

    @property
    def allowed(self) -> bool:
        return self.verdict == "allow"


# ---------------------------------------------------------------------------- matching


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    # IAM knows only * and ? (fnmatch would also give meaning to [...])
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    return glob_match(pattern, action, ignore_case=True)


def arn_matches(pattern: str, arn: str) -> bool:
    """``Resource`` matching: ``*`` alone matches anything; otherwise part by part."""
    if "${" in pattern:
        raise PolicyError(f"policy variables are not supported: {pattern}")
    if pattern == "*":
        return True
    want = pattern.split(":", 5)
    have = arn.split(":", 5)
    if len(want) != 6 or len(have) != 6:
        return glob_match(pattern, arn)
    return all(glob_match(p, v) for p, v in zip(want, have, strict=True))


# ---------------------------------------------------------------------------- conditions


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _string_equals(policy: str, value: str) -> bool:
    return policy == value


def _string_equals_ic(policy: str, value: str) -> bool:
    return policy.lower() == value.lower()


def _string_like(policy: str, value: str) -> bool:
    return glob_match(policy, value)


def _arn_like(policy: str, value: str) -> bool:
    return arn_matches(policy, value)


def _bool(policy: str, value: str) -> bool:
    return policy.lower() == value.lower()


def _numeric(op: str):
    import operator

    compare = {
        "NumericEquals": operator.eq,
        "NumericLessThan": operator.lt,
        "NumericLessThanEquals": operator.le,
        "NumericGreaterThan": operator.gt,
        "NumericGreaterThanEquals": operator.ge,
    }[op]

    def match(policy: str, value: str) -> bool:
        try:
            return bool(compare(float(value), float(policy)))
        except ValueError:
            return False

    return match


# operator -> (match one policy value against one request value, negated)
_OPERATORS: dict[str, tuple[Any, bool]] = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (_string_equals_ic, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ic, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "Bool": (_bool, False),
    "NumericEquals": (_numeric("NumericEquals"), False),
    "NumericNotEquals": (_numeric("NumericEquals"), True),
    "NumericLessThan": (_numeric("NumericLessThan"), False),
    "NumericLessThanEquals": (_numeric("NumericLessThanEquals"), False),
    "NumericGreaterThan": (_numeric("NumericGreaterThan"), False),
    "NumericGreaterThanEquals": (_numeric("NumericGreaterThanEquals"), False),
}


def _key_holds(operator: str, key: str, policy_values: list[Any], request: Request) -> bool:
    qualifier = ""
    if ":" in operator and operator.split(":", 1)[0] in ("ForAnyValue", "ForAllValues"):
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    if if_exists:
        operator = operator[: -len("IfExists")]
    present = request.value(key)
    if operator == "Null":
        absent = present is None or (isinstance(present, (list, tuple)) and not present)
        return any(_text(v).lower() == ("true" if absent else "false") for v in policy_values)
    if operator not in _OPERATORS:
        raise PolicyError(f"condition operator {operator} is not supported")
    match, negated = _OPERATORS[operator]
    wanted = [_text(v) for v in policy_values]
    if any("${" in w for w in wanted):
        raise PolicyError(f"policy variables are not supported: {wanted}")
    values = [_text(v) for v in _as_list(present)]
    if qualifier == "ForAllValues":
        # true when every request value matches (vacuously true for none)
        return all(any(match(w, v) for w in wanted) != negated for v in values)
    if qualifier == "ForAnyValue":
        return any(any(match(w, v) for w in wanted) != negated for v in values)
    if present is None:
        return True if if_exists else negated
    hit = any(match(w, v) for w in wanted for v in values)
    return not hit if negated else hit


def conditions_hold(condition: Mapping[str, Any] | None, request: Request) -> bool:
    for operator, block in (condition or {}).items():
        if not isinstance(block, Mapping):
            raise PolicyError(f"condition {operator} must map keys to values")
        for key, values in block.items():
            if not _key_holds(operator, key, _as_list(values), request):
                return False
    return True


# ---------------------------------------------------------------------------- statements


def statements(policy: Mapping[str, Any] | str) -> list[Mapping[str, Any]]:
    document = json.loads(policy) if isinstance(policy, str) else policy
    found = document.get("Statement", [])
    return [found] if isinstance(found, Mapping) else list(found)


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "NotPrincipal" in statement:
        raise PolicyError("NotPrincipal is not supported")
    if "Action" in statement:
        if not any(action_matches(p, request.action) for p in _as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(action_matches(p, request.action) for p in _as_list(statement["NotAction"])):
            return False
    else:
        raise PolicyError("a statement needs Action or NotAction")
    if "Resource" in statement:
        if not any(arn_matches(p, request.resource) for p in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(arn_matches(p, request.resource) for p in _as_list(statement["NotResource"])):
            return False
    return conditions_hold(statement.get("Condition"), request)


def decide(policies: Iterable[Mapping[str, Any] | str], request: Request) -> Verdict:
    """One kind of policy (all of a principal's identity policies, say): explicit deny,
    allow, or no statement that allows."""
    allowed = False
    for policy in policies:
        for statement in statements(policy):
            if not statement_applies(statement, request):
                continue
            if statement.get("Effect") == "Deny":
                return "explicit-deny"
            if statement.get("Effect") == "Allow":
                allowed = True
    return "allow" if allowed else "implicit-deny"


def evaluate(
    request: Request,
    identity: Sequence[Mapping[str, Any] | str],
    boundary: Mapping[str, Any] | str | None = None,
    scps: Sequence[Sequence[Mapping[str, Any] | str]] = (),
) -> Decision:
    """The decision for a principal with ``identity`` policies, an optional permissions
    ``boundary`` and the SCPs of each level above its account (root, OUs, account)."""
    kinds: list[tuple[str, Sequence[Mapping[str, Any] | str]]] = [("identity policy", identity)]
    if boundary is not None:
        kinds.append(("permissions boundary", [boundary]))
    kinds += [(f"service control policies (level {i + 1})", level) for i, level in enumerate(scps)]
    verdicts = [(name, decide(policies, request)) for name, policies in kinds]
    for name, verdict in verdicts:
        if verdict == "explicit-deny":
            return Decision("explicit-deny", f"explicitly denied by the {name}")
    for name, verdict in verdicts:
        if verdict != "allow":
            return Decision("implicit-deny", f"not allowed by the {name}")
    return Decision("allow", "allowed by " + ", ".join(name for name, _ in verdicts))


__all__ = [
    "Decision",
    "PolicyError",
    "Request",
    "action_matches",
    "arn_matches",
    "conditions_hold",
    "decide",
    "evaluate",
    "glob_match",
    "statements",
]
