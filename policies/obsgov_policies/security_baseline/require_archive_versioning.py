"""Archive buckets (logs, trails, audit records) keep every version of their objects."""

import re

from ..aws_types import BUCKET
from ..catalog import FSBP, Control, policy
from ..props import as_str, get
from ..s3 import bucket_names, buckets, configs_for
from ..tags import effective_tags


def archive_buckets(resources, config) -> list:
    """The buckets that hold archives: named (search) by ``archiveNamePattern`` or tagged
    ``archiveTag``. They are the ones this policy judges."""
    pattern = as_str(config.get("archiveNamePattern"))
    key, _, value = as_str(config.get("archiveTag")).partition("=")
    found = []
    for bucket in buckets(resources):
        names = bucket_names(bucket) | {bucket.name}
        tagged = bool(key) and str(effective_tags(bucket).get(key)) == value
        named = bool(pattern) and any(_search(pattern, n) for n in names)
        if tagged or named:
            found.append(bucket)
    return found


def judged_archives(resources, config) -> list[str]:
    return [bucket.urn for bucket in archive_buckets(resources, config)]


@policy(
    id="obsgov-s3-bucket-require-archive-versioning",
    description="S3 buckets that hold archives must have versioning enabled.",
    severity="medium",
    service="s3",
    kind="stack",
    resource_types=(BUCKET,),
    judges=judged_archives,
    controls=[Control(FSBP, "S3.14")],
    remediation="Add an aws.s3.BucketVersioning for the bucket with status Enabled.",
    config={
        "archiveNamePattern": {
            "type": "string",
            "default": "(^|[-_.])(archive|logs|trail|audit)([-_.]|$)",
            "description": "Bucket names (search) that mark an archive.",
        },
        "archiveTag": {
            "type": "string",
            "default": "purpose=archive",
            "description": "A key=value tag that marks an archive.",
        },
    },
)
def require_archive_versioning(args, report_violation):
    for bucket in archive_buckets(args.resources, args.get_config()):
        versioning = configs_for(args.resources, bucket, "aws:s3/bucketVersioning:BucketVersioning")
        statuses = [as_str(get(v.props, "versioningConfiguration", "status")) for v in versioning]
        if "Enabled" not in statuses:
            report_violation(
                f"Archive bucket {bucket.name} does not have versioning enabled.", bucket.urn
            )


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False
