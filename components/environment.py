"""How one environment is assembled: which component goes on which account's provider.

``__main__.py`` calls these functions in order; each returns what the later ones need. The
central accounts come first (their bus, topics and log destination are what member accounts
send to), then every member account's baseline, then the model lifecycle that spans both.
Names that cross accounts (the bus, the log destination) are derived from the environment, so
they are known at preview and a member account never waits on a central resource's outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from obsgov.config.environment import EnvironmentConfig
from obsgov.config.models import BusinessKpi, EtlPipeline, MlEndpoint

from .audit_analytics import AuditAnalytics, AuditAnalyticsArgs, results_bucket_name
from .audit_trail import AuditTrail, AuditTrailArgs
from .business_views import BusinessViews, BusinessViewsArgs, KpiLink, ServedModel
from .catalog_encryption import CatalogEncryption, CatalogEncryptionArgs
from .central import CentralObservability, CentralObservabilityArgs
from .drift_monitor import DriftMonitor, DriftMonitorArgs
from .event_routing import EventRouting, EventRoutingArgs
from .guardrails import Guardrails, GuardrailsArgs
from .log_analytics import LogAnalytics, LogAnalyticsArgs
from .log_analytics import names as log_analytics_names
from .log_archive import LogArchive, LogArchiveArgs
from .member_baseline import MemberAccountBaseline, MemberAccountBaselineArgs
from .metric_lake import MetricLake, MetricLakeArgs
from .model_approval_guard import ModelApprovalGuard, ModelApprovalGuardArgs
from .model_lifecycle import (
    LifecycleCentral,
    LifecycleCentralArgs,
    LifecycleForwarding,
    LifecycleForwardingArgs,
    ModelRegistry,
    ModelRegistryArgs,
)
from .model_quality_job import ModelQualityJob, ModelQualityJobArgs, QualitySource
from .ops_dashboards import (
    DashboardSpec,
    EndpointPanel,
    KpiPanel,
    OperationsDashboards,
    OperationsDashboardsArgs,
    PipelinePanel,
)
from .providers import account_provider


@dataclass
class CentralProviders:
    observability: aws.Provider
    management: aws.Provider
    log_archive: aws.Provider
    by_account: dict[str, aws.Provider] = field(default_factory=dict)

    def for_account(self, env: EnvironmentConfig, account_id: str) -> aws.Provider:
        """The provider of a central account, or one made for another account (a delegated
        administrator, a registry account) the first time it is asked for."""
        if account_id not in self.by_account:
            self.by_account[account_id] = account_provider(
                f"account-{account_id}",
                account_id=account_id,
                role_arn=env.role_arn(account_id),
                region=env.settings.region,
                default_tags=env.central_default_tags(),
            )
        return self.by_account[account_id]


def central_providers(env: EnvironmentConfig) -> CentralProviders:
    org = env.org.organization
    made = {}
    for name, account_id in (
        ("observability", org.observability_account_id),
        ("management", org.management_account_id),
        ("log-archive", org.log_archive_account_id),
    ):
        made[account_id] = account_provider(
            name,
            account_id=account_id,
            role_arn=env.role_arn(account_id),
            region=env.settings.region,
            default_tags=env.central_default_tags(),
        )
    return CentralProviders(
        made[org.observability_account_id],
        made[org.management_account_id],
        made[org.log_archive_account_id],
        dict(made),
    )


def _on(provider: aws.Provider) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(providers=[provider])


@dataclass
class Central:
    sink: CentralObservability
    routing: EventRouting
    routing_args: EventRoutingArgs
    log_destination_arn: str
    lake: MetricLake


def central_account(env: EnvironmentConfig, providers: CentralProviders) -> Central:
    """The observability account, the organization trail and archive, and the guardrails."""
    org = env.org.organization
    region, environment = env.settings.region, env.environment
    audit = env.settings.central_audit
    sink = CentralObservability(
        f"central-{environment}",
        CentralObservabilityArgs(organization_id=org.id, environment=environment),
        opts=_on(providers.observability),
    )

    routing_args = EventRoutingArgs(
        environment=environment,
        region=region,
        account_id=org.observability_account_id,
        organization_id=org.id,
        settings=audit.event_routing,
    )
    routing = EventRouting(
        f"event-routing-{environment}", routing_args, opts=_on(providers.observability)
    )

    trail_account = audit.trail.admin_account_id or org.management_account_id
    trail_args = AuditTrailArgs(
        environment=environment,
        region=region,
        account_id=trail_account,
        management_account_id=org.management_account_id,
        organization_id=org.id,
        archive_bucket_name="",
        central_bus_arn=routing_args.bus_arn,
        settings=audit.trail,
    )
    readers = list(audit.trail.decrypt_principals)
    if audit.trail.enabled:
        archive_args = LogArchiveArgs(
            environment=environment,
            region=region,
            account_id=org.log_archive_account_id,
            organization_id=org.id,
            management_account_id=org.management_account_id,
            trail_name=trail_args.trail_name,
            settings=audit.archive,
            reader_arns=readers,
            logged_bucket_names=(
                [results_bucket_name(environment, org.log_archive_account_id)]
                if audit.analytics.enabled
                else []
            ),
        )
        archive = LogArchive(
            f"log-archive-{environment}", archive_args, opts=_on(providers.log_archive)
        )
        trail_args.archive_bucket_name = archive_args.bucket_name
        trail_args.archive_ready = [archive.bucket_policy]  # CreateTrail checks the policy
        trail = AuditTrail(
            f"audit-trail-{environment}",
            trail_args,
            opts=_on(providers.for_account(env, trail_account)),
        )
        pulumi.export("organizationTrailArn", trail.trail.arn)
        pulumi.export("logArchiveBucket", archive_args.bucket_name)
        if audit.analytics.enabled:
            AuditAnalytics(
                f"audit-analytics-{environment}",
                AuditAnalyticsArgs(
                    environment=environment,
                    region=region,
                    account_id=org.log_archive_account_id,
                    organization_id=org.id,
                    archive_bucket_name=archive_args.bucket_name,
                    access_log_bucket=archive.access_log_bucket.id,
                    account_ids=[
                        org.management_account_id,
                        org.observability_account_id,
                        org.log_archive_account_id,
                        *(a.id for a in env.registry.accounts),
                    ],
                    regions=audit.analytics.regions or [region, "us-east-1"],
                    reader_arns=readers,
                    settings=audit.analytics,
                ),
                opts=_on(providers.log_archive),
            )

    ou_ids = {ou.name: ou.id for ou in org.organizational_units}
    Guardrails(
        f"guardrails-{environment}",
        GuardrailsArgs(
            environment=environment,
            organizational_unit_ids=sorted(
                {ou_ids[a.organizational_unit] for a in env.member_accounts}
            ),
            tag_schema=env.org.tag_schema,
            deployment_role_name=org.deployment_role_name,
            trail_name=trail_args.trail_name,
            enforced_for=audit.tag_policy.enforced_for,
            tag_policy_enabled=audit.tag_policy.enabled,
            service_control_policy_enabled=audit.service_control_policy.enabled,
            cloudtrail_admin_account_id=audit.trail.admin_account_id,
        ),
        opts=_on(providers.management),
    )

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
        zone_count=3 if search.zone_awareness else 1,
        admin_principals=search.admin_principals,
        subnet_ids=search.subnet_ids,
        security_group_ids=search.security_group_ids,
        log_retention_days=env.settings.log_retention_days,
    )
    destination = (
        f"arn:aws:logs:{region}:{org.observability_account_id}:destination:"
        f"{log_analytics_names(environment, org.observability_account_id)['destination']}"
    )
    if search.enabled:
        LogAnalytics(
            f"log-analytics-{environment}", analytics_args, opts=_on(providers.observability)
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
        ),
        opts=_on(providers.observability),
    )

    # One catalog setting per account whose Data Catalog holds obsgov databases: the metric lake
    # and lifecycle archive (observability), audit analytics (log-archive). The setting is per
    # account and region, so the same account is never given two.
    catalogs = {org.observability_account_id: f"data-catalog-{environment}"}
    if audit.trail.enabled and audit.analytics.enabled:
        catalogs.setdefault(org.log_archive_account_id, f"audit-catalog-{environment}")
    for account_id, catalog in catalogs.items():
        CatalogEncryption(
            catalog,
            CatalogEncryptionArgs(environment=environment, account_id=account_id),
            opts=_on(providers.for_account(env, account_id)),
        )

    pulumi.export("centralEventBusArn", routing_args.bus_arn)
    pulumi.export("severityTopicArns", {s: t.arn for s, t in routing.topics.items()})
    pulumi.export("logDestinationArn", destination)
    return Central(sink, routing, routing_args, destination, lake)


def member_account(
    env: EnvironmentConfig, account: Any, central: Central
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
        ),
        opts=_on(provider),
    )
    return provider, baseline


def member_monitoring_jobs(
    env: EnvironmentConfig, account: Any, provider: aws.Provider, baseline: MemberAccountBaseline
) -> None:
    """The scheduled drift and model-quality jobs of one member account's workloads."""
    workloads = env.workloads_for(account)
    drift = env.settings.drift_monitoring
    for workload in workloads:
        if drift is None:
            break
        if isinstance(workload, MlEndpoint) and workload.drift_monitoring:
            kind, bucket, prefix, capture = (
                "Endpoint",
                drift.capture_bucket,
                f"{drift.capture_prefix}{workload.name}/",
                True,
            )
        elif (
            isinstance(workload, EtlPipeline)
            and workload.data_quality_monitoring
            and workload.dataset_location
        ):
            bucket, _, prefix = workload.dataset_location.removeprefix("s3://").partition("/")
            kind, capture = "Pipeline", False
        else:
            continue
        DriftMonitor(
            f"{account.name}-{workload.name}-drift",
            DriftMonitorArgs(
                workload_kind=kind,
                workload_name=workload.name,
                image_uri=drift.image_uri,
                data_bucket=bucket,
                data_prefix=prefix,
                baseline_bucket=drift.baseline_bucket,
                baseline_key=f"{workload.name}/baseline.json",
                report_bucket=drift.report_bucket,
                report_prefix=f"drift/{workload.name}/",
                kms_key_arn=drift.kms_key_arn,
                capture=capture,
                schedule_expression=drift.schedule,
                window_minutes=drift.window_minutes,
                log_retention_days=env.settings.log_retention_days,
                alarm_actions=[baseline.alarm_topic.arn],
            ),
            opts=_on(provider),
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
            opts=_on(provider),
        )


