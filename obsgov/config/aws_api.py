"""What AWS accepts for every value the config passes to it, taken from AWS's own models.

botocore ships the service models the AWS SDKs are generated from: for each parameter its
type, and where AWS states them its minimum and maximum (length, count or value), pattern and
enum. :data:`FIELDS` maps every leaf field of the config models (and every mapping's keys) to
what becomes of it:

* :class:`Api`: a botocore parameter (``opensearch``'s ``ClusterConfig.InstanceType``); the
  value is checked against that shape's constraints, read from botocore at run time, never
  retyped here;
* :class:`Docs`: a rule AWS documents but its model does not carry (S3 bucket naming, the
  ScheduleExpression grammar, the Regions botocore knows), with the page it comes from;
* :class:`Within`: the value becomes part of something larger AWS receives (an alarm name,
  a metric-math expression, a policy document); checked against that larger value's shape
  where one exists, which every part must satisfy on its own;
* :class:`NotSent`: obsgov's own setting, which AWS never sees, and why.

``tests/config/test_aws_values.py`` walks the models and fails when a field has no entry, so
a new config value cannot reach AWS unchecked. The rule that applies the entries is
:func:`obsgov.config.rules.values_are_accepted_by_aws`.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import regex

# --------------------------------------------------------------------------- botocore shapes


@functools.cache
def _service(name: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(name)


_SURROGATES = re.compile(r"\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})", re.IGNORECASE)


def _python_pattern(pattern: str) -> str:
    """A Smithy (Java) pattern as the ``regex`` module reads it: UTF-16 surrogate pairs as
    code points, Java's five-digit ``\\u10000`` as ``\\U00010000``, and the stray quantifier
    some models put on ``$`` (``...)${1,128}``) dropped."""

    def pair(match: re.Match[str]) -> str:
        high, low = int(match.group(1), 16), int(match.group(2), 16)
        return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"

    pattern = _SURROGATES.sub(pair, pattern)
    pattern = re.sub(r"\\u(10[0-9A-F]{4})", lambda m: f"\\U00{m.group(1)}", pattern)
    pattern = re.sub(r"\$\{\d+(,\d*)?\}", "$", pattern)
    return _ascii_classes(pattern)


# Java's \w, \d and \s are ASCII; \p{...} stays Unicode (so no ASCII flag).
_JAVA_CLASSES = {"w": "a-zA-Z0-9_", "d": "0-9", "s": " \\t\\n\\x0B\\f\\r"}


def _ascii_classes(pattern: str) -> str:
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            if escaped in _JAVA_CLASSES:
                body = _JAVA_CLASSES[escaped]
                out.append(body if in_class else f"[{body}]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


@functools.cache
def _compiled(pattern: str) -> Any:
    # AWS matches the whole value (fullmatch), as Java's String.matches does
    return regex.compile(_python_pattern(pattern), flags=regex.V0)


@dataclass(frozen=True)
class Api:
    """A parameter of an AWS API: ``member`` of the structure ``shape`` (or ``shape``
    itself) in botocore's model of ``service``."""

    service: str
    shape: str
    member: str | None = None

    def resolve(self) -> Any:
        shape = _service(self.service).shape_for(self.shape)
        return shape.members[self.member] if self.member else shape

    @property
    def label(self) -> str:
        service = _service(self.service).metadata.get("serviceId", self.service)
        return f"{service} {self.member or self.shape}"

    def constraints(self) -> dict[str, Any]:
        shape = self.resolve()
        found = {k: shape.metadata[k] for k in ("min", "max", "pattern") if k in shape.metadata}
        if getattr(shape, "enum", None):
            found["enum"] = list(shape.enum)
        found["type"] = shape.type_name
        return found

    def problem(self, value: Any) -> str | None:
        limits = self.constraints()
        kind = limits["type"]
        if kind == "string" and isinstance(value, str):
            return _string_problem(value, limits, self.label)
        numeric = kind in ("integer", "long", "double", "float")
        if numeric and isinstance(value, (int, float)) and not isinstance(value, bool):
            return _number_problem(value, limits, self.label)
        return None

    def __str__(self) -> str:
        return f"botocore {self.service} {self.shape}{'.' + self.member if self.member else ''}"


def _string_problem(value: str, limits: dict[str, Any], label: str) -> str | None:
    enum = limits.get("enum")
    if enum:
        if value in enum:
            return None
        shown = ", ".join(enum[:10]) + (", ..." if len(enum) > 10 else "")
        return f"{value!r} is not one of the values {label} accepts ({shown})"
    low, high = limits.get("min"), limits.get("max")
    if (low is not None and len(value) < low) or (high is not None and len(value) > high):
        span = (
            f"{low}-{high} characters"
            if low is not None and high is not None
            else f"at least {low} characters"
            if low is not None
            else f"at most {high} characters"
        )
        return f"must be {span} for {label} (this one has {len(value)})"
    pattern = limits.get("pattern")
    if pattern and not _compiled(pattern).fullmatch(value):
        return f"{value!r} is not a valid {label} (AWS's pattern: {pattern})"
    return None


