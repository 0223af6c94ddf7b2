"""Typed configuration of an obsgov environment.

Three YAML sources feed these models, each validated on its own so that errors name their file:

* ``stacks/organization.yaml`` -> :class:`OrganizationConfig` (facts shared by every environment:
  the organization, its central accounts, OUs and the tag schema);
* ``stacks/Pulumi.<env>.yaml`` -> :class:`StackSettings` (the ``obsgov:*`` keys of one stack);
* ``stacks/accounts.yaml`` -> :class:`AccountsRegistry` (member accounts and their workloads).

YAML keys are camelCase; Python attributes are snake_case.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Optional, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

ENVIRONMENTS = ("dev", "staging", "prod")


def _account_id(value: str) -> str:
    if not re.fullmatch(r"\d{12}", value):
        raise ValueError("must be 12 digits")
    return value


def _org_id(value: str) -> str:
    if not re.fullmatch(r"o-[a-z0-9]{10,32}", value):
        raise ValueError("must look like o-xxxxxxxxxx (o- then 10-32 lowercase letters or digits)")
    return value


def _ou_id(value: str) -> str:
    if not re.fullmatch(r"ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}", value):
        raise ValueError("must look like ou-xxxx-xxxxxxxx")
    return value


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", value):
        raise ValueError("must be an email address")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"is not a valid regular expression ({exc})") from None
    return value


def _resource_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,62}", value):
        raise ValueError("must be 1-63 letters, digits or hyphens, starting with a letter or digit")
    return value


# The values CloudWatch Logs' PutRetentionPolicy accepts.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                  2192, 2557, 2922, 3288, 3653)


def _retention_days(value: int) -> int:
    if value not in RETENTION_DAYS:
        raise ValueError("must be one of the values CloudWatch Logs accepts: "
                         + ", ".join(map(str, RETENTION_DAYS)))
    return value


AccountId = Annotated[str, AfterValidator(_account_id)]
OrgId = Annotated[str, AfterValidator(_org_id)]
OuId = Annotated[str, AfterValidator(_ou_id)]
Email = Annotated[str, AfterValidator(_email)]
Regex = Annotated[str, AfterValidator(_regex)]
ResourceName = Annotated[str, AfterValidator(_resource_name)]
Environment = Literal["dev", "staging", "prod"]


class Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


# --------------------------------------------------------------------------- organization


class OrganizationalUnit(Model):
    name: ResourceName
    id: OuId


class Organization(Model):
    id: OrgId
    management_account_id: AccountId
    observability_account_id: AccountId
    log_archive_account_id: AccountId
    deployment_role_name: Annotated[str, Field(pattern=r"^[\w+=,.@-]{1,64}$")] = (
        "ObsgovDeploymentRole"
    )
    organizational_units: list[OrganizationalUnit] = Field(min_length=1)
    platform_owner: Email
    platform_cost_centre: str

    @model_validator(mode="after")
    def _unique_ous(self) -> "Organization":
        names = [ou.name for ou in self.organizational_units]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"organizational unit names must be unique; repeated: {', '.join(dupes)}")
        return self


class TagRule(Model):
    """One required tag: its key and what its value may be."""

    key: Annotated[str, Field(min_length=1, max_length=128)]
    allowed_values: Optional[list[str]] = None
    pattern: Optional[Regex] = None
    description: Optional[str] = None

    @model_validator(mode="after")
    def _one_constraint(self) -> "TagRule":
        if self.allowed_values is not None and self.pattern is not None:
            raise ValueError("set either allowedValues or pattern, not both")
        return self

    def accepts(self, value: str) -> bool:
        if self.allowed_values is not None:
            return value in self.allowed_values
        if self.pattern is not None:
            return re.fullmatch(self.pattern, value) is not None
        return bool(value)

    def expectation(self) -> str:
        if self.allowed_values is not None:
            return "one of " + ", ".join(self.allowed_values)
        if self.pattern is not None:
            return f"a value matching {self.pattern}"
        return "a non-empty value"


class TagSchema(Model):
    """The organisation's tag schema: read by the providers' default tags, the tagging policy
    pack and account onboarding alike."""

    required: list[TagRule] = Field(min_length=1)
    ml_resources: list[TagRule] = Field(default_factory=list)
    pipelines: list[TagRule] = Field(default_factory=list)

    def rule(self, key: str) -> Optional[TagRule]:
        for rule in [*self.required, *self.ml_resources, *self.pipelines]:
            if rule.key == key:
                return rule
        return None


class OrganizationConfig(Model):
    organization: Organization
    tag_schema: TagSchema


# --------------------------------------------------------------------------- stack settings


class AlarmDefaults(Model):
    period_seconds: int = 60
    evaluation_periods: Annotated[int, Field(ge=1, le=100)] = 5
    datapoints_to_alarm: Annotated[int, Field(ge=1, le=100)] = 3
    anomaly_band_width: Annotated[float, Field(gt=0, le=10)] = 2.0
    treat_missing_data: Literal["breaching", "notBreaching", "ignore", "missing"] = "notBreaching"

    @model_validator(mode="after")
    def _aws_accepts(self) -> "AlarmDefaults":
        # PutMetricAlarm: Period is 10, 20, 30 or a multiple of 60; Period x EvaluationPeriods
        # must stay within 7 days (1 day for periods under an hour).
        if self.period_seconds not in (10, 20, 30) and (
            self.period_seconds <= 0 or self.period_seconds % 60
        ):
            raise ValueError("periodSeconds must be 10, 20, 30 or a multiple of 60")
        limit = 86_400 if self.period_seconds < 3600 else 604_800
        if self.period_seconds * self.evaluation_periods > limit:
            raise ValueError(
                f"periodSeconds x evaluationPeriods must be at most {limit} seconds"
            )
        if self.datapoints_to_alarm > self.evaluation_periods:
            raise ValueError("datapointsToAlarm must not exceed evaluationPeriods")
        return self


class Notifications(Model):
    emails: list[Email] = Field(default_factory=list)
    https_endpoints: list[Annotated[str, Field(pattern=r"^https://\S+$")]] = Field(
        default_factory=list
    )


class OpenSearchSizing(Model):
    instance_type: Annotated[str, Field(pattern=r"^[a-z0-9]+\.[a-z0-9]+\.search$")] = (
        "r6g.large.search"
    )
    instance_count: Annotated[int, Field(ge=1, le=80)] = 3
    dedicated_master_count: Annotated[int, Field(ge=0, le=5)] = 3
    volume_size_gib: Annotated[int, Field(ge=10, le=16384)] = 100
    zone_awareness: bool = True


class QuickSightSettings(Model):
    principals: list[Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:quicksight:")]] = Field(
        default_factory=list
    )


class ModelApprovalRules(Model):
    enabled: bool = False
    registry_account_id: Optional[AccountId] = None
    snapshot_file: Optional[str] = None
    data_capture_min_percent: Annotated[int, Field(ge=0, le=100)] = 10
    required_metadata: list[str] = Field(default_factory=list)
    promotion_order: list[Environment] = Field(default_factory=list)

    @model_validator(mode="after")
    def _registry_when_enabled(self) -> "ModelApprovalRules":
        if self.enabled and self.registry_account_id is None:
            raise ValueError("registryAccountId is required when enabled is true")
        return self


class PolicyPackRef(Model):
    """A policy pack the gate runs for this stack, with the per-environment config file."""

    path: str
    config: Optional[str] = None


class StackSettings(Model):
    """The ``obsgov:*`` keys of ``stacks/Pulumi.<env>.yaml``."""

    environment: Environment
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")]
    organization_file: str = "organization.yaml"
    registry_file: str = "accounts.yaml"
    log_retention_days: Annotated[int, AfterValidator(_retention_days)] = 365
    alarm_defaults: AlarmDefaults = Field(default_factory=AlarmDefaults)
    notifications: Notifications = Field(default_factory=Notifications)
    open_search: OpenSearchSizing = Field(default_factory=OpenSearchSizing)
    quick_sight: QuickSightSettings = Field(default_factory=QuickSightSettings)
    model_approval: ModelApprovalRules = Field(default_factory=ModelApprovalRules)
    policy_enforcement: Literal["advisory", "mandatory"] = "advisory"
    policy_packs: list[PolicyPackRef] = Field(default_factory=list)


# --------------------------------------------------------------------------- registry


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
