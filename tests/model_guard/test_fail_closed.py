"""The guard fails closed and never overwrites a later decision.

Throttling is played at the HTTP layer (botocore's ``before-send`` event answers 503
``SlowDown`` or 400 ``ThrottlingException``), so botocore's own standard retry mode retries it
as it would AWS's (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html:
standard mode, the first attempt and 5 retries, as the function configures).
"""

from __future__ import annotations

import copy
import json

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from obsgov.model_guard import handler as lambda_module
from obsgov.model_guard.guard import Clients, check_package, enforce
from obsgov.model_guard.rules import REJECTION_PREFIX, GuardRules, Threshold

from .conftest import GUARD, REGION
from .events_data import API_CALL, STATE_CHANGE

RULES = GuardRules(
    environment="prod",
    required_metadata=("owner",),
    default_thresholds=(Threshold.parse("auc >= 0.8"),),
)
LOW = {"binary_classification_metrics": {"auc": {"value": 0.61}}}


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_):
        yield self.data

    def read(self, *_):
        return self.data


class Throttle:
    """Answers every matching request as AWS does when it throttles, and counts them."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body, self.attempts = status, body, 0

    def __call__(self, request, **_):
        self.attempts += 1
        return AWSResponse(request.url, self.status, {}, _Body(self.body))


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch):
    """botocore sleeps between attempts (endpoint.py); the attempts, not the waits, matter."""
    import botocore.endpoint

    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda seconds: None)


def _retrying_clients(registry) -> Clients:
    config = Config(retries={"mode": "standard", "max_attempts": 5})  # as handler.RETRIES
    clients = Clients(
        sagemaker=boto3.client("sagemaker", region_name=REGION, config=config),
        s3=boto3.client("s3", region_name=REGION, config=config),
        sns=registry.clients.sns,
        cloudwatch=registry.clients.cloudwatch,
    )
    clients.identity = GUARD
    return clients


def _event(arn):
    return json.loads(
        json.dumps(STATE_CHANGE).replace(STATE_CHANGE["detail"]["ModelPackageArn"], arn)
    )


def _status(registry, arn):
    return registry.clients.sagemaker.describe_model_package(ModelPackageName=arn)


def test_an_approval_that_cannot_be_checked_is_reverted_when_retries_run_out(registry, monkeypatch):
    arn = registry.package(
        report_uri=registry.report("r.json", {"binary_classification_metrics": {}}),
        metadata={"owner": "x"},
    )
    clients = _retrying_clients(registry)
    slow_down = Throttle(503, b"<Error><Code>SlowDown</Code><Message>Reduce</Message></Error>")
    clients.s3.meta.events.register("before-send.s3.GetObject", slow_down)
    monkeypatch.setenv("OBSGOV_GUARD_RULES", RULES.to_json())
    monkeypatch.setenv("OBSGOV_GUARD_TOPIC_ARN", registry.topic_arn)
    lines: list[str] = []
    monkeypatch.setattr("builtins.print", lambda line, **_: lines.append(line))
    result = lambda_module.handler(_event(arn), None, clients=clients)
    after = _status(registry, arn)
    assert slow_down.attempts == 1 + 5
    assert (result["status"], after["ModelApprovalStatus"]) == (
        "reverted-unchecked",
        "PendingManualApproval",
    )
    assert after["ApprovalDescription"] == (
        f"{REJECTION_PREFIX} checked: the approval could not be checked: "
        "AWS refused GetObject: SlowDown"
    )
    assert "could not be checked" in registry.notifications()[0]
    assert json.loads(lines[-1])["action"] == "reverted-unchecked"


def test_when_nothing_can_be_written_the_event_waits_in_the_dead_letter_queue_and_a_redrive_rechecks(
    registry, monkeypatch
):
    arn = registry.package(report_uri=registry.report("r.json", LOW), metadata={"owner": "x"})
    clients = _retrying_clients(registry)
    throttled = Throttle(
        400, json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
    )
    clients.sagemaker.meta.events.register("before-send.sagemaker.*", throttled)
    monkeypatch.setenv("OBSGOV_GUARD_RULES", RULES.to_json())
    monkeypatch.setattr("builtins.print", lambda *a, **k: None)
    with pytest.raises(ClientError, match="ThrottlingException"):
        lambda_module.handler(_event(arn), None, clients=clients)
    assert _status(registry, arn)["ModelApprovalStatus"] == "Approved"  # AWS took no write
    # Lambda's asynchronous retries fail the same way; the event lands in the dead-letter
    # queue as its body, and the operator redrives it once SageMaker answers again.
    clients.sagemaker.meta.events.unregister("before-send.sagemaker.*", throttled)
    redrive = {"Records": [{"eventSource": "aws:sqs", "body": json.dumps(_event(arn))}]}
    result = lambda_module.handler(redrive, None, clients=clients)
    assert result["status"] == "redriven"
    assert [r["status"] for r in result["results"]] == ["reverted"]
    assert _status(registry, arn)["ModelApprovalStatus"] == "PendingManualApproval"


def test_unreadable_rules_revert_the_approval_rather_than_let_it_stand(registry, monkeypatch):
    arn = registry.package(metadata={"owner": "x"})
    monkeypatch.setenv("OBSGOV_GUARD_RULES", '{"environment": "prod", "allowedApprovers": 1}')
    monkeypatch.setattr("builtins.print", lambda *a, **k: None)
    result = lambda_module.handler(_event(arn), None, clients=registry.clients)
    assert result["status"] == "reverted-unchecked"
    assert _status(registry, arn)["ModelApprovalStatus"] == "PendingManualApproval"


def test_a_reviewers_later_rejection_is_never_overwritten(registry):
    arn = registry.package(report_uri=registry.report("r.json", LOW), metadata={"owner": "x"})
    verdict = check_package(registry.clients, arn, RULES)
    assert not verdict.passed
    registry.tick()  # the reviewer acts after the guard read the package
    registry.clients.sagemaker.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Rejected", ApprovalDescription="auc too low"
    )
    lines: list[str] = []
    action = enforce(registry.clients, verdict, topic_arn=registry.topic_arn, log=lines.append)
    after = _status(registry, arn)
    assert (action, after["ModelApprovalStatus"], after["ApprovalDescription"]) == (
        "superseded",
        "Rejected",
        "auc too low",
    )
    assert registry.notifications() == []
    assert json.loads(lines[0])["action"] == "superseded"


def test_a_package_changed_since_the_check_is_checked_again(registry):
    arn = registry.package(report_uri=registry.report("r.json", LOW), metadata={"owner": "x"})
    stale = check_package(registry.clients, arn, RULES)
    registry.tick()  # still Approved, but its report changed
    registry.clients.sagemaker.update_model_package(
        ModelPackageArn=arn, CustomerMetadataProperties={"owner": "y"}
    )
    assert enforce(registry.clients, stale, topic_arn=None, log=lambda _: None) == "changed"
    assert _status(registry, arn)["ModelApprovalStatus"] == "Approved"
    from obsgov.model_guard.guard import guard_approval

    action = guard_approval(
        registry.clients, arn, RULES, approver=None, topic_arn=None, log=lambda _: None
    )
    assert action == "reverted"


def test_an_unauthorised_create_model_package_with_approved_is_reverted(registry, monkeypatch):
    rules = GuardRules(
        environment="prod",
        allowed_approvers=("arn:aws:sts::123456789012:assumed-role/MLApprovers/*",),
    )
    arn = registry.package(metadata={"owner": "x"})
    event = copy.deepcopy(API_CALL)
    event["detail"]["eventName"] = "CreateModelPackage"
    event["detail"]["requestParameters"] = {
        "modelPackageGroupName": "churn",
        "modelApprovalStatus": "Approved",
    }
    event["detail"]["responseElements"] = {"modelPackageArn": arn}
    event["detail"]["userIdentity"]["arn"] = "arn:aws:sts::123456789012:assumed-role/CI/build"
    monkeypatch.setenv("OBSGOV_GUARD_RULES", rules.to_json())
    monkeypatch.setattr("builtins.print", lambda *a, **k: None)
    assert lambda_module.handler(event, None, clients=registry.clients)["status"] == "reverted"
    assert (
        "approver: arn:aws:sts::123456789012:assumed-role/CI/build may not approve"
        in (_status(registry, arn)["ApprovalDescription"])
    )


def test_packages_of_other_groups_are_left_to_their_own_guard(registry, monkeypatch):
    # CloudTrail's pattern cannot name groups; the function skips the ones it does not guard
    # (its role may update only its own), and guards every group when the list is unreadable.
    arn = registry.package(group="other-team", metadata={})
    monkeypatch.setenv("OBSGOV_GUARD_RULES", RULES.to_json())
    monkeypatch.setattr("builtins.print", lambda *a, **k: None)
    monkeypatch.setenv("OBSGOV_GUARD_GROUPS", '["churn"]')
    skipped = lambda_module.handler(_event(arn), None, clients=registry.clients)
    assert skipped == {"status": "ignored", "reason": "group other-team is not guarded here"}
    monkeypatch.setenv("OBSGOV_GUARD_GROUPS", "not json")
    assert lambda_module.handler(_event(arn), None, clients=registry.clients)["status"] == (
        "reverted"
    )
