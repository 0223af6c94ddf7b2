"""``stacks/Pulumi.<env>.yaml``: the ``obsgov:*`` keys of one stack."""

from __future__ import annotations

import re
import string
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .approval import ApprovalGuardSettings
from .central import CentralAuditSettings
from .suppressions import Suppression
from .types import AccountId, Email, Environment, Model, _retention_days

IamPrincipalArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:\S+$")]
QuickSightPrincipal = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:quicksight:")]


class AlarmDefaults(Model):
    period_seconds: int = 60
    evaluation_periods: Annotated[int, Field(ge=1, le=100)] = 5
    datapoints_to_alarm: Annotated[int, Field(ge=1, le=100)] = 3
    anomaly_band_width: Annotated[float, Field(gt=0, le=10)] = 2.0
    treat_missing_data: Literal["breaching", "notBreaching", "ignore", "missing"] = "notBreaching"
    # Endpoint instance saturation when the registry's SLO sets none. CPU is per vCPU: the
    # alarm multiplies it by the instance's vCPUs, since CPUUtilization sums every core.
    cpu_utilization_percent: Annotated[float, Field(gt=0, le=100)] = 80
    memory_utilization_percent: Annotated[float, Field(gt=0, le=100)] = 85
    disk_utilization_percent: Annotated[float, Field(gt=0, le=100)] = 80

    @model_validator(mode="after")
    def _aws_accepts(self) -> AlarmDefaults:
        # PutMetricAlarm: Period is 10, 20, 30 or a multiple of 60; Period x EvaluationPeriods
        # must stay within 7 days (1 day for periods under an hour).
        if self.period_seconds not in (10, 20, 30) and (
            self.period_seconds <= 0 or self.period_seconds % 60
        ):
            raise ValueError("periodSeconds must be 10, 20, 30 or a multiple of 60")
        limit = 86_400 if self.period_seconds < 3600 else 604_800
        if self.period_seconds * self.evaluation_periods > limit:
            raise ValueError(f"periodSeconds x evaluationPeriods must be at most {limit} seconds")
        if self.datapoints_to_alarm > self.evaluation_periods:
            raise ValueError("datapointsToAlarm must not exceed evaluationPeriods")
        return self


class Notifications(Model):
    emails: list[Email] = Field(default_factory=list)
    https_endpoints: list[Annotated[str, Field(pattern=r"^https://\S+$")]] = Field(
        default_factory=list
    )


def _event_bus_arn(value: str) -> str:
    if not re.fullmatch(
        r"arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[\w.\-/]{1,256}", value
    ):
        raise ValueError(
            "must be an EventBridge event bus ARN "
            "(arn:aws:events:<region>:<account>:event-bus/<name>)"
        )
    return value


def _log_destination_arn(value: str) -> str:
    if not re.fullmatch(
        r"arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:destination:[^:*]{1,512}", value
    ):
        raise ValueError(
            "must be a CloudWatch Logs destination ARN "
            "(arn:aws:logs:<region>:<account>:destination:<name>)"
        )
    return value


RUNBOOK_FIELDS = ("account", "kind", "signal", "workload")


def _runbook_url(value: str) -> str:
    if not re.fullmatch(r"https://\S+", value):
        raise ValueError("must be an https:// URL")
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        raise ValueError(f"is not a valid URL template ({exc})") from None
    unknown = sorted(fields - set(RUNBOOK_FIELDS))
    if unknown:
        raise ValueError(
            f"uses unknown placeholder(s) {', '.join(unknown)}; "
            f"allowed: {', '.join('{' + f + '}' for f in RUNBOOK_FIELDS)}"
        )
    return value


class Tracing(Model):
    """X-Ray sampling for the workloads the registry marks ``traced``."""

    sampling_rate: Annotated[float, Field(ge=0, le=1)] = 0.05
    reservoir_size: Annotated[int, Field(ge=0)] = 1


class AlertRouting(Model):
    """Where member accounts send what the central accounts collect. Until the central-audit
    and central-analytics stacks export these, they are configured here."""

    central_event_bus_arn: Annotated[str, AfterValidator(_event_bus_arn)] | None = None
    central_log_destination_arn: Annotated[str, AfterValidator(_log_destination_arn)] | None = None
    # Alarm descriptions link here; {account}, {kind}, {signal} and {workload} are filled in.
    runbook_url: Annotated[str, AfterValidator(_runbook_url)] | None = None


