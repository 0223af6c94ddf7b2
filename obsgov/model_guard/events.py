"""The two EventBridge events that trigger the guard, parsed strictly.

* ``SageMaker Model Package State Change`` (source ``aws.sagemaker``): ``detail`` carries the
  package as DescribeModelPackage would, including ``ModelApprovalStatus``, but not who changed it.
* ``AWS API Call via CloudTrail`` for ``UpdateModelPackage`` (source ``aws.sagemaker``): carries
  the caller in ``detail.userIdentity.arn`` and the request in ``detail.requestParameters``.

Anything else is rejected with a reason and never touches a package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STATE_CHANGE = "SageMaker Model Package State Change"
API_CALL = "AWS API Call via CloudTrail"
PACKAGE_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:(\d{12}):model-package/[A-Za-z0-9-]{1,63}/\d+$"
)


class MalformedEvent(ValueError):
    """The event is not one the guard handles; the message says why."""


@dataclass(frozen=True)
class ApprovalEvent:
    event_id: str
    package_arn: str
    approver: str | None  # only the CloudTrail event carries it

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


def parse_event(event: Any) -> ApprovalEvent | None:
    """The approval the event reports, or None for a well-formed event that approves nothing
    (a status other than Approved). Raises :class:`MalformedEvent` for anything else."""
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
            event_id, _arn(detail.get("ModelPackageArn"), "detail.ModelPackageArn"), None
        )
    if kind == API_CALL:
        if detail.get("eventName") != "UpdateModelPackage":
            raise MalformedEvent(f"eventName {detail.get('eventName')!r} is not UpdateModelPackage")
        if detail.get("errorCode"):
            return None  # the call failed: nothing was approved
        request = _mapping(detail.get("requestParameters"), "detail.requestParameters")
        if request.get("modelApprovalStatus") != "Approved":
            return None
        identity = _mapping(detail.get("userIdentity"), "detail.userIdentity")
        approver = identity.get("arn")
        if not isinstance(approver, str) or not approver:
            raise MalformedEvent("detail.userIdentity.arn is missing")
        return ApprovalEvent(
            event_id,
            _arn(request.get("modelPackageArn"), "detail.requestParameters.modelPackageArn"),
            approver,
        )
    raise MalformedEvent(f"detail-type {kind!r} is not handled")
