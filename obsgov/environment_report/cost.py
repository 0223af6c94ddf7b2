"""The monthly cost estimate of a synthesized environment, per account and per service.

Each custom resource is priced by a rule for its type: what it bills for, in which unit, how
many units, and which usage assumptions the quantity rests on. Types known to be free say so;
any other type is listed as unpriced, never counted as zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from obsgov.errors import InputError, Problem
from obsgov.graph import UNKNOWN, GraphResource, ResourceGraph, plain
from obsgov.io import read_yaml

PRICES = Path(__file__).with_name("prices.yaml")
HOURS_PER_MONTH = 730
DAYS_PER_MONTH = 30


@dataclass(frozen=True)
class Price:
    """One priced unit: ``usd`` in the table's region, ``regions`` the prices read for other
    regions (AWS's prices differ by region: CloudWatch Logs ingestion is $0.50 a GB in
    us-east-1 and $0.57 in eu-west-1)."""

    key: str
    unit: str
    usd: float
    source: str
    read: str
    verified: bool
    regions: Mapping[str, float] = field(default_factory=dict)

    def in_region(self, region: str, table_region: str) -> tuple[float, str]:
        """(price, the region it is the price of): the region's own when the table has it,
        else the table region's, which the estimate then names as a stand-in."""
        if region in self.regions:
            return self.regions[region], region
        return self.usd, table_region


@dataclass
class PriceTable:
    region: str
    items: dict[str, Price]
    assumptions: dict[str, float]
    # Price List API queries by price key, for ``--prices live`` (see live_prices.py)
    queries: dict[str, dict[str, Any]] = field(default_factory=dict)

    def with_assumptions(self, overrides: Mapping[str, float]) -> PriceTable:
        return PriceTable(self.region, self.items, {**self.assumptions, **overrides}, self.queries)


