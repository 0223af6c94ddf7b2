"""Log groups AWS creates itself. AWS: Lambda's /aws/lambda/<function>
(docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html), SageMaker's
/aws/sagemaker/Endpoints/<endpoint> (docs.aws.amazon.com/sagemaker/latest/dg/logging-cloudwatch.html)."""

from tests.policies.deploy_readiness.corpus import (
    MEMBER,
    endpoint_log_group_for_running_endpoint,
    lambda_log_group_for_running_function,
)
from tests.support.deploy_graphs import at
from tests.support.policies import check_stack

ID = "obsgov-deploy-loggroup-disallow-service-owned-names"


def test_a_lambda_log_group_for_a_function_elsewhere_must_be_imported():
    assert check_stack(ID, lambda_log_group_for_running_function(False)) == [
        (
            "enricher-logs",
            "CloudWatch Logs log group /aws/lambda/events-enricher (enricher-logs) in account "
            "400000000001 eu-west-1 is the log group Lambda creates itself for events-enricher, "
            "which this stack does not create: once events-enricher has run, the group exists "
            "and CreateLogGroup fails with ResourceAlreadyExistsException. Fix: import it "
            "(`pulumi import aws:cloudwatch/logGroup:LogGroup enricher-logs "
            "/aws/lambda/events-enricher`, or the import resource option on enricher-logs) or "
            "let the stack that creates events-enricher own it. AWS: "
            "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html",
        )
    ]
    assert check_stack(ID, lambda_log_group_for_running_function(True)) == []


def test_an_endpoint_log_group_and_other_names():
    assert [n for n, _ in check_stack(ID, endpoint_log_group_for_running_endpoint(False))] == [
        "endpoint-logs"
    ]
    assert check_stack(ID, endpoint_log_group_for_running_endpoint(True)) == []
    own = at(MEMBER, "aws:cloudwatch/logGroup:LogGroup", "g", {"name": "/obsgov/app"})
    assert check_stack(ID, [own]) == []
