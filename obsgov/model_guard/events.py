"""The events that trigger the guard, parsed strictly.

* ``SageMaker Model Package State Change`` (source ``aws.sagemaker``): ``detail`` carries the
  package as DescribeModelPackage would, including ``ModelApprovalStatus`` and
  ``LastModifiedTime``, but not who changed it.
* ``AWS API Call via CloudTrail`` for ``UpdateModelPackage`` and ``CreateModelPackage`` (source
  ``aws.sagemaker``): carries the caller in ``detail.userIdentity.arn``, the request in
  ``detail.requestParameters`` and, for ``CreateModelPackage``, the new package's ARN in
  ``detail.responseElements`` (a package can be registered already ``Approved``).
* A dead-letter redrive: an SQS message whose body is one of the events above (the guard's
  dead-letter queue keeps the event Lambda could not process), as an SQS event source mapping
  delivers it (``{"Records": [{"eventSource": "aws:sqs", "body": ...}]}``). The guard checks
  the package as it is now, never as the stored event says it was.

An event either approves (``ModelApprovalStatus`` becomes ``Approved``), writes a model
lifecycle stage (``ModelLifeCycle``, the promotion state), both, or neither. Anything else is
rejected with a reason and never touches a package.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

STATE_CHANGE = "SageMaker Model Package State Change"
API_CALL = "AWS API Call via CloudTrail"
HANDLED_CALLS = ("UpdateModelPackage", "CreateModelPackage")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
PACKAGE_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:(\d{12}):model-package/[A-Za-z0-9-]{1,63}/\d+$"
)


class MalformedEvent(ValueError):
    """The event is not one the guard handles; the message says why."""


@dataclass(frozen=True)
class StageWrite:
    """A ``ModelLifeCycle`` a caller wrote (CloudTrail's request parameters)."""

    stage: str
    status: str


@dataclass(frozen=True)
class ApprovalEvent:
    event_id: str
    package_arn: str
    approver: str | None  # only CloudTrail events carry it
    approves: bool = True  # ModelApprovalStatus became Approved
    stage_write: StageWrite | None = None  # a lifecycle stage the caller set
    occurred_at: datetime | None = None  # when the change happened, as the event says
    call: str | None = None  # the API call, for CloudTrail events

    @property
    def group(self) -> str:
        return self.package_arn.rsplit("/", 2)[-2]

    @property
    def account(self) -> str:
        match = PACKAGE_ARN.match(self.package_arn)
        assert match is not None
        return match.group(1)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"{where} must be an object")
    return value


def _arn(value: Any, where: str) -> str:
    if not isinstance(value, str) or not PACKAGE_ARN.match(value):
        raise MalformedEvent(f"{where} is not a versioned model package ARN")
    return value


def _instant(value: Any) -> datetime | None:
    """An event's instant: epoch milliseconds (the state change's ``LastModifiedTime``) or an
    ISO 8601 time with ``Z`` (``time``, CloudTrail's ``eventTime``); None when absent or
    unreadable (then nothing is compared with it)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return EPOCH + timedelta(milliseconds=value)
        except (OverflowError, ValueError):
            return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    return None


def _stage_write(request: Mapping[str, Any]) -> StageWrite | None:
    lifecycle = request.get("modelLifeCycle")
    if lifecycle is None:
        return None
    lifecycle = _mapping(lifecycle, "detail.requestParameters.modelLifeCycle")
    stage, status = lifecycle.get("stage"), lifecycle.get("stageStatus")
    if not isinstance(stage, str) or not isinstance(status, str):
        raise MalformedEvent("detail.requestParameters.modelLifeCycle needs stage and stageStatus")
    return StageWrite(stage, status)


def unwrap_redrive(event: Any) -> list[Any] | None:
    """The events inside an SQS delivery of the dead-letter queue, or None when ``event`` is
    not one. Raises :class:`MalformedEvent` for a record that is not JSON."""
    if not isinstance(event, Mapping) or "Records" not in event:
        return None
    records = event["Records"]
    if not isinstance(records, list) or not records:
        raise MalformedEvent("Records must be a non-empty list")
    bodies = []
    for i, record in enumerate(records):
        record = _mapping(record, f"Records[{i}]")
        if record.get("eventSource") != "aws:sqs" or not isinstance(record.get("body"), str):
            raise MalformedEvent(f"Records[{i}] is not an SQS message with a body")
        try:
            bodies.append(json.loads(record["body"]))
        except json.JSONDecodeError:
            raise MalformedEvent(f"Records[{i}].body is not JSON") from None
    return bodies


def parse_event(event: Any) -> ApprovalEvent | None:
    """What the event reports, or None for a well-formed event that neither approves nor
    writes a lifecycle stage. Raises :class:`MalformedEvent` for anything else."""
    event = _mapping(event, "the event")
    if event.get("source") != "aws.sagemaker":
        raise MalformedEvent(f"source {event.get('source')!r} is not aws.sagemaker")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise MalformedEvent("the event has no id")
    detail = _mapping(event.get("detail"), "detail")
    kind = event.get("detail-type")
    if kind == STATE_CHANGE:
        status = detail.get("ModelApprovalStatus")
        if not isinstance(status, str):
            raise MalformedEvent("detail.ModelApprovalStatus is missing")
        if status != "Approved":
            return None
        return ApprovalEvent(
            event_id,
            _arn(detail.get("ModelPackageArn"), "detail.ModelPackageArn"),
            None,
            occurred_at=_instant(detail.get("LastModifiedTime")) or _instant(event.get("time")),
        )
    if kind == API_CALL:
        call = detail.get("eventName")
        if call not in HANDLED_CALLS:
            raise MalformedEvent(f"eventName {call!r} is not {' or '.join(HANDLED_CALLS)}")
        if detail.get("errorCode"):
            return None  # the call failed: nothing changed
        request = _mapping(detail.get("requestParameters"), "detail.requestParameters")
        approves = request.get("modelApprovalStatus") == "Approved"
        stage = _stage_write(request)
        if not approves and stage is None:
            return None
        identity = _mapping(detail.get("userIdentity"), "detail.userIdentity")
        approver = identity.get("arn")
        if not isinstance(approver, str) or not approver:
            raise MalformedEvent("detail.userIdentity.arn is missing")
        if call == "CreateModelPackage":
            response = _mapping(detail.get("responseElements"), "detail.responseElements")
            arn = _arn(response.get("modelPackageArn"), "detail.responseElements.modelPackageArn")
        else:
            arn = _arn(request.get("modelPackageArn"), "detail.requestParameters.modelPackageArn")
        return ApprovalEvent(
            event_id,
            arn,
            approver,
            approves=approves,
            stage_write=stage,
            occurred_at=_instant(detail.get("eventTime")) or _instant(event.get("time")),
            call=call,
        )
    raise MalformedEvent(f"detail-type {kind!r} is not handled")
