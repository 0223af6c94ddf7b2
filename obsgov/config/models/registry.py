"""``stacks/accounts.yaml``: member accounts and their workloads.

A workload kind is one model here plus one entry in :data:`WORKLOAD_MODELS`; its alarms are
one entry in ``components.workload_alarms.ALARM_BUILDERS``.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import Field

from .types import AccountId, Email, Environment, Model, ResourceName


class EndpointSlo(Model):
    latency_p99_ms: Annotated[float, Field(gt=0)]
    error_rate_percent: Annotated[float, Field(gt=0, le=100)]
    min_invocations_per_minute: Optional[Annotated[float, Field(ge=0)]] = None


class MlEndpoint(Model):
    kind: Literal["ml-endpoint"]
    name: ResourceName
    account: str
    environment: Environment
    model_id: str
    model_version: str
    model_package_group: ResourceName
    variant_name: str = "AllTraffic"
    drift_monitoring: bool = True
    slo: EndpointSlo


class PipelineSlo(Model):
    max_duration_minutes: Annotated[int, Field(gt=0, le=2880)]
    max_failed_runs: Annotated[int, Field(ge=0)] = 0


class EtlPipeline(Model):
    kind: Literal["etl-pipeline"]
    name: ResourceName
    account: str
    environment: Environment
    engine: Literal["glue", "step-functions"]
    slo: PipelineSlo


class BusinessKpi(Model):
    kind: Literal["business-kpi"]
    name: ResourceName
    account: str
    environment: Environment
    namespace: Annotated[str, Field(min_length=1, max_length=255)]
    metric_name: Annotated[str, Field(min_length=1, max_length=255)]
    statistic: Literal["Average", "Sum", "Minimum", "Maximum", "SampleCount"] = "Sum"
    dimensions: dict[str, str] = Field(default_factory=dict)
    alert_on: Literal["drop", "spike", "both"] = "both"


Workload = Annotated[Union[MlEndpoint, EtlPipeline, BusinessKpi], Field(discriminator="kind")]


class MemberAccount(Model):
    id: AccountId
    name: ResourceName
    email: Email
    environment: Environment
    organizational_unit: str
    owner: Email
    cost_centre: str
    data_classification: str = "internal"
    tags: dict[str, str] = Field(default_factory=dict)


class AccountsRegistry(Model):
    accounts: list[MemberAccount] = Field(min_length=1)
    workloads: list[Workload] = Field(default_factory=list)


WORKLOAD_MODELS: dict[str, type[Model]] = {
    "ml-endpoint": MlEndpoint,
    "etl-pipeline": EtlPipeline,
    "business-kpi": BusinessKpi,
}
