"""QuickSight dashboards and analyses as code, on the business views' data sets.

pulumi-aws's ``quicksight.Dashboard`` takes only a ``source_entity`` (a template someone made by
hand); the AWS Cloud Control provider (pulumi-aws-native) takes the whole ``Definition``, so the
sheets and visuals live here, reviewed like any other change. The shapes are QuickSight's API
(``DashboardVersionDefinition``: a dashboard declares every data set it uses in
``DataSetIdentifierDeclarations`` and its visuals name columns by ``{DataSetIdentifier,
ColumnName}``; https://docs.aws.amazon.com/quicksight/latest/APIReference/API_DashboardVersionDefinition.html
and API_AnalysisDefinition.html), written as the SDK's snake_case input dicts.

Four dashboards per environment, the ones the seed describes:

* model performance next to the business KPI it drives,
* endpoint health (per endpoint and model version),
* pipeline health,
* model approvals and lineage (when the environment has a model lifecycle archive).

Each comes with an analysis of the same definition for the owners, who edit there and publish;
analyses have no read-only sharing in QuickSight, so readers get the dashboards only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import pulumi
import pulumi_aws_native as aws_native

# Read-only dashboard access (QuickSight developer guide, "UpdateDashboardPermissions":
# https://docs.aws.amazon.com/quicksight/latest/developerguide/update-dashboard-permissions.html)
VIEWER_DASHBOARD_ACTIONS = (
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:QueryDashboard",
)
OWNER_DASHBOARD_ACTIONS = VIEWER_DASHBOARD_ACTIONS + (
    "quicksight:UpdateDashboard",
    "quicksight:DeleteDashboard",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:UpdateDashboardPermissions",
    "quicksight:UpdateDashboardPublishedVersion",
)
OWNER_ANALYSIS_ACTIONS = (
    "quicksight:DescribeAnalysis",
    "quicksight:DescribeAnalysisPermissions",
    "quicksight:QueryAnalysis",
    "quicksight:UpdateAnalysis",
    "quicksight:DeleteAnalysis",
    "quicksight:RestoreAnalysis",
    "quicksight:UpdateAnalysisPermissions",
)

# Grid layouts are 36 columns wide (GridLayoutElement ColumnSpan 1..36, RowSpan 1..21)
GRID_COLUMNS = 36
HALF, FULL, ROWS = 18, 36, 12

Role = Literal["dimension", "date", "sum", "max", "count"]


@dataclass(frozen=True)
class Use:
    """One column a visual uses, and how: grouped (``dimension``, ``date`` by hour) or
    aggregated (``sum``, ``max``, ``count``)."""

    column: str
    role: Role = "dimension"


@dataclass(frozen=True)
class Visual:
    visual_id: str
    kind: Literal["line", "bar", "table", "rows"]
    title: str
    dataset: str  # the data set's key (business_views.Dataset.key), its identifier here
    category: tuple[Use, ...] = ()  # x axis / group by
    values: tuple[Use, ...] = ()
    colors: tuple[Use, ...] = ()
    width: int = HALF

    def uses(self) -> tuple[Use, ...]:
        return self.category + self.values + self.colors


@dataclass(frozen=True)
class Sheet:
    sheet_id: str
    name: str
    visuals: tuple[Visual, ...]


@dataclass(frozen=True)
class DashboardPlan:
    key: str
    title: str
    sheets: tuple[Sheet, ...]

    def datasets(self) -> list[str]:
        """The data sets the visuals use, in order of first use."""
        seen: dict[str, None] = {}
        for sheet in self.sheets:
            for visual in sheet.visuals:
                seen.setdefault(visual.dataset)
        return list(seen)


def _d(column: str) -> Use:
    return Use(column, "dimension")


def _t(column: str) -> Use:
    return Use(column, "date")


def _sum(column: str) -> Use:
    return Use(column, "sum")


def _max(column: str) -> Use:
    return Use(column, "max")


PERFORMANCE = "model-performance-vs-kpis"
KPIS = "business-kpis"
ENDPOINTS = "endpoint-health"
PIPELINES = "pipeline-health"
LINEAGE = "model-approvals-lineage"


def dashboard_plans(available: Sequence[str]) -> list[DashboardPlan]:
    """The dashboards whose data sets are all among ``available`` (data set keys)."""
    plans = [
        DashboardPlan(
            "model-performance",
            "Model performance and business KPIs",
            (
                Sheet(
                    "kpi-beside-model",
                    "KPI beside its model",
                    (
                        Visual(
                            "kpi-by-hour",
                            "line",
                            "KPI per hour",
                            PERFORMANCE,
                            (_t("hour"),),
                            (_sum("kpi_total"),),
                            (_d("kpi"),),
                        ),
                        Visual(
                            "latency-by-hour",
                            "line",
                            "Peak model latency per hour (µs) of the workload behind each KPI",
                            PERFORMANCE,
                            (_t("hour"),),
                            (_max("latency_max_us"),),
                            (_d("workload"),),
                        ),
                        Visual(
                            "errors-by-hour",
                            "line",
                            "Invocations and 5XX errors per hour",
                            PERFORMANCE,
                            (_t("hour"),),
                            (_sum("invocations"), _sum("errors_5xx")),
                        ),
                        Visual(
                            "kpi-and-model",
                            "table",
                            "Each KPI and the workload that drives it",
                            PERFORMANCE,
                            (_d("account_id"), _d("kpi"), _d("workload")),
                            (
                                _sum("kpi_total"),
                                _max("latency_max_us"),
                                _sum("invocations"),
                                _sum("errors_5xx"),
                            ),
                        ),
                    ),
                ),
                Sheet(
                    "kpis",
                    "Business KPIs",
                    (
                        Visual(
                            "kpi-trend",
                            "line",
                            "KPIs over time",
                            KPIS,
                            (_t("observed_at"),),
                            (_sum("total"),),
                            (_d("kpi"),),
                            width=FULL,
                        ),
                    ),
                ),
            ),
        ),
        DashboardPlan(
            "endpoint-health",
            "Endpoint health",
            (
                Sheet(
                    "endpoints",
                    "Endpoints",
                    (
                        Visual(
                            "traffic-and-errors",
                            "line",
                            "Invocations and errors per hour",
                            ENDPOINTS,
                            (_t("observed_at"),),
                            (_sum("total"),),
                            (_d("metric_name"),),
                        ),
                        Visual(
                            "peak-latency",
                            "bar",
                            "Peak latency per endpoint (µs)",
                            ENDPOINTS,
                            (_d("endpoint"),),
                            (_max("maximum"),),
                            (_d("metric_name"),),
                        ),
                        Visual(
                            "by-model-version",
                            "table",
                            "Per endpoint and model version",
                            ENDPOINTS,
                            (
                                _d("account_id"),
                                _d("endpoint"),
                                _d("model_id"),
                                _d("model_version"),
                                _d("metric_name"),
                            ),
                            (_sum("total"), _sum("samples"), _max("maximum")),
                            width=FULL,
                        ),
                    ),
                ),
            ),
        ),
        DashboardPlan(
            "pipeline-health",
            "Pipeline health",
            (
                Sheet(
                    "pipelines",
                    "Pipelines",
                    (
                        Visual(
                            "runs-by-hour",
                            "line",
                            "Pipeline metrics per hour",
                            PIPELINES,
                            (_t("observed_at"),),
                            (_sum("total"),),
                            (_d("metric_name"),),
                        ),
                        Visual(
                            "per-pipeline",
                            "bar",
                            "Per pipeline",
                            PIPELINES,
                            (_d("pipeline"),),
                            (_sum("total"),),
                            (_d("metric_name"),),
                        ),
                        Visual(
                            "pipeline-table",
                            "table",
                            "Per account, engine and pipeline",
                            PIPELINES,
                            (
                                _d("account_id"),
                                _d("namespace"),
                                _d("pipeline"),
                                _d("metric_name"),
                            ),
                            (_sum("total"), _max("maximum")),
                            width=FULL,
                        ),
                    ),
                ),
            ),
        ),
        DashboardPlan(
            "approvals-lineage",
            "Model approvals and lineage",
            (
                Sheet(
                    "approvals",
                    "Approvals",
                    (
                        Visual(
                            "decisions",
                            "bar",
                            "Approval decisions per model group",
                            LINEAGE,
                            (_d("model_group"),),
                            (Use("package_arn", "count"),),
                            (_d("approval_status"),),
                            width=FULL,
                        ),
                        Visual(
                            "lineage",
                            "rows",
                            "Who approved which version, when, from which training job",
                            LINEAGE,
                            values=(
                                _d("model_group"),
                                _d("version"),
                                _d("approval_status"),
                                _d("changed_at"),
                                _d("approver"),
                                _d("approval_description"),
                                _d("produced_by"),
                                _d("account"),
                            ),
                            width=FULL,
                        ),
                    ),
                ),
            ),
        ),
    ]
    return [p for p in plans if set(p.datasets()) <= set(available)]


# ------------------------------------------------------------------ the API's shapes


def _column(dataset: str, column: str) -> dict[str, str]:
    return {"data_set_identifier": dataset, "column_name": column}


def _field_id(visual: Visual, use: Use, index: int) -> str:
    return f"{visual.visual_id}.{use.column}.{use.role}.{index}"


def _dimension(visual: Visual, use: Use, index: int) -> dict[str, Any]:
    fid, column = _field_id(visual, use, index), _column(visual.dataset, use.column)
    if use.role == "date":
        return {
            "date_dimension_field": {
                "field_id": fid,
                "column": column,
                "date_granularity": "HOUR",
            }
        }
    return {"categorical_dimension_field": {"field_id": fid, "column": column}}


def _measure(visual: Visual, use: Use, index: int) -> dict[str, Any]:
    fid, column = _field_id(visual, use, index), _column(visual.dataset, use.column)
    if use.role == "count":
        return {
            "categorical_measure_field": {
                "field_id": fid,
                "column": column,
                "aggregation_function": "COUNT",
            }
        }
    aggregation = {"sum": "SUM", "max": "MAX"}[use.role]
    return {
        "numerical_measure_field": {
            "field_id": fid,
            "column": column,
            "aggregation_function": {"simple_numerical_aggregation": aggregation},
        }
    }


def _title(text: str) -> dict[str, Any]:
    return {"visibility": "VISIBLE", "format_text": {"plain_text": text}}


def _visual(visual: Visual) -> dict[str, Any]:
    n = 0

    def dims(uses: Sequence[Use]) -> list[dict[str, Any]]:
        nonlocal n
        out = []
        for use in uses:
            out.append(_dimension(visual, use, n))
            n += 1
        return out

    def measures(uses: Sequence[Use]) -> list[dict[str, Any]]:
        nonlocal n
        out = []
        for use in uses:
            out.append(_measure(visual, use, n))
            n += 1
        return out

    common = {"visual_id": visual.visual_id, "title": _title(visual.title)}
    if visual.kind == "line":
        wells = {
            "line_chart_aggregated_field_wells": {
                "category": dims(visual.category),
                "values": measures(visual.values),
                "colors": dims(visual.colors),
            }
        }
        return {"line_chart_visual": {**common, "chart_configuration": {"field_wells": wells}}}
    if visual.kind == "bar":
        wells = {
            "bar_chart_aggregated_field_wells": {
                "category": dims(visual.category),
                "values": measures(visual.values),
                "colors": dims(visual.colors),
            }
        }
        return {
            "bar_chart_visual": {
                **common,
                "chart_configuration": {"field_wells": wells, "orientation": "HORIZONTAL"},
            }
        }
    if visual.kind == "table":
        wells = {
            "table_aggregated_field_wells": {
                "group_by": dims(visual.category),
                "values": measures(visual.values),
            }
        }
        return {"table_visual": {**common, "chart_configuration": {"field_wells": wells}}}
    # rows: an unaggregated table, one row per event
    unaggregated = [
        {
            "field_id": _field_id(visual, use, i),
            "column": _column(visual.dataset, use.column),
        }
        for i, use in enumerate(visual.values)
    ]
    wells = {"table_unaggregated_field_wells": {"values": unaggregated}}
    return {"table_visual": {**common, "chart_configuration": {"field_wells": wells}}}


def _layout(sheet: Sheet) -> dict[str, Any]:
    elements, x, y = [], 0, 0
    for visual in sheet.visuals:
        if x + visual.width > GRID_COLUMNS:
            x, y = 0, y + ROWS
        elements.append(
            {
                "element_id": visual.visual_id,
                "element_type": "VISUAL",
                "column_index": x,
                "column_span": visual.width,
                "row_index": y,
                "row_span": ROWS,
            }
        )
        x += visual.width
    return {"configuration": {"grid_layout": {"elements": elements}}}


def definition(plan: DashboardPlan, dataset_arns: Mapping[str, str]) -> dict[str, Any]:
    """The plan as a ``DashboardVersionDefinition`` / ``AnalysisDefinition`` (same shape for
    what is used here): every data set it uses declared under its key."""
    return {
        "data_set_identifier_declarations": [
            {"identifier": key, "data_set_arn": dataset_arns[key]} for key in plan.datasets()
        ],
        "sheets": [
            {
                "sheet_id": sheet.sheet_id,
                "name": sheet.name,
                "title": sheet.name,
                "visuals": [_visual(v) for v in sheet.visuals],
                "layouts": [_layout(sheet)],
            }
            for sheet in plan.sheets
        ],
    }


def dataset_arn(region: str, account_id: str, dataset_id: str) -> str:
    """A data set's ARN from its id (QuickSight's ARN format, Service Authorization Reference,
    "Resource types defined by Amazon QuickSight": ``dataset/${ResourceId}``): known at
    preview, so the packs and tests can map declarations to data sets."""
    return f"arn:aws:quicksight:{region}:{account_id}:dataset/{dataset_id}"


# ------------------------------------------------------------------ resources


@dataclass
class DashboardsArgs:
    environment: str
    account_id: str
    region: str
    dataset_ids: Mapping[str, str]  # data set key -> its DataSetId
    viewers: Sequence[str] = field(default_factory=list)
    owners: Sequence[str] = field(default_factory=list)
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)


def _grants(
    viewers: Sequence[str], owners: Sequence[str], viewer: Sequence[str], owner: Sequence[str]
):
    grants = [(p, list(owner)) for p in sorted(set(owners))]
    grants += [(p, list(viewer)) for p in sorted(set(viewers) - set(owners))]
    return grants


def create_dashboards(
    parent: pulumi.Resource, name: str, args: DashboardsArgs
) -> list[aws_native.quicksight.Dashboard]:
    """One dashboard (and, when there are owners, one analysis) per plan whose data sets
    exist: children of ``parent`` on its pulumi-aws-native provider, after the data sets."""
    opts = pulumi.ResourceOptions(parent=parent, depends_on=list(args.depends_on))
    arns = {
        key: dataset_arn(args.region, args.account_id, dataset_id)
        for key, dataset_id in args.dataset_ids.items()
    }
    prefix = f"obsgov-{args.environment}"
    made = []
    for plan in dashboard_plans(list(arns)):
        body = definition(plan, arns)
        made.append(
            aws_native.quicksight.Dashboard(
                f"{name}-{plan.key}-dashboard",
                aws_account_id=args.account_id,
                dashboard_id=f"{prefix}-{plan.key}",
                name=f"{prefix} {plan.title}",
                definition=cast(Any, body),
                permissions=[
                    aws_native.quicksight.DashboardResourcePermissionArgs(principal=p, actions=a)
                    for p, a in _grants(
                        args.viewers,
                        args.owners,
                        VIEWER_DASHBOARD_ACTIONS,
                        OWNER_DASHBOARD_ACTIONS,
                    )
                ],
                # readers may filter what they see (ad hoc filtering on the published version)
                dashboard_publish_options=cast(
                    Any, {"ad_hoc_filtering_option": {"availability_status": "ENABLED"}}
                ),
                version_description="obsgov",
                opts=opts,
            )
        )
        if args.owners:
            aws_native.quicksight.Analysis(
                f"{name}-{plan.key}-analysis",
                aws_account_id=args.account_id,
                analysis_id=f"{prefix}-{plan.key}",
                name=f"{prefix} {plan.title}",
                definition=cast(Any, body),
                permissions=[
                    aws_native.quicksight.AnalysisResourcePermissionArgs(
                        principal=p, actions=list(OWNER_ANALYSIS_ACTIONS)
                    )
                    for p in sorted(set(args.owners))
                ],
                opts=opts,
            )
    return made
