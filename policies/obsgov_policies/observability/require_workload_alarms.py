"""Every workload in the stack has the alarm classes the platform requires.

An alarm covers a workload when one of its metrics has the workload's dimension (for example
``EndpointName``) equal to the workload's name, or when the alarm's inputs depend on the
workload resource (its name is unknown until deployment). A team stack whose workloads are
monitored from the platform's stack lists their types in ``monitoredElsewhere``.
"""

from ..alarms import ALARM_TYPES, WORKLOAD_DIMENSIONS, dimension_value, watched_metrics
from ..props import as_dict, as_list, known_str
from ..registry import policy

DEFAULT_REQUIRED = {
    "aws:sagemaker/endpoint:Endpoint": ["latency", "errors", "throughput"],
    "aws:lambda/function:Function": ["latency", "errors", "throughput"],
    "aws:sfn/stateMachine:StateMachine": ["duration", "errors"],
    "aws:glue/job:Job": ["duration", "errors"],
}
LABELS = {
    "aws:sagemaker/endpoint:Endpoint": "SageMaker endpoint",
    "aws:lambda/function:Function": "Lambda function",
    "aws:sfn/stateMachine:StateMachine": "Step Functions state machine",
    "aws:glue/job:Job": "Glue job",
}


def alarm_classes_for(resource, alarms, dimension: str, prop: str) -> set[str]:
    """Alarm classes that cover ``resource``."""
    name = known_str(resource.props, prop)
    covered: set[str] = set()
    for alarm in alarms:
        depends = any(d.urn == resource.urn for d in alarm.dependencies)
        for metric in watched_metrics(alarm.props):
            if not metric.alarm_class:
                continue
            value = dimension_value(metric.dimensions, dimension)
            if (name is not None and value == name) or (dimension in metric.dimensions and depends):
                covered.add(metric.alarm_class)
    return covered


def missing_alarms(resources, required: dict, skip: set) -> list[tuple[str, str]]:
    alarms = [r for r in resources if r.resource_type in ALARM_TYPES]
    findings = []
    for resource in resources:
        classes = required.get(resource.resource_type)
        if not classes or resource.resource_type in skip:
            continue
        dimension, prop = WORKLOAD_DIMENSIONS.get(resource.resource_type, ("", "name"))
        covered = alarm_classes_for(resource, alarms, dimension, prop)
        missing = [c for c in classes if c not in covered]
        if missing:
            label = LABELS.get(resource.resource_type, resource.resource_type)
            findings.append((resource.urn, f"{label} {resource.name} has no {', '.join(missing)} "
                                           f"alarm (required: {', '.join(classes)})."))
    return findings


@policy(
    id="obsgov-cloudwatch-workload-require-alarms",
    pack="observability",
    description="SageMaker endpoints, Glue jobs, Step Functions state machines and Lambda "
                "functions must have the required latency, error and throughput alarms.",
    severity="high",
    service="cloudwatch",
    kind="stack",
    remediation="Add CloudWatch alarms whose dimensions name the workload, or list its type in "
                "monitoredElsewhere when the platform's stack monitors it.",
    config={
        "requiredAlarms": {
            "type": "object",
            "description": "Resource type -> alarm classes (latency, errors, throughput, duration).",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "default": DEFAULT_REQUIRED,
        },
        "monitoredElsewhere": {
            "type": "array", "items": {"type": "string"}, "default": [],
            "description": "Resource types whose alarms live in another stack.",
        },
    },
)
def require_workload_alarms(args, report_violation):
    config = args.get_config()
    required = {k: [c for c in as_list(v) if isinstance(c, str)]
                for k, v in as_dict(config.get("requiredAlarms")).items()}
    skip = {t for t in as_list(config.get("monitoredElsewhere")) if isinstance(t, str)}
    for urn, message in missing_alarms(args.resources, required, skip):
        report_violation(message, urn)
