"""Every bucket encrypts objects with KMS by default."""

from ..aws_types import BUCKET
from ..catalog import FSBP, Control, policy
from ..props import as_list, as_str, get
from ..s3 import buckets, configs_for

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def require_s3_sse_kms(args, report_violation):
    for bucket in buckets(args.resources):
        configs = configs_for(
            args.resources,
            bucket,
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        )
        algorithms = [
            as_str(get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm"))
            for c in configs
            for rule in as_list(get(c.props, "rules"))
        ]
        if not configs:
            report_violation(
                f"Bucket {bucket.name} has no default encryption configuration.", bucket.urn
            )
        elif not any(a in KMS_ALGORITHMS for a in algorithms):
            report_violation(
                f"Bucket {bucket.name} encrypts with "
                f"{', '.join(a or '(none)' for a in algorithms)}, not aws:kms.",
                bucket.urn,
            )


policy(
    require_s3_sse_kms,
    id="obsgov-s3-bucket-require-sse-kms",
    description="S3 buckets must encrypt objects by default with SSE-KMS.",
    severity="high",
    service="s3",
    kind="stack",
    resource_types=(BUCKET,),  # it judges every bucket
    controls=[Control(FSBP, "S3.17")],
    remediation="Add an aws.s3.BucketServerSideEncryptionConfiguration with sse_algorithm "
    "aws:kms and a customer managed key.",
)
