"""The alarms of each workload kind, as synthesized from the shipped registry: namespaces,
metric names, units, dimensions, statistics, periods, thresholds derived from the SLOs and
anomaly-band structure (AWS facts: SageMaker and CloudWatch alarm documentation)."""

from __future__ import annotations

import pytest
from moto.events.utils import EventMessageType

from components.workload_kinds import WORKLOAD_KINDS
from obsgov.config.models.accounts import WORKLOAD_MODELS

from .conftest import ALARM, COMPOSITE, alarm, by_name, members

SM_DIMS = {"EndpointName": "fraud-scoring-prod", "VariantName": "AllTraffic"}
FRAUD = "prod-ml-serving-prod-fraud-scoring-prod"
CHURN = "prod-ml-serving-prod-churn-propensity-prod"
DATA = "prod-data-platform-prod"
KPI = "prod-analytics-prod"


def test_every_registry_model_has_one_entry_in_the_kinds_table():
    names = [kind.name for kind in WORKLOAD_KINDS]
    assert sorted(names) == sorted(WORKLOAD_MODELS)
    assert [kind.model for kind in WORKLOAD_KINDS] == [WORKLOAD_MODELS[n] for n in names]


def test_static_latency_alarm_is_p99_model_latency_in_microseconds(prod):
    latency = alarm(prod, f"{FRAUD}-latency-p99")
    assert {
        k: latency[k]
        for k in (
            "namespace",
            "metricName",
            "extendedStatistic",
            "unit",
            "dimensions",
            "period",
            "threshold",
            "comparisonOperator",
        )
    } == {
        "namespace": "AWS/SageMaker",
        "metricName": "ModelLatency",
        "extendedStatistic": "p99",
        "unit": "Microseconds",
        "dimensions": SM_DIMS,
        # minInvocationsPerMinute 5 needs 200 minutes for p99's 1,000 samples: capped at an hour
        "period": 3600,
        "threshold": 120_000,  # the SLO's 120 ms
        "comparisonOperator": "GreaterThanThreshold",
    }
    assert "statistic" not in latency
    # a period short of 1,000 samples keeps the state instead of judging its maximum
    # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html)
    assert latency["evaluateLowSampleCountPercentiles"] == "ignore"
    # one hour of enough samples is a p99 already
    assert (latency["evaluationPeriods"], latency["datapointsToAlarm"]) == (1, 1)
    assert latency["treatMissingData"] == "breaching"
    churn = alarm(prod, f"{CHURN}-latency-p99")
    # no expected rate: the environment's period, low-sample minutes ignored
    assert (churn["period"], churn["evaluateLowSampleCountPercentiles"]) == (60, "ignore")
    assert (churn["evaluationPeriods"], churn["datapointsToAlarm"]) == (5, 3)


def test_overhead_latency_uses_the_slo_or_its_default(prod):
    overhead = alarm(prod, f"{FRAUD}-overhead-latency")
    assert (
        overhead["metricName"],
        overhead["unit"],
        overhead["extendedStatistic"],
        overhead["threshold"],
    ) == ("OverheadLatency", "Microseconds", "p99", 50_000)


@pytest.mark.parametrize(
    ("signal", "metric", "slo"),
    [("errors-5xx", "Invocation5XXErrors", 1), ("errors-4xx", "Invocation4XXErrors", 5)],
)
def test_error_rates_are_metric_math_over_invocations(prod, signal, metric, slo):
    rate = alarm(prod, f"{FRAUD}-{signal}")
    queries = {q["id"]: q for q in rate["metricQueries"]}
    assert set(queries) == {"errors", "calls", "e1"}
    for qid, name in (("errors", metric), ("calls", "Invocations")):
        assert queries[qid]["returnData"] is False
        assert queries[qid]["metric"] == {
            "namespace": "AWS/SageMaker",
            "metricName": name,
            "dimensions": SM_DIMS,
            "period": 60,
            "stat": "Sum",
        }
    assert queries["e1"]["expression"] == "IF(calls > 0, 100 * errors / calls, 0)"
    assert queries["e1"]["returnData"] is True
    assert rate["threshold"] == slo
    assert rate["comparisonOperator"] == "GreaterThanThreshold"
    assert "namespace" not in rate
    assert "metricName" not in rate


