"""The approval rules and their evaluation: pure functions of what AWS returned.

Each rule yields one :class:`RuleResult`; a package passes when every rule passes. Rules that
cannot be judged (a metrics report that cannot be read, an identity the trigger did not carry)
fail closed, except the approver rule, which is skipped when no identity is available and says
so: the state-change event does not carry who approved.

Promotion state lives in the package's model lifecycle (``ModelLifeCycle``: ``Stage`` names an
environment of ``promotionOrder``, ``StageStatus`` is ``Approved`` once that environment
approved it), never in the package's own ``ModelApprovalStatus`` or customer metadata, which
the approval being judged sets or anyone who may update the package can write. A stage is
written by an allowed approver (the first environment's) or by the guard of that environment,
after the package passed its rules; :func:`check_stage_write` says who may write which.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

OPERATORS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
}
_THRESHOLD = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")
SOURCE_PACKAGE_KEY = "source-model-package-arn"
STAGE_APPROVED = "Approved"  # AWS's examples of stage statuses: PendingApproval, Approved, ...
STAGE_PENDING = "PendingApproval"

# IAM names: letters, digits and +=,.@_- (IAM user guide, "IAM identifiers"); a role or user
# may sit under a path. Only an assumed-role session name may hold a wildcard.
_IAM_NAME = r"[\w+=,.@-]{1,128}"
_APPROVER = re.compile(
    r"^arn:aws(?:-[a-z]+)*:(?:"
    rf"iam::\d{{12}}:(?:role|user)/(?:{_IAM_NAME}/)*{_IAM_NAME}"
    rf"|sts::\d{{12}}:assumed-role/{_IAM_NAME}/[\w+=,.@*?-]{{1,64}}"
    r")$"
)


_ROLE_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:.*/)?([^/]+)$")


def approver_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be an ``allowedApprovers`` entry, or None when it can.

    An entry names one principal: a 12-digit account and a role or user without wildcards.
    Only the session name of an ``assumed-role`` ARN may use ``*`` or ``?``, so that every
    session of one approver role matches; a wildcard anywhere else would let principals of
    any account or any role approve."""
    if isinstance(pattern, str) and _APPROVER.match(pattern):
        return None
    return (
        f"{pattern!r} does not name one principal: give arn:aws:iam::<account>:role/<name>, "
        "arn:aws:iam::<account>:user/<name> or arn:aws:sts::<account>:assumed-role/<role>/"
        "<session>, with a 12-digit account and no wildcard except in the session name"
    )


@dataclass(frozen=True)
class Threshold:
    metric: str
    operator: str
    value: float

    @classmethod
    def parse(cls, text: str) -> Threshold:
        match = _THRESHOLD.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not a threshold like 'auc >= 0.8'")
        return cls(match.group(1).lower(), match.group(2), float(match.group(3)))

    def holds(self, observed: float) -> bool:
        return OPERATORS[self.operator](observed, self.value)

    def __str__(self) -> str:
        return f"{self.metric} {self.operator} {self.value:g}"


@dataclass(frozen=True)
class GuardRules:
    """What one environment demands of a package approved in its registry."""

    environment: str
    required_metadata: tuple[str, ...] = ()
    default_thresholds: tuple[Threshold, ...] = ()
    group_thresholds: Mapping[str, tuple[Threshold, ...]] = field(default_factory=dict)
    require_description: bool = True
    promotion_order: tuple[str, ...] = ()
    previous_registry_account: str | None = None
    allowed_approvers: tuple[str, ...] = ()

    def thresholds_for(self, group: str) -> tuple[Threshold, ...]:
        return self.group_thresholds.get(group, self.default_thresholds)

    @property
    def previous_environment(self) -> str | None:
        order = list(self.promotion_order)
        if self.environment not in order or order.index(self.environment) == 0:
            return None
        return order[order.index(self.environment) - 1]

    def stages_from(self, environment: str) -> tuple[str, ...]:
        """``environment`` and the environments after it in the promotion order."""
        order = list(self.promotion_order)
        return tuple(order[order.index(environment) :]) if environment in order else ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "environment": self.environment,
                "requiredMetadata": list(self.required_metadata),
                "defaultThresholds": [str(t) for t in self.default_thresholds],
                "groupThresholds": {
                    g: [str(t) for t in ts] for g, ts in self.group_thresholds.items()
                },
                "requireDescription": self.require_description,
                "promotionOrder": list(self.promotion_order),
                "previousRegistryAccount": self.previous_registry_account,
                "allowedApprovers": list(self.allowed_approvers),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> GuardRules:
        data = json.loads(text)
        return cls(
            environment=str(data["environment"]),
            required_metadata=tuple(data.get("requiredMetadata") or ()),
            default_thresholds=tuple(
                Threshold.parse(t) for t in data.get("defaultThresholds") or ()
            ),
            group_thresholds={
                g: tuple(Threshold.parse(t) for t in ts)
                for g, ts in (data.get("groupThresholds") or {}).items()
            },
            require_description=bool(data.get("requireDescription", True)),
            promotion_order=tuple(data.get("promotionOrder") or ()),
            previous_registry_account=data.get("previousRegistryAccount"),
            allowed_approvers=_approvers(data.get("allowedApprovers") or ()),
        )


