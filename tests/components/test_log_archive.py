"""The log archive in the log-archive account: hardening of both buckets, CloudTrail's
organization-trail bucket policy statement by statement, lifecycle and Object Lock from config."""

from __future__ import annotations

import json

import pytest

from obsgov.graph import UNKNOWN, GraphResource, ResourceGraph

from ..support.caching import graph_scope
from .test_audit_support import (
    KEY_POLICY_ALLOWED,
    LOG_ARCHIVE,
    MANAGEMENT,
    ORG_ID,
    PROD_SETTINGS,
    by_sid,
    central_graph,
    lint,
    one,
    wildcard_principals,
)

BUCKET = "aws:s3/bucket:Bucket"
ARCHIVE = "obsgov-prod-audit-archive-100000000003"
ACCESS_LOGS = "obsgov-prod-audit-access-logs-100000000003"
RESULTS = "obsgov-prod-athena-results-100000000003"
TRAIL_ARN = f"arn:aws:cloudtrail:eu-west-1:{MANAGEMENT}:trail/obsgov-prod-organization-trail"


@pytest.fixture(scope=graph_scope)
def prod() -> ResourceGraph:
    return central_graph("prod", PROD_SETTINGS)


@pytest.fixture(scope=graph_scope)
def dev() -> ResourceGraph:
    return central_graph("dev")


def bucket(graph: ResourceGraph, name: str) -> GraphResource:
    found = [r for r in graph.of_type(BUCKET) if r.inputs.get("bucket") == name]
    assert len(found) == 1, name
    return found[0]


def config_of(graph: ResourceGraph, target: GraphResource, type_token: str) -> list[GraphResource]:
    """Resources of ``type_token`` whose ``bucket`` input is ``target``'s id."""
    return [
        r
        for r in graph.of_type(type_token)
        if r.property_dependencies.get("bucket") == [target.urn]
    ]


def single(graph, target, type_token) -> dict:
    found = config_of(graph, target, type_token)
    assert len(found) == 1, (target.name, type_token, [r.name for r in found])
    return found[0].inputs