def load_prices(path: Path = PRICES) -> PriceTable:
    shown = str(path)
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("items"), dict):
        raise InputError.single(shown, "items", "must be a mapping of price entries")
    problems = []
    items = {}
    queries = {}
    for key, entry in data["items"].items():
        if isinstance(entry, dict) and "live" in entry:
            query, problem = _live_query(entry["live"])
            if problem:
                problems.append(Problem(shown, f"items.{key}.live", problem))
            else:
                queries[str(key)] = query
        try:
            regions = entry.get("regions") or {}
            if not isinstance(regions, dict) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
                for v in regions.values()
            ):
                raise ValueError("regions must map region names to prices")
            items[key] = Price(
                key,
                str(entry["unit"]),
                float(entry["usd"]),
                str(entry["source"]),
                str(entry["read"]),
                bool(entry.get("verified", False)),
                {str(r): float(v) for r, v in regions.items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append(
                Problem(
                    shown, f"items.{key}", f"needs unit, usd, source and read, and regions ({exc})"
                )
            )
    assumptions = data.get("assumptions") or {}
    if problems:
        raise InputError(problems)
    return PriceTable(
        str(data.get("region", "")),
        items,
        {str(k): float(v) for k, v in assumptions.items()},
        queries,
    )


def _live_query(raw: Any) -> tuple[dict[str, Any], str]:
    expected = (
        "must be a mapping with service and usagetype (strings), optional attributes "
        "(a mapping of strings) and scale (a number > 0)"
    )
    if not isinstance(raw, dict) or set(raw) - {"service", "usagetype", "attributes", "scale"}:
        return {}, expected
    attributes = raw.get("attributes") or {}
    scale = raw.get("scale", 1)
    if (
        not all(isinstance(raw.get(k), str) and raw.get(k) for k in ("service", "usagetype"))
        or not isinstance(attributes, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in attributes.items())
        or isinstance(scale, bool)
        or not isinstance(scale, (int, float))
        or not scale > 0
    ):
        return {}, expected
    return {**raw, "attributes": attributes, "scale": scale}, ""


def load_assumptions(path: Path, known: Iterable[str]) -> dict[str, float]:
    shown = str(path)
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise InputError.single(shown, "", "must be a mapping of assumption: number")
    known = set(known)
    problems = []
    out: dict[str, float] = {}
    for key, value in data.items():
        if key not in known:
            problems.append(
                (str(key), f"is not a known assumption (known: {', '.join(sorted(known))})")
            )
        elif (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value < 0
        ):
            problems.append((str(key), "must be a finite number >= 0"))
        else:
            out[str(key)] = float(value)
    if problems:
        raise InputError([Problem(shown, k, m) for k, m in problems])
    return out


@dataclass
class Charge:
    urn: str
    account: str | None
    service: str
    resource_type: str
    name: str
    item: str
    quantity: float
    usd: float
    assumptions: tuple[str, ...] = ()
    verified: bool = True
    region: str = ""  # where the resource is
    priced_region: str = ""  # whose price was used (the table's region when it had none)


@dataclass
class Estimate:
    region: str  # the environment's region
    charges: list[Charge] = field(default_factory=list)
    unpriced: list[GraphResource] = field(default_factory=list)
    free: list[GraphResource] = field(default_factory=list)
    assumptions: dict[str, float] = field(default_factory=dict)
    table_region: str = ""

    @property
    def stand_ins(self) -> list[tuple[str, str, str]]:
        """(price key, region, region priced at) for every price the table has only for
        another region: named in the report, never silently used."""
        return sorted(
            {
                (c.item, c.region, c.priced_region)
                for c in self.charges
                if c.region and c.priced_region != c.region
            }
        )

    @property
    def total(self) -> float:
        return sum(c.usd for c in self.charges)

    def by(self, attribute: str) -> dict[Any, float]:
        totals: dict[Any, float] = {}
        for charge in self.charges:
            key = getattr(charge, attribute)
            totals[key] = totals.get(key, 0.0) + charge.usd
        return dict(sorted(totals.items(), key=lambda kv: (-kv[1], str(kv[0]))))


# --------------------------------------------------------------------------- pricing rules

Line = tuple[str, float, tuple[str, ...]]  # price key, quantity, assumptions used
Rule = Callable[[Mapping[str, Any], Mapping[str, float]], list[Line]]


def _known(value: Any) -> Any:
    return None if value == UNKNOWN else value


def _alarm(props: Mapping[str, Any], a: Mapping[str, float]) -> list[Line]:
    queries = props.get("metricQueries") or []
    if any("ANOMALY_DETECTION_BAND" in str(q.get("expression", "")) for q in queries):
        # billed as three alarm metrics: the metric and the band's two bounds
        return [("cloudwatch-alarm-anomaly-detection", 1, ())]
    metrics = [q for q in queries if q.get("metric")] or [props]
    periods = [(_known((q.get("metric") or q).get("period")) or 60) for q in metrics]
    high = sum(1 for p in periods if isinstance(p, (int, float)) and p < 60)
    lines: list[Line] = []
    if high:
        lines.append(("cloudwatch-alarm-metric-high-resolution", high, ()))
    if len(metrics) - high:
        lines.append(("cloudwatch-alarm-metric", len(metrics) - high, ()))
    return lines


def _log_group(props: Mapping[str, Any], a: Mapping[str, float]) -> list[Line]:
    daily = a["logGbPerDayPerLogGroup"]
    retention = _known(props.get("retentionInDays")) or 365
    return [
        ("cloudwatch-logs-ingestion", daily * DAYS_PER_MONTH, ("logGbPerDayPerLogGroup",)),
        # steady state: a retention period's worth of data is stored, billed on its size
        # after CloudWatch Logs compresses it (ingestion is billed uncompressed)
        (
            "cloudwatch-logs-storage",
            daily * min(float(retention), 3653) * a["logCompressedFraction"],
            ("logGbPerDayPerLogGroup", "logCompressedFraction"),
        ),
    ]


def _trail(props: Mapping[str, Any], a: Mapping[str, float]) -> list[Line]:
    selectors = props.get("advancedEventSelectors") or []
    data = [
        s
        for s in selectors
        if not any(
            f.get("field") == "eventCategory" and "Management" in (f.get("equals") or [])
            for f in (s.get("fieldSelectors") or [])
        )
    ]
    if not data and not props.get("eventSelectors"):
        return []  # the first copy of management events is free
    return [("cloudtrail-data-events", a["dataEventsPerMonth"] / 100_000, ("dataEventsPerMonth",))]


def _opensearch(props: Mapping[str, Any], a: Mapping[str, float]) -> list[Line]:
    cluster = props.get("clusterConfig") or {}
    lines: list[Line] = []
    count = _known(cluster.get("instanceCount")) or 1
    lines.append(
        (
            f"opensearch-{cluster.get('instanceType', 'r6g.large.search')}",
            count * HOURS_PER_MONTH,
            (),
        )
    )
    if cluster.get("dedicatedMasterEnabled"):
        lines.append(
            (
                f"opensearch-{cluster.get('dedicatedMasterType', 'r6g.large.search')}",
                (_known(cluster.get("dedicatedMasterCount")) or 3) * HOURS_PER_MONTH,
                (),
            )
        )
    if cluster.get("warmEnabled"):
        # UltraWarm nodes by the hour; the S3-backed storage they address is billed per GB
        # used, which the estimate has no figure for
        lines.append(
            (
                f"opensearch-{cluster.get('warmType', 'ultrawarm1.medium.search')}",
                (_known(cluster.get("warmCount")) or 2) * HOURS_PER_MONTH,
                (),
            )
        )
    ebs = props.get("ebsOptions") or {}
    volume = _known(ebs.get("volumeSize")) or 0
    if volume:
        # OpenSearch bills its EBS storage at its own price (not EC2's EBS price)
        kind = str(_known(ebs.get("volumeType")) or "gp3")
        lines.append((f"opensearch-{kind}-storage", volume * count, ()))
    return lines


def _lambda(props: Mapping[str, Any], a: Mapping[str, float]) -> list[Line]:
    invocations = a["lambdaInvocationsPerMonth"]
    memory_gb = (_known(props.get("memorySize")) or 128) / 1024
    used = ("lambdaInvocationsPerMonth", "lambdaAverageMilliseconds")
    return [
        ("lambda-requests", invocations / 1_000_000, used[:1]),
        ("lambda-compute", invocations * a["lambdaAverageMilliseconds"] / 1000 * memory_gb, used),
    ]


# DPUs per worker of a Glue Spark job (AWS Glue API, Job.WorkerType:
# https://docs.aws.amazon.com/glue/latest/webapi/API_Job.html)
GLUE_DPU_PER_WORKER = {"G.1X": 1, "G.2X": 2, "G.4X": 4, "G.8X": 8}


def _glue_job(props: Mapping[str, Any], a: Mapping[str, float]) -> list[Line]:
    workers = _known(props.get("numberOfWorkers")) or 2
    dpus = workers * GLUE_DPU_PER_WORKER.get(str(_known(props.get("workerType")) or "G.1X"), 1)
    minutes = max(1.0, a["glueMinutesPerRun"])  # billed per second, one minute at least
    used = ("glueRunsPerMonthPerJob", "glueMinutesPerRun")
    return [("glue-etl-dpu-hour", dpus * a["glueRunsPerMonthPerJob"] * minutes / 60, used)]


def _event_target(props: Mapping[str, Any], a: Mapping[str, float]) -> list[Line]:
    return []  # priced by the estimate, which knows the target's account (cross-account)


def _kms_key(props: Mapping[str, Any], a: Mapping[str, float]) -> list[Line]:
    return [
        ("kms-key", 1, ()),
        (
            "kms-requests",
            a["kmsRequestsPerMonthPerKey"] / 10_000,
            ("kmsRequestsPerMonthPerKey",),
        ),
    ]


def _dataset(props: Mapping[str, Any], a: Mapping[str, float]) -> list[Line]:
    if str(_known(props.get("importMode")) or "").upper() != "SPICE":
        return []  # direct query: the source (Athena) bills the scans
    return [("quicksight-spice", a["spiceGbPerDataset"], ("spiceGbPerDataset",))]


RULES: dict[str, Rule] = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": lambda p, a: [
        ("cloudwatch-alarm-composite", 1, ())
    ],
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": lambda p, a: [
        ("cloudwatch-custom-metric", 1, ())
    ],
    "aws:cloudwatch/dashboard:Dashboard": lambda p, a: [("cloudwatch-dashboard", 1, ())],
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/metricStream:MetricStream": lambda p, a: [
        (
            "cloudwatch-metric-stream-update",
            a["metricUpdatesPerMonthPerStream"] / 1000,
            ("metricUpdatesPerMonthPerStream",),
        )
    ],
    "aws:cloudtrail/trail:Trail": _trail,
    "aws:kms/key:Key": _kms_key,
    "aws:athena/workgroup:Workgroup": lambda p, a: [
        (
            "athena-data-scanned",
            a["athenaTbScannedPerMonthPerWorkgroup"],
            ("athenaTbScannedPerMonthPerWorkgroup",),
        )
    ],
    "aws:quicksight/dataSet:DataSet": _dataset,
    "aws:cloudwatch/eventTarget:EventTarget": _event_target,
    "aws:opensearch/domain:Domain": _opensearch,
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": lambda p, a: [
        ("firehose-ingestion", a["firehoseGbPerMonthPerStream"], ("firehoseGbPerMonthPerStream",))
    ],
    "aws:xray/samplingRule:SamplingRule": lambda p, a: [
        (
            "xray-traces-recorded",
            a["tracesPerMonthPerSamplingRule"] / 1_000_000,
            ("tracesPerMonthPerSamplingRule",),
        )
    ],
    "aws:lambda/function:Function": _lambda,
    "aws:glue/job:Job": _glue_job,
    "aws:quicksight/dataSource:DataSource": lambda p, a: [
        ("quicksight-reader", a["quicksightReaders"], ("quicksightReaders",)),
        ("quicksight-author", a["quicksightAuthors"], ("quicksightAuthors",)),
    ],
    "aws:s3/bucket:Bucket": lambda p, a: [("s3-standard-storage", a["bucketGb"], ("bucketGb",))],
    "aws:s3/bucketV2:BucketV2": lambda p, a: [
        ("s3-standard-storage", a["bucketGb"], ("bucketGb",))
    ],
    "aws:sns/topic:Topic": lambda p, a: [
        (
            "sns-publishes",
            a["publishesPerMonthPerTopic"] / 1_000_000,
            ("publishesPerMonthPerTopic",),
        )
    ],
    "aws:sqs/queue:Queue": lambda p, a: [
        ("sqs-requests", a["requestsPerMonthPerQueue"] / 1_000_000, ("requestsPerMonthPerQueue",))
    ],
}

