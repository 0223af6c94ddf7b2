"""Every bucket encrypts objects with KMS by default."""

from pulumi_policy.proxy import UnknownValueError

from ..aws_types import BUCKET
from ..catalog import FSBP, Control, policy
from ..props import as_list, as_str, get
from ..s3 import buckets, configs_for

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def inline_algorithms(bucket) -> list[str]:
    """Default encryption set on the bucket itself (deprecated, still honoured): v7's
    ``serverSideEncryptionConfiguration.rule`` or v6 BucketV2's lists of the same. The
    provider computes the property when the program leaves it unset, so in preview it is
    unknown then: no inline configuration to count."""
    try:
        return _inline_algorithms(bucket)
    except UnknownValueError:
        return []


def _inline_algorithms(bucket) -> list[str]:
    found = [
        as_str(
            get(bucket.props, "serverSideEncryptionConfiguration", "rule")
            and get(
                bucket.props,
                "serverSideEncryptionConfiguration",
                "rule",
                "applyServerSideEncryptionByDefault",
                "sseAlgorithm",
            )
        )
    ]
    for config in as_list(get(bucket.props, "serverSideEncryptionConfigurations")):
        for rule in as_list(get(config, "rules")):
            for default in as_list(get(rule, "applyServerSideEncryptionByDefaults")):
                found.append(as_str(get(default, "sseAlgorithm")))
    return [a for a in found if a]


@policy(
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
        inline = inline_algorithms(bucket)
        if inline:
            configs = [*configs, bucket]
            algorithms += inline
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
