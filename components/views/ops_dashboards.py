"""Cross-account CloudWatch dashboards for the on-call, generated from the accounts registry.

The dashboards live in the observability account and read each member account's metrics through
the OAM link: every metric names its source account (``accountId``), so one widget can chart
several accounts. A dashboard body holds at most 500 widgets, 500 metrics per widget and 2,500
metrics across its widgets (CloudWatch's quotas); :func:`dashboard_bodies` splits the panels over
as many dashboards as those limits need.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi
import pulumi_aws as aws

from obsgov_policies.signals import (
    ENDPOINT_NAME,
    FUNCTION_NAME,
    GLUE_NAMESPACE,
    JOB_NAME,
    LAMBDA_NAMESPACE,
    SAGEMAKER_NAMESPACE,
    STATE_MACHINE_ARN,
    STATES_NAMESPACE,
    VARIANT_NAME,
)

MAX_WIDGETS = 500
MAX_METRICS_PER_WIDGET = 500
MAX_METRICS_PER_DASHBOARD = 2500
MAX_ALARMS_PER_WIDGET = 100
GRID_WIDTH = 24


class Panel(Protocol):
    """One workload's widgets (a workload kind's ``panel`` in ``components.workload_kinds``)."""

    def widgets(self, region: str, band: float) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class EndpointPanel:
    account_id: str
    endpoint: str
    variant: str = "AllTraffic"

    def widgets(self, region: str, band: float) -> list[dict[str, Any]]:
        return endpoint_widgets(self, region, band)


@dataclass(frozen=True)
class PipelinePanel:
    account_id: str
    pipeline: str
    engine: str  # glue | step-functions | lambda
    region: str = ""

    def widgets(self, region: str, band: float) -> list[dict[str, Any]]:
        return pipeline_widgets(self, region)


@dataclass(frozen=True)
class KpiPanel:
    account_id: str
    name: str
    namespace: str
    metric_name: str
    statistic: str
    dimensions: tuple[tuple[str, str], ...] = ()
    drives: str | None = None  # the endpoint or pipeline this KPI depends on

    def widgets(self, region: str, band: float) -> list[dict[str, Any]]:
        return kpi_widgets(self, region, band)


@dataclass
class DashboardSpec:
    environment: str
    region: str
    # in the order they appear: the workload kinds' order, then the registry's
    panels: Sequence[Panel] = field(default_factory=list)
    alarm_arns: Sequence[str] = field(default_factory=list)
    anomaly_band_width: float = 2.0


def _metric(
    namespace: str, name: str, dims: Sequence[tuple[str, str]], account_id: str, **options: Any
) -> list[Any]:
    row: list[Any] = [namespace, name]
    for key, value in dims:
        row += [key, value]
    row.append({"accountId": account_id, **options})
    return row


def _widget(
    title: str, metrics: list[list[Any]], region: str, *, stat: str = "Average", width: int = 12
) -> dict[str, Any]:
    return {
        "type": "metric",
        "width": width,
        "height": 6,
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stat": stat,
            "period": 60,
            "metrics": metrics,
        },
    }


def endpoint_widgets(panel: EndpointPanel, region: str, band: float) -> list[dict[str, Any]]:
    dims = ((ENDPOINT_NAME, panel.endpoint), (VARIANT_NAME, panel.variant))
    a = panel.account_id
    where = f"{panel.endpoint} ({a})"
    return [
        _widget(
            f"{where}: model latency p50 / p99 (µs)",
            [
                _metric(SAGEMAKER_NAMESPACE, "ModelLatency", dims, a, stat="p50", label="p50"),
                _metric(SAGEMAKER_NAMESPACE, "ModelLatency", dims, a, stat="p99", label="p99"),
            ],
            region,
        ),
        _widget(
            f"{where}: error rates (%)",
            [
                _metric(
                    SAGEMAKER_NAMESPACE,
                    "Invocation4XXErrors",
                    dims,
                    a,
                    stat="Sum",
                    id="e4",
                    visible=False,
                ),
                _metric(
                    SAGEMAKER_NAMESPACE,
                    "Invocation5XXErrors",
                    dims,
                    a,
                    stat="Sum",
                    id="e5",
                    visible=False,
                ),
                _metric(
                    SAGEMAKER_NAMESPACE,
                    "Invocations",
                    dims,
                    a,
                    stat="Sum",
                    id="calls",
                    visible=False,
                ),
                [
                    {
                        "expression": "IF(calls > 0, 100 * e4 / calls, 0)",
                        "label": "4XX %",
                        "id": "r4",
                    }
                ],
                [
                    {
                        "expression": "IF(calls > 0, 100 * e5 / calls, 0)",
                        "label": "5XX %",
                        "id": "r5",
                    }
                ],
            ],
            region,
            stat="Sum",
        ),
        _widget(
            f"{where}: invocations and expected band",
            [
                _metric(SAGEMAKER_NAMESPACE, "Invocations", dims, a, stat="Sum", id="m1"),
                [
                    {
                        "expression": f"ANOMALY_DETECTION_BAND(m1, {band:g})",
                        "label": "expected",
                        "id": "ad1",
                    }
                ],
            ],
            region,
            stat="Sum",
        ),
    ]


_PIPELINE_METRICS = {
    "glue": (
        GLUE_NAMESPACE,
        (("JobRunId", "ALL"), ("Type", "count")),
        "glue.driver.aggregate.elapsedTime",
        "glue.driver.aggregate.numFailedTasks",
        JOB_NAME,
    ),
    "step-functions": (
        STATES_NAMESPACE,
        (),
        "ExecutionTime",
        "ExecutionsFailed",
        STATE_MACHINE_ARN,
    ),
    "lambda": (LAMBDA_NAMESPACE, (), "Duration", "Errors", FUNCTION_NAME),
}


def pipeline_widgets(panel: PipelinePanel, region: str) -> list[dict[str, Any]]:
    from obsgov import metric_contract as contract

    namespace, extra, duration, failures, key = _PIPELINE_METRICS[panel.engine]
    ident = panel.pipeline
    if panel.engine == "step-functions":
        ident = f"arn:aws:states:{panel.region or region}:{panel.account_id}:stateMachine:{panel.pipeline}"
    dims = ((key, ident), *extra)
    a = panel.account_id
    where = f"{panel.pipeline} ({a})"
    return [
        _widget(
            f"{where}: duration and failures",
            [
                _metric(namespace, duration, dims, a, stat="Maximum", label="duration"),
                _metric(namespace, failures, dims, a, stat="Sum", label="failures", yAxis="right"),
            ],
            region,
            stat="Maximum",
        ),
        _widget(
            f"{where}: records processed",
            [
                _metric(
                    contract.PIPELINE_NAMESPACE,
                    contract.RECORDS_PROCESSED.name,
                    ((contract.PIPELINE_DIMENSION, panel.pipeline),),
                    a,
                    stat="Sum",
                    label="processed",
                ),
                _metric(
                    contract.PIPELINE_NAMESPACE,
                    contract.RECORDS_FAILED.name,
                    ((contract.PIPELINE_DIMENSION, panel.pipeline),),
                    a,
                    stat="Sum",
                    label="failed",
                ),
            ],
            region,
            stat="Sum",
        ),
    ]


def kpi_widgets(panel: KpiPanel, region: str, band: float) -> list[dict[str, Any]]:
    title = f"KPI {panel.name} ({panel.account_id})"
    if panel.drives:
        title += f", driven by {panel.drives}"
    return [
        _widget(
            title,
            [
                _metric(
                    panel.namespace,
                    panel.metric_name,
                    panel.dimensions,
                    panel.account_id,
                    stat=panel.statistic,
                    id="m1",
                ),
                [
                    {
                        "expression": f"ANOMALY_DETECTION_BAND(m1, {band:g})",
                        "label": "expected",
                        "id": "ad1",
                    }
                ],
            ],
            region,
            stat=panel.statistic,
        )
    ]


def alarm_widgets(alarm_arns: Sequence[str], environment: str) -> list[dict[str, Any]]:
    arns = sorted(alarm_arns)
    return [
        {
            "type": "alarm",
            "width": GRID_WIDTH,
            "height": 6,
            "properties": {
                "title": f"{environment}: alarms ({i // MAX_ALARMS_PER_WIDGET + 1})",
                "alarms": arns[i : i + MAX_ALARMS_PER_WIDGET],
                "sortBy": "stateUpdatedTimestamp",
                "states": ["ALARM"],
            },
        }
        for i in range(0, len(arns), MAX_ALARMS_PER_WIDGET)
    ]


def metric_count(widget: dict[str, Any]) -> int:
    return len(widget.get("properties", {}).get("metrics", []))


def _layout(widgets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    x = y = row_height = 0
    placed = []
    for widget in widgets:
        if x + widget["width"] > GRID_WIDTH:
            x, y, row_height = 0, y + row_height, 0
        placed.append({**widget, "x": x, "y": y})
        x += widget["width"]
        row_height = max(row_height, widget["height"])
    return placed


def dashboard_bodies(spec: DashboardSpec) -> list[dict[str, Any]]:
    """Every widget the spec calls for, packed into as few bodies as CloudWatch's limits allow.
    Alarm widgets come first on the first dashboard: the on-call's first question."""
    widgets = alarm_widgets(spec.alarm_arns, spec.environment)
    for panel in spec.panels:
        widgets += panel.widgets(spec.region, spec.anomaly_band_width)
    bodies: list[list[dict[str, Any]]] = [[]]
    metrics = 0
    for widget in widgets:
        count = metric_count(widget)
        if len(bodies[-1]) >= MAX_WIDGETS or metrics + count > MAX_METRICS_PER_DASHBOARD:
            bodies.append([])
            metrics = 0
        bodies[-1].append(widget)
        metrics += count
    return [
        {"start": "-PT6H", "periodOverride": "inherit", "widgets": _layout(b)}
        for b in bodies
        if b or len(bodies) == 1
    ]


@dataclass
class OperationsDashboardsArgs:
    spec: DashboardSpec


class OperationsDashboards(pulumi.ComponentResource):
    """One or more dashboards named ``obsgov-<env>-operations[-<n>]``."""

    def __init__(
        self, name: str, args: OperationsDashboardsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("obsgov:ops_dashboards:OperationsDashboards", name, None, opts)
        bodies = dashboard_bodies(args.spec)
        self.names = []
        for i, body in enumerate(bodies, start=1):
            suffix = "" if len(bodies) == 1 else f"-{i}"
            dashboard = f"obsgov-{args.spec.environment}-operations{suffix}"
            aws.cloudwatch.Dashboard(
                f"{name}-dashboard{suffix}",
                dashboard_name=dashboard,
                dashboard_body=json.dumps(body, sort_keys=True),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.names.append(dashboard)
        self.register_outputs({"dashboardNames": self.names})
