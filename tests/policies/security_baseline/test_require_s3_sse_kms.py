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


def test_a_bucket_v2_is_judged_with_its_v2_configuration():
    """pulumi-aws v6 programs make aws.s3.BucketV2 (aws:s3/bucketV2:BucketV2) configured by
    ...V2 resources; v7 keeps both, deprecated. Before, such a bucket was not judged at all."""
    v2 = R("aws:s3/bucketV2:BucketV2", "data", {"bucket": "data"})
    assert check_stack(ID, [v2]) == [
        ("data", "Bucket data has no default encryption configuration.")
    ]
    config = sse("aws:kms")
    config.type = SSE.replace("Configuration:", "ConfigurationV2:") + "V2"
    assert check_stack(ID, [v2, config]) == []


def test_encryption_set_on_the_bucket_itself_counts():
    inline = R(
        "aws:s3/bucket:Bucket",
        "data",
        {
            "bucket": "data",
            "serverSideEncryptionConfiguration": {
                "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}
            },
        },
    )
    assert check_stack(ID, [inline]) == []
    v2 = R(
        "aws:s3/bucketV2:BucketV2",
        "data",
        {
            "bucket": "data",
            "serverSideEncryptionConfigurations": [
                {"rules": [{"applyServerSideEncryptionByDefaults": [{"sseAlgorithm": "AES256"}]}]}
            ],
        },
    )
    assert check_stack(ID, [v2]) == [("data", "Bucket data encrypts with AES256, not aws:kms.")]
