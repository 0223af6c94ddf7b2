"""The drift job on Spark (``driftJob.engine: spark``): the AWS Glue 5.0 job the drift
component deploys for prod's transactions-daily pipeline (stacks/accounts.yaml), under the
Pulumi mocks, with the job's own argument parser and the IAM evaluator as judges.

AWS documentation these tests rest on:
* Glue job arguments: a job's DefaultArguments reach the script as ``--key value`` pairs, with
  Glue's own (``--JOB_ID``, ``--JOB_RUN_ID``, ``--JOB_NAME``, ...) and the special parameters
  Glue reads itself (``--extra-py-files``, ``--additional-python-modules``, ...):
  https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html
* Glue 5.0 (Spark 3.5, Python 3.11; ``GlueVersion`` 5.0, ``Command.Name`` glueetl):
  https://docs.aws.amazon.com/glue/latest/dg/release-notes.html
* Glue 5.0 logging (``--custom-logGroup-prefix``: ``<prefix>/error`` and ``<prefix>/output``):
  https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html
* Glue Job State Change events (state SUCCEEDED, FAILED, TIMEOUT, STOPPED, ERROR):
  https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html
* EventBridge publishes each rule's MatchedEvents in AWS/Events by RuleName:
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
* Glue triggers take cron() and nothing more frequent than every 5 minutes:
  https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html
* PutMetricData is narrowed by the cloudwatch:namespace condition key only:
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from components.lifecycle.drift_glue_job import GLUE_ARGUMENTS
from components.member.glue_runs import run_rule_name
from obsgov import metric_contract as mc
from obsgov.accounts.deployment_policy import scope_for, workload_boundary
from obsgov.drift.spark_job import options, parse_arguments
from obsgov.gate.engine import GateOptions, run_pack
from obsgov.gate.environment_layer import EnvironmentLayer
from obsgov.gate.pack_config import load_pack_config_file
from obsgov.gate.project import load_policy_pack
from obsgov.graph import plain
from obsgov_policies.iam_evaluation import Decision, Principal, Request, evaluate

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "400000000002"  # data-platform-prod
BUCKET = f"obsgov-prod-monitoring-{ACCOUNT}"
JOB = "obsgov-drift-pipeline-transactions-daily-prod"
PIPELINE = "transactions-daily-prod"
REGION = "eu-west-1"


def _one(graph, kind: str, name: str):
    found = [r for r in graph.of_type(kind) if r.name == name]
    assert len(found) == 1, [r.name for r in graph.of_type(kind)]
    return found[0]


@pytest.fixture
def prod(example_graph):
    return example_graph("prod", True)


@pytest.fixture
def job(prod):
    return plain(
        _one(prod, "aws:glue/job:Job", f"data-platform-prod-{PIPELINE}-drift-glue-job").inputs
    )


def test_engine_spark_deploys_a_glue_5_job_and_no_lambda_job(prod, job):
    assert job["name"] == JOB
    assert job["glueVersion"] == "5.0"
    assert job["command"]["name"] == "glueetl"
    assert job["command"]["pythonVersion"] == "3"
    assert job["workerType"] == "G.1X"
    assert job["numberOfWorkers"] == 2
    assert job["timeout"] == 120
    # one run at a time: overlapping runs would judge the prefix twice
    assert job["executionProperty"]["maxConcurrentRuns"] == 1
    functions = [f.inputs["name"] for f in prod.of_type("aws:lambda/function:Function")]
    assert JOB not in functions


def test_the_script_and_its_modules_are_uploaded_where_the_job_reads_them(prod, job):
    objects = {
        plain(o.inputs)["key"]: plain(o.inputs)
        for o in prod.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
        if o.account == ACCOUNT
    }
    script_key = job["command"]["scriptLocation"].removeprefix(f"s3://{BUCKET}/")
    modules_key = job["defaultArguments"]["--extra-py-files"].removeprefix(f"s3://{BUCKET}/")
    assert script_key == "layers/drift-spark/spark_job.py"
    assert objects[script_key]["source"]["path"].endswith("obsgov/drift/spark_job.py")
    archive = set(objects[modules_key]["source"]["assets"])
    # the script imports these absolutely; without them the job fails at import in Glue
    for module in (
        "obsgov/drift/spark_job.py",
        "obsgov/drift/engine.py",
        "obsgov/drift/sketch.py",
        "obsgov/drift/publish.py",
        "obsgov_policies/__init__.py",
    ):
        assert module in archive
    # the deployment role may write objects under layers/ only (NoDataObjects)
    assert script_key.startswith("layers/")
    assert modules_key.startswith("layers/")
    # Glue's image lacks datasketches: pip installs it at job start
    modules = job["defaultArguments"]["--additional-python-modules"].split(",")
    assert any(m.startswith("datasketches") for m in modules)


def test_the_trigger_runs_the_job_on_the_workloads_schedule(prod):
    trigger = plain(
        _one(
            prod, "aws:glue/trigger:Trigger", f"data-platform-prod-{PIPELINE}-drift-glue-schedule"
        ).inputs
    )
    assert trigger["type"] == "SCHEDULED"
    assert trigger["schedule"] == "cron(0 0 * * ? *)"  # driftJob.schedule: rate(1 day)
    assert trigger["startOnCreation"] is True
    assert trigger["actions"] == [{"jobName": JOB}]


def test_the_role_is_glues_in_this_account_only_under_the_workload_boundary(prod, job):
    role = plain(
        _one(prod, "aws:iam/role:Role", f"data-platform-prod-{PIPELINE}-drift-glue-role").inputs
    )
    assert role["name"] == JOB
    trust = json.loads(role["assumeRolePolicy"])
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"Service": "glue.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert role["permissionsBoundary"] == f"arn:aws:iam::{ACCOUNT}:policy/obsgov-workload-boundary"


def _alarms(prod) -> dict[str, dict]:
    return {
        plain(a.inputs)["name"]: plain(a.inputs)
        for a in prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.account == ACCOUNT
    }


def test_the_drift_alarms_watch_what_the_glue_job_publishes(prod):
    alarms = _alarms(prod)
    prefix = f"prod-data-platform-prod-{PIPELINE}-"
    for signal in ("drift-no-data", "drift-rows", "drift-malformed", "dataset-drift"):
        alarm = alarms[prefix + signal]
        assert alarm["namespace"] == mc.DATA_QUALITY_NAMESPACE
        assert alarm["dimensions"] == {mc.PIPELINE_DIMENSION: PIPELINE}
        # a daily job: two schedule periods, capped at CloudWatch's one day
        assert alarm["period"] == 86_400
    assert alarms[prefix + "drift-no-data"]["treatMissingData"] == "breaching"
    # the on-call is sent to the Glue job's logs, not to a Lambda function's
    assert f"/aws-glue/jobs/{JOB}/" in alarms[prefix + "drift-no-data"]["alarmDescription"]


def test_failed_and_missing_runs_page_from_glues_state_change_events(prod):
    rules = {
        plain(r.inputs)["name"]: json.loads(plain(r.inputs)["eventPattern"])
        for r in prod.of_type("aws:cloudwatch/eventRule:EventRule")
        if r.account == ACCOUNT and "eventPattern" in plain(r.inputs)
    }
    failed = run_rule_name("prod", JOB, "failed")
    ended = run_rule_name("prod", JOB, "ended")
    assert rules[failed] == {
        "source": ["aws.glue"],
        "detail-type": ["Glue Job State Change"],
        "detail": {"jobName": [JOB], "state": ["FAILED", "TIMEOUT", "ERROR"]},
    }
    assert set(rules[ended]["detail"]["state"]) == {
        "SUCCEEDED",
        "FAILED",
        "TIMEOUT",
        "ERROR",
        "STOPPED",
    }
    alarms = _alarms(prod)
    prefix = f"prod-data-platform-prod-{PIPELINE}-"
    failure = alarms[prefix + "drift-job-failed"]
    assert (failure["namespace"], failure["metricName"]) == ("AWS/Events", "MatchedEvents")
    assert failure["dimensions"] == {"RuleName": failed}
    assert (failure["comparisonOperator"], failure["threshold"]) == ("GreaterThanThreshold", 0)
    not_run = alarms[prefix + "drift-job-not-run"]
    assert not_run["dimensions"] == {"RuleName": ended}
    assert (not_run["comparisonOperator"], not_run["threshold"]) == ("LessThanThreshold", 1)
    # no ended run at all is the outage
    assert not_run["treatMissingData"] == "breaching"
    assert not_run["period"] == 86_400


# --------------------------------------------------------------------------- the contract


def _glue_argv(default_arguments: dict[str, str]) -> list[str]:
    """sys.argv[1:] of a run as Glue builds it: its own arguments, then the job's."""
    argv = ["--JOB_ID", "j_0123", "--JOB_RUN_ID", "jr_0123", "--JOB_NAME", JOB]
    for key, value in default_arguments.items():
        argv += [key, value]
    return argv


