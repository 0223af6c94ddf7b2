"""Every resource waits for what AWS needs to exist before it.

``pulumi up`` creates resources in parallel, ordered only by the graph's dependencies
(``dependsOn``, the outputs an input came from, a custom parent). When AWS needs one resource
before another and the graph does not say so, the second call fails or, worse, succeeds while
data is dropped until the first exists. :data:`ORDER` lists those AWS facts, each row citing
AWS's documentation; the policy checks each row against the graph's dependencies, transitively.
A prerequisite that is not in the stack is not an ordering question (the prerequisites policy
names it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .. import deploy_access as access
from ..catalog import policy
from ..deploy_graph import DeployGraph, Node, dig, graph_of, known

DOCS = "https://docs.aws.amazon.com"

SUBSCRIPTION_FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_DESTINATION = "aws:cloudwatch/logDestination:LogDestination"
LOG_DESTINATION_POLICY = "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy"
LOG_RESOURCE_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
OAM_LINK = "aws:oam/link:Link"
OAM_SINK = "aws:oam/sink:Sink"
OAM_SINK_POLICY = "aws:oam/sinkPolicy:SinkPolicy"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
IAM_ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_BUS = "aws:cloudwatch/eventBus:EventBus"
EVENT_BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
SNS_TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SQS_QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
DOMAIN = "aws:opensearch/domain:Domain"
METRIC_STREAM = "aws:cloudwatch/metricStream:MetricStream"


# --------------------------------------------------------------------------- shared finders


def roles_named(graph: DeployGraph, node: Node, *values: tuple[object, str]) -> list[Node]:
    """Roles the given (value, property) pairs of ``node`` refer to."""
    roles: list[Node] = []
    for value, key in values:
        for role in graph.resolve(node, key, IAM_ROLE, value=value):
            if role not in roles:
                roles.append(role)
    return roles


def _permissions_for(graph: DeployGraph, function: Node, principals: tuple[str, ...]) -> list[Node]:
    return [
        n
        for n in access.lambda_permissions(graph, function)
        if n.props.get("principal") in principals
    ]


# --------------------------------------------------------------------------- the table


Finder = Callable[[DeployGraph, Node], list[Node]]


@dataclass(frozen=True)
class OrderFact:
    """``dependent`` must be created after what ``find`` returns."""

    dependent: str
    needs: str  # what the prerequisite is, for messages
    find: Finder
    consequence: str  # what happens when it comes too early
    doc: str


def _subscription_destination(graph: DeployGraph, node: Node) -> list[Node]:
    return graph.resolve(node, "destinationArn", LOG_DESTINATION)


def _subscription_destination_policy(graph: DeployGraph, node: Node) -> list[Node]:
    out: list[Node] = []
    for destination in _subscription_destination(graph, node):
        out.extend(access.destination_policy(graph, destination)[1])
    return out


def _subscription_lambda_permission(graph: DeployGraph, node: Node) -> list[Node]:
    out: list[Node] = []
    for function in graph.resolve(node, "destinationArn", LAMBDA_FUNCTION):
        principals = ("logs.amazonaws.com", f"logs.{function.region}.amazonaws.com")
        out.extend(_permissions_for(graph, function, principals))
    return out


def _sink(graph: DeployGraph, node: Node) -> list[Node]:
    return graph.resolve(node, "sinkIdentifier", OAM_SINK)


def _sink_policy(graph: DeployGraph, node: Node) -> list[Node]:
    out: list[Node] = []
    for sink in _sink(graph, node):
        out.extend(access.sink_policy(graph, sink)[1])
    return out


FIREHOSE_ROLE_PATHS = (
    ("extendedS3Configuration", "roleArn"),
    ("extendedS3Configuration", "s3BackupConfiguration", "roleArn"),
    ("opensearchConfiguration", "roleArn"),
    ("opensearchConfiguration", "s3Configuration", "roleArn"),
    ("elasticsearchConfiguration", "roleArn"),
    ("elasticsearchConfiguration", "s3Configuration", "roleArn"),
    ("redshiftConfiguration", "roleArn"),
    ("httpEndpointConfiguration", "roleArn"),
    ("splunkConfiguration", "s3Configuration", "roleArn"),
    ("kinesisSourceConfiguration", "roleArn"),
)


def firehose_roles(graph: DeployGraph, node: Node) -> list[Node]:
    pairs = [(dig(node.props, *path), path[0]) for path in FIREHOSE_ROLE_PATHS]
    return roles_named(graph, node, *[(v, k) for v, k in pairs if v is not None])


def _firehose_role_policies(graph: DeployGraph, node: Node) -> list[Node]:
    out: list[Node] = []
    for role in firehose_roles(graph, node):
        out.extend(access.role_policies(graph, role))
    return out


def target_policies(graph: DeployGraph, target: Node) -> list[Node]:
    """The resource policy resources that let EventBridge deliver to ``target``'s target."""
    out: list[Node] = []
    rule = access.event_rule(graph, target)
    for topic in graph.resolve(target, "arn", SNS_TOPIC):
        out.extend(n for n in access.topic_policy(graph, topic)[1] if n is not topic)
    for queue in graph.resolve(target, "arn", SQS_QUEUE):
        out.extend(n for n in access.queue_policy(graph, queue)[1] if n is not queue)
    for function in graph.resolve(target, "arn", LAMBDA_FUNCTION):
        for permission in _permissions_for(graph, function, ("events.amazonaws.com",)):
            sources = graph.resolve(permission, "sourceArn", EVENT_RULE)
            if rule is None or not sources or rule in sources:
                out.append(permission)
    for bus in graph.resolve(target, "arn", EVENT_BUS):
        if bus.account != target.account:
            out.extend(access.bus_policy(graph, bus)[1])
    for group in graph.resolve(target, "arn", LOG_GROUP):
        out.extend(access.log_resource_policies(graph, group))
    return out


