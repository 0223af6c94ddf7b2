"""The scheduled model-quality job component under the Pulumi mocks."""

from __future__ import annotations

import json
import textwrap

import pytest

from components.lifecycle.model_quality_job import _prefix_arns
from obsgov.config.loader import load_environment
from obsgov.synth import synthesize

from ..conftest import STACKS
from ..support.caching import graph_scope

PROGRAM = textwrap.dedent("""
    import pulumi, pulumi_aws as aws
    from components.lifecycle.model_quality_job import ModelQualityJob, ModelQualityJobArgs, QualitySource

    provider = aws.Provider("ml", region="eu-west-1", allowed_account_ids=["400000000001"],
        assume_roles=[aws.ProviderAssumeRoleArgs(role_arn="arn:aws:iam::400000000001:role/Deploy")])
    ModelQualityJob("quality-ml", ModelQualityJobArgs(
        environment="prod", account_id="400000000001", region="eu-west-1", account_name="ml",
        sources=[QualitySource("fraud", "7", "binary", "s3://capture-bucket/fraud/",
                               "s3://labels-bucket/fraud/")],
        alarm_topic_arn="arn:aws:sns:eu-west-1:400000000001:obsgov-prod-alarms"),
        opts=pulumi.ResourceOptions(providers=[provider]))
""")


@pytest.fixture(scope=graph_scope)
def graph(tmp_path_factory):
    path = tmp_path_factory.mktemp("quality") / "program.py"
    path.write_text(PROGRAM)
    return synthesize(
        load_environment("prod", STACKS / "Pulumi.prod.yaml"), program=path, preview=False
    )


def test_role_reads_only_the_named_prefixes_and_writes_one_namespace(graph):
    [policy] = graph.of_type("aws:iam/rolePolicy:RolePolicy")
    by_sid = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert by_sid["ReadCaptureAndLabels"]["Resource"] == [
        "arn:aws:s3:::capture-bucket/fraud/*",
        "arn:aws:s3:::labels-bucket/fraud/*",
    ]
    listing = [s for sid, s in by_sid.items() if sid.startswith("ListPrefixes")]
    assert {(s["Resource"], tuple(s["Condition"]["StringLike"]["s3:prefix"])) for s in listing} == {
        ("arn:aws:s3:::capture-bucket", ("fraud/*",)),
        ("arn:aws:s3:::labels-bucket", ("fraud/*",)),
    }
    assert by_sid["Metrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "Obsgov/ModelQuality"}
    }
    assert set(by_sid) >= {"DeadLetters", "Logs", "UseKey"}


def test_schedule_hands_the_job_its_sources(graph):
    [rule] = graph.of_type("aws:cloudwatch/eventRule:EventRule")
    assert rule.inputs["scheduleExpression"] == "rate(1 hour)"
    [target] = graph.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert json.loads(target.inputs["input"]) == {
        "endpoint": "fraud",
        "modelVersion": "7",
        "problem": "binary",
        "captureUri": "s3://capture-bucket/fraud/",
        "labelsUri": "s3://labels-bucket/fraud/",
        "windowHours": 24,
        "labelDeadlineHours": 24,
    }
    [function] = graph.of_type("aws:lambda/function:Function")
    assert function.inputs["handler"] == "obsgov.model_quality.job.handler"
    assert function.inputs["deadLetterConfig"]["targetArn"].endswith("-model-quality-dlq")
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
    # an hourly job that has not run for two hours is down: no datapoint breaches
    running = alarms["Invocations"]
    assert (
        running["comparisonOperator"],
        running["threshold"],
        running["period"],
        running["treatMissingData"],
    ) == ("LessThanThreshold", 1, 7200, "breaching")


def test_prefix_arns_strip_only_slashes():
    # the config admits any path: a prefix that starts or ends with "X" keeps it
    assert _prefix_arns("s3://b/X/") == ("arn:aws:s3:::b", "arn:aws:s3:::b/X/*")
    assert _prefix_arns("s3://b//Xray-X//") == ("arn:aws:s3:::b", "arn:aws:s3:::b/Xray-X/*")
    assert _prefix_arns("s3://b") == ("arn:aws:s3:::b", "arn:aws:s3:::b/*")


FUNCTION = "obsgov-prod-ml-model-quality"


def test_function_role_trusts_lambda_in_this_account_and_uses_its_key_by_alias(graph):
    [role] = graph.of_type("aws:iam/role:Role")
    assert role.inputs["name"] == FUNCTION
    assert json.loads(role.inputs["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": "400000000001"}},
            }
        ],
    }
    [policy] = graph.of_type("aws:iam/rolePolicy:RolePolicy")
    by_sid = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    # the handler reads the encrypted queue and logs: decrypt, and generate data keys to write
    assert by_sid["UseKey"] == {
        "Sid": "UseKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "arn:aws:kms:eu-west-1:400000000001:key/*",
        "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/{FUNCTION}"}},
    }
    [key] = graph.of_type("aws:kms/key:Key")
    assert key.inputs["description"] == f"{FUNCTION}: environment, queue, logs"


def test_alarms_are_named_after_the_function_and_their_signal(graph):
    names = {a.inputs["name"] for a in graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert names == {
        f"{FUNCTION}-{role}"
        for role in ("errors", "throttles", "dlq-depth", "duration", "not-running")
    }


def test_only_the_sources_rule_may_invoke_the_function(graph):
    [rule] = graph.of_type("aws:cloudwatch/eventRule:EventRule")
    [permission] = graph.of_type("aws:lambda/permission:Permission")
    assert permission.inputs["action"] == "lambda:InvokeFunction"
    assert permission.inputs["function"] == FUNCTION
    assert permission.inputs["principal"] == "events.amazonaws.com"
    assert permission.inputs["sourceArn"] == rule.outputs["arn"]


def test_archive_runs_the_handler_with_only_its_own_files(tmp_path):
    import subprocess
    import sys
    import zipfile

    from components.shared.platform_function import package_files

    files = package_files("model_quality")
    archive = tmp_path / "quality.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, source in files.items():
            zf.write(source, name)
    check = subprocess.run(
        [
            sys.executable,
            # -S as well as -I: the virtualenv's site-packages holds obsgov's editable install,
            # whose import hook would serve any module the archive lacks
            "-I",
            "-S",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import obsgov.model_quality.job as j; "
            "assert j.__file__.startswith(sys.argv[1]); print('ok')",
            str(archive),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert check.stdout.strip() == "ok", check.stderr
