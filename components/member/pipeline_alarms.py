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
from .glue_runs import EVENTS_NAMESPACE, MATCHED_EVENTS, RULE_NAME, run_rule_name


@dataclass(frozen=True)
class _Engine:
    namespace: str
    duration: str
    failed: str
    total: tuple[str, ...]  # metrics whose sum is the number of attempts
    duration_unit: str | None
    logs: str
    # further metrics whose count is also a failed run (Step Functions counts a timed-out or
    # aborted execution only in its own metric, never in ExecutionsFailed)
    also_failed: tuple[str, ...] = ()


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
                # https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html
                ("ExecutionsTimedOut", "ExecutionsAborted"),
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
    failed_ids = ["failed", *(f"x{i}" for i in range(len(engine.also_failed)))]
    failed_metrics = {
        i: aws_metric(m, "Sum")
        for i, m in zip(failed_ids, (engine.failed, *engine.also_failed), strict=True)
    }
    # every failure metric is absent in periods without one: FILL keeps the sum defined
    failed = " + ".join(f"FILL({i}, 0)" for i in failed_ids) if engine.also_failed else "failed"
    failed_names = " / ".join((engine.failed, *engine.also_failed))
    rate_metrics = {
        **failed_metrics,
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
            f"{engine.namespace} {failed_names} and {engine.logs}",
            "GreaterThanThreshold",
            failed_metrics if engine.also_failed else {"m1": aws_metric(engine.failed, "Sum")},
            threshold=slo.max_failed_runs,
            expression=failed if engine.also_failed else None,
            label="failed runs" if engine.also_failed else None,
            evaluation=per_run,
            treat_missing="notBreaching",
        ),
        AlarmSpec(
            "error-rate",
            ERRORS,
            f"Error rate of {name} is above {slo.max_error_rate_percent:g}%.",
            f"{engine.namespace} {failed_names} and {engine.logs}",
            "GreaterThanThreshold",
            rate_metrics,
            threshold=slo.max_error_rate_percent,
            expression=f"IF(({total}) > 0, 100 * {failed} / ({total}), 0)"
            if not engine.also_failed
            else f"IF(({total}) > 0, 100 * ({failed}) / ({total}), 0)",
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
    if pipeline.engine == "glue":
        specs = [
            _glue_run_spec(ctx, pipeline, s) if s.signal in _GLUE_RUN_SIGNALS else s for s in specs
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


_GLUE_RUN_SIGNALS = ("failures", "error-rate")


def _glue_run_spec(ctx: AlarmContext, pipeline: EtlPipeline, spec: AlarmSpec) -> AlarmSpec:
    """The Glue job's failures and error rate from its run state-change events
    (:mod:`.glue_runs`), not from Spark's task counters."""

    def runs(which: str) -> MetricRef:
        rule = run_rule_name(ctx.environment, pipeline.name, which)
        return MetricRef(EVENTS_NAMESPACE, MATCHED_EVENTS, {RULE_NAME: rule}, "Sum", "Count")

    where = (
        f"{EVENTS_NAMESPACE} {MATCHED_EVENTS} of rules "
        f"{run_rule_name(ctx.environment, pipeline.name, 'failed')} and "
        f"{run_rule_name(ctx.environment, pipeline.name, 'ended')}, and the Glue job's runs"
    )
    if spec.signal == "failures":
        return AlarmSpec(
            spec.signal,
            spec.signal_class,
            f"{pipeline.name} had more than {pipeline.slo.max_failed_runs} failed, timed-out "
            f"or errored run(s) in a period.",
            where,
            spec.operator,
            {"m1": runs("failed")},
            threshold=spec.threshold,
            evaluation=spec.evaluation,
            # a period without a failed run publishes nothing: silence is health here
            treat_missing="notBreaching",
        )
    return AlarmSpec(
        spec.signal,
        spec.signal_class,
        f"Share of failed runs of {pipeline.name} is above "
        f"{pipeline.slo.max_error_rate_percent:g}%.",
        where,
        spec.operator,
        {"failed": runs("failed"), "ended": runs("ended")},
        threshold=spec.threshold,
        expression="IF(FILL(ended, 0) > 0, 100 * FILL(failed, 0) / ended, 0)",
        label="failed runs (%)",
        evaluation=spec.evaluation,
        treat_missing="notBreaching",
    )
