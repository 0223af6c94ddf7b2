"""One account's server access log bucket, for the platform's buckets in that account.

S3 delivers a bucket's server access logs only to a bucket of the same account and Region
(S3 user guide, "Enabling Amazon S3 server access logging"), so each account holding obsgov
buckets that must be logged (Security Hub S3.9) has its own target. The logging service writes
there under the bucket policy (``logging.s3.amazonaws.com`` with ``aws:SourceArn`` naming each
source bucket and ``aws:SourceAccount``), not under ACLs (the bucket enforces ownership), and
makes data keys with the bucket's KMS key under a key-policy grant of its own. The target does
not log itself: a bucket logging into itself makes a log record for each log record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .buckets import access_log_bucket_policy, harden_bucket
from .iam_documents import account_administers, document, service, statement
from .keys import rotated_key


def access_logs_bucket_name(environment: str, account_id: str) -> str:
    return f"obsgov-{environment}-access-logs-{account_id}"


def access_logs_key_policy(account_id: str) -> str:
    return document(
        account_administers(account_id),
        # S3 writes server access logs into an SSE-KMS bucket with the bucket's key; the
        # logging service principal must be able to make data keys for this account's buckets.
        statement(
            "S3ServerAccessLogDelivery",
            ["kms:GenerateDataKey*", "kms:Encrypt"],
            "*",
            principal=service("logging.s3.amazonaws.com"),
            condition={"StringEquals": {"aws:SourceAccount": account_id}},
        ),
    )


@dataclass
class AccessLogsArgs:
    environment: str
    account_id: str
    # the buckets of this account that log here, by name (each writes under its name)
    source_bucket_names: Sequence[str]
    expiration_days: int = 365


class AccessLogs(pulumi.ComponentResource):
    """The access-log bucket, its key and alias."""

    key: aws.kms.Key
    bucket: aws.s3.Bucket
    # a source's logging configuration waits for it: until then the service may not write
    bucket_policy: aws.s3.BucketPolicy

    def __init__(
        self, name: str, args: AccessLogsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("obsgov:access_logs:AccessLogs", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket_name = access_logs_bucket_name(args.environment, args.account_id)
        self.key = rotated_key(
            f"{name}-key",
            description=f"obsgov {args.environment} server access logs",
            policy=access_logs_key_policy(args.account_id),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/obsgov-{args.environment}-access-logs",
            target_key_id=self.key.key_id,
            opts=child,
        )
        self.bucket, self.bucket_policy = harden_bucket(
            self,
            f"{name}-bucket",
            bucket_name,
            kms_key_arn=self.key.arn,
            policy=access_log_bucket_policy(
                bucket_name, args.account_id, sorted(args.source_bucket_names)
            ),
            lifecycle_rules=[
                {
                    "id": "access-logs",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": args.expiration_days},
                    "noncurrent_version_expiration": {"noncurrent_days": 30},
                }
            ],
            purpose="access-logs",
        )
        self.register_outputs({"bucket": self.bucket.bucket})