def _number_problem(value: float, limits: dict[str, Any], label: str) -> str | None:
    low, high = limits.get("min"), limits.get("max")
    if low is not None and value < low:
        return f"must be at least {low:g} for {label}"
    if high is not None and value > high:
        return f"must be at most {high:g} for {label}"
    return None


# --------------------------------------------------------------------------- documented rules

BUCKET_RULES = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"
SCHEDULES = (
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html"
)
QUICKSIGHT_PERMISSION = (
    "https://docs.aws.amazon.com/quicksight/latest/APIReference/API_ResourcePermission.html"
)
MASTER_NODES = (
    "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/"
    "managedomains-dedicatedmasternodes.html"
)
VPC_DOMAINS = "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/vpc.html"
REGIONS = "botocore's endpoint data (botocore/data/endpoints.json), the Regions the SDK knows"

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(value: str) -> str | None:
    """General purpose bucket naming rules (Amazon S3 User Guide, bucket naming rules)."""
    if not 3 <= len(value) <= 63:
        return f"must be 3-63 characters for an S3 bucket name (this one has {len(value)})"
    if not _BUCKET.fullmatch(value):
        return (
            f"{value!r} is not an S3 bucket name: lowercase letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit"
        )
    if ".." in value:
        return f"{value!r} is not an S3 bucket name: two adjacent dots"
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        pass
    else:
        return f"{value!r} is not an S3 bucket name: it is formatted as an IP address"
    for prefix in _BUCKET_PREFIXES:
        if value.startswith(prefix):
            return f"{value!r} is not an S3 bucket name: the prefix {prefix} is reserved"
    for suffix in _BUCKET_SUFFIXES:
        if value.endswith(suffix):
            return f"{value!r} is not an S3 bucket name: the suffix {suffix} is reserved"
    return None


_S3_URI = re.compile(r"s3://([^/]+)(/.*)?")


def s3_uri_problem(value: str) -> str | None:
    match = _S3_URI.fullmatch(value)
    if not match:
        return f"{value!r} is not an s3://bucket/prefix URI"
    return bucket_name_problem(match.group(1))


_RATE = re.compile(r"rate\(([0-9]+) (minute|minutes|hour|hours|day|days)\)")
_CRON_FIELD = re.compile(r"[0-9A-Za-z*?,/#L W-]+")


def schedule_expression_problem(value: str) -> str | None:
    """EventBridge rule schedules: ``rate(value unit)`` or ``cron(six fields)``."""
    rate = _RATE.fullmatch(value)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2)
        if count < 1:
            return f"{value!r}: a rate's value must be a positive whole number"
        if (count == 1) != (not unit.endswith("s")):
            right = unit.rstrip("s") if count == 1 else unit + "s"
            return f"{value!r}: write rate({count} {right}) (singular for 1, plural otherwise)"
        return None
    if value.startswith("cron(") and value.endswith(")"):
        fields = value[5:-1].split()
        if len(fields) != 6 or not all(_CRON_FIELD.fullmatch(f) for f in fields):
            return (
                f"{value!r}: a cron expression has six fields (minutes hours day-of-month "
                "month day-of-week year)"
            )
        if (fields[2] == "?") == (fields[4] == "?"):
            return f"{value!r}: exactly one of day-of-month and day-of-week must be ?"
        return None
    return f"{value!r} is not a schedule expression: use rate(5 minutes) or cron(0 * * * ? *)"


_QUICKSIGHT_PRINCIPAL = re.compile(
    r"arn:aws[a-z-]*:quicksight:[a-z0-9-]+:[0-9]{12}:(user|group|namespace)/\S+"
    r"|arn:aws[a-z-]*:iam::[0-9]{12}:root"
)


def quicksight_principal_problem(value: str) -> str | None:
    if not _QUICKSIGHT_PRINCIPAL.fullmatch(value):
        return (
            f"{value!r} is not a QuickSight principal: the ARN of a QuickSight user, group or "
            "namespace (arn:aws:quicksight:<region>:<account>:user/<namespace>/<name>) or of "
            "an account root"
        )
    return None


ULTRAWARM_QUOTAS = (
    "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html"
    " (UltraWarm storage quotas: 2 to 150 warm nodes per domain)"
)