@pytest.mark.parametrize(
    ("signal", "metric", "stat", "operator"),
    [
        ("latency-anomaly", "ModelLatency", "Average", "GreaterThanUpperThreshold"),
        ("invocations-anomaly", "Invocations", "Sum", "LessThanLowerThreshold"),
    ],
)
def test_anomaly_bands_have_the_structure_cloudwatch_requires(prod, signal, metric, stat, operator):
    band = alarm(prod, f"{FRAUD}-{signal}")
    assert band["comparisonOperator"] == operator
    assert band["thresholdMetricId"] == "ad1"
    assert "threshold" not in band
    m1, ad1 = band["metricQueries"]
    assert m1["id"] == "m1"
    assert m1["returnData"] is True
    assert m1["metric"]["namespace"] == "AWS/SageMaker"
    assert m1["metric"]["metricName"] == metric
    assert m1["metric"]["stat"] == stat
    assert m1["metric"]["dimensions"] == SM_DIMS
    assert m1["metric"]["period"] == 60
    assert ad1["id"] == "ad1"
    assert ad1["expression"] == "ANOMALY_DETECTION_BAND(m1, 2)"


def test_zero_invocations_alarm_breaches_on_missing_data(prod, dev):
    fraud = alarm(prod, f"{FRAUD}-invocations-zero")
    assert (
        fraud["metricName"],
        fraud["statistic"],
        fraud["comparisonOperator"],
        fraud["treatMissingData"],
    ) == ("Invocations", "Sum", "LessThanThreshold", "breaching")
    assert fraud["threshold"] == 5  # minInvocationsPerMinute 5 over a 60 s period
    # dev's periods are 300 s: 25 invocations per period; without the SLO, at least one
    assert alarm(dev, "dev-ml-serving-dev-fraud-scoring-dev-invocations-zero")["threshold"] == 25
    assert alarm(prod, f"{CHURN}-invocations-zero")["threshold"] == 1


def test_saturation_alarms_read_the_instance_namespace(prod):
    cpu = alarm(prod, f"{FRAUD}-cpu")
    assert (cpu["namespace"], cpu["metricName"], cpu["unit"], cpu["statistic"]) == (
        "/aws/sagemaker/Endpoints",
        "CPUUtilization",
        "Percent",
        "Average",
    )
    # CPUUtilization sums the cores: 70% per vCPU on 4 vCPUs
    assert cpu["threshold"] == 280
    # churn-propensity sets no limits: the defaults, CPU times its 2 default vCPUs
    assert alarm(prod, f"{CHURN}-cpu")["threshold"] == 160
    assert alarm(prod, f"{CHURN}-memory")["threshold"] == 85
    assert alarm(prod, f"{CHURN}-disk")["threshold"] == 80
    assert alarm(prod, f"{CHURN}-disk")["metricName"] == "DiskUtilization"
    # the on-call is told what fills the disk
    assert alarm(prod, f"{CHURN}-disk")["alarmDescription"] == (
        "[MEDIUM] Disk of churn-propensity-prod's instances is above 80%. Look at: "
        "/aws/sagemaker/Endpoints metrics and the endpoint's instances (DiskUtilization): "
        "model artifacts and temp files. "
        "Runbook: https://runbooks.example.com/obsgov/ml-endpoint/disk"
    )
    assert alarm(prod, f"{CHURN}-memory")["dimensions"] == {
        "EndpointName": "churn-propensity-prod",
        "VariantName": "AllTraffic",
    }