# Types AWS does not bill for by themselves (their use is priced on the resources above).
FREE_TYPES = frozenset(
    {
        # a read of another stack's outputs through Pulumi's builtin provider: no AWS resource
        "pulumi:pulumi:StackReference",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/policy:Policy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:kms/alias:Alias",
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:sns/topicSubscription:TopicSubscription",
        "aws:oam/sink:Sink",
        "aws:oam/sinkPolicy:SinkPolicy",
        "aws:oam/link:Link",
        "aws:cloudwatch/eventRule:EventRule",
        # a trigger only starts a job; the job's runs are priced
        "aws:glue/trigger:Trigger",
        "aws:cloudwatch/eventBus:EventBus",
        "aws:cloudwatch/eventBusPolicy:EventBusPolicy",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
        "aws:cloudwatch/logStream:LogStream",
        "aws:cloudwatch/logDestination:LogDestination",
        "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy",
        "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
        "aws:lambda/permission:Permission",
        # security groups and their rules carry no charge (Amazon VPC pricing bills NAT,
        # endpoints and IPs, not groups); a queue's policy is part of the queue
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketLogging:BucketLogging",
        "aws:glue/catalogDatabase:CatalogDatabase",
        "aws:glue/catalogTable:CatalogTable",
        "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:athena/namedQuery:NamedQuery",
        "aws:organizations/policy:Policy",
        "aws:organizations/policyAttachment:PolicyAttachment",
        "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
        "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy",
        "aws:quicksight/refreshSchedule:RefreshSchedule",
        # QuickSight bills readers, authors and SPICE (priced on the data source and data
        # sets), not dashboards or analyses (Amazon QuickSight pricing)
        "aws-native:quicksight:Dashboard",
        "aws-native:quicksight:Analysis",
        "aws:xray/group:Group",
        # Lambda bills requests and duration, not layers (AWS Lambda pricing); an object's
        # storage is its bucket's, counted in the bucket's bucketGb
        "aws:lambda/layerVersion:LayerVersion",
        "aws:s3/bucketObjectv2:BucketObjectv2",
    }
)