@pytest.mark.parametrize("name", [ARCHIVE, ACCESS_LOGS, RESULTS])
def test_every_bucket_is_private_versioned_owner_enforced_and_in_the_log_archive(prod, name):
    b = bucket(prod, name)
    assert b.account == LOG_ARCHIVE
    assert "acl" not in b.inputs
    assert "grants" not in b.inputs
    block = single(prod, b, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert {
        k: block[k]
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    } == dict.fromkeys(
        ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True
    )
    ownership = single(prod, b, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    versioning = single(prod, b, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    policy = by_sid(single(prod, b, "aws:s3/bucketPolicy:BucketPolicy")["policy"])
    assert policy["DenyInsecureTransport"] == {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


@pytest.mark.parametrize(
    ("name", "key"), [(ARCHIVE, "log-archive-prod-key"), (RESULTS, "audit-analytics-prod-key")]
)
def test_archive_and_results_buckets_use_sse_kms_with_their_own_rotated_key(prod, name, key):
    b = bucket(prod, name)
    sse = prod.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    config = [r for r in sse if r.property_dependencies.get("bucket") == [b.urn]]
    assert len(config) == 1
    rule = config[0].inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert rule["bucketKeyEnabled"] is True
    key_resource = one(prod, "aws:kms/key:Key", key)
    # The key's ARN is unknown in preview: the dependency shows which key it is.
    assert config[0].property_dependencies["rules"] == [key_resource.urn]
    assert key_resource.inputs["enableKeyRotation"] is True
    assert key_resource.account == LOG_ARCHIVE


def test_access_log_bucket_uses_sse_kms_the_logging_service_may_use(prod):
    """S3 delivers server access logs to an SSE-KMS destination when the key policy lets
    logging.s3.amazonaws.com make data keys (the S3 user guide's server access logging
    permissions; aws-cdk's ServerAccessLogsSseKms integration test, PR #25350, deploys it). The
    June 2023 awsdocs copy still said SSE-S3 only. Object Lock stays off on a log target."""
    b = bucket(prod, ACCESS_LOGS)
    rule = single(
        prod,
        b,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    key = one(prod, "aws:kms/key:Key", "log-archive-prod-key")
    [logging] = [
        st
        for st in json.loads(key.inputs["policy"])["Statement"]
        if st["Sid"] == "S3ServerAccessLogDelivery"
    ]
    assert logging["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert logging["Condition"] == {"StringEquals": {"aws:SourceAccount": LOG_ARCHIVE}}
    assert b.inputs.get("objectLockEnabled") in (None, False)
    assert (
        config_of(prod, b, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
        == []
    )


def test_archive_bucket_policy_is_exactly_cloudtrails_organization_trail_statements(prod):
    """AWS CloudTrail user guide, creating-an-organizational-trail-prepare (bucket policy for
    an organization trail): the ACL check, the management account's path and the
    organization's path, each conditioned on the trail's ARN; writes also on
    bucket-owner-full-control."""
    policy = by_sid(
        single(prod, bucket(prod, ARCHIVE), "aws:s3/bucketPolicy:BucketPolicy")["policy"]
    )
    assert sorted(policy) == [
        "AWSCloudTrailAclCheck20150319",
        "AWSCloudTrailOrganizationWrite20150319",
        "AWSCloudTrailWrite20150319",
        "DenyInsecureTransport",
    ]
    cloudtrail = {"Service": "cloudtrail.amazonaws.com"}
    assert policy["AWSCloudTrailAclCheck20150319"] == {
        "Effect": "Allow",
        "Principal": cloudtrail,
        "Action": "s3:GetBucketAcl",
        "Resource": f"arn:aws:s3:::{ARCHIVE}",
        "Condition": {"StringEquals": {"aws:SourceArn": TRAIL_ARN}},
    }
    write_condition = {
        "StringEquals": {"aws:SourceArn": TRAIL_ARN, "s3:x-amz-acl": "bucket-owner-full-control"}
    }
    assert policy["AWSCloudTrailWrite20150319"] == {
        "Effect": "Allow",
        "Principal": cloudtrail,
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{ARCHIVE}/AWSLogs/{MANAGEMENT}/*",
        "Condition": write_condition,
    }
    assert policy["AWSCloudTrailOrganizationWrite20150319"] == {
        "Effect": "Allow",
        "Principal": cloudtrail,
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{ARCHIVE}/AWSLogs/{ORG_ID}/*",
        "Condition": write_condition,
    }


def test_trail_arn_in_the_bucket_policy_names_the_management_account_with_a_delegated_admin():
    graph = central_graph("prod", {"trail": {"adminAccountId": "100000000009"}})
    policy = by_sid(
        single(graph, bucket(graph, ARCHIVE), "aws:s3/bucketPolicy:BucketPolicy")["policy"]
    )
    assert policy["AWSCloudTrailAclCheck20150319"]["Condition"] == {
        "StringEquals": {"aws:SourceArn": TRAIL_ARN}
    }
    assert (
        one(graph, "aws:cloudtrail/trail:Trail", "audit-trail-prod-trail").account == "100000000009"
    )


def test_access_log_bucket_admits_s3_logging_for_this_accounts_archive_and_results_only(prod):
    policy = by_sid(
        single(prod, bucket(prod, ACCESS_LOGS), "aws:s3/bucketPolicy:BucketPolicy")["policy"]
    )
    assert sorted(policy) == ["DenyInsecureTransport", "S3ServerAccessLogs0", "S3ServerAccessLogs1"]
    for sid, source in (("S3ServerAccessLogs0", ARCHIVE), ("S3ServerAccessLogs1", RESULTS)):
        assert policy[sid] == {
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{ACCESS_LOGS}/{source}/*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{source}"},
                "StringEquals": {"aws:SourceAccount": LOG_ARCHIVE},
            },
        }


@pytest.mark.parametrize("name", [ARCHIVE, RESULTS])
def test_archive_and_results_buckets_log_access_under_their_own_prefix(prod, name):
    logging = single(prod, bucket(prod, name), "aws:s3/bucketLogging:BucketLogging")
    assert logging["targetPrefix"] == f"{name}/"
    logging_resource = config_of(prod, bucket(prod, name), "aws:s3/bucketLogging:BucketLogging")[0]
    assert logging_resource.property_dependencies["targetBucket"] == [bucket(prod, ACCESS_LOGS).urn]


def test_access_log_bucket_does_not_log_to_itself(prod):
    assert config_of(prod, bucket(prod, ACCESS_LOGS), "aws:s3/bucketLogging:BucketLogging") == []


def test_lifecycle_and_object_lock_come_from_config(prod):
    archive = bucket(prod, ARCHIVE)
    assert archive.inputs["objectLockEnabled"] is True
    lock = single(
        prod, archive, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
    )
    assert lock["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 365}}
    rules = single(
        prod, archive, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    )["rules"]
    assert rules == [
        {
            "id": "archive",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "transitions": [
                {"days": 90, "storageClass": "GLACIER_IR"},
                {"days": 365, "storageClass": "DEEP_ARCHIVE"},
            ],
            "expiration": {"days": 2557},
            "noncurrentVersionExpiration": {"noncurrentDays": 90},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
        }
    ]


def test_access_logs_expire_as_configured(prod):
    logs = bucket(prod, ACCESS_LOGS)
    rules = single(prod, logs, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[
        "rules"
    ]
    # status is required: a rule without it is refused by S3
    assert rules == [
        {
            "id": "access-logs",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "expiration": {"days": 365},  # accessLogExpirationDays, by default
            "noncurrentVersionExpiration": {"noncurrentDays": 30},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
        }
    ]


def test_without_object_lock_config_there_is_no_lock_and_no_expiry(dev):
    archive = bucket(dev, "obsgov-dev-audit-archive-100000000003")
    assert archive.inputs.get("objectLockEnabled") in (None, False)
    assert dev.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration") == []
    rules = single(
        dev, archive, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    )["rules"]
    assert "expiration" not in rules[0]
    assert "transitions" not in rules[0]


def test_archive_key_lets_cloudtrail_use_it_for_this_trail_and_readers_decrypt(prod):
    key = one(prod, "aws:kms/key:Key", "log-archive-prod-key")
    policy = by_sid(key.inputs["policy"])
    assert policy == {
        "AccountAdministers": {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{LOG_ARCHIVE}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        "CloudTrailBucketDefaultEncryption": {
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceArn": TRAIL_ARN}},
        },
        "S3ServerAccessLogDelivery": {
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": ["kms:GenerateDataKey*", "kms:Encrypt"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": LOG_ARCHIVE}},
        },
        "ReadersDecrypt": {
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{LOG_ARCHIVE}:role/obsgov-auditor"]},
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
        },
    }


def test_every_log_archive_policy_lints_clean_and_opens_to_no_one(prod):
    documents = [r.inputs["policy"] for r in prod.of_type("aws:s3/bucketPolicy:BucketPolicy")]
    assert len(documents) == 3
    assert UNKNOWN not in documents
    for document in documents:
        assert lint(document) == [], document
        assert wildcard_principals(document) == []
    key = one(prod, "aws:kms/key:Key", "log-archive-prod-key").inputs["policy"]
    assert lint(key, allowed=KEY_POLICY_ALLOWED) == []
    assert wildcard_principals(key) == []
    json.loads(key)
