"""CloudWatch alarms for the workloads the accounts registry declares.

Each workload kind has one builder in :data:`ALARM_BUILDERS` (matching
``obsgov.config.models.registry.WORKLOAD_MODELS``): it turns the registry entry into plain
:class:`AlarmSpec` values, and :func:`create_alarms` turns specs into resources, so the action,
naming, tagging and description boilerplate lives in one place. A new kind is one model and
one builder.

Metric names, units and dimensions follow the AWS documentation: SageMaker ``ModelLatency`` and
``OverheadLatency`` are in microseconds with ``EndpointName``/``VariantName``; instance metrics
live in ``/aws/sagemaker/Endpoints`` (leading slash) and ``CPUUtilization`` sums every core;
Glue job metrics live in ``Glue`` with ``JobRunId=ALL`` and ``Type=count``; Step Functions
metrics are keyed by ``StateMachineArn``; Lambda's by ``FunctionName``. The platform's own
metrics come from :mod:`obsgov.metric_contract`.

Every alarm carries a signal class (latency, errors, traffic, saturation, freshness, quality)
and a severity, as tags and in its description. Alarms are named
``<env>-<account>-<workload>-<signal>``; their ARNs and the topics' ARNs are literals, so policy
packs judge them at preview time and no alarm waits on another resource's outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from obsgov import metric_contract as mc
from obsgov.config.models.registry import BusinessKpi, EtlPipeline, MlEndpoint
from obsgov.config.models.settings import AlarmDefaults

SIGNAL_CLASSES = ("latency", "errors", "traffic", "saturation", "freshness", "quality")
DEFAULT_SEVERITY = {
    "errors": "high",
    "freshness": "high",
    "latency": "medium",
    "traffic": "medium",
    "saturation": "medium",
    "quality": "medium",
}
SAGEMAKER = "AWS/SageMaker"
SAGEMAKER_INSTANCES = "/aws/sagemaker/Endpoints"
BAND_OPERATORS = {
    "drop": "LessThanLowerThreshold",
    "spike": "GreaterThanUpperThreshold",
    "both": "LessThanLowerOrGreaterThanUpperThreshold",
}
# Alarm descriptions are at most 1024 characters (PutMetricAlarm).
_MAX_DESCRIPTION = 1024


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


def create_alarm(ctx: AlarmContext, workload: Any, spec: AlarmSpec) -> aws.cloudwatch.MetricAlarm:
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
    return aws.cloudwatch.MetricAlarm(
        f"{ctx.logical_prefix}-{workload.name}-{spec.signal}", opts=ctx.opts, **args
    )


def create_alarms(
    ctx: AlarmContext, workload: Any, specs: Sequence[AlarmSpec]
) -> list[aws.cloudwatch.MetricAlarm]:
    return [create_alarm(ctx, workload, spec) for spec in specs]


def composite_rule(alarm_names: Sequence[str]) -> str:
    return " OR ".join(f'ALARM("{name}")' for name in alarm_names)


def create_composite(
    ctx: AlarmContext,
    workload: Any,
    alarms: Sequence[Any],
    alarm_names: Sequence[str],
    paging_actions: Sequence[str],
) -> aws.cloudwatch.CompositeAlarm:
    """``<workload> unhealthy``: in ALARM while any of the workload's alarms is, and the only
    alarm that notifies the paging topic."""
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
        ok_actions=list(paging_actions),
        tags={
            "severity": workload.severity,
            "signal-class": "composite",
            "workload": workload.name,
        },
        opts=pulumi.ResourceOptions.merge(ctx.opts, pulumi.ResourceOptions(depends_on=alarms)),
    )


# --------------------------------------------------------------------------- ML endpoints


def _rate(errors: MetricRef, calls: MetricRef) -> dict[str, MetricRef]:
    return {"errors": errors, "calls": calls}


def endpoint_alarms(ctx: AlarmContext, endpoint: MlEndpoint) -> list[AlarmSpec]:
    name, slo, d = endpoint.name, endpoint.slo, ctx.defaults
    dims = {"EndpointName": name, "VariantName": endpoint.variant_name}
    metrics = f"AWS/SageMaker metrics of endpoint {name}, variant {endpoint.variant_name}"
    instances = f"{SAGEMAKER_INSTANCES} metrics and the endpoint's instances"

    def sm(metric: str, stat: str, unit: str | None = None) -> MetricRef:
        return MetricRef(SAGEMAKER, metric, dims, stat, unit)

    def instance(metric: str) -> MetricRef:
        return MetricRef(SAGEMAKER_INSTANCES, metric, dims, "Average", "Percent")

    calls = sm("Invocations", "Sum")
    cpu = (slo.max_cpu_percent or d.cpu_utilization_percent) * endpoint.instance_vcpus
    memory = slo.max_memory_percent or d.memory_utilization_percent
    disk = slo.max_disk_percent or d.disk_utilization_percent
    # An idle endpoint reports no Invocations at all, so absence is the signal here.
    min_calls = max(1.0, (slo.min_invocations_per_minute or 0) * d.period_seconds / 60)
    specs = [
        AlarmSpec(
            "latency-p99",
            "latency",
            f"p99 model latency of {name} is above its SLO of {slo.latency_p99_ms:g} ms.",
            metrics + " (ModelLatency) and the model container's logs",
            "GreaterThanThreshold",
            {"m1": sm("ModelLatency", "p99", "Microseconds")},
            threshold=slo.latency_p99_ms * 1000,
        ),
        AlarmSpec(
            "latency-anomaly",
            "latency",
            f"Average model latency of {name} rose above its expected band.",
            metrics + " (ModelLatency) and recent deployments",
            "GreaterThanUpperThreshold",
            {"m1": sm("ModelLatency", "Average", "Microseconds")},
            band_width=d.anomaly_band_width,
        ),
        AlarmSpec(
            "overhead-latency",
            "latency",
            f"p99 SageMaker overhead latency of {name} is above "
            f"{slo.overhead_latency_p99_ms:g} ms.",
            metrics + " (OverheadLatency): payload sizes and instance health",
            "GreaterThanThreshold",
            {"m1": sm("OverheadLatency", "p99", "Microseconds")},
            threshold=slo.overhead_latency_p99_ms * 1000,
        ),
        AlarmSpec(
            "errors-5xx",
            "errors",
            f"5XX error rate of {name} is above its SLO of {slo.error_rate_percent:g}%.",
            metrics + " (Invocation5XXErrors) and the model container's logs",
            "GreaterThanThreshold",
            _rate(sm("Invocation5XXErrors", "Sum"), calls),
            threshold=slo.error_rate_percent,
            expression="IF(calls > 0, 100 * errors / calls, 0)",
            label="5XX error rate (%)",
        ),
        AlarmSpec(
            "errors-4xx",
            "errors",
            f"4XX error rate of {name} is above {slo.client_error_rate_percent:g}%: callers "
            f"send requests the model rejects.",
            metrics + " (Invocation4XXErrors) and the callers' recent changes",
            "GreaterThanThreshold",
            _rate(sm("Invocation4XXErrors", "Sum"), calls),
            threshold=slo.client_error_rate_percent,
            expression="IF(calls > 0, 100 * errors / calls, 0)",
            label="4XX error rate (%)",
            severity="medium",
        ),
        AlarmSpec(
            "invocations-anomaly",
            "traffic",
            f"Invocations of {name} dropped below the expected band.",
            metrics + " (Invocations) and the callers' health",
            "LessThanLowerThreshold",
            {"m1": calls},
            band_width=d.anomaly_band_width,
        ),
        AlarmSpec(
            "invocations-zero",
            "traffic",
            f"{name} received fewer than {min_calls:g} invocations in a period, or none at all.",
            metrics + " (Invocations), the callers and the endpoint's status",
            "LessThanThreshold",
            {"m1": calls},
            threshold=min_calls,
            treat_missing="breaching",
            severity="high",
        ),
        AlarmSpec(
            "cpu",
            "saturation",
            f"CPU of {name}'s instances is above {cpu:g}% (summed over "
            f"{endpoint.instance_vcpus} vCPU(s)).",
            instances + " (CPUUtilization); consider scaling out",
            "GreaterThanThreshold",
            {"m1": instance("CPUUtilization")},
            threshold=cpu,
        ),
        AlarmSpec(
            "memory",
            "saturation",
            f"Memory of {name}'s instances is above {memory:g}%.",
            instances + " (MemoryUtilization) and the container's memory use",
            "GreaterThanThreshold",
            {"m1": instance("MemoryUtilization")},
            threshold=memory,
        ),
        AlarmSpec(
            "disk",
            "saturation",
            f"Disk of {name}'s instances is above {disk:g}%.",
            instances + " (DiskUtilization): model artifacts and temp files",
            "GreaterThanThreshold",
            {"m1": instance("DiskUtilization")},
            threshold=disk,
        ),
    ]
    # Drift and model-quality jobs publish once per run (hourly or slower): between runs the
    # metric is absent, and ``ignore`` keeps the last verdict instead of flapping to OK.
    hourly = (1, 1)
    if endpoint.drift_monitoring:
        share = mc.DRIFTED_FEATURE_SHARE
        specs.append(
            AlarmSpec(
                "drift",
                "quality",
                f"More than {slo.max_drifted_feature_percent:g}% of {name}'s features drifted "
                f"from the training baseline.",
                f"{mc.DATA_QUALITY_NAMESPACE} metrics with Endpoint={name} and the drift report",
                "GreaterThanThreshold",
                {
                    "m1": MetricRef(
                        mc.DATA_QUALITY_NAMESPACE,
                        share.name,
                        {"Endpoint": name},
                        "Maximum",
                        share.unit,
                        3600,
                    )
                },
                threshold=slo.max_drifted_feature_percent,
                treat_missing="ignore",
                evaluation=hourly,
            )
        )
    if endpoint.model_quality is not None:
        target = endpoint.model_quality
        unit = next(
            m.unit
            for m in (*mc.CLASSIFICATION_METRICS, *mc.REGRESSION_METRICS)
            if m.name == target.metric
        )
        specs.append(
            AlarmSpec(
                "model-quality",
                "quality",
                f"{target.metric} of {name} (model version {endpoint.model_version}) is "
                f"{'below' if target.higher_is_better else 'above'} {target.threshold:g}.",
                f"{mc.MODEL_QUALITY_NAMESPACE} metrics with Endpoint={name} and the labelled data",
                "LessThanThreshold" if target.higher_is_better else "GreaterThanThreshold",
                {
                    "m1": MetricRef(
                        mc.MODEL_QUALITY_NAMESPACE,
                        target.metric,
                        {"Endpoint": name, "ModelVersion": endpoint.model_version},
                        "Average",
                        unit,
                        3600,
                    )
                },
                threshold=target.threshold,
                treat_missing="ignore",
                evaluation=hourly,
            )
        )
    return specs


# --------------------------------------------------------------------------- ETL pipelines


@dataclass(frozen=True)
class _Engine:
    namespace: str
    duration: str
    failed: str
    total: tuple[str, ...]  # metrics whose sum is the number of attempts
    duration_unit: str | None
    logs: str


def _engine(ctx: AlarmContext, pipeline: EtlPipeline) -> tuple[_Engine, dict[str, str]]:
    if pipeline.engine == "glue":
        # Glue job metrics need --enable-metrics; failed and completed tasks make the rate.
        return (
            _Engine(
                "Glue",
                "glue.driver.aggregate.elapsedTime",
                "glue.driver.aggregate.numFailedTasks",
                ("glue.driver.aggregate.numCompletedTasks", "glue.driver.aggregate.numFailedTasks"),
                None,
                "the Glue job's runs and its continuous log group",
            ),
            {"JobName": pipeline.name, "JobRunId": "ALL", "Type": "count"},
        )
    if pipeline.engine == "step-functions":
        arn = f"arn:aws:states:{ctx.region}:{ctx.account_id}:stateMachine:{pipeline.name}"
        return (
            _Engine(
                "AWS/States",
                "ExecutionTime",
                "ExecutionsFailed",
                ("ExecutionsStarted",),
                "Milliseconds",
                "the state machine's failed executions",
            ),
            {"StateMachineArn": arn},
        )
    return (
        _Engine(
            "AWS/Lambda",
            "Duration",
            "Errors",
            ("Invocations",),
            "Milliseconds",
            "the function's log group and recent deployments",
        ),
        {"FunctionName": pipeline.name},
    )


def pipeline_alarms(ctx: AlarmContext, pipeline: EtlPipeline) -> list[AlarmSpec]:
    name, slo = pipeline.name, pipeline.slo
    engine, dims = _engine(ctx, pipeline)
    interval = pipeline.schedule_interval_minutes * 60
    contract = {"Pipeline": name}

    def aws_metric(metric: str, stat: str, unit: str | None = None) -> MetricRef:
        return MetricRef(engine.namespace, metric, dims, stat, unit)

    total_ids = [f"t{i}" for i in range(len(engine.total))]
    total = " + ".join(total_ids)
    rate_metrics = {
        "failed": aws_metric(engine.failed, "Sum"),
        **{i: aws_metric(m, "Sum") for i, m in zip(total_ids, engine.total, strict=True)},
    }
    # A batch run reports once (Step Functions, Lambda) or only while it runs (Glue): one
    # breaching datapoint is one bad run, so these alarms do not wait for several.
    per_run = (1, 1)
    specs = [
        AlarmSpec(
            "duration",
            "latency",
            f"A run of {name} took longer than its SLO of {slo.max_duration_minutes} minutes.",
            f"{engine.namespace} {engine.duration} and {engine.logs}",
            "GreaterThanThreshold",
            {"m1": aws_metric(engine.duration, "Maximum", engine.duration_unit)},
            threshold=slo.max_duration_minutes * 60_000,
            evaluation=per_run,
            # no run, nothing to time: the freshness alarm owns absence
            treat_missing="notBreaching",
        ),
        AlarmSpec(
            "failures",
            "errors",
            f"{name} failed more than {slo.max_failed_runs} time(s) in a period.",
            f"{engine.namespace} {engine.failed} and {engine.logs}",
            "GreaterThanThreshold",
            {"m1": aws_metric(engine.failed, "Sum")},
            threshold=slo.max_failed_runs,
            evaluation=per_run,
            treat_missing="notBreaching",
        ),
        AlarmSpec(
            "error-rate",
            "errors",
            f"Error rate of {name} is above {slo.max_error_rate_percent:g}%.",
            f"{engine.namespace} {engine.failed} and {engine.logs}",
            "GreaterThanThreshold",
            rate_metrics,
            threshold=slo.max_error_rate_percent,
            expression=f"IF(({total}) > 0, 100 * failed / ({total}), 0)",
            label="error rate (%)",
            evaluation=per_run,
            treat_missing="notBreaching",
        ),
        AlarmSpec(
            "throughput-anomaly",
            "traffic",
            f"Records processed by {name} dropped below the expected band.",
            f"{mc.PIPELINE_NAMESPACE} {mc.RECORDS_PROCESSED.name} with Pipeline={name} and "
            f"the upstream sources",
            "LessThanLowerThreshold",
            {
                "m1": MetricRef(
                    mc.PIPELINE_NAMESPACE,
                    mc.RECORDS_PROCESSED.name,
                    contract,
                    "Sum",
                    mc.RECORDS_PROCESSED.unit,
                    interval,
                )
            },
            band_width=ctx.defaults.anomaly_band_width,
            evaluation=per_run,
            treat_missing="notBreaching",
        ),
        AlarmSpec(
            "freshness",
            "freshness",
            f"{name} has not completed a successful run in "
            f"{pipeline.schedule_interval_minutes} minutes.",
            f"{mc.PIPELINE_NAMESPACE} {mc.RUN_SUCCEEDED.name} with Pipeline={name}, the "
            f"schedule and {engine.logs}",
            "LessThanThreshold",
            {
                "m1": MetricRef(
                    mc.PIPELINE_NAMESPACE,
                    mc.RUN_SUCCEEDED.name,
                    contract,
                    "Sum",
                    mc.RUN_SUCCEEDED.unit,
                    interval,
                )
            },
            threshold=1,
            evaluation=per_run,
            # no success reported at all is exactly what freshness is about
            treat_missing="breaching",
        ),
    ]
    if pipeline.data_quality_monitoring:
        violations = mc.SCHEMA_VIOLATIONS
        specs.append(
            AlarmSpec(
                "data-quality",
                "quality",
                f"{name} wrote values that break the declared schema.",
                f"{mc.DATA_QUALITY_NAMESPACE} {violations.name} with Pipeline={name}",
                "GreaterThanThreshold",
                {
                    "m1": MetricRef(
                        mc.DATA_QUALITY_NAMESPACE,
                        violations.name,
                        contract,
                        "Sum",
                        violations.unit,
                        interval,
                    )
                },
                threshold=0,
                evaluation=per_run,
                treat_missing="ignore",
            )
        )
    return specs


# --------------------------------------------------------------------------- business KPIs


def kpi_alarms(ctx: AlarmContext, kpi: BusinessKpi) -> list[AlarmSpec]:
    ref = MetricRef(kpi.namespace, kpi.metric_name, kpi.dimensions, kpi.statistic)
    where = f"{kpi.namespace} {kpi.metric_name}" + (
        f" and the workload that drives it, {kpi.driven_by}" if kpi.driven_by else ""
    )
    specs = [
        AlarmSpec(
            "anomaly",
            "quality",
            f"Business KPI {kpi.metric_name} left its expected band ({kpi.alert_on}).",
            where,
            BAND_OPERATORS[kpi.alert_on],
            {"m1": ref},
            band_width=ctx.defaults.anomaly_band_width,
        )
    ]
    if kpi.lower_bound is not None:
        specs.append(
            AlarmSpec(
                "below-bound",
                "quality",
                f"Business KPI {kpi.metric_name} fell below {kpi.lower_bound:g}.",
                where,
                "LessThanThreshold",
                {"m1": ref},
                threshold=kpi.lower_bound,
                severity="high",
            )
        )
    if kpi.upper_bound is not None:
        specs.append(
            AlarmSpec(
                "above-bound",
                "quality",
                f"Business KPI {kpi.metric_name} rose above {kpi.upper_bound:g}.",
                where,
                "GreaterThanThreshold",
                {"m1": ref},
                threshold=kpi.upper_bound,
                severity="high",
            )
        )
    return specs


AlarmBuilder = Callable[[AlarmContext, Any], list[AlarmSpec]]

# Workload kind -> its alarms; the keys match obsgov.config.models.registry.WORKLOAD_MODELS.
ALARM_BUILDERS: dict[str, AlarmBuilder] = {
    "ml-endpoint": endpoint_alarms,
    "etl-pipeline": pipeline_alarms,
    "business-kpi": kpi_alarms,
}
