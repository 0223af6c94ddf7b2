from tests.support.policies import check

ID = "obsgov-kms-key-require-rotation"


def test_rotating_key_passes():
    assert check(ID, {"enableKeyRotation": True}) == []


def test_key_without_rotation():
    assert check(ID, {"enableKeyRotation": False}) == [
        "Key rotation is not enabled (enableKeyRotation is not true)."
    ]
    assert check(ID, {}) == ["Key rotation is not enabled (enableKeyRotation is not true)."]


def test_asymmetric_keys_are_exempt():
    assert check(ID, {"customerMasterKeySpec": "RSA_2048"}) == []
