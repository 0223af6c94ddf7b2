"""Log groups, critical-event metric filters and forwarding to the central log destination."""

from __future__ import annotations

from components.member.workload_logs import critical_event_pattern

from .conftest import ALARM, alarm, by_name, members

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
SUBSCRIPTION = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
DEFAULT_TERMS = [
    "ERROR",
    "CRITICAL",
    "Traceback (most recent call last)",
    "OutOfMemoryError",
    "MemoryError",
]


def test_each_kind_gets_its_default_log_groups_with_the_environments_retention(prod, dev):
    groups = {(g.account, g.inputs["name"]): g.inputs for g in members(prod, LOG_GROUP)}
    assert set(groups) == {
        ("400000000001", "/aws/sagemaker/Endpoints/fraud-scoring-prod"),
        ("400000000001", "/aws/sagemaker/Endpoints/churn-propensity-prod"),
        ("400000000002", "/aws-glue/jobs/transactions-daily-prod"),
        ("400000000002", "/aws/vendedlogs/states/feature-refresh-prod"),
        ("400000000002", "/aws/lambda/events-enricher-prod"),
    }  # business KPIs have no logs of their own
    assert {g["retentionInDays"] for g in groups.values()} == {365}
    assert {g.inputs["retentionInDays"] for g in members(dev, LOG_GROUP)} == {30}


def test_log_groups_are_encrypted_with_their_accounts_key(example_graph):
    graph = example_graph("prod", False)
    keys = {k.account: k.outputs["arn"] for k in members(graph, "aws:kms/key:Key")}
    for group in members(graph, LOG_GROUP):
        assert group.inputs["kmsKeyId"] == keys[group.account]


def test_critical_events_become_one_metric_per_workload_with_an_alarm(prod):
    filters = {f.inputs["logGroupName"]: f.inputs for f in members(prod, METRIC_FILTER)}
    fraud = filters["/aws/sagemaker/Endpoints/fraud-scoring-prod"]
    assert fraud == {
        "name": "obsgov-critical-events",
        "logGroupName": "/aws/sagemaker/Endpoints/fraud-scoring-prod",
        "pattern": '?"ERROR" ?"CRITICAL" ?"Traceback (most recent call last)" '
        '?"OutOfMemoryError" ?"MemoryError" ?"Failed to load model" '
        '?"ModelLoadError"',
        "metricTransformation": {
            "name": "fraud-scoring-prod.CriticalEvents",
            "namespace": "Obsgov/LogEvents",
            "value": "1",
            "unit": "Count",
        },
    }
    # the registry's own terms replace the defaults
    assert filters["/aws/sagemaker/Endpoints/churn-propensity-prod"]["pattern"] == (
        '?"ERROR" ?"CRITICAL" ?"Traceback" ?"MemoryError" ?"Failed to load model"'
    )
    assert filters["/aws/lambda/events-enricher-prod"]["pattern"] == (
        critical_event_pattern(DEFAULT_TERMS)
    )
    logs_alarm = alarm(prod, "prod-ml-serving-prod-fraud-scoring-prod-critical-logs")
    assert {
        k: logs_alarm[k]
        for k in (
            "namespace",
            "metricName",
            "dimensions",
            "statistic",
            "unit",
            "threshold",
            "comparisonOperator",
            "treatMissingData",
            "evaluationPeriods",
            "datapointsToAlarm",
        )
    } == {
        "namespace": "Obsgov/LogEvents",
        "metricName": "fraud-scoring-prod.CriticalEvents",
        "dimensions": {},
        "statistic": "Sum",
        "unit": "Count",
        "threshold": 0,
        "comparisonOperator": "GreaterThanThreshold",
        "treatMissingData": "notBreaching",
        "evaluationPeriods": 1,
        "datapointsToAlarm": 1,
    }


def test_filters_wait_for_their_log_group(prod):
    groups = {g.inputs["name"]: g.urn for g in members(prod, LOG_GROUP)}
    for resource in members(prod, METRIC_FILTER, SUBSCRIPTION):
        group = resource.inputs.get("logGroupName") or resource.inputs["logGroup"]
        assert groups[group] in resource.dependencies, resource.name


