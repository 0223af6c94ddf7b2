"""Who may do what to a resource of the graph: the policies attached to it, wherever the stack
declares them.

AWS keeps a resource's policy on the resource (an SNS topic's ``policy``, a KMS key's
``policy``) or in a separate resource that sets it (``TopicPolicy``, ``BucketPolicy``,
``LogResourcePolicy``, ``lambda.Permission`` statements); a role's permissions are its inline
policies plus every ``RolePolicy`` and ``RolePolicyAttachment`` naming it. These helpers find
them in a :class:`~obsgov_policies.deploy_graph.DeployGraph` and turn them into policy
documents for :mod:`obsgov_policies.iam_evaluation`, and supply the defaults AWS applies when
none is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .deploy_graph import DeployGraph, Node, dig, document, known
from .iam_evaluation import UNKNOWN, arn_matches, policy_statements

IAM_ROLE = "aws:iam/role:Role"
IAM_POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
SNS_TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SQS_QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
EVENT_BUS = "aws:cloudwatch/eventBus:EventBus"
EVENT_BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_RESOURCE_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
LOG_DESTINATION = "aws:cloudwatch/logDestination:LogDestination"
LOG_DESTINATION_POLICY = "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
KMS_KEY = "aws:kms/key:Key"
KMS_ALIAS = "aws:kms/alias:Alias"
DOMAIN = "aws:opensearch/domain:Domain"
DOMAIN_POLICY = "aws:opensearch/domainPolicy:DomainPolicy"
OAM_SINK = "aws:oam/sink:Sink"
OAM_SINK_POLICY = "aws:oam/sinkPolicy:SinkPolicy"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _statements_of(value: Any) -> list[Any]:
    doc = document(value)
    return [doc] if doc is not None else []


def own_policy(node: Node, key: str) -> list[Any]:
    """A resource's own policy property. In preview an output the program did not set is
    unknown; an unknown value that no other resource's output flows into (no property
    dependency) is such an unset output, so AWS's default applies."""
    value = node.props.get(key)
    if value is UNKNOWN and not node.property_dependencies(key):
        return []
    return _statements_of(value)


# --------------------------------------------------------------------------- identities


def role_policies(graph: DeployGraph, role: Node) -> list[Node]:
    """RolePolicy and RolePolicyAttachment resources naming ``role``."""
    return graph.attached(role, ROLE_POLICY, "role") + graph.attached(
        role, ROLE_POLICY_ATTACHMENT, "role"
    )


@dataclass(frozen=True)
class Identity:
    documents: tuple[Any, ...]
    # managed policies whose content the stack does not hold (AWS managed, other stacks')
    unseen: tuple[str, ...] = ()


def role_identity(graph: DeployGraph, role: Node) -> Identity:
    documents: list[Any] = []
    unseen: list[str] = []
    # unset in the program, these are computed outputs (unknown in preview) of a new role
    # that has none
    for inline in _items(role.props.get("inlinePolicies")):
        documents.extend(_statements_of(dig(inline, "policy")))
    for arn in _items(role.props.get("managedPolicyArns")):
        unseen.append(str(arn))
    for node in role_policies(graph, role):
        if node.type == ROLE_POLICY:
            documents.extend(_statements_of(node.props.get("policy")))
            continue
        attached = graph.resolve(node, "policyArn", IAM_POLICY)
        if attached:
            documents.extend(_statements_of(attached[0].props.get("policy")))
        else:
            unseen.append(str(known(node.props.get("policyArn")) or node.name))
    return Identity(tuple(d for d in documents if d is not UNKNOWN), tuple(unseen))


# --------------------------------------------------------------------------- resource policies


def topic_policy_nodes(graph: DeployGraph, topic: Node) -> list[Node]:
    return graph.attached(topic, TOPIC_POLICY, "arn")


def default_topic_policy(topic: Node) -> dict[str, Any]:
    """The policy SNS gives a topic created without one: the owner account's principals only
    (docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html, and the
    "default policy" CreateTopic writes)."""
    return {
        "Statement": [
            {
                "Sid": "__default_statement_ID",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["SNS:Publish", "SNS:Subscribe", "SNS:Receive", "SNS:GetTopicAttributes"],
                # the topic's own ARN; "*" stands in while it is unknown (the statement is
                # the topic's, so it names whatever ARN the topic gets)
                "Resource": topic.arn if isinstance(topic.arn, str) else "*",
                "Condition": {"StringEquals": {"AWS:SourceOwner": topic.account}},
            }
        ]
    }


