"""The alarms of an ETL pipeline run by Glue, Step Functions or Lambda.

Glue job metrics live in ``Glue`` with ``JobRunId=ALL`` and ``Type=count`` (they need
``--enable-metrics``); Step Functions metrics are keyed by ``StateMachineArn``; Lambda's by
``FunctionName``. Throughput, freshness and data quality come from the platform's own metrics
(:mod:`obsgov.metric_contract`), which every engine publishes the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from obsgov import metric_contract as mc
from obsgov.config.models.accounts import EtlPipeline
from obsgov_policies.signals import (
    ERRORS,
    FRESHNESS,
    FUNCTION_NAME,
    GLUE_NAMESPACE,
    JOB_NAME,
    LAMBDA_NAMESPACE,
    LATENCY,
    QUALITY,
    STATE_MACHINE_ARN,
    STATES_NAMESPACE,
    TRAFFIC,
)

from .alarm_spec import AlarmContext, AlarmSpec, MetricRef


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
                GLUE_NAMESPACE,
                "glue.driver.aggregate.elapsedTime",
                "glue.driver.aggregate.numFailedTasks",
                ("glue.driver.aggregate.numCompletedTasks", "glue.driver.aggregate.numFailedTasks"),
                None,
                "the Glue job's runs and its continuous log group",
            ),
            {JOB_NAME: pipeline.name, "JobRunId": "ALL", "Type": "count"},
        )
    if pipeline.engine == "step-functions":
        arn = f"arn:aws:states:{ctx.region}:{ctx.account_id}:stateMachine:{pipeline.name}"
        return (
            _Engine(
                STATES_NAMESPACE,
                "ExecutionTime",
                "ExecutionsFailed",
                ("ExecutionsStarted",),
                "Milliseconds",
                "the state machine's failed executions",
            ),
            {STATE_MACHINE_ARN: arn},
        )
    return (
        _Engine(
            LAMBDA_NAMESPACE,
            "Duration",
            "Errors",
            ("Invocations",),
            "Milliseconds",
            "the function's log group and recent deployments",
        ),
        {FUNCTION_NAME: pipeline.name},
    )


def pipeline_alarms(ctx: AlarmContext, pipeline: EtlPipeline) -> list[AlarmSpec]:
    name, slo = pipeline.name, pipeline.slo
    engine, dims = _engine(ctx, pipeline)
    interval = pipeline.schedule_interval_minutes * 60
    contract = {mc.PIPELINE_DIMENSION: name}

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
            LATENCY,
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
            ERRORS,
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
            ERRORS,
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
            TRAFFIC,
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
            FRESHNESS,
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
                QUALITY,
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
