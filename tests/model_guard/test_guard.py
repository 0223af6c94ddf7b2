"""The guard against moto: every rule read from AWS, enforcement, idempotency, the handler."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from obsgov.model_guard import handler as lambda_module
from obsgov.model_guard.guard import check_package, enforce
from obsgov.model_guard.rules import REJECTION_PREFIX, GuardRules, Threshold

from .events_data import API_CALL, STATE_CHANGE

GOOD_REPORT = {"binary_classification_metrics": {"auc": {"value": 0.9}}}
RULES = GuardRules(
    environment="prod",
    required_metadata=("owner",),
    default_thresholds=(Threshold.parse("auc >= 0.8"),),
)


def _status(registry, arn):
    return registry.clients.sagemaker.describe_model_package(ModelPackageName=arn)


def test_a_compliant_approval_passes_and_is_left_alone(registry):
    arn = registry.package(
        report_uri=registry.report("churn/3.json", GOOD_REPORT), metadata={"owner": "ml-team"}
    )
    lines: list[str] = []
    verdict = check_package(registry.clients, arn, RULES)
    assert verdict.passed, verdict.results
    assert (
        enforce(registry.clients, verdict, topic_arn=registry.topic_arn, log=lines.append)
        == "passed"
    )
    assert _status(registry, arn)["ModelApprovalStatus"] == "Approved"
    assert registry.notifications() == []
    assert json.loads(lines[0])["action"] == "passed"


def test_a_violating_approval_is_reverted_notified_counted_and_audited(registry):
    arn = registry.package(
        report_uri=registry.report(
            "churn/3.json", {"binary_classification_metrics": {"auc": {"value": 0.61}}}
        )
    )
    lines: list[str] = []
    verdict = check_package(registry.clients, arn, RULES)
    assert [r.rule for r in verdict.failed] == ["metadata", "metrics"]
    action = enforce(
        registry.clients, verdict, topic_arn=registry.topic_arn, event_id="e-1", log=lines.append
    )
    assert action == "reverted"
    after = _status(registry, arn)
    assert after["ModelApprovalStatus"] == "PendingManualApproval"
    assert after["ApprovalDescription"] == (
        f"{REJECTION_PREFIX} metadata: missing customer metadata: owner; "
        "metrics: auc is 0.61, needs auc >= 0.8"
    )
    [message] = registry.notifications()
    assert arn in message
    assert "- metrics: auc is 0.61, needs auc >= 0.8" in message
    stats = registry.clients.cloudwatch.get_metric_statistics(
        Namespace="Obsgov/ModelGovernance",
        MetricName="ApprovalViolations",
        Dimensions=[{"Name": "ModelPackageGroup", "Value": "churn"}],
        StartTime="2000-01-01",
        EndTime="2100-01-01",
        Period=60,
        Statistics=["Sum"],
    )
    assert sum(p["Sum"] for p in stats["Datapoints"]) == 1.0
    audit = json.loads(lines[0])
    assert (audit["eventId"], audit["action"], audit["passed"]) == ("e-1", "reverted", False)


def test_a_repeated_event_changes_nothing_twice(registry):
    arn = registry.package(metadata={"owner": "x"})  # no report: metrics fail closed
    for expected in ("reverted", "already-reverted"):
        verdict = check_package(registry.clients, arn, RULES)
        assert (
            enforce(registry.clients, verdict, topic_arn=registry.topic_arn, log=lambda line: None)
            == expected
        )
    assert len(registry.notifications()) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff\xfe not utf-8", "is not a JSON report"),
        ("[1, 2]", "is not a JSON object"),
        ("{not json", "is not a JSON report"),
    ],
)
def test_unreadable_reports_fail_the_metrics_rule(registry, body, reason):
    arn = registry.package(report_uri=registry.report("bad.json", body), metadata={"owner": "x"})
    [metrics] = [
        r for r in check_package(registry.clients, arn, RULES).results if r.rule == "metrics"
    ]
    assert not metrics.passed
    assert reason in metrics.detail


def test_a_missing_report_object_fails_closed(registry):
    arn = registry.package(
        report_uri="s3://obsgov-model-metrics/absent.json", metadata={"owner": "x"}
    )
    [metrics] = [
        r for r in check_package(registry.clients, arn, RULES).results if r.rule == "metrics"
    ]
    assert metrics.detail == (
        "model quality report unavailable: "
        "s3://obsgov-model-metrics/absent.json cannot be read (NoSuchKey)"
    )


def _promotion(registry, arn, rules):
    [promotion] = [
        r for r in check_package(registry.clients, arn, rules).results if r.rule == "promotion"
    ]
    return promotion


PROMOTION = GuardRules(
    environment="prod",
    promotion_order=("staging", "prod"),
    previous_registry_account="999999999999",
)


def test_promotion_order_follows_the_source_packages_lifecycle(registry):
    staging = registry.package(group="churn-staging", lifecycle=("staging", "Approved"))
    prod = registry.package(metadata={"source-model-package-arn": staging})
    assert _promotion(registry, prod, PROMOTION).detail == f"approved in staging as {staging}"
    rejected = registry.package(group="churn-staging", lifecycle=("staging", "Rejected"))
    orphan = registry.package(metadata={"source-model-package-arn": rejected})
    assert _promotion(registry, orphan, PROMOTION).detail == (
        f"not approved in staging first ({rejected} is at model lifecycle stage staging (Rejected))"
    )


def test_a_source_package_must_hold_the_same_model_in_the_previous_registry(registry):
    other_model = registry.package(
        group="fraud-staging", lifecycle=("staging", "Approved"), image="i.example/fraud:1"
    )
    borrowed = registry.package(metadata={"source-model-package-arn": other_model})
    assert _promotion(registry, borrowed, PROMOTION).detail == (
        f"not approved in staging first ({other_model} serves other images or model data "
        f"than {borrowed})"
    )
    foreign = "arn:aws:sagemaker:eu-west-1:555555555555:model-package/churn/1"
    elsewhere = registry.package(metadata={"source-model-package-arn": foreign})
    assert _promotion(registry, elsewhere, PROMOTION).detail == (
        f"not approved in staging first ({foreign} is in account 555555555555, not in the "
        "staging registry (123456789012, 999999999999))"
    )


def test_approval_status_and_metadata_are_no_evidence_of_promotion(registry):
    # A shared registry: the package's own Approved status is the approval being judged, and
    # its metadata is written by whoever may update it. Neither says staging approved it.
    shared = GuardRules(environment="prod", promotion_order=("staging", "prod"))
    arn = registry.package(metadata={"approved-environments": "staging"})
    assert _promotion(registry, arn, shared).detail == (
        f"not approved in staging first ({arn} has no model lifecycle stage)"
    )
    registry.stage(arn, "staging")
    assert _promotion(registry, arn, shared).passed
    registry.stage(arn, "prod")  # later stages count: only prod's guard writes them
    assert _promotion(registry, arn, shared).passed


def test_the_handler_runs_as_lambda_invokes_it(registry, monkeypatch, capsys):
    arn = registry.package(
        metadata={"owner": "x"}, report_uri=registry.report("r.json", GOOD_REPORT)
    )
    monkeypatch.setenv("OBSGOV_GUARD_RULES", RULES.to_json())
    monkeypatch.setenv("OBSGOV_GUARD_TOPIC_ARN", registry.topic_arn)
    monkeypatch.setattr(lambda_module, "_clients", None)
    event = json.loads(
        json.dumps(STATE_CHANGE).replace(STATE_CHANGE["detail"]["ModelPackageArn"], arn)
    )
    assert lambda_module.handler(event, object()) == {"status": "passed", "modelPackageArn": arn}
    approver_rules = GuardRules(
        environment="prod",
        allowed_approvers=("arn:aws:sts::100000000002:assumed-role/Leads/*",),
    )
    monkeypatch.setenv("OBSGOV_GUARD_RULES", approver_rules.to_json())
    call = json.loads(json.dumps(API_CALL).replace(STATE_CHANGE["detail"]["ModelPackageArn"], arn))
    assert lambda_module.handler(call, object())["status"] == "reverted"
    assert (
        "arn:aws:sts::100000000002:assumed-role/MLApprovers/alice may not approve models"
        in _status(registry, arn)["ApprovalDescription"]
    )
    capsys.readouterr()


def test_the_handler_rejects_malformed_events_without_touching_packages(
    registry, monkeypatch, capsys
):
    arn = registry.package(metadata={"owner": "x"})
    monkeypatch.setenv("OBSGOV_GUARD_RULES", RULES.to_json())
    result = lambda_module.handler(
        {"source": "aws.sagemaker", "id": "x", "detail": {}, "detail-type": "Nope"},
        None,
        clients=registry.clients,
    )
    assert result == {"status": "rejected", "reason": "detail-type 'Nope' is not handled"}
    assert json.loads(capsys.readouterr().out)["action"] == "rejected-event"
    assert _status(registry, arn)["ModelApprovalStatus"] == "Approved"


def test_a_package_that_cannot_be_read_at_all_fails_the_invocation(registry, monkeypatch):
    # Nothing can be checked and nothing can be reverted: the invocation fails, so Lambda's
    # retries and then the dead-letter queue keep the event.
    monkeypatch.setenv("OBSGOV_GUARD_RULES", RULES.to_json())
    missing = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/ghost/1"
    event = json.loads(
        json.dumps(STATE_CHANGE).replace(STATE_CHANGE["detail"]["ModelPackageArn"], missing)
    )
    with pytest.raises(ClientError):
        lambda_module.handler(event, None, clients=registry.clients)