def topic_policy(graph: DeployGraph, topic: Node) -> tuple[list[Any], list[Node]]:
    """(documents, the resources that set them): a TopicPolicy replaces the topic's own."""
    nodes = topic_policy_nodes(graph, topic)
    if nodes:
        return [d for n in nodes for d in _statements_of(n.props.get("policy"))], nodes
    own = own_policy(topic, "policy")
    return (own or [default_topic_policy(topic)]), [topic]


def queue_policy(graph: DeployGraph, queue: Node) -> tuple[list[Any], list[Node]]:
    nodes = graph.attached(queue, QUEUE_POLICY, "queueUrl")
    if nodes:
        return [d for n in nodes for d in _statements_of(n.props.get("policy"))], nodes
    return own_policy(queue, "policy"), [queue]


def lambda_permissions(graph: DeployGraph, function: Node) -> list[Node]:
    return graph.attached(function, LAMBDA_PERMISSION, "function")


def permission_statement(graph: DeployGraph, permission: Node, function: Node) -> dict[str, Any]:
    """A ``lambda.Permission`` as the statement AddPermission writes into the function's
    policy (docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html)."""
    principal = known(permission.props.get("principal")) or "*"
    block: Any = (
        {"Service": principal}
        if principal.endswith(".amazonaws.com")
        else ({"AWS": principal} if principal != "*" else "*")
    )
    condition: dict[str, Any] = {}
    source_arn = permission.props.get("sourceArn")
    if source_arn is not None:
        if source_arn is UNKNOWN:
            rules = graph.resolve(permission, "sourceArn")
            source_arn = rules[0].arn if rules else UNKNOWN
        condition["ArnLike"] = {"AWS:SourceArn": source_arn}
    source_account = known(permission.props.get("sourceAccount"))
    if source_account:
        condition["StringEquals"] = {"AWS:SourceAccount": source_account}
    statement: dict[str, Any] = {
        "Sid": permission.props.get("statementId") or permission.name,
        "Effect": "Allow",
        "Principal": block,
        "Action": known(permission.props.get("action")) or "lambda:InvokeFunction",
        "Resource": function.arn,
    }
    if condition:
        statement["Condition"] = condition
    return statement


def function_policy(graph: DeployGraph, function: Node) -> tuple[list[Any], list[Node]]:
    nodes = lambda_permissions(graph, function)
    statements = [permission_statement(graph, n, function) for n in nodes]
    return ([{"Statement": statements}] if statements else []), nodes


def bus_policy(graph: DeployGraph, bus: Node) -> tuple[list[Any], list[Node]]:
    nodes = graph.attached(bus, EVENT_BUS_POLICY, "eventBusName")
    return [d for n in nodes for d in _statements_of(n.props.get("policy"))], nodes


def _log_policies_by_place(graph: DeployGraph) -> dict[Any, list[tuple[Node, list[str]]]]:
    """CloudWatch Logs resource policies by account and Region, with the resources they name."""
    index = graph.memo.get("log-resource-policies")
    if index is None:
        index = {}
        for node in graph.of_type(LOG_RESOURCE_POLICY):
            resources: list[str] = []
            for statement in policy_statements(document(node.props.get("policyDocument"))):
                named = statement.get("Resource")
                resources.extend([named] if isinstance(named, str) else named or [])
            index.setdefault((node.account, node.region), []).append((node, resources))
        graph.memo["log-resource-policies"] = index
    return index


def log_resource_policies(graph: DeployGraph, group: Node) -> list[Node]:
    """CloudWatch Logs resource policies of the group's account and Region that name it."""
    arn = group.arn
    return [
        node
        for node, resources in _log_policies_by_place(graph).get((group.account, group.region), [])
        if any(arn_matches(str(r), arn) or arn_matches(str(r), f"{arn}:*") for r in resources)
    ]


def log_group_policy(graph: DeployGraph, group: Node) -> tuple[list[Any], list[Node]]:
    # a policy of the account and Region applies to every group it names
    nodes = [n for n, _ in _log_policies_by_place(graph).get((group.account, group.region), [])]
    return [d for n in nodes for d in _statements_of(n.props.get("policyDocument"))], (
        log_resource_policies(graph, group)
    )