def test_the_jobs_own_parser_accepts_exactly_the_default_arguments_the_component_sets(job):
    arguments = job["defaultArguments"]
    script = {k for k in arguments if k not in GLUE_ARGUMENTS}
    # every argument is either the script's or one Glue reads itself: none is lost
    assert script <= options("run")
    assert script == {
        "--command",
        "--data",
        "--format",
        "--baseline",
        "--report",
        "--workload-kind",
        "--workload-name",
        "--publish",
    }
    parsed, ignored = parse_arguments(_glue_argv(arguments))
    assert parsed.command == "run"
    assert parsed.data == f"s3://{BUCKET}/datasets/{PIPELINE}/"
    assert parsed.baseline == f"s3://{BUCKET}/baselines/{PIPELINE}/baseline.json"
    assert parsed.report == f"s3://{BUCKET}/reports/drift/{PIPELINE}/"
    assert parsed.format == "parquet"
    assert (parsed.workload_kind, parsed.workload_name) == ("Pipeline", PIPELINE)
    assert parsed.publish is True
    # what the script ignores is Glue's and nothing else
    ignored_keys = {a for a in ignored if a.startswith("--")}
    assert ignored_keys == {"--JOB_ID", "--JOB_RUN_ID", "--JOB_NAME"} | (
        set(arguments) & GLUE_ARGUMENTS
    )


