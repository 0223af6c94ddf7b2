"""``obsgov:centralAudit`` in ``stacks/Pulumi.<env>.yaml``: the audit half of the central accounts.

The organization trail and its CloudWatch Logs delivery, the log archive in the log-archive
account, the Athena tables over it, the severity topics and central event bus in the
observability account, and the organization's tag policy and SCP.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from obsgov.errors import Problem

from .types import AccountId, Email, Model, _retention_days

# S3 bucket naming rules (general purpose buckets): 3-63 lowercase letters, digits, dots and
# hyphens, starting and ending with a letter or digit.
S3BucketName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
# CloudTrail trail names: 3-128 letters, digits, periods, underscores and hyphens, starting with
# a letter or digit.
TrailName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$")]
# Glue database and Athena workgroup names that Athena can query without quoting.
GlueName = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,255}$")]
WorkgroupName = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,128}$")]
EventBusName = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,256}$")]
# Principals that may decrypt the trail's logs: named IAM roles or users, never a wildcard.
IamPrincipalArn = Annotated[
    str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
]
SqsQueueArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]{1,80}$")]
HttpsUrl = Annotated[str, Field(pattern=r"^https://\S+$")]
SeverityName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
# Organizations tag policy `enforced_for` entries: `<service>:<resource type>` or
# `<service>:ALL_SUPPORTED`.
EnforcedType = Annotated[str, Field(pattern=r"^[a-z0-9-]+:([A-Za-z0-9-]+|ALL_SUPPORTED)$")]
RetentionDays = Annotated[int, AfterValidator(_retention_days)]

REQUIRED_SEVERITIES = ("critical", "warning", "security")
STORAGE_CLASSES = (
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
)
# PutBucketLifecycleConfiguration rejects transitions to the IA classes before 30 days.
_IA_MINIMUM_DAYS = 30
PROD_MINIMUM_RETENTION_DAYS = 365


class DataEvents(Model):
    """Data events the trail records besides management events (each is billed per event)."""

    s3_buckets: list[S3BucketName] = Field(default_factory=list)
    sagemaker_endpoints: bool = False
    lambda_functions: bool = False


class TrailSettings(Model):
    enabled: bool = True
    name: TrailName | None = None
    # CloudTrail's delegated administrator; the management account runs the trail when unset.
    admin_account_id: AccountId | None = None
    log_retention_days: RetentionDays = 365
    data_events: DataEvents = Field(default_factory=DataEvents)
    decrypt_principals: list[IamPrincipalArn] = Field(default_factory=list)
    metric_namespace: Annotated[str, Field(pattern=r"^[A-Za-z0-9._/#:-]{1,255}$")] = "LogMetrics"


class LifecycleTransition(Model):
    days: Annotated[int, Field(ge=0, le=36500)]
    storage_class: Literal[
        "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"
    ]

    @model_validator(mode="after")
    def _ia_minimum(self) -> LifecycleTransition:
        if self.storage_class in ("STANDARD_IA", "ONEZONE_IA") and self.days < _IA_MINIMUM_DAYS:
            raise ValueError(
                f"days must be at least {_IA_MINIMUM_DAYS} for {self.storage_class} "
                "(S3 rejects earlier transitions to IA classes)"
            )
        return self


class ObjectLock(Model):
    mode: Literal["GOVERNANCE", "COMPLIANCE"]
    days: Annotated[int, Field(ge=1, le=36500)]


# Storage classes whose objects Athena skips unless restored (Athena user guide, "Query
# restored Amazon S3 Glacier objects"): GLACIER_IR is read like STANDARD.
UNQUERYABLE_STORAGE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")


class ArchiveSettings(Model):
    bucket_name: S3BucketName | None = None
    access_log_bucket_name: S3BucketName | None = None
    transitions: list[LifecycleTransition] = Field(default_factory=list)
    expiration_days: Annotated[int, Field(ge=1, le=36500)] | None = None
    noncurrent_version_expiration_days: Annotated[int, Field(ge=1, le=36500)] = 90
    object_lock: ObjectLock | None = None
    access_log_expiration_days: Annotated[int, Field(ge=1, le=36500)] = 365

    @property
    def first_unqueryable_day(self) -> int | None:
        """The age in days at which the archive moves logs where Athena cannot read them."""
        days = [t.days for t in self.transitions if t.storage_class in UNQUERYABLE_STORAGE_CLASSES]
        return min(days) if days else None

    @model_validator(mode="after")
    def _ordered(self) -> ArchiveSettings:
        days = [t.days for t in self.transitions]
        if days != sorted(set(days)):
            raise ValueError("transitions must be in increasing order of days, one per day")
        classes = [t.storage_class for t in self.transitions]
        if len(set(classes)) != len(classes):
            raise ValueError("transitions must name each storage class once")
        order = [STORAGE_CLASSES.index(c) for c in classes]
        if order != sorted(order):
            # S3 only moves objects down the waterfall (IA -> Glacier IR -> Glacier -> Deep).
            raise ValueError(
                "transitions must go to colder storage classes in the order "
                + ", ".join(STORAGE_CLASSES)
            )
        if self.expiration_days is not None:
            if days and self.expiration_days <= days[-1]:
                raise ValueError("expirationDays must be greater than the last transition's days")
            if self.object_lock and self.expiration_days < self.object_lock.days:
                raise ValueError(
                    "expirationDays must be at least objectLock.days: locked "
                    "objects cannot expire before their retention ends"
                )
        return self


class Subscribers(Model):
    emails: list[Email] = Field(default_factory=list)
    https_endpoints: list[HttpsUrl] = Field(default_factory=list)
    sqs_queue_arns: list[SqsQueueArn] = Field(default_factory=list)
    # Alarm levels this topic receives: an alarm whose description starts with `[<level>]`
    # (any case) is routed here. Empty means the topic's own name.
    levels: list[SeverityName] = Field(default_factory=list)


# Member accounts' alarms carry levels high/medium/low; the central topics group them.
DEFAULT_LEVELS = {
    "critical": ["critical", "high"],
    "warning": ["warning", "medium", "low"],
    "security": ["security"],
}


def _default_severities() -> dict[str, Subscribers]:
    return {name: Subscribers(levels=DEFAULT_LEVELS[name]) for name in REQUIRED_SEVERITIES}


class EventRoutingSettings(Model):
    bus_name: EventBusName | None = None
    severities: dict[SeverityName, Subscribers] = Field(default_factory=_default_severities)

    @model_validator(mode="after")
    def _required(self) -> EventRoutingSettings:
        missing = [s for s in REQUIRED_SEVERITIES if s not in self.severities]
        if missing:
            raise ValueError(
                "severities must include "
                + ", ".join(REQUIRED_SEVERITIES)
                + "; missing: "
                + ", ".join(missing)
            )
        owners: dict[str, str] = {}
        for topic, subscribers in self.severities.items():
            for level in subscribers.levels or [topic]:
                if level in owners:
                    raise ValueError(
                        f"level {level} is routed to both {owners[level]} and "
                        f"{topic}; each level goes to one topic"
                    )
                owners[level] = topic
        return self

    def levels_of(self, severity: str) -> list[str]:
        return list(self.severities[severity].levels or [severity])


class AnalyticsSettings(Model):
    enabled: bool = True
    database_name: GlueName | None = None
    workgroup_name: WorkgroupName | None = None
    results_expiration_days: Annotated[int, Field(ge=1, le=3650)] = 30
    # Athena's minimum per-query cutoff is 10 MB.
    bytes_scanned_cutoff_per_query: Annotated[int, Field(ge=10_485_760)] = 10 * 1024**3
    projection_start: Annotated[str, Field(pattern=r"^\d{4}/\d{2}/\d{2}$")] = "2024/01/01"
    # Regions the table projects; empty means accountFactory.allowedRegions (where the
    # region-deny SCP lets anything run), else the stack's region; us-east-1 is always added
    # (global services such as IAM and the console sign-in log their events there).
    regions: list[Annotated[str, Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")]] = Field(
        default_factory=list
    )
    # Days of trail the table must answer for. Athena ignores objects in GLACIER and
    # DEEP_ARCHIVE, so the archive may not move logs there before this many days.
    query_window_days: Annotated[int, Field(ge=1, le=36500)] | None = None


class TagPolicySettings(Model):
    enabled: bool = True
    enforced_for: list[EnforcedType] = Field(default_factory=list)


class ServiceControlPolicySettings(Model):
    enabled: bool = True
    # Deny organizations:LeaveOrganization to every principal of the environment's OUs.
    deny_leave_organization: bool = False


class CentralAuditSettings(Model):
    """The ``obsgov:centralAudit`` key of ``stacks/Pulumi.<env>.yaml``."""

    trail: TrailSettings = Field(default_factory=TrailSettings)
    archive: ArchiveSettings = Field(default_factory=ArchiveSettings)
    event_routing: EventRoutingSettings = Field(default_factory=EventRoutingSettings)
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)
    tag_policy: TagPolicySettings = Field(default_factory=TagPolicySettings)
    service_control_policy: ServiceControlPolicySettings = Field(
        default_factory=ServiceControlPolicySettings
    )

    @model_validator(mode="after")
    def _query_window_before_cold_storage(self) -> CentralAuditSettings:
        window = self.analytics.query_window_days
        cold = self.archive.first_unqueryable_day
        if self.analytics.enabled and window is not None and cold is not None and cold < window:
            raise ValueError(
                f"analytics.queryWindowDays is {window} but archive.transitions move the trail "
                f"to a storage class Athena cannot read (GLACIER, DEEP_ARCHIVE) after {cold} "
                "days; move that transition to at least queryWindowDays"
            )
        return self

    @model_validator(mode="after")
    def _analytics_needs_trail(self) -> CentralAuditSettings:
        if self.analytics.enabled and not self.trail.enabled:
            raise ValueError(
                "analytics.enabled needs trail.enabled: the Athena table reads the trail's logs"
            )
        return self


KEY = "config.obsgov:centralAudit"


def central_audit_problems(
    environment: str,
    central: CentralAuditSettings,
    management_account_id: str,
    log_archive_account_id: str,
    file: str,
) -> list[Problem]:
    """Rules that need the environment or the organization file, not just the key itself."""
    problems = []
    trail = central.trail
    if (
        environment == "prod"
        and trail.enabled
        and trail.log_retention_days < PROD_MINIMUM_RETENTION_DAYS
    ):
        problems.append(
            Problem(
                file,
                f"{KEY}.trail.logRetentionDays",
                f"{trail.log_retention_days} is too short for prod: CloudWatch.16 asks for at least "
                f"{PROD_MINIMUM_RETENTION_DAYS} days",
            )
        )
    if trail.admin_account_id == log_archive_account_id:
        problems.append(
            Problem(
                file,
                f"{KEY}.trail.adminAccountId",
                f"{log_archive_account_id} is the log-archive account; the trail's administrator must "
                "be another account so that the archive stays out of its reach",
            )
        )
    if trail.admin_account_id == management_account_id:
        problems.append(
            Problem(
                file,
                f"{KEY}.trail.adminAccountId",
                "is the management account, which runs the trail anyway; leave it unset",
            )
        )
    return problems
