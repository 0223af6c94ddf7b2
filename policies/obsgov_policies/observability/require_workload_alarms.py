"""Every workload in the stack has the alarm classes the platform requires.

An alarm covers a workload when one of its metrics has the workload's dimension (for example
``EndpointName``) equal to the workload's name, or when the alarm's inputs depend on the
workload resource (its name is unknown until deployment). A team stack whose workloads are
monitored from the platform's stack lists their types in ``monitoredElsewhere``.
"""

from ..alarms import ALARM_TYPES, WORKLOADS, alarm_classes_for
from ..catalog import policy
from ..props import as_dict, as_list

DEFAULT_REQUIRED = {kind: list(workload.required) for kind, workload in WORKLOADS.items()}


def missing_alarms(resources, required: dict, skip: set) -> list[tuple[str, str]]:
    """(urn, message) for each workload that lacks a required alarm class."""
    alarms = [r for r in resources if r.resource_type in ALARM_TYPES]
    findings = []
    for resource in resources:
        classes = required.get(resource.resource_type)
        if not classes or resource.resource_type in skip:
            continue
        workload = WORKLOADS.get(resource.resource_type)
        # a type the library cannot match alarms to is never covered: say so, do not skip it
        covered = (
            alarm_classes_for(resource, alarms, workload.dimension, workload.name_prop)
            if workload is not None
            else set()
        )
        label = workload.label if workload is not None else resource.resource_type
        missing = [c for c in classes if c not in covered]
        if missing:
            findings.append(
                (
                    resource.urn,
                    f"{label} {resource.name} has no "
                    f"{', '.join(missing)} alarm (required: "
                    f"{', '.join(classes)}).",
                )
            )
    return findings


@policy(
    id="obsgov-cloudwatch-workload-require-alarms",
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
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Resource types whose alarms live in another stack.",
        },
    },
)
def require_workload_alarms(args, report_violation):
    config = args.get_config()
    required = {
        k: [c for c in as_list(v) if isinstance(c, str)]
        for k, v in as_dict(config.get("requiredAlarms")).items()
    }
    skip = {t for t in as_list(config.get("monitoredElsewhere")) if isinstance(t, str)}
    for urn, message in missing_alarms(args.resources, required, skip):
        report_violation(message, urn)
