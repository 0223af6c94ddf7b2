"""The views on top: QuickSight datasets and the cross-account operations dashboards."""

from __future__ import annotations

from obsgov.config.environment import EnvironmentConfig
from obsgov.config.models import BusinessKpi, MlEndpoint

from ..audit.catalog_encryption import key_alias as catalog_key_alias
from ..central.metric_lake import METRICS_PREFIX, RESULTS_PREFIX
from ..central.metric_lake import names as lake_names
from ..views.business_views import (
    BusinessViews,
    BusinessViewsArgs,
    KpiLink,
    LakeAccess,
    ServedModel,
)
from ..views.ops_dashboards import DashboardSpec, OperationsDashboards, OperationsDashboardsArgs
from ..workload_kinds import WORKLOAD_KINDS
from .central_account import Central
from .central_providers import CentralProviders, on


def analytics_views(
    env: EnvironmentConfig, providers: CentralProviders, central: Central, alarm_arns: list[str]
) -> None:
    """QuickSight datasets and the cross-account operations dashboards."""
    org = env.org.organization
    region = env.settings.region
    served, links = [], []
    for account in env.member_accounts:
        for w in env.workloads_for(account):
            # the business views' rows: the model an endpoint serves, the KPI and what drives it
            if isinstance(w, MlEndpoint):
                served.append(ServedModel(account.id, w.name, w.model_id, w.model_version))
            elif isinstance(w, BusinessKpi):
                links.append(
                    KpiLink(account.id, w.name, w.namespace, w.metric_name, w.driven_by or "")
                )
    # every kind's panels, kind by kind in the table's order
    panels = [
        kind.panel(account.id, w, region)
        for kind in WORKLOAD_KINDS
        if kind.panel is not None
        for account in env.member_accounts
        for w in env.workloads_for(account)
        if w.kind == kind.name
    ]
    lake = central.lake
    quicksight = env.settings.quick_sight
    if quicksight.principals or quicksight.owners:
        lake_bucket = lake_names(env.environment, org.observability_account_id)["bucket"]
        lifecycle = (f"obsgov_{env.environment}_lifecycle", "events") if served else None
        lifecycle_bucket = (
            f"obsgov-{env.environment}-model-lifecycle-archive-{org.observability_account_id}"
        )
        access = LakeAccess(
            region=region,
            workgroup=lake_names(env.environment, org.observability_account_id)["workgroup"],
            tables=((lake.database_name, lake.table_name), *([lifecycle] if lifecycle else [])),
            reads=(
                (lake_bucket, METRICS_PREFIX),
                *([(lifecycle_bucket, "events/")] if lifecycle else []),
            ),
            results=(lake_bucket, RESULTS_PREFIX),
            catalog_key_alias=catalog_key_alias(env.environment),
        )
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
                lifecycle_archive=lifecycle,
                lake_access=access,
                viewers=quicksight.principals,
                owners=quicksight.owners,
                region=region,
            ),
            opts=on(providers.observability, providers.observability_native),
        )
    OperationsDashboards(
        f"dashboards-{env.environment}",
        OperationsDashboardsArgs(
            spec=DashboardSpec(
                environment=env.environment,
                region=region,
                panels=panels,
                alarm_arns=alarm_arns,
                anomaly_band_width=env.settings.alarm_defaults.anomaly_band_width,
            )
        ),
        opts=on(providers.observability),
    )
