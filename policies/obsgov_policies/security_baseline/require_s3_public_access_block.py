"""Every bucket blocks public access with all four settings."""

from ..aws_types import BUCKET
from ..catalog import FSBP, Control, policy
from ..props import as_bool, get
from ..s3 import buckets, configs_for

SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


@policy(
    id="obsgov-s3-bucket-block-public-access",
    description="S3 buckets must have a public access block with all four settings enabled.",
    severity="critical",
    service="s3",
    kind="stack",
    resource_types=(BUCKET,),  # it judges every bucket
    controls=[Control(FSBP, "S3.8"), Control(FSBP, "S3.2"), Control(FSBP, "S3.3")],
    remediation="Add an aws.s3.BucketPublicAccessBlock for the bucket with block_public_acls, "
    "block_public_policy, ignore_public_acls and restrict_public_buckets set to true.",
)
def require_s3_public_access_block(args, report_violation):
    for bucket in buckets(args.resources):
        blocks = configs_for(
            args.resources, bucket, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
        )
        if not blocks:
            report_violation(f"Bucket {bucket.name} has no public access block.", bucket.urn)
            continue
        off = [s for s in SETTINGS if not any(as_bool(get(b.props, s)) for b in blocks)]
        if off:
            report_violation(
                f"Bucket {bucket.name}'s public access block leaves {', '.join(off)} off.",
                bucket.urn,
            )