def warm_count_problem(value: int) -> str | None:
    """An UltraWarm domain has at least two and at most 150 warm nodes."""
    if not 2 <= value <= 150:
        return f"must be 2 to 150 UltraWarm nodes; it is {value}"
    return None


def dedicated_master_count_problem(value: int) -> str | None:
    """One dedicated master node is refused by OpenSearch Service; an even number cannot
    keep a quorum ("Never choose an even number of dedicated master nodes")."""
    if value not in (0, 3, 5):
        return "must be 0 (none), 3 or 5: OpenSearch refuses 1, and 2 or 4 cannot keep a quorum"
    return None


@functools.cache
def known_regions() -> frozenset[str]:
    import botocore.loaders

    data = botocore.loaders.create_loader().load_data("endpoints")
    return frozenset(region for partition in data["partitions"] for region in partition["regions"])


def region_problem(value: str) -> str | None:
    if value not in known_regions():
        return (
            f"{value!r} is not an AWS Region botocore knows (a Region newer than this "
            "botocore needs `pip install -U botocore`)"
        )
    return None


# IAM identifiers (IAM User Guide, "IAM identifiers", ARN formats): a managed policy and an
# IAM principal a trust policy may name. AWS's API models give these parameters only a length.
IAM_IDENTIFIERS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html"
_PARTITION = r"aws(?:-[a-z]+){0,3}"
POLICY_ARN = re.compile(
    rf"arn:{_PARTITION}:iam::(?:\d{{12}}|aws):policy/(?:[\x21-\x7e]*/)?[\w+=,.@-]{{1,128}}"
)
PRINCIPAL_ARN = re.compile(
    rf"arn:{_PARTITION}:iam::(\d{{12}}):(root|(role|user)/(?:[\x21-\x7e]*/)?[\w+=,.@-]{{1,64}})"
)


def policy_arn_problem(value: str) -> str | None:
    """A managed policy onboarding attaches (a boundary, a role policy)."""
    reason = MANAGED_POLICY_ARN.problem(value)
    if reason:
        return reason
    if not POLICY_ARN.fullmatch(value):
        return (
            f"{value!r} must be a managed policy ARN (arn:aws:iam::<account or aws>:policy/<name>)"
        )
    return None


def principal_problem(value: str) -> str | None:
    """A principal a deployment role may trust: one named role or user, never a wildcard
    and never a whole account (``:root`` trusts every principal the account allows)."""
    if "*" in value or "?" in value:
        return f"{value!r} must name one role or user: wildcards would let anyone assume the role"
    match = PRINCIPAL_ARN.fullmatch(value)
    if match is None:
        return (
            f"{value!r} must be an IAM role or user ARN "
            "(arn:aws:iam::<account>:role/<path/><name>), not a session ARN "
            "(arn:aws:sts::...:assumed-role/...): give the role's ARN with its path"
        )
    if match.group(2) == "root":
        return (
            f"{value!r} must name one role or user, not the whole account (:root trusts "
            "every principal the account allows)"
        )
    return None


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Docs:
    """A rule AWS documents that its API model does not carry."""

    check: Callable[[Any], str | None]
    source: str

    def problem(self, value: Any) -> str | None:
        return self.check(value)


@dataclass(frozen=True)
class Within:
    """The value becomes part of a larger one AWS receives: every part must fit ``api``
    on its own (when the larger value has a shape with limits)."""

    api: Api | None
    how: str

    def problem(self, value: Any) -> str | None:
        return self.api.problem(value) if self.api is not None else None


@dataclass(frozen=True)
class NotSent:
    """A setting obsgov keeps to itself."""

    why: str

    def problem(self, value: Any) -> str | None:
        return None


@dataclass(frozen=True)
class Checked:
    """Checked against ``api``'s limits by another rule (``by``), which words the problem;
    not checked twice. The test compares ``api``'s limits with the ones that rule uses."""

    api: Api
    by: str

    def problem(self, value: Any) -> str | None:
        return None


Target = Api | Docs | Within | NotSent | Checked

