from tests.support.policies import UNKNOWN, R, check_stack

ID = "obsgov-sagemaker-endpoint-require-monitoring"
ENDPOINT = R("aws:sagemaker/endpoint:Endpoint", "ep", {"name": "fraud"})
DIMS = {"EndpointName": "fraud", "VariantName": "AllTraffic"}
ALARMS = [
    R(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "lat",
        {"namespace": "AWS/SageMaker", "metricName": "ModelLatency", "dimensions": DIMS},
    ),
    R(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "err",
        {"namespace": "AWS/SageMaker", "metricName": "Invocation5XXErrors", "dimensions": DIMS},
    ),
]
JOB = R(
    "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition",
    "dq",
    {"name": "fraud-dq", "dataQualityJobInput": {"endpointInput": {"endpointName": "fraud"}}},
)
SCHEDULE = R(
    "aws:sagemaker/monitoringSchedule:MonitoringSchedule",
    "sched",
    {
        "monitoringScheduleConfig": {
            "monitoringJobDefinitionName": "fraud-dq",
            "monitoringType": "DataQuality",
        }
    },
    depends_on=["dq"],
)


def test_monitored_endpoint_passes():
    assert check_stack(ID, [ENDPOINT, JOB, SCHEDULE, *ALARMS]) == []


def test_endpoint_without_drift_monitoring():
    assert check_stack(ID, [ENDPOINT, *ALARMS]) == [
        ("ep", "SageMaker endpoint ep has no drift monitoring schedule.")
    ]


def test_job_definition_without_schedule_is_not_monitoring():
    assert check_stack(ID, [ENDPOINT, JOB, *ALARMS]) == [
        ("ep", "SageMaker endpoint ep has no drift monitoring schedule.")
    ]


def test_endpoint_without_error_alarm():
    assert check_stack(ID, [ENDPOINT, JOB, SCHEDULE, ALARMS[0]]) == [
        ("ep", "SageMaker endpoint ep has no errors alarm.")
    ]


def test_monitored_elsewhere():
    assert (
        check_stack(ID, [ENDPOINT], {"monitoredElsewhere": ["aws:sagemaker/endpoint:Endpoint"]})
        == []
    )


def test_a_schedule_naming_the_endpoint_monitors_it():
    schedule = R(
        "aws:sagemaker/monitoringSchedule:MonitoringSchedule",
        "sched",
        {
            "monitoringScheduleConfig": {
                "monitoringJobDefinition": {
                    "monitoringInputs": [{"endpointInput": {"endpointName": "fraud"}}]
                }
            }
        },
    )
    assert check_stack(ID, [ENDPOINT, schedule, *ALARMS]) == []


def test_a_schedule_depending_on_the_endpoint_monitors_it():
    schedule = R(
        "aws:sagemaker/monitoringSchedule:MonitoringSchedule", "sched", {}, depends_on=["ep"]
    )
    assert check_stack(ID, [ENDPOINT, schedule, *ALARMS]) == []


def test_monitoring_of_another_endpoint_does_not_count():
    other_job = R(
        "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition",
        "dq",
        {
            "dataQualityJobInput": {"endpointInput": {"endpointName": "churn"}},
            "other": [{"endpointName": "churn"}],
            "name": "fraud",
        },
    )
    other = R("aws:sagemaker/endpoint:Endpoint", "other", {"name": "churn"})
    unrelated = R(
        "aws:sagemaker/monitoringSchedule:MonitoringSchedule",
        "unrelated",
        {"config": [{"endpointName": "churn"}]},
        depends_on=["other"],
    )
    assert check_stack(ID, [ENDPOINT, other_job, SCHEDULE, unrelated, other, *ALARMS]) == [
        ("ep", "SageMaker endpoint ep has no drift monitoring schedule."),
        ("other", "SageMaker endpoint other has no latency, errors alarm."),
    ]


def test_an_endpoint_named_in_a_list_is_monitored():
    schedule = R(
        "aws:sagemaker/monitoringSchedule:MonitoringSchedule",
        "sched",
        {"inputs": [{"batch": []}, {"endpointName": "fraud"}]},
    )
    assert check_stack(ID, [ENDPOINT, schedule, *ALARMS]) == []


def test_drift_monitoring_can_be_switched_off_and_alarms_chosen():
    assert check_stack(ID, [ENDPOINT, *ALARMS], {"requireDriftMonitoring": False}) == []
    assert check_stack(
        ID,
        [ENDPOINT],
        {"requireDriftMonitoring": False, "requiredAlarms": ["latency", "throughput"]},
    ) == [("ep", "SageMaker endpoint ep has no latency, throughput alarm.")]


def test_an_endpoint_without_monitoring_or_alarms_gets_both_findings():
    assert check_stack(ID, [ENDPOINT]) == [
        ("ep", "SageMaker endpoint ep has no drift monitoring schedule."),
        ("ep", "SageMaker endpoint ep has no latency, errors alarm."),
    ]


def test_an_unknown_value_mentions_no_endpoint():
    job = R(
        "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition",
        "dq",
        {"dataQualityJobInput": {"endpointInput": {"endpointName": UNKNOWN}}},
    )
    assert check_stack(ID, [ENDPOINT, job, SCHEDULE, *ALARMS]) == [
        ("ep", "SageMaker endpoint ep has no drift monitoring schedule.")
    ]


def test_drift_monitoring_is_required_without_the_engines_defaults():
    assert check_stack(ID, [ENDPOINT, *ALARMS], config={}, defaults=False) == [
        ("ep", "SageMaker endpoint ep has no drift monitoring schedule.")
    ]
