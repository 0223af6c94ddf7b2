"""Matching S3 buckets with the separate resources that configure them (pulumi-aws v7)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .aws_types import BUCKET
from .props import known_str


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


def configs_for(resources: Iterable[Any], bucket, config_type: str) -> list:
    names = bucket_names(bucket)
    return [r for r in resources if r.resource_type == config_type and _targets(r, bucket, names)]


def buckets(resources: Iterable[Any]) -> list:
    return [r for r in resources if r.resource_type == BUCKET]
