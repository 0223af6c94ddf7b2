"""Every data flow the stack sets up is allowed by identity, resource and key policies together.

A flow is a service or role that the graph makes send data somewhere: an EventBridge target
(rule -> topic, queue, function, bus, log group, stream), an alarm action (CloudWatch -> topic),
a Firehose stream (role -> bucket and its key, role -> OpenSearch domain), a log subscription
(sending account -> destination, CloudWatch Logs -> destination role), an OAM link (source
account -> sink), an encrypted log group (CloudWatch Logs -> key), an organization trail
(CloudTrail -> bucket and key), OpenSearch log publishing (OpenSearch -> log group) and a
QuickSight Athena data source (QuickSight's role -> the lake's buckets and keys). Each is one
request evaluated by :mod:`obsgov_policies.iam_evaluation` with the condition keys AWS sets for
it (``aws:SourceArn``, ``aws:SourceAccount``, ``aws:PrincipalOrgID``, ``kms:ViaService``,
``kms:EncryptionContext:*``, ``kms:ResourceAliases``, ``oam:ResourceTypes``).

A denied flow is a violation naming both ends and the policy to change. A flow that depends on a
value unknown until deployment is not passed: after the definite findings the policy ends with
the SDK's advisory "can't run policy ... during preview", listing those flows.

Calls ``pulumi up`` itself makes (PutSubscriptionFilter, CreateLink) are made by the deployment
role, assumed to be its account's administrator (``ObsgovDeploymentRole``); only the resource
side of those is judged.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from .. import deploy_access as access
from ..catalog import policy
from ..deploy_graph import DeployGraph, Node, dig, graph_of, known
from ..iam_evaluation import UNKNOWN, Decision, Principal, Request, evaluate
from ..props import as_list, as_str

DOCS = "https://docs.aws.amazon.com"
QUICKSIGHT_DEFAULT_ROLE = "service-role/aws-quicksight-service-role-v0"


@dataclass
class Context:
    graph: DeployGraph
    organization_id: str
    organization_accounts: frozenset[str]

    def org_of(self, account: Any) -> Any:
        if account is UNKNOWN or not self.organization_id:
            return UNKNOWN
        if account in self.organization_accounts:
            return self.organization_id
        return UNKNOWN


@dataclass
class Flow:
    source: Node  # where the flow is declared (reported on)
    target: Node  # the resource receiving it
    what: str  # "EventBridge rule X publishes to SNS topic Y"
    request: Request
    identity: Sequence[Any] | None  # None: a service, or a role whose policies are elsewhere
    resource: Sequence[Any] | None
    resource_label: str
    fix: str
    doc: str
    must_allow: bool = False
    identity_label: str = "the principal's policies"
    unseen: tuple[str, ...] = field(default_factory=tuple)


def _sns(context: dict[str, Any]) -> dict[str, Any]:
    """SNS also sets its legacy AWS:SourceOwner, the source's account, which its default topic
    policy tests (docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html)."""
    return {**context, "aws:SourceOwner": context.get("aws:SourceAccount", UNKNOWN)}


def _service(name: str, account: Any) -> Principal:
    return Principal(account=account, service=name)


def _role_principal(role: Node) -> Principal:
    return Principal(account=role.account, arn=role.arn)


def _name(node: Node) -> str:
    return node.physical_name or node.name


def _labels(nodes: Sequence[Node], fallback: str) -> str:
    return ", ".join(n.describe() for n in nodes) if nodes else fallback


# --------------------------------------------------------------------------- KMS


def key_flows(  # noqa: PLR0913 - one flow's parties and the policies that judge it
    ctx: Context,
    source: Node,
    holder: Node,
    key: Node,
    principal: Principal,
    actions: Sequence[str],
    what: str,
    context: dict[str, Any],
    identity: Sequence[Any] | None,
    doc: str,
    identity_label: str = "the principal's policies",
    unseen: tuple[str, ...] = (),
) -> Iterator[Flow]:
    aliases = access.key_aliases(ctx.graph, key)
    full_context = {**context}
    if aliases:
        full_context["kms:ResourceAliases"] = aliases
    for action in actions:
        yield Flow(
            source,
            key,
            f"{what}: {principal.label} uses {key.describe()} for {holder.describe()}",
            Request(principal, action, access.key_arn(key), full_context),
            identity,
            access.key_policy(key),
            f"the key policy of {key.describe()}",
            f"allow {principal.label} {action} in the key policy of {key.name}"
            + (
                " (or, for a role, in its IAM policy when the key policy names the account)"
                if principal.service is None
                else ""
            ),
            doc,
            must_allow=True,
            identity_label=identity_label,
            unseen=unseen,
        )


# --------------------------------------------------------------------------- EventBridge


def event_target_flows(ctx: Context) -> Iterator[Flow]:
    graph = ctx.graph
    doc = f"{DOCS}/eventbridge/latest/userguide/eb-use-resource-based.html"
    for target in graph.of_type("aws:cloudwatch/eventTarget:EventTarget"):
        rule = access.event_rule(graph, target)
        if rule is None:
            continue
        rule_arn = rule.arn
        context = {"aws:SourceArn": rule_arn, "aws:SourceAccount": rule.account}
        what = f"{rule.describe()} sends to"
        events = _service("events.amazonaws.com", rule.account)
        for topic in graph.resolve(target, "arn", access.SNS_TOPIC):
            documents, nodes = access.topic_policy(graph, topic)
            yield Flow(
                target,
                topic,
                f"{what} {topic.describe()}",
                Request(events, "sns:Publish", topic.arn, _sns(context)),
                None,
                documents,
                f"the topic policy ({_labels(nodes, topic.name)})",
                f"allow events.amazonaws.com sns:Publish on {_name(topic)} with "
                f"aws:SourceArn {rule_arn} in {nodes[0].name if nodes else topic.name}",
                doc,
            )
            for key in access.keys_named(graph, topic, "kmsMasterKeyId"):
                yield from key_flows(
                    ctx,
                    target,
                    topic,
                    key,
                    events,
                    ("kms:GenerateDataKey", "kms:Decrypt"),
                    f"{what} {topic.describe()}",
                    context,
                    None,
                    f"{DOCS}/eventbridge/latest/userguide/eb-troubleshooting.html#eb-sns-encrypted",
                )
        for queue in graph.resolve(target, "arn", access.SQS_QUEUE):
            documents, nodes = access.queue_policy(graph, queue)
            yield Flow(
                target,
                queue,
                f"{what} {queue.describe()}",
                Request(events, "sqs:SendMessage", queue.arn, context),
                None,
                documents or None,
                f"the queue policy ({_labels(nodes, queue.name)})",
                f"allow events.amazonaws.com sqs:SendMessage on {_name(queue)} with "
                f"aws:SourceArn {rule_arn}",
                doc,
            )
            for key in access.keys_named(graph, queue, "kmsMasterKeyId"):
                yield from key_flows(
                    ctx,
                    target,
                    queue,
                    key,
                    events,
                    ("kms:GenerateDataKey", "kms:Decrypt"),
                    f"{what} {queue.describe()}",
                    context,
                    None,
                    doc,
                )
        for function in graph.resolve(target, "arn", access.LAMBDA_FUNCTION):
            documents, nodes = access.function_policy(graph, function)
            yield Flow(
                target,
                function,
                f"{what} {function.describe()}",
                Request(events, "lambda:InvokeFunction", function.arn, context),
                None,
                documents or None,
                f"the function's permissions ({_labels(nodes, 'none')})",
                f"add a lambda.Permission for events.amazonaws.com on {_name(function)} "
                f"with source_arn {rule_arn}",
                doc,
            )
        for group in graph.resolve(target, "arn", access.LOG_GROUP):
            documents, nodes = access.log_group_policy(graph, group)
            group_arn = f"{group.arn}:*" if isinstance(group.arn, str) else UNKNOWN
            for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
                yield Flow(
                    target,
                    group,
                    f"{what} {group.describe()}",
                    Request(events, action, group_arn, context),
                    None,
                    documents or None,
                    f"the CloudWatch Logs resource policies of {group.where}",
                    f"allow events.amazonaws.com {action} on {_name(group)} in a "
                    "CloudWatch Logs resource policy",
                    f"{DOCS}/eventbridge/latest/userguide/eb-use-resource-based.html"
                    "#eb-cloudwatchlogs-permissions",
                )
        roles = graph.resolve(target, "roleArn", access.IAM_ROLE)
        role = roles[0] if roles else None
        for bus in graph.resolve(target, "arn", access.EVENT_BUS):
            yield from _role_flow(
                ctx,
                target,
                rule,
                role,
                bus,
                "events:PutEvents",
                bus.arn,
                access.bus_policy(graph, bus)[0] or None,
                f"the event bus policy of {bus.describe()}",
                f"{what} {bus.describe()}",
                f"{DOCS}/eventbridge/latest/userguide/eb-cross-account.html",
            )
        for stream in graph.resolve(target, "arn", access.FIREHOSE):
            for action in ("firehose:PutRecord", "firehose:PutRecordBatch"):
                yield from _role_flow(
                    ctx,
                    target,
                    rule,
                    role,
                    stream,
                    action,
                    stream.arn,
                    None,
                    "no resource policy",
                    f"{what} {stream.describe()}",
                    f"{DOCS}/eventbridge/latest/userguide/eb-use-identity-based.html",
                )


def _trust_flow(
    ctx: Context,
    source: Node,
    role: Node,
    service: str,
    context: dict[str, Any],
    what: str,
    doc: str,
) -> Flow:
    return Flow(
        source,
        role,
        f"{what}: {service} assumes {role.describe()}",
        Request(_service(service, source.account), "sts:AssumeRole", role.arn, context),
        None,
        access._statements_of(role.props.get("assumeRolePolicy")),
        f"the trust policy of {role.describe()}",
        f"let {service} assume {role.name} (trust policy) with the context "
        + ", ".join(f"{k}={v}" for k, v in context.items()),
        doc,
        must_allow=True,
    )


def _role_flow(  # noqa: PLR0913 - one flow's parties and the policies that judge it
    ctx: Context,
    source: Node,
    rule: Node,
    role: Node | None,
    target: Node,
    action: str,
    resource_arn: Any,
    resource: Sequence[Any] | None,
    resource_label: str,
    what: str,
    doc: str,
) -> Iterator[Flow]:
    graph = ctx.graph
    if role is None:
        # without a role EventBridge sends as the rule's account (same-account buses only)
        principal = Principal(account=rule.account, arn=f"arn:aws:iam::{rule.account}:root")
        yield Flow(
            source,
            target,
            what,
            Request(
                principal, action, resource_arn, {"aws:PrincipalOrgID": ctx.org_of(rule.account)}
            ),
            [],
            resource,
            resource_label,
            f"give {source.name} a role_arn allowed to {action} on {_name(target)}",
            doc,
        )
        return
    context = {
        "aws:SourceArn": rule.arn,
        "aws:SourceAccount": rule.account,
    }
    yield _trust_flow(ctx, source, role, "events.amazonaws.com", context, what, doc)
    identity = access.role_identity(graph, role)
    yield Flow(
        source,
        target,
        f"{what} as {role.describe()}",
        Request(
            _role_principal(role),
            action,
            resource_arn,
            {"aws:PrincipalOrgID": ctx.org_of(role.account), "aws:PrincipalAccount": role.account},
        ),
        identity.documents,
        resource,
        resource_label,
        f"allow {action} on {_name(target)} in {role.name}'s policy"
        + (f" and in {resource_label}" if resource is not None else ""),
        doc,
        identity_label=f"the policies of {role.describe()}",
        unseen=identity.unseen,
    )


# --------------------------------------------------------------------------- CloudWatch alarms


ALARM_TYPES = (
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm",
)


def alarm_flows(ctx: Context) -> Iterator[Flow]:
    graph = ctx.graph
    doc = f"{DOCS}/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html"
    # a topic's policy (documents, the resources that set them), read once per topic
    topic_policies: dict[str, tuple[list[Any], list[Node]]] = {}
    for alarm in graph.of_type(*ALARM_TYPES):
        actions: list[Any] = []
        for key in ("alarmActions", "okActions", "insufficientDataActions"):
            value = alarm.props.get(key)
            actions.extend(value if isinstance(value, list) else [])
        seen: set[str] = set()
        for action in actions:
            text = known(action)
            if text is not None and not text.startswith("arn:aws:sns:"):
                continue
            topics = (
                graph.resolve(alarm, "alarmActions", access.SNS_TOPIC, value=text)
                if text
                else [
                    t
                    for key in ("alarmActions", "okActions", "insufficientDataActions")
                    for t in graph.resolve(alarm, key, access.SNS_TOPIC)
                ]
            )
            for topic in topics:
                if topic.urn in seen:
                    continue
                seen.add(topic.urn)
                context = {"aws:SourceArn": alarm.arn, "aws:SourceAccount": alarm.account}
                cloudwatch = _service("cloudwatch.amazonaws.com", alarm.account)
                if topic.urn not in topic_policies:
                    topic_policies[topic.urn] = access.topic_policy(graph, topic)
                documents, nodes = topic_policies[topic.urn]
                yield Flow(
                    alarm,
                    topic,
                    f"{alarm.describe()} notifies {topic.describe()}",
                    Request(cloudwatch, "sns:Publish", topic.arn, _sns(context)),
                    None,
                    documents,
                    f"the topic policy ({_labels(nodes, topic.name)})",
                    f"allow cloudwatch.amazonaws.com sns:Publish on {_name(topic)} "
                    f"(aws:SourceAccount {alarm.account})",
                    doc,
                )
                for kms_key in access.keys_named(graph, topic, "kmsMasterKeyId"):
                    yield from key_flows(
                        ctx,
                        alarm,
                        topic,
                        kms_key,
                        cloudwatch,
                        ("kms:GenerateDataKey", "kms:Decrypt"),
                        f"{alarm.describe()} notifies {topic.describe()}",
                        context,
                        None,
                        f"{DOCS}/sns/latest/dg/sns-key-management.html"
                        "#compatibility-with-aws-services",
                    )


# --------------------------------------------------------------------------- Firehose


def _s3_object_arn(bucket: Node, prefix: Any) -> Any:
    if not isinstance(bucket.arn, str):
        return UNKNOWN
    text = as_str(prefix).split("!{", 1)[0]
    return f"{bucket.arn}/{text}object"


def s3_write_flows(
    ctx: Context,
    source: Node,
    role: Node,
    bucket: Node,
    prefix: Any,
    what: str,
    configured_key: list[Node],
    doc: str,
) -> Iterator[Flow]:
    graph = ctx.graph
    identity = access.role_identity(graph, role)
    principal = _role_principal(role)
    documents, nodes = access.bucket_policy(graph, bucket)
    object_arn = _s3_object_arn(bucket, prefix)
    for action, resource in (("s3:PutObject", object_arn), ("s3:GetBucketLocation", bucket.arn)):
        yield Flow(
            source,
            bucket,
            f"{what}: {role.describe()} writes to {bucket.describe()}",
            Request(principal, action, resource, {"aws:PrincipalAccount": role.account}),
            identity.documents,
            documents or None,
            f"the bucket policy ({_labels(nodes, 'none')})",
            f"allow {action} on {resource} in {role.name}'s policy",
            doc,
            identity_label=f"the policies of {role.describe()}",
            unseen=identity.unseen,
        )
    default_key, bucket_keys = access.bucket_encryption(graph, bucket)
    keys = configured_key or ([default_key] if default_key is not None else [])
    for key in keys:
        # With S3 Bucket Keys the encryption context is the bucket's ARN, not the object's
        # (docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html, "Changes to note").
        context_arn = bucket.arn if bucket_keys else object_arn
        context = {
            "kms:ViaService": f"s3.{bucket.region}.amazonaws.com"
            if isinstance(bucket.region, str)
            else UNKNOWN,
            "kms:EncryptionContext:aws:s3:arn": context_arn,
            "kms:CallerAccount": role.account,
        }
        yield from key_flows(
            ctx,
            source,
            bucket,
            key,
            principal,
            ("kms:GenerateDataKey", "kms:Decrypt"),
            f"{what}: {role.describe()} writes to {bucket.describe()}",
            context,
            identity.documents,
            f"{DOCS}/firehose/latest/dev/controlling-access.html#using-iam-s3",
            identity_label=f"the policies of {role.describe()}",
            unseen=identity.unseen,
        )


S3_CONFIGS = (
    ("extendedS3Configuration",),
    ("extendedS3Configuration", "s3BackupConfiguration"),
    ("opensearchConfiguration", "s3Configuration"),
    ("elasticsearchConfiguration", "s3Configuration"),
    ("splunkConfiguration", "s3Configuration"),
    ("httpEndpointConfiguration", "s3Configuration"),
    ("redshiftConfiguration", "s3Configuration"),
)


def firehose_flows(ctx: Context) -> Iterator[Flow]:
    graph = ctx.graph
    doc = f"{DOCS}/firehose/latest/dev/controlling-access.html"
    for stream in graph.of_type(access.FIREHOSE):
        for path in S3_CONFIGS:
            config = dig(stream.props, *path)
            if not isinstance(config, dict):
                continue
            roles = graph.resolve(stream, path[0], access.IAM_ROLE, value=config.get("roleArn"))
            buckets = graph.resolve(stream, path[0], access.BUCKET, value=config.get("bucketArn"))
            if not roles or not buckets:
                continue
            keys = (
                access.keys_named(graph, stream, path[0], value=config.get("kmsKeyArn"))
                if config.get("kmsKeyArn") is not None
                else []
            )
            yield from s3_write_flows(
                ctx,
                stream,
                roles[0],
                buckets[0],
                config.get("prefix"),
                f"{stream.describe()} delivers",
                keys,
                doc,
            )
        for name in ("opensearchConfiguration", "elasticsearchConfiguration"):
            config = stream.props.get(name)
            if not isinstance(config, dict):
                continue
            roles = graph.resolve(stream, name, access.IAM_ROLE, value=config.get("roleArn"))
            domains = graph.resolve(stream, name, access.DOMAIN, value=config.get("domainArn"))
            if not roles or not domains:
                continue
            role, domain = roles[0], domains[0]
            identity = access.role_identity(graph, role)
            documents, nodes = access.domain_policy(graph, domain)
            domain_arn = domain.arn
            for action, resource in (
                ("es:DescribeDomain", domain_arn),
                (
                    "es:ESHttpPost",
                    f"{domain_arn}/_bulk" if isinstance(domain_arn, str) else UNKNOWN,
                ),
            ):
                yield Flow(
                    stream,
                    domain,
                    f"{stream.describe()} indexes into {domain.describe()} as {role.describe()}",
                    Request(_role_principal(role), action, resource),
                    identity.documents,
                    documents or None,
                    f"the domain access policy ({_labels(nodes, 'none')})",
                    f"allow {action} on {resource} in {role.name}'s policy",
                    f"{doc}#using-iam-es",
                    identity_label=f"the policies of {role.describe()}",
                    unseen=identity.unseen,
                )


def firehose_network_findings(ctx: Context) -> Iterator[tuple[Node, str]]:
    """A domain inside a VPC is reachable by Firehose only through the stream's own VPC
    configuration (docs.aws.amazon.com/firehose/latest/dev/vpc.html)."""
    graph = ctx.graph
    for stream in graph.of_type(access.FIREHOSE):
        for name in ("opensearchConfiguration", "elasticsearchConfiguration"):
            config = stream.props.get(name)
            if not isinstance(config, dict):
                continue
            for domain in graph.resolve(stream, name, access.DOMAIN, value=config.get("domainArn")):
                in_vpc = isinstance(domain.props.get("vpcOptions"), dict) and bool(
                    as_list(dig(domain.props, "vpcOptions", "subnetIds"))
                )
                if in_vpc and not isinstance(config.get("vpcConfig"), dict):
                    yield (
                        stream,
                        (
                            f"{stream.describe()} indexes into {domain.describe()}, which is inside "
                            f"a VPC, but {name} has no vpcConfig: Firehose cannot reach the "
                            "domain's endpoint and every record goes to the S3 backup. Fix: give "
                            f"{stream.name} a vpc_config with the domain's subnets and a security "
                            "group the domain admits, and a role allowed to create the network "
                            f"interfaces. AWS: {DOCS}/firehose/latest/dev/vpc.html"
                        ),
                    )


# --------------------------------------------------------------------------- logs


def log_group_key_flows(ctx: Context) -> Iterator[Flow]:
    graph = ctx.graph
    doc = f"{DOCS}/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"
    for group in graph.of_type(access.LOG_GROUP):
        if group.props.get("kmsKeyId") is None:
            continue
        region = group.region
        service = (
            f"logs.{region}.amazonaws.com" if isinstance(region, str) else "logs.amazonaws.com"
        )
        for key in access.keys_named(graph, group, "kmsKeyId"):
            yield from key_flows(
                ctx,
                group,
                group,
                key,
                _service(service, group.account),
                ("kms:GenerateDataKey", "kms:Decrypt"),
                f"{group.describe()} is encrypted",
                {
                    "kms:EncryptionContext:aws:logs:arn": group.arn,
                    "aws:SourceAccount": group.account,
                },
                None,
                doc,
            )


def subscription_flows(ctx: Context) -> Iterator[Flow]:
    graph = ctx.graph
    doc = f"{DOCS}/AmazonCloudWatch/latest/logs/CreateSubscriptionFilter.html"
    for subscription in graph.of_type("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"):
        for destination in graph.resolve(subscription, "destinationArn", access.LOG_DESTINATION):
            documents, nodes = access.destination_policy(graph, destination)
            sender = Principal(
                account=subscription.account,
                arn=UNKNOWN
                if subscription.account is UNKNOWN
                else f"arn:aws:iam::{subscription.account}:role/ObsgovDeploymentRole",
            )
            context = {
                "aws:PrincipalOrgID": ctx.org_of(subscription.account),
                "aws:PrincipalAccount": subscription.account,
            }
            allow_all = [{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]
            cross = subscription.account != destination.account
            yield Flow(
                subscription,
                destination,
                f"{subscription.describe()} in {subscription.where} subscribes to "
                f"{destination.describe()}",
                Request(sender, "logs:PutSubscriptionFilter", destination.arn, context),
                allow_all,
                documents or (None if cross else []),
                f"the destination policy ({_labels(nodes, 'none')})",
                f"admit account {subscription.account} (or its organization) to "
                f"logs:PutSubscriptionFilter in the access policy of {destination.name}",
                doc,
            )
            for role in graph.resolve(destination, "roleArn", access.IAM_ROLE):
                groups = graph.resolve(subscription, "logGroup", access.LOG_GROUP)
                source_arn = (
                    f"{groups[0].arn}:*"
                    if groups and isinstance(groups[0].arn, str)
                    else (
                        f"arn:aws:logs:{subscription.region}:{subscription.account}:log-group:"
                        f"{known(subscription.props.get('logGroup')) or '*'}:*"
                        if subscription.account is not UNKNOWN
                        else UNKNOWN
                    )
                )
                yield _trust_flow(
                    ctx,
                    subscription,
                    role,
                    "logs.amazonaws.com",
                    {"aws:SourceArn": source_arn},
                    f"{subscription.describe()} delivers",
                    doc,
                )


def oam_flows(ctx: Context) -> Iterator[Flow]:
    graph = ctx.graph
    doc = f"{DOCS}/OAM/latest/APIReference/API_CreateLink.html"
    for link in graph.of_type("aws:oam/link:Link"):
        for sink in graph.resolve(link, "sinkIdentifier", access.OAM_SINK):
            documents, nodes = access.sink_policy(graph, sink)
            types = link.props.get("resourceTypes")
            context = {
                "aws:PrincipalOrgID": ctx.org_of(link.account),
                "aws:PrincipalAccount": link.account,
                "oam:ResourceTypes": types if isinstance(types, list) else UNKNOWN,
            }
            principal = Principal(
                account=link.account,
                arn=UNKNOWN
                if link.account is UNKNOWN
                else f"arn:aws:iam::{link.account}:role/ObsgovDeploymentRole",
            )
            allow_all = [{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]
            yield Flow(
                link,
                sink,
                f"{link.describe()} in {link.where} links to {sink.describe()}",
                Request(principal, "oam:CreateLink", UNKNOWN, context),
                allow_all,
                documents or None,
                f"the sink policy ({_labels(nodes, 'none')})",
                f"admit account {link.account} (or its organization) and the resource types "
                f"{', '.join(types) if isinstance(types, list) else '?'} in the sink policy of "
                f"{sink.name}",
                doc,
            )


def trail_flows(ctx: Context) -> Iterator[Flow]:
    graph = ctx.graph
    doc = f"{DOCS}/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html"
    for trail in graph.of_type("aws:cloudtrail/trail:Trail"):
        name = known(trail.props.get("s3BucketName"))
        buckets = [b for b in graph.of_type(access.BUCKET) if b.physical_name == name]
        cloudtrail = _service("cloudtrail.amazonaws.com", trail.account)
        context = {
            "aws:SourceArn": trail.arn,
            "aws:SourceAccount": trail.account,
            "s3:x-amz-acl": "bucket-owner-full-control",
        }
        prefix = known(trail.props.get("s3KeyPrefix"))
        org = ctx.organization_id
        for bucket in buckets:
            documents, nodes = access.bucket_policy(graph, bucket)
            base = f"{bucket.arn}/{prefix + '/' if prefix else ''}AWSLogs"
            paths = [f"{base}/{trail.account}/CloudTrail/x"]
            if trail.props.get("isOrganizationTrail") is True:
                paths.append(f"{base}/{org}/{trail.account}/CloudTrail/x" if org else UNKNOWN)
            requests = [("s3:GetBucketAcl", bucket.arn)] + [("s3:PutObject", p) for p in paths]
            for action, resource in requests:
                yield Flow(
                    trail,
                    bucket,
                    f"{trail.describe()} delivers to {bucket.describe()}",
                    Request(cloudtrail, action, resource, context),
                    None,
                    documents or None,
                    f"the bucket policy ({_labels(nodes, 'none')})",
                    f"allow cloudtrail.amazonaws.com {action} on {resource} with aws:SourceArn "
                    f"{trail.arn}",
                    doc,
                )
        for key in access.keys_named(graph, trail, "kmsKeyId"):
            yield from key_flows(
                ctx,
                trail,
                trail,
                key,
                cloudtrail,
                ("kms:GenerateDataKey",),
                f"{trail.describe()} encrypts its log files",
                {
                    "aws:SourceArn": trail.arn,
                    "aws:SourceAccount": trail.account,
                    "kms:EncryptionContext:aws:cloudtrail:arn": trail.arn,
                },
                None,
                f"{DOCS}/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html",
            )


def domain_log_flows(ctx: Context) -> Iterator[Flow]:
    graph = ctx.graph
    doc = f"{DOCS}/opensearch-service/latest/developerguide/createdomain-configure-slow-logs.html"
    for domain in graph.of_type(access.DOMAIN):
        options = domain.props.get("logPublishingOptions")
        groups: list[Node] = []
        for option in options if isinstance(options, list) else []:
            if dig(option, "enabled") is False:
                continue
            for group in graph.resolve(
                domain,
                "logPublishingOptions",
                access.LOG_GROUP,
                value=dig(option, "cloudwatchLogGroupArn"),
            ):
                if group not in groups:
                    groups.append(group)
        es = _service("es.amazonaws.com", domain.account)
        for group in groups:
            documents, nodes = access.log_group_policy(graph, group)
            arn = f"{group.arn}:log-stream:x" if isinstance(group.arn, str) else UNKNOWN
            yield Flow(
                domain,
                group,
                f"{domain.describe()} publishes logs to {group.describe()}",
                Request(
                    es,
                    "logs:PutLogEvents",
                    arn,
                    {"aws:SourceArn": domain.arn, "aws:SourceAccount": domain.account},
                ),
                None,
                documents or None,
                f"the CloudWatch Logs resource policies of {group.where}",
                f"allow es.amazonaws.com logs:PutLogEvents on {_name(group)} in a "
                "CloudWatch Logs resource policy",
                doc,
            )


# --------------------------------------------------------------------------- QuickSight


def _tables_read(graph: DeployGraph, source: Node) -> list[Node]:
    """Glue tables of the data source's account named by the SQL of the data sets that use it."""
    sql = []
    for data_set in graph.of_type("aws:quicksight/dataSet:DataSet"):
        for table_map in as_list(data_set.props.get("physicalTableMaps")):
            custom = dig(table_map, "customSql") or {}
            if source in graph.resolve(
                data_set,
                "physicalTableMaps",
                "aws:quicksight/dataSource:DataSource",
                value=dig(custom, "dataSourceArn"),
            ):
                sql.append(as_str(dig(custom, "sqlQuery")))
    text = "\n".join(sql).lower().replace('"', "")
    found = []
    for table in graph.of_type("aws:glue/catalogTable:CatalogTable"):
        database = known(table.props.get("databaseName"))
        name = table.physical_name
        if database and name and table.account == source.account and f"{database}.{name}" in text:
            found.append(table)
    return found


