"""The whole stack as the deploy-readiness policies read it: who waits for whom, where each
resource lands, what AWS will call it.

A stack policy receives every resource with its outputs (in preview, AWS-computed outputs such as
``arn`` and ``id`` are unknown), its provider, parent, dependencies and property dependencies.
:class:`DeployGraph` turns that into:

* the account and Region of each resource (the provider's assumed role and region, or the
  resource's own ``region``), unknown when the provider names none;
* the order ``pulumi up`` must follow: a resource is created after its ``dependsOn``, the
  resources its inputs came from (property dependencies) and its parent when that parent is a
  custom resource (the SDK awaits the parent's URN, which resolves once it is created:
  sdk/python/lib/pulumi/runtime/resource.py, ``prepare_resource``); transitively;
* the ARN and physical name of each resource from its known name, account and Region (the
  program builds policy documents from names, so these match what the documents say);
* references: a property holding an ARN or name resolves to the resource in the graph that has
  it, or, when the value is unknown in preview, to the resource its property dependency names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .iam_evaluation import UNKNOWN
from .props import assumed_account, json_document

AWS_PROVIDER = "pulumi:providers:aws"


def plain(value: Any) -> Any:
    """A plain copy of a proxied value; unknown parts become :data:`UNKNOWN`."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in list(value.keys()):
            try:
                out[key] = plain(value[key])
            except UnknownValueError:
                out[key] = UNKNOWN
        return out
    if isinstance(value, (list, tuple)) or (
        isinstance(value, Sequence) and not isinstance(value, (str, bytes))
    ):
        items = []
        for i in range(len(value)):
            try:
                items.append(plain(value[i]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def dig(value: Any, *path: Any) -> Any:
    """Follow keys and indexes through plain values; None when absent, UNKNOWN when unknown."""
    current = value
    for key in path:
        if current is UNKNOWN:
            return UNKNOWN
        if isinstance(key, int):
            if isinstance(current, list) and -len(current) <= key < len(current):
                current = current[key]
            else:
                return None
        elif isinstance(current, Mapping):
            current = current.get(key)
        else:
            return None
    return current


def known(value: Any) -> str | None:
    """A known, non-empty string, else None."""
    return value if isinstance(value, str) and value and value is not UNKNOWN else None


def document(value: Any) -> Any:
    """A policy document from a JSON string or object; UNKNOWN when unknown; None when absent."""
    if value is UNKNOWN:
        return UNKNOWN
    return json_document(value)


# --------------------------------------------------------------------------- resource kinds


@dataclass(frozen=True)
class Kind:
    """What AWS calls a resource type: a label for messages, the property holding its
    physical name, the scope in which that name must be unique, and its ARN."""

    label: str
    name_prop: str
    # "region": unique per account and Region; "account": per account (IAM, dashboards);
    # "global": across every account (S3 buckets); "parent:<prop>": within the resource the
    # property names (log group, bus, database, ...)
    scope: str = "region"
    arn: Callable[[str, str, str, Mapping[str, Any]], str] | None = None
    # where AWS documents the name's uniqueness (the create call's "already exists" error)
    doc: str = ""


def _arn(template: str) -> Callable[[str, str, str, Mapping[str, Any]], str]:
    def build(name: str, account: str, region: str, props: Mapping[str, Any]) -> str:
        return template.format(name=name, account=account, region=region)

    return build


def _rule_arn(name: str, account: str, region: str, props: Mapping[str, Any]) -> str:
    bus = known(props.get("eventBusName"))
    bus = bus.rsplit("/", 1)[-1] if bus else None
    middle = f"{bus}/" if bus and bus != "default" else ""
    return f"arn:aws:events:{region}:{account}:rule/{middle}{name}"


def _role_arn(name: str, account: str, region: str, props: Mapping[str, Any]) -> str:
    path = known(props.get("path")) or "/"
    return f"arn:aws:iam::{account}:role{path}{name}"


API = "https://docs.aws.amazon.com"
KINDS: dict[str, Kind] = {
    "aws:sns/topic:Topic": Kind(
        "SNS topic",
        "name",
        arn=_arn("arn:aws:sns:{region}:{account}:{name}"),
        doc=f"{API}/sns/latest/api/API_CreateTopic.html",
    ),
    "aws:sqs/queue:Queue": Kind(
        "SQS queue",
        "name",
        arn=_arn("arn:aws:sqs:{region}:{account}:{name}"),
        doc=f"{API}/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
    ),
    "aws:lambda/function:Function": Kind(
        "Lambda function",
        "name",
        arn=_arn("arn:aws:lambda:{region}:{account}:function:{name}"),
        doc=f"{API}/lambda/latest/api/API_CreateFunction.html",
    ),
    "aws:cloudwatch/eventBus:EventBus": Kind(
        "EventBridge event bus",
        "name",
        arn=_arn("arn:aws:events:{region}:{account}:event-bus/{name}"),
        doc=f"{API}/eventbridge/latest/APIReference/API_CreateEventBus.html",
    ),
    "aws:cloudwatch/eventRule:EventRule": Kind(
        "EventBridge rule",
        "name",
        scope="parent:eventBusName",
        arn=_rule_arn,
        doc=f"{API}/eventbridge/latest/APIReference/API_PutRule.html",
    ),
    "aws:cloudwatch/logGroup:LogGroup": Kind(
        "CloudWatch Logs log group",
        "name",
        arn=_arn("arn:aws:logs:{region}:{account}:log-group:{name}"),
        doc=f"{API}/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
    ),
    "aws:cloudwatch/logDestination:LogDestination": Kind(
        "CloudWatch Logs destination",
        "name",
        arn=_arn("arn:aws:logs:{region}:{account}:destination:{name}"),
        doc=f"{API}/AmazonCloudWatchLogs/latest/APIReference/API_PutDestination.html",
    ),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": Kind(
        "CloudWatch Logs resource policy",
        "policyName",
        doc=f"{API}/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html",
    ),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": Kind(
        "metric filter",
        "name",
        scope="parent:logGroupName",
        doc=f"{API}/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html",
    ),
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": Kind(
        "subscription filter",
        "name",
        scope="parent:logGroup",
        doc=f"{API}/AmazonCloudWatchLogs/latest/APIReference/API_PutSubscriptionFilter.html",
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": Kind(
        "CloudWatch alarm",
        "name",
        arn=_arn("arn:aws:cloudwatch:{region}:{account}:alarm:{name}"),
        doc=f"{API}/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
    ),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": Kind(
        "CloudWatch composite alarm",
        "alarmName",
        arn=_arn("arn:aws:cloudwatch:{region}:{account}:alarm:{name}"),
        doc=f"{API}/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html",
    ),
    "aws:cloudwatch/dashboard:Dashboard": Kind(
        "CloudWatch dashboard",
        "dashboardName",
        scope="account",
        doc=f"{API}/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
    ),
    "aws:cloudwatch/metricStream:MetricStream": Kind(
        "CloudWatch metric stream",
        "name",
        arn=_arn("arn:aws:cloudwatch:{region}:{account}:metric-stream/{name}"),
        doc=f"{API}/AmazonCloudWatch/latest/APIReference/API_PutMetricStream.html",
    ),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": Kind(
        "Firehose stream",
        "name",
        arn=_arn("arn:aws:firehose:{region}:{account}:deliverystream/{name}"),
        doc=f"{API}/firehose/latest/APIReference/API_CreateDeliveryStream.html",
    ),
    "aws:s3/bucket:Bucket": Kind(
        "S3 bucket",
        "bucket",
        scope="global",
        arn=_arn("arn:aws:s3:::{name}"),
        doc=f"{API}/AmazonS3/latest/userguide/bucketnamingrules.html",
    ),
    "aws:iam/role:Role": Kind(
        "IAM role",
        "name",
        scope="account",
        arn=_role_arn,
        doc=f"{API}/IAM/latest/APIReference/API_CreateRole.html",
    ),
    "aws:kms/alias:Alias": Kind(
        "KMS alias",
        "name",
        arn=_arn("arn:aws:kms:{region}:{account}:{name}"),
        doc=f"{API}/kms/latest/APIReference/API_CreateAlias.html",
    ),
    "aws:opensearch/domain:Domain": Kind(
        "OpenSearch domain",
        "domainName",
        arn=_arn("arn:aws:es:{region}:{account}:domain/{name}"),
        doc=f"{API}/opensearch-service/latest/APIReference/API_CreateDomain.html",
    ),
    "aws:cloudtrail/trail:Trail": Kind(
        "CloudTrail trail",
        "name",
        arn=_arn("arn:aws:cloudtrail:{region}:{account}:trail/{name}"),
        doc=f"{API}/awscloudtrail/latest/APIReference/API_CreateTrail.html",
    ),
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": Kind(
        "SageMaker model package group",
        "modelPackageGroupName",
        arn=_arn("arn:aws:sagemaker:{region}:{account}:model-package-group/{name}"),
        doc=f"{API}/sagemaker/latest/APIReference/API_CreateModelPackageGroup.html",
    ),
    "aws:athena/workgroup:Workgroup": Kind(
        "Athena workgroup",
        "name",
        arn=_arn("arn:aws:athena:{region}:{account}:workgroup/{name}"),
        doc=f"{API}/athena/latest/APIReference/API_CreateWorkGroup.html",
    ),
    "aws:glue/catalogDatabase:CatalogDatabase": Kind(
        "Glue database",
        "name",
        doc=f"{API}/glue/latest/webapi/API_CreateDatabase.html",
    ),
    "aws:glue/catalogTable:CatalogTable": Kind(
        "Glue table",
        "name",
        scope="parent:databaseName",
        doc=f"{API}/glue/latest/webapi/API_CreateTable.html",
    ),
    "aws:quicksight/dataSource:DataSource": Kind(
        "QuickSight data source",
        "dataSourceId",
        arn=_arn("arn:aws:quicksight:{region}:{account}:datasource/{name}"),
        doc=f"{API}/quicksight/latest/APIReference/API_CreateDataSource.html",
    ),
    "aws:quicksight/dataSet:DataSet": Kind(
        "QuickSight data set",
        "dataSetId",
        arn=_arn("arn:aws:quicksight:{region}:{account}:dataset/{name}"),
        doc=f"{API}/quicksight/latest/APIReference/API_CreateDataSet.html",
    ),
    "aws:xray/group:Group": Kind(
        "X-Ray group", "groupName", doc=f"{API}/xray/latest/api/API_CreateGroup.html"
    ),
    "aws:xray/samplingRule:SamplingRule": Kind(
        "X-Ray sampling rule", "ruleName", doc=f"{API}/xray/latest/api/API_CreateSamplingRule.html"
    ),
    "aws:organizations/policy:Policy": Kind(
        "Organizations policy",
        "name",
        scope="account",
        doc=f"{API}/organizations/latest/APIReference/API_CreatePolicy.html",
    ),
    "aws:oam/sink:Sink": Kind(
        "CloudWatch OAM sink", "name", doc=f"{API}/OAM/latest/APIReference/API_CreateSink.html"
    ),
}