class OpenSearchSizing(Model):
    """The log analytics domain in the observability account."""

    enabled: bool = True
    engine_version: Annotated[str, Field(pattern=r"^OpenSearch_[0-9]+\.[0-9]+$")] = (
        "OpenSearch_2.17"
    )
    instance_type: Annotated[str, Field(pattern=r"^[a-z0-9]+\.[a-z0-9]+\.search$")] = (
        "r6g.large.search"
    )
    instance_count: Annotated[int, Field(ge=1, le=80)] = 3
    dedicated_master_count: Annotated[int, Field(ge=0, le=5)] = 3
    dedicated_master_type: Annotated[str, Field(pattern=r"^[a-z0-9]+\.[a-z0-9]+\.search$")] = (
        "m6g.large.search"
    )
    volume_size_gib: Annotated[int, Field(ge=10, le=16384)] = 100
    zone_awareness: bool = True
    # Principals that may assume the domain's master role and search it (no passwords).
    admin_principals: list[IamPrincipalArn] = Field(default_factory=list)
    # In a VPC when subnets are given (Security Hub Opensearch.2); else named principals only.
    subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        default_factory=list
    )
    security_group_ids: list[Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]] = Field(
        default_factory=list
    )
    # UltraWarm: a week-old log index moves to S3-backed warm nodes (ISM ``warm_migration``)
    # instead of staying read-only on the hot nodes' EBS volumes; cold storage detaches it
    # further (``cold_migration``). Off, the ISM "warm" state is read-only on hot storage.
    # Limits: OpenSearch developer guide, "UltraWarm storage" (prerequisites: dedicated master
    # nodes, no T2/T3 data nodes) and "Cold storage" (needs UltraWarm), checked below; the
    # warm node types (botocore's enum) and count (2 to 150, the UltraWarm quotas) are checked
    # with the AWS values (obsgov/config/aws_api.py).
    warm_enabled: bool = False
    warm_type: str = "ultrawarm1.medium.search"
    warm_count: int = 2
    cold_storage: bool = False

    @property
    def availability_zones(self) -> int:
        """The zones the domain spreads over: three with zone awareness and at least two data
        nodes (as components/log_analytics.py builds it), else one."""
        return 3 if self.zone_awareness and self.instance_count >= 2 else 1

    @model_validator(mode="after")
    def _network(self) -> OpenSearchSizing:
        if self.security_group_ids and not self.subnet_ids:
            raise ValueError(
                "securityGroupIds need subnetIds: the domain is in a VPC only with subnets"
            )
        zones = self.availability_zones
        if self.subnet_ids and len(self.subnet_ids) != zones:
            # CreateDomain: "You must specify exactly <n> subnets because you've set zone
            # count to <n>" (docs.aws.amazon.com/opensearch-service/latest/developerguide/vpc.html)
            raise ValueError(
                f"subnetIds must name exactly {zones} subnet{'s' if zones > 1 else ''}, one "
                f"per Availability Zone the domain spans ({zones}: zoneAwareness "
                f"{'on' if self.zone_awareness else 'off'}, instanceCount "
                f"{self.instance_count}); it names {len(self.subnet_ids)}"
            )
        return self

    @model_validator(mode="after")
    def _tiers(self) -> OpenSearchSizing:
        problems = []
        if self.warm_enabled and self.dedicated_master_count == 0:
            problems.append(
                "warmEnabled needs dedicated master nodes (dedicatedMasterCount >= 1): "
                "UltraWarm is refused on a domain without them"
            )
        if self.warm_enabled and self.instance_type.startswith(("t2.", "t3.")):
            problems.append(
                f"warmEnabled cannot be used with {self.instance_type} data nodes: UltraWarm "
                "needs a data node type other than T2 or T3"
            )
        if self.cold_storage and not self.warm_enabled:
            problems.append("coldStorage needs warmEnabled: cold storage requires UltraWarm")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class QuickSightSettings(Model):
    principals: list[QuickSightPrincipal] = Field(default_factory=list)  # readers
    owners: list[QuickSightPrincipal] = Field(default_factory=list)


