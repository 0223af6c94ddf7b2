"""What a platform alarm is, independent of Pulumi: its metrics, signal class, severity and name.

Every alarm carries a signal class (latency, errors, traffic, saturation, freshness, quality)
and a severity, as tags and in its description. Alarms are named
``<env>-<account>-<workload>-<signal>``: alert routing and the guardrails match on the prefix.
The builders (``endpoint_alarms``, ``pipeline_alarms``, ``kpi_alarms``) return these specs;
``workload_alarms`` turns them into resources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from obsgov.config.models.settings import AlarmDefaults
from obsgov_policies.signals import ERRORS, FRESHNESS, LATENCY, QUALITY, SATURATION, TRAFFIC

# The signal classes (obsgov_policies.signals), and the severity of an alarm whose spec names none.
DEFAULT_SEVERITY = {
    ERRORS: "high",
    FRESHNESS: "high",
    LATENCY: "medium",
    TRAFFIC: "medium",
    SATURATION: "medium",
    QUALITY: "medium",
}


@dataclass(frozen=True)
class MetricRef:
    namespace: str
    name: str
    dimensions: Mapping[str, str]
    stat: str  # a statistic or a percentile such as p99
    unit: str | None = None  # set only where AWS documents the unit it publishes with
    period: int | None = None  # None: the environment's alarm period


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm, independent of Pulumi.

    A static alarm has one metric; a metric-math alarm has several metrics and an
    ``expression`` over their ids; an anomaly alarm has one metric (id ``m1``) and a
    ``band_width``, and no threshold.
    """

    signal: str  # the alarm name's last part
    signal_class: str
    what: str  # what broke, for the on-call
    where: str  # where to look first
    operator: str
    metrics: Mapping[str, MetricRef]
    threshold: float | None = None
    expression: str | None = None
    label: str | None = None
    band_width: float | None = None
    # None: the environment's treatMissingData. Continuous signals (latency, error rates,
    # saturation, bands) use it, because whether silence from a serving workload is suspect is
    # an environment decision (prod: breaching); signals whose absence has one meaning set it.
    treat_missing: str | None = None
    evaluation: tuple[int, int] | None = None  # (periods, datapoints); None: defaults
    severity: str | None = None  # None: by signal class
    # A percentile alarm's EvaluateLowSampleCountPercentile: "ignore" keeps the alarm's state
    # through periods with too few samples for the percentile to mean anything (CloudWatch:
    # fewer than 10/(1-p), 1,000 for p99, where p99 is just the period's maximum).
    low_sample_percentile: str | None = None

    @property
    def level(self) -> str:
        return self.severity or DEFAULT_SEVERITY[self.signal_class]


def alarm_prefix(environment: str, account_name: str) -> str:
    """Every alarm of one account starts with it; alert routing and the guardrails match on it."""
    return f"{environment}-{account_name}-"


def alarm_name(environment: str, account_name: str, workload: str, signal: str) -> str:
    """``<env>-<account>-<workload>-<signal>``: the one naming rule for every platform alarm."""
    return f"{alarm_prefix(environment, account_name)}{workload}-{signal}"


@dataclass(frozen=True)
class AlarmContext:
    """What every alarm of one account shares."""

    logical_prefix: str  # the owning component's name: keeps logical names unique per stack
    environment: str
    account_name: str
    account_id: str
    region: str
    defaults: AlarmDefaults
    actions: Sequence[str]
    opts: pulumi.ResourceOptions
    runbook_url: str | None = None

    @property
    def name_prefix(self) -> str:
        """Every alarm of this account starts with it; alert routing matches on it."""
        return alarm_prefix(self.environment, self.account_name)

    def alarm_name(self, workload: str, signal: str) -> str:
        return alarm_name(self.environment, self.account_name, workload, signal)

    def runbook(self, kind: str, workload: str, signal: str) -> str | None:
        if not self.runbook_url:
            return None
        return self.runbook_url.format(
            account=self.account_name, kind=kind, signal=signal, workload=workload
        )
