"""A member account: its provider, its monitoring baseline and its scheduled monitoring jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi_aws as aws

from obsgov.config.environment import EnvironmentConfig

from ..lifecycle.monitoring_jobs import monitoring_jobs
from ..member.member_baseline import MemberAccountBaseline, MemberAccountBaselineArgs
from ..shared.providers import account_provider
from .central_account import Central, CentralTargets
from .central_providers import on

if TYPE_CHECKING:
    from obsgov.config.models import MemberAccount


def member_account(
    env: EnvironmentConfig, account: MemberAccount, central: Central | CentralTargets
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
            "central_event_bus_arn": routing.central_event_bus_arn or central.bus_arn,
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
            sink_arn=central.sink_arn,
            alert_routing=routing,
            tracing=env.settings.tracing,
            workloads=env.workloads_for(account),
            # what this stack makes of the central side (a shard's central stack is deployed
            # before it, so a shard has nothing to wait for)
            sink_ready=[central.sink] if isinstance(central, Central) and central.sink else [],
            event_bus_ready=[central.routing] if isinstance(central, Central) else [],
            log_destination_ready=(
                [central.log_analytics]
                if isinstance(central, Central) and central.log_analytics
                else []
            ),
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
    """The scheduled drift, model-quality and freshness jobs of one member account's workloads,
    with the alarms on their signals (components/lifecycle/monitoring_jobs.py)."""
    monitoring_jobs(env, account, provider, baseline.alarm_topic.arn)
