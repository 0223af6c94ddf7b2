from tests.support.policies import check

ID = "obsgov-firehose-stream-require-encryption"
GOOD = {
    "serverSideEncryption": {
        "enabled": True,
        "keyType": "CUSTOMER_MANAGED_CMK",
        "keyArn": "arn:aws:kms:eu-west-1:1:key/k",
    }
}


def test_customer_managed_encryption_passes():
    assert check(ID, GOOD) == []


def test_encryption_off():
    assert check(ID, {}) == [
        "Server-side encryption is off, so buffered records are stored unencrypted."
    ]
    assert check(ID, {"serverSideEncryption": {"enabled": False}}) == [
        "Server-side encryption is off, so buffered records are stored unencrypted."
    ]


def test_aws_owned_key():
    assert check(ID, {"serverSideEncryption": {"enabled": True, "keyType": "AWS_OWNED_CMK"}}) == [
        "Server-side encryption uses AWS_OWNED_CMK, not a customer managed key."
    ]


def test_streams_fed_by_kinesis_are_not_judged():
    assert (
        check(ID, {"kinesisSourceConfiguration": {"kinesisStreamArn": "arn:aws:kinesis:x"}}) == []
    )


def test_unset_key_type_is_firehoses_default_aws_owned_key():
    assert check(ID, {"serverSideEncryption": {"enabled": True}}) == [
        "Server-side encryption uses an AWS owned key, not a customer managed key."
    ]