def _approvers(patterns: Any) -> tuple[str, ...]:
    problems = [p for p in (approver_problem(x) for x in patterns) if p]
    if problems:
        raise ValueError("allowedApprovers: " + "; ".join(problems))
    return tuple(patterns)


@dataclass(frozen=True)
class RuleResult:
    rule: str
    passed: bool
    detail: str
    judged: bool = True  # False: the rule could not be applied (said in detail)


@dataclass(frozen=True)
class PreviousApproval:
    """What the registry says about the package in the previous environment."""

    source_arn: str
    approved: bool
    why: str


def report_metrics(report: Mapping[str, Any]) -> dict[str, float]:
    """Metric values of a model quality report (``<problem>_metrics: {name: {value: x}}``),
    keyed by lower-case metric name."""
    found: dict[str, float] = {}
    for section, metrics in report.items():
        if not (isinstance(section, str) and section.endswith("_metrics")):
            continue
        if not isinstance(metrics, Mapping):
            continue
        for name, entry in metrics.items():
            value = entry.get("value") if isinstance(entry, Mapping) else None
            if (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and math.isfinite(value)
            ):
                found[str(name).lower()] = float(value)
    return found


def check_metadata(package: Mapping[str, Any], rules: GuardRules) -> RuleResult:
    metadata = package.get("CustomerMetadataProperties") or {}
    missing = [k for k in rules.required_metadata if not str(metadata.get(k, "")).strip()]
    if missing:
        return RuleResult("metadata", False, "missing customer metadata: " + ", ".join(missing))
    return RuleResult(
        "metadata",
        True,
        "all required metadata present" if rules.required_metadata else "no metadata required",
    )


def check_metrics(
    package: Mapping[str, Any],
    rules: GuardRules,
    report: Mapping[str, Any] | None,
    unavailable: str | None,
) -> RuleResult:
    thresholds = rules.thresholds_for(str(package.get("ModelPackageGroupName", "")))
    if not thresholds:
        return RuleResult("metrics", True, "no metric thresholds configured")
    if report is None:
        return RuleResult("metrics", False, f"model quality report unavailable: {unavailable}")
    values = report_metrics(report)
    failures = []
    for threshold in thresholds:
        observed = values.get(threshold.metric)
        if observed is None:
            failures.append(f"{threshold.metric} missing from the report")
        elif not threshold.holds(observed):
            failures.append(f"{threshold.metric} is {observed:g}, needs {threshold}")
    if failures:
        return RuleResult("metrics", False, "; ".join(failures))
    return RuleResult("metrics", True, ", ".join(str(t) for t in thresholds))


def check_description(package: Mapping[str, Any], rules: GuardRules) -> RuleResult:
    if not rules.require_description:
        return RuleResult("description", True, "not required")
    text = str(package.get("ApprovalDescription") or "").strip()
    if not text or text.startswith(REJECTION_PREFIX):
        return RuleResult("description", False, "the approval has no description")
    return RuleResult("description", True, "present")


