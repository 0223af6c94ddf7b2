"""The organization's log archive, in the log-archive account.

The archive bucket receives the organization trail: versioned, SSE-KMS with the account's own
rotated key, all four public-access blocks, ACLs disabled, TLS only, lifecycle and optional
Object Lock from config, and exactly the statements CloudTrail documents for an organization
trail (creating-an-organizational-trail-prepare, bucket policy). Its server access logs go to a
second bucket hardened the same way except where S3 forbids it: a server-access-log target
supports only SSE-S3 default encryption and no Object Lock (enable-server-access-logging).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from obsgov.config.models.central import ArchiveSettings

from ..shared.buckets import access_log_bucket_policy, harden_bucket
from ..shared.iam_documents import (
    account_administers,
    bucket_arn,
    deny_insecure_transport,
    document,
    service,
    statement,
    trail_arn,
)
from ..shared.keys import rotated_key
from ..shared.type_tokens import formerly


def archive_bucket_name(environment: str, account_id: str) -> str:
    return f"obsgov-{environment}-audit-archive-{account_id}"


def access_log_bucket_name(environment: str, account_id: str) -> str:
    return f"obsgov-{environment}-audit-access-logs-{account_id}"


@dataclass
class LogArchiveArgs:
    environment: str
    region: str
    account_id: str
    organization_id: str
    management_account_id: str
    trail_name: str
    settings: ArchiveSettings = field(default_factory=ArchiveSettings)
    # Principals (IAM role/user ARNs) that may read the archive's default-encrypted objects.
    reader_arns: Sequence[str] = ()
    # Other buckets of this account that deliver their server access logs here (by name).
    logged_bucket_names: Sequence[str] = ()

    @property
    def bucket_name(self) -> str:
        return self.settings.bucket_name or archive_bucket_name(self.environment, self.account_id)

    @property
    def access_log_bucket_name(self) -> str:
        return self.settings.access_log_bucket_name or access_log_bucket_name(
            self.environment, self.account_id
        )


def archive_bucket_policy(
    bucket: str, organization_id: str, management_account_id: str, trail: str
) -> str:
    """TLS only, plus CloudTrail's three organization-trail statements, verbatim in substance:
    the ACL check, the management account's own path and the organization's path, each limited
    to the trail by ``aws:SourceArn`` (whose ARN names the management account)."""
    source = {"aws:SourceArn": trail}
    return document(
        deny_insecure_transport(bucket),
        statement(
            "AWSCloudTrailAclCheck20150319",
            "s3:GetBucketAcl",
            bucket_arn(bucket),
            principal=service("cloudtrail.amazonaws.com"),
            condition={"StringEquals": source},
        ),
        statement(
            "AWSCloudTrailWrite20150319",
            "s3:PutObject",
            f"{bucket_arn(bucket)}/AWSLogs/{management_account_id}/*",
            principal=service("cloudtrail.amazonaws.com"),
            condition={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **source}},
        ),
        statement(
            "AWSCloudTrailOrganizationWrite20150319",
            "s3:PutObject",
            f"{bucket_arn(bucket)}/AWSLogs/{organization_id}/*",
            principal=service("cloudtrail.amazonaws.com"),
            condition={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **source}},
        ),
    )


def archive_key_policy(account_id: str, trail: str, reader_arns: Sequence[str]) -> str:
    statements = [
        account_administers(account_id),
        # Objects CloudTrail writes without its own key header (none today) would fall back to
        # the bucket default; allowing it here keeps such writes from failing silently.
        statement(
            "CloudTrailBucketDefaultEncryption",
            "kms:GenerateDataKey*",
            "*",
            principal=service("cloudtrail.amazonaws.com"),
            condition={"StringEquals": {"aws:SourceArn": trail}},
        ),
        # S3 writes server access logs into the SSE-KMS access-log bucket with this key; the
        # logging service principal must be able to make data keys (S3 user guide, server
        # access logging permissions).
        statement(
            "S3ServerAccessLogDelivery",
            ["kms:GenerateDataKey*", "kms:Encrypt"],
            "*",
            principal=service("logging.s3.amazonaws.com"),
            condition={"StringEquals": {"aws:SourceAccount": account_id}},
        ),
    ]
    if reader_arns:
        statements.append(
            statement(
                "ReadersDecrypt",
                ["kms:Decrypt", "kms:DescribeKey"],
                "*",
                principal={"AWS": sorted(reader_arns)},
            )
        )
    return document(*statements)


def archive_lifecycle_rules(settings: ArchiveSettings) -> list[dict[str, Any]]:
    rule: dict[str, Any] = {
        "id": "archive",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        "noncurrent_version_expiration": {
            "noncurrent_days": settings.noncurrent_version_expiration_days
        },
    }
    if settings.transitions:
        rule["transitions"] = [
            {"days": t.days, "storage_class": t.storage_class} for t in settings.transitions
        ]
    if settings.expiration_days is not None:
        rule["expiration"] = {"days": settings.expiration_days}
    return [rule]


def access_log_lifecycle_rules(settings: ArchiveSettings) -> list[dict[str, Any]]:
    return [
        {
            "id": "access-logs",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "expiration": {"days": settings.access_log_expiration_days},
            "noncurrent_version_expiration": {"noncurrent_days": 30},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        }
    ]


class LogArchive(pulumi.ComponentResource):
    """Archive bucket for the organization trail plus its access-log bucket."""

    key: aws.kms.Key
    bucket: aws.s3.Bucket
    # CloudTrail's CreateTrail checks this policy: the trail must wait for it.
    bucket_policy: aws.s3.BucketPolicy
    access_log_bucket: aws.s3.Bucket
    # the access-log bucket's policy: a bucket's logging waits for it to admit the service
    access_log_bucket_policy: aws.s3.BucketPolicy

    def __init__(
        self,
        name: str,
        args: LogArchiveArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            "obsgov:log_archive:LogArchive",
            name,
            None,
            formerly(opts, "obsgov:logarchive:LogArchive"),
        )
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        trail = trail_arn(args.region, args.management_account_id, args.trail_name)

        self.key = rotated_key(
            f"{name}-key",
            description=f"obsgov {args.environment} audit archive default encryption",
            policy=archive_key_policy(args.account_id, trail, args.reader_arns),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/obsgov-{args.environment}-audit-archive",
            target_key_id=self.key.key_id,
            opts=child,
        )

        log_bucket = args.access_log_bucket_name
        self.access_log_bucket, self.access_log_bucket_policy = harden_bucket(
            self,
            f"{name}-access-logs",
            log_bucket,
            kms_key_arn=self.key.arn,
            policy=access_log_bucket_policy(
                log_bucket, args.account_id, [args.bucket_name, *args.logged_bucket_names]
            ),
            lifecycle_rules=access_log_lifecycle_rules(settings),
        )
        self.bucket, self.bucket_policy = harden_bucket(
            self,
            f"{name}-bucket",
            args.bucket_name,
            kms_key_arn=self.key.arn,
            policy=archive_bucket_policy(
                args.bucket_name, args.organization_id, args.management_account_id, trail
            ),
            lifecycle_rules=archive_lifecycle_rules(settings),
            access_log_bucket=self.access_log_bucket.id,
            access_log_ready=[self.access_log_bucket_policy],
            object_lock_enabled=settings.object_lock is not None,
        )
        if settings.object_lock is not None:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-bucket-object-lock",
                bucket=self.bucket.id,
                rule={
                    "default_retention": {
                        "mode": settings.object_lock.mode,
                        "days": settings.object_lock.days,
                    }
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket]),
            )
        self.register_outputs(
            {
                "bucketName": args.bucket_name,
                "bucketArn": self.bucket.arn,
                "accessLogBucketName": log_bucket,
                "keyArn": self.key.arn,
            }
        )
