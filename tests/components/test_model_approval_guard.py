"""The model approval guard component under the Pulumi mocks, and its function archive."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile

import pytest

from components.lifecycle.model_approval_guard import _s3_prefix_arn, guard_archive_files
from obsgov.config.loader import load_environment
from obsgov.synth import synthesize

from ..conftest import STACKS
from ..support.caching import graph_scope

PROGRAM = textwrap.dedent("""
    import pulumi, pulumi_aws as aws
    from components.lifecycle.model_approval_guard import ModelApprovalGuard, ModelApprovalGuardArgs
    from obsgov.model_guard.rules import GuardRules, Threshold

    provider = aws.Provider("registry", region="eu-west-1", allowed_account_ids=["100000000002"],
        assume_roles=[aws.ProviderAssumeRoleArgs(role_arn="arn:aws:iam::100000000002:role/Deploy")])
    rules = GuardRules(environment="prod", required_metadata=("owner",),
                       default_thresholds=(Threshold.parse("auc >= 0.8"),),
                       promotion_order=("staging", "prod"), previous_registry_account="100000000004")
    ModelApprovalGuard("guard-prod", ModelApprovalGuardArgs(
        environment="prod", account_id="100000000002", region="eu-west-1",
        rules_json=rules.to_json(), model_package_groups=["fraud-scoring", "churn-propensity"],
        metrics_report_prefix="s3://obsgov-model-metrics/reports/",
        previous_registry_account_id="100000000004", notification_emails=["ml@example.com"]),
        opts=pulumi.ResourceOptions(providers=[provider]))
