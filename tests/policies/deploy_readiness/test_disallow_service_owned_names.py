"""Log groups AWS creates itself, or that a running workload already logs to. AWS: Lambda's
/aws/lambda/<function> (docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html),
SageMaker's /aws/sagemaker/Endpoints/<endpoint>
(docs.aws.amazon.com/sagemaker/latest/dg/logging-cloudwatch.html), a state machine's logging
destination, which must exist (docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html).

Adopted groups reach the policy through its config (``adoptedLogGroups``), because the
Analyzer protocol carries no import id (AnalyzerResource and AnalyzerResourceOptions in
pulumi/pulumi proto/pulumi/analyzer.proto)."""

from tests.policies.deploy_readiness.corpus import (
    LOG_GROUP,
    MEMBER,
    endpoint_log_group_for_running_endpoint,
    lambda_log_group_for_running_function,
    state_machine_log_group_for_running_state_machine,
)
from tests.support.deploy_graphs import REGION, at
from tests.support.policies import check_stack

ID = "obsgov-deploy-loggroup-disallow-service-owned-names"


def test_a_lambda_log_group_for_a_function_elsewhere_must_be_adopted():
    assert check_stack(ID, lambda_log_group_for_running_function(False)) == [
        (
            "enricher-logs",
            "CloudWatch Logs log group /aws/lambda/events-enricher (enricher-logs) in account "
            "400000000001 eu-west-1 is the log group Lambda writes events-enricher's logs to, "
            "and this stack does not create events-enricher: once events-enricher runs, the "
            "group exists and CreateLogGroup fails with ResourceAlreadyExistsException. Fix: "
            "adopt it: in obsgov set `logGroup: adopt` on the workload events-enricher "
            "(stacks/accounts.yaml); elsewhere give enricher-logs the import resource option "
            "(import id /aws/lambda/events-enricher) and list it in adoptedLogGroups; or let "
            "the stack that creates events-enricher own it. AWS: "
            "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html",
        )
    ]
    assert check_stack(ID, lambda_log_group_for_running_function(True)) == []


def test_an_adopted_group_passes_and_only_in_its_own_account_and_region():
    graph = lambda_log_group_for_running_function(False)
    row = {"account": MEMBER, "region": REGION, "name": "/aws/lambda/events-enricher"}
    assert check_stack(ID, graph, {"adoptedLogGroups": [row]}) == []
    for other in ({"account": "400000000009"}, {"region": "us-east-1"}, {"name": "/aws/x"}):
        found = check_stack(ID, graph, {"adoptedLogGroups": [{**row, **other}]})
        assert [n for n, _ in found] == ["enricher-logs"], other
    # malformed rows adopt nothing (the CLI validates the schema before the pack sees them)
    assert [n for n, _ in check_stack(ID, graph, {"adoptedLogGroups": [{"name": 1}]})] == [
        "enricher-logs"
    ]


def test_an_endpoint_log_group_and_other_names():
    assert [n for n, _ in check_stack(ID, endpoint_log_group_for_running_endpoint(False))] == [
        "endpoint-logs"
    ]
    assert check_stack(ID, endpoint_log_group_for_running_endpoint(True)) == []
    own = at(MEMBER, LOG_GROUP, "g", {"name": "/obsgov/app"})
    assert check_stack(ID, [own]) == []


def test_a_state_machine_log_group_and_the_consoles_logs_suffix():
    found = check_stack(ID, state_machine_log_group_for_running_state_machine(False))
    assert [n for n, _ in found] == ["feature-refresh-logs"]
    assert "Step Functions writes feature-refresh-prod's logs" in found[0][1]
    assert found[0][1].endswith("https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html")
    assert check_stack(ID, state_machine_log_group_for_running_state_machine(True)) == []
    # the console names the group it makes for a state machine <name>-Logs
    console = at(MEMBER, LOG_GROUP, "c", {"name": "/aws/vendedlogs/states/sm-Logs"})
    machine = at(MEMBER, "aws:sfn/stateMachine:StateMachine", "sm", {"name": "sm"})
    assert check_stack(ID, [console, machine]) == []
    assert "writes sm's logs" in check_stack(ID, [console])[0][1]
