"""The physical names and the per-account singletons a stack claims, and the inventory that
lets a stack policy compare them with the organisation's other stacks.

A stack policy sees one stack. The organisation's other stacks reach it through its config:
``otherStacks`` is a list of ``{"stack": NAME, "claims": [[type, account, region, scope, name,
logical name], ...]}``, the claims :func:`claims` computes for each other stack. obsgov writes
it (``obsgov policy inventory`` synthesizes every ``stacks/Pulumi.<env>.yaml`` and records the
claims in ``stacks/physical-names.json``; the gate and ``obsgov policy config`` hand each
environment the other environments' claims).

A claim is ``(type, account, region, scope, name)``: two claims that are equal are the same AWS
object. The scope is where AWS makes the name unique: per account and Region, per account (IAM,
dashboards), across every account (S3 buckets) or inside a parent (rules on a bus, filters on a
log group, tables in a database). A singleton claim has the name ``*``: AWS allows one (or a
few, :data:`SINGLETONS`) per scope whatever it is called.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .deploy_graph import KINDS, DeployGraph, Kind, Node, known
from .iam_evaluation import UNKNOWN
from .props import as_list, as_str

DOCS = "https://docs.aws.amazon.com"


@dataclass(frozen=True)
class Claim:
    type: str
    account: str
    region: str
    scope: str
    name: str
    logical: str  # the Pulumi name, for messages
    stack: str = ""  # "" for the stack being judged

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.type, self.account, self.region, self.scope, self.name)

    def to_row(self) -> list[str]:
        return [self.type, self.account, self.region, self.scope, self.name, self.logical]

    @classmethod
    def from_row(cls, row: Any, stack: str) -> Claim | None:
        values = as_list(row)
        if len(values) != 6 or not all(isinstance(v, str) for v in values):
            return None
        type_, account, region, scope, name, logical = values
        return cls(type_, account, region, scope, name, logical, stack=stack)


@dataclass(frozen=True)
class Singleton:
    """At most ``limit`` of ``type`` per scope (account and Region, or a parent)."""

    type: str
    label: str
    limit: int
    scope_prop: str  # "" for the account and Region; else the property naming the parent
    doc: str
    tell_apart: str  # how environments sharing the scope tell their data apart
    # what happens past the limit
    consequence: str = "the create call past the limit fails (LimitExceededException)"


SINGLETONS: dict[str, Singleton] = {
    s.type: s
    for s in (
        Singleton(
            "aws:oam/sink:Sink",
            "CloudWatch OAM sink",
            1,
            "",
            f"{DOCS}/OAM/latest/APIReference/API_CreateSink.html",
            "one sink whose policy admits every environment's accounts; the environments are "
            "told apart by their accounts (each link's label) and by the env- prefix of "
            "their alarms and dashboards",
            "CreateSink fails in the second stack: one sink per account and Region",
        ),
        Singleton(
            "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
            "Glue Data Catalog encryption settings",
            1,
            "",
            f"{DOCS}/glue/latest/webapi/API_PutDataCatalogEncryptionSettings.html",
            "one setting for the account's catalog; environments keep their own databases",
            "each stack overwrites the others' setting, and destroying one stack resets the "
            "catalog's encryption for all",
        ),
        Singleton(
            "aws:glue/resourcePolicy:ResourcePolicy",
            "Glue Data Catalog resource policy",
            1,
            "",
            f"{DOCS}/glue/latest/webapi/API_PutResourcePolicy.html",
            "one policy whose statements cover every environment's databases",
            "each stack overwrites the others' policy",
        ),
        Singleton(
            "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
            "CloudWatch Logs resource policy",
            10,
            "",
            f"{DOCS}/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html",
            "fewer, shared policies whose statements name each environment's log groups",
        ),
        Singleton(
            "aws:cloudtrail/trail:Trail",
            "CloudTrail trail",
            5,
            "",
            f"{DOCS}/awscloudtrail/latest/userguide/WhatIsCloudTrail-Limits.html",
            "one organization trail; environments are told apart by account in its logs",
        ),
        Singleton(
            "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
            "subscription filter",
            2,
            "logGroup",
            f"{DOCS}/AmazonCloudWatchLogs/latest/APIReference/API_PutSubscriptionFilter.html",
            "one forwarding filter per log group",
        ),
        Singleton(
            "aws:cloudwatch/logMetricFilter:LogMetricFilter",
            "metric filter",
            100,
            "logGroupName",
            f"{DOCS}/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html",
            "fewer filters per log group",
        ),
        Singleton(
            "aws:cloudwatch/eventTarget:EventTarget",
            "EventBridge target",
            5,
            "rule",
            f"{DOCS}/eventbridge/latest/APIReference/API_PutTargets.html",
            "a second rule with the same pattern",
        ),
        Singleton(
            "aws:oam/link:Link",
            "CloudWatch OAM link",
            5,
            "",
            f"{DOCS}/AmazonCloudWatch/latest/monitoring/CloudWatch-Unified-Cross-Account.html",
            "one link per monitoring account",
        ),
        Singleton(
            "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
            "S3 account public access block",
            1,
            "",
            f"{DOCS}/AmazonS3/latest/API/API_control_PutPublicAccessBlock.html",
            "one setting for the account",
            "each stack overwrites the others' setting",
        ),
        Singleton(
            "aws:xray/encryptionConfig:EncryptionConfig",
            "X-Ray encryption config",
            1,
            "",
            f"{DOCS}/xray/latest/api/API_PutEncryptionConfig.html",
            "one setting for the account and Region",
            "each stack overwrites the others' setting",
        ),
    )
}

# Resources that set the whole of another resource's policy or configuration: two of them for
# one parent overwrite each other (the last `pulumi up` wins, and destroying either removes it).
ATTACHMENTS: dict[str, tuple[str, str]] = {
    "aws:sns/topicPolicy:TopicPolicy": ("arn", "aws:sns/topic:Topic"),
    "aws:sqs/queuePolicy:QueuePolicy": ("queueUrl", "aws:sqs/queue:Queue"),
    "aws:s3/bucketPolicy:BucketPolicy": ("bucket", "aws:s3/bucket:Bucket"),
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": (
        "eventBusName",
        "aws:cloudwatch/eventBus:EventBus",
    ),
    "aws:oam/sinkPolicy:SinkPolicy": ("sinkIdentifier", "aws:oam/sink:Sink"),
    "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy": (
        "destinationName",
        "aws:cloudwatch/logDestination:LogDestination",
    ),
    "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": (
        "modelPackageGroupName",
        "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
    ),
    "aws:opensearch/domainPolicy:DomainPolicy": ("domainName", "aws:opensearch/domain:Domain"),
}


def _where(node: Node) -> tuple[str, str] | None:
    if node.account is UNKNOWN:
        return None
    region = node.region if isinstance(node.region, str) else ""
    return str(node.account), region


def claims(graph: DeployGraph) -> Iterator[Claim]:
    for node in graph.nodes:
        where = _where(node)
        if where is None:
            continue
        account, region = where
        kind = KINDS.get(node.type)
        if kind is not None and node.physical_name:
            named = _name_claim(graph, node, kind, account, region)
            if named is None:
                continue  # the parent it is named within is unknown: nothing to place
            yield named
            # a name unique in the account or the world claims the rest there too
            account, region = named.account, named.region
        attachment = ATTACHMENTS.get(node.type)
        if attachment is not None:
            prop, parent_type = attachment
            parents = graph.resolve(node, prop, parent_type)
            name = parents[0].physical_name if parents else known(node.props.get(prop))
            if name:
                yield Claim(node.type, account, region, "", name, node.name)
        singleton = SINGLETONS.get(node.type)
        if singleton is not None:
            scope = _singleton_scope(graph, node, singleton)
            if scope is not None:
                yield Claim(node.type, account, region, scope, "*", node.name)


def _name_claim(
    graph: DeployGraph, node: Node, kind: Kind, account: str, region: str
) -> Claim | None:
    """The node's physical name in the scope AWS keeps it unique in (None when that scope is
    a parent whose name is unknown)."""
    physical = node.physical_name
    assert physical  # claims() places named nodes only
    scope = ""
    if kind.scope == "global":
        account, region = "", ""
    elif kind.scope == "account":
        region = ""
    elif kind.scope.startswith("parent:"):
        prop = kind.scope.split(":", 1)[1]
        parent = known(node.props.get(prop))
        if parent is None:
            if prop == "eventBusName" and node.props.get(prop) is None:
                parent = "default"
            else:
                parents = graph.resolve(node, prop)
                parent = parents[0].physical_name if parents else None
        if parent is None:
            return None
        scope = parent.rsplit("/", 1)[-1] if prop == "eventBusName" else parent
    return Claim(node.type, account, region, scope, physical, node.name)


def _singleton_scope(graph: DeployGraph, node: Node, singleton: Singleton) -> str | None:
    """What the one-per-scope resource is one of ("" for the account and Region; None when
    its scope is a resource whose name is unknown)."""
    if not singleton.scope_prop:
        return ""
    value = known(node.props.get(singleton.scope_prop))
    if value is None:
        parents = graph.resolve(node, singleton.scope_prop)
        value = parents[0].physical_name if parents else None
    if value is None:
        return None
    if singleton.scope_prop == "rule":
        value = f"{as_str(node.props.get('eventBusName')) or 'default'}/{value}"
    return value


def other_stacks(config: Any) -> list[Claim]:
    """The claims the policy's ``otherStacks`` config lists (malformed rows are skipped)."""
    out: list[Claim] = []
    for entry in as_list(config.get("otherStacks")) if hasattr(config, "get") else []:
        if not isinstance(entry, dict):
            continue
        stack = as_str(entry.get("stack")) or "another stack"
        for row in as_list(entry.get("claims")):
            claim = Claim.from_row(row, stack)
            if claim is not None:
                out.append(claim)
    return out


def inventory(graph: DeployGraph) -> list[list[str]]:
    """This stack's claims as ``otherStacks`` rows, sorted and without duplicates."""
    return [list(row) for row in sorted({tuple(c.to_row()) for c in claims(graph)})]


def where_text(claim: Claim) -> str:
    if not claim.account:
        return "every account (the name is global)"
    if not claim.region:
        return f"account {claim.account}"
    return f"account {claim.account} {claim.region}"


def group(claims_: Iterable[Claim]) -> dict[tuple[str, ...], list[Claim]]:
    grouped: dict[tuple[str, ...], list[Claim]] = {}
    for claim in claims_:
        grouped.setdefault(claim.key, []).append(claim)
    return grouped


OTHER_STACKS_SCHEMA = {
    "type": "array",
    "default": [],
    "description": "The organisation's other stacks' claims: [{stack, claims: [[type, "
    "account, region, scope, name, logical name]]}] (obsgov policy inventory).",
    "items": {
        "type": "object",
        "properties": {
            "stack": {"type": "string"},
            "claims": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
        },
    },
}
