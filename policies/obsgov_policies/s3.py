"""Matching S3 buckets with the separate resources that configure them (pulumi-aws v7)."""

from __future__ import annotations

from typing import Any, Iterable

from pulumi_policy.proxy import UnknownValueError

from .props import get

BUCKET = "aws:s3/bucket:Bucket"


def bucket_names(bucket) -> set[str]:
    names = set()
    for key in ("bucket", "id", "name"):
        try:
            value = get(bucket.props, key)
        except UnknownValueError:
            continue
        if isinstance(value, str) and value:
            names.add(value)
    return names


def configures(config, bucket) -> bool:
    """True when ``config`` (a BucketPolicy, BucketVersioning, ...) targets ``bucket``: by
    name, or by its ``bucket`` input depending on the bucket (unknown names in preview)."""
    deps = config.property_dependencies.get("bucket") or []
    if any(d.urn == bucket.urn for d in deps):
        return True
    try:
        target = get(config.props, "bucket")
    except UnknownValueError:
        return False
    return isinstance(target, str) and target in bucket_names(bucket)


def configs_for(resources: Iterable[Any], bucket, config_type: str) -> list:
    return [r for r in resources if r.resource_type == config_type and configures(r, bucket)]


def buckets(resources: Iterable[Any]) -> list:
    return [r for r in resources if r.resource_type == BUCKET]