def test_a_misspelled_argument_would_be_caught_by_the_contract(job):
    """The contract test can fail: an argument the script does not define is not consumed."""
    arguments = dict(job["defaultArguments"])
    arguments["--workload"] = arguments.pop("--workload-name")
    assert not set(arguments) - GLUE_ARGUMENTS <= options("run")
    parsed, ignored = parse_arguments(_glue_argv(arguments))
    assert parsed.workload_name is None
    assert "--workload" in ignored


def test_the_spark_submit_form_still_parses():
    parsed, ignored = parse_arguments(
        ["run", "--baseline", "b.json", "--data", "d/", "--report", "r/", "--publish"]
    )
    assert (parsed.command, parsed.publish, ignored) == ("run", True, [])


# --------------------------------------------------------------------------- the role


def _role_policy(graph) -> list[dict]:
    policy = _one(
        graph,
        "aws:iam/rolePolicy:RolePolicy",
        f"data-platform-prod-{PIPELINE}-drift-glue-role-policy",
    )
    return [json.loads(plain(policy.inputs)["policy"])]


ROLE = f"arn:aws:iam::{ACCOUNT}:role/{JOB}"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f7c2a3e-1111-2222-3333-444455556666"
MONITORING_KEY = {
    "kms:ResourceAliases": ["alias/obsgov-prod-monitoring-data"],
    "aws:ResourceTag/managed-by": "obsgov",
}
S3 = "arn:aws:s3:::"
LOGS = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws-glue/jobs/{JOB}"

