"""A member account: its provider, its monitoring baseline and its scheduled monitoring jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi_aws as aws

from obsgov.config.environment import EnvironmentConfig
from obsgov.config.models import MlEndpoint

from ..lifecycle.drift_monitor import DriftMonitor, DriftMonitorArgs
from ..lifecycle.model_quality_job import ModelQualityJob, ModelQualityJobArgs, QualitySource
from ..member.member_baseline import MemberAccountBaseline, MemberAccountBaselineArgs
from ..shared.providers import account_provider
from ..workload_kinds import kind_of
from .central_account import Central
from .central_providers import on

if TYPE_CHECKING:
    from obsgov.config.models import MemberAccount


def member_account(
    env: EnvironmentConfig, account: MemberAccount, central: Central
) -> tuple[aws.Provider, MemberAccountBaseline]:
    """One member account's baseline, sending alarms and logs to the central account unless the
    stack's alertRouting names other targets."""
    provider = account_provider(
        f"account-{account.name}",
        account_id=account.id,
        role_arn=env.role_arn(account.id),
        region=env.settings.region,
        default_tags=env.account_default_tags(account),
    )
    routing = env.settings.alert_routing
    routing = routing.model_copy(
        update={
            "central_event_bus_arn": routing.central_event_bus_arn or central.routing_args.bus_arn,
            "central_log_destination_arn": routing.central_log_destination_arn
            or central.log_destination_arn,
        }
    )
    baseline = MemberAccountBaseline(
        account.name,
        MemberAccountBaselineArgs(
            account_id=account.id,
            account_name=account.name,
            region=env.settings.region,
            environment=env.environment,
            alarm_defaults=env.settings.alarm_defaults,
            log_retention_days=env.settings.log_retention_days,
            notification_emails=env.settings.notifications.emails,
            notification_https_endpoints=env.settings.notifications.https_endpoints,
            sink_arn=central.sink.sink.arn,
            alert_routing=routing,
            tracing=env.settings.tracing,
            workloads=env.workloads_for(account),
            sink_ready=[central.sink],
            event_bus_ready=[central.routing],
            log_destination_ready=[central.log_analytics] if central.log_analytics else [],
        ),
        opts=on(provider),
    )
    return provider, baseline


def member_monitoring_jobs(
    env: EnvironmentConfig,
    account: MemberAccount,
    provider: aws.Provider,
    baseline: MemberAccountBaseline,
) -> None:
    """The scheduled drift and model-quality jobs of one member account's workloads."""
    workloads = env.workloads_for(account)
    drift = env.settings.drift_monitoring
    for workload in workloads:
        kind = kind_of(workload)
        if drift is None or kind.drift is None:
            continue
        data = kind.drift(workload, drift)
        if data is None:
            continue
        DriftMonitor(
            f"{account.name}-{workload.name}-drift",
            DriftMonitorArgs(
                workload_kind=data.dimension,
                workload_name=workload.name,
                image_uri=drift.image_uri,
                data_bucket=data.bucket,
                data_prefix=data.prefix,
                baseline_bucket=drift.baseline_bucket,
                baseline_key=f"{workload.name}/baseline.json",
                report_bucket=drift.report_bucket,
                report_prefix=f"drift/{workload.name}/",
                kms_key_arn=drift.kms_key_arn,
                capture=data.capture,
                schedule_expression=drift.schedule,
                window_minutes=drift.window_minutes,
                log_retention_days=env.settings.log_retention_days,
                alarm_actions=[baseline.alarm_topic.arn],
            ),
            opts=on(provider),
        )
    sources = [
        QualitySource(
            w.name,
            w.model_version,
            w.ground_truth.problem,
            w.ground_truth.capture_uri,
            w.ground_truth.labels_uri,
        )
        for w in workloads
        if isinstance(w, MlEndpoint) and w.ground_truth is not None
    ]
    if sources:
        ModelQualityJob(
            f"{account.name}-model-quality",
            ModelQualityJobArgs(
                environment=env.environment,
                account_id=account.id,
                region=env.settings.region,
                account_name=account.name,
                sources=sources,
                alarm_topic_arn=baseline.alarm_topic.arn,
                log_retention_days=env.settings.log_retention_days,
            ),
            opts=on(provider),
        )