def _bucket_of_location(graph: DeployGraph, location: Any, account: Any) -> tuple[Node | None, str]:
    text = known(location)
    if not text or not text.startswith("s3://"):
        return None, ""
    name, _, prefix = text[len("s3://") :].partition("/")
    for bucket in graph.of_type(access.BUCKET):
        if bucket.physical_name == name:
            return bucket, prefix
    return None, prefix


def quicksight_flows(ctx: Context) -> Iterator[Flow]:
    graph = ctx.graph
    doc = f"{DOCS}/quicksight/latest/user/troubleshoot-athena-insufficient-permissions.html"
    for source in graph.of_type("aws:quicksight/dataSource:DataSource"):
        if as_str(source.props.get("type")).upper() != "ATHENA":
            continue
        role_value = dig(source.props, "parameters", "athena", "roleArn")
        roles = (
            graph.resolve(source, "parameters", access.IAM_ROLE, value=role_value)
            if role_value
            else []
        )
        if roles:
            role = roles[0]
            principal = _role_principal(role)
            identity = access.role_identity(graph, role)
            documents: Sequence[Any] = identity.documents
            unseen = identity.unseen
            label = f"the policies of {role.describe()}"
            role_name = role.name
        elif role_value is not None:
            continue  # a role another stack made: nothing here can judge it
        else:
            if source.account is UNKNOWN:
                continue
            arn = f"arn:aws:iam::{source.account}:role/{QUICKSIGHT_DEFAULT_ROLE}"
            principal = Principal(account=source.account, arn=arn)
            # QuickSight's own role reaches only the buckets and keys chosen in QuickSight's
            # security settings, which no stack manages: nothing here grants it anything.
            documents, unseen = [], ()
            label = f"QuickSight's service role {QUICKSIGHT_DEFAULT_ROLE} (no policy in this stack)"
            role_name = QUICKSIGHT_DEFAULT_ROLE
        reads: list[tuple[Node, str, str]] = []  # (bucket, prefix, action)
        workgroup_name = known(dig(source.props, "parameters", "athena", "workGroup"))
        for workgroup in graph.of_type("aws:athena/workgroup:Workgroup"):
            if workgroup.physical_name == workgroup_name and workgroup.account == source.account:
                bucket, prefix = _bucket_of_location(
                    graph,
                    dig(workgroup.props, "configuration", "resultConfiguration", "outputLocation"),
                    source.account,
                )
                if bucket is not None:
                    reads.append((bucket, prefix, "s3:PutObject"))
                    reads.append((bucket, prefix, "s3:GetObject"))
        for table in _tables_read(graph, source):
            bucket, prefix = _bucket_of_location(
                graph, dig(table.props, "storageDescriptor", "location"), source.account
            )
            if bucket is not None:
                reads.append((bucket, prefix, "s3:GetObject"))
        seen: set[tuple[str, str]] = set()
        for bucket, prefix, action in reads:
            if (bucket.urn, action) in seen:
                continue
            seen.add((bucket.urn, action))
            bucket_documents, nodes = access.bucket_policy(graph, bucket)
            object_arn = _s3_object_arn(bucket, prefix)
            what = f"{source.describe()} reads {bucket.describe()} through Athena as {role_name}"
            yield Flow(
                source,
                bucket,
                what,
                Request(principal, action, object_arn),
                documents,
                bucket_documents or None,
                f"the bucket policy ({_labels(nodes, 'none')})",
                f"give the data source an Athena role_arn whose policy allows {action} on "
                f"{_name(bucket)}",
                doc,
                identity_label=label,
                unseen=unseen,
            )
            key, bucket_keys = access.bucket_encryption(graph, bucket)
            if key is None:
                continue
            kms_action = "kms:GenerateDataKey" if action == "s3:PutObject" else "kms:Decrypt"
            yield from key_flows(
                ctx,
                source,
                bucket,
                key,
                principal,
                (kms_action,),
                what,
                {
                    "kms:ViaService": f"s3.{bucket.region}.amazonaws.com",
                    "kms:EncryptionContext:aws:s3:arn": bucket.arn if bucket_keys else object_arn,
                },
                documents,
                doc,
                identity_label=label,
                unseen=unseen,
            )


