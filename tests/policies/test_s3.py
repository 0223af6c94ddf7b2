"""Matching buckets with the resources that configure them."""

from pulumi_policy.proxy import unknown_checking_proxy

from obsgov_policies.s3 import bucket_names, buckets, configs_for
from tests.support.policies import UNKNOWN

VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"


class Resource:
    def __init__(self, resource_type, urn, props, bucket_deps=()):
        self.resource_type = resource_type
        self.urn = urn
        self.props = unknown_checking_proxy(props)
        self.property_dependencies = {"bucket": list(bucket_deps)} if bucket_deps else {}


def bucket(props, urn="urn:b"):
    return Resource("aws:s3/bucket:Bucket", urn, props)


def test_bucket_names_are_its_known_names():
    assert bucket_names(bucket({"bucket": "logs", "id": "logs-id", "name": ""})) == {
        "logs",
        "logs-id",
    }
    assert bucket_names(bucket({"bucket": UNKNOWN})) == set()


def test_configs_match_by_name_or_by_dependency():
    logs = bucket({"bucket": "logs"})
    unnamed = bucket({"bucket": UNKNOWN}, urn="urn:unnamed")
    by_name = Resource(VERSIONING, "urn:v1", {"bucket": "logs"})
    by_dependency = Resource(VERSIONING, "urn:v2", {"bucket": UNKNOWN}, [unnamed])
    other_type = Resource("aws:s3/bucketPolicy:BucketPolicy", "urn:p", {"bucket": "logs"})
    other_bucket = Resource(VERSIONING, "urn:v3", {"bucket": "data"})
    everything = [logs, unnamed, by_name, by_dependency, other_type, other_bucket]
    assert [r.urn for r in configs_for(everything, logs, VERSIONING)] == ["urn:v1"]
    assert [r.urn for r in configs_for(everything, unnamed, VERSIONING)] == ["urn:v2"]
    assert [r.urn for r in buckets(everything)] == ["urn:b", "urn:unnamed"]


def test_an_unknown_bucket_name_matches_no_unknown_config():
    """Two unknown names are not equal: only a dependency ties them."""
    unnamed = bucket({"bucket": UNKNOWN})
    config = Resource(VERSIONING, "urn:v", {"bucket": UNKNOWN})
    assert configs_for([unnamed, config], unnamed, VERSIONING) == []


def test_a_bucket_known_only_by_id():
    assert bucket_names(bucket({"id": "logs"})) == {"logs"}
