"""Buckets are governed by policies, not ACLs."""

from ..catalog import FSBP, Control, policy
from ..props import as_str, get, is_set
from ..s3 import BUCKETS


@policy(
    id="obsgov-s3-bucket-disallow-acls",
    description="S3 buckets must not use ACLs: object ownership is BucketOwnerEnforced and no "
    "ACL is granted.",
    severity="medium",
    service="s3",
    resource_types=(
        "aws:s3/bucketAcl:BucketAcl",
        "aws:s3/bucketAclV2:BucketAclV2",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        *BUCKETS,
    ),
    controls=[Control(FSBP, "S3.12")],
    remediation="Remove the ACL and set object_ownership to BucketOwnerEnforced.",
)
def disallow_s3_acls(args, report_violation):
    kind = args.resource_type
    if kind in ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"):
        report_violation("Bucket ACLs are not allowed; grant access with bucket policies.")
    elif kind == "aws:s3/bucketOwnershipControls:BucketOwnershipControls":
        ownership = as_str(get(args.props, "rule", "objectOwnership"))
        if ownership != "BucketOwnerEnforced":
            report_violation(
                f"Object ownership is {ownership or '(unset)'}; it must be "
                "BucketOwnerEnforced, which disables ACLs."
            )
    elif is_set(args.props, "acl") or is_set(args.props, "grants"):
        report_violation("The bucket sets acl or grants; ACLs are not allowed.")
