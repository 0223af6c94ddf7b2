"""Endpoints have drift monitoring and latency and error alarms."""

from collections.abc import Mapping, Sequence

from pulumi_policy.proxy import UnknownValueError

from ..alarms import ALARM_TYPES, alarm_classes_for
from ..aws_types import SAGEMAKER_ENDPOINT
from ..catalog import policy
from ..props import as_list, known_str

SCHEDULE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"
JOB_DEFINITIONS = ("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition",)


def _mentions(value, name: str) -> bool:
    """True when ``endpointName == name`` appears anywhere in a nested value."""
    try:
        if isinstance(value, Mapping):
            return any(
                (key == "endpointName" and value[key] == name) or _mentions(value[key], name)
                for key in value
            )
        if isinstance(value, Sequence) and not isinstance(value, str):
            return any(_mentions(v, name) for v in value)
    except UnknownValueError:
        return False
    return False


def monitored(endpoint, resources) -> bool:
    name = known_str(endpoint.props, "name")
    related = [r for r in resources if r.resource_type in (SCHEDULE, *JOB_DEFINITIONS)]
    targets = {endpoint.urn}
    for resource in related:
        if any(d.urn == endpoint.urn for d in resource.dependencies) or (
            name is not None and _mentions(resource.props, name)
        ):
            targets.add(resource.urn)
    for schedule in (r for r in related if r.resource_type == SCHEDULE):
        if schedule.urn in targets or any(d.urn in targets for d in schedule.dependencies):
            return True
    return False


@policy(
    id="obsgov-sagemaker-endpoint-require-monitoring",
    description="SageMaker endpoints must have a drift monitoring schedule and latency and "
    "error alarms.",
    severity="high",
    service="sagemaker",
    kind="stack",
    remediation="Add a model monitor data-quality schedule for the endpoint and CloudWatch "
    "alarms on ModelLatency and Invocation5XXErrors, or list the endpoint type in "
    "monitoredElsewhere.",
    config={
        "requiredAlarms": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["latency", "errors"],
        },
        "requireDriftMonitoring": {"type": "boolean", "default": True},
        "monitoredElsewhere": {"type": "array", "items": {"type": "string"}, "default": []},
    },
)
def require_endpoint_monitoring(args, report_violation):
    config = args.get_config()
    if SAGEMAKER_ENDPOINT in as_list(config.get("monitoredElsewhere")):
        return
    required = [c for c in as_list(config.get("requiredAlarms")) if isinstance(c, str)]
    alarms = [r for r in args.resources if r.resource_type in ALARM_TYPES]
    for endpoint in (r for r in args.resources if r.resource_type == SAGEMAKER_ENDPOINT):
        if config.get("requireDriftMonitoring", True) is not False and not monitored(
            endpoint, args.resources
        ):
            report_violation(
                f"SageMaker endpoint {endpoint.name} has no drift monitoring schedule.",
                endpoint.urn,
            )
        covered = alarm_classes_for(endpoint, alarms, "EndpointName", "name")
        missing = [c for c in required if c not in covered]
        if missing:
            report_violation(
                f"SageMaker endpoint {endpoint.name} has no {', '.join(missing)} alarm.",
                endpoint.urn,
            )
