"""Policy documents and ARNs the central audit components share.

Documents are built from account ids, regions and fixed names rather than resource outputs, so
they are plain JSON at preview time and the policy packs can judge them there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

Strings = str | Sequence[str]


def statement(
    sid: str,
    actions: Strings,
    resources: Strings,
    *,
    effect: str = "Allow",
    principal: Mapping[str, Any] | None = None,
    condition: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"Sid": sid, "Effect": effect}
    if principal is not None:
        out["Principal"] = dict(principal)
    out["Action"] = actions if isinstance(actions, str) else list(actions)
    out["Resource"] = resources if isinstance(resources, str) else list(resources)
    if condition:
        out["Condition"] = {op: dict(values) for op, values in condition.items()}
    return out


def document(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def service(name: str) -> dict[str, str]:
    return {"Service": name}


def account_root(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def account_administers(account_id: str) -> dict[str, Any]:
    """The key-policy statement every obsgov key starts with: the owning account administers
    the key, so IAM policies in that account can grant its use (without it a key whose other
    statements name only services would be unmanageable)."""
    return statement(
        "AccountAdministers", "kms:*", "*", principal={"AWS": account_root(account_id)}
    )


def logs_encrypt(
    region: str, log_groups: Strings, *, operator: str = "ArnEquals"
) -> dict[str, Any]:
    """The key-policy statement that lets CloudWatch Logs in ``region`` use the key for
    ``log_groups`` only: Logs names the log group in the encryption context of every call, and
    ``operator`` (``ArnLike`` for a wildcard) matches that context against them."""
    return statement(
        "CloudWatchLogsEncrypt",
        [
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:Describe*",
        ],
        "*",
        principal=service(f"logs.{region}.amazonaws.com"),
        condition={operator: {"kms:EncryptionContext:aws:logs:arn": log_groups}},
    )


def alarms_use_key(account_id: str, sid: str = "CloudWatchAlarmsEncrypt") -> dict[str, Any]:
    """The key-policy statement that lets this account's CloudWatch alarms publish to a topic
    encrypted with the key (``sid`` names it as each deployed key policy already does)."""
    return statement(
        sid,
        ["kms:Decrypt", "kms:GenerateDataKey*"],
        "*",
        principal=service("cloudwatch.amazonaws.com"),
        condition={"StringEquals": {"aws:SourceAccount": account_id}},
    )


def alarms_publish(topic: str, account_id: str) -> dict[str, Any]:
    """The topic-policy statement that lets this account's CloudWatch alarms (and no other
    account's) publish to ``topic``."""
    return statement(
        "CloudWatchAlarmsPublish",
        "sns:Publish",
        topic,
        principal=service("cloudwatch.amazonaws.com"),
        condition={"StringEquals": {"aws:SourceAccount": account_id}},
    )


def alarm_topic_policy(topic: str, account_id: str) -> str:
    """A topic only this account's alarms publish to."""
    return document(alarms_publish(topic, account_id))


def deny_insecure_transport(bucket: str) -> dict[str, Any]:
    """FSBP S3.5: refuse every request that does not use TLS."""
    return statement(
        "DenyInsecureTransport",
        "s3:*",
        [bucket_arn(bucket), f"{bucket_arn(bucket)}/*"],
        effect="Deny",
        principal={"AWS": "*"},
        condition={"Bool": {"aws:SecureTransport": "false"}},
    )


def assume_role_policy(service_principal: str, condition: Mapping[str, Mapping[str, Any]]) -> str:
    """A trust policy: only ``service_principal``, and only under ``condition`` (a confused-deputy
    guard such as ``aws:SourceAccount``). Trust statements carry no Resource."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ServiceAssumesRole",
                    "Effect": "Allow",
                    "Principal": service(service_principal),
                    "Action": "sts:AssumeRole",
                    "Condition": {op: dict(values) for op, values in condition.items()},
                }
            ],
        },
        sort_keys=True,
    )


# ------------------------------------------------------------------------------------ ARNs


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def trail_arn(region: str, management_account_id: str, name: str) -> str:
    """An organization trail's ARN names the management account, whichever account created it."""
    return f"arn:aws:cloudtrail:{region}:{management_account_id}:trail/{name}"


def log_group_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:logs:{region}:{account_id}:log-group:{name}"


def topic_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:sns:{region}:{account_id}:{name}"


def event_bus_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account_id}:event-bus/{name}"


def event_rule_arn(region: str, account_id: str, bus: str, rule: str) -> str:
    """Rules on a custom bus carry the bus name in their ARN; rules on the default bus do not."""
    if bus == "default":
        return f"arn:aws:events:{region}:{account_id}:rule/{rule}"
    return f"arn:aws:events:{region}:{account_id}:rule/{bus}/{rule}"


def alarm_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}"


def put_events_policy(bus_arn: str, sid: str = "PutEventsToCentralBus") -> str:
    """A role's only permission: put events on the central bus. Each caller keeps the Sid its
    deployed policy already has, so its policy text does not change."""
    return document(statement(sid, "events:PutEvents", bus_arn))
