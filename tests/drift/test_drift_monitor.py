"""The DriftMonitor component under the Pulumi mocks: its resources, their hygiene, and the
role policy statement by statement."""

from __future__ import annotations

import json
import textwrap

import pytest

from components.lifecycle.drift_monitor import function_name
from obsgov.graph import UNKNOWN
from obsgov.synth import synthesize
from tests.support.caching import graph_scope

KEY = "arn:aws:kms:eu-west-1:111122223333:key/0f7c2a3e-1111-2222-3333-444455556666"

PROGRAM = textwrap.dedent(f"""
    from components.lifecycle.drift_monitor import DriftMonitor, DriftMonitorArgs
    DriftMonitor("churn-drift", DriftMonitorArgs(
        workload_kind="Endpoint", workload_name="churn-prod",
        image_uri="111122223333.dkr.ecr.eu-west-1.amazonaws.com/obsgov-drift:1.4.0",
        data_bucket="ml-capture", data_prefix="datacapture/churn-prod/",
        baseline_bucket="ml-baselines", baseline_key="churn/v12/baseline.json",
        report_bucket="ml-reports", report_prefix="drift/churn-prod/",
        kms_key_arn="{KEY}",
        alarm_actions=["arn:aws:sns:eu-west-1:111122223333:oncall"],
        tags={{"team": "ml"}}))
""")


def _synthesize(directory, preview):
    from tests.conftest import STACKS, InlineEnvironment, read

    env = InlineEnvironment(
        directory,
        "dev",
        read(STACKS / "Pulumi.dev.yaml"),
        read(STACKS / "organization.yaml"),
        read(STACKS / "accounts.yaml"),
    )
    program = directory / "__main__.py"
    program.write_text(PROGRAM)
    return synthesize(env.load(), program=program, preview=preview)


@pytest.fixture(scope=graph_scope)
def graph(tmp_path_factory):
    return _synthesize(tmp_path_factory.mktemp("preview"), True)


@pytest.fixture(scope=graph_scope)
def deployed(tmp_path_factory):
    return _synthesize(tmp_path_factory.mktemp("up"), False)


def one(graph, kind):
    found = graph.of_type(kind)
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def test_every_child_hangs_off_the_component_and_is_named_after_it(graph):
    component = one(graph, "obsgov:drift_monitor:DriftMonitor")
    children = [r for r in graph if r.parent == component.urn]
    assert sorted((r.type, r.name) for r in children) == sorted(
        [
            ("aws:cloudwatch/logGroup:LogGroup", "churn-drift-logs"),
            ("aws:sqs/queue:Queue", "churn-drift-dlq"),
            ("aws:iam/role:Role", "churn-drift-role"),
            ("aws:iam/rolePolicy:RolePolicy", "churn-drift-policy"),
            ("aws:lambda/function:Function", "churn-drift-function"),
            ("aws:cloudwatch/eventRule:EventRule", "churn-drift-schedule"),
            ("aws:lambda/permission:Permission", "churn-drift-invoke"),
            ("aws:cloudwatch/eventTarget:EventTarget", "churn-drift-target"),
            ("aws:cloudwatch/metricAlarm:MetricAlarm", "churn-drift-errors"),
            ("aws:cloudwatch/metricAlarm:MetricAlarm", "churn-drift-dead-letters"),
        ]
    )


