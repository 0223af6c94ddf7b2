"""The monitoring jobs deployed by default in the shipped environments, with alarms on their
signals, under the Pulumi mocks and the real deploy-readiness pack.

AWS documentation these tests rest on:
* Lambda quotas (a function and all its layers at most 250 MB unzipped, 50 MB zipped for a
  direct upload, five layers): https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
* How an alarm treats missing data (breaching: silence is ALARM):
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
* PutMetricData is narrowed by the cloudwatch:namespace condition key only:
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from obsgov import metric_contract as mc
from obsgov.drift.definition import ALARM_COMPARISON_OPERATOR, alarm_threshold_percent
from obsgov.gate.engine import GateOptions, run_pack
from obsgov.gate.environment_layer import EnvironmentLayer
from obsgov.gate.pack_config import load_pack_config_file
from obsgov.gate.project import load_policy_pack

ROOT = Path(__file__).resolve().parents[2]
PRODUCER = "obsgov-deploy-alarm-require-producer"
OBSGOV_NAMESPACES = (
    mc.DATA_QUALITY_NAMESPACE,
    mc.MODEL_QUALITY_NAMESPACE,
    mc.PIPELINE_NAMESPACE,
)


def _producer_findings(example_env, example_graph, stack: str) -> list[str]:
    env = example_env(stack)
    result = run_pack(
        load_policy_pack(ROOT / "policies/deploy-readiness"),
        example_graph(stack, True),
        [
            EnvironmentLayer(env),
            load_pack_config_file(ROOT / f"stacks/policy-packs/{stack}/deploy-readiness.json"),
        ],
        GateOptions(stack_config=env.config_map),
    )
    assert result.error is None
    return [v.detail for v in result.violations if v.policy == PRODUCER]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_obsgov_quality_alarm_has_its_producer_in_the_stack(
    stack, example_env, example_graph
):
    """Before: no shipped environment deployed the drift or model-quality job, so prod had 4
    such findings (DataQuality and ModelQuality alarms nothing published)."""
    findings = _producer_findings(example_env, example_graph, stack)
    quality = [
        f
        for f in findings
        if mc.DATA_QUALITY_NAMESPACE in f or mc.MODEL_QUALITY_NAMESPACE in f or "DataStale" in f
    ]
    assert quality == []
    if stack == "prod":
        assert findings == []


def _alarms(graph, metric: str) -> list:
    return [
        a
        for a in graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs.get("metricName") == metric
    ]


def test_jobs_are_deployed_by_default_as_zip_functions(example_graph):
    """prod's transactions-daily pipeline sets driftJob.engine spark (stacks/accounts.yaml):
    its drift job is the Glue job (tests/drift/test_drift_glue_job.py), so its account has
    no Lambda drift job and no layer."""
    graph = example_graph("prod", True)
    functions = {f.inputs["name"]: f.inputs for f in graph.of_type("aws:lambda/function:Function")}
    drift = {n: f for n, f in functions.items() if n.startswith("obsgov-drift-")}
    assert sorted(drift) == [
        "obsgov-drift-endpoint-churn-propensity-prod",
        "obsgov-drift-endpoint-fraud-scoring-prod",
    ]
    glue_jobs = [j.inputs["name"] for j in graph.of_type("aws:glue/job:Job")]
    assert "obsgov-drift-pipeline-transactions-daily-prod" in glue_jobs
    for function in drift.values():
        assert function.get("packageType") in (None, "Zip")
        assert "imageUri" not in function
        assert function["runtime"] == "python3.12"
        assert len(function["layers"]) == 1
    assert "obsgov-prod-ml-serving-prod-model-quality" in functions
    assert "obsgov-prod-data-platform-prod-freshness" in functions
    layers = graph.of_type("aws:lambda/layerVersion:LayerVersion")
    assert len(layers) == 1  # one per account with a Lambda drift job
    for layer in layers:
        assert layer.inputs["layerName"] == "obsgov-prod-drift"
        # published from S3: the layer is above the 50 MB a direct upload allows
        assert layer.inputs["s3Key"] == "layers/obsgov-drift.zip"
        assert "code" not in layer.inputs
        assert layer.inputs["compatibleRuntimes"] == ["python3.12"]


def test_the_drift_role_publishes_only_its_namespace_and_reads_its_prefixes(example_graph):
    graph = example_graph("prod", True)
    policies = [
        json.loads(p.inputs["policy"])
        for p in graph.of_type("aws:iam/rolePolicy:RolePolicy")
        if isinstance(p.inputs.get("policy"), str)
        and "obsgov-drift-endpoint-fraud-scoring-prod" in p.inputs["policy"]
    ]
    [policy] = policies
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["PublishDataQualityMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": mc.DATA_QUALITY_NAMESPACE}
    }
    bucket = "obsgov-prod-monitoring-400000000001"
    assert by_sid["ListWindow"]["Condition"] == {
        "StringLike": {"s3:prefix": ["datacapture/fraud-scoring-prod/*"]}
    }
    assert by_sid["ReportsAndCheckpoint"]["Resource"] == (
        f"arn:aws:s3:::{bucket}/reports/drift/fraud-scoring-prod/*"
    )
    assert by_sid["UseMonitoringKey"]["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/obsgov-prod-monitoring-data"}
    }


def test_signal_alarms_page_when_a_job_never_runs(example_graph):
    graph = example_graph("prod", True)
    for metric in (mc.NO_DATA.name, mc.ROWS_EVALUATED.name, mc.NOT_ENOUGH_LABELS.name):
        found = _alarms(graph, metric)
        assert found, metric
        assert {a.inputs["treatMissingData"] for a in found} == {"breaching"}, metric
    stale = _alarms(graph, mc.DATA_STALE.name)
    assert sorted(a.inputs["dimensions"]["Pipeline"] for a in stale) == [
        "events-enricher-prod",
        "feature-refresh-prod",
        "transactions-daily-prod",
    ]
    assert {a.inputs["treatMissingData"] for a in stale} == {"breaching"}
    # the freshness job runs every 15 minutes: silence for two runs is an alarm
    assert {a.inputs["period"] for a in stale} == {1800}


def test_dataset_drift_alarm_uses_the_one_definition(example_graph):
    graph = example_graph("prod", True)
    found = [
        a
        for a in _alarms(graph, mc.DRIFTED_FEATURE_SHARE.name)
        if a.inputs["name"].endswith("-dataset-drift")
    ]
    assert len(found) == 3
    for alarm in found:
        assert alarm.inputs["threshold"] == alarm_threshold_percent()
        assert alarm.inputs["comparisonOperator"] == ALARM_COMPARISON_OPERATOR
        # an unjudged window publishes no share; its drift-no-data sibling pages instead
        assert alarm.inputs["treatMissingData"] == "notBreaching"
        kind, name = next(iter(alarm.inputs["dimensions"].items()))
        siblings = [
            a for a in _alarms(graph, mc.NO_DATA.name) if a.inputs["dimensions"] == {kind: name}
        ]
        assert [a.inputs["treatMissingData"] for a in siblings] == ["breaching"]


def _watched_series(alarm) -> list[tuple[str, str, tuple]]:
    """(namespace, metric, dimensions) of every metric an alarm reads, whether it names one
    metric or holds metric queries."""
    inputs = alarm.inputs
    if inputs.get("metricName"):
        dims = tuple(sorted((inputs.get("dimensions") or {}).items()))
        return [(inputs["namespace"], inputs["metricName"], dims)]
    series = []
    for query in inputs.get("metricQueries") or []:
        metric = query.get("metric") or {}
        if metric.get("metricName"):
            dims = tuple(sorted((metric.get("dimensions") or {}).items()))
            series.append((metric["namespace"], metric["metricName"], dims))
    return series


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_a_drifted_window_pages_once(stack, example_graph):
    """Before: the endpoint baseline carried its own drift alarm on the DriftedFeatureShare the
    drift job's dataset-drift alarm watches, so each drifted window paged twice. Every alarm on
    a job's quality figures now comes with the job: one alarm per series."""
    graph = example_graph(stack, True)
    watchers: dict[tuple, list[str]] = {}
    for alarm in graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        for series in _watched_series(alarm):
            if series[1] == mc.DRIFTED_FEATURE_SHARE.name:
                watchers.setdefault(series, []).append(alarm.inputs["name"])
    assert watchers, stack
    assert {k: v for k, v in watchers.items() if len(v) > 1} == {}
    assert all(names[0].endswith("-dataset-drift") for names in watchers.values())


