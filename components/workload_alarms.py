"""CloudWatch alarms for the workloads the accounts registry declares.

Each function builds the alarms of one workload kind as children of ``parent``. Metric names,
units and dimensions follow the AWS documentation (see ``shared/reference/aws-facts.md``):
SageMaker ``ModelLatency`` is in microseconds, Glue job metrics live in the ``Glue`` namespace with
``JobRunId=ALL``, Step Functions metrics are keyed by ``StateMachineArn``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from obsgov.config.models import AlarmDefaults, BusinessKpi, EtlPipeline, MlEndpoint

_KPI_OPERATORS = {
    "drop": "LessThanLowerThreshold",
    "spike": "GreaterThanUpperThreshold",
    "both": "LessThanLowerOrGreaterThanUpperThreshold",
}


@dataclass(frozen=True)
class AlarmContext:
    """What every alarm of one account shares."""

    logical_prefix: str  # the owning component's name: keeps logical names unique per account
    prefix: str  # the alarm names' prefix in CloudWatch
    account_id: str
    region: str
    defaults: AlarmDefaults
    actions: Sequence[pulumi.Input[str]]
    opts: pulumi.ResourceOptions


def _static_alarm(
    ctx: AlarmContext,
    name: str,
    description: str,
    *,
    namespace: str,
    metric_name: str,
    dimensions: Mapping[str, str],
    threshold: float,
    statistic: str | None = None,
    extended_statistic: str | None = None,
    operator: str = "GreaterThanThreshold",
) -> aws.cloudwatch.MetricAlarm:
    d = ctx.defaults
    return aws.cloudwatch.MetricAlarm(
        f"{ctx.logical_prefix}-{name}",
        name=f"{ctx.prefix}-{name}",
        alarm_description=description,
        namespace=namespace,
        metric_name=metric_name,
        dimensions=dict(dimensions),
        statistic=statistic,
        extended_statistic=extended_statistic,
        period=d.period_seconds,
        evaluation_periods=d.evaluation_periods,
        datapoints_to_alarm=d.datapoints_to_alarm,
        threshold=threshold,
        comparison_operator=operator,
        treat_missing_data=d.treat_missing_data,
        actions_enabled=True,
        alarm_actions=list(ctx.actions),
        ok_actions=list(ctx.actions),
        opts=ctx.opts,
    )


def _anomaly_alarm(
    ctx: AlarmContext,
    name: str,
    description: str,
    *,
    namespace: str,
    metric_name: str,
    dimensions: Mapping[str, str],
    statistic: str,
    operator: str,
) -> aws.cloudwatch.MetricAlarm:
    d = ctx.defaults
    return aws.cloudwatch.MetricAlarm(
        f"{ctx.logical_prefix}-{name}",
        name=f"{ctx.prefix}-{name}",
        alarm_description=description,
        comparison_operator=operator,
        evaluation_periods=d.evaluation_periods,
        datapoints_to_alarm=d.datapoints_to_alarm,
        threshold_metric_id="ad1",
        treat_missing_data=d.treat_missing_data,
        actions_enabled=True,
        alarm_actions=list(ctx.actions),
        ok_actions=list(ctx.actions),
        metric_queries=[
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="m1",
                return_data=True,
                metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace=namespace,
                    metric_name=metric_name,
                    dimensions=dict(dimensions),
                    period=d.period_seconds,
                    stat=statistic,
                ),
            ),
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="ad1",
                expression=f"ANOMALY_DETECTION_BAND(m1, {d.anomaly_band_width:g})",
                label=f"{metric_name} (expected band)",
                return_data=True,
            ),
        ],
        opts=ctx.opts,
    )


def endpoint_alarms(ctx: AlarmContext, endpoint: MlEndpoint) -> list[aws.cloudwatch.MetricAlarm]:
    dims = {"EndpointName": endpoint.name, "VariantName": endpoint.variant_name}
    d = ctx.defaults
    latency = _static_alarm(
        ctx, f"{endpoint.name}-latency",
        f"p99 model latency of {endpoint.name} above its SLO of {endpoint.slo.latency_p99_ms:g} ms.",
        namespace="AWS/SageMaker", metric_name="ModelLatency", dimensions=dims,
        extended_statistic="p99",
        threshold=endpoint.slo.latency_p99_ms * 1000,  # ModelLatency is in microseconds
    )
    errors = aws.cloudwatch.MetricAlarm(
        f"{ctx.logical_prefix}-{endpoint.name}-errors",
        name=f"{ctx.prefix}-{endpoint.name}-errors",
        alarm_description=(
            f"5XX error rate of {endpoint.name} above its SLO of "
            f"{endpoint.slo.error_rate_percent:g}%."
        ),
        comparison_operator="GreaterThanThreshold",
        threshold=endpoint.slo.error_rate_percent,
        evaluation_periods=d.evaluation_periods,
        datapoints_to_alarm=d.datapoints_to_alarm,
        treat_missing_data=d.treat_missing_data,
        actions_enabled=True,
        alarm_actions=list(ctx.actions),
        ok_actions=list(ctx.actions),
        metric_queries=[
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=metric_id,
                return_data=False,
                metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace="AWS/SageMaker", metric_name=metric, dimensions=dims,
                    period=d.period_seconds, stat="Sum",
                ),
            )
            for metric_id, metric in (("errors", "Invocation5XXErrors"), ("calls", "Invocations"))
        ] + [
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="rate", expression="IF(calls > 0, 100 * errors / calls, 0)",
                label="5XX error rate (%)", return_data=True,
            )
        ],
        opts=ctx.opts,
    )
    throughput = _anomaly_alarm(
        ctx, f"{endpoint.name}-throughput",
        f"Invocations of {endpoint.name} dropped below the expected band.",
        namespace="AWS/SageMaker", metric_name="Invocations", dimensions=dims,
        statistic="Sum", operator="LessThanLowerThreshold",
    )
    return [latency, errors, throughput]


def pipeline_alarms(ctx: AlarmContext, pipeline: EtlPipeline) -> list[aws.cloudwatch.MetricAlarm]:
    max_ms = pipeline.slo.max_duration_minutes * 60_000
    if pipeline.engine == "glue":
        dims = {"JobName": pipeline.name, "JobRunId": "ALL", "Type": "count"}
        namespace, duration, failures = ("Glue", "glue.driver.aggregate.elapsedTime",
                                         "glue.driver.aggregate.numFailedTasks")
    else:
        arn = f"arn:aws:states:{ctx.region}:{ctx.account_id}:stateMachine:{pipeline.name}"
        dims = {"StateMachineArn": arn}
        namespace, duration, failures = "AWS/States", "ExecutionTime", "ExecutionsFailed"
    return [
        _static_alarm(
            ctx, f"{pipeline.name}-duration",
            f"{pipeline.name} ran longer than {pipeline.slo.max_duration_minutes} minutes.",
            namespace=namespace, metric_name=duration, dimensions=dims,
            statistic="Maximum", threshold=max_ms,
        ),
        _static_alarm(
            ctx, f"{pipeline.name}-failures",
            f"{pipeline.name} failed more than {pipeline.slo.max_failed_runs} time(s).",
            namespace=namespace, metric_name=failures, dimensions=dims,
            statistic="Sum", threshold=pipeline.slo.max_failed_runs,
        ),
    ]


def kpi_alarms(ctx: AlarmContext, kpi: BusinessKpi) -> list[aws.cloudwatch.MetricAlarm]:
    return [
        _anomaly_alarm(
            ctx, f"{kpi.name}-anomaly",
            f"Business KPI {kpi.metric_name} left its expected band ({kpi.alert_on}).",
            namespace=kpi.namespace, metric_name=kpi.metric_name, dimensions=kpi.dimensions,
            statistic=kpi.statistic, operator=_KPI_OPERATORS[kpi.alert_on],
        )
    ]
