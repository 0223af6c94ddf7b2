"""The Lambda entry point: ``obsgov.model_guard.handler.handler``.

Configuration comes from the function's environment: ``OBSGOV_GUARD_RULES`` (the rules as JSON,
written by the Pulumi component from the environment's config), ``OBSGOV_GUARD_TOPIC_ARN`` and
``OBSGOV_GUARD_GROUPS`` (the model package groups it guards, a JSON list; CloudTrail's pattern
cannot name them, so packages of other groups are skipped here). A malformed or unexpected
event is logged and rejected without touching any package.

The guard fails closed. boto3's standard retry mode retries AWS's throttling and outages; when
the retries run out before the approval could be checked (or the rules cannot be read, or the
check itself breaks), the package is set back to ``PendingManualApproval`` with the reason,
never left Approved. Only when even that write fails does the invocation fail, so Lambda's
own retries and then the dead-letter queue keep the event; a redriven event (the queue's
message, delivered by an SQS event source or given to ``lambda invoke`` as it is) is checked
against the package as it is then.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .events import MalformedEvent, parse_event, unwrap_redrive
from .guard import Clients, guard_approval, guard_stage_write, revert_unchecked
from .rules import GuardRules

_clients: Clients | None = None
RETRIES = 5  # per AWS call after the first attempt, with standard mode's exponential backoff


def _make_clients() -> Clients:
    import boto3
    from botocore.config import Config

    # botocore's max_attempts counts retries, not the first attempt (botocore/config.py)
    config = Config(retries={"mode": "standard", "max_attempts": RETRIES})
    return Clients(
        sagemaker=boto3.client("sagemaker", config=config),
        s3=boto3.client("s3", config=config),
        sns=boto3.client("sns", config=config),
        cloudwatch=boto3.client("cloudwatch", config=config),
        identity=boto3.client("sts", config=config).get_caller_identity()["Arn"],
    )


def _log(record: dict) -> None:
    print(json.dumps({"obsgov": "model-approval-guard", **record}, sort_keys=True))


def handler(event: Any, context: Any = None, clients: Clients | None = None) -> dict:
    try:
        redriven = unwrap_redrive(event)
    except MalformedEvent as exc:
        _log({"action": "rejected-event", "reason": str(exc)})
        return {"status": "rejected", "reason": str(exc)}
    if redriven is not None:
        return {"status": "redriven", "results": [_handle(e, clients) for e in redriven]}
    return _handle(event, clients)


def _handle(event: Any, clients: Clients | None) -> dict:
    global _clients
    try:
        approval = parse_event(event)
    except MalformedEvent as exc:
        _log({"action": "rejected-event", "reason": str(exc)})
        return {"status": "rejected", "reason": str(exc)}
    if approval is None:
        return {"status": "ignored"}
    if not _guarded(os.environ.get("OBSGOV_GUARD_GROUPS"), approval.group):
        return {"status": "ignored", "reason": f"group {approval.group} is not guarded here"}
    if clients is None:
        _clients = _clients or _make_clients()
        clients = _clients
    topic = os.environ.get("OBSGOV_GUARD_TOPIC_ARN")
    arn = approval.package_arn
    try:
        rules = GuardRules.from_json(os.environ.get("OBSGOV_GUARD_RULES", ""))
        actions = []
        if approval.stage_write is not None:
            actions.append(
                guard_stage_write(clients, approval, approval.stage_write, rules, topic_arn=topic)
            )
        if approval.approves:
            actions.append(
                guard_approval(
                    clients,
                    arn,
                    rules,
                    approver=approval.approver,
                    topic_arn=topic,
                    event_id=approval.event_id,
                )
            )
    except Exception as exc:  # noqa: BLE001 - whatever stopped the check, the approval falls
        if not approval.approves:
            raise  # a stage write left unchecked: the dead-letter queue keeps it
        why = _reason(exc)
        action = revert_unchecked(
            clients,
            arn,
            why,
            topic_arn=topic,
            event_id=approval.event_id,
            approver=approval.approver,
        )
        return {"status": action, "modelPackageArn": arn, "reason": why}
    return {"status": actions[-1], "modelPackageArn": arn}


def _guarded(groups: str | None, group: str) -> bool:
    """Whether ``group`` is one this function guards; without a readable list of groups,
    every group is (fail closed)."""
    try:
        listed = json.loads(groups) if groups is not None else None
    except json.JSONDecodeError:
        return True
    return not isinstance(listed, list) or group in listed


def _reason(exc: Exception) -> str:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"AWS refused {exc.operation_name}: {error.get('Code')}"
    return f"{type(exc).__name__}: {exc}"[:300]
