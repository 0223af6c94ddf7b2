"""What an alarm watches: its metrics, their dimensions, and the class of signal they carry.

Shared by the observability and model-governance stack policies, which match alarms to the
workloads they cover through the alarms' dimensions (:data:`WORKLOADS` says how each kind of
workload is named and which alarm classes it needs).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .aws_types import GLUE_JOB, LAMBDA_FUNCTION, METRIC_ALARM, SAGEMAKER_ENDPOINT, STATE_MACHINE
from .props import as_dict, as_str, get, is_list, known_items, known_str
from .signals import (
    DURATION,
    ENDPOINT_NAME,
    ERRORS,
    FRESHNESS,
    FUNCTION_NAME,
    GLUE_NAMESPACE,
    JOB_NAME,
    LAMBDA_NAMESPACE,
    LATENCY,
    QUALITY,
    SAGEMAKER_INSTANCES_NAMESPACE,
    SAGEMAKER_NAMESPACE,
    SATURATION,
    STATE_MACHINE_ARN,
    STATES_NAMESPACE,
    THROUGHPUT,
)

ALARM_TYPES = (METRIC_ALARM,)

# metric name -> alarm class, per namespace
ALARM_CLASSES: dict[str, dict[str, str]] = {
    SAGEMAKER_NAMESPACE: {
        "ModelLatency": LATENCY,
        "OverheadLatency": LATENCY,
        "Invocation5XXErrors": ERRORS,
        "Invocation4XXErrors": ERRORS,
        "ModelError": ERRORS,
        "Invocations": THROUGHPUT,
        "InvocationsPerInstance": THROUGHPUT,
    },
    LAMBDA_NAMESPACE: {
        "Duration": LATENCY,
        "Errors": ERRORS,
        "Throttles": ERRORS,
        "Invocations": THROUGHPUT,
        "ConcurrentExecutions": THROUGHPUT,
    },
    STATES_NAMESPACE: {
        "ExecutionTime": DURATION,
        "ExecutionsFailed": ERRORS,
        "ExecutionsTimedOut": ERRORS,
        "ExecutionsAborted": ERRORS,
        "ExecutionsStarted": THROUGHPUT,
        "ExecutionsSucceeded": THROUGHPUT,
    },
    GLUE_NAMESPACE: {
        "glue.driver.aggregate.elapsedTime": DURATION,
        "glue.driver.aggregate.numFailedTasks": ERRORS,
        "glue.driver.aggregate.numCompletedTasks": THROUGHPUT,
    },
    # An endpoint's instances; CPU and GPU sum every core, so thresholds scale with them.
    SAGEMAKER_INSTANCES_NAMESPACE: {
        m: SATURATION
        for m in (
            "CPUUtilization",
            "MemoryUtilization",
            "DiskUtilization",
            "GPUUtilization",
            "GPUMemoryUtilization",
        )
    },
    # The platform's metric contract (obsgov.metric_contract), written out: packs do not
    # import obsgov.
    "Obsgov/Pipelines": {
        "RecordsProcessed": THROUGHPUT,
        "RecordsFailed": ERRORS,
        "ProcessingTime": DURATION,
        "RunSucceeded": FRESHNESS,
        "DataAge": FRESHNESS,
        "DataStale": FRESHNESS,
        # a hung execution's age, the freshness job's stand-in for the ExecutionTime it never
        # sends: a duration, as ExecutionTime is
        "OverdueExecutions": DURATION,
    },
    "Obsgov/DataQuality": {
        m: QUALITY
        for m in (
            "PSI",
            "KSStatistic",
            "JensenShannonDistance",
            "WassersteinDistance",
            "MissingRateChange",
            "DriftedFeatureShare",
            "DatasetDrift",
            "NoData",
            "SchemaViolations",
            "OutOfRangeRate",
            "UnseenCategoryRate",
            "DuplicateRowRate",
        )
    },
    "Obsgov/ModelQuality": {
        m: QUALITY
        for m in (
            "Accuracy",
            "Precision",
            "Recall",
            "F1",
            "AUC",
            "WeightedPrecision",
            "WeightedRecall",
            "WeightedF1",
            "MAE",
            "RMSE",
            "MAPE",
            "NotEnoughLabels",
        )
    },
}


@dataclass(frozen=True)
class Workload:
    """A kind of workload the platform alarms: how alarms name it and what it needs."""

    label: str  # for messages
    dimension: str  # the alarm dimension whose value names the workload
    name_prop: str  # the workload's property holding that value
    required: tuple[str, ...]  # alarm classes required by default


WORKLOADS: dict[str, Workload] = {
    SAGEMAKER_ENDPOINT: Workload(
        "SageMaker endpoint", ENDPOINT_NAME, "name", (LATENCY, ERRORS, THROUGHPUT)
    ),
    LAMBDA_FUNCTION: Workload(
        "Lambda function", FUNCTION_NAME, "name", (LATENCY, ERRORS, THROUGHPUT)
    ),
    STATE_MACHINE: Workload(
        "Step Functions state machine", STATE_MACHINE_ARN, "arn", (DURATION, ERRORS)
    ),
    GLUE_JOB: Workload("Glue job", JOB_NAME, "name", (DURATION, ERRORS)),
}


@dataclass(frozen=True)
class WatchedMetric:
    namespace: str
    metric_name: str
    dimensions: Mapping[str, Any]

    @property
    def alarm_class(self) -> str:
        return alarm_class(self.namespace, self.metric_name)


def alarm_class(namespace: str, metric_name: str) -> str:
    """The class of signal a metric carries ("" when obsgov does not classify it)."""
    return ALARM_CLASSES.get(namespace, {}).get(metric_name, "")


def _metric(source: Any) -> WatchedMetric | None:
    try:
        name = get(source, "metricName")
        if not isinstance(name, str):
            return None
        return WatchedMetric(
            as_str(get(source, "namespace")), name, known_items(get(source, "dimensions"))
        )
    except UnknownValueError:
        return None


def watched_metrics(props: Mapping[str, Any]) -> Iterator[WatchedMetric]:
    """Metrics an alarm reads, top-level or inside metric queries (unknowns skipped)."""
    candidates = [props]
    try:
        queries = get(props, "metricQueries")
    except UnknownValueError:
        queries = None
    # by index, not by copying the list: one unknown query must not hide the others
    for i in range(len(queries) if is_list(queries) else 0):
        try:
            candidates.append(as_dict(get(queries, i, "metric")))
        except UnknownValueError:
            continue
    for source in candidates:
        metric = _metric(source)
        if metric is not None:
            yield metric


def alarm_classes_for(resource: Any, alarms: Iterable[Any], dimension: str, prop: str) -> set[str]:
    """Alarm classes that cover ``resource``: an alarm covers it when one of its metrics has
    ``dimension`` equal to the resource's ``prop``, or has ``dimension`` and depends on the
    resource (whose name is then unknown until deployment)."""
    name = known_str(resource.props, prop)
    covered: set[str] = set()
    for alarm in alarms:
        depends = any(d.urn == resource.urn for d in alarm.dependencies)
        for metric in watched_metrics(alarm.props):
            if not metric.alarm_class:
                continue
            value = metric.dimensions.get(dimension)
            if (name is not None and value == name) or (dimension in metric.dimensions and depends):
                covered.add(metric.alarm_class)
    return covered