def _target(graph: DeployGraph, node: Node) -> list[Node]:
    types = (SNS_TOPIC, SQS_QUEUE, LAMBDA_FUNCTION, EVENT_BUS, LOG_GROUP, FIREHOSE)
    return graph.resolve(node, "arn", *types)


def _permission_function(graph: DeployGraph, node: Node) -> list[Node]:
    return graph.resolve(node, "function", LAMBDA_FUNCTION)


def _function_log_group(graph: DeployGraph, node: Node) -> list[Node]:
    name = known(dig(node.props, "loggingConfig", "logGroup"))
    if name is None and node.physical_name:
        name = f"/aws/lambda/{node.physical_name}"
    return graph.named(LOG_GROUP, name, node.account, node.region) if name else []


def _trail_bucket_policy(graph: DeployGraph, node: Node) -> list[Node]:
    out: list[Node] = []
    name = known(node.props.get("s3BucketName"))
    for bucket in graph.of_type(BUCKET):
        if bucket.physical_name == name:
            out.extend(
                p
                for p in graph.of_type(BUCKET_POLICY)
                if bucket in graph.resolve(p, "bucket", BUCKET)
            )
    return out


def _trail_logs_role_policy(graph: DeployGraph, node: Node) -> list[Node]:
    out: list[Node] = []
    for role in graph.resolve(node, "cloudWatchLogsRoleArn", IAM_ROLE):
        out.extend(access.role_policies(graph, role))
    return out


def _domain_log_policy(graph: DeployGraph, node: Node) -> list[Node]:
    out: list[Node] = []
    options = node.props.get("logPublishingOptions")
    for i, option in enumerate(options if isinstance(options, list) else []):
        value = dig(option, "cloudwatchLogGroupArn")
        groups = graph.resolve(node, "logPublishingOptions", LOG_GROUP, value=value)
        if not known(value) and len(groups) > 1:
            groups = groups[i : i + 1]
        for group in groups:
            for policy_node in access.log_resource_policies(graph, group):
                if policy_node not in out:
                    out.append(policy_node)
    return out


def _role_policies_of(key: str) -> Finder:
    def find(graph: DeployGraph, node: Node) -> list[Node]:
        out: list[Node] = []
        for role in graph.resolve(node, key, IAM_ROLE):
            out.extend(access.role_policies(graph, role))
        return out

    return find


def _log_group_of(key: str) -> Finder:
    def find(graph: DeployGraph, node: Node) -> list[Node]:
        return graph.resolve(node, key, LOG_GROUP)

    return find


