"""A small IAM policy evaluator with a third answer: "can't be known before deployment".

It follows AWS's documented evaluation logic for one request:

* a statement applies when its Action/NotAction, Resource/NotResource, Principal/NotPrincipal
  (resource policies) and every condition match; condition operators are ANDed, the values of
  one key are ORed, negated operators need every value to miss, a key absent from the request
  makes a condition false except for negated operators, ``...IfExists`` and ``Null``
  (reference_policies_elements_condition_operators.html, reference_policies_multi-value-conditions.html);
* an explicit Deny in any policy wins, else at least one Allow is needed
  (reference_policies_evaluation-logic.html, "Determining whether a request is allowed or
  denied within an account");
* within one account an Allow in the identity policy or in the resource policy is enough,
  except for KMS key policies and role trust policies, which must allow themselves; a resource
  policy that names the account (``arn:aws:iam::111122223333:root`` or ``111122223333``)
  delegates to the account's IAM policies rather than granting;
* across accounts both the principal's account (identity policy) and the resource's account
  (resource policy) must allow (reference_policies_evaluation-logic-cross-account.html);
* a permissions boundary and each level of service control policies above the principal's
  account are further kinds of policy that must each allow an IAM principal's request, and
  whose explicit Deny wins like any other (reference_policies_evaluation-logic.html,
  access_policies_boundaries.html; a service principal has neither).

Every answer is three-valued. A request value the graph cannot know before ``pulumi up`` (an
unknown account, an ARN computed by AWS) is :data:`UNKNOWN`; a statement whose match depends on
it is undecided, and the decision is :attr:`Decision.UNKNOWN` unless a known Deny or Allow
settles it anyway. A principal whose identity policies the graph does not hold (a role another
stack made) is evaluated with ``identity=None``: unknown, never allowed.

Where a caller needs a definite answer (onboarding proves the deployment role can deploy the
baseline), ``definite=True`` refuses with :class:`PolicyError` instead of answering UNKNOWN,
and refuses what it cannot model (policy variables, an operator outside the table,
``NotPrincipal`` outside a resource policy, a statement without Action or NotAction) at the
statement that holds it.

No maintained Python library evaluates requests this way: policyuniverse and parliament parse
and lint, iam-ape flattens a principal's own policies, principalmapper is unmaintained since
2022 and AGPL-licensed (the packs are vendored into published bundles); none answers "unknown".
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class _Unknown:
    """A request value that cannot be known before deployment."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


class PolicyError(ValueError):
    """A policy or request this evaluator cannot judge faithfully (``definite=True``)."""


def _undecidable(reason: str, definite: bool) -> Truth:
    """Undecided (None), or refused when the caller needs a definite answer."""
    if definite:
        raise PolicyError(reason)
    return None


class Decision(Enum):
    ALLOW = "allowed"
    IMPLICIT_DENY = "implicitly denied"
    EXPLICIT_DENY = "explicitly denied"
    UNKNOWN = "can't be known before deployment"

    @property
    def denied(self) -> bool:
        return self in (Decision.IMPLICIT_DENY, Decision.EXPLICIT_DENY)


# Three-valued truth: True, False or None (unknown).
Truth = bool | None


def _and(values: Iterable[Truth]) -> Truth:
    result: Truth = True
    for value in values:
        if value is False:
            return False
        if value is None:
            result = None
    return result


def _or(values: Iterable[Truth]) -> Truth:
    result: Truth = False
    for value in values:
        if value is True:
            return True
        if value is None:
            result = None
    return result


def _not(value: Truth) -> Truth:
    return None if value is None else not value


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Principal:
    """Who makes the request: an AWS service (``service="events.amazonaws.com"``) or an IAM
    principal in ``account`` (``arn`` of a role or user, or the account root)."""

    account: Any = UNKNOWN  # 12 digits, or UNKNOWN
    arn: Any = None  # role/user ARN, UNKNOWN, or None for a service
    service: str | None = None

    @property
    def label(self) -> str:
        if self.service:
            return self.service
        if isinstance(self.arn, str):
            return self.arn
        return f"a principal of account {_text(self.account)}"


