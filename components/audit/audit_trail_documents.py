"""The policy documents of the organization trail: its keys, its delivery role, its topic.

Built from account ids, regions and names only, so they are plain JSON at preview.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..shared.iam_documents import (
    account_administers,
    alarms_use_key,
    document,
    log_group_arn,
    service,
    statement,
)


def trail_key_policy(
    account_id: str, management_account_id: str, trail: str, decrypt_principals: Sequence[str]
) -> str:
    """CloudTrail encrypts only for this organization's trails (the encryption context names
    a trail of the management account) and only for this trail (``aws:SourceArn``); it may
    describe the key; decryption is for the named principals only, and only of CloudTrail's
    log files (the encryption context must be present)."""
    statements = [
        account_administers(account_id),
        statement(
            "CloudTrailEncryptLogs",
            "kms:GenerateDataKey*",
            "*",
            principal=service("cloudtrail.amazonaws.com"),
            condition={
                "StringLike": {
                    "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{management_account_id}:trail/*"
                },
                "StringEquals": {"aws:SourceArn": trail},
            },
        ),
        statement(
            "CloudTrailDescribeKey",
            "kms:DescribeKey",
            "*",
            principal=service("cloudtrail.amazonaws.com"),
            condition={"StringEquals": {"aws:SourceArn": trail}},
        ),
    ]
    if decrypt_principals:
        statements.append(
            statement(
                "NamedPrincipalsDecryptLogs",
                ["kms:Decrypt", "kms:ReEncryptFrom"],
                "*",
                principal={"AWS": sorted(decrypt_principals)},
                condition={"Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"}},
            )
        )
    return document(*statements)


def forward_dead_letter_policy(queue_arn: str, rule_arn: str) -> str:
    """EventBridge may send to the dead-letter queue the undelivered events of the forwarding
    rule, and of no other rule (EventBridge user guide, "Using dead-letter queues to process
    undelivered events", granting permissions to the dead-letter queue)."""
    return document(
        statement(
            "EventBridgeDeadLetters",
            "sqs:SendMessage",
            queue_arn,
            principal=service("events.amazonaws.com"),
            condition={"ArnEquals": {"aws:SourceArn": rule_arn}},
        )
    )


def logs_key_policy(
    account_id: str, region: str, log_group: str, forward_rule_arn: str | None = None
) -> str:
    """CloudWatch Logs may use the key for the trail's log group only; CloudWatch alarms may use
    it to publish to the encrypted security topic of this account; EventBridge may use it for
    the forwarding rule's dead letters (a queue encrypted with a customer managed key needs the
    key policy to admit events.amazonaws.com, EventBridge user guide, "Using dead-letter
    queues")."""
    dead_letters = (
        [
            statement(
                "EventBridgeEncryptDeadLetters",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                "*",
                principal=service("events.amazonaws.com"),
                condition={"ArnEquals": {"aws:SourceArn": forward_rule_arn}},
            )
        ]
        if forward_rule_arn
        else []
    )
    return document(
        account_administers(account_id),
        # AWS's example also lists kms:Describe*, but DescribeKey carries no encryption
        # context, so under this condition it could never be allowed anyway. The context value
        # is a string key: StringEquals on the exact ARN is ArnEquals without a type mismatch.
        statement(
            "LogsEncryptTrailGroup",
            ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
            "*",
            principal=service(f"logs.{region}.amazonaws.com"),
            condition={
                "StringEquals": {
                    "kms:EncryptionContext:aws:logs:arn": log_group_arn(
                        region, account_id, log_group
                    )
                }
            },
        ),
        alarms_use_key(account_id),
        *dead_letters,
    )


def delivery_role_policy(
    region: str, account_id: str, log_group: str, management_account_id: str, organization_id: str
) -> str:
    """The streams CloudTrail writes for an organization trail: the management account's own
    and one per member account, prefixed with the organization id."""
    group = log_group_arn(region, account_id, log_group)
    return document(
        statement(
            "CloudTrailCreateStreamsAndPutEvents",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [
                f"{group}:log-stream:{management_account_id}_CloudTrail_{region}*",
                f"{group}:log-stream:{organization_id}_*",
            ],
        )
    )
