"""The observability account: the OAM sink, the event bus and severity topics, log analytics
and the metric lake, with the organization's audit beside them.

Names member accounts send to (the bus, the log destination) are derived from the environment,
so they are known at preview and a member account never waits on a central resource's outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from obsgov.config.environment import EnvironmentConfig
from obsgov.config.models import BusinessKpi

from ..audit.catalog_encryption import CatalogEncryption, CatalogEncryptionArgs
from ..central.central import CentralObservability, CentralObservabilityArgs
from ..central.event_routing import EventRouting, EventRoutingArgs, lifecycle_rule_prefix
from ..central.log_analytics import LogAnalytics, LogAnalyticsArgs
from ..central.log_analytics_documents import names as log_analytics_names
from ..central.metric_lake import MetricLake, MetricLakeArgs
from ..central.metric_lake import names as metric_lake_names
from ..lifecycle.model_lifecycle import artifact_bucket_name
from ..shared.access_logs import AccessLogs, AccessLogsArgs
from .central_providers import CentralProviders, on
from .organization_audit import organization_audit


@dataclass
class Central:
    sink_arn: pulumi.Input[str]
    routing: EventRouting
    routing_args: EventRoutingArgs
    # The analytics destination's ARN, known at preview so the packs can follow the flow;
    # member subscription filters wait for the destination and its policy through
    # log_analytics (their depends_on), not through this value.
    log_destination_arn: pulumi.Input[str]
    lake: MetricLake
    # the log destination's component (None when log analytics is off): subscription filters
    # of member accounts wait for it
    log_analytics: LogAnalytics | None = None
    # the sink's component when this stack makes it (None: the organisation stack's, deployed
    # first): OAM links wait for it and its policy
    sink: CentralObservability | None = None
    # the observability account's server access log bucket (the lifecycle archive logs there)
    access_logs: AccessLogs | None = None

    @property
    def bus_arn(self) -> str:
        return self.routing_args.bus_arn


@dataclass
class SharedOutputs:
    """What the organisation stack gives an environment's stack (components/environment/
    stacks.py); None: this stack creates it."""

    sink_arn: pulumi.Input[str] | None


@dataclass
class CentralTargets:
    """What a member account sends to, as a member shard knows it: the derived bus and log
    destination names and the sink its environment's central stack exports."""

    sink_arn: pulumi.Input[str]
    bus_arn: str
    log_destination_arn: str


def bus_sender_accounts(env: EnvironmentConfig) -> list[str]:
    """The accounts that put events on the environment's bus: its members (alarm and lifecycle
    forwarding), the organization trail's account (its CIS alarms, with the trail) and the
    model registry's account (its lifecycle forwarding)."""
    org = env.org.organization
    audit = env.settings.central_audit
    senders = {a.id for a in env.member_accounts}
    if audit.trail.enabled:
        senders.add(audit.trail.admin_account_id or org.management_account_id)
    if env.settings.model_approval.registry_account_id is not None:
        senders.add(env.settings.model_approval.registry_account_id)
    return sorted(senders)


def event_routing_args(env: EnvironmentConfig) -> EventRoutingArgs:
    org = env.org.organization
    return EventRoutingArgs(
        environment=env.environment,
        region=env.settings.region,
        account_id=org.observability_account_id,
        organization_id=org.id,
        sender_account_ids=bus_sender_accounts(env),
        settings=env.settings.central_audit.event_routing,
    )


def log_destination_arn(env: EnvironmentConfig) -> str:
    account, region = env.org.organization.observability_account_id, env.settings.region
    name = log_analytics_names(env.environment, account)["destination"]
    return f"arn:aws:logs:{region}:{account}:destination:{name}"