@dataclass(frozen=True)
class Request:
    principal: Principal
    action: str
    resource: Any = "*"  # an ARN, or UNKNOWN; "*" for actions without resource types
    # condition keys (any case) -> value: a string, a list of strings (multivalued keys),
    # or UNKNOWN; a key that is absent is not in the request
    context: Mapping[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def keys(self) -> dict[str, Any]:
        return {k.lower(): v for k, v in self.context.items()}


def _text(value: Any) -> str:
    return "(unknown until deployment)" if value is UNKNOWN else str(value)


# --------------------------------------------------------------------------- matching


@functools.lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM wildcards: ``*`` any run of characters, ``?`` one character; nothing else is
    special (fnmatch's ``[...]`` classes are not IAM syntax)."""
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """Actions are case-insensitive (reference_policies_elements_action.html)."""
    return wildcard_match(pattern, action, ignore_case=True)


def arn_matches(pattern: str, arn: Any) -> Truth:
    """ARN matching as ``ArnLike`` does it: each of the six colon-separated parts matched on
    its own, wildcards allowed (reference_policies_elements_condition_operators.html#Conditions_ARN)."""
    if pattern == "*":
        return True
    if arn is UNKNOWN:
        return None
    if not isinstance(arn, str):
        return False
    pattern_parts = pattern.split(":", 5)
    arn_parts = arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return wildcard_match(pattern, arn)
    return all(wildcard_match(p, a) for p, a in zip(pattern_parts, arn_parts, strict=True))


def _strings(value: Any) -> list[Any]:
    if isinstance(value, (str, bool, int, float)):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    return []


def _has_variable(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


# --------------------------------------------------------------------------- conditions


def _string_equals(policy: str, actual: str, ignore_case: bool = False) -> bool:
    return policy.lower() == actual.lower() if ignore_case else policy == actual


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _instant(text: str) -> datetime.datetime | None:
    """A Date operator's value: W3C ISO 8601 or epoch seconds
    (reference_policies_elements_condition_operators.html#Conditions_Date)."""
    try:
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            # the epoch plus the seconds: no wall-clock or local-zone reading involved
            return _EPOCH + datetime.timedelta(seconds=float(text))
        found = datetime.datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return found if found.tzinfo else found.replace(tzinfo=datetime.UTC)


_ORDERED = {
    "Equals": lambda a, p: a == p,
    "LessThan": lambda a, p: a < p,
    "LessThanEquals": lambda a, p: a <= p,
    "GreaterThan": lambda a, p: a > p,
    "GreaterThanEquals": lambda a, p: a >= p,
}


def _compare(base: str, policy: Any, actual: Any) -> bool:
    """One policy value against one request value, for a non-negated base operator of
    :data:`_POSITIVE` (policy variables are handled by the caller)."""
    policy_text = str(policy).lower() if isinstance(policy, bool) else str(policy)
    actual_text = str(actual).lower() if isinstance(actual, bool) else str(actual)
    if base == "StringEquals":
        return _string_equals(policy_text, actual_text)
    if base == "StringEqualsIgnoreCase":
        return _string_equals(policy_text, actual_text, ignore_case=True)
    if base == "StringLike":
        return wildcard_match(policy_text, actual_text)
    if base == "ArnLike":
        # ArnEquals and ArnLike are the same operator: "Case-sensitive matching of the ARN.
        # Each of the six colon-delimited components of the ARN is checked separately and
        # each can include multi-character match wildcards (*) or single-character match
        # wildcards (?)." (reference_policies_elements_condition_operators.html#Conditions_ARN)
        return arn_matches(policy_text, actual_text) is True
    if base == "Bool":
        return policy_text.lower() == actual_text.lower()
    if base.startswith("Numeric"):
        try:
            number, limit = float(actual_text), float(policy_text)
        except ValueError:
            return False
        return bool(_ORDERED[base.removeprefix("Numeric")](number, limit))
    # Date*
    instant, limit_instant = _instant(actual_text), _instant(policy_text)
    if instant is None or limit_instant is None:
        return False
    return bool(_ORDERED[base.removeprefix("Date")](instant, limit_instant))


# every documented operator this evaluator models, negated form -> positive form
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnLike",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
}
_POSITIVE = {
    "StringEquals": "StringEquals",
    "StringEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringLike": "StringLike",
    "ArnEquals": "ArnLike",
    "ArnLike": "ArnLike",
    "Bool": "Bool",
    **{f"{kind}{order}": f"{kind}{order}" for kind in ("Numeric", "Date") for order in _ORDERED},
}


@dataclass(frozen=True)
class ConditionResult:
    truth: Truth
    operator: str
    key: str
    expected: tuple[str, ...]
    actual: Any  # the request's value, UNKNOWN, or None when absent


def _is_empty(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and not value


def _split_operator(operator: str) -> tuple[str, str, bool]:
    """``ForAnyValue:StringLikeIfExists`` -> (set operator, base operator, IfExists)."""
    set_op = ""
    base = operator
    if ":" in operator:
        set_op, base = operator.split(":", 1)
    if_exists = base.endswith("IfExists")
    if if_exists:
        base = base.removesuffix("IfExists")
    return set_op, base, if_exists


def _truth_when_absent(set_op: str, if_exists: bool, negated: bool) -> Truth:
    """A condition on a key the request does not carry."""
    if set_op == "ForAllValues":
        return True  # an empty request set is a subset of anything
    if set_op == "ForAnyValue":
        return False
    return bool(if_exists or negated)


def evaluate_condition(
    operator: str, key: str, expected: Any, request: Request, *, definite: bool = False
) -> ConditionResult:
    """One ``operator: {key: values}`` pair of a Condition block."""
    values = _strings(expected)
    expected_text = tuple(str(v) for v in values)
    present = key.lower() in request.keys
    actual = request.keys.get(key.lower())

    def result(truth: Truth, shown: Any = actual) -> ConditionResult:
        return ConditionResult(truth, operator, key, expected_text, shown)

    if operator == "Null":
        if actual is UNKNOWN:
            return result(_undecidable(f"{key} is unknown until deployment", definite))
        # "Null": "true" asks for the key to be absent, "false" for it to exist with a value
        # that is not empty; the values are ORed like any other
        # (reference_policies_condition_examples-multi-valued-context-keys.html: a Null
        # condition set to false checks "the context key in the request exists and its
        # value is not null"; an empty list counts as null)
        absent = not present or _is_empty(actual)
        wanted = "true" if absent else "false"
        return result(any(str(v).lower() == wanted for v in values))

    set_op, base, if_exists = _split_operator(operator)
    negated = base in _NEGATED
    positive = _NEGATED.get(base) or _POSITIVE.get(base)
    if positive is None or set_op not in ("", "ForAllValues", "ForAnyValue"):
        # not modelled: undecided whether or not the key is present (an unknown operator
        # may be a negated one, which an absent key satisfies)
        return result(
            _undecidable(f"condition operator {operator} is not supported", definite), None
        )
    if definite and any(_has_variable(v) for v in values):
        raise PolicyError(f"policy variables are not supported: {', '.join(expected_text)}")

    if not present:
        return result(_truth_when_absent(set_op, if_exists, negated), None)
    if actual is UNKNOWN:
        return result(_undecidable(f"{key} is unknown until deployment", definite))

    request_values = _strings(actual)
    if any(v is UNKNOWN for v in request_values):
        return result(_undecidable(f"{key} is unknown until deployment", definite))

    def one(request_value: Any) -> Truth:
        # a policy variable resolves from the request at run time: that value is undecided
        matched = _or(
            None if _has_variable(p) else _compare(positive, p, request_value) for p in values
        )
        return _not(matched) if negated else matched

    if set_op == "ForAllValues":
        return result(_and(one(v) for v in request_values))
    if set_op == "ForAnyValue":
        return result(_or(one(v) for v in request_values))
    if negated:
        # negated operators need every request value to miss every policy value
        return result(_and(one(v) for v in request_values))
    return result(_or(one(v) for v in request_values))


# --------------------------------------------------------------------------- statements


def _listed(statement: Mapping[str, Any], key: str) -> list[Any] | None:
    if key not in statement:
        return None
    return _strings(statement[key])


def _principal_matches(
    principal_block: Any, who: Principal, resource_account: Any
) -> tuple[Truth, bool]:
    """(matches, delegated): whether the Principal element names ``who``; ``delegated`` is true
    when it matched only through the account (``arn:aws:iam::ACCOUNT:root`` or ``ACCOUNT``),
    which grants nothing by itself: the account's IAM policies decide."""
    if principal_block == "*":
        return True, False
    if not isinstance(principal_block, Mapping):
        return False, False
    # "Principal": {"AWS": "*"} is the same as "Principal": "*": everyone, services included
    # (reference_policies_elements_principal.html, "All principals")
    if "*" in _strings(principal_block.get("AWS")):
        return True, False
    if who.service:
        services = _strings(principal_block.get("Service"))
        return who.service in services, False
    entries = _strings(principal_block.get("AWS"))
    result: Truth = False
    delegated = False
    for entry in entries:
        entry = str(entry)
        account_entry = entry if entry.isdigit() else None
        match = re.fullmatch(r"arn:aws[a-z-]*:iam::(\d{12}):root", entry)
        if match:
            account_entry = match.group(1)
        if account_entry is not None:
            if who.account is UNKNOWN:
                result = _or([result, None])
            elif who.account == account_entry:
                result, delegated = True, True
            continue
        if who.arn is UNKNOWN:
            result = _or([result, None])
        elif isinstance(who.arn, str) and entry == who.arn:
            return True, False
    return result, delegated


@dataclass(frozen=True)
class StatementResult:
    sid: str
    effect: str
    applies: Truth
    delegated: bool
    failed: tuple[ConditionResult, ...]  # conditions that were false or unknown


def _resource_matches(patterns: list[Any], resource: Any, definite: bool) -> Truth:
    def one(pattern: str) -> Truth:
        if _has_variable(pattern):
            # a policy variable resolves from the request at run time
            return _undecidable(f"policy variables are not supported: {pattern}", definite)
        return arn_matches(pattern, resource)

    return _or(one(str(p)) for p in patterns)


def _principal_part(
    statement: Mapping[str, Any], who: Principal, resource_account: Any
) -> tuple[Truth, bool]:
    """(matches, delegated) of a resource policy statement's Principal or NotPrincipal; a
    statement with neither names nobody."""
    if "Principal" in statement:
        return _principal_matches(statement["Principal"], who, resource_account)
    if "NotPrincipal" in statement:
        matched, _ = _principal_matches(statement["NotPrincipal"], who, resource_account)
        return _not(matched), False
    return False, False


def evaluate_statement(
    statement: Mapping[str, Any],
    request: Request,
    resource_policy: bool,
    resource_account: Any,
    *,
    definite: bool = False,
) -> StatementResult:
    sid = str(statement.get("Sid", ""))
    effect = str(statement.get("Effect", ""))
    parts: list[Truth] = []
    if definite and not resource_policy and "NotPrincipal" in statement:
        raise PolicyError("NotPrincipal is not supported outside a resource policy")
    actions = _listed(statement, "Action")
    not_actions = _listed(statement, "NotAction")
    if actions is not None:
        parts.append(any(action_matches(str(a), request.action) for a in actions))
    elif not_actions is not None:
        parts.append(not any(action_matches(str(a), request.action) for a in not_actions))
    elif definite:
        raise PolicyError("a statement needs Action or NotAction")
    else:
        parts.append(False)
    resources = _listed(statement, "Resource")
    not_resources = _listed(statement, "NotResource")
    if parts[0] is False:
        pass  # the action decides; a resource it would not reach is never refused
    elif resources is not None:
        parts.append(_resource_matches(resources, request.resource, definite))
    elif not_resources is not None:
        parts.append(_not(_resource_matches(not_resources, request.resource, definite)))
    elif not resource_policy:
        parts.append(False)  # identity statements must name resources
    delegated = False
    if resource_policy:
        matched, delegated = _principal_part(statement, request.principal, resource_account)
        parts.append(matched)
    failed: list[ConditionResult] = []
    if _and(parts) is not False:
        conditions = statement.get("Condition")
        for operator, pairs in conditions.items() if isinstance(conditions, Mapping) else ():
            for key, expected in pairs.items() if isinstance(pairs, Mapping) else ():
                result = evaluate_condition(
                    str(operator), str(key), expected, request, definite=definite
                )
                parts.append(result.truth)
                if result.truth is not True:
                    failed.append(result)
    return StatementResult(sid, effect, _and(parts), delegated, tuple(failed))


def policy_statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of a policy document (a mapping, or its JSON text as IAM stores it)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    if not isinstance(document, Mapping):
        return []
    raw = document.get("Statement")
    if isinstance(raw, Mapping):
        raw = [raw]
    return [s for s in _strings(raw) if isinstance(s, Mapping)]


def _is_policy(document: Any) -> bool:
    """A document with no statements is still a policy (it allows nothing)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return False
    return isinstance(document, Mapping)


# --------------------------------------------------------------------------- policies


@dataclass(frozen=True)
class PolicyResult:
    """What one set of policies says about a request."""

    decision: Decision  # ALLOW, EXPLICIT_DENY, IMPLICIT_DENY or UNKNOWN
    delegated_only: bool = False  # allowed only by naming the account (resource policies)
    closest: tuple[StatementResult, ...] = ()  # Allow statements that nearly applied

    def why(self, label: str) -> str:
        if self.decision is Decision.ALLOW:
            return f"{label} allows it"
        if self.decision is Decision.EXPLICIT_DENY:
            return f"{label} denies it explicitly"
        reasons = []
        for statement in self.closest:
            for failed in statement.failed:
                name = f"statement {statement.sid}" if statement.sid else "a statement"
                verb = "can't be checked" if failed.truth is None else "fails"
                reasons.append(
                    f"{name} {verb} on {failed.operator} {failed.key} "
                    f"{' or '.join(failed.expected)} (the request has "
                    f"{'none' if failed.actual is None else _text(failed.actual)})"
                )
        if self.decision is Decision.UNKNOWN:
            return f"{label} can't be judged before deployment" + (
                f": {'; '.join(reasons)}" if reasons else ""
            )
        return f"no statement of {label} allows it" + (f": {'; '.join(reasons)}" if reasons else "")


def evaluate_policies(
    documents: Iterable[Any],
    request: Request,
    resource_policy: bool,
    resource_account: Any = UNKNOWN,
    *,
    definite: bool = False,
) -> PolicyResult:
    """AWS's order: any applicable Deny wins, then at least one Allow is needed."""
    deny: Truth = False
    allow: Truth = False
    direct_allow = False
    closest: list[StatementResult] = []
    for document in documents:
        if definite and not policy_statements(document) and not _is_policy(document):
            raise PolicyError(f"not a policy document: {str(document)[:80]}")
        for statement in policy_statements(document):
            result = evaluate_statement(
                statement, request, resource_policy, resource_account, definite=definite
            )
            if result.effect == "Deny":
                deny = _or([deny, result.applies])
            elif result.effect == "Allow":
                if result.applies is True and not result.delegated:
                    direct_allow = True
                allow = _or([allow, result.applies])
                if result.applies is not True and result.failed:
                    closest.append(result)
    if deny is True:
        return PolicyResult(Decision.EXPLICIT_DENY)
    if allow is True and deny is False:
        return PolicyResult(Decision.ALLOW, delegated_only=not direct_allow)
    if allow is False:
        return PolicyResult(Decision.IMPLICIT_DENY, closest=tuple(closest))
    return PolicyResult(Decision.UNKNOWN, closest=tuple(closest))


@dataclass(frozen=True)
class Evaluation:
    decision: Decision
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


def evaluate(  # noqa: PLR0913 - AWS's evaluation inputs: request, identity, resource, boundary, SCPs
    request: Request,
    identity: Sequence[Any] | None,
    resource: Sequence[Any] | None,
    resource_account: Any,
    *,
    resource_label: str = "the resource policy",
    identity_label: str = "the principal's policies",
    resource_must_allow: bool = False,
    boundary: Any | None = None,
    scps: Sequence[Sequence[Any]] = (),
    definite: bool = False,
) -> Evaluation:
    """The decision for ``request`` given the principal's identity policies (None when the
    graph does not hold them; a service principal has none) and the resource's policy
    (None when the resource has no resource policy).

    ``resource_must_allow`` is for KMS key policies and role trust policies, which must allow
    the request themselves (directly, or by naming the account, which then delegates to IAM).
    ``boundary`` is the principal's permissions boundary and ``scps`` the service control
    policies of each level above its account (root, OUs, the account): each must allow an
    IAM principal's request too. ``definite`` raises :class:`PolicyError` where the answer
    would be UNKNOWN.
    """
    service = request.principal.service is not None
    cross_account = _cross_account(request.principal, resource_account)

    resource_result = (
        evaluate_policies(resource, request, True, resource_account, definite=definite)
        if resource is not None
        else None
    )
    identity_result: PolicyResult | None = None
    # policies that must each allow an IAM principal's request (services have none)
    guardrails: list[tuple[PolicyResult, str]] = []
    if not service:
        identity_result = (
            evaluate_policies(identity, request, False, definite=definite)
            if identity is not None
            else None
        )
        guardrails = _guardrail_results(request, boundary, scps, definite)

    # explicit denies first, wherever they are
    for result, label in (
        (resource_result, resource_label),
        (identity_result, identity_label),
        *guardrails,
    ):
        if result is not None and result.decision is Decision.EXPLICIT_DENY:
            return Evaluation(Decision.EXPLICIT_DENY, (result.why(label),))

    reasons: list[str] = []
    res_allows, res_direct = _resource_allows(resource_result, resource_label, reasons)
    decision: Truth
    if service:
        decision = res_allows
        if resource_result is None:
            reasons.append(f"{resource_label} does not exist, so no service may use it")
    else:
        ident = _identity_allows(identity_result, identity_label, reasons)
        decision = _both_sides_allow(
            res_allows, res_direct, ident, cross_account, resource_must_allow
        )
    for result, label in guardrails:
        # an Allow elsewhere is capped by every boundary and SCP level that does not allow
        if decision is not False and result.decision is not Decision.ALLOW:
            reasons.append(result.why(label))
            decision = _and([decision, None if result.decision is Decision.UNKNOWN else False])
    if decision is True:
        return Evaluation(Decision.ALLOW, ())
    if decision is None:
        if definite:
            raise PolicyError(f"{request.action} can't be decided: {'; '.join(reasons)}")
        return Evaluation(Decision.UNKNOWN, tuple(reasons))
    return Evaluation(Decision.IMPLICIT_DENY, tuple(reasons))


def _cross_account(principal: Principal, resource_account: Any) -> Truth:
    """Whether an IAM principal reaches into another account (never, for a service)."""
    if principal.service is not None:
        return False
    if principal.account is UNKNOWN or resource_account is UNKNOWN:
        return None
    return principal.account != resource_account


def _guardrail_results(
    request: Request, boundary: Any | None, scps: Sequence[Sequence[Any]], definite: bool
) -> list[tuple[PolicyResult, str]]:
    """The permissions boundary and each SCP level, with the label a reason names them by."""
    guardrails: list[tuple[PolicyResult, str]] = []
    if boundary is not None:
        guardrails.append(
            (
                evaluate_policies([boundary], request, False, definite=definite),
                "the permissions boundary",
            )
        )
    for level, documents in enumerate(scps, start=1):
        guardrails.append(
            (
                evaluate_policies(documents, request, False, definite=definite),
                f"the service control policies (level {level})",
            )
        )
    return guardrails


def _identity_allows(
    identity_result: PolicyResult | None, identity_label: str, reasons: list[str]
) -> Truth:
    """Whether an IAM principal's own policies allow (None when the stack lacks them)."""
    if identity_result is None:
        reasons.append(f"{identity_label} are not in this stack")
        return None
    if identity_result.decision is Decision.ALLOW:
        return True
    reasons.append(identity_result.why(identity_label))
    return None if identity_result.decision is Decision.UNKNOWN else False


def _resource_allows(
    resource_result: PolicyResult | None, resource_label: str, reasons: list[str]
) -> tuple[Truth, bool]:
    """(allows, directly): ``directly`` false when it allows only by naming the account."""
    if resource_result is None:
        return False, False
    if resource_result.decision is Decision.ALLOW:
        return True, not resource_result.delegated_only
    reasons.append(resource_result.why(resource_label))
    return (None if resource_result.decision is Decision.UNKNOWN else False), False


def _both_sides_allow(
    res_allows: Truth,
    res_direct: bool,
    ident: Truth,
    cross_account: Truth,
    resource_must_allow: bool,
) -> Truth:
    """An IAM principal's request, from what the resource policy and the identity policies
    each say."""
    if resource_must_allow or cross_account is True:
        # both sides: the resource policy must allow (naming the account delegates to IAM,
        # which then must allow too); cross-account, the identity must allow as well
        if res_allows is True and res_direct and not cross_account:
            return True
        return _and([res_allows, ident])
    if cross_account is None:
        same = _or([_and([res_allows, res_direct]), ident, _and([res_allows, ident])])
        both = _and([res_allows, ident])
        return both if both is True else (False if same is False else None)
    # the same account: an Allow on either side is enough, but an Allow that names only
    # the account delegates to the identity policies
    return _or([_and([res_allows, res_direct]), ident])


def document_actions(document: Any) -> Iterable[str]:
    """Every action an identity document names (for reporting)."""
    for statement in policy_statements(document):
        yield from (str(a) for a in _strings(statement.get("Action")))


__all__ = [
    "UNKNOWN",
    "Decision",
    "Evaluation",
    "PolicyError",
    "Principal",
    "Request",
    "arn_matches",
    "evaluate",
    "evaluate_condition",
    "evaluate_policies",
    "policy_statements",
    "wildcard_match",
]