_RATE = re.compile(r"rate\(([0-9]+) (minute|hour|day)s?\)")
_RATE_SECONDS = {"minute": 60, "hour": 3600, "day": 86_400}


def rate_seconds(expression: str) -> int:
    """Seconds between runs of an EventBridge ``rate(N unit)`` schedule; a ``cron()`` schedule
    is taken as daily at most (its heartbeat alarms then allow a day between runs)."""
    found = _RATE.fullmatch(expression.strip())
    if found is None:
        return 86_400
    return int(found.group(1)) * _RATE_SECONDS[found.group(2)]


_CRON = re.compile(r"cron\(\S+( \S+){5}\)")


def glue_cron(expression: str) -> str:
    """The Glue trigger schedule of an EventBridge ``rate()`` or ``cron()`` expression.

    Glue's scheduled triggers take only ``cron(...)`` (AWS Glue Developer Guide, "Time-based
    schedules for jobs and crawlers":
    https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html), so a rate
    converts when it fits the clock: minutes dividing an hour, hours dividing a day, one day;
    Glue refuses schedules more frequent than every 5 minutes (same page). Raises ValueError
    naming what converts."""
    text = expression.strip()
    if _CRON.fullmatch(text):
        return text
    found = _RATE.fullmatch(text)
    if found is not None:
        count, unit = int(found.group(1)), found.group(2)
        if unit == "minute" and count >= 5 and 60 % count == 0:
            return f"cron(0/{count} * * * ? *)"
        if unit == "hour" and count > 0 and 24 % count == 0:
            return "cron(0 * * * ? *)" if count == 1 else f"cron(0 0/{count} * * ? *)"
        if unit == "day" and count == 1:
            return "cron(0 0 * * ? *)"
    raise ValueError(
        f"{expression!r} has no Glue trigger schedule: use cron(...) or a rate of minutes "
        "dividing an hour (5 or more), hours dividing a day, or 1 day"
    )


def monitoring_bucket_name(environment: str, account_id: str) -> str:
    """The bucket the platform creates in each member account with monitoring jobs: data
    capture, baselines, ground truth, reports and the drift layer, unless config names others."""
    return f"obsgov-{environment}-monitoring-{account_id}"


class DriftMonitoringSettings(Model):
    """Where the scheduled drift, model-quality and freshness jobs read and write. Every field
    has a default that works on a fresh environment: the platform's own monitoring bucket in
    each member account (``obsgov-<env>-monitoring-<account id>``) and the drift layer that
    ``obsgov build-layer`` builds."""

    enabled: bool = True
    # The drift job used to run as a hand-built container image; it now ships as a zip with a
    # layer, and a configured image would silently be ignored.
    image_uri: str | None = None
    capture_bucket: Annotated[str, Field(min_length=3, max_length=63)] | None = None
    capture_prefix: str = "datacapture/"
    baseline_bucket: Annotated[str, Field(min_length=3, max_length=63)] | None = None
    report_bucket: Annotated[str, Field(min_length=3, max_length=63)] | None = None
    kms_key_arn: (
        Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/\S+$")] | None
    ) = None
    schedule: str = "rate(1 hour)"
    window_minutes: Annotated[int, Field(ge=5, le=1440)] = 60
    # Relative to the repository root; `obsgov build-layer` writes it.
    layer_dir: str = "build/job-layer"
    model_quality_schedule: str = "rate(1 hour)"
    freshness_schedule: str = "rate(15 minutes)"

    @model_validator(mode="after")
    def _no_image(self) -> DriftMonitoringSettings:
        if self.image_uri is not None:
            raise ValueError(
                "imageUri is no longer used: the drift job runs as a zip function with the "
                "layer `obsgov build-layer` builds; remove the key"
            )
        return self

    def buckets(self, environment: str, account_id: str) -> tuple[str, str, str]:
        """(capture, baseline, report) buckets of one member account."""
        own = monitoring_bucket_name(environment, account_id)
        return (
            self.capture_bucket or own,
            self.baseline_bucket or own,
            self.report_bucket or own,
        )


