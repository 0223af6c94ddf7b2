from tests.support.policies import R, check_stack

ID = "obsgov-s3-bucket-require-sse-kms"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET = R("aws:s3/bucket:Bucket", "data", {"bucket": "data"})


def sse(algorithm):
    return R(
        SSE,
        "sse",
        {
            "bucket": "data",
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {
                        "sseAlgorithm": algorithm,
                        "kmsMasterKeyId": "k",
                    }
                }
            ],
        },
    )


def test_kms_encrypted_bucket_passes():
    assert check_stack(ID, [BUCKET, sse("aws:kms")]) == []


def test_bucket_without_encryption_configuration():
    assert check_stack(ID, [BUCKET]) == [
        ("data", "Bucket data has no default encryption configuration.")
    ]


def test_sse_s3_is_not_enough():
    assert check_stack(ID, [BUCKET, sse("AES256")]) == [
        ("data", "Bucket data encrypts with AES256, not aws:kms.")
    ]


def test_every_algorithm_is_named_and_a_missing_one_shown():
    config = R(
        SSE,
        "sse",
        {
            "bucket": "data",
            "rules": [
                {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}},
                {"applyServerSideEncryptionByDefault": {}},
            ],
        },
    )
    assert check_stack(ID, [BUCKET, config]) == [
        ("data", "Bucket data encrypts with AES256, (none), not aws:kms.")
    ]


def test_dual_layer_kms_counts():
    assert check_stack(ID, [BUCKET, sse("aws:kms:dsse")]) == []