def _service(token: str) -> str:
    return token.split(":")[1].split("/")[0] if token.count(":") >= 2 else token


def _account_of_arn(arn: Any) -> str:
    parts = str(arn).split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" else ""


def _usage_lines(
    resource: GraphResource, props: Mapping[str, Any], a: Mapping[str, float]
) -> list[Line]:
    """Usage the resource's own inputs cannot price alone."""
    if resource.type == "aws:cloudwatch/eventTarget:EventTarget":
        target = _known(props.get("arn"))
        if ":event-bus/" in str(target) and _account_of_arn(target) not in ("", resource.account):
            # EventBridge bills events delivered to another account's bus as custom events
            return [
                (
                    "eventbridge-cross-account-events",
                    a["crossAccountEventsPerMonthPerTarget"] / 1_000_000,
                    ("crossAccountEventsPerMonthPerTarget",),
                )
            ]
    return []


CUSTOM_NAMESPACE_PREFIX = "Obsgov/"


def _custom_metrics(graph: ResourceGraph) -> dict[str, tuple[str, str | None, str | None]]:
    """The custom metrics obsgov's alarms watch in its own namespaces (``Obsgov/*``), once
    each per account: whoever publishes them (the platform's jobs, the teams' KPI code) pays a
    custom metric-month for each. Metrics that a log metric filter makes are priced on the
    filter. Returns urn of the first alarm watching each metric -> (metric key, account,
    region)."""
    from_filters = set()
    for f in graph.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter"):
        for t in plain(f.inputs).get("metricTransformation") or []:
            if isinstance(t, dict):
                from_filters.add((f.account, t.get("namespace"), t.get("name")))
    seen: dict[tuple[Any, ...], str] = {}
    first: dict[str, tuple[str, str | None, str | None]] = {}
    for alarm in graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        props = plain(alarm.inputs)
        metrics = [q.get("metric") for q in props.get("metricQueries") or [] if q.get("metric")]
        if not metrics:
            metrics = [props]
        for metric in metrics:
            namespace = str(metric.get("namespace") or "")
            if not namespace.startswith(CUSTOM_NAMESPACE_PREFIX):
                continue
            name = metric.get("metricName")
            if (alarm.account, namespace, name) in from_filters:
                continue
            dims = tuple(sorted((metric.get("dimensions") or {}).items()))
            key = (alarm.account, namespace, name, dims)
            if key not in seen:
                seen[key] = alarm.urn
                first.setdefault(alarm.urn, (f"{namespace}/{name}", alarm.account, alarm.region))
    counts: dict[str, int] = {}
    for urn in seen.values():
        counts[urn] = counts.get(urn, 0) + 1
    return {
        urn: (f"{first[urn][0]} x{counts[urn]}", first[urn][1], first[urn][2]) for urn in counts
    }