# Types with no physical name of their own, named in messages by what they are.
LABELS = {
    "aws:oam/link:Link": "OAM link",
    "aws:oam/sinkPolicy:SinkPolicy": "OAM sink policy",
    "aws:cloudwatch/eventTarget:EventTarget": "EventBridge target",
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": "event bus policy",
    "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy": "log destination policy",
    "aws:sns/topicPolicy:TopicPolicy": "SNS topic policy",
    "aws:sqs/queuePolicy:QueuePolicy": "SQS queue policy",
    "aws:lambda/permission:Permission": "Lambda permission",
    "aws:iam/rolePolicy:RolePolicy": "IAM role policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM policy attachment",
    "aws:s3/bucketPolicy:BucketPolicy": "S3 bucket policy",
    "aws:kms/key:Key": "KMS key",
    "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings": (
        "Glue Data Catalog encryption settings"
    ),
    "aws:organizations/policyAttachment:PolicyAttachment": "Organizations policy attachment",
    "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": (
        "SageMaker model package group policy"
    ),
    "aws:opensearch/domainPolicy:DomainPolicy": "OpenSearch domain policy",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": "IAM service-linked role",
}


# --------------------------------------------------------------------------- nodes


class LazyProps(Mapping[str, Any]):
    """A resource's properties, each top-level value made plain when first read: most
    policies read a few keys of most resources, and an alarm's whole property tree is large."""

    __slots__ = ("_proxy", "_plain")

    def __init__(self, proxy: Any) -> None:
        self._proxy = proxy
        self._plain: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        try:
            return self._plain[key]
        except KeyError:
            pass
        try:
            value = plain(self._proxy[key])  # KeyError for an absent key goes to the caller
        except UnknownValueError:
            value = UNKNOWN
        self._plain[key] = value
        return value

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        try:
            self[key]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._proxy.keys()))

    def __len__(self) -> int:
        return len(self._proxy)


