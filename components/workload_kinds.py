"""The workload kinds: one entry each, holding everything the program does differently per kind.

An entry names the kind's registry model (``obsgov/config/models/accounts.py``: its fields,
default log groups, the tags it supplies), its alarm builder, the signal classes its alarms must
cover, its panel on the operations dashboards and the data its drift job reads. The member
baseline, the dashboards and the drift jobs go through this table, never through a list of
kinds of their own, so a kind missing here fails (``kind_of``) instead of being skipped.

Cost has no entry: the environment report prices resources by type, so a new kind's alarms,
log groups and functions are priced as every other's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from obsgov import metric_contract as mc
from obsgov.config.models import BusinessKpi, EtlPipeline, MlEndpoint
from obsgov.config.models.accounts import WorkloadModel
from obsgov.config.models.settings import DriftMonitoringSettings
from obsgov_policies.signals import ERRORS, FRESHNESS, LATENCY, QUALITY, SATURATION, TRAFFIC

from .member.alarm_spec import AlarmContext, AlarmSpec
from .member.endpoint_alarms import endpoint_alarms
from .member.kpi_alarms import kpi_alarms
from .member.pipeline_alarms import pipeline_alarms
from .views.ops_dashboards import EndpointPanel, KpiPanel, Panel, PipelinePanel

W = TypeVar("W")


@dataclass(frozen=True)
class DriftData:
    """Where a workload's drift job reads its data, and the dimension its metrics carry."""

    dimension: str  # obsgov.metric_contract.WORKLOAD_DIMENSIONS
    bucket: str
    prefix: str
    capture: bool  # SageMaker data-capture files, not plain records


@dataclass(frozen=True)
class WorkloadKind(Generic[W]):
    model: type[W]
    # the registry entry -> its alarms (member/<kind>_alarms.py)
    alarms: Callable[[AlarmContext, W], list[AlarmSpec]]
    # the signal classes (obsgov_policies.signals) the workload's alarms must cover
    signal_classes: Callable[[W], frozenset[str]]
    # (account id, workload, region) -> its panel on the operations dashboards; None: the kind's
    # alarms show on the dashboards' alarm widgets only
    panel: Callable[[str, W, str], Panel] | None
    # (workload, settings, the account's monitoring bucket) -> the workload's drift data, or
    # None when it has none (None here: the kind never has)
    drift: Callable[[W, DriftMonitoringSettings, str], DriftData | None] | None

    @property
    def name(self) -> str:
        return str(self.model.kind_name())  # type: ignore[attr-defined]


def _endpoint_signals(endpoint: MlEndpoint) -> frozenset[str]:
    quality = {QUALITY} if endpoint.drift_monitoring or endpoint.model_quality else set()
    return frozenset({LATENCY, ERRORS, TRAFFIC, SATURATION} | quality)


def _endpoint_drift(
    endpoint: MlEndpoint, drift: DriftMonitoringSettings, own_bucket: str
) -> DriftData | None:
    if not endpoint.drift_monitoring:
        return None
    prefix = f"{drift.capture_prefix}{endpoint.name}/"
    return DriftData(
        mc.ENDPOINT_DIMENSION, drift.capture_bucket or own_bucket, prefix, capture=True
    )


def _pipeline_signals(pipeline: EtlPipeline) -> frozenset[str]:
    quality = {QUALITY} if pipeline.data_quality_monitoring else set()
    return frozenset({LATENCY, ERRORS, TRAFFIC, FRESHNESS} | quality)


def pipeline_output(pipeline: EtlPipeline, own_bucket: str) -> str:
    """s3://bucket/prefix/ of a pipeline's output: its datasetLocation, else datasets/<name>/
    in the account's monitoring bucket."""
    return pipeline.dataset_location or f"s3://{own_bucket}/datasets/{pipeline.name}/"


def _pipeline_drift(
    pipeline: EtlPipeline, drift: DriftMonitoringSettings, own_bucket: str
) -> DriftData | None:
    if not pipeline.data_quality_monitoring:
        return None
    location = pipeline_output(pipeline, own_bucket)
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    return DriftData(mc.PIPELINE_DIMENSION, bucket, prefix, capture=False)


def _kpi_panel(account_id: str, kpi: BusinessKpi, region: str) -> KpiPanel:
    return KpiPanel(
        account_id,
        kpi.name,
        kpi.namespace,
        kpi.metric_name,
        kpi.statistic,
        tuple(sorted(kpi.dimensions.items())),
        kpi.driven_by,
    )


# In the order the dashboards show them.
WORKLOAD_KINDS: tuple[WorkloadKind[Any], ...] = (
    WorkloadKind(
        model=MlEndpoint,
        alarms=endpoint_alarms,
        signal_classes=_endpoint_signals,
        panel=lambda account_id, w, region: EndpointPanel(account_id, w.name, w.variant_name),
        drift=_endpoint_drift,
    ),
    WorkloadKind(
        model=EtlPipeline,
        alarms=pipeline_alarms,
        signal_classes=_pipeline_signals,
        panel=lambda account_id, w, region: PipelinePanel(account_id, w.name, w.engine, region),
        drift=_pipeline_drift,
    ),
    WorkloadKind(
        model=BusinessKpi,
        alarms=kpi_alarms,
        signal_classes=lambda kpi: frozenset({QUALITY}),
        panel=_kpi_panel,
        drift=None,
    ),
)

_BY_NAME = {kind.name: kind for kind in WORKLOAD_KINDS}


def kind_of(workload: WorkloadModel) -> WorkloadKind[Any]:
    """The table entry of a registry entry's kind."""
    try:
        return _BY_NAME[workload.kind]
    except KeyError:
        raise ValueError(
            f"workload kind {workload.kind!r} has no entry in components.workload_kinds"
        ) from None
