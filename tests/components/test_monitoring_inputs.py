"""The registry and stack settings the member baseline reads: bad values are reported with
their file and key path, all together."""

from __future__ import annotations

import pytest

from obsgov.errors import InputError


def problems(env) -> list[str]:
    with pytest.raises(InputError) as caught:
        env.load()
    root = str(env.directory)
    return sorted(str(p).replace(root + "/", "") for p in caught.value.problems)


def workloads(env) -> dict[str, dict]:
    return {w["name"]: w for w in env.registry["workloads"]}


def test_workload_monitoring_fields_are_validated_in_place(inline_env):
    env = inline_env("dev")
    w = workloads(env)
    w["fraud-scoring-dev"]["logGroups"] = ["bad name!"]
    w["fraud-scoring-dev"]["modelQuality"] = {"metric": "AUC", "threshold": 2}
    w["churn-propensity-dev"]["criticalEventPatterns"] = ['say "hi"']
    w["churn-propensity-dev"]["modelQuality"] = {"metric": "Bogus", "threshold": 1}
    w["events-enricher-dev"]["slo"]["maxDurationMinutes"] = 30
    w["approved-loans-dev"]["lowerBound"] = 5
    w["approved-loans-dev"]["upperBound"] = 1
    w["checkout-conversion-dev"]["severity"] = "urgent"
    w["feature-refresh-dev"]["scheduleIntervalMinutes"] = 20_000
    index = {name: i for i, name in enumerate(w)}
    assert problems(env) == sorted(
        [
            f"accounts.yaml: workloads[{index['fraud-scoring-dev']}].logGroups[0]: must be 1-512 "
            "letters, digits or _ - / . # (a CloudWatch Logs log group name)",
            f"accounts.yaml: workloads[{index['fraud-scoring-dev']}].modelQuality: threshold for "
            "AUC must be between 0 and 1",
            f"accounts.yaml: workloads[{index['churn-propensity-dev']}].criticalEventPatterns[0]: "
            "must be 1-200 characters without double quotes or line breaks",
            f"accounts.yaml: workloads[{index['churn-propensity-dev']}].modelQuality.metric: must "
            "be one of Accuracy, Precision, Recall, F1, AUC, MAE, RMSE, MAPE",
            f"accounts.yaml: workloads[{index['events-enricher-dev']}].slo: maxDurationMinutes "
            "must be at most 15 for engine lambda (a Lambda invocation runs at most 15 minutes)",
            f"accounts.yaml: workloads[{index['approved-loans-dev']}]: lowerBound must be less "
            "than upperBound",
            f"accounts.yaml: workloads[{index['checkout-conversion-dev']}].severity: must be one "
            "of critical, high, medium, low",
            f"accounts.yaml: workloads[{index['feature-refresh-dev']}].scheduleIntervalMinutes: "
            "must be less than or equal to 10080",
        ]
    )


def test_too_many_critical_terms_for_one_filter_pattern(inline_env):
    env = inline_env("dev")
    workloads(env)["fraud-scoring-dev"]["criticalEventPatterns"] = ["x" * 200] * 6
    assert problems(env) == [
        "accounts.yaml: workloads[0]: criticalEventPatterns make a filter pattern longer than "
        "1024 characters (the CloudWatch Logs limit)"
    ]


def test_alert_routing_and_tracing_settings_are_validated(inline_env):
    env = inline_env("dev")
    config = env.stack_doc["config"]
    config["obsgov:alertRouting"] = {
        "centralEventBusArn": "arn:aws:sns:eu-west-1:100000000002:not-a-bus",
        "centralLogDestinationArn": "arn:aws:logs:eu-west-1:100000000002:log-group:x",
        "runbookUrl": "https://runbooks.example.com/{team}/{signal}",
    }
    config["obsgov:tracing"] = {"samplingRate": 2, "reservoirSize": -1}
    config["obsgov:alarmDefaults"]["cpuUtilizationPercent"] = 150
    assert problems(env) == sorted(
        [
            "Pulumi.dev.yaml: config.obsgov:alertRouting.centralEventBusArn: must be an "
            "EventBridge event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>)",
            "Pulumi.dev.yaml: config.obsgov:alertRouting.centralLogDestinationArn: must be a "
            "CloudWatch Logs destination ARN (arn:aws:logs:<region>:<account>:destination:<name>)",
            "Pulumi.dev.yaml: config.obsgov:alertRouting.runbookUrl: uses unknown placeholder(s) "
            "team; allowed: {account}, {kind}, {signal}, {workload}",
            "Pulumi.dev.yaml: config.obsgov:tracing.samplingRate: must be less than or equal to 1",
            "Pulumi.dev.yaml: config.obsgov:tracing.reservoirSize: must be greater than or equal "
            "to 0",
            "Pulumi.dev.yaml: config.obsgov:alarmDefaults.cpuUtilizationPercent: must be less "
            "than or equal to 100",
        ]
    )


def test_lambda_is_a_pipeline_engine_with_its_own_defaults(inline_env):
    env = inline_env("dev")
    loaded = env.load()
    enricher = next(w for w in loaded.registry.workloads if w.name == "events-enricher-dev")
    assert enricher.engine == "lambda"
    assert enricher.log_group_names() == ["/aws/lambda/events-enricher-dev"]
    assert enricher.critical_patterns() == [
        "ERROR",
        "CRITICAL",
        "Traceback (most recent call last)",
        "OutOfMemoryError",
        "MemoryError",
    ]