def test_every_log_group_is_forwarded_to_the_central_destination(prod):
    forwarded = {f.inputs["logGroup"]: f.inputs for f in members(prod, SUBSCRIPTION)}
    assert set(forwarded) == {g.inputs["name"] for g in members(prod, LOG_GROUP)}
    for inputs in forwarded.values():
        assert inputs["destinationArn"] == (
            "arn:aws:logs:eu-west-1:100000000002:destination:obsgov-prod-logs"
        )
        assert inputs["filterPattern"] == ""
        assert inputs["name"] == "obsgov-central-forward"
        # cross-account delivery to a Logs destination takes no role
        assert "roleArn" not in inputs


def test_registry_log_settings_override_the_defaults(inline_env):
    env = inline_env("dev")
    workloads = {w["name"]: w for w in env.registry["workloads"]}
    workloads["fraud-scoring-dev"]["logGroups"] = ["/teams/fraud/app", "/teams/fraud/batch"]
    workloads["fraud-scoring-dev"]["forwardLogs"] = False
    workloads["transactions-daily-dev"]["logGroups"] = []
    workloads["feature-refresh-dev"]["criticalEventPatterns"] = []
    graph = env.synthesize()
    groups = {g.inputs["name"] for g in members(graph, LOG_GROUP)}
    assert {"/teams/fraud/app", "/teams/fraud/batch"} <= groups
    assert "/aws/sagemaker/Endpoints/fraud-scoring-dev" not in groups
    assert "/aws-glue/jobs/transactions-daily-dev" not in groups
    forwarded = {f.inputs["logGroup"] for f in members(graph, SUBSCRIPTION)}
    assert not forwarded & {"/teams/fraud/app", "/teams/fraud/batch"}
    filters = {f.inputs["logGroupName"] for f in members(graph, METRIC_FILTER)}
    assert {"/teams/fraud/app", "/teams/fraud/batch"} <= filters
    assert "/aws/vendedlogs/states/feature-refresh-dev" not in filters
    names = set(by_name(graph, ALARM))
    # no groups or no terms: no critical-event alarm
    assert "dev-data-platform-dev-transactions-daily-dev-critical-logs" not in names
    assert "dev-data-platform-dev-feature-refresh-dev-critical-logs" not in names
    assert "dev-ml-serving-dev-fraud-scoring-dev-critical-logs" in names


def test_step_functions_critical_events_match_what_step_functions_logs(prod):
    # Step Functions writes execution history events to its log group with their type
    # (ExecutionFailed, ExecutionTimedOut, ExecutionAborted), not an upper-case ERROR:
    # https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
    [flt] = [
        f
        for f in prod.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
        if f.inputs["logGroupName"] == "/aws/vendedlogs/states/feature-refresh-prod"
    ]
    for term in ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"):
        assert f'?"{term}"' in flt.inputs["pattern"]


def test_adopted_log_groups_are_imported_by_name_and_kept_on_destroy(prod, example_env):
    """`logGroup: adopt` declares the group with the import option (a log group's import id
    is its name, pulumi-aws's aws:cloudwatch/logGroup:LogGroup "Import" section) and
    retainOnDelete (the workload keeps logging there after the stack goes); `create` keeps
    the plain create. The engine imports, then applies the declared kmsKeyId and retention
    as an in-place update in the same `pulumi up` (pulumi/pulumi
    pkg/resource/deploy/step_generator.go: an import continues into the normal diff;
    TestImportOption in pkg/engine/lifecycletest/import_test.go), and refuses only a diff
    that needs a replacement, so no replace-forcing input (logGroupClass) is declared."""
    env = example_env("prod")
    ids = {a.name: a.id for a in env.registry.accounts}
    adopt = {
        (ids[w.account], name)
        for w in env.registry.workloads
        if w.environment == "prod" and w.log_group == "adopt"
        for name in w.log_group_names()
    }
    assert adopt == {
        ("400000000001", "/aws/sagemaker/Endpoints/fraud-scoring-prod"),
        ("400000000001", "/aws/sagemaker/Endpoints/churn-propensity-prod"),
        ("400000000002", "/aws/vendedlogs/states/feature-refresh-prod"),
        ("400000000002", "/aws/lambda/events-enricher-prod"),
    }
    for group in members(prod, LOG_GROUP):
        name = group.inputs["name"]
        if (group.account, name) in adopt:
            assert (group.import_id, group.retain_on_delete) == (name, True), name
            assert "logGroupClass" not in group.inputs
        else:
            assert (group.import_id, group.retain_on_delete) == (None, False), name