def test_drift_and_model_quality_alarms_follow_the_metric_contract(prod, dev):
    # the drift job's own alarm (components/lifecycle/signal_alarms.py): the baseline has none,
    # so a drifted window pages once
    drift = alarm(prod, f"{FRAUD}-dataset-drift")
    assert f"{FRAUD}-drift" not in by_name(prod, ALARM)
    assert {
        k: drift.get(k)
        for k in (
            "namespace",
            "metricName",
            "dimensions",
            "statistic",
            "unit",
            "period",
            "threshold",
            "comparisonOperator",
            "treatMissingData",
            "evaluationPeriods",
        )
    } == {
        "namespace": "Obsgov/DataQuality",
        "metricName": "DriftedFeatureShare",
        "dimensions": {"Endpoint": "fraud-scoring-prod"},
        "statistic": "Maximum",
        "unit": None,  # any unit the job publishes the share in
        "period": 7200,  # the hourly job's last run is always inside the window
        # obsgov/drift/definition.py: DRIFTED_SHARE 0.5, share >= threshold
        "threshold": 50,
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
        # an unjudged window publishes no share: its drift-no-data sibling pages instead
        "treatMissingData": "notBreaching",
        "evaluationPeriods": 1,
    }
    quality = alarm(prod, f"{FRAUD}-model-quality")
    assert {
        k: quality[k]
        for k in (
            "namespace",
            "metricName",
            "dimensions",
            "threshold",
            "comparisonOperator",
            "unit",
        )
    } == {
        "namespace": "Obsgov/ModelQuality",
        "metricName": "AUC",
        # the job publishes under Endpoint alone too; the version is read at run time
        "dimensions": {"Endpoint": "fraud-scoring-prod"},
        "threshold": 0.85,
        "comparisonOperator": "LessThanThreshold",
        "unit": "None",
    }
    names = set(by_name(dev, ALARM))
    # churn-propensity-dev has driftMonitoring: false and no modelQuality
    assert not {n for n in names if n.endswith("-drift") and not n.endswith("-dataset-drift")}
    assert "dev-ml-serving-dev-churn-propensity-dev-model-quality" not in names
    assert "dev-ml-serving-dev-churn-propensity-dev-dataset-drift" not in names
    assert "dev-ml-serving-dev-fraud-scoring-dev-dataset-drift" in names


def test_the_model_quality_alarm_watches_a_series_the_job_publishes(prod):
    """A CloudWatch alarm matches only the exact dimension set it names ("Metrics": a metric
    is its namespace, name and all its dimensions,
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension).
    The job publishes the release it finds at run time, whatever accounts.yaml says."""
    from datetime import UTC, datetime

    from obsgov.model_quality.job import QualityResult, publish
    from obsgov.model_quality.join import Joined

    class Recorder:  # what the job hands PutMetricData
        def __init__(self) -> None:
            self.calls: list[dict] = []

        def put_metric_data(self, **call):
            self.calls.append(call)

    quality = alarm(prod, f"{FRAUD}-model-quality")
    result = QualityResult(
        endpoint="fraud-scoring-prod",
        model_version="a release accounts.yaml never named",
        problem="binary",
        metrics={"AUC": 0.5},
        joined=Joined(pairs=[(0.5, 1.0)]),
    )
    recorder = Recorder()
    publish(recorder, result, datetime(2026, 1, 1, tzinfo=UTC))
    published = {
        (
            call["Namespace"],
            datum["MetricName"],
            frozenset((d["Name"], d["Value"]) for d in datum["Dimensions"]),
        )
        for call in recorder.calls
        for datum in call["MetricData"]
    }
    watched = (
        quality["namespace"],
        quality["metricName"],
        frozenset(quality["dimensions"].items()),
    )
    assert watched in published


def test_regression_quality_metrics_alarm_when_they_rise(inline_env):
    env = inline_env("dev")
    fraud = next(w for w in env.registry["workloads"] if w["name"] == "fraud-scoring-dev")
    fraud["modelQuality"] = {"metric": "RMSE", "threshold": 3.5}
    quality = alarm(env.synthesize(), "dev-ml-serving-dev-fraud-scoring-dev-model-quality")
    assert (quality["metricName"], quality["comparisonOperator"], quality["threshold"]) == (
        "RMSE",
        "GreaterThanThreshold",
        3.5,
    )