def test_signal_alarms_are_routed_by_severity(example_graph):
    graph = example_graph("prod", True)
    [alarm] = [
        a
        for a in graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs["name"] == "prod-data-platform-prod-transactions-daily-prod-data-stale"
    ]
    # the central bus routes on the description's [LEVEL] and the account's name prefix
    assert alarm.inputs["alarmDescription"].startswith("[HIGH] ")
    assert alarm.inputs["tags"]["severity"] == "high"
    assert alarm.inputs["alarmActions"] == alarm.inputs["okActions"]
    assert alarm.inputs["alarmActions"]


def test_default_ground_truth_and_freshness_come_from_the_registry(example_graph):
    graph = example_graph("prod", True)
    targets = [
        json.loads(t.inputs["input"])
        for t in graph.of_type("aws:cloudwatch/eventTarget:EventTarget")
        if isinstance(t.inputs.get("input"), str)
    ]
    quality = [t for t in targets if "labelsUri" in t]
    assert [(t["endpoint"], t["problem"], t["labelsUri"]) for t in quality] == [
        (
            "fraud-scoring-prod",
            "binary",
            "s3://obsgov-prod-monitoring-400000000001/ground-truth/fraud-scoring-prod/",
        )
    ]
    [freshness] = [t for t in targets if "pipelines" in t]
    by_name = {p["pipeline"]: p for p in freshness["pipelines"]}
    assert by_name["transactions-daily-prod"] == {
        "pipeline": "transactions-daily-prod",
        "location": "s3://obsgov-prod-monitoring-400000000002/datasets/transactions-daily-prod/",
        "intervalMinutes": 1440,
        "graceMinutes": 30,
    }


