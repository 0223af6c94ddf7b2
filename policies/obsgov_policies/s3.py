"""Matching S3 buckets with the separate resources that configure them (pulumi-aws v7)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .aws_types import BUCKET, BUCKET_V2
from .props import known_str

BUCKETS = (BUCKET, BUCKET_V2)


def bucket_names(bucket) -> set[str]:
    names = (known_str(bucket.props, key) for key in ("bucket", "id"))
    return {n for n in names if n}


def _targets(config, bucket, names: set[str]) -> bool:
    """True when ``config`` (a BucketPolicy, BucketVersioning, ...) targets ``bucket``: by
    its ``bucket`` input depending on the bucket (names unknown in preview), or by name."""
    deps = config.property_dependencies.get("bucket") or []
    if any(d.urn == bucket.urn for d in deps):
        return True
    return known_str(config.props, "bucket") in names


def config_types(config_type: str) -> tuple[str, ...]:
    """A bucket configuration's type and its v6 ``...V2`` spelling (``aws:s3/bucketVersioning
    V2:BucketVersioningV2``), which pulumi-aws v7 still offers, deprecated."""
    package, _, rest = config_type.partition(":")
    module, _, name = rest.rpartition(":")
    return (config_type, f"{package}:{module}V2:{name}V2")


def configs_for(resources: Iterable[Any], bucket, config_type: str) -> list:
    names = bucket_names(bucket)
    types = config_types(config_type)
    return [r for r in resources if r.resource_type in types and _targets(r, bucket, names)]


def buckets(resources: Iterable[Any]) -> list:
    """Every bucket: ``s3.Bucket`` and the ``s3.BucketV2`` of pulumi-aws v6 programs."""
    return [r for r in resources if r.resource_type in BUCKETS]