def bucket_policy(graph: DeployGraph, bucket: Node) -> tuple[list[Any], list[Node]]:
    nodes = graph.attached(bucket, BUCKET_POLICY, "bucket")
    return [d for n in nodes for d in _statements_of(n.props.get("policy"))], nodes


def default_key_policy(key: Node) -> dict[str, Any]:
    """The key policy KMS gives a key created without one: the account administers it and
    IAM policies decide (docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html)."""
    return {
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{key.account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
    }


def key_policy(key: Node) -> list[Any]:
    own = own_policy(key, "policy")
    return own or [default_key_policy(key)]


def key_arn(key: Node) -> Any:
    """A key's ARN holds its generated id; key policies say ``"Resource": "*"`` and identity
    policies ``key/*``, so a stand-in with the key's own account and Region matches as the real
    one would."""
    if key.account is UNKNOWN or key.region is UNKNOWN:
        return UNKNOWN
    return f"arn:aws:kms:{key.region}:{key.account}:key/{key.name}"


def key_aliases(graph: DeployGraph, key: Node) -> list[str]:
    return [
        str(alias.physical_name)
        for alias in graph.attached(key, KMS_ALIAS, "targetKeyId")
        if alias.physical_name
    ]


def keys_named(graph: DeployGraph, holder: Node, key: str, value: Any = None) -> list[Node]:
    """The KMS key a property names: a key ARN/id (known or through its dependency) or an alias."""
    value = holder.props.get(key) if value is None else value
    text = known(value)
    if text and "alias/" in text:
        name = "alias/" + text.split("alias/", 1)[1]
        for alias in graph.named(KMS_ALIAS, name, holder.account, holder.region):
            return graph.resolve(alias, "targetKeyId", KMS_KEY)
        return []
    if text and text.startswith("arn:aws:kms") and text.endswith(("/alias", ":alias")):
        return []
    return graph.resolve(holder, key, KMS_KEY, value=value)


def bucket_encryption(graph: DeployGraph, bucket: Node) -> tuple[Node | None, bool]:
    """(the bucket's default CMK, whether S3 Bucket Keys are on)."""
    for config in graph.attached(bucket, BUCKET_ENCRYPTION, "bucket"):
        for rule in _items(config.props.get("rules")):
            default = dig(rule, "applyServerSideEncryptionByDefault") or {}
            if dig(default, "sseAlgorithm") not in ("aws:kms", "aws:kms:dsse"):
                continue
            keys = keys_named(graph, config, "rules", value=dig(default, "kmsMasterKeyId"))
            return (keys[0] if keys else None), dig(rule, "bucketKeyEnabled") is True
    return None, False


def domain_policy(graph: DeployGraph, domain: Node) -> tuple[list[Any], list[Node]]:
    nodes = graph.attached(domain, DOMAIN_POLICY, "domainName")
    if nodes:
        return [d for n in nodes for d in _statements_of(n.props.get("accessPolicies"))], nodes
    return own_policy(domain, "accessPolicies"), [domain]


def sink_policy(graph: DeployGraph, sink: Node) -> tuple[list[Any], list[Node]]:
    nodes = graph.attached(sink, OAM_SINK_POLICY, "sinkIdentifier")
    return [d for n in nodes for d in _statements_of(n.props.get("policy"))], nodes


def destination_policy(graph: DeployGraph, destination: Node) -> tuple[list[Any], list[Node]]:
    nodes = graph.attached(destination, LOG_DESTINATION_POLICY, "destinationName")
    return [d for n in nodes for d in _statements_of(n.props.get("accessPolicy"))], nodes


def event_rule(graph: DeployGraph, target: Node) -> Node | None:
    """The rule a target belongs to: same name on the same bus, in the same account and
    Region (rule names are unique per bus only)."""
    found = graph.resolve(target, "rule", EVENT_RULE)
    bus = known(target.props.get("eventBusName")) or "default"
    bus = bus.rsplit("/", 1)[-1]
    for rule in found:
        rule_bus = known(rule.props.get("eventBusName")) or "default"
        if rule_bus.rsplit("/", 1)[-1] == bus or len(found) == 1:
            return rule
    return None