class Node:
    """One resource of the stack, read once."""

    __slots__ = ("__dict__", "resource", "type", "urn", "name")

    def __init__(self, resource: Any, providers: dict[str, dict[str, Any]] | None = None) -> None:
        self.resource = resource
        self.type: str = resource.resource_type
        self.urn: str = resource.urn
        self.name: str = resource.name
        self._providers = providers if providers is not None else {}

    @functools.cached_property
    def props(self) -> Mapping[str, Any]:
        return LazyProps(self.resource.props)

    @functools.cached_property
    def provider_props(self) -> dict[str, Any]:
        """The provider's properties, made plain once per provider (shared by its resources)."""
        provider = self.resource.provider
        if provider is None:
            return {}
        found = self._providers.get(provider.urn)
        if found is None:
            found = self._providers[provider.urn] = plain(provider.props)
        return found

    @functools.cached_property
    def account(self) -> Any:
        """The account the resource lands in: its provider's assumed role's account."""
        if self.resource.provider is None:
            return UNKNOWN
        return assumed_account(self.provider_props.get("assumeRoles")) or UNKNOWN

    @functools.cached_property
    def region(self) -> Any:
        own = self.props.get("region") if self.type.startswith("aws:") else None
        if isinstance(own, str) and own:
            return own
        region = self.provider_props.get("region")
        return region if isinstance(region, str) and region else UNKNOWN

    @property
    def kind(self) -> Kind | None:
        return KINDS.get(self.type)

    @property
    def label(self) -> str:
        kind = self.kind
        if kind is not None:
            return kind.label
        return LABELS.get(self.type, self.type.rsplit(":", 1)[-1])

    @functools.cached_property
    def physical_name(self) -> str | None:
        kind = self.kind
        if kind is None:
            return None
        return known(self.props.get(kind.name_prop))

    @functools.cached_property
    def arn(self) -> Any:
        """The ARN AWS will give it, built from its name, account and Region; UNKNOWN when
        one of those is unknown or AWS computes part of it (a key id, a sink id)."""
        given = self.props.get("arn")
        if known(given):
            return given
        kind = self.kind
        name = self.physical_name
        if kind is None or kind.arn is None or name is None:
            return UNKNOWN
        if kind.scope == "global":
            return kind.arn(name, "", "", self.props)
        if self.account is UNKNOWN or (kind.scope != "account" and self.region is UNKNOWN):
            return UNKNOWN
        region = self.region if isinstance(self.region, str) else ""
        return kind.arn(name, self.account, region, self.props)

    def direct_dependencies(self, custom_packages: frozenset[str]) -> frozenset[str]:
        """Direct predecessors: dependsOn, property dependencies, and the parent when it is a
        custom resource (its type's package is a provider's: components are not created)."""
        urns = {d.urn for d in self.resource.dependencies}
        for deps in self.resource.property_dependencies.values():
            urns.update(d.urn for d in deps)
        parent = self.resource.parent
        if parent is not None and parent.resource_type.split(":", 1)[0] in custom_packages:
            urns.add(parent.urn)
        return frozenset(urns)

    @functools.cached_property
    def _property_dependencies(self) -> dict[str, tuple[str, ...]]:
        return {k: tuple(d.urn for d in v) for k, v in self.resource.property_dependencies.items()}

    def property_dependencies(self, key: str) -> tuple[str, ...]:
        return self._property_dependencies.get(key, ())

    def describe(self) -> str:
        """``SNS topic obsgov-prod-critical (event-routing-prod-critical)``."""
        physical = self.physical_name
        if physical and physical != self.name:
            return f"{self.label} {physical} ({self.name})"
        return f"{self.label} {self.name}"

    @property
    def where(self) -> str:
        return f"account {_text(self.account)} {_text(self.region)}"


