"""The guard accepts the two documented event shapes and rejects everything else."""

import copy

import pytest

from obsgov.model_guard.events import MalformedEvent, parse_event

ARN = "arn:aws:sagemaker:eu-west-1:100000000002:model-package/churn/3"
# Shaped like the documented "SageMaker Model Package State Change" event.
STATE_CHANGE = {
    "version": "0",
    "id": "9d0c5ef6-1e7a-4d1b-a9a6-0c1c7c9f1b11",
    "detail-type": "SageMaker Model Package State Change",
    "source": "aws.sagemaker",
    "account": "100000000002",
    "time": "2026-11-27T08:00:00Z",
    "region": "eu-west-1",
    "resources": [ARN],
    "detail": {
        "ModelPackageGroupName": "churn",
        "ModelPackageVersion": 3,
        "ModelPackageArn": ARN,
        "CreationTime": 1764230400000,
        "ModelPackageStatus": "Completed",
        "ModelApprovalStatus": "Approved",
        "LastModifiedTime": 1764230500000,
    },
}
# Shaped like CloudTrail's record of UpdateModelPackage, delivered by EventBridge.
API_CALL = {
    "version": "0",
    "id": "2b1c8d33-5a1e-4c55-9d2f-8e4f1c0a7e22",
    "detail-type": "AWS API Call via CloudTrail",
    "source": "aws.sagemaker",
    "account": "100000000002",
    "time": "2026-11-27T08:00:00Z",
    "region": "eu-west-1",
    "resources": [],
    "detail": {
        "eventVersion": "1.08",
        "eventSource": "sagemaker.amazonaws.com",
        "eventName": "UpdateModelPackage",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::100000000002:assumed-role/MLApprovers/alice",
        },
        "requestParameters": {
            "modelPackageArn": ARN,
            "modelApprovalStatus": "Approved",
            "approvalDescription": "ok",
        },
        "responseElements": {"modelPackageArn": ARN},
    },
}


def test_state_change_approval_has_no_identity():
    event = parse_event(STATE_CHANGE)
    assert (event.package_arn, event.approver, event.account) == (ARN, None, "100000000002")


def test_cloudtrail_approval_carries_the_approver():
    event = parse_event(API_CALL)
    assert event.approver == "arn:aws:sts::100000000002:assumed-role/MLApprovers/alice"


@pytest.mark.parametrize("status", ["PendingManualApproval", "Rejected"])
def test_other_statuses_approve_nothing(status):
    event = copy.deepcopy(STATE_CHANGE)
    event["detail"]["ModelApprovalStatus"] = status
    assert parse_event(event) is None


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
        _mutate(API_CALL, ["detail", "eventName"], "CreateModelPackage"),
        "eventName 'CreateModelPackage' is not UpdateModelPackage",
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
