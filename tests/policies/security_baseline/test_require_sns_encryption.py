from tests.support.policies import UNKNOWN, check

ID = "obsgov-sns-topic-require-kms"


def test_encrypted_topic_passes():
    assert check(ID, {"kmsMasterKeyId": "alias/obsgov"}) == []
    assert check(ID, {"kmsMasterKeyId": UNKNOWN}) == []  # set to another resource's ARN


def test_unencrypted_topic():
    assert check(ID, {"name": "alarms"}) == [
        "The topic has no kmsMasterKeyId, so messages are stored unencrypted."
    ]
    assert check(ID, {"kmsMasterKeyId": ""}) == [
        "The topic has no kmsMasterKeyId, so messages are stored unencrypted."
    ]
