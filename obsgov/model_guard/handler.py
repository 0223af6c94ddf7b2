"""The Lambda entry point: ``obsgov.model_guard.handler.handler``.

Configuration comes from the function's environment: ``OBSGOV_GUARD_RULES`` (the rules as JSON,
written by the Pulumi component from the environment's config) and ``OBSGOV_GUARD_TOPIC_ARN``.
A malformed or unexpected event is logged and rejected without touching any package; an AWS error
is retried by boto3's standard retry mode and then raised, so the invocation fails and the dead
letter queue and the error alarm see it.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .events import MalformedEvent, parse_event
from .guard import Clients, check_package, enforce
from .rules import GuardRules

_clients: Clients | None = None


def _make_clients() -> Clients:
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 5})
    return Clients(
        sagemaker=boto3.client("sagemaker", config=config),
        s3=boto3.client("s3", config=config),
        sns=boto3.client("sns", config=config),
        cloudwatch=boto3.client("cloudwatch", config=config),
    )


def handler(event: Any, context: Any = None, clients: Clients | None = None) -> dict:
    global _clients
    try:
        approval = parse_event(event)
    except MalformedEvent as exc:
        print(
            json.dumps(
                {"obsgov": "model-approval-guard", "action": "rejected-event", "reason": str(exc)},
                sort_keys=True,
            )
        )
        return {"status": "rejected", "reason": str(exc)}
    if approval is None:
        return {"status": "ignored"}
    rules = GuardRules.from_json(os.environ["OBSGOV_GUARD_RULES"])
    if clients is None:
        _clients = _clients or _make_clients()
        clients = _clients
    verdict = check_package(clients, approval.package_arn, rules, approval.approver)
    action = enforce(
        clients,
        verdict,
        topic_arn=os.environ.get("OBSGOV_GUARD_TOPIC_ARN"),
        event_id=approval.event_id,
        approver=approval.approver,
    )
    return {"status": action, "modelPackageArn": approval.package_arn}
