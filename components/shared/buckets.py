"""The one way the platform makes an S3 bucket: private, versioned, TLS only, ACLs disabled.

Every bucket obsgov writes to (the trail's archive and its access logs, the metric lake, the
lifecycle archive, the failed-document backups, the audit query results) goes through
:func:`hardened_bucket`, so a setting the security-baseline pack checks is made in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from .iam_documents import bucket_arn, deny_insecure_transport, document, service, statement

# Parts of a multipart upload that never completes are stored (and billed) until aborted; every
# bucket's lifecycle aborts them after this many days (S3 user guide, "Configuring a bucket
# lifecycle configuration to delete incomplete multipart uploads"; Checkov CKV_AWS_300).
ABORT_INCOMPLETE_UPLOADS_DAYS = 7


def _field(value: Any, key: str) -> Any:
    """A lifecycle rule's field, whether the rule is a dict or the provider's Args object."""
    if value is None:
        return None
    return value.get(key) if isinstance(value, dict) else getattr(value, key, None)


def aborts_incomplete_uploads(rule: Any) -> bool:
    """An enabled rule that aborts incomplete multipart uploads anywhere in the bucket (no
    prefix, tag or size filter)."""
    filter_ = _field(rule, "filter")
    narrowed = any(
        _field(filter_, k)
        for k in (
            "prefix",
            "tag",
            "and_",
            "and",
            "object_size_greater_than",
            "object_size_less_than",
        )
    )
    return bool(
        _field(rule, "status") == "Enabled"
        and _field(rule, "abort_incomplete_multipart_upload")
        and not narrowed
    )


def with_abort_rule(rules: Sequence[Any]) -> list[Any]:
    """``rules``, plus a whole-bucket rule aborting incomplete multipart uploads when none of
    them does."""
    if any(aborts_incomplete_uploads(r) for r in rules):
        return list(rules)
    return [
        *rules,
        {
            "id": "abort-incomplete-uploads",
            "status": "Enabled",
            "filter": {},
            "abort_incomplete_multipart_upload": {
                "days_after_initiation": ABORT_INCOMPLETE_UPLOADS_DAYS
            },
        },
    ]


def access_log_bucket_policy(bucket: str, account_id: str, sources: Sequence[str]) -> str:
    """S3's logging service may write under each source bucket's prefix, for this account's
    buckets only: the bucket-policy way of granting server access log delivery, with
    aws:SourceArn and aws:SourceAccount (S3 user guide, "Enabling Amazon S3 server access
    logging", "Grant permissions to the logging service principal using a bucket policy")."""
    statements = [deny_insecure_transport(bucket)]
    for i, source in enumerate(sources):
        statements.append(
            statement(
                f"S3ServerAccessLogs{i}",
                "s3:PutObject",
                f"{bucket_arn(bucket)}/{source}/*",
                principal=service("logging.s3.amazonaws.com"),
                condition={
                    "ArnLike": {"aws:SourceArn": bucket_arn(source)},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            )
        )
    return document(*statements)


def hardened_bucket(  # noqa: PLR0913 - keyword-only hardening options of one bucket, spelled at each call
    owner: pulumi.Resource,
    logical: str,
    name: str,
    *,
    kms_key_arn: pulumi.Input[str] | None,
    policy: str,
    lifecycle_rules: Sequence[Any],
    access_log_bucket: pulumi.Input[str] | None = None,
    access_log_ready: Sequence[pulumi.Resource] = (),
    object_lock_enabled: bool = False,
    purpose: str = "archive",
) -> aws.s3.Bucket:
    """A private, versioned, TLS-only bucket with ACLs disabled and default encryption:
    SSE-KMS with ``kms_key_arn``, or SSE-S3 where S3 allows nothing else."""
    return harden_bucket(
        owner,
        logical,
        name,
        kms_key_arn=kms_key_arn,
        policy=policy,
        lifecycle_rules=lifecycle_rules,
        access_log_bucket=access_log_bucket,
        access_log_ready=access_log_ready,
        object_lock_enabled=object_lock_enabled,
        purpose=purpose,
    )[0]


def harden_bucket(  # noqa: PLR0913 - keyword-only hardening options of one bucket, spelled at each call
    owner: pulumi.Resource,
    logical: str,
    name: str,
    *,
    kms_key_arn: pulumi.Input[str] | None,
    policy: str,
    lifecycle_rules: Sequence[Any],
    access_log_bucket: pulumi.Input[str] | None = None,
    access_log_ready: Sequence[pulumi.Resource] = (),
    object_lock_enabled: bool = False,
    purpose: str = "archive",
) -> tuple[aws.s3.Bucket, aws.s3.BucketPolicy]:
    """:func:`hardened_bucket`, also returning the bucket policy (for resources that must wait
    until the policy admits them). Server access logs go to ``access_log_bucket`` once
    ``access_log_ready`` (its policy admitting the logging service) exists."""
    child = pulumi.ResourceOptions(parent=owner)
    # `purpose` is the tag the security-baseline pack reads to recognise archives.
    bucket = aws.s3.Bucket(
        logical,
        bucket=name,
        object_lock_enabled=object_lock_enabled or None,
        tags={"purpose": purpose},
        opts=child,
    )
    after = pulumi.ResourceOptions(parent=owner, depends_on=[bucket])
    block = aws.s3.BucketPublicAccessBlock(
        f"{logical}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=after,
    )
    aws.s3.BucketOwnershipControls(
        f"{logical}-ownership",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=after,
    )
    versioning = aws.s3.BucketVersioning(
        f"{logical}-versioning",
        bucket=bucket.id,
        versioning_configuration={"status": "Enabled"},
        opts=after,
    )
    default = (
        aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms" if kms_key_arn is not None else "AES256",
            kms_master_key_id=kms_key_arn,
        )
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{logical}-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=default,
                bucket_key_enabled=kms_key_arn is not None,
            )
        ],
        opts=after,
    )
    # The public access block first: BlockPublicPolicy judges the policy we put next.
    bucket_policy = aws.s3.BucketPolicy(
        f"{logical}-policy",
        bucket=bucket.id,
        policy=policy,
        opts=pulumi.ResourceOptions(parent=owner, depends_on=[block]),
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{logical}-lifecycle",
        bucket=bucket.id,
        rules=with_abort_rule(lifecycle_rules),
        opts=pulumi.ResourceOptions(parent=owner, depends_on=[versioning]),
    )
    if access_log_bucket is not None:
        aws.s3.BucketLogging(
            f"{logical}-access-logging",
            bucket=bucket.id,
            target_bucket=access_log_bucket,
            target_prefix=f"{name}/",
            opts=pulumi.ResourceOptions(parent=owner, depends_on=[bucket, *access_log_ready]),
        )
    return bucket, bucket_policy
