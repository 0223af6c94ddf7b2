"""The stack does not create log groups that AWS services create themselves for resources it
does not own: it adopts them.

Lambda creates ``/aws/lambda/<function>`` on a function's first invocation, SageMaker creates
``/aws/sagemaker/Endpoints/<endpoint>`` when an endpoint starts, and both write their logs
there; a state machine's logging configuration names a log group that must already exist, so
a running state machine's ``/aws/vendedlogs/states/<name>`` group exists
(:data:`SERVICE_LOG_GROUPS`, each row citing AWS's documentation). For a workload that
already runs (one this stack does not create), the group exists and ``CreateLogGroup`` fails
with ``ResourceAlreadyExistsException``; the stack has to import it instead. For a workload the
stack creates, the creation-order policy makes the workload wait for its log group.

Whether a resource is imported is not in the Analyzer protocol (``AnalyzerResource`` and
``AnalyzerResourceOptions`` in proto/pulumi/analyzer.proto carry no import id), so the policy
learns the adopted groups from its config, ``adoptedLogGroups``: obsgov fills it from the
workloads whose ``logGroup`` is ``adopt`` (the same setting that makes the program declare them
with the import option), in the gate and in the file ``obsgov policy config`` writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog import policy
from ..deploy_graph import graph_of, known
from ..props import as_list

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
    ServiceLogGroup(
        "/aws/vendedlogs/states/",
        "Step Functions",
        "aws:sfn/stateMachine:StateMachine",
        "name",
        f"{DOCS}/step-functions/latest/dg/cw-logs.html",
    ),
)

ADOPTED_SCHEMA = {
    "type": "array",
    "default": [],
    "description": "Log groups the stack adopts with the import resource option (obsgov: "
    "workloads with logGroup: adopt), by account, Region and name.",
    "items": {
        "type": "object",
        "properties": {
            "account": {"type": "string"},
            "region": {"type": "string"},
            "name": {"type": "string"},
        },
        "required": ["account", "region", "name"],
    },
}


def adopted(config) -> set[tuple[str, str, str]]:
    """(account, region, name) of every log group the config says the stack imports."""
    rows = as_list(config.get("adoptedLogGroups")) if hasattr(config, "get") else []
    return {
        (row["account"], row["region"], row["name"])
        for row in rows
        if isinstance(row, dict)
        and all(isinstance(row.get(k), str) for k in ("account", "region", "name"))
    }


def _owner(rule: ServiceLogGroup, name: str) -> str:
    owner = name[len(rule.prefix) :]
    # the Step Functions console names the group it makes <state machine>-Logs
    if rule.owner_type.startswith("aws:sfn/") and owner.endswith("-Logs"):
        owner = owner[: -len("-Logs")]
    return owner


@policy(
    id="obsgov-deploy-loggroup-disallow-service-owned-names",
    description="Log groups named as AWS services name their own (/aws/lambda/<fn>, "
    "/aws/sagemaker/Endpoints/<ep>, /aws/vendedlogs/states/<sm>) are adopted (imported), "
    "or created only together with that workload.",
    severity="high",
    service="deploy",
    kind="stack",
    remediation="Adopt the existing log group (obsgov: logGroup: adopt on the workload; "
    "elsewhere the import resource option and adoptedLogGroups), or create it in the stack "
    "that creates the workload, before the workload.",
    config={"adoptedLogGroups": ADOPTED_SCHEMA},
)
def require_no_service_owned_names(args, report_violation):
    graph = graph_of(args.resources)
    imported = adopted(args.get_config())
    for group in graph.of_type(LOG_GROUP):
        name = group.physical_name
        if not name:
            continue
        if (group.account, group.region, name) in imported:
            continue
        for rule in SERVICE_LOG_GROUPS:
            if not name.startswith(rule.prefix):
                continue
            owner = _owner(rule, name)
            created = any(
                known(n.props.get(rule.owner_prop)) == owner and graph.same_place(n, group)
                for n in graph.of_type(rule.owner_type)
            )
            if created:
                continue
            report_violation(
                f"{group.describe()} in {group.where} is the log group {rule.service} "
                f"writes {owner}'s logs to, and this stack does not create {owner}: once "
                f"{owner} runs, the group exists and CreateLogGroup fails with "
                "ResourceAlreadyExistsException. Fix: adopt it: in obsgov set `logGroup: "
                f"adopt` on the workload {owner} (stacks/accounts.yaml); elsewhere give "
                f"{group.name} the import resource option (import id {name}) and list it in "
                "adoptedLogGroups; or let the stack that creates "
                f"{owner} own it. AWS: {rule.doc}",
                group.urn,
            )