def central_account(
    env: EnvironmentConfig, providers: CentralProviders, shared: SharedOutputs | None = None
) -> Central:
    """The observability account, the organization trail and archive, and the guardrails.
    With an organisation stack (``shared``), the sink and catalog settings are its."""
    org = env.org.organization
    region, environment = env.settings.region, env.environment
    audit = env.settings.central_audit
    sink_arn = shared.sink_arn if shared is not None else None
    sink: CentralObservability | None = None
    if sink_arn is None:
        sink = CentralObservability(
            f"central-{environment}",
            CentralObservabilityArgs(
                organization_id=org.id,
                environment=environment,
                account_id=org.observability_account_id,
                source_account_ids=[a.id for a in env.member_accounts],
            ),
            opts=on(providers.observability),
        )
        sink_arn = sink.sink.arn

    routing_args = event_routing_args(env)
    routing = EventRouting(
        f"event-routing-{environment}", routing_args, opts=on(providers.observability)
    )

    # the routing component: depending on it waits for the bus and its policy
    organization_audit(env, providers, routing_args.bus_arn, [routing])

    access_logs = observability_access_logs(env, providers)

    # The central pipelines' own health alarms notify the severity topics directly.
    health_topics = {s: t.arn for s, t in routing.topics.items() if s in ("critical", "warning")}
    search = env.settings.open_search
    analytics_args = LogAnalyticsArgs(
        environment=environment,
        account_id=org.observability_account_id,
        region=region,
        organization_id=org.id,
        member_account_ids=[a.id for a in env.member_accounts],
        engine_version=search.engine_version,
        instance_type=search.instance_type,
        instance_count=search.instance_count,
        dedicated_master_count=search.dedicated_master_count,
        dedicated_master_type=search.dedicated_master_type,
        volume_size_gib=search.volume_size_gib,
        warm_enabled=search.warm_enabled,
        warm_type=search.warm_type,
        warm_count=search.warm_count,
        cold_storage=search.cold_storage,
        zone_count=3 if search.zone_awareness else 1,
        admin_principals=search.admin_principals,
        subnet_ids=search.subnet_ids,
        security_group_ids=search.security_group_ids,
        log_retention_days=env.settings.log_retention_days,
        alarm_topic_arns=health_topics,
        access_log_bucket=access_logs.bucket.id,
        access_log_ready=[access_logs.bucket_policy],
    )
    destination = log_destination_arn(env)
    log_analytics = None
    if search.enabled:
        log_analytics = LogAnalytics(
            f"log-analytics-{environment}", analytics_args, opts=on(providers.observability)
        )
    kpis = [
        w for a in env.member_accounts for w in env.workloads_for(a) if isinstance(w, BusinessKpi)
    ]
    lake = MetricLake(
        f"metric-lake-{environment}",
        MetricLakeArgs(
            environment=environment,
            account_id=org.observability_account_id,
            region=region,
            extra_namespaces=sorted({k.namespace for k in kpis}),
            alarm_topic_arns=health_topics,
            access_log_bucket=access_logs.bucket.id,
            access_log_ready=[access_logs.bucket_policy],
        ),
        opts=on(providers.observability),
    )

    # One catalog setting per account whose Data Catalog holds obsgov databases: the metric lake
    # and lifecycle archive (observability), audit analytics (log-archive). The setting is per
    # account and region, so the same account is never given two.
    catalogs = {org.observability_account_id: f"data-catalog-{environment}"}
    if audit.trail.enabled and audit.analytics.enabled:
        catalogs.setdefault(org.log_archive_account_id, f"audit-catalog-{environment}")
    if env.settings.organization_stack is not None:
        catalogs = {}  # the organisation stack's (components/environment/stacks.py)
    for account_id, catalog in catalogs.items():
        CatalogEncryption(
            catalog,
            CatalogEncryptionArgs(environment=environment, account_id=account_id),
            opts=on(providers.for_account(env, account_id)),
        )

    pulumi.export("centralEventBusArn", routing_args.bus_arn)
    pulumi.export("severityTopicArns", {s: t.arn for s, t in routing.topics.items()})
    pulumi.export("logDestinationArn", destination)
    pulumi.export("sinkArn", sink_arn)
    return Central(
        sink_arn, routing, routing_args, destination, lake, log_analytics, sink, access_logs
    )


def observability_access_logs(env: EnvironmentConfig, providers: CentralProviders) -> AccessLogs:
    """The observability account's access-log bucket (S3 logs a bucket only into a bucket of
    its own account and Region), for the buckets obsgov makes there: the metric lake, the
    log-ingest backup, the model lifecycle archive and, where the observability account is the
    registry account, the model artifact bucket (by their derived names; a grant for a bucket
    a stack does not make is never used)."""
    account, environment = env.org.organization.observability_account_id, env.environment
    lifecycle = lifecycle_rule_prefix(environment).rstrip("-")
    return AccessLogs(
        f"access-logs-{environment}",
        AccessLogsArgs(
            environment=environment,
            account_id=account,
            source_bucket_names=[
                metric_lake_names(environment, account)["bucket"],
                log_analytics_names(environment, account)["backup"],
                f"{lifecycle}-archive-{account}",
                artifact_bucket_name(environment, account),
            ],
        ),
        opts=on(providers.observability),
    )
