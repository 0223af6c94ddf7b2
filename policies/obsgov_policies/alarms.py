"""What an alarm watches: its metrics, their dimensions, and the class of signal they carry.

Shared by the observability and model-governance stack policies, which match alarms to the
workloads they cover through the alarms' dimensions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Optional

from pulumi_policy.proxy import UnknownValueError

from .props import as_dict, as_list, as_str, get, known_items

ALARM_TYPES = ("aws:cloudwatch/metricAlarm:MetricAlarm",)

# metric name -> alarm class, per namespace
ALARM_CLASSES: dict[str, dict[str, str]] = {
    "AWS/SageMaker": {
        "ModelLatency": "latency", "OverheadLatency": "latency",
        "Invocation5XXErrors": "errors", "Invocation4XXErrors": "errors", "ModelError": "errors",
        "Invocations": "throughput", "InvocationsPerInstance": "throughput",
    },
    "AWS/Lambda": {
        "Duration": "latency", "Errors": "errors", "Throttles": "errors",
        "Invocations": "throughput", "ConcurrentExecutions": "throughput",
    },
    "AWS/States": {
        "ExecutionTime": "duration", "ExecutionsFailed": "errors", "ExecutionsTimedOut": "errors",
        "ExecutionsAborted": "errors", "ExecutionsStarted": "throughput",
        "ExecutionsSucceeded": "throughput",
    },
    "Glue": {
        "glue.driver.aggregate.elapsedTime": "duration",
        "glue.driver.aggregate.numFailedTasks": "errors",
        "glue.driver.aggregate.numCompletedTasks": "throughput",
    },
}

# resource type -> (alarm dimension naming it, property holding that value)
WORKLOAD_DIMENSIONS: dict[str, tuple[str, str]] = {
    "aws:sagemaker/endpoint:Endpoint": ("EndpointName", "name"),
    "aws:lambda/function:Function": ("FunctionName", "name"),
    "aws:sfn/stateMachine:StateMachine": ("StateMachineArn", "arn"),
    "aws:glue/job:Job": ("JobName", "name"),
}


@dataclass(frozen=True)
class WatchedMetric:
    namespace: str
    metric_name: str
    dimensions: Mapping[str, Any]

    @property
    def alarm_class(self) -> str:
        return ALARM_CLASSES.get(self.namespace, {}).get(self.metric_name, "")


def _metric(source: Any) -> Optional[WatchedMetric]:
    try:
        name = get(source, "metricName")
        if not isinstance(name, str):
            return None
        return WatchedMetric(as_str(get(source, "namespace")), name,
                             known_items(get(source, "dimensions")))
    except UnknownValueError:
        return None


def watched_metrics(props: Mapping[str, Any]) -> Iterator[WatchedMetric]:
    """Metrics an alarm reads, top-level or inside metric queries (unknowns skipped)."""
    candidates = [props]
    try:
        queries = as_list(get(props, "metricQueries"))
    except UnknownValueError:
        queries = []
    for i in range(len(queries)):
        try:
            candidates.append(as_dict(get(queries, i, "metric")))
        except UnknownValueError:
            continue
    for source in candidates:
        metric = _metric(source)
        if metric is not None:
            yield metric


def dimension_value(dimensions: Mapping[str, Any], key: str) -> Any:
    return dimensions.get(key)