@pytest.mark.parametrize(
    ("workload", "namespace", "dims", "duration", "unit", "failed", "total"),
    [
        (
            "transactions-daily-prod",
            "Glue",
            {"JobName": "transactions-daily-prod", "JobRunId": "ALL", "Type": "count"},
            "glue.driver.aggregate.elapsedTime",
            None,
            "glue.driver.aggregate.numFailedTasks",
            ["glue.driver.aggregate.numCompletedTasks", "glue.driver.aggregate.numFailedTasks"],
        ),
        (
            "feature-refresh-prod",
            "AWS/States",
            {
                "StateMachineArn": "arn:aws:states:eu-west-1:400000000002:stateMachine:feature-refresh-prod"
            },
            "ExecutionTime",
            "Milliseconds",
            "ExecutionsFailed",
            ["ExecutionsStarted"],
        ),
        (
            "events-enricher-prod",
            "AWS/Lambda",
            {"FunctionName": "events-enricher-prod"},
            "Duration",
            "Milliseconds",
            "Errors",
            ["Invocations"],
        ),
    ],
)
def test_pipeline_engine_metrics(prod, workload, namespace, dims, duration, unit, failed, total):
    prefix = f"{DATA}-{workload}"
    slo_minutes = {
        "transactions-daily-prod": 90,
        "feature-refresh-prod": 45,
        "events-enricher-prod": 5,
    }[workload]
    timing = alarm(prod, f"{prefix}-duration")
    assert (
        timing["namespace"],
        timing["metricName"],
        timing["dimensions"],
        timing["statistic"],
        timing.get("unit"),
    ) == (namespace, duration, dims, "Maximum", unit)
    assert timing["threshold"] == slo_minutes * 60_000
    # one bad run is enough: batch runs report once
    assert (timing["evaluationPeriods"], timing["datapointsToAlarm"]) == (1, 1)
    failures = alarm(prod, f"{prefix}-failures")
    assert failures["threshold"] == {"feature-refresh-prod": 1}.get(workload, 0)
    if namespace == "Glue":
        # Glue: runs counted from Glue's state-change events (issue 29); pinned by
        # test_glue_failures_count_failed_runs_from_state_change_events
        assert failures["namespace"] == "AWS/Events"
        return
    if namespace == "AWS/States":
        # Step Functions: timed-out and aborted executions are failed runs too (issue 29);
        # test_step_functions_failures_count_timeouts_and_aborts pins the expression.
        failure_queries = {q["id"]: q for q in failures["metricQueries"]}
        assert failure_queries["failed"]["metric"]["metricName"] == failed
    else:
        assert (failures["metricName"], failures["statistic"]) == (failed, "Sum")
    rate = alarm(prod, f"{prefix}-error-rate")
    queries = {q["id"]: q for q in rate["metricQueries"]}
    assert queries["failed"]["metric"]["metricName"] == failed
    assert [queries[f"t{i}"]["metric"]["metricName"] for i in range(len(total))] == total
    assert all(q["metric"]["dimensions"] == dims for q in queries.values() if "metric" in q)
    denominator = " + ".join(f"t{i}" for i in range(len(total)))
    numerator = (
        "(FILL(failed, 0) + FILL(x0, 0) + FILL(x1, 0))" if namespace == "AWS/States" else "failed"
    )
    assert queries["e1"]["expression"] == (
        f"IF(({denominator}) > 0, 100 * {numerator} / ({denominator}), 0)"
    )
    assert rate["threshold"] == {"events-enricher-prod": 2}.get(workload, 5)


@pytest.mark.parametrize(
    ("workload", "interval_minutes"),
    [("transactions-daily-prod", 1440), ("feature-refresh-prod", 60), ("events-enricher-prod", 15)],
)
def test_pipeline_freshness_and_throughput_use_the_contract_and_the_schedule(
    prod, workload, interval_minutes
):
    prefix = f"{DATA}-{workload}"
    fresh = alarm(prod, f"{prefix}-freshness")
    assert {
        k: fresh[k]
        for k in (
            "namespace",
            "metricName",
            "dimensions",
            "statistic",
            "unit",
            "period",
            "threshold",
            "comparisonOperator",
            "treatMissingData",
            "evaluationPeriods",
        )
    } == {
        "namespace": "Obsgov/Pipelines",
        "metricName": "RunSucceeded",
        "dimensions": {"Pipeline": workload},
        "statistic": "Sum",
        "unit": "Count",
        "period": interval_minutes * 60,
        "threshold": 1,
        "comparisonOperator": "LessThanThreshold",
        "treatMissingData": "breaching",
        "evaluationPeriods": 1,
    }
    band = alarm(prod, f"{prefix}-throughput-anomaly")
    m1, ad1 = band["metricQueries"]
    assert m1["metric"] == {
        "namespace": "Obsgov/Pipelines",
        "metricName": "RecordsProcessed",
        "dimensions": {"Pipeline": workload},
        "stat": "Sum",
        "unit": "Count",
        "period": interval_minutes * 60,
    }
    assert ad1["expression"] == "ANOMALY_DETECTION_BAND(m1, 2)"
    assert band["comparisonOperator"] == "LessThanLowerThreshold"