""")


@pytest.fixture(scope=graph_scope)
def graph(tmp_path_factory):
    path = tmp_path_factory.mktemp("guard") / "program.py"
    path.write_text(PROGRAM)
    env = load_environment("prod", STACKS / "Pulumi.prod.yaml")
    return synthesize(env, program=path, preview=False)


def one(graph, token):
    [found] = graph.of_type(token)
    return found


def test_children_are_parented_and_named_after_the_component(graph):
    [component] = graph.of_type("obsgov:model_approval_guard:ModelApprovalGuard")
    children = graph.children(component.urn)
    assert all(c.name.startswith("guard-prod-") for c in children)
    [function] = graph.of_type("obsgov:platform_function:PlatformFunction")
    assert function.parent == component.urn
    assert function.name == "guard-prod-fn"
    grandchildren = {c.type for c in graph.children(function.urn)}
    assert {
        "aws:lambda/function:Function",
        "aws:sqs/queue:Queue",
        "aws:kms/key:Key",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:iam/role:Role",
    } <= grandchildren


def test_role_may_touch_only_named_resources(graph):
    policy = json.loads(one(graph, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])
    assert by_sid["ReadPackages"]["Action"] == "sagemaker:DescribeModelPackage"
    assert by_sid["ReadPackages"]["Resource"] == [
        "arn:aws:sagemaker:eu-west-1:100000000002:model-package/*",
        "arn:aws:sagemaker:eu-west-1:100000000004:model-package/*",
    ]
    # the environment's groups only, not every group of the registry (issue 33)
    assert by_sid["RevertApprovals"] == {
        "Sid": "RevertApprovals",
        "Effect": "Allow",
        "Action": "sagemaker:UpdateModelPackage",
        "Resource": [
            "arn:aws:sagemaker:eu-west-1:100000000002:model-package/churn-propensity/*",
            "arn:aws:sagemaker:eu-west-1:100000000002:model-package/fraud-scoring/*",
        ],
    }
    assert by_sid["ReadQualityReports"]["Resource"] == "arn:aws:s3:::obsgov-model-metrics/reports/*"
    assert (
        by_sid["Notify"]["Resource"] == "arn:aws:sns:eu-west-1:100000000002:obsgov-prod-model-guard"
    )
    assert (
        by_sid["DeadLetters"]["Resource"]
        == "arn:aws:sqs:eu-west-1:100000000002:obsgov-prod-model-guard-dlq"
    )
    assert by_sid["Metrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "Obsgov/ModelGovernance"}
    }
    assert by_sid["Logs"]["Resource"] == (
        "arn:aws:logs:eu-west-1:100000000002:log-group:/aws/lambda/obsgov-prod-model-guard:log-stream:*"
    )
    assert by_sid["UseKey"]["Resource"] == "arn:aws:kms:eu-west-1:100000000002:key/*"
    assert by_sid["UseKey"]["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/obsgov-prod-model-guard"}
    }
    wildcard = [s["Sid"] for s in policy["Statement"] if s["Resource"] == "*"]
    # PutMetricData and the X-Ray segment actions have no resource type
    # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html)
    assert wildcard == ["Metrics", "SendTraces"]
    trust = json.loads(one(graph, "aws:iam/role:Role").inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "100000000002"}}


def test_function_is_encrypted_bounded_and_dead_lettered(graph):
    fn = one(graph, "aws:lambda/function:Function").inputs
    assert fn["handler"] == "obsgov.model_guard.handler.handler"
    assert fn["runtime"] == "python3.12"
    assert fn["kmsKeyArn"].startswith("arn:aws:kms:")
    assert fn["reservedConcurrentExecutions"] == 2
    assert fn["deadLetterConfig"]["targetArn"].endswith(":obsgov-prod-model-guard-dlq")
    rules = json.loads(fn["environment"]["variables"]["OBSGOV_GUARD_RULES"])
    groups = json.loads(fn["environment"]["variables"]["OBSGOV_GUARD_GROUPS"])
    assert groups == ["churn-propensity", "fraud-scoring"]
    assert rules["defaultThresholds"] == ["auc >= 0.8"]
    assert rules["requiredMetadata"] == ["owner"]
    assert one(graph, "aws:sqs/queue:Queue").inputs["kmsMasterKeyId"].startswith("arn:aws:kms:")
    assert one(graph, "aws:sns/topic:Topic").inputs["kmsMasterKeyId"].startswith("arn:aws:kms:")
    logs = one(graph, "aws:cloudwatch/logGroup:LogGroup").inputs
    assert logs["name"] == "/aws/lambda/obsgov-prod-model-guard"
    assert logs["retentionInDays"] == 365
    key = json.loads(one(graph, "aws:kms/key:Key").inputs["policy"])
    [logs_statement] = [s for s in key["Statement"] if s["Sid"] == "CloudWatchLogsEncrypt"]
    assert logs_statement["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:100000000002:log-group:/aws/lambda/obsgov-prod-model-guard"
        }
    }


def _matches(pattern, event) -> bool:
    """EventBridge matching for the pattern features the guard uses: exact values, "exists"
    and "$or" (EventBridge user guide, "Content filtering in Amazon EventBridge event
    patterns")."""
    if isinstance(pattern, list):
        for option in pattern:
            if isinstance(option, dict) and "exists" in option:
                if (event is not _MISSING) == option["exists"]:
                    return True
            elif event == option:
                return True
        return False
    if event is _MISSING or not isinstance(event, dict):
        return False
    for key, sub in pattern.items():
        if key == "$or":
            if not any(_matches(alternative, event) for alternative in sub):
                return False
        elif not _matches(sub, event.get(key, _MISSING)):
            return False
    return True


_MISSING = object()


def test_rules_match_the_documented_events_for_this_environments_groups(graph):
    import copy

    from tests.model_guard.events_data import API_CALL, CREATE_CALL, STATE_CHANGE

    patterns = {
        r.name: json.loads(r.inputs["eventPattern"])
        for r in graph.of_type("aws:cloudwatch/eventRule:EventRule")
    }
    state = patterns["guard-prod-approvals"]
    assert state["detail-type"] == [STATE_CHANGE["detail-type"]]
    assert state["detail"]["ModelApprovalStatus"] == ["Approved"]
    assert state["detail"]["ModelPackageGroupName"] == ["churn-propensity", "fraud-scoring"]
    fraud = copy.deepcopy(STATE_CHANGE)
    fraud["detail"]["ModelPackageGroupName"] = "fraud-scoring"
    assert (_matches(state, fraud), _matches(state, STATE_CHANGE)) == (True, False)  # churn
    api = patterns["guard-prod-approval-calls"]
    stage_write = copy.deepcopy(API_CALL)
    stage_write["detail"]["requestParameters"] = {
        "modelPackageArn": API_CALL["detail"]["requestParameters"]["modelPackageArn"],
        "modelLifeCycle": {"stage": "prod", "stageStatus": "Approved"},
    }
    metadata_only = copy.deepcopy(API_CALL)
    metadata_only["detail"]["requestParameters"] = {"customerMetadataProperties": {"a": "b"}}
    assert [_matches(api, e) for e in (API_CALL, CREATE_CALL, stage_write, metadata_only)] == [
        True,
        True,
        True,
        False,
    ]
    permissions = graph.of_type("aws:lambda/permission:Permission")
    assert {p.inputs["principal"] for p in permissions} == {"events.amazonaws.com"}
    assert all(p.inputs.get("sourceArn") for p in permissions)


def test_alarms_watch_errors_throttles_and_dead_letters(graph):
    alarms = {
        a.inputs["metricName"]: a.inputs
        for a in graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    assert set(alarms) == {
        "Errors",
        "Throttles",
        "ApproximateNumberOfMessagesVisible",
        "Duration",
        "Invocations",
    }
    for metric in ("Errors", "Throttles", "ApproximateNumberOfMessagesVisible"):
        assert alarms[metric]["threshold"] == 0
        assert alarms[metric]["comparisonOperator"] == "GreaterThanThreshold"
    assert alarms["Duration"]["threshold"] == 60 * 1000 * 0.8  # 80% of the 60 s timeout
    # approvals arrive as events: a flood is the anomaly, silence is normal
    assert (
        alarms["Invocations"]["comparisonOperator"],
        alarms["Invocations"]["threshold"],
        alarms["Invocations"]["treatMissingData"],
    ) == ("GreaterThanThreshold", 100, "notBreaching")
    for alarm in alarms.values():
        assert alarm["alarmActions"]
        assert alarm["okActions"]
        assert alarm["actionsEnabled"]


def test_archive_holds_only_what_the_handler_imports(tmp_path):
    files = guard_archive_files()
    archive = tmp_path / "guard.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, source in files.items():
            zf.write(source, name)
    assert set(files) == {
        "obsgov/__init__.py",
        "obsgov/model_guard/__init__.py",
        "obsgov/model_guard/events.py",
        "obsgov/model_guard/guard.py",
        "obsgov/model_guard/handler.py",
        "obsgov/model_guard/rules.py",
    }
    assert archive.stat().st_size < 64 * 1024
    # Import the handler from the archive alone (as Lambda would), with the project off the path.
    check = subprocess.run(
        [
            sys.executable,
            # -S as well as -I: site-packages holds obsgov's editable install, whose import
            # hook would serve any module the archive lacks
            "-I",
            "-S",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "import obsgov.model_guard.handler as h; "
            "assert h.__file__.startswith(sys.argv[1]), h.__file__; print('ok')",
            str(archive),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert check.stdout.strip() == "ok", check.stderr


def test_report_prefix_must_be_an_s3_uri():
    assert _s3_prefix_arn("s3://bucket") == "arn:aws:s3:::bucket/*"
    # the config admits any path after the bucket: slashes around it are not part of the prefix
    assert _s3_prefix_arn("s3://bucket/") == "arn:aws:s3:::bucket/*"
    assert _s3_prefix_arn("s3://bucket//") == "arn:aws:s3:::bucket/*"
    assert _s3_prefix_arn("s3://bucket//reports/") == "arn:aws:s3:::bucket/reports/*"
    for bad in ("https://bucket/x", "s3://"):
        with pytest.raises(ValueError, match="is not an s3://bucket/prefix URI"):
            _s3_prefix_arn(bad)
