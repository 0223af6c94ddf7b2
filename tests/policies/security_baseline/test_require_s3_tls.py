import json

from ..harness import R, check_stack

ID = "obsgov-s3-bucket-require-tls"
BUCKET = R("aws:s3/bucket:Bucket", "data", {"bucket": "data"})
DENY_HTTP = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::data/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def bucket_policy(*statements, as_json=True):
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return R("aws:s3/bucketPolicy:BucketPolicy", "policy",
             {"bucket": "data", "policy": json.dumps(document) if as_json else document})


def test_tls_only_policy_passes():
    assert check_stack(ID, [BUCKET, bucket_policy(DENY_HTTP)]) == []
    assert check_stack(ID, [BUCKET, bucket_policy(DENY_HTTP, as_json=False)]) == []


def test_bucket_without_policy():
    assert check_stack(ID, [BUCKET]) == [
        ("data", "Bucket data has no policy denying requests without TLS (aws:SecureTransport false).")]


def test_policy_that_only_allows_is_not_enough():
    allow = {**DENY_HTTP, "Effect": "Allow"}
    assert len(check_stack(ID, [BUCKET, bucket_policy(allow)])) == 1


def test_deny_on_other_actions_is_not_enough():
    narrow = {**DENY_HTTP, "Action": "s3:GetObject"}
    assert len(check_stack(ID, [BUCKET, bucket_policy(narrow)])) == 1