def test_pipeline_data_quality_alarm_only_when_monitored(prod):
    names = set(by_name(prod, ALARM))
    quality = alarm(prod, f"{DATA}-transactions-daily-prod-data-quality")
    assert (
        quality["namespace"],
        quality["metricName"],
        quality["dimensions"],
        quality["threshold"],
    ) == ("Obsgov/DataQuality", "SchemaViolations", {"Pipeline": "transactions-daily-prod"}, 0)
    # one violation is one too many; the job publishes the metric as a Count sum per run
    assert (quality["comparisonOperator"], quality["statistic"], quality["unit"]) == (
        "GreaterThanThreshold",
        "Sum",
        "Count",
    )
    assert f"{DATA}-feature-refresh-prod-data-quality" not in names


def test_kpi_bands_and_static_bounds(prod):
    loans = alarm(prod, f"{KPI}-approved-loans-prod-anomaly")
    assert loans["comparisonOperator"] == "LessThanLowerThreshold"  # alertOn: drop
    assert loans["metricQueries"][0]["metric"] == {
        "namespace": "Obsgov/Business",
        "metricName": "ApprovedLoans",
        "dimensions": {"Product": "personal-loan"},
        "stat": "Sum",
        "period": 60,
    }
    assert "fraud-scoring-prod" in loans["alarmDescription"]  # drivenBy
    below = alarm(prod, f"{KPI}-approved-loans-prod-below-bound")
    assert (below["threshold"], below["comparisonOperator"], below["statistic"]) == (
        10,
        "LessThanThreshold",
        "Sum",
    )
    conversion = f"{KPI}-checkout-conversion-prod"
    assert alarm(prod, f"{conversion}-anomaly")["comparisonOperator"] == (
        "LessThanLowerOrGreaterThanUpperThreshold"
    )
    assert alarm(prod, f"{conversion}-above-bound")["threshold"] == 25
    assert alarm(prod, f"{conversion}-below-bound")["threshold"] == 0.5
    assert f"{KPI}-approved-loans-prod-above-bound" not in by_name(prod, ALARM)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_period_and_window_is_one_cloudwatch_accepts(example_graph, stack):
    for resource in members(example_graph(stack, True), ALARM):
        props = resource.inputs
        periods = (
            [props["period"]]
            if "period" in props
            else [q["metric"]["period"] for q in props["metricQueries"] if "metric" in q]
        )
        assert periods, resource.name
        for period in periods:
            assert period in (10, 20, 30) or period % 60 == 0, (resource.name, period)
        limit = 604_800 if max(periods) >= 3600 else 86_400
        assert max(periods) * props["evaluationPeriods"] <= limit, resource.name
        assert props["datapointsToAlarm"] <= props["evaluationPeriods"], resource.name


def test_runbook_urls_fill_every_placeholder_the_config_allows():
    """``alertRouting.runbookUrl`` may use {account}, {kind}, {signal} and {workload}."""
    import pulumi

    from components.member.alarm_spec import AlarmContext
    from obsgov.config.models.settings import RUNBOOK_FIELDS, AlarmDefaults

    assert set(RUNBOOK_FIELDS) == {"account", "kind", "signal", "workload"}

    context = AlarmContext(
        logical_prefix="member",
        environment="prod",
        account_name="ml-serving-prod",
        account_id="400000000001",
        region="eu-west-1",
        defaults=AlarmDefaults(),
        actions=[],
        opts=pulumi.ResourceOptions(),
        runbook_url="https://runbooks.example.com/{account}/{kind}/{workload}/{signal}",
    )
    assert context.runbook("MlEndpoint", "fraud-scoring", "latency-p99") == (
        "https://runbooks.example.com/ml-serving-prod/MlEndpoint/fraud-scoring/latency-p99"
    )
    assert AlarmContext(**{**context.__dict__, "runbook_url": None}).runbook("k", "w", "s") is None


def test_every_kind_has_an_example_in_the_shipped_registry(example_env):
    # the graph tests above judge the kinds through the examples: a kind without one is untested
    registry = example_env("prod").registry
    assert {w.kind for w in registry.workloads} == {kind.name for kind in WORKLOAD_KINDS}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_alarms_and_kinds_speak_the_shared_signal_vocabulary(example_graph, example_env, stack):
    from obsgov_policies.signals import COMPOSITE as COMPOSITE_CLASS
    from obsgov_policies.signals import SIGNAL_CLASSES

    graph = example_graph(stack, True)
    tags = {r.inputs["tags"]["signal-class"] for r in members(graph, ALARM, COMPOSITE)}
    assert tags <= {*SIGNAL_CLASSES, COMPOSITE_CLASS}
    for workload in example_env(stack).registry.workloads:
        from components.workload_kinds import kind_of

        assert kind_of(workload).signal_classes(workload) <= set(SIGNAL_CLASSES)


