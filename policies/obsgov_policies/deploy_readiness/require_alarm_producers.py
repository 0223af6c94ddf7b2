"""Every alarm's metric has a producer, and an alarm whose producer may be silent pages.

An alarm fires only on data. Its metric is produced by one of:

* an AWS service that publishes it for the resource the alarm's dimensions name
  (:data:`AWS_PRODUCERS`, each row citing the service's metrics page); some publish only when
  there is activity (:attr:`AwsProducer.sparse`), so an alarm on "too little" of such a metric
  must treat missing data as breaching, itself or through an alarm on the same metric and
  dimensions that does (an anomaly band beside a "no traffic at all" alarm);
* something the stack deploys: a metric filter (namespace, metric name and dimension keys
  match), or a job whose role may ``cloudwatch:PutMetricData`` in the namespace (the
  platform's drift and model-quality jobs, the approval guard);
* a declared producer contract (config ``producerContracts``, from
  ``obsgov.metric_contract.PRODUCERS`` and the registry) that names its owner. Nothing in the
  stack proves such a producer runs, so the alarm must page when the metric goes missing:
  ``treatMissingData: breaching``, itself or through an alarm on the same metric family and
  dimensions that does (a heartbeat such as ``RunSucceeded``).

An alarm with none of these can never fire; one whose contract-only metric treats missing data
as ``ignore``, ``notBreaching`` or ``missing`` hides the silence.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .. import deploy_access as access
from ..catalog import policy
from ..deploy_graph import DeployGraph, Node, dig, graph_of, known
from ..iam_evaluation import Decision, Principal, Request, evaluate_policies
from ..props import as_dict, as_list, as_str

DOCS = "https://docs.aws.amazon.com"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
QUIET = ("ignore", "notBreaching", "missing")
LOW = (
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
    "LessThanLowerThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
)


@dataclass(frozen=True)
class AwsProducer:
    service: str
    resource: str  # what makes it publish
    doc: str
    sparse: tuple[str, ...] = ()  # metrics published only when something happens
    condition: str = ""  # a setting the resource needs for the service to publish


AWS_PRODUCERS: dict[str, AwsProducer] = {
    "AWS/SageMaker": AwsProducer(
        "SageMaker",
        "the endpoint variant named by EndpointName/VariantName",
        f"{DOCS}/sagemaker/latest/dg/monitoring-cloudwatch.html",
        sparse=(
            "Invocations",
            "InvocationsPerInstance",
            "Invocation4XXErrors",
            "Invocation5XXErrors",
            "ModelLatency",
            "OverheadLatency",
        ),
    ),
    "/aws/sagemaker/Endpoints": AwsProducer(
        "SageMaker",
        "the endpoint's instances (EndpointName/VariantName)",
        f"{DOCS}/sagemaker/latest/dg/monitoring-cloudwatch.html",
    ),
    "AWS/Lambda": AwsProducer(
        "Lambda",
        "the function named by FunctionName",
        f"{DOCS}/lambda/latest/dg/monitoring-metrics-types.html",
        sparse=("Invocations", "Errors", "Duration", "Throttles"),
    ),
    "AWS/States": AwsProducer(
        "Step Functions",
        "the state machine named by StateMachineArn",
        f"{DOCS}/step-functions/latest/dg/procedure-cw-metrics.html",
        sparse=(
            "ExecutionsStarted",
            "ExecutionsFailed",
            "ExecutionsSucceeded",
            "ExecutionsTimedOut",
            "ExecutionsAborted",
            "ExecutionTime",
        ),
    ),
    "Glue": AwsProducer(
        "Glue",
        "the job named by JobName, run with --enable-metrics",
        f"{DOCS}/glue/latest/dg/monitoring-awsglue-with-cloudwatch-metrics.html",
        sparse=(
            "glue.driver.aggregate.elapsedTime",
            "glue.driver.aggregate.numFailedTasks",
            "glue.driver.aggregate.numCompletedTasks",
        ),
        condition="--enable-metrics",
    ),
    "AWS/SQS": AwsProducer(
        "SQS",
        "the queue named by QueueName",
        f"{DOCS}/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html",
    ),
    "AWS/SNS": AwsProducer(
        "SNS",
        "the topic named by TopicName",
        f"{DOCS}/sns/latest/dg/sns-monitoring-using-cloudwatch.html",
        sparse=(
            "NumberOfMessagesPublished",
            "NumberOfNotificationsFailed",
            "NumberOfNotificationsDelivered",
        ),
    ),
    "AWS/Firehose": AwsProducer(
        "Firehose",
        "the stream named by DeliveryStreamName",
        f"{DOCS}/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html",
    ),
    "AWS/Events": AwsProducer(
        "EventBridge",
        "the rule named by RuleName",
        f"{DOCS}/eventbridge/latest/userguide/eb-monitoring.html",
        sparse=("Invocations", "FailedInvocations", "TriggeredRules"),
    ),
    "AWS/ES": AwsProducer(
        "OpenSearch Service",
        "the domain named by DomainName/ClientId",
        f"{DOCS}/opensearch-service/latest/developerguide/managedomains-cloudwatchmetrics.html",
    ),
    "AWS/Logs": AwsProducer(
        "CloudWatch Logs",
        "the log group named by LogGroupName",
        f"{DOCS}/AmazonCloudWatch/latest/logs/CloudWatch-Logs-Monitoring-CloudWatch-Metrics.html",
        sparse=("IncomingLogEvents", "IncomingBytes", "ForwardedLogEvents"),
    ),
    "AWS/Athena": AwsProducer(
        "Athena",
        "the workgroup named by WorkGroup, with publishCloudwatchMetricsEnabled",
        f"{DOCS}/athena/latest/ug/query-metrics-viewing.html",
        sparse=("TotalExecutionTime", "ProcessedBytes"),
    ),
}


@dataclass(frozen=True)
class Watched:
    namespace: str
    name: str
    dimensions: Mapping[str, Any]
    account: Any


def watched(alarm: Node) -> list[Watched]:
    props = alarm.props
    out = []
    name = known(props.get("metricName"))
    if name:
        out.append(
            Watched(
                as_str(props.get("namespace")),
                name,
                as_dict(props.get("dimensions")),
                alarm.account,
            )
        )
    for query in as_list(props.get("metricQueries")):
        metric = dig(query, "metric")
        metric_name = known(dig(metric, "metricName"))
        if metric_name:
            account = known(dig(query, "accountId")) or alarm.account
            out.append(
                Watched(
                    as_str(dig(metric, "namespace")),
                    metric_name,
                    as_dict(dig(metric, "dimensions")),
                    account,
                )
            )
    return out


@dataclass(frozen=True)
class Producers:
    filters: dict[tuple[Any, str, str], list[tuple[Node, frozenset[str]]]]
    # (account, namespace) -> the jobs whose role may publish there
    jobs: dict[tuple[Any, str], list[Node]]


JOB_ROLE_PROPS = {
    "aws:lambda/function:Function": "role",
    "aws:glue/job:Job": "roleArn",
    "aws:sfn/stateMachine:StateMachine": "roleArn",
    "aws:ecs/taskDefinition:TaskDefinition": "taskRoleArn",
    "aws:sagemaker/monitoringSchedule:MonitoringSchedule": "roleArn",
}


def producers(graph: DeployGraph, namespaces: set[str]) -> Producers:
    filters: dict[tuple[Any, str, str], list[tuple[Node, frozenset[str]]]] = {}
    for node in graph.of_type(METRIC_FILTER):
        transformation = node.props.get("metricTransformation")
        namespace = known(dig(transformation, "namespace"))
        name = known(dig(transformation, "name"))
        if namespace and name:
            keys = frozenset(as_dict(dig(transformation, "dimensions")))
            filters.setdefault((node.account, namespace, name), []).append((node, keys))
    jobs: dict[tuple[Any, str], list[Node]] = {}
    for job_type, role_prop in JOB_ROLE_PROPS.items():
        for job in graph.of_type(job_type):
            for role in graph.resolve(job, role_prop, access.IAM_ROLE):
                identity = access.role_identity(graph, role)
                principal = Principal(account=role.account, arn=role.arn)
                for namespace in namespaces:
                    request = Request(
                        principal,
                        "cloudwatch:PutMetricData",
                        "*",
                        {"cloudwatch:namespace": namespace},
                    )
                    result = evaluate_policies(identity.documents, request, False)
                    if result.decision is Decision.ALLOW:
                        jobs.setdefault((job.account, namespace), []).append(job)
    return Producers(filters, jobs)


def _contracts(config: Any) -> list[dict[str, Any]]:
    return [c for c in as_list(config.get("producerContracts")) if isinstance(c, dict)]


def contract_for(metric: Watched, contracts: list[dict[str, Any]]) -> dict[str, Any] | None:
    for contract in contracts:
        if contract.get("namespace") != metric.namespace:
            continue
        names = [n for n in as_list(contract.get("metrics")) if isinstance(n, str)]
        if names and metric.name not in names:
            continue
        wanted = as_dict(contract.get("dimensions"))
        if all(metric.dimensions.get(k) == v for k, v in wanted.items()) and as_str(
            contract.get("owner")
        ):
            return contract
    return None


def _family(metric: Watched) -> tuple[Any, str, tuple[tuple[str, Any], ...]]:
    return (metric.account, metric.namespace, tuple(sorted(metric.dimensions.items())))


def findings(graph: DeployGraph, contracts: list[dict[str, Any]]) -> Iterator[tuple[Node, str]]:
    alarms = [(alarm, watched(alarm)) for alarm in graph.of_type(METRIC_ALARM)]
    namespaces = {
        m.namespace
        for _, metrics in alarms
        for m in metrics
        if m.namespace not in AWS_PRODUCERS and not m.namespace.startswith("AWS/")
    }
    found = producers(graph, namespaces)
    # metric families (account, namespace, dimensions) with an alarm that pages on silence
    heartbeats = {
        _family(m)
        for alarm, metrics in alarms
        if alarm.props.get("treatMissingData") == "breaching"
        for m in metrics
    }
    # the same, per metric: a sparse AWS metric's silence pages through any of its alarms
    silence_pages = {
        (*_family(m), m.name)
        for alarm, metrics in alarms
        if alarm.props.get("treatMissingData") == "breaching"
        for m in metrics
    }
    for alarm, metrics in alarms:
        missing = as_str(alarm.props.get("treatMissingData")) or "missing"
        operator = as_str(alarm.props.get("comparisonOperator"))
        for metric in metrics:
            aws = AWS_PRODUCERS.get(metric.namespace)
            if aws is not None or metric.namespace.startswith("AWS/"):
                if (
                    aws
                    and metric.name in aws.sparse
                    and operator in LOW
                    and missing in QUIET
                    and (*_family(metric), metric.name) not in silence_pages
                ):
                    yield (
                        alarm,
                        (
                            f"{alarm.describe()} alarms on too little {metric.namespace} "
                            f"{metric.name}, which {aws.service} publishes only when "
                            f"{aws.resource} has activity; with treatMissingData {missing} it "
                            "never fires when the activity stops, and no alarm on that metric "
                            "pages on silence. Fix: set treat_missing_data="
                            f"'breaching' on {alarm.name}, or add an alarm on the same metric "
                            f"that does. AWS: {aws.doc}"
                        ),
                    )
                continue
            dims = frozenset(metric.dimensions)
            filters = [
                node
                for node, keys in found.filters.get(
                    (metric.account, metric.namespace, metric.name), []
                )
                if keys == dims
            ]
            if filters or found.jobs.get((metric.account, metric.namespace)):
                continue
            contract = contract_for(metric, contracts)
            dims_text = ", ".join(f"{k}={v}" for k, v in metric.dimensions.items()) or "none"
            if contract is None:
                near = [
                    node.describe()
                    for (account, namespace, name), entries in found.filters.items()
                    if account == metric.account
                    and namespace == metric.namespace
                    and name == metric.name
                    for node, _ in entries
                ]
                hint = (
                    f" ({', '.join(near)} publishes it with other dimension keys)" if near else ""
                )
                yield (
                    alarm,
                    (
                        f"{alarm.describe()} watches {metric.namespace} {metric.name} "
                        f"(dimensions {dims_text}) in account {metric.account}, and nothing "
                        f"publishes it: no AWS service, no metric filter or job in this stack, no "
                        f"producer contract with an owner{hint}, so the alarm can never fire. Fix: "
                        "deploy the job that publishes it (for Obsgov/DataQuality the drift "
                        "monitor, for Obsgov/ModelQuality the model-quality job) or declare a "
                        "producer contract naming its owner, and set treat_missing_data="
                        f"'breaching' on {alarm.name}."
                    ),
                )
                continue
            if missing in QUIET and _family(metric) not in heartbeats:
                yield (
                    alarm,
                    (
                        f"{alarm.describe()} watches {metric.namespace} {metric.name} "
                        f"(dimensions {dims_text}), which only "
                        f"{contract.get('producer') or 'a declared producer'} publishes (owner "
                        f"{contract.get('owner')}), nothing in this stack; with "
                        f"treatMissingData {missing} a producer that never runs goes unnoticed. Fix: "
                        f"set treat_missing_data='breaching' on {alarm.name}, or add a heartbeat "
                        "alarm on the same metric family and dimensions that does."
                    ),
                )


@policy(
    id="obsgov-deploy-alarm-require-producer",
    description="Every alarm's metric has a producer (an AWS service, a metric filter or job "
    "in the stack, or a declared contract with an owner) and pages when that producer may be "
    "silent.",
    severity="high",
    service="deploy",
    kind="stack",
    remediation="Deploy the job or metric filter that publishes the metric, or declare a "
    "producer contract with its owner and make the alarm treat missing data as breaching.",
    config={
        "producerContracts": {
            "type": "array",
            "default": [],
            "description": "Metrics promised by producers outside the stack: [{namespace, "
            "metrics, dimensions, owner, producer}] (from obsgov.metric_contract and the "
            "registry).",
            "items": {"type": "object"},
        }
    },
)
def require_alarm_producers(args, report_violation):
    graph = graph_of(args.resources)
    for alarm, text in findings(graph, _contracts(args.get_config())):
        report_violation(text, alarm.urn)