def model_lifecycle(
    env: EnvironmentConfig,
    providers: CentralProviders,
    central: Central,
    member_providers: dict[str, aws.Provider],
) -> None:
    """The model registry as code, lifecycle events centralised, and the approval guard."""
    org = env.org.organization
    region, environment = env.settings.region, env.environment
    endpoints = [
        (a, w)
        for a in env.member_accounts
        for w in env.workloads_for(a)
        if isinstance(w, MlEndpoint)
    ]
    ml_accounts = sorted({a.id for a, _ in endpoints})
    for account in env.member_accounts:
        if account.id in ml_accounts:
            LifecycleForwarding(
                f"{account.name}-lifecycle",
                LifecycleForwardingArgs(environment, account.id, central.routing_args.bus_arn),
                opts=_on(member_providers[account.id]),
            )
    approval = env.settings.model_approval
    registry = approval.registry_account_id
    if registry is not None and endpoints:
        serving: dict[str, set[str]] = {}
        for account, endpoint in endpoints:
            serving.setdefault(endpoint.model_package_group, set()).add(account.id)
        registry_provider = member_providers.get(registry) or providers.for_account(env, registry)
        model_ids = {e.model_package_group: e.model_id for _, e in endpoints}
        ModelRegistry(
            f"model-registry-{environment}",
            ModelRegistryArgs(
                environment, registry, region, {g: sorted(a) for g, a in serving.items()}, model_ids
            ),
            opts=_on(registry_provider),
        )
        if registry not in ml_accounts:
            LifecycleForwarding(
                f"registry-lifecycle-{environment}",
                LifecycleForwardingArgs(environment, registry, central.routing_args.bus_arn),
                opts=_on(registry_provider),
            )
        if approval.guard.enabled:
            rules = approval.guard_rules(environment)
            ModelApprovalGuard(
                f"model-guard-{environment}",
                ModelApprovalGuardArgs(
                    environment=environment,
                    account_id=registry,
                    region=region,
                    rules_json=rules.to_json(),
                    model_package_groups=sorted(serving),
                    metrics_report_prefix=approval.guard.metrics_report_prefix or "",
                    previous_registry_account_id=rules.previous_registry_account,
                    log_retention_days=env.settings.log_retention_days,
                    notification_emails=env.settings.notifications.emails,
                ),
                opts=_on(registry_provider),
            )
    if ml_accounts:
        LifecycleCentral(
            f"model-lifecycle-{environment}",
            LifecycleCentralArgs(
                environment,
                org.observability_account_id,
                region,
                central.routing_args.bus_name,
                _topic_arn(env, central, "critical"),
                ml_accounts,
                log_retention_days=env.settings.log_retention_days,
            ),
            opts=_on(providers.observability),
        )


