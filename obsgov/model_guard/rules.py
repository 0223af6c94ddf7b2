"""The approval rules and their evaluation: pure functions of what AWS returned.

Each rule yields one :class:`RuleResult`; a package passes when every rule passes. Rules that
cannot be judged (a metrics report that cannot be read, an identity the trigger did not carry)
fail closed, except the approver rule, which is skipped when no identity is available and says
so: the state-change event does not carry who approved.
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
APPROVED_ENVIRONMENTS_KEY = "approved-environments"


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
            allowed_approvers=tuple(data.get("allowedApprovers") or ()),
        )


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


def check_approver(rules: GuardRules, approver: str | None) -> RuleResult:
    if not rules.allowed_approvers:
        return RuleResult("approver", True, "any approver allowed")
    if approver is None:
        return RuleResult(
            "approver",
            True,
            "identity not in this trigger: checked on the CloudTrail UpdateModelPackage event",
            judged=False,
        )
    if any(fnmatch.fnmatchcase(approver, pattern) for pattern in rules.allowed_approvers):
        return RuleResult("approver", True, approver)
    return RuleResult("approver", False, f"{approver} may not approve models")


REJECTION_PREFIX = "obsgov guard rejected approval:"


def rejection_description(results: list[RuleResult]) -> str:
    """The approval description the guard writes back: every failed rule, within the API's
    1,024-character limit."""
    failed = "; ".join(f"{r.rule}: {r.detail}" for r in results if not r.passed)
    text = f"{REJECTION_PREFIX} {failed}"
    return text if len(text) <= 1024 else text[:1021] + "..."
