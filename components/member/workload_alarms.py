"""CloudWatch alarms for the workloads the accounts registry declares.

Each workload kind has one builder in :data:`ALARM_BUILDERS` (matching
``obsgov.config.models.accounts.WORKLOAD_MODELS``): it turns the registry entry into plain
:class:`~components.alarm_spec.AlarmSpec` values, and :func:`create_alarms` turns specs into
resources, so the action, naming, tagging and description boilerplate lives in one place. A new
kind is one model and one builder module (``endpoint_alarms``, ``pipeline_alarms`` and
``kpi_alarms`` are the three today).

Alarm and topic ARNs are literals, so policy packs judge them at preview time and no alarm
waits on another resource's outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import pulumi
import pulumi_aws as aws

from obsgov_policies.signals import COMPOSITE

from .alarm_spec import AlarmContext, AlarmSpec, MetricRef

if TYPE_CHECKING:
    from obsgov.config.models.accounts import WorkloadModel


class NamedWorkload(Protocol):
    """What an alarm reads of its workload: a registry entry or a platform job's subject."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...


# Alarm descriptions are at most 1024 characters (PutMetricAlarm).
_MAX_DESCRIPTION = 1024


def describe(level: str, what: str, where: str, runbook: str | None) -> str:
    text = f"[{level.upper()}] {what} Look at: {where}."
    if runbook:
        text += f" Runbook: {runbook}"
    return text[:_MAX_DESCRIPTION]


def _metric_args(ref: MetricRef, period: int) -> aws.cloudwatch.MetricAlarmMetricQueryMetricArgs:
    return aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
        namespace=ref.namespace,
        metric_name=ref.name,
        dimensions=dict(ref.dimensions),
        period=ref.period or period,
        stat=ref.stat,
        unit=ref.unit,
    )


def create_alarm(
    ctx: AlarmContext, workload: NamedWorkload, spec: AlarmSpec
) -> aws.cloudwatch.MetricAlarm:
    """The one place alarm actions, naming, tags and descriptions are set."""
    d = ctx.defaults
    periods, datapoints = spec.evaluation or (d.evaluation_periods, d.datapoints_to_alarm)
    name = ctx.alarm_name(workload.name, spec.signal)
    args: dict[str, Any] = dict(
        name=name,
        alarm_description=describe(
            spec.level,
            spec.what,
            spec.where,
            ctx.runbook(workload.kind, workload.name, spec.signal),
        ),
        comparison_operator=spec.operator,
        evaluation_periods=periods,
        datapoints_to_alarm=datapoints,
        treat_missing_data=spec.treat_missing or d.treat_missing_data,
        actions_enabled=True,
        alarm_actions=list(ctx.actions),
        ok_actions=list(ctx.actions),
        tags={
            "severity": spec.level,
            "signal-class": spec.signal_class,
            "workload": workload.name,
        },
    )
    if spec.band_width is not None:
        ((metric_id, ref),) = spec.metrics.items()
        args.update(
            threshold_metric_id="ad1",
            metric_queries=[
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id=metric_id, return_data=True, metric=_metric_args(ref, d.period_seconds)
                ),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="ad1",
                    return_data=True,
                    expression=f"ANOMALY_DETECTION_BAND({metric_id}, {spec.band_width:g})",
                    label=f"{ref.name} (expected band)",
                ),
            ],
        )
    elif spec.expression is not None:
        args.update(
            threshold=spec.threshold,
            metric_queries=[
                *(
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id=metric_id, return_data=False, metric=_metric_args(ref, d.period_seconds)
                    )
                    for metric_id, ref in spec.metrics.items()
                ),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="e1", expression=spec.expression, label=spec.label, return_data=True
                ),
            ],
        )
    else:
        (ref,) = spec.metrics.values()
        percentile = ref.stat.startswith("p")
        args.update(
            threshold=spec.threshold,
            namespace=ref.namespace,
            metric_name=ref.name,
            dimensions=dict(ref.dimensions),
            period=ref.period or d.period_seconds,
            statistic=None if percentile else ref.stat,
            extended_statistic=ref.stat if percentile else None,
            unit=ref.unit,
        )
        if percentile and spec.low_sample_percentile:
            args["evaluate_low_sample_count_percentiles"] = spec.low_sample_percentile
    return aws.cloudwatch.MetricAlarm(
        f"{ctx.logical_prefix}-{workload.name}-{spec.signal}", opts=ctx.opts, **args
    )


def create_alarms(
    ctx: AlarmContext, workload: WorkloadModel, specs: Sequence[AlarmSpec]
) -> list[aws.cloudwatch.MetricAlarm]:
    return [create_alarm(ctx, workload, spec) for spec in specs]


def composite_rule(alarm_names: Sequence[str]) -> str:
    return " OR ".join(f'ALARM("{name}")' for name in alarm_names)


def create_composite(
    ctx: AlarmContext,
    workload: WorkloadModel,
    alarms: Sequence[Any],
    alarm_names: Sequence[str],
    paging_actions: Sequence[str],
) -> aws.cloudwatch.CompositeAlarm:
    """``<workload> unhealthy``: in ALARM while any of the workload's alarms is, and the only
    alarm that notifies the paging topic. Its recovery (OK) goes to the alarm topic, the
    team's channel, with the child alarms' messages: nobody is paged to hear that all is
    well."""
    return aws.cloudwatch.CompositeAlarm(
        f"{ctx.logical_prefix}-{workload.name}-unhealthy",
        alarm_name=ctx.alarm_name(workload.name, "unhealthy"),
        alarm_description=describe(
            workload.severity,
            f"{workload.name} unhealthy: {len(alarm_names)} alarm(s) watch "
            f"it and at least one is in ALARM.",
            f"the alarms named {ctx.name_prefix}{workload.name}-* in account "
            f"{ctx.account_id} ({ctx.region})",
            ctx.runbook(workload.kind, workload.name, "unhealthy"),
        ),
        alarm_rule=composite_rule(alarm_names),
        actions_enabled=True,
        alarm_actions=list(paging_actions),
        ok_actions=list(ctx.actions),
        tags={
            "severity": workload.severity,
            "signal-class": COMPOSITE,
            "workload": workload.name,
        },
        opts=pulumi.ResourceOptions.merge(ctx.opts, pulumi.ResourceOptions(depends_on=alarms)),
    )