def _topic_arn(env: EnvironmentConfig, central: Central, severity: str) -> str:
    from .event_routing import severity_topic_name

    return (
        f"arn:aws:sns:{env.settings.region}:{env.org.organization.observability_account_id}:"
        f"{severity_topic_name(env.environment, severity)}"
    )


def analytics_views(
    env: EnvironmentConfig, providers: CentralProviders, central: Central, alarm_arns: list[str]
) -> None:
    """QuickSight datasets and the cross-account operations dashboards."""
    org = env.org.organization
    served, links, endpoints, pipelines, kpis = [], [], [], [], []
    for account in env.member_accounts:
        for w in env.workloads_for(account):
            if isinstance(w, MlEndpoint):
                served.append(ServedModel(account.id, w.name, w.model_id, w.model_version))
                endpoints.append(EndpointPanel(account.id, w.name, w.variant_name))
            elif isinstance(w, EtlPipeline):
                pipelines.append(PipelinePanel(account.id, w.name, w.engine, env.settings.region))
            elif isinstance(w, BusinessKpi):
                links.append(
                    KpiLink(account.id, w.name, w.namespace, w.metric_name, w.driven_by or "")
                )
                kpis.append(
                    KpiPanel(
                        account.id,
                        w.name,
                        w.namespace,
                        w.metric_name,
                        w.statistic,
                        tuple(sorted(w.dimensions.items())),
                        w.driven_by,
                    )
                )
    lake = central.lake
    quicksight = env.settings.quick_sight
    if quicksight.principals or quicksight.owners:
        BusinessViews(
            f"business-views-{env.environment}",
            BusinessViewsArgs(
                environment=env.environment,
                account_id=org.observability_account_id,
                workgroup=lake.workgroup.name,
                database=lake.database_name,
                table=lake.table_name,
                served_models=served,
                kpi_links=links,
                lifecycle_archive=(f"obsgov_{env.environment}_lifecycle", "events")
                if served
                else None,
                viewers=quicksight.principals,
                owners=quicksight.owners,
            ),
            opts=_on(providers.observability),
        )
    OperationsDashboards(
        f"dashboards-{env.environment}",
        OperationsDashboardsArgs(
            spec=DashboardSpec(
                environment=env.environment,
                region=env.settings.region,
                endpoints=endpoints,
                pipelines=pipelines,
                kpis=kpis,
                alarm_arns=alarm_arns,
                anomaly_band_width=env.settings.alarm_defaults.anomaly_band_width,
            )
        ),
        opts=_on(providers.observability),
    )