ORDER: tuple[OrderFact, ...] = (
    OrderFact(
        SUBSCRIPTION_FILTER,
        "its log destination",
        _subscription_destination,
        "PutSubscriptionFilter fails with ResourceNotFoundException",
        f"{DOCS}/AmazonCloudWatch/latest/logs/CreateDestination.html",
    ),
    OrderFact(
        SUBSCRIPTION_FILTER,
        "its log destination's access policy",
        _subscription_destination_policy,
        "PutSubscriptionFilter is refused (AccessDeniedException) until the destination policy "
        "admits the sending account",
        f"{DOCS}/AmazonCloudWatchLogs/latest/APIReference/API_PutDestinationPolicy.html",
    ),
    OrderFact(
        SUBSCRIPTION_FILTER,
        "the Lambda permission for CloudWatch Logs",
        _subscription_lambda_permission,
        "PutSubscriptionFilter fails: CloudWatch Logs cannot invoke the function",
        f"{DOCS}/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#LambdaFunctionExample",
    ),
    OrderFact(
        SUBSCRIPTION_FILTER,
        "its log group",
        _log_group_of("logGroup"),
        "PutSubscriptionFilter fails with ResourceNotFoundException",
        f"{DOCS}/AmazonCloudWatchLogs/latest/APIReference/API_PutSubscriptionFilter.html",
    ),
    OrderFact(
        METRIC_FILTER,
        "its log group",
        _log_group_of("logGroupName"),
        "PutMetricFilter fails with ResourceNotFoundException",
        f"{DOCS}/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html",
    ),
    OrderFact(
        OAM_LINK,
        "its sink",
        _sink,
        "CreateLink fails with ResourceNotFoundException",
        f"{DOCS}/OAM/latest/APIReference/API_CreateLink.html",
    ),
    OrderFact(
        OAM_LINK,
        "its sink's policy",
        _sink_policy,
        "CreateLink is refused (AccessDeniedException) until the sink policy lets the source "
        "account link",
        f"{DOCS}/AmazonCloudWatch/latest/monitoring/CloudWatch-Unified-Cross-Account-Setup.html",
    ),
    OrderFact(
        FIREHOSE,
        "the policy of the role it delivers with",
        _firehose_role_policies,
        "CreateDeliveryStream checks that the role can reach the destination and fails "
        "(InvalidArgumentException), or delivery fails until the policy is attached",
        f"{DOCS}/firehose/latest/dev/controlling-access.html",
    ),
    OrderFact(
        EVENT_TARGET,
        "its target",
        _target,
        "events matched before the target exists are dropped (FailedInvocations)",
        f"{DOCS}/eventbridge/latest/userguide/eb-targets.html",
    ),
    OrderFact(
        EVENT_TARGET,
        "its target's resource policy",
        target_policies,
        "EventBridge delivers nothing until the target's policy admits it; events matched "
        "meanwhile are dropped (FailedInvocations)",
        f"{DOCS}/eventbridge/latest/userguide/eb-use-resource-based.html",
    ),
    OrderFact(
        LAMBDA_PERMISSION,
        "its function",
        _permission_function,
        "AddPermission fails with ResourceNotFoundException",
        f"{DOCS}/lambda/latest/api/API_AddPermission.html",
    ),
    OrderFact(
        LAMBDA_FUNCTION,
        "its log group",
        _function_log_group,
        "a first invocation makes Lambda create the log group itself (no KMS key, no "
        "retention), and CreateLogGroup then fails with ResourceAlreadyExistsException",
        f"{DOCS}/lambda/latest/dg/monitoring-cloudwatchlogs.html",
    ),
    OrderFact(
        TRAIL,
        "its bucket's policy",
        _trail_bucket_policy,
        "CreateTrail fails with InsufficientS3BucketPolicyException",
        f"{DOCS}/awscloudtrail/latest/APIReference/API_CreateTrail.html",
    ),
    OrderFact(
        TRAIL,
        "the policy of its CloudWatch Logs role",
        _trail_logs_role_policy,
        "CreateTrail fails with InvalidCloudWatchLogsRoleArnException",
        f"{DOCS}/awscloudtrail/latest/APIReference/API_CreateTrail.html",
    ),
    OrderFact(
        DOMAIN,
        "the CloudWatch Logs resource policy for its log groups",
        _domain_log_policy,
        "CreateDomain fails (ValidationException: the log group's resource access policy does "
        "not grant sufficient permissions)",
        f"{DOCS}/opensearch-service/latest/developerguide/createdomain-configure-slow-logs.html",
    ),
    OrderFact(
        LOG_DESTINATION,
        "the policy of the role CloudWatch Logs assumes",
        _role_policies_of("roleArn"),
        "PutDestination sends a test message and fails until the role may write to the target",
        f"{DOCS}/AmazonCloudWatch/latest/logs/CreateDestination.html",
    ),
    OrderFact(
        METRIC_STREAM,
        "the policy of the role it streams with",
        _role_policies_of("roleArn"),
        "the stream cannot put records until the role's policy is attached",
        f"{DOCS}/AmazonCloudWatch/latest/monitoring/CloudWatch-metric-streams-trustpolicy.html",
    ),
)


def out_of_order(graph: DeployGraph) -> Iterator[tuple[Node, Node, OrderFact]]:
    by_type: dict[str, list[OrderFact]] = {}
    for fact in ORDER:
        by_type.setdefault(fact.dependent, []).append(fact)
    for dependent_type, facts in by_type.items():
        for node in graph.of_type(dependent_type):
            for fact in facts:
                for prerequisite in fact.find(graph, node):
                    if prerequisite is not node and not graph.waits_for(node, prerequisite):
                        yield node, prerequisite, fact


def message(node: Node, prerequisite: Node, fact: OrderFact) -> str:
    return (
        f"{node.describe()} does not wait for {fact.needs}, {prerequisite.describe()}: "
        f"{fact.consequence}. Fix: make {node.name} depend on {prerequisite.name} "
        f"(depends_on, or take the input from its output). AWS: {fact.doc}"
    )


@policy(
    id="obsgov-deploy-graph-require-creation-order",
    description="Every resource depends, directly or transitively, on the resources AWS needs "
    "to exist before it (destinations and their policies, sinks and sink policies, role "
    "policies, target policies, functions, log groups).",
    severity="high",
    service="deploy",
    kind="stack",
    remediation="Add depends_on from the resource to the prerequisite the message names, or "
    "pass the prerequisite's output into the resource's input so Pulumi orders them.",
)
def require_creation_order(args, report_violation):
    graph = graph_of(args.resources)
    for node, prerequisite, fact in out_of_order(graph):
        report_violation(message(node, prerequisite, fact), node.urn)
