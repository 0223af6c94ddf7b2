from tests.support.policies import UNKNOWN, R, check_stack

ID = "obsgov-cloudwatch-workload-require-alarms"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"


def alarm(name, metric, dims, namespace="AWS/SageMaker", **extra):
    return R(
        ALARM, name, {"namespace": namespace, "metricName": metric, "dimensions": dims}, **extra
    )


def endpoint_alarms(endpoint="fraud"):
    dims = {"EndpointName": endpoint, "VariantName": "AllTraffic"}
    return [
        alarm("lat", "ModelLatency", dims),
        R(
            ALARM,
            "err",
            {
                "metricQueries": [
                    {
                        "id": "e",
                        "metric": {
                            "namespace": "AWS/SageMaker",
                            "metricName": "Invocation5XXErrors",
                            "dimensions": dims,
                        },
                    }
                ]
            },
        ),
        alarm("tp", "Invocations", dims),
    ]


def test_fully_alarmed_endpoint_passes():
    assert check_stack(ID, [R(ENDPOINT, "ep", {"name": "fraud"}), *endpoint_alarms()]) == []


def test_missing_alarm_classes_are_named():
    resources = [R(ENDPOINT, "ep", {"name": "fraud"}), *endpoint_alarms()[:1]]
    assert check_stack(ID, resources) == [
        (
            "ep",
            "SageMaker endpoint ep has no errors, throughput alarm (required: latency, errors, throughput).",
        )
    ]


def test_alarms_of_another_endpoint_do_not_count():
    resources = [R(ENDPOINT, "ep", {"name": "fraud"}), *endpoint_alarms("churn")]
    assert check_stack(ID, resources) == [
        (
            "ep",
            "SageMaker endpoint ep has no latency, errors, throughput alarm "
            "(required: latency, errors, throughput).",
        )
    ]


def test_unknown_name_is_matched_through_dependencies():
    alarms = endpoint_alarms(UNKNOWN)
    for a in alarms:
        a.depends_on = ["ep"]
    assert check_stack(ID, [R(ENDPOINT, "ep", {"name": UNKNOWN}), *alarms]) == []


def test_state_machines_and_glue_jobs():
    resources = [
        R("aws:sfn/stateMachine:StateMachine", "sm", {"name": "etl", "arn": "arn:sm"}),
        alarm("d", "ExecutionTime", {"StateMachineArn": "arn:sm"}, namespace="AWS/States"),
        R("aws:glue/job:Job", "job", {"name": "nightly"}),
        alarm(
            "g", "glue.driver.aggregate.numFailedTasks", {"JobName": "nightly"}, namespace="Glue"
        ),
    ]
    assert check_stack(ID, resources) == [
        ("sm", "Step Functions state machine sm has no errors alarm (required: duration, errors)."),
        ("job", "Glue job job has no duration alarm (required: duration, errors)."),
    ]


def test_requirements_and_exemptions_come_from_config():
    lambda_fn = R("aws:lambda/function:Function", "fn", {"name": "f"})
    assert check_stack(ID, [lambda_fn]) == [
        (
            "fn",
            "Lambda function fn has no latency, errors, throughput alarm "
            "(required: latency, errors, throughput).",
        )
    ]
    assert (
        check_stack(ID, [lambda_fn], {"monitoredElsewhere": ["aws:lambda/function:Function"]}) == []
    )
    assert (
        check_stack(ID, [lambda_fn], {"requiredAlarms": {"aws:lambda/function:Function": []}}) == []
    )


def test_a_required_type_the_library_cannot_match_is_never_covered():
    queue = R("aws:sqs/queue:Queue", "q", {"name": "jobs"})
    alarm_on_it = alarm("e", "Errors", {"QueueName": "jobs"})
    assert check_stack(
        ID, [queue, alarm_on_it], {"requiredAlarms": {"aws:sqs/queue:Queue": ["errors"]}}
    ) == [("q", "aws:sqs/queue:Queue q has no errors alarm (required: errors).")]
