"""The views on top: QuickSight datasets and the cross-account operations dashboards."""

from __future__ import annotations

from obsgov.config.environment import EnvironmentConfig
from obsgov.config.models import BusinessKpi, EtlPipeline, MlEndpoint

from ..views.business_views import BusinessViews, BusinessViewsArgs, KpiLink, ServedModel
from ..views.ops_dashboards import (
    DashboardSpec,
    EndpointPanel,
    KpiPanel,
    OperationsDashboards,
    OperationsDashboardsArgs,
    PipelinePanel,
)
from .central_account import Central
from .central_providers import CentralProviders, on


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
            opts=on(providers.observability),
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
        opts=on(providers.observability),
    )
