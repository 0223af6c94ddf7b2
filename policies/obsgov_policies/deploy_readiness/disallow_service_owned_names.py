"""The stack does not create log groups that AWS services create themselves for resources it
does not own.

Lambda creates ``/aws/lambda/<function>`` on a function's first invocation, SageMaker creates
``/aws/sagemaker/Endpoints/<endpoint>`` when an endpoint starts, and both write their logs
there (:data:`SERVICE_LOG_GROUPS`, each row citing AWS's documentation). For a workload that
already runs (one this stack does not create), the group exists and ``CreateLogGroup`` fails
with ``ResourceAlreadyExistsException``; the stack has to import it instead. For a workload the
stack creates, the creation-order policy makes the workload wait for its log group.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog import policy
from ..deploy_graph import graph_of, known

DOCS = "https://docs.aws.amazon.com"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


@dataclass(frozen=True)
class ServiceLogGroup:
    prefix: str
    service: str
    owner_type: str  # the resource whose name follows the prefix
    owner_prop: str
    doc: str


SERVICE_LOG_GROUPS = (
    ServiceLogGroup(
        "/aws/lambda/",
        "Lambda",
        "aws:lambda/function:Function",
        "name",
        f"{DOCS}/lambda/latest/dg/monitoring-cloudwatchlogs.html",
    ),
    ServiceLogGroup(
        "/aws/sagemaker/Endpoints/",
        "SageMaker",
        "aws:sagemaker/endpoint:Endpoint",
        "name",
        f"{DOCS}/sagemaker/latest/dg/logging-cloudwatch.html",
    ),
)


@policy(
    id="obsgov-deploy-loggroup-disallow-service-owned-names",
    description="Log groups named as AWS services name their own (/aws/lambda/<fn>, "
    "/aws/sagemaker/Endpoints/<ep>) are created only together with that workload.",
    severity="high",
    service="deploy",
    kind="stack",
    remediation="Import the existing log group into the stack, or create it in the stack that "
    "creates the workload, before the workload.",
)
def require_no_service_owned_names(args, report_violation):
    graph = graph_of(args.resources)
    for group in graph.of_type(LOG_GROUP):
        name = group.physical_name
        if not name:
            continue
        for rule in SERVICE_LOG_GROUPS:
            if not name.startswith(rule.prefix):
                continue
            owner = name[len(rule.prefix) :]
            created = any(
                known(n.props.get(rule.owner_prop)) == owner and graph.same_place(n, group)
                for n in graph.of_type(rule.owner_type)
            )
            if created:
                continue
            report_violation(
                f"{group.describe()} in {group.where} is the log group {rule.service} creates "
                f"itself for {owner}, which this stack does not create: once {owner} has run, "
                "the group exists and CreateLogGroup fails with "
                "ResourceAlreadyExistsException. Fix: import it (`pulumi import "
                f"aws:cloudwatch/logGroup:LogGroup {group.name} {name}`, or the import "
                f"resource option on {group.name}) or let the stack that creates {owner} "
                f"own it. AWS: {rule.doc}",
                group.urn,
            )