def estimate(graph: ResourceGraph, prices: PriceTable, region: str | None = None) -> Estimate:
    """Price every custom resource at its own region's price (``region``, the environment's,
    for resources whose provider names none)."""
    home = region or prices.region
    result = Estimate(home, assumptions=dict(prices.assumptions), table_region=prices.region)
    custom_metrics = _custom_metrics(graph)
    for resource in graph.resources:
        if not resource.custom or resource.is_provider or resource.pending_delete:
            continue
        rule = RULES.get(resource.type)
        if rule is None:
            (result.free if resource.type in FREE_TYPES else result.unpriced).append(resource)
            continue
        props = plain(resource.inputs)
        lines = list(rule(props, prices.assumptions)) + _usage_lines(
            resource, props, prices.assumptions
        )
        if resource.urn in custom_metrics:
            metric, _, _ = custom_metrics[resource.urn]
            count = int(metric.rsplit(" x", 1)[1])
            lines.append(("cloudwatch-custom-metric", count, ()))
        where = resource.region or home
        for key, quantity, used in lines:
            price = prices.items.get(key)
            if price is None:
                result.unpriced.append(resource)
                continue
            usd, priced_at = price.in_region(where, prices.region)
            result.charges.append(
                Charge(
                    urn=resource.urn,
                    account=resource.account,
                    service=_service(resource.type),
                    resource_type=resource.type,
                    name=resource.name,
                    item=key,
                    quantity=quantity,
                    usd=quantity * usd,
                    assumptions=used,
                    verified=price.verified and priced_at == where,
                    region=where,
                    priced_region=priced_at,
                )
            )
    return result