# What the job does in a run (obsgov/drift/spark_job.py and Glue loading it): each must be
# allowed by the role's policy within the workload boundary.
DOES = [
    ("s3:GetObject", f"{S3}{BUCKET}/layers/drift-spark/spark_job.py", {}),
    ("s3:GetObject", f"{S3}{BUCKET}/layers/drift-spark/obsgov-drift.zip", {}),
    ("s3:ListBucket", f"{S3}{BUCKET}", {"s3:prefix": f"datasets/{PIPELINE}/"}),
    ("s3:ListBucket", f"{S3}{BUCKET}", {"s3:prefix": f"datasets/{PIPELINE}"}),
    ("s3:GetObject", f"{S3}{BUCKET}/datasets/{PIPELINE}/dt=2026-12-01/part-0.parquet", {}),
    ("s3:GetObject", f"{S3}{BUCKET}/baselines/{PIPELINE}/baseline.json", {}),
    ("s3:PutObject", f"{S3}{BUCKET}/reports/drift/{PIPELINE}/2026/12/01/000000.json", {}),
    ("kms:Decrypt", KEY, MONITORING_KEY),
    ("kms:GenerateDataKey", KEY, MONITORING_KEY),
    ("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": mc.DATA_QUALITY_NAMESPACE}),
    ("logs:CreateLogStream", f"{LOGS}/error:log-stream:jr_0123-driver", {}),
    ("logs:PutLogEvents", f"{LOGS}/output:log-stream:jr_0123-driver", {}),
]
# ... and what it has no business doing
DOES_NOT = [
    ("s3:GetObject", f"{S3}{BUCKET}/datasets/other-pipeline/part-0.parquet", {}),
    ("s3:ListBucket", f"{S3}{BUCKET}", {"s3:prefix": "datasets/"}),
    ("s3:PutObject", f"{S3}{BUCKET}/datasets/{PIPELINE}/part-0.parquet", {}),
    ("s3:PutObject", f"{S3}{BUCKET}/baselines/{PIPELINE}/baseline.json", {}),
    ("s3:PutObject", f"{S3}{BUCKET}/layers/drift-spark/spark_job.py", {}),
    ("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "AWS/Glue"}),
    (
        "logs:PutLogEvents",
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/x:log-stream:y",
        {},
    ),
]


@pytest.mark.parametrize(
    ("action", "resource", "context"), DOES, ids=[f"{a} {r}" for a, r, _ in DOES]
)
def test_the_role_allows_what_the_job_does(prod, example_env, action, resource, context):
    boundary = workload_boundary(scope_for(example_env("prod"), ACCOUNT))
    request = Request(Principal(ACCOUNT, ROLE), action, resource, context)
    result = evaluate(request, _role_policy(prod), None, ACCOUNT, boundary=boundary)
    assert result.decision is Decision.ALLOW, result


@pytest.mark.parametrize(
    ("action", "resource", "context"), DOES_NOT, ids=[f"{a} {r}" for a, r, _ in DOES_NOT]
)
def test_the_role_allows_nothing_else(prod, example_env, action, resource, context):
    boundary = workload_boundary(scope_for(example_env("prod"), ACCOUNT))
    request = Request(Principal(ACCOUNT, ROLE), action, resource, context)
    result = evaluate(request, _role_policy(prod), None, ACCOUNT, boundary=boundary)
    assert result.decision is not Decision.ALLOW


# --------------------------------------------------------------------------- the producer


def _producer_findings(example_env, graph) -> list[str]:
    env = example_env("prod")
    result = run_pack(
        load_policy_pack(ROOT / "policies/deploy-readiness"),
        graph,
        [
            EnvironmentLayer(env),
            load_pack_config_file(ROOT / "stacks/policy-packs/prod/deploy-readiness.json"),
        ],
        GateOptions(stack_config=env.config_map),
    )
    assert result.error is None
    return [
        v.detail for v in result.violations if v.policy == "obsgov-deploy-alarm-require-producer"
    ]


def test_the_glue_job_is_the_producer_of_the_pipelines_drift_alarms(prod, example_env, monkeypatch):
    """The deploy-readiness producer rule counts a Glue job whose role may publish in the
    namespace (require_alarm_producers.JOB_ROLE_PROPS). With the declared producer contracts
    taken away, only the stack itself can prove a producer: the Glue job does, and with its
    PutMetricData statement removed the pipeline's drift alarms have none left."""
    import obsgov.gate.environment_layer as layer

    monkeypatch.setattr(layer, "producer_contracts", lambda env: [])

    def pipeline_drift(findings: list[str]) -> list[str]:
        return [f for f in findings if mc.DATA_QUALITY_NAMESPACE in f and PIPELINE in f]

    assert pipeline_drift(_producer_findings(example_env, prod)) == []
    name = f"data-platform-prod-{PIPELINE}-drift-glue-role-policy"
    document = _role_policy(prod)[0]
    document["Statement"] = [
        s for s in document["Statement"] if s.get("Sid") != "PublishDataQualityMetrics"
    ]
    text = json.dumps(document)
    resources = [
        dataclasses.replace(
            r,
            inputs={**r.inputs, "policy": text},
            outputs={**r.outputs, "policy": text} if "policy" in r.outputs else r.outputs,
        )
        if r.name == name
        else r
        for r in prod.resources
    ]
    silenced = _producer_findings(example_env, dataclasses.replace(prod, resources=resources))
    lost = " ".join(pipeline_drift(silenced))
    for signal in ("drift-no-data", "drift-rows", "drift-malformed", "dataset-drift"):
        assert f"{PIPELINE}-{signal}" in lost


def test_the_environment_report_prices_the_glue_job_per_dpu_hour(prod):
    """Glue bills Spark jobs per DPU-hour, per second with a one-minute minimum; a G.1X worker
    is 1 DPU (https://aws.amazon.com/glue/pricing/, $0.44 a DPU-hour in its example)."""
    from obsgov.environment_report.cost import estimate, load_prices

    prices = load_prices()
    result = estimate(prod, prices)
    [charge] = [
        c for c in result.charges if c.name == f"data-platform-prod-{PIPELINE}-drift-glue-job"
    ]
    a = prices.assumptions
    dpu_hours = 2 * 1 * a["glueRunsPerMonthPerJob"] * a["glueMinutesPerRun"] / 60
    assert charge.item == "glue-etl-dpu-hour"
    assert charge.usd == pytest.approx(dpu_hours * 0.44)


def test_the_code_is_where_the_deployment_role_may_write_and_the_job_role_may_read():
    from components.lifecycle.monitoring_store import SPARK_MODULES_KEY, SPARK_SCRIPT_KEY
    from obsgov.accounts.deployment_policy import LAYER_PREFIX, SPARK_CODE_PREFIX

    for key in (SPARK_SCRIPT_KEY, SPARK_MODULES_KEY):
        assert key.startswith(SPARK_CODE_PREFIX)
        assert key.startswith(LAYER_PREFIX)


def test_glues_job_metrics_give_the_job_its_duration_and_errors_alarms(prod, job):
    """The observability pack requires a Glue job's duration and errors alarms on Glue's job
    metrics, which Glue publishes only with --enable-metrics
    (https://docs.aws.amazon.com/glue/latest/dg/monitoring-awsglue-with-cloudwatch-metrics.html)."""
    assert job["defaultArguments"]["--enable-metrics"] == "true"
    alarms = _alarms(prod)
    prefix = f"prod-data-platform-prod-{PIPELINE}-"
    dims = {"JobName": JOB, "JobRunId": "ALL", "Type": "count"}
    duration = alarms[prefix + "drift-job-duration"]
    assert (duration["namespace"], duration["metricName"]) == (
        "Glue",
        "glue.driver.aggregate.elapsedTime",
    )
    assert duration["dimensions"] == dims
    assert duration["threshold"] == 120 * 60_000 * 0.8  # 80% of the job's timeout, in ms
    tasks = alarms[prefix + "drift-job-task-failures"]
    assert tasks["metricName"] == "glue.driver.aggregate.numFailedTasks"
    assert tasks["dimensions"] == dims
