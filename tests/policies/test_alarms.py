"""What an alarm watches, and which workloads its metrics cover."""

from pulumi_policy.proxy import unknown_checking_proxy

from obsgov_policies.alarms import WORKLOADS, WatchedMetric, alarm_classes_for, watched_metrics
from obsgov_policies.props import UNKNOWN_VALUE
from tests.support.policies import UNKNOWN


def metrics(props):
    return list(watched_metrics(unknown_checking_proxy(props)))


def test_a_plain_alarm_watches_its_metric():
    assert metrics(
        {"namespace": "AWS/Lambda", "metricName": "Errors", "dimensions": {"FunctionName": "f"}}
    ) == [WatchedMetric("AWS/Lambda", "Errors", {"FunctionName": "f"})]


def test_metric_queries_are_watched_too():
    props = {
        "metricQueries": [
            {
                "id": "m1",
                "metric": {
                    "namespace": "AWS/SageMaker",
                    "metricName": "ModelLatency",
                    "dimensions": {"EndpointName": "e"},
                },
            },
            {"id": "e1", "expression": "m1 * 2"},
            {"id": "m2", "metric": {"namespace": "Glue", "metricName": UNKNOWN}},
        ]
    }
    assert metrics(props) == [WatchedMetric("AWS/SageMaker", "ModelLatency", {"EndpointName": "e"})]


def test_unknowns_are_skipped_not_raised():
    assert metrics({"metricName": UNKNOWN}) == []
    assert metrics({"metricQueries": UNKNOWN}) == []
    assert metrics({"metricQueries": [UNKNOWN]}) == []
    assert metrics(
        {"metricName": "Errors", "namespace": "AWS/Lambda", "dimensions": {"FunctionName": UNKNOWN}}
    ) == [WatchedMetric("AWS/Lambda", "Errors", {"FunctionName": UNKNOWN_VALUE})]


def test_alarm_classes():
    assert WatchedMetric("AWS/SageMaker", "Invocation5XXErrors", {}).alarm_class == "errors"
    assert WatchedMetric("AWS/States", "ExecutionTime", {}).alarm_class == "duration"
    assert WatchedMetric("AWS/Lambda", "ModelLatency", {}).alarm_class == ""
    assert WatchedMetric("Custom", "Errors", {}).alarm_class == ""


def test_every_workload_kind_has_a_dimension_and_required_classes():
    assert {k: (w.label, w.dimension, w.name_prop, w.required) for k, w in WORKLOADS.items()} == {
        "aws:sagemaker/endpoint:Endpoint": (
            "SageMaker endpoint",
            "EndpointName",
            "name",
            ("latency", "errors", "throughput"),
        ),
        "aws:lambda/function:Function": (
            "Lambda function",
            "FunctionName",
            "name",
            ("latency", "errors", "throughput"),
        ),
        "aws:sfn/stateMachine:StateMachine": (
            "Step Functions state machine",
            "StateMachineArn",
            "arn",
            ("duration", "errors"),
        ),
        "aws:glue/job:Job": ("Glue job", "JobName", "name", ("duration", "errors")),
    }


class Resource:
    def __init__(self, urn, props, dependencies=()):
        self.urn = urn
        self.props = unknown_checking_proxy(props)
        self.dependencies = list(dependencies)


def alarm(metric_name, dimensions, depends_on=(), namespace="AWS/Lambda"):
    return Resource(
        "urn:alarm",
        {"namespace": namespace, "metricName": metric_name, "dimensions": dimensions},
        depends_on,
    )


def test_an_alarm_covers_the_workload_its_dimension_names():
    fn = Resource("urn:fn", {"name": "f"})
    alarms = [
        alarm("Errors", {"FunctionName": "f"}),
        alarm("Duration", {"FunctionName": "g"}),
        alarm("Throttles", {"Other": "f"}),
        alarm("Unclassified", {"FunctionName": "f"}),
    ]
    assert alarm_classes_for(fn, alarms, "FunctionName", "name") == {"errors"}


def test_an_unknown_name_is_covered_through_dependencies():
    fn = Resource("urn:fn", {"name": UNKNOWN})
    depends = alarm("Errors", {"FunctionName": UNKNOWN}, depends_on=[fn])
    unrelated = alarm("Duration", {"FunctionName": UNKNOWN})
    without_dimension = alarm("Invocations", {}, depends_on=[fn])
    assert alarm_classes_for(
        fn, [depends, unrelated, without_dimension], "FunctionName", "name"
    ) == {"errors"}


def test_every_query_is_read_past_an_unknown_or_unclassified_one():
    props = {
        "metricQueries": [
            UNKNOWN,
            {
                "id": "m0",
                "metric": {
                    "namespace": "AWS/Lambda",
                    "metricName": "Iterators",
                    "dimensions": {"FunctionName": "f"},
                },
            },
            {
                "id": "m1",
                "metric": {
                    "namespace": "AWS/Lambda",
                    "metricName": "Errors",
                    "dimensions": {"FunctionName": "f"},
                },
            },
        ]
    }
    assert [m.metric_name for m in metrics(props)] == ["Iterators", "Errors"]
    fn = Resource("urn:fn", {"name": "f"})
    assert alarm_classes_for(fn, [Resource("urn:a", props)], "FunctionName", "name") == {"errors"}


def test_the_metric_contract_and_instance_metrics_are_classified():
    """The packs cannot import obsgov, so the contract's names are written out in the policy
    library; this holds the two copies together."""
    from obsgov import metric_contract as contract
    from obsgov_policies.alarms import alarm_class

    assert alarm_class("/aws/sagemaker/Endpoints", "CPUUtilization") == "saturation"
    assert {
        m.name: alarm_class(contract.PIPELINE_NAMESPACE, m.name) for m in contract.PIPELINE_METRICS
    } == {
        "RecordsProcessed": "throughput",
        "RecordsFailed": "errors",
        "ProcessingTime": "duration",
        "RunSucceeded": "freshness",
    }
    for metric in contract.FRESHNESS_METRICS:
        # the freshness job also publishes hung executions' age, a duration like ExecutionTime
        expected = "duration" if metric is contract.OVERDUE_EXECUTIONS else "freshness"
        assert alarm_class(contract.PIPELINE_NAMESPACE, metric.name) == expected, metric
    for metric in (*contract.FEATURE_METRICS, *contract.DATASET_METRICS):
        if metric.name not in ("RowsEvaluated", "MalformedRecords"):
            assert alarm_class(contract.DATA_QUALITY_NAMESPACE, metric.name) == "quality", metric
    for metric in (
        *contract.CLASSIFICATION_METRICS,
        *contract.MULTICLASS_METRICS,
        *contract.REGRESSION_METRICS,
        contract.NOT_ENOUGH_LABELS,
    ):
        assert alarm_class(contract.MODEL_QUALITY_NAMESPACE, metric.name) == "quality", metric