# Shapes used more than once.
ACCOUNT_ID = Api("organizations", "DescribeAccountRequest", "AccountId")
TAG_KEY = Api("organizations", "TagKey")
TAG_VALUE = Api("organizations", "TagValue")
THRESHOLD = Api("cloudwatch", "PutMetricAlarmInput", "Threshold")
ALARM_NAME = Api("cloudwatch", "PutMetricAlarmInput", "AlarmName")
SNS_ENDPOINT = Api("sns", "SubscribeInput", "Endpoint")
RETENTION = Api("logs", "PutRetentionPolicyRequest", "retentionInDays")
S3_DAYS = Api("s3", "LifecycleExpiration", "Days")
BUCKET = Docs(bucket_name_problem, BUCKET_RULES)
S3_URI = Docs(s3_uri_problem, BUCKET_RULES)
REGION = Docs(region_problem, REGIONS)
IAM_ARN = Api("iam", "arnType")
MANAGED_POLICY_ARN = Api("iam", "AttachRolePolicyRequest", "PolicyArn")
# the role Organizations creates in a new account, and the one onboarding assumes there
ACCESS_ROLE = Api("organizations", "CreateAccountRequest", "RoleName")
OU_NAME = Api("organizations", "CreateOrganizationalUnitRequest", "Name")
OBSGOV_ENUM = NotSent("one of obsgov's own choices; AWS never receives it")
SWITCH = NotSent("switches a part of the program on or off")
FILE = NotSent("a file obsgov reads")
REFERENCE = NotSent("names another entry of the config; checked by the cross-file rules")
PACK_ONLY = NotSent("read by the policy packs, not sent to AWS")
# Tag values of member-account resources: checked, with the tag named, by the rules
# account_tags_are_valid_aws_tags and workload_tags_follow_tag_schema.
ACCOUNT_TAG = Checked(TAG_VALUE, "rules.account_tags_are_valid_aws_tags")
WORKLOAD_TAG = Checked(TAG_VALUE, "rules.workload_tags_follow_tag_schema")

