"""One member account's monitoring jobs with their signal alarms: a drift job per monitored
workload, the model-quality job of its endpoints, the freshness job of its pipelines, and the
monitoring bucket and drift layer they share.

Deployed by default: every field of ``driftMonitoring`` has a default (the account's own
monitoring bucket, the layer ``obsgov build-layer`` builds), an endpoint held to a
``modelQuality`` target gets ground truth under that bucket unless ``groundTruth`` names
another place, and a pipeline's output defaults to ``datasets/<pipeline>/`` there. So every
``Obsgov/*`` alarm the member baseline creates has its producer in the stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from obsgov.config.environment import EnvironmentConfig
from obsgov.config.models import EtlPipeline, MlEndpoint
from obsgov.config.models.accounts import GroundTruth
from obsgov.config.models.settings import monitoring_bucket_name, rate_seconds

from ..member.alarm_spec import AlarmContext
from ..member.glue_runs import run_rule_name
from ..workload_kinds import kind_of, pipeline_output
from .drift_glue_job import DriftGlueJob, DriftGlueJobArgs
from .drift_monitor import DriftMonitor, DriftMonitorArgs
from .freshness_job import (
    FreshnessJob,
    FreshnessJobArgs,
    PipelineOutput,
    overdue_signal_specs,
    running_watch,
)
from .model_quality_job import ModelQualityJob, ModelQualityJobArgs, QualitySource
from .monitoring_store import (
    SPARK_MODULES_KEY,
    SPARK_SCRIPT_KEY,
    MonitoringStore,
    MonitoringStoreArgs,
    use_key_statement,
)
from .signal_alarms import (
    SignalWorkload,
    create_signal_alarms,
    drift_signal_specs,
    freshness_signal_specs,
    glue_run_signal_specs,
    model_quality_signal_specs,
)

REPOSITORY = Path(__file__).resolve().parents[2]


def ground_truth(endpoint: MlEndpoint, own_bucket: str) -> GroundTruth | None:
    """The endpoint's ground truth: as configured, else under the monitoring bucket when the
    endpoint is held to a model-quality target."""
    if endpoint.ground_truth is not None:
        return endpoint.ground_truth
    if endpoint.model_quality is None:
        return None
    problem: Literal["binary", "regression"] = (
        "binary" if endpoint.model_quality.higher_is_better else "regression"
    )
    return GroundTruth(
        capture_uri=f"s3://{own_bucket}/datacapture/{endpoint.name}/",
        labels_uri=f"s3://{own_bucket}/ground-truth/{endpoint.name}/",
        problem=problem,
    )


def drift_engine(workload: Any) -> Literal["lambda", "spark"]:
    """Which engine runs a workload's drift job (``driftJob``; config refuses spark for
    endpoints, whose capture the Lambda job reads)."""
    job = getattr(workload, "drift_job", None)
    return job.chosen if job is not None else "lambda"


def monitoring_jobs(
    env: EnvironmentConfig,
    account: Any,
    provider: aws.Provider,
    alarm_topic_arn: pulumi.Input[str],
) -> None:
    drift = env.settings.drift_monitoring
    if not drift.enabled:
        return
    workloads = env.workloads_for(account)
    own = monitoring_bucket_name(env.environment, account.id)
    region = env.settings.region
    key = (
        {
            "Sid": "UseMonitoringKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": drift.kms_key_arn,
        }
        if drift.kms_key_arn
        else use_key_statement(region, account.id, env.environment)
    )
    drifted = [
        (w, data)
        for w in workloads
        if (kind := kind_of(w)).drift is not None
        and (data := kind.drift(w, drift, own)) is not None
    ]
    sources = [
        QualitySource(w.name, w.model_version, truth.problem, truth.capture_uri, truth.labels_uri)
        for w in workloads
        if isinstance(w, MlEndpoint) and (truth := ground_truth(w, own)) is not None
    ]
    outputs = [
        PipelineOutput(
            w.name,
            pipeline_output(w, own),
            w.schedule_interval_minutes,
            w.freshness_grace_minutes,
            w.output_layout,
            *running_watch(w, region, account.id),
        )
        for w in workloads
        if isinstance(w, EtlPipeline)
    ]
    if not (drifted or sources or outputs):
        return
    on_spark = [(w, data) for w, data in drifted if drift_engine(w) == "spark"]
    on_lambda = [(w, data) for w, data in drifted if drift_engine(w) == "lambda"]
    on = pulumi.ResourceOptions(providers=[provider])
    store = MonitoringStore(
        f"{account.name}-monitoring",
        MonitoringStoreArgs(
            env.environment,
            account.id,
            region,
            (REPOSITORY / drift.layer_dir) if on_lambda else None,
            spark_code=bool(on_spark),
        ),
        opts=on,
    )
    ctx = AlarmContext(
        logical_prefix=f"{account.name}-signals",
        environment=env.environment,
        account_name=account.name,
        account_id=account.id,
        region=region,
        defaults=env.settings.alarm_defaults,
        actions=[alarm_topic_arn],  # type: ignore[list-item]
        opts=pulumi.ResourceOptions(providers=[provider], parent=store),
        runbook_url=env.settings.alert_routing.runbook_url,
    )
    drift_period = rate_seconds(drift.schedule)
    for workload, data in on_spark:
        assert isinstance(workload, EtlPipeline)  # config refuses spark for endpoints
        job = workload.drift_job
        schedule = job.schedule or drift.schedule
        glue = DriftGlueJob(
            f"{account.name}-{workload.name}-drift-glue",
            DriftGlueJobArgs(
                environment=env.environment,
                account_id=account.id,
                region=region,
                workload_kind=data.dimension,
                workload_name=workload.name,
                code_bucket=store.bucket_name,
                script_key=SPARK_SCRIPT_KEY,
                modules_key=SPARK_MODULES_KEY,
                code_objects=list(store.spark_code),
                data_bucket=data.bucket,
                data_prefix=data.prefix,
                data_format=job.data_format,
                baseline_bucket=drift.buckets(env.environment, account.id)[1],
                baseline_key=f"baselines/{workload.name}/baseline.json",
                report_bucket=drift.buckets(env.environment, account.id)[2],
                report_prefix=f"reports/drift/{workload.name}/",
                key_statement=key,
                # configured buckets have their own key; the code is under the monitoring key
                code_key_statement=(
                    {
                        **use_key_statement(region, account.id, env.environment),
                        "Sid": "ReadJobCodeKey",
                        "Action": "kms:Decrypt",
                    }
                    if drift.kms_key_arn
                    else None
                ),
                schedule_expression=schedule,
                worker_type=job.worker_type,
                number_of_workers=job.number_of_workers,
                timeout_minutes=job.timeout_minutes,
                log_retention_days=env.settings.log_retention_days,
            ),
            opts=on,
        )
        period = rate_seconds(schedule)
        create_signal_alarms(
            ctx,
            SignalWorkload(workload.name, workload.kind),
            [
                *drift_signal_specs(
                    data.dimension, workload.name, period, f"/aws-glue/jobs/{glue.job_name}/*"
                ),
                *glue_run_signal_specs(
                    glue.job_name,
                    run_rule_name(env.environment, glue.job_name, "failed"),
                    run_rule_name(env.environment, glue.job_name, "ended"),
                    period,
                    job.timeout_minutes,
                ),
            ],
        )
    for workload, data in on_lambda:
        DriftMonitor(
            f"{account.name}-{workload.name}-drift",
            DriftMonitorArgs(
                environment=env.environment,
                account_id=account.id,
                region=region,
                workload_kind=data.dimension,
                workload_name=workload.name,
                layer_arn=store.layer.arn if store.layer is not None else "",
                data_bucket=data.bucket,
                data_prefix=data.prefix,
                baseline_bucket=drift.buckets(env.environment, account.id)[1],
                baseline_key=f"baselines/{workload.name}/baseline.json",
                report_bucket=drift.buckets(env.environment, account.id)[2],
                report_prefix=f"reports/drift/{workload.name}/",
                key_statement=key,
                alarm_topic_arn=alarm_topic_arn,
                capture=data.capture,
                schedule_expression=drift.schedule,
                schedule_period_seconds=drift_period,
                window_minutes=drift.window_minutes,
                log_retention_days=env.settings.log_retention_days,
            ),
            opts=on,
        )
        create_signal_alarms(
            ctx,
            SignalWorkload(workload.name, workload.kind),
            drift_signal_specs(data.dimension, workload.name, drift_period),
        )
    if sources:
        quality_period = rate_seconds(drift.model_quality_schedule)
        ModelQualityJob(
            f"{account.name}-model-quality",
            ModelQualityJobArgs(
                environment=env.environment,
                account_id=account.id,
                region=region,
                account_name=account.name,
                sources=sources,
                alarm_topic_arn=alarm_topic_arn,
                schedule=drift.model_quality_schedule,
                schedule_period_seconds=quality_period,
                log_retention_days=env.settings.log_retention_days,
                extra_statements=[key],
            ),
            opts=on,
        )
        for source in sources:
            create_signal_alarms(
                ctx,
                SignalWorkload(source.endpoint, "ml-endpoint"),
                model_quality_signal_specs(source.endpoint, quality_period),
            )
    if outputs:
        freshness_period = rate_seconds(drift.freshness_schedule)
        FreshnessJob(
            f"{account.name}-freshness",
            FreshnessJobArgs(
                environment=env.environment,
                account_id=account.id,
                region=region,
                account_name=account.name,
                outputs=outputs,
                alarm_topic_arn=alarm_topic_arn,
                schedule=drift.freshness_schedule,
                schedule_period_seconds=freshness_period,
                log_retention_days=env.settings.log_retention_days,
            ),
            opts=on,
        )
        for output in outputs:
            create_signal_alarms(
                ctx,
                SignalWorkload(output.pipeline, "etl-pipeline"),
                freshness_signal_specs(output.pipeline, freshness_period)
                + overdue_signal_specs(output, freshness_period),
            )