def check_promotion(rules: GuardRules, previous: PreviousApproval | None) -> RuleResult:
    earlier = rules.previous_environment
    if earlier is None:
        return RuleResult(
            "promotion",
            True,
            f"{rules.environment} is first in the promotion order"
            if rules.promotion_order
            else "no promotion order configured",
        )
    if previous is None or not previous.approved:
        why = previous.why if previous is not None else "no lookup was possible"
        return RuleResult("promotion", False, f"not approved in {earlier} first ({why})")
    return RuleResult("promotion", True, f"approved in {earlier} as {previous.source_arn}")


def lifecycle_evidence(
    rules: GuardRules, arn: str, lifecycle: Mapping[str, Any] | None
) -> PreviousApproval:
    """Whether the model lifecycle of package ``arn`` shows it approved in the previous
    environment: its stage is that environment, or a later one of the order (which only the
    later environment's guard writes, after checking this), with status Approved."""
    earlier = rules.previous_environment or ""
    stage = str((lifecycle or {}).get("Stage") or "")
    status = str((lifecycle or {}).get("StageStatus") or "")
    if stage in rules.stages_from(earlier) and status == STAGE_APPROVED:
        return PreviousApproval(arn, True, f"model lifecycle stage {stage} {status}")
    if not stage:
        return PreviousApproval(arn, False, f"{arn} has no model lifecycle stage")
    return PreviousApproval(arn, False, f"{arn} is at model lifecycle stage {stage} ({status})")


def approver_allowed(rules: GuardRules, principal: str) -> bool:
    """``principal`` (CloudTrail's ``userIdentity.arn``) matches an allowed approver; an IAM
    role entry also matches that role's sessions (``assumed-role/<name>/<session>``, which
    carry no role path)."""
    for pattern in rules.allowed_approvers:
        if fnmatch.fnmatchcase(principal, pattern):
            return True
        role = _ROLE_ARN.match(pattern)
        if role is not None:
            partition, account, name = role.groups()
            if principal.startswith(f"arn:{partition}:sts::{account}:assumed-role/{name}/"):
                return True
    return False


def check_approver(rules: GuardRules, approver: str | None) -> RuleResult:
    if not rules.allowed_approvers:
        return RuleResult("approver", True, "any approver allowed")
    if approver is None:
        return RuleResult(
            "approver",
            True,
            "identity not in this trigger: checked on the CloudTrail event of the call",
            judged=False,
        )
    if approver_allowed(rules, approver):
        return RuleResult("approver", True, approver)
    return RuleResult("approver", False, f"{approver} may not approve models")


def same_principal(caller: str, guard: str | None) -> bool:
    """Whether CloudTrail's ``caller`` is the guard's own role (any session of it)."""
    if not guard:
        return False
    role = guard.rsplit("/", 1)[0] + "/" if ":assumed-role/" in guard else guard
    return caller == guard or caller.startswith(role)


def check_stage_write(
    rules: GuardRules, stage: str, status: str, caller: str, guard: str | None
) -> RuleResult:
    """Who may write a model lifecycle stage: only this environment's guard records this
    environment's stage (it does so when an approval passed every rule), and only allowed
    approvers (or the guard) mark a stage Approved."""
    if same_principal(caller, guard):
        return RuleResult("stage", True, f"recorded by the guard: {stage} {status}")
    if stage == rules.environment and stage in rules.promotion_order:
        return RuleResult(
            "stage",
            False,
            f"{caller} wrote model lifecycle stage {stage}, which only the {stage} approval "
            "guard records",
        )
    if status == STAGE_APPROVED and not (
        not rules.allowed_approvers or approver_allowed(rules, caller)
    ):
        return RuleResult(
            "stage", False, f"{caller} may not mark model lifecycle stage {stage} Approved"
        )
    return RuleResult("stage", True, f"{stage} {status} by {caller}")


REJECTION_PREFIX = "obsgov guard rejected approval:"


def rejection_description(results: list[RuleResult]) -> str:
    """The approval description the guard writes back: every failed rule, within the API's
    1,024-character limit."""
    failed = "; ".join(f"{r.rule}: {r.detail}" for r in results if not r.passed)
    text = f"{REJECTION_PREFIX} {failed}"
    return text if len(text) <= 1024 else text[:1021] + "..."