#: Every leaf field of the config models, ``"<class that declares it>.<field>"``; a mapping's
#: keys are ``"<class>.<field>{}"``. A value in a list is checked item by item.
FIELDS: dict[str, tuple[Target, ...]] = {
    # ---- stacks/Pulumi.<env>.yaml
    "StackSettings.environment": (OBSGOV_ENUM,),
    "StackSettings.region": (REGION,),
    "StackSettings.organization_file": (FILE,),
    "StackSettings.registry_file": (FILE,),
    "StackSettings.log_retention_days": (RETENTION,),
    "StackSettings.policy_enforcement": (PACK_ONLY,),
    "StackSettings.cost_assumptions{}": (NotSent("a usage assumption of the cost report"),),
    "StackSettings.cost_assumptions": (NotSent("a usage assumption of the cost report"),),
    # which stack holds what (README "Stacks"): Pulumi stack names, never sent to AWS
    "StackSettings.stack_role": (NotSent("what the Pulumi stack holds"),),
    "StackSettings.organization_stack": (NotSent("a Pulumi stack read by StackReference"),),
    "StackSettings.shard_of": (NotSent("the Pulumi stack a member shard belongs to"),),
    "StackSettings.shard": (NotSent("a member shard's number"),),
    "MemberShards.count": (NotSent("how many member shard stacks"),),
    # suppressions (stack config and registry): read by the gate's reports, never by AWS
    "Suppression.policy": (NotSent("a policy id the gate's findings are matched against"),),
    "Suppression.resource": (NotSent("a resource name or glob findings are matched against"),),
    "Suppression.reason": (NotSent("shown with the suppressed finding in every report"),),
    "Suppression.expires": (NotSent("the day after which the suppression no longer holds"),),
    "RegistrySuppression.workload": (REFERENCE,),
    "RegistrySuppression.account": (REFERENCE,),
    "PolicyPackRef.path": (FILE,),
    "PolicyPackRef.config": (FILE,),
    "AlarmDefaults.period_seconds": (Api("cloudwatch", "PutMetricAlarmInput", "Period"),),
    "AlarmDefaults.evaluation_periods": (
        Api("cloudwatch", "PutMetricAlarmInput", "EvaluationPeriods"),
    ),
    "AlarmDefaults.datapoints_to_alarm": (
        Api("cloudwatch", "PutMetricAlarmInput", "DatapointsToAlarm"),
    ),
    "AlarmDefaults.anomaly_band_width": (
        Within(None, "the width in ANOMALY_DETECTION_BAND(m1, <width>); the model bounds it"),
    ),
    "AlarmDefaults.treat_missing_data": (
        Api("cloudwatch", "PutMetricAlarmInput", "TreatMissingData"),
    ),
    "AlarmDefaults.cpu_utilization_percent": (THRESHOLD,),
    "AlarmDefaults.memory_utilization_percent": (THRESHOLD,),
    "AlarmDefaults.disk_utilization_percent": (THRESHOLD,),
    "Notifications.emails": (SNS_ENDPOINT,),
    "Notifications.https_endpoints": (SNS_ENDPOINT,),
    "AlertRouting.central_event_bus_arn": (Api("events", "Target", "Arn"),),
    "AlertRouting.central_log_destination_arn": (
        Api("logs", "PutSubscriptionFilterRequest", "destinationArn"),
    ),
    "AlertRouting.runbook_url": (
        Within(
            Api("cloudwatch", "PutMetricAlarmInput", "AlarmDescription"),
            "the link in every alarm's description",
        ),
    ),
    "Tracing.sampling_rate": (Api("xray", "SamplingRule", "FixedRate"),),
    "Tracing.reservoir_size": (Api("xray", "SamplingRule", "ReservoirSize"),),
    "OpenSearchSizing.enabled": (SWITCH,),
    "OpenSearchSizing.engine_version": (Api("opensearch", "CreateDomainRequest", "EngineVersion"),),
    "OpenSearchSizing.instance_type": (Api("opensearch", "ClusterConfig", "InstanceType"),),
    "OpenSearchSizing.instance_count": (Api("opensearch", "ClusterConfig", "InstanceCount"),),
    "OpenSearchSizing.dedicated_master_count": (
        Api("opensearch", "ClusterConfig", "DedicatedMasterCount"),
        Docs(dedicated_master_count_problem, MASTER_NODES),
    ),
    "OpenSearchSizing.dedicated_master_type": (
        Api("opensearch", "ClusterConfig", "DedicatedMasterType"),
    ),
    "OpenSearchSizing.volume_size_gib": (Api("opensearch", "EBSOptions", "VolumeSize"),),
    "OpenSearchSizing.zone_awareness": (
        Api("opensearch", "ClusterConfig", "ZoneAwarenessEnabled"),
    ),
    "OpenSearchSizing.warm_enabled": (Api("opensearch", "ClusterConfig", "WarmEnabled"),),
    "OpenSearchSizing.warm_type": (Api("opensearch", "ClusterConfig", "WarmType"),),
    "OpenSearchSizing.warm_count": (
        Api("opensearch", "ClusterConfig", "WarmCount"),
        Docs(warm_count_problem, ULTRAWARM_QUOTAS),
    ),
    "OpenSearchSizing.cold_storage": (Api("opensearch", "ColdStorageOptions", "Enabled"),),
    "OpenSearchSizing.admin_principals": (
        Api("opensearch", "MasterUserOptions", "MasterUserARN"),
        IAM_ARN,
    ),
    # EC2's model gives subnet and security group ids no form (and costs half a second to
    # load); the config model checks subnet-<hex> and sg-<hex>, and the subnets' count.
    "OpenSearchSizing.subnet_ids": (Within(None, "VPCOptions.SubnetIds of the domain"),),
    "OpenSearchSizing.security_group_ids": (
        Within(None, "VPCOptions.SecurityGroupIds of the domain"),
    ),
    "QuickSightSettings.principals": (
        Api("quicksight", "ResourcePermission", "Principal"),
        Docs(quicksight_principal_problem, QUICKSIGHT_PERMISSION),
    ),
    "QuickSightSettings.owners": (
        Api("quicksight", "ResourcePermission", "Principal"),
        Docs(quicksight_principal_problem, QUICKSIGHT_PERMISSION),
    ),
    "ModelApprovalRules.enabled": (SWITCH,),
    "ModelApprovalRules.registry_account_id": (ACCOUNT_ID,),
    "ModelApprovalRules.snapshot_file": (FILE,),
    "ModelApprovalRules.data_capture_min_percent": (PACK_ONLY,),
    "ModelApprovalRules.required_metadata": (Api("sagemaker", "CustomerMetadataKey"),),
    "ModelApprovalRules.promotion_order": (OBSGOV_ENUM,),
    "ModelApprovalRules.image_repositories": (
        Api("ecr", "SetRepositoryPolicyRequest", "repositoryName"),
    ),
    "ApprovalGuardSettings.enabled": (SWITCH,),
    "ApprovalGuardSettings.require_description": (SWITCH,),
    "ApprovalGuardSettings.allowed_approvers": (
        NotSent("compared by the guard with the principal CloudTrail names"),
    ),
    "ApprovalGuardSettings.previous_registry_account_id": (ACCOUNT_ID,),
    "ApprovalGuardSettings.metrics_report_prefix": (S3_URI,),
    "MetricThresholds.default": (NotSent("a quality threshold the guard applies"),),
    "MetricThresholds.groups": (NotSent("a quality threshold the guard applies"),),
    "MetricThresholds.groups{}": (
        Api("sagemaker", "CreateModelPackageGroupInput", "ModelPackageGroupName"),
    ),
    "TrailSettings.enabled": (SWITCH,),
    "TrailSettings.name": (Api("cloudtrail", "CreateTrailRequest", "Name"),),
    "TrailSettings.admin_account_id": (
        Api("organizations", "RegisterDelegatedAdministratorRequest", "AccountId"),
    ),
    "TrailSettings.log_retention_days": (RETENTION,),
    "TrailSettings.decrypt_principals": (Within(IAM_ARN, "a principal of the trail key's policy"),),
    "TrailSettings.metric_namespace": (Api("logs", "MetricTransformation", "metricNamespace"),),
    "DataEvents.s3_buckets": (BUCKET,),
    "DataEvents.sagemaker_endpoints": (SWITCH,),
    "DataEvents.lambda_functions": (SWITCH,),
    "ArchiveSettings.bucket_name": (BUCKET,),
    "ArchiveSettings.access_log_bucket_name": (BUCKET,),
    "ArchiveSettings.expiration_days": (S3_DAYS,),
    "ArchiveSettings.noncurrent_version_expiration_days": (
        Api("s3", "NoncurrentVersionExpiration", "NoncurrentDays"),
    ),
    "ArchiveSettings.access_log_expiration_days": (S3_DAYS,),
    "LifecycleTransition.days": (Api("s3", "Transition", "Days"),),
    "LifecycleTransition.storage_class": (Api("s3", "Transition", "StorageClass"),),
    "ObjectLock.mode": (Api("s3", "DefaultRetention", "Mode"),),
    "ObjectLock.days": (Api("s3", "DefaultRetention", "Days"),),
    "EventRoutingSettings.bus_name": (Api("events", "CreateEventBusRequest", "Name"),),
    "EventRoutingSettings.severities{}": (
        Within(Api("sns", "CreateTopicInput", "Name"), "the severity topic's and rule's names"),
    ),
    "Subscribers.emails": (SNS_ENDPOINT,),
    "Subscribers.https_endpoints": (SNS_ENDPOINT,),
    "Subscribers.sqs_queue_arns": (SNS_ENDPOINT,),
    "Subscribers.levels": (NotSent("matched against the alarm description's [level]"),),
    "AnalyticsSettings.enabled": (SWITCH,),
    "AnalyticsSettings.database_name": (Api("glue", "DatabaseInput", "Name"),),
    "AnalyticsSettings.workgroup_name": (Api("athena", "CreateWorkGroupInput", "Name"),),
    "AnalyticsSettings.results_expiration_days": (S3_DAYS,),
    "AnalyticsSettings.bytes_scanned_cutoff_per_query": (
        Api("athena", "WorkGroupConfiguration", "BytesScannedCutoffPerQuery"),
    ),
    "AnalyticsSettings.projection_start": (
        Within(None, "the start of the table's projection.timestamp.range; the model checks it"),
    ),
    "AnalyticsSettings.regions": (REGION,),
    "AnalyticsSettings.query_window_days": (
        NotSent("compared with the archive's transitions to GLACIER and DEEP_ARCHIVE"),
    ),
    "TagPolicySettings.enabled": (SWITCH,),
    "TagPolicySettings.enforced_for": (
        Within(
            Api("organizations", "CreatePolicyRequest", "Content"),
            "an enforced_for entry of the tag policy document",
        ),
    ),
    "ServiceControlPolicySettings.enabled": (SWITCH,),
    "ServiceControlPolicySettings.deny_leave_organization": (SWITCH,),
    "DriftMonitoringSettings.enabled": (SWITCH,),
    "DriftMonitoringSettings.image_uri": (NotSent("refused: the drift job runs as a zip"),),
    "DriftMonitoringSettings.capture_bucket": (BUCKET,),
    "DriftMonitoringSettings.capture_prefix": (Api("s3", "ListObjectsV2Request", "Prefix"),),
    "DriftMonitoringSettings.baseline_bucket": (BUCKET,),
    "DriftMonitoringSettings.report_bucket": (BUCKET,),
    "DriftMonitoringSettings.kms_key_arn": (Api("lambda", "KMSKeyArn"),),
    "DriftMonitoringSettings.schedule": (
        Api("events", "PutRuleRequest", "ScheduleExpression"),
        Docs(schedule_expression_problem, SCHEDULES),
    ),
    "DriftMonitoringSettings.window_minutes": (NotSent("the drift job's window, its argument"),),
    "DriftMonitoringSettings.layer_dir": (NotSent("a local folder the program uploads"),),
    "DriftMonitoringSettings.model_quality_schedule": (
        Api("events", "PutRuleRequest", "ScheduleExpression"),
        Docs(schedule_expression_problem, SCHEDULES),
    ),
    "DriftMonitoringSettings.freshness_schedule": (
        Api("events", "PutRuleRequest", "ScheduleExpression"),
        Docs(schedule_expression_problem, SCHEDULES),
    ),
    # ---- stacks/organization.yaml
    "Organization.id": (Api("organizations", "Organization", "Id"),),
    "Organization.management_account_id": (ACCOUNT_ID,),
    "Organization.observability_account_id": (ACCOUNT_ID,),
    "Organization.log_archive_account_id": (ACCOUNT_ID,),
    "Organization.deployment_role_name": (Api("iam", "CreateRoleRequest", "RoleName"),),
    "Organization.platform_owner": (TAG_VALUE,),
    "Organization.platform_cost_centre": (TAG_VALUE,),
    "OrganizationalUnit.name": (OU_NAME,),
    "OrganizationalUnit.id": (
        Api("organizations", "DescribeOrganizationalUnitRequest", "OrganizationalUnitId"),
    ),
    "TagRule.key": (TAG_KEY,),
    "TagRule.allowed_values": (TAG_VALUE,),
    "TagRule.pattern": (PACK_ONLY,),
    "TagRule.description": (PACK_ONLY,),
    # ---- stacks/accounts.yaml
    "MemberAccount.id": (ACCOUNT_ID,),
    "MemberAccount.name": (Api("organizations", "CreateAccountRequest", "AccountName"),),
    "MemberAccount.email": (Api("organizations", "CreateAccountRequest", "Email"),),
    "MemberAccount.environment": (OBSGOV_ENUM,),
    "MemberAccount.organizational_unit": (OU_NAME,),
    "MemberAccount.owner": (ACCOUNT_TAG,),
    "MemberAccount.cost_centre": (ACCOUNT_TAG,),
    "MemberAccount.data_classification": (ACCOUNT_TAG,),
    "MemberAccount.tags{}": (Checked(TAG_KEY, "rules.account_tags_are_valid_aws_tags"),),
    "MemberAccount.tags": (ACCOUNT_TAG,),
    # ---- stacks/organization.yaml accountFactory (what onboarding sets up in each account)
    "AccountFactory.deployer_arn": (
        Within(IAM_ARN, "the principal the deployment role's trust policy names"),
        Docs(principal_problem, IAM_IDENTIFIERS),
    ),
    "AccountFactory.alternate_contacts{}": (
        Within(None, "upper-cased, PutAlternateContact's AlternateContactType"),
    ),
    "AccountFactory.delete_default_vpcs": (SWITCH,),
    "AccountFactory.allowed_regions": (REGION,),
    "AccountFactory.suspended_ou": (REFERENCE,),
    "AlternateContact.name": (Api("account", "PutAlternateContactRequest", "Name"),),
    "AlternateContact.title": (Api("account", "PutAlternateContactRequest", "Title"),),
    "AlternateContact.email": (Api("account", "PutAlternateContactRequest", "EmailAddress"),),
    "AlternateContact.phone": (Api("account", "PutAlternateContactRequest", "PhoneNumber"),),
    "IdentityCenter.instance_arn": (
        Api("sso-admin", "CreateAccountAssignmentRequest", "InstanceArn"),
    ),
    "AccessAssignment.permission_set_arn": (
        Api("sso-admin", "CreateAccountAssignmentRequest", "PermissionSetArn"),
    ),
    "AccessAssignment.principal_type": (
        Api("sso-admin", "CreateAccountAssignmentRequest", "PrincipalType"),
    ),
    "AccessAssignment.principal_id": (
        Api("sso-admin", "CreateAccountAssignmentRequest", "PrincipalId"),
    ),
    "AccessAssignment.environments": (OBSGOV_ENUM,),
    "_Workload.name": (Within(ALARM_NAME, "the names of the workload's alarms"),),
    "_Workload.account": (REFERENCE,),
    "_Workload.environment": (OBSGOV_ENUM,),
    "_Workload.severity": (OBSGOV_ENUM,),
    "_Workload.log_groups": (Api("logs", "CreateLogGroupRequest", "logGroupName"),),
    "_Workload.critical_event_patterns": (
        Within(
            Api("logs", "PutMetricFilterRequest", "filterPattern"),
            "a term of the critical-events filter pattern",
        ),
    ),
    "_Workload.log_group": (NotSent("whether the program imports the log groups or creates them"),),
    "_Workload.forward_logs": (SWITCH,),
    "_Workload.traced": (SWITCH,),
    "MlEndpoint.kind": (OBSGOV_ENUM,),
    "MlEndpoint.model_id": (WORKLOAD_TAG,),
    "MlEndpoint.model_version": (WORKLOAD_TAG,),
    "MlEndpoint.model_package_group": (
        Api("sagemaker", "CreateModelPackageGroupInput", "ModelPackageGroupName"),
    ),
    "MlEndpoint.variant_name": (Api("sagemaker", "ProductionVariant", "VariantName"),),
    "MlEndpoint.inference": (OBSGOV_ENUM,),
    "MlEndpoint.instance_type": (Api("sagemaker", "ProductionVariant", "InstanceType"),),
    "MlEndpoint.drift_monitoring": (SWITCH,),
    "ModelQualityTarget.metric": (OBSGOV_ENUM,),
    "ModelQualityTarget.threshold": (THRESHOLD,),
    "GroundTruth.capture_uri": (Api("sagemaker", "S3Uri"), S3_URI),
    "GroundTruth.labels_uri": (Api("sagemaker", "S3Uri"), S3_URI),
    "GroundTruth.problem": (OBSGOV_ENUM,),
    "EndpointSlo.latency_p99_ms": (THRESHOLD,),
    "EndpointSlo.error_rate_percent": (THRESHOLD,),
    "EndpointSlo.client_error_rate_percent": (THRESHOLD,),
    "EndpointSlo.overhead_latency_p99_ms": (THRESHOLD,),
    "EndpointSlo.min_invocations_per_minute": (THRESHOLD,),
    "EndpointSlo.max_cpu_percent": (THRESHOLD,),
    "EndpointSlo.max_memory_percent": (THRESHOLD,),
    "EndpointSlo.max_disk_percent": (THRESHOLD,),
    "EndpointSlo.max_gpu_percent": (THRESHOLD,),
    "EndpointSlo.max_gpu_memory_percent": (THRESHOLD,),
    "EndpointSlo.max_invocations_per_instance_per_minute": (THRESHOLD,),
    "EndpointSlo.max_concurrency_utilization": (THRESHOLD,),
    "EndpointSlo.max_model_setup_seconds": (THRESHOLD,),
    "EndpointSlo.max_backlog_age_seconds": (THRESHOLD,),
    "EndpointSlo.max_backlog_size": (THRESHOLD,),
    "EtlPipeline.kind": (OBSGOV_ENUM,),
    "EtlPipeline.engine": (OBSGOV_ENUM,),
    "EtlPipeline.schedule_interval_minutes": (
        Within(None, "the freshness alarm's period times its evaluation periods; bounded"),
    ),
    "EtlPipeline.data_quality_monitoring": (SWITCH,),
    "EtlPipeline.dataset_location": (S3_URI,),
    "EtlPipeline.freshness_grace_minutes": (
        NotSent("the freshness job's grace, in its schedule input"),
    ),
    "EtlPipeline.output_layout": (NotSent("the freshness job's key layout, in its input"),),
    "DriftJob.engine": (OBSGOV_ENUM,),
    "DriftJob.window_rows": (NotSent("chooses the engine with spark_above_rows"),),
    "DriftJob.spark_above_rows": (NotSent("chooses the engine with window_rows"),),
    "DriftJob.schedule": (
        Api("glue", "CreateTriggerRequest", "Schedule"),
        Docs(schedule_expression_problem, SCHEDULES),
    ),
    "DriftJob.data_format": (NotSent("the Spark job's --format argument"),),
    "DriftJob.worker_type": (Api("glue", "CreateJobRequest", "WorkerType"),),
    "DriftJob.number_of_workers": (Api("glue", "CreateJobRequest", "NumberOfWorkers"),),
    "DriftJob.timeout_minutes": (Api("glue", "CreateJobRequest", "Timeout"),),
    "PipelineSlo.max_duration_minutes": (THRESHOLD,),
    "PipelineSlo.max_failed_runs": (THRESHOLD,),
    "PipelineSlo.max_error_rate_percent": (THRESHOLD,),
    "BusinessKpi.kind": (OBSGOV_ENUM,),
    "BusinessKpi.namespace": (Api("cloudwatch", "PutMetricAlarmInput", "Namespace"),),
    "BusinessKpi.metric_name": (Api("cloudwatch", "PutMetricAlarmInput", "MetricName"),),
    "BusinessKpi.statistic": (Api("cloudwatch", "PutMetricAlarmInput", "Statistic"),),
    "BusinessKpi.dimensions{}": (Api("cloudwatch", "Dimension", "Name"),),
    "BusinessKpi.dimensions": (Api("cloudwatch", "Dimension", "Value"),),
    "BusinessKpi.alert_on": (OBSGOV_ENUM,),
    "BusinessKpi.lower_bound": (THRESHOLD,),
    "BusinessKpi.upper_bound": (THRESHOLD,),
    "BusinessKpi.driven_by": (REFERENCE,),
}


def targets(key: str) -> tuple[Target, ...]:
    return FIELDS.get(key, ())


def problems_of(key: str, value: Any) -> Iterator[str]:
    """Why AWS would refuse ``value`` for the field ``key``; nothing when it accepts it."""
    for target in targets(key):
        reason = target.problem(value)
        if reason:
            yield reason
            return  # the first reason is the one to fix
