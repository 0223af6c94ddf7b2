from tests.support.policies import UNKNOWN, check

ID = "obsgov-logs-loggroup-require-kms"


def test_encrypted_log_group_passes():
    assert check(ID, {"kmsKeyId": "arn:aws:kms:eu-west-1:111111111111:key/abc"}) == []
    assert check(ID, {"kmsKeyId": UNKNOWN}) == []


def test_unencrypted_log_group():
    assert check(ID, {"name": "app"}) == ["The log group has no kmsKeyId."]
