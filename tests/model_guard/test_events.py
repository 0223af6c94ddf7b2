"""The guard accepts the two documented event shapes and rejects everything else."""

import copy
import json

import pytest

from obsgov.model_guard.events import (
    ApprovalEvent,
    MalformedEvent,
    StageWrite,
    parse_event,
    unwrap_redrive,
)

from .events_data import API_CALL, ARN, CREATE_CALL, STATE_CHANGE


def approval(event) -> ApprovalEvent:
    """The event the guard judges, where the test expects one."""
    parsed = parse_event(event)
    assert parsed is not None
    return parsed


def test_state_change_approval_has_no_identity():
    event = approval(STATE_CHANGE)
    assert (event.package_arn, event.approver, event.account) == (ARN, None, "100000000002")


def test_cloudtrail_approval_carries_the_approver():
    event = approval(API_CALL)
    assert event.approver == "arn:aws:sts::100000000002:assumed-role/MLApprovers/alice"


@pytest.mark.parametrize("status", ["PendingManualApproval", "Rejected"])
def test_other_statuses_approve_nothing(status):
    event = copy.deepcopy(STATE_CHANGE)
    event["detail"]["ModelApprovalStatus"] = status
    assert parse_event(event) is None


def test_create_model_package_with_approved_is_an_approval_with_its_caller():
    event = approval(CREATE_CALL)
    assert (event.package_arn, event.approver, event.call, event.approves) == (
        ARN,
        "arn:aws:sts::100000000002:assumed-role/MLApprovers/alice",
        "CreateModelPackage",
        True,
    )


def test_a_lifecycle_stage_write_is_reported_with_its_caller():
    event = copy.deepcopy(API_CALL)
    event["detail"]["requestParameters"] = {
        "modelPackageArn": ARN,
        "modelLifeCycle": {"stage": "prod", "stageStatus": "Approved"},
    }
    parsed = approval(event)
    assert (parsed.approves, parsed.stage_write) == (False, StageWrite("prod", "Approved"))


def test_the_event_instant_is_read_for_conditional_writes():
    state_change, api_call = approval(STATE_CHANGE).occurred_at, approval(API_CALL).occurred_at
    assert state_change is not None
    assert api_call is not None
    assert state_change.isoformat() == "2025-11-27T08:01:40+00:00"
    assert api_call.isoformat() == "2026-11-27T08:00:00+00:00"


def test_a_redriven_dead_letter_is_unwrapped_into_the_original_events():
    delivery = {"Records": [{"eventSource": "aws:sqs", "body": json.dumps(STATE_CHANGE)}]}
    assert unwrap_redrive(delivery) == [STATE_CHANGE]
    assert unwrap_redrive(STATE_CHANGE) is None
    for bad, reason in (
        ({"Records": []}, "Records must be a non-empty list"),
        ({"Records": [{"eventSource": "aws:sns"}]}, "Records[0] is not an SQS message"),
        ({"Records": [{"eventSource": "aws:sqs", "body": "{"}]}, "Records[0].body is not JSON"),
    ):
        with pytest.raises(MalformedEvent, match=reason.replace("[", r"\[").replace("]", r"\]")):
            unwrap_redrive(bad)


def test_a_failed_api_call_approves_nothing():
    event = copy.deepcopy(API_CALL)
    event["detail"]["errorCode"] = "ValidationException"
    assert parse_event(event) is None


def _mutate(base, path, value):
    event = copy.deepcopy(base)
    target = event
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return event


MALFORMED = [
    ([], "the event must be an object"),
    ("not json", "the event must be an object"),
    (_mutate(STATE_CHANGE, ["source"], "aws.s3"), "source 'aws.s3' is not aws.sagemaker"),
    (_mutate(STATE_CHANGE, ["id"], KeyError), "the event has no id"),
    (_mutate(STATE_CHANGE, ["detail"], "x"), "detail must be an object"),
    (
        _mutate(STATE_CHANGE, ["detail-type"], "SageMaker Endpoint State Change"),
        "detail-type 'SageMaker Endpoint State Change' is not handled",
    ),
    (
        _mutate(STATE_CHANGE, ["detail", "ModelApprovalStatus"], KeyError),
        "detail.ModelApprovalStatus is missing",
    ),
    (
        _mutate(
            STATE_CHANGE, ["detail", "ModelPackageArn"], "arn:aws:sagemaker:eu-west-1:1:model/x"
        ),
        "detail.ModelPackageArn is not a versioned model package ARN",
    ),
    (
        _mutate(STATE_CHANGE, ["detail", "ModelPackageArn"], 42),
        "detail.ModelPackageArn is not a versioned model package ARN",
    ),
    (
        _mutate(API_CALL, ["detail", "eventName"], "DeleteModelPackage"),
        "eventName 'DeleteModelPackage' is not UpdateModelPackage or CreateModelPackage",
    ),
    (
        _mutate(CREATE_CALL, ["detail", "responseElements"], None),
        "detail.responseElements must be an object",
    ),
    (
        _mutate(
            API_CALL,
            ["detail", "requestParameters", "modelLifeCycle"],
            {"stage": "prod"},
        ),
        "detail.requestParameters.modelLifeCycle needs stage and stageStatus",
    ),
    (
        _mutate(API_CALL, ["detail", "requestParameters"], None),
        "detail.requestParameters must be an object",
    ),
    (
        _mutate(API_CALL, ["detail", "userIdentity", "arn"], KeyError),
        "detail.userIdentity.arn is missing",
    ),
]


@pytest.mark.parametrize(("event", "reason"), MALFORMED)
def test_malformed_events_are_rejected_with_a_reason(event, reason):
    with pytest.raises(MalformedEvent) as exc:
        parse_event(event)
    assert str(exc.value) == reason


def test_an_unreadable_event_time_compares_with_nothing():
    event = copy.deepcopy(STATE_CHANGE)
    for value in (10**20, True, "yesterday", "2026-11-27T08:00:00", None):
        event["detail"]["LastModifiedTime"] = value
        event["time"] = value
        assert approval(event).occurred_at is None