class ModelApprovalRules(Model):
    enabled: bool = False
    registry_account_id: AccountId | None = None
    snapshot_file: str | None = None
    data_capture_min_percent: Annotated[int, Field(ge=0, le=100)] = 10
    required_metadata: list[str] = Field(default_factory=list)
    promotion_order: list[Environment] = Field(default_factory=list)
    # Private ECR repositories in the registry account holding the models' inference images;
    # the registry's stack sets their policies so every serving account may pull.
    image_repositories: list[str] = Field(default_factory=list)
    guard: ApprovalGuardSettings = Field(default_factory=ApprovalGuardSettings)

    def guard_rules(self, environment: str):  # -> obsgov.model_guard.rules.GuardRules
        """The approval guard's rules for ``environment``, as the deployed function gets them
        and ``obsgov models check`` applies them."""
        return self.guard.rules(
            environment,
            list(self.required_metadata),
            list(self.promotion_order),
            self.guard.previous_registry_account_id or self.registry_account_id,
        )

    @model_validator(mode="after")
    def _registry_when_enabled(self) -> ModelApprovalRules:
        if self.enabled and self.registry_account_id is None:
            raise ValueError("registryAccountId is required when enabled is true")
        return self


class PolicyPackRef(Model):
    """A policy pack the gate runs for this stack, with the per-environment config file."""

    path: str
    config: str | None = None


class MemberShards(Model):
    """An environment split into its central stack and member shard stacks
    (``<env>-members-<n>``), each account placed by a stable hash of its id, so adding an
    account never moves another (``obsgov.gate.shards``)."""

    count: Annotated[int, Field(ge=1, le=1000)]


StackRole = Literal["environment", "organization", "shard"]


class StackSettings(Model):
    """The ``obsgov:*`` keys of ``stacks/Pulumi.<env>.yaml``."""

    environment: Environment
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")]
    organization_file: str = "organization.yaml"
    registry_file: str = "accounts.yaml"
    log_retention_days: Annotated[int, AfterValidator(_retention_days)] = 365
    alarm_defaults: AlarmDefaults = Field(default_factory=AlarmDefaults)
    notifications: Notifications = Field(default_factory=Notifications)
    alert_routing: AlertRouting = Field(default_factory=AlertRouting)
    tracing: Tracing = Field(default_factory=Tracing)
    open_search: OpenSearchSizing = Field(default_factory=OpenSearchSizing)
    quick_sight: QuickSightSettings = Field(default_factory=QuickSightSettings)
    model_approval: ModelApprovalRules = Field(default_factory=ModelApprovalRules)
    central_audit: CentralAuditSettings = Field(default_factory=CentralAuditSettings)
    drift_monitoring: DriftMonitoringSettings = Field(default_factory=DriftMonitoringSettings)
    policy_enforcement: Literal["advisory", "mandatory"] = "advisory"
    policy_packs: list[PolicyPackRef] = Field(default_factory=list)
    # Usage volumes the environment report's cost estimate rests on (log GB per day per log
    # group, data events per month, ...), overriding the price table's defaults. The report
    # checks the names against the table, since the table, not the config, defines them.
    cost_assumptions: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    # What the stack holds (README "Stacks"): a whole environment (the default, the single-stack
    # mode), the organisation's once-per-account-and-Region resources, or one member shard.
    stack_role: StackRole = "environment"
    # The switch out of the single-stack mode: the organisation stack this environment reads
    # the OAM sink from (a StackReference) instead of creating its own.
    organization_stack: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")] | None = None
    # With it, member accounts live in shard stacks and this stack keeps the central accounts.
    member_shards: MemberShards | None = None
    # A shard stack: the environment stack it belongs to and its number.
    shard_of: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")] | None = None
    shard: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _role_keys(self) -> StackSettings:
        if self.stack_role == "shard" and (self.shard_of is None or self.shard is None):
            raise ValueError("a shard stack (stackRole: shard) needs shardOf and shard")
        if self.stack_role != "shard" and (self.shard_of is not None or self.shard is not None):
            raise ValueError("shardOf and shard are for stackRole: shard only")
        return self

    # findings the gate accepts until a date, with the reason (obsgov.config.models.suppressions)
    suppressions: list[Suppression] = Field(default_factory=list)