def test_the_program_fails_naming_the_command_when_the_layer_was_never_built(tmp_path):
    from tests.support.environments import shipped

    env = shipped(tmp_path / "stacks", "dev")
    env.config["obsgov:driftMonitoring"] = {"layerDir": "build/no-such-layer"}
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the synthesis error's type varies
        env.synthesize(preview=False)
    assert "obsgov build-layer" in str(caught.value)
    assert "build/no-such-layer" in str(caught.value)


def test_a_preview_without_the_layer_shows_a_placeholder_layer(tmp_path):
    """README's first command previews a fresh clone, where nothing has built the layer yet:
    the plan holds the layer with a placeholder hash; only `pulumi up` needs the build."""
    from components.lifecycle.monitoring_store import NOT_BUILT
    from tests.support.environments import shipped

    env = shipped(tmp_path / "stacks", "dev")
    env.config["obsgov:driftMonitoring"] = {"layerDir": "build/no-such-layer"}
    graph = env.synthesize(preview=True)
    layers = graph.of_type("aws:lambda/layerVersion:LayerVersion")
    assert layers
    assert {layer.inputs["sourceCodeHash"] for layer in layers} == {NOT_BUILT}


def test_a_deploy_refuses_a_layer_built_from_site_packages(tmp_path, monkeypatch):
    """The shared test layer is a --from-site build: fine for preview, refused for `up`
    unless the test suite's own switch is set (tests/conftest.py), as it never is in a deploy."""
    from components.lifecycle.monitoring_store import TEST_SITE_LAYER
    from tests.support.environments import shipped

    monkeypatch.delenv(TEST_SITE_LAYER, raising=False)

    env = shipped(tmp_path / "stacks", "dev")
    with pytest.raises(Exception) as caught:  # noqa: PT011
        env.synthesize(preview=False)
    assert "without --from-site" in str(caught.value)


def test_defaults_work_on_a_fresh_environment_and_an_image_is_refused(tmp_path):
    from obsgov.config.models.settings import DriftMonitoringSettings, rate_seconds

    fresh = DriftMonitoringSettings()
    assert fresh.enabled
    assert fresh.buckets("dev", "200000000001") == ("obsgov-dev-monitoring-200000000001",) * 3
    assert rate_seconds(fresh.schedule) == 3600
    assert rate_seconds(fresh.freshness_schedule) == 900
    with pytest.raises(ValueError, match="imageUri is no longer used"):
        DriftMonitoringSettings.model_validate({"imageUri": "1.dkr.ecr.x.amazonaws.com/d:1"})


def test_a_hung_step_functions_execution_has_a_deployed_producer_and_an_alarm(example_graph):
    """Step Functions publishes ExecutionTime only when an execution closes
    (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html): the
    freshness job lists RUNNING executions (ListExecutions, authorised on the state machine:
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html)
    and publishes OverdueExecutions, which one alarm per Step Functions pipeline watches."""
    graph = example_graph("prod", True)
    arn = "arn:aws:states:eu-west-1:400000000002:stateMachine:feature-refresh-prod"
    targets = [
        json.loads(t.inputs["input"])
        for t in graph.of_type("aws:cloudwatch/eventTarget:EventTarget")
        if isinstance(t.inputs.get("input"), str)
    ]
    [freshness] = [t for t in targets if "pipelines" in t]
    by_name = {p["pipeline"]: p for p in freshness["pipelines"]}
    assert (
        by_name["feature-refresh-prod"]["stateMachineArn"],
        by_name["feature-refresh-prod"]["maxDurationMinutes"],
    ) == (arn, 45)
    assert "stateMachineArn" not in by_name["transactions-daily-prod"]  # Glue
    [policy] = [
        json.loads(p.inputs["policy"])
        for p in graph.of_type("aws:iam/rolePolicy:RolePolicy")
        if isinstance(p.inputs.get("policy"), str) and "ListRunningExecutions" in p.inputs["policy"]
    ]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["ListRunningExecutions"] == {
        "Sid": "ListRunningExecutions",
        "Effect": "Allow",
        "Action": "states:ListExecutions",
        "Resource": [arn],
    }
    [overdue] = _alarms(graph, mc.OVERDUE_EXECUTIONS.name)
    assert overdue.inputs["name"] == "prod-data-platform-prod-feature-refresh-prod-running-overdue"
    assert (
        overdue.inputs["namespace"],
        overdue.inputs["dimensions"],
        overdue.inputs["statistic"],
        overdue.inputs["comparisonOperator"],
        overdue.inputs["threshold"],
        overdue.inputs["period"],
    ) == (
        mc.PIPELINE_NAMESPACE,
        {"Pipeline": "feature-refresh-prod"},
        "Maximum",
        "GreaterThanOrEqualToThreshold",
        1,
        1800,
    )
