import json

from tests.support.policies import R, check_stack

ID = "obsgov-s3-bucket-require-tls"
BUCKET = R("aws:s3/bucket:Bucket", "data", {"bucket": "data"})
DENY_HTTP = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::data/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def bucket_policy(*statements, as_json=True):
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return R(
        "aws:s3/bucketPolicy:BucketPolicy",
        "policy",
        {"bucket": "data", "policy": json.dumps(document) if as_json else document},
    )


def test_tls_only_policy_passes():
    assert check_stack(ID, [BUCKET, bucket_policy(DENY_HTTP)]) == []
    assert check_stack(ID, [BUCKET, bucket_policy(DENY_HTTP, as_json=False)]) == []


NO_TLS = [
    (
        "data",
        "Bucket data has no policy denying requests without TLS (aws:SecureTransport false).",
    )
]


def test_bucket_without_policy():
    assert check_stack(ID, [BUCKET]) == NO_TLS


def test_policy_that_only_allows_is_not_enough():
    allow = {**DENY_HTTP, "Effect": "Allow"}
    assert check_stack(ID, [BUCKET, bucket_policy(allow)]) == NO_TLS


def test_deny_on_other_actions_is_not_enough():
    narrow = {**DENY_HTTP, "Action": "s3:GetObject"}
    assert check_stack(ID, [BUCKET, bucket_policy(narrow)]) == NO_TLS


def test_condition_values_may_be_lists():
    listed = {**DENY_HTTP, "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}}
    assert check_stack(ID, [BUCKET, bucket_policy(listed)]) == []
    if_exists = {**DENY_HTTP, "Condition": {"BoolIfExists": {"aws:SecureTransport": False}}}
    assert check_stack(ID, [BUCKET, bucket_policy(if_exists)]) == []
    wrong = {**DENY_HTTP, "Condition": {"Bool": {"aws:SecureTransport": ["true"]}}}
    assert check_stack(ID, [BUCKET, bucket_policy(wrong)]) == NO_TLS


def test_a_deny_of_every_action_counts():
    assert check_stack(ID, [BUCKET, bucket_policy({**DENY_HTTP, "Action": ["*"]})]) == []


def test_every_statement_is_read_until_one_denies_plain_http():
    allow = {**DENY_HTTP, "Effect": "Allow"}
    narrow = {**DENY_HTTP, "Action": "s3:GetObject"}
    assert check_stack(ID, [BUCKET, bucket_policy(allow, narrow, DENY_HTTP)]) == []