def _text(value: Any) -> str:
    return "(unknown account)" if value is UNKNOWN else str(value)


class DeployGraph:
    def __init__(self, resources: Iterable[Any]) -> None:
        self._providers: dict[str, dict[str, Any]] = {}
        self.nodes = [Node(r, self._providers) for r in resources]
        self.by_urn = {n.urn: n for n in self.nodes}
        self.by_type: dict[str, list[Node]] = {}
        for node in self.nodes:
            self.by_type.setdefault(node.type, []).append(node)
        self._ancestors: dict[str, frozenset[str]] = {}
        self._resolved: dict[tuple[Any, ...], list[Node]] = {}
        self._referrers: dict[tuple[str, str, str], dict[str, list[Node]]] = {}
        self.memo: dict[Any, Any] = {}  # for policies' own per-graph caches
        # a resource type's package is its provider's name (aws:..., random:...)
        self.custom_packages = frozenset(
            n.type.split(":")[2] for n in self.nodes if n.type.startswith("pulumi:providers:")
        ) | {"aws"}
        self.depends_on = {n.urn: n.direct_dependencies(self.custom_packages) for n in self.nodes}

    def of_type(self, *types: str) -> list[Node]:
        out: list[Node] = []
        for t in types:
            out.extend(self.by_type.get(t, []))
        return out

    @functools.cached_property
    def by_arn(self) -> dict[str, Node]:
        index: dict[str, Node] = {}
        for node in self.nodes:
            if node.type in KINDS:
                arn = node.arn
                if isinstance(arn, str):
                    index.setdefault(arn, node)
                    index.setdefault(arn + ":*", node)  # log group ARNs as policies write them
        return index

    def ancestors(self, urn: str) -> frozenset[str]:
        """Everything ``urn`` waits for, transitively (iterative: stacks are deep)."""
        cached = self._ancestors.get(urn)
        if cached is not None:
            return cached
        order: list[str] = []
        stack = [urn]
        seen = {urn}
        while stack:
            current = stack.pop()
            order.append(current)
            for dep in self.depends_on.get(current, ()):
                if dep not in seen and dep not in self._ancestors:
                    seen.add(dep)
                    stack.append(dep)
        for current in reversed(order):
            found: set[str] = set()
            for dep in self.depends_on.get(current, ()):
                found.add(dep)
                found.update(self._ancestors.get(dep, frozenset()))
            self._ancestors[current] = frozenset(found)
        return self._ancestors[urn]

    def waits_for(self, node: Node, other: Node) -> bool:
        return other.urn in self.ancestors(node.urn)

    @functools.cached_property
    def by_name(self) -> dict[tuple[str, str], list[Node]]:
        index: dict[tuple[str, str], list[Node]] = {}
        for node in self.nodes:
            if node.type in KINDS and node.physical_name:
                index.setdefault((node.type, node.physical_name), []).append(node)
        return index

    def resolve(self, node: Node, key: str, *types: str, value: Any = None) -> list[Node]:
        """The resources ``node``'s property ``key`` refers to: by the known ARN or name it
        holds, else through the property dependencies of ``key`` (top-level key)."""
        value = node.props.get(key) if value is None else value
        text = known(value)
        cache_key = (node.urn, key, types, text)
        cached = self._resolved.get(cache_key)
        if cached is not None:
            return cached
        found: list[Node] = []
        if text:
            target = self.by_arn.get(text)
            if target is not None and (not types or target.type in types):
                found = [target]
            else:
                for type_ in types:
                    for candidate in self.by_name.get((type_, text), ()):
                        if self.same_place(node, candidate):
                            found.append(candidate)
        if not found:
            for urn in node.property_dependencies(key):
                target = self.by_urn.get(urn)
                if target is not None and (not types or target.type in types):
                    found.append(target)
        self._resolved[cache_key] = found
        return found

    def referrers(self, type_: str, key: str, parent_type: str) -> dict[str, list[Node]]:
        """Resources of ``type_`` by the URN of the ``parent_type`` resource their property
        ``key`` refers to (policies and settings attached to a resource)."""
        cache_key = (type_, key, parent_type)
        index = self._referrers.get(cache_key)
        if index is None:
            index = {}
            for node in self.by_type.get(type_, []):
                for parent in self.resolve(node, key, parent_type):
                    index.setdefault(parent.urn, []).append(node)
            self._referrers[cache_key] = index
        return index

    def attached(self, parent: Node, type_: str, key: str) -> list[Node]:
        return self.referrers(type_, key, parent.type).get(parent.urn, [])

    @staticmethod
    def same_place(a: Node, b: Node) -> bool:
        return a.account == b.account and a.region == b.region

    def named(self, type_: str, name: Any, account: Any, region: Any) -> list[Node]:
        if not isinstance(name, str):
            return []
        return [
            n
            for n in self.by_name.get((type_, name), [])
            if n.account == account and n.region == region
        ]


_LAST: list[tuple[list[Any], DeployGraph]] = []


def graph_of(resources: Sequence[Any]) -> DeployGraph:
    """The graph of one stack policy call, shared with the pack's other stack policies when
    they received the very same property objects (the pack shares the SDK's conversion of one
    AnalyzeStack request, :mod:`obsgov_policies.shared_conversion`); otherwise built afresh.
    The cache keeps the property objects alive, so their identities cannot be reused."""
    props = [r.props for r in resources]
    for cached_props, graph in _LAST:
        if len(cached_props) == len(props) and all(
            a is b for a, b in zip(cached_props, props, strict=True)
        ):
            return graph
    graph = DeployGraph(resources)
    _LAST[:] = [(props, graph)]
    return graph