FLOW_SOURCES = (
    event_target_flows,
    alarm_flows,
    firehose_flows,
    log_group_key_flows,
    subscription_flows,
    oam_flows,
    trail_flows,
    domain_log_flows,
    quicksight_flows,
)


@dataclass(frozen=True)
class Verdict:
    flow: Flow
    decision: Decision
    reason: str


def judge(flow: Flow) -> Verdict:
    result = evaluate(
        flow.request,
        flow.identity,
        flow.resource,
        flow.target.account if flow.target.type != access.KMS_KEY else flow.target.account,
        resource_label=flow.resource_label,
        identity_label=flow.identity_label,
        resource_must_allow=flow.must_allow,
    )
    decision, reason = result.decision, result.reason
    if decision is Decision.IMPLICIT_DENY and flow.unseen:
        decision = Decision.UNKNOWN
        reason += "; the role also has policies this stack does not hold: " + ", ".join(flow.unseen)
    return Verdict(flow, decision, reason)


def flow_verdicts(ctx: Context) -> Iterator[Verdict]:
    for source in FLOW_SOURCES:
        for flow in source(ctx):
            yield judge(flow)


def message(verdict: Verdict) -> str:
    flow = verdict.flow
    request = flow.request
    outcome = (
        "can't be judged before deployment"
        if verdict.decision is Decision.UNKNOWN
        else f"is {verdict.decision.value}"
    )
    return (
        f"{flow.what}: {request.action} by {request.principal.label} {outcome}: "
        f"{verdict.reason}. Fix: {flow.fix}. AWS: {flow.doc}"
    )


