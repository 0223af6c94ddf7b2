"""``obsgov:modelApproval.guard``: what the model approval guard demands in one environment.

The guard shares ``requiredMetadata`` and ``promotionOrder`` with the model-governance pack (one
source for both); the keys here are the guard's own.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from obsgov.model_guard.rules import GuardRules, Threshold, approver_problem

from .types import Model


def _thresholds(values: list[str]) -> list[str]:
    for value in values:
        Threshold.parse(value)  # raises ValueError with the offending text
    return values


Thresholds = Annotated[list[str], AfterValidator(_thresholds)]


def _approver(value: str) -> str:
    problem = approver_problem(value)
    if problem:
        raise ValueError(problem)
    return value


ApproverArn = Annotated[str, AfterValidator(_approver)]


class MetricThresholds(Model):
    """Quality-report thresholds such as ``auc >= 0.8``: ``default`` for every model package
    group, ``groups`` replacing it for named groups."""

    default: Thresholds = Field(default_factory=list)
    groups: dict[str, Thresholds] = Field(default_factory=dict)


class ApprovalGuardSettings(Model):
    enabled: bool = False
    metric_thresholds: MetricThresholds = Field(default_factory=MetricThresholds)
    require_description: bool = True
    # The principals that may approve: one role or user each, a wildcard only in an
    # assumed-role session name. Checked when CloudTrail names the caller, and the SCP lets
    # no one else set Approved.
    allowed_approvers: list[ApproverArn] = Field(default_factory=list)
    # Registry account of the previous environment of promotionOrder (default: this one's,
    # when every environment shares one registry).
    previous_registry_account_id: Annotated[str, Field(pattern=r"^[0-9]{12}$")] | None = None
    metrics_report_prefix: (
        Annotated[str, Field(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")] | None
    ) = None

    @model_validator(mode="after")
    def _reports_when_enabled(self) -> ApprovalGuardSettings:
        if (
            self.enabled
            and self.metrics_report_prefix is None
            and (self.metric_thresholds.default or self.metric_thresholds.groups)
        ):
            raise ValueError(
                "metricsReportPrefix is required when the guard checks metric "
                "thresholds: the function may read quality reports only there"
            )
        return self

    def rules(
        self,
        environment: str,
        required_metadata: list[str],
        promotion_order: list[str],
        previous_registry_account: str | None,
    ) -> GuardRules:
        return GuardRules(
            environment=environment,
            required_metadata=tuple(required_metadata),
            default_thresholds=tuple(Threshold.parse(t) for t in self.metric_thresholds.default),
            group_thresholds={
                g: tuple(Threshold.parse(t) for t in ts)
                for g, ts in self.metric_thresholds.groups.items()
            },
            require_description=self.require_description,
            promotion_order=tuple(promotion_order),
            previous_registry_account=previous_registry_account,
            allowed_approvers=tuple(self.allowed_approvers),
        )
