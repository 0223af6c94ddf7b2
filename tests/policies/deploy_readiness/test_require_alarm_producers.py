"""Alarm producers and missing-data handling. AWS: SageMaker publishes Invocations only when an
endpoint is invoked (docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html); an
alarm with no data stays in INSUFFICIENT_DATA or follows treatMissingData
(docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data)."""

from tests.policies.deploy_readiness.corpus import (
    ALARM,
    LOG_GROUP,
    MEMBER,
    PIPELINE_CONTRACT,
    contract_metric_hidden_when_silent,
    quality_alarms_without_producer,
    zero_invocations_hidden,
)
from tests.support.deploy_graphs import at
from tests.support.policies import check_stack

ID = "obsgov-deploy-alarm-require-producer"


def test_an_alarm_nothing_publishes_for_is_named_with_its_metric():
    assert check_stack(ID, quality_alarms_without_producer(False)) == [
        (
            "fraud-model-quality",
            "CloudWatch alarm fraud-model-quality watches Obsgov/ModelQuality AUC (dimensions "
            "Endpoint=fraud, ModelVersion=12) in account 400000000001, and nothing publishes "
            "it: no AWS service, no metric filter or job in this stack, no producer contract "
            "with an owner, so the alarm can never fire. Fix: deploy the job that publishes it "
            "(for Obsgov/DataQuality the drift monitor, for Obsgov/ModelQuality the "
            "model-quality job) or declare a producer contract naming its owner, and set "
            "treat_missing_data='breaching' on fraud-model-quality.",
        )
    ]
    assert check_stack(ID, quality_alarms_without_producer(True)) == []


def test_a_metric_filter_with_the_same_dimension_keys_is_a_producer():
    group = at(MEMBER, LOG_GROUP, "logs", {"name": "/app"})
    metric_filter = at(
        MEMBER,
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        "filter",
        {
            "logGroupName": "/app",
            "name": "errors",
            "metricTransformation": {"namespace": "App", "name": "Errors", "value": "1"},
        },
    )
    alarm = at(
        MEMBER,
        ALARM,
        "errors",
        {
            "name": "errors",
            "namespace": "App",
            "metricName": "Errors",
            "treatMissingData": "ignore",
        },
    )
    assert check_stack(ID, [group, metric_filter, alarm]) == []
    alarm.props["dimensions"] = {"Service": "x"}  # the filter publishes no such dimension
    [(name, message)] = check_stack(ID, [group, metric_filter, alarm])
    assert name == "errors"
    assert "(metric filter errors (filter) publishes it with other " in message


def test_a_contract_needs_an_owner_and_a_paging_alarm():
    assert check_stack(ID, contract_metric_hidden_when_silent(True), PIPELINE_CONTRACT) == []
    [(name, _)] = check_stack(ID, contract_metric_hidden_when_silent(False), PIPELINE_CONTRACT)
    assert name == "etl-records"
    ownerless = {"producerContracts": [{**PIPELINE_CONTRACT["producerContracts"][0], "owner": ""}]}
    found = check_stack(ID, contract_metric_hidden_when_silent(True), ownerless)
    assert {n for n, _ in found} == {"etl-records", "etl-fresh"}
    assert all("nothing publishes it" in m for _, m in found)


def test_a_sparse_metric_pages_on_silence_through_an_alarm_on_the_same_metric():
    """An anomaly band below which "too little" traffic alarms keeps missing data quiet (a
    band needs data to compare), and a "no traffic at all" alarm on the same endpoint's
    Invocations that treats missing data as breaching pages when SageMaker stops publishing:
    together they page once. A breaching alarm on another endpoint covers nothing."""
    [band] = zero_invocations_hidden(False)
    [same] = zero_invocations_hidden(True)
    same = at(MEMBER, ALARM, "fraud-zero", {**same.props, "name": "fraud-zero"})
    other_dims = {"EndpointName": "churn", "VariantName": "AllTraffic"}
    other = at(MEMBER, ALARM, "churn-zero", {**same.props, "dimensions": other_dims})
    assert check_stack(ID, [band, same]) == []
    [(name, message)] = check_stack(ID, [band, other])
    assert name == "fraud-no-traffic"
    assert message.endswith(
        "with treatMissingData notBreaching it never fires when the activity stops, and no "
        "alarm on that metric pages on silence. Fix: set treat_missing_data='breaching' on "
        "fraud-no-traffic, or add an alarm on the same metric that does. AWS: "
        "https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html"
    )