def test_step_functions_failures_count_timeouts_and_aborts(prod):
    # ExecutionsFailed does not count executions that timed out or were aborted: Step Functions
    # publishes ExecutionsTimedOut and ExecutionsAborted for those
    # (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html).
    for signal in ("failures", "error-rate"):
        queries = {
            q["id"]: q
            for q in alarm(prod, f"{DATA}-feature-refresh-prod-{signal}")["metricQueries"]
        }
        names = {q["metric"]["metricName"] for q in queries.values() if "metric" in q}
        assert {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"} <= names
        [expression] = [q["expression"] for q in queries.values() if "expression" in q]
        assert "FILL(x0, 0)" in expression
        assert "FILL(x1, 0)" in expression


def test_glue_failures_count_failed_runs_from_state_change_events(prod):
    # numFailedTasks counts retried Spark tasks and nothing when a run fails before Spark
    # starts; Glue's "Glue Job State Change" event carries the run's end state
    # (https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html),
    # and EventBridge publishes each rule's MatchedEvents by RuleName
    # (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html).
    import json

    from moto.events.models import EventPattern

    job = "transactions-daily-prod"
    rules = {
        r.inputs["name"]: json.loads(r.inputs["eventPattern"])
        for r in prod.of_type("aws:cloudwatch/eventRule:EventRule")
        if r.inputs["name"].startswith(f"obsgov-prod-glue-{job}-")
    }
    failed, ended = f"obsgov-prod-glue-{job}-failed", f"obsgov-prod-glue-{job}-ended"
    assert set(rules) == {failed, ended}

    def event(state: str) -> EventMessageType:
        return {
            "source": "aws.glue",
            "detail-type": "Glue Job State Change",
            "detail": {"jobName": job, "state": state, "jobRunId": "jr_1"},
        }

    def matches(rule: str, state: str) -> bool:
        return EventPattern.load(json.dumps(rules[rule])).matches_event(event(state))

    for state in ("FAILED", "TIMEOUT", "ERROR"):
        assert matches(failed, state)
        assert matches(ended, state)
    for state in ("SUCCEEDED", "STOPPED"):
        assert not matches(failed, state)
        assert matches(ended, state)
    assert not matches(failed, "RUNNING")
    assert not matches(ended, "RUNNING")

    failures = alarm(prod, f"{DATA}-{job}-failures")
    assert (failures["namespace"], failures["metricName"], failures["dimensions"]) == (
        "AWS/Events",
        "MatchedEvents",
        {"RuleName": failed},
    )
    rate = alarm(prod, f"{DATA}-{job}-error-rate")
    queries = {q["id"]: q for q in rate["metricQueries"]}
    assert queries["failed"]["metric"]["dimensions"] == {"RuleName": failed}
    assert queries["ended"]["metric"]["dimensions"] == {"RuleName": ended}
    assert "numFailedTasks" not in json.dumps(rate) + json.dumps(failures)


def test_a_quiet_kpi_period_does_not_page_but_a_silent_producer_does(dev):
    # CloudWatch evaluates a period without a datapoint by treatMissingData
    # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data):
    # the band and bounds ignore a quiet period, and one heartbeat per KPI (SampleCount over
    # an hour, missing = breaching) says when the application stopped publishing it.
    prefix = "dev-analytics-dev-approved-loans-dev"
    for signal in ("anomaly", "below-bound"):
        assert alarm(dev, f"{prefix}-{signal}")["treatMissingData"] == "notBreaching"
    heartbeat = alarm(dev, f"{prefix}-heartbeat")
    assert heartbeat["treatMissingData"] == "breaching"
    assert (heartbeat["statistic"], heartbeat["period"], heartbeat["threshold"]) == (
        "SampleCount",
        3600,
        1,
    )
    assert heartbeat["comparisonOperator"] == "LessThanThreshold"
    assert heartbeat["metricName"] == alarm(dev, f"{prefix}-below-bound")["metricName"]