def test_function_hygiene(graph):
    fn = one(graph, "aws:lambda/function:Function").inputs
    assert fn["name"] == "obsgov-drift-endpoint-churn-prod"
    assert fn["packageType"] == "Image"
    assert fn["kmsKeyArn"] == KEY
    assert fn["deadLetterConfig"]["targetArn"] not in (None, "")
    assert fn["loggingConfig"]["logGroup"] == "/aws/lambda/obsgov-drift-endpoint-churn-prod"
    assert fn["reservedConcurrentExecutions"] == 1
    env = fn["environment"]["variables"]
    assert env["OBSGOV_WORKLOAD_KIND"] == "Endpoint"
    assert env["OBSGOV_DATA_URI"] == "s3://ml-capture/datacapture/churn-prod/"
    assert env["OBSGOV_BASELINE_URI"] == "s3://ml-baselines/churn/v12/baseline.json"
    logs = one(graph, "aws:cloudwatch/logGroup:LogGroup").inputs
    assert logs["retentionInDays"] == 365
    assert logs["kmsKeyId"] == KEY
    assert one(graph, "aws:sqs/queue:Queue").inputs["kmsMasterKeyId"] == KEY
    rule = one(graph, "aws:cloudwatch/eventRule:EventRule").inputs
    assert rule["scheduleExpression"] == "rate(1 hour)"
    permission = one(graph, "aws:lambda/permission:Permission").inputs
    assert permission["principal"] == "events.amazonaws.com"


def test_alarms_watch_the_function_and_its_dead_letters(graph):
    alarms = {
        r.name: r.inputs
        for r in graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if r.name.startswith("churn-drift-")
    }
    errors = alarms["churn-drift-errors"]
    assert (errors["namespace"], errors["metricName"], errors["dimensions"]) == (
        "AWS/Lambda",
        "Errors",
        {"FunctionName": "obsgov-drift-endpoint-churn-prod"},
    )
    assert errors["alarmActions"] == ["arn:aws:sns:eu-west-1:111122223333:oncall"]
    assert alarms["churn-drift-dead-letters"]["namespace"] == "AWS/SQS"


def test_role_trusts_lambda_only(graph):
    trust = json.loads(one(graph, "aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ]


def test_role_policy_statement_by_statement(graph, deployed):
    policy = one(graph, "aws:iam/rolePolicy:RolePolicy").inputs["policy"]
    assert policy != UNKNOWN, "the policy must be known at preview: it uses the log group ARN"
    statements = {s["Sid"]: s for s in json.loads(policy)["Statement"]}
    region = one(graph, "aws:lambda/function:Function").region
    account = "000000000000"  # the mocks' getCallerIdentity for the default provider
    fn = "obsgov-drift-endpoint-churn-prod"
    log_group = f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{fn}"
    queue = f"arn:aws:sqs:{region}:{account}:{fn}-dlq"
    # the ARNs written from names are the ones the resources get once created
    assert one(deployed, "aws:cloudwatch/logGroup:LogGroup").outputs["arn"] == log_group
    assert one(deployed, "aws:sqs/queue:Queue").outputs["arn"] == queue
    assert statements == {
        "WriteOwnLogs": {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group}:*",
        },
        "ListWindow": {
            "Sid": "ListWindow",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::ml-capture",
            "Condition": {"StringLike": {"s3:prefix": ["datacapture/churn-prod/*"]}},
        },
        "ReadWindow": {
            "Sid": "ReadWindow",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::ml-capture/datacapture/churn-prod/*",
        },
        "ReadBaseline": {
            "Sid": "ReadBaseline",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::ml-baselines/churn/v12/baseline.json",
        },
        "WriteReports": {
            "Sid": "WriteReports",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::ml-reports/drift/churn-prod/*",
        },
        "PublishDataQualityMetrics": {
            "Sid": "PublishDataQualityMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "Obsgov/DataQuality"}},
        },
        "UseKey": {
            "Sid": "UseKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": KEY,
        },
        "DeadLetters": {
            "Sid": "DeadLetters",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": queue,
        },
    }
    # nothing broader than a named prefix or the one key anywhere
    for statement in statements.values():
        assert "*" not in json.dumps(statement["Action"])
        if statement["Sid"] != "PublishDataQualityMetrics":
            assert statement["Resource"] != "*"


def test_function_names_fit_lambda_limits():
    assert len(function_name("Pipeline", "x" * 100)) == 64
