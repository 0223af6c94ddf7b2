"""The DriftMonitor component under the Pulumi mocks: a zip function on the drift layer, its
resources, their hygiene, and the role policy statement by statement.

Lambda quotas (a zip function with layers, five at most, 250 MB unzipped together):
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"""

from __future__ import annotations

import json
import textwrap

import pytest

from components.lifecycle.drift_monitor import function_name
from obsgov.graph import UNKNOWN
from obsgov.synth import synthesize
from tests.support.caching import graph_scope

ACCOUNT = "111122223333"
LAYER = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:layer:obsgov-prod-drift:3"
KEY_STATEMENT = {
    "Sid": "UseMonitoringKey",
    "Effect": "Allow",
    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
    "Resource": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0f7c2a3e-1111-2222-3333-444455556666",
}

PROGRAM = textwrap.dedent(f"""
    from components.lifecycle.drift_monitor import DriftMonitor, DriftMonitorArgs
    DriftMonitor("churn-drift", DriftMonitorArgs(
        environment="prod", account_id="{ACCOUNT}", region="eu-west-1",
        workload_kind="Endpoint", workload_name="churn-prod", layer_arn="{LAYER}",
        data_bucket="ml-capture", data_prefix="datacapture/churn-prod/",
        baseline_bucket="ml-baselines", baseline_key="churn/v12/baseline.json",
        report_bucket="ml-reports", report_prefix="drift/churn-prod/",
        key_statement={KEY_STATEMENT!r},
        alarm_topic_arn="arn:aws:sns:eu-west-1:{ACCOUNT}:oncall"))
""")


def _synthesize(directory, preview):
    from tests.conftest import STACKS, InlineEnvironment, read

    stack_doc = read(STACKS / "Pulumi.dev.yaml")
    # this program reads no other stack: the single-stack switch (README "Stacks")
    stack_doc["config"].pop("obsgov:organizationStack", None)
    env = InlineEnvironment(
        directory,
        "dev",
        stack_doc,
        read(STACKS / "organization.yaml"),
        read(STACKS / "accounts.yaml"),
    )
    program = directory / "__main__.py"
    program.write_text(PROGRAM)
    return synthesize(env.load(), program=program, preview=preview)


@pytest.fixture(scope=graph_scope)
def graph(tmp_path_factory):
    return _synthesize(tmp_path_factory.mktemp("preview"), True)


def one(graph, kind):
    found = graph.of_type(kind)
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def test_every_child_hangs_off_the_component_and_is_named_after_it(graph):
    component = one(graph, "obsgov:drift_monitor:DriftMonitor")
    children = sorted((r.type, r.name) for r in graph if r.parent == component.urn)
    assert children == sorted(
        [
            ("obsgov:platform_function:PlatformFunction", "churn-drift-fn"),
            ("aws:cloudwatch/eventRule:EventRule", "churn-drift-schedule"),
            ("aws:lambda/permission:Permission", "churn-drift-invoke"),
            ("aws:cloudwatch/eventTarget:EventTarget", "churn-drift-target"),
        ]
    )


def test_a_zip_function_on_the_layer_with_one_run_at_a_time(graph):
    fn = one(graph, "aws:lambda/function:Function").inputs
    assert fn["name"] == "obsgov-drift-endpoint-churn-prod"
    assert "imageUri" not in fn
    assert fn.get("packageType") in (None, "Zip")
    assert fn["runtime"] == "python3.12"
    assert fn["handler"] == "obsgov.drift.job.handler"
    assert fn["layers"] == [LAYER]
    assert fn["reservedConcurrentExecutions"] == 1
    assert fn["timeout"] == 900
    env = fn["environment"]["variables"]
    assert env["OBSGOV_WORKLOAD_KIND"] == "Endpoint"
    assert env["OBSGOV_DATA_URI"] == "s3://ml-capture/datacapture/churn-prod/"
    assert env["OBSGOV_BASELINE_URI"] == "s3://ml-baselines/churn/v12/baseline.json"
    assert env["OBSGOV_REPORT_URI"] == "s3://ml-reports/drift/churn-prod/"
    rule = one(graph, "aws:cloudwatch/eventRule:EventRule").inputs
    assert rule["scheduleExpression"] == "rate(1 hour)"
    permission = one(graph, "aws:lambda/permission:Permission").inputs
    assert permission["principal"] == "events.amazonaws.com"


def test_the_archive_holds_the_modules_the_handler_imports(graph):
    fn = one(graph, "aws:lambda/function:Function")
    archive = fn.inputs["code"]
    paths = set(archive["assets"]) if isinstance(archive, dict) and "assets" in archive else None
    if paths is None:  # the graph's rendering of an AssetArchive
        paths = set(json.loads(json.dumps(archive, default=str)).get("assets", {}))
    # obsgov.config imports obsgov_policies: without it the handler fails at import in AWS
    assert "obsgov/drift/job.py" in paths
    assert "obsgov_policies/__init__.py" in paths


def test_scheduled_run_alarms_page_when_it_stops(graph):
    alarms = {
        r.inputs["name"]: r.inputs for r in graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    not_running = alarms["obsgov-drift-endpoint-churn-prod-not-running"]
    assert not_running["treatMissingData"] == "breaching"
    assert not_running["period"] == 7200


def test_role_policy_statement_by_statement(graph):
    policy = next(
        r.inputs["policy"]
        for r in graph.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name == "churn-drift-fn-role-policy"
    )
    assert policy != UNKNOWN, "the policy must be known at preview"
    statements = {s["Sid"]: s for s in json.loads(policy)["Statement"]}
    # every platform function's own statements (components/shared/platform_function.py)
    baseline = ("DeadLetters", "Logs", "UseKey", "SendTraces")
    own = {k: v for k, v in statements.items() if k not in baseline}
    assert own == {
        "ListWindow": {
            "Sid": "ListWindow",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::ml-capture",
            "Condition": {"StringLike": {"s3:prefix": ["datacapture/churn-prod/*"]}},
        },
        "ReadWindowAndBaseline": {
            "Sid": "ReadWindowAndBaseline",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": [
                "arn:aws:s3:::ml-baselines/churn/v12/baseline.json",
                "arn:aws:s3:::ml-capture/datacapture/churn-prod/*",
            ],
        },
        # the checkpoint under the report prefix is read back on the next run
        "ReportsAndCheckpoint": {
            "Sid": "ReportsAndCheckpoint",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::ml-reports/drift/churn-prod/*",
        },
        "PublishDataQualityMetrics": {
            "Sid": "PublishDataQualityMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "Obsgov/DataQuality"}},
        },
        "UseMonitoringKey": KEY_STATEMENT,
    }
    for statement in statements.values():
        assert "*" not in json.dumps(statement["Action"])
        # PutMetricData and X-Ray's segment actions have no resource type
        if statement["Sid"] not in ("PublishDataQualityMetrics", "SendTraces"):
            assert statement["Resource"] != "*"


def test_function_names_fit_lambda_limits():
    assert len(function_name("Pipeline", "x" * 100)) == 64
