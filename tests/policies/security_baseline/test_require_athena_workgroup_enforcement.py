from tests.support.policies import check

ID = "obsgov-athena-workgroup-require-enforced-encryption"
GOOD = {
    "configuration": {
        "enforceWorkgroupConfiguration": True,
        "resultConfiguration": {
            "encryptionConfiguration": {"encryptionOption": "SSE_KMS", "kmsKeyArn": "arn:aws:kms:x"}
        },
    }
}
NOT_ENFORCED = (
    "The workgroup does not enforce its configuration, so a query can write "
    "unencrypted results wherever its client asks."
)


def test_enforced_and_kms_encrypted_passes():
    assert check(ID, GOOD) == []


def test_not_enforced():
    props = {"configuration": {**GOOD["configuration"], "enforceWorkgroupConfiguration": False}}
    assert check(ID, props) == [NOT_ENFORCED]


def test_results_not_kms_encrypted():
    props = {
        "configuration": {
            "enforceWorkgroupConfiguration": True,
            "resultConfiguration": {"encryptionConfiguration": {"encryptionOption": "SSE_S3"}},
        }
    }
    assert check(ID, props) == [
        "Query results are encrypted with SSE_S3, not a KMS key (SSE_KMS or CSE_KMS)."
    ]
    assert check(ID, {}) == [
        "Query results are encrypted with nothing, not a KMS key (SSE_KMS or CSE_KMS).",
    ]


def test_unset_enforcement_takes_the_providers_default_of_true():
    configuration = {
        k: v for k, v in GOOD["configuration"].items() if k != "enforceWorkgroupConfiguration"
    }
    assert check(ID, {"configuration": configuration}) == []


def test_client_side_kms_encryption_passes():
    configuration = {
        "enforceWorkgroupConfiguration": True,
        "resultConfiguration": {"encryptionConfiguration": {"encryptionOption": "CSE_KMS"}},
    }
    assert check(ID, {"configuration": configuration}) == []