def context_of(args) -> Context:
    config = args.get_config()
    return Context(
        graph_of(args.resources),
        as_str(config.get("organizationId")),
        frozenset(a for a in as_list(config.get("trustedAccountIds")) if isinstance(a, str)),
    )


@policy(
    id="obsgov-deploy-flow-require-allowed",
    description="Every flow the stack sets up (event targets, alarm actions, Firehose "
    "deliveries, log subscriptions, OAM links, encrypted log groups, trails, QuickSight "
    "sources) is allowed by the identity, resource and key policies together.",
    severity="high",
    service="deploy",
    kind="stack",
    remediation="Change the policy the message names so that it allows the request with the "
    "condition values AWS sends (aws:SourceArn, aws:SourceAccount, aws:PrincipalOrgID, "
    "kms:ViaService, kms:EncryptionContext), or send the data as a principal that is allowed.",
    config={
        "organizationId": {
            "type": "string",
            "default": "",
            "description": "The organization's id (o-...), the value of aws:PrincipalOrgID.",
        },
        "trustedAccountIds": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Accounts of the organization: their aws:PrincipalOrgID is known.",
        },
    },
)
def require_allowed_flows(args, report_violation):
    ctx = context_of(args)
    unknown: list[str] = []
    reported: set[tuple[str, str]] = set()
    for verdict in flow_verdicts(ctx):
        if verdict.decision is Decision.ALLOW:
            continue
        text = message(verdict)
        if verdict.decision is Decision.UNKNOWN:
            unknown.append(text)
            continue
        if (verdict.flow.source.urn, text) not in reported:
            reported.add((verdict.flow.source.urn, text))
            report_violation(text, verdict.flow.source.urn)
    for node, text in firehose_network_findings(ctx):
        report_violation(text, node.urn)
    if unknown:
        error = UnknownValueError(UNKNOWN_STRING_VALUE, [])
        error.message = f"{len(unknown)} flow(s) can't be judged until deployment: " + " | ".join(
            unknown
        )
        raise error
