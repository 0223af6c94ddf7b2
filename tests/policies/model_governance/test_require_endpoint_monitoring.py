from ..harness import R, check_stack

ID = "obsgov-sagemaker-endpoint-require-monitoring"
ENDPOINT = R("aws:sagemaker/endpoint:Endpoint", "ep", {"name": "fraud"})
DIMS = {"EndpointName": "fraud", "VariantName": "AllTraffic"}
ALARMS = [
    R("aws:cloudwatch/metricAlarm:MetricAlarm", "lat", {"namespace": "AWS/SageMaker", "metricName": "ModelLatency", "dimensions": DIMS}),
    R("aws:cloudwatch/metricAlarm:MetricAlarm", "err", {"namespace": "AWS/SageMaker", "metricName": "Invocation5XXErrors", "dimensions": DIMS}),
]
JOB = R("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition", "dq",
        {"name": "fraud-dq", "dataQualityJobInput": {"endpointInput": {"endpointName": "fraud"}}})
SCHEDULE = R("aws:sagemaker/monitoringSchedule:MonitoringSchedule", "sched",
             {"monitoringScheduleConfig": {"monitoringJobDefinitionName": "fraud-dq", "monitoringType": "DataQuality"}},
             depends_on=["dq"])


def test_monitored_endpoint_passes():
    assert check_stack(ID, [ENDPOINT, JOB, SCHEDULE, *ALARMS]) == []


def test_endpoint_without_drift_monitoring():
    assert check_stack(ID, [ENDPOINT, *ALARMS]) == [("ep", "SageMaker endpoint ep has no drift monitoring schedule.")]


def test_job_definition_without_schedule_is_not_monitoring():
    assert check_stack(ID, [ENDPOINT, JOB, *ALARMS]) == [("ep", "SageMaker endpoint ep has no drift monitoring schedule.")]


def test_endpoint_without_error_alarm():
    assert check_stack(ID, [ENDPOINT, JOB, SCHEDULE, ALARMS[0]]) == [("ep", "SageMaker endpoint ep has no errors alarm.")]


def test_monitored_elsewhere():
    assert check_stack(ID, [ENDPOINT], {"monitoredElsewhere": ["aws:sagemaker/endpoint:Endpoint"]}) == []
