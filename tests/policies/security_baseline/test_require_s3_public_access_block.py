from tests.support.policies import UNKNOWN, R, check_stack

ID = "obsgov-s3-bucket-block-public-access"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ALL_ON = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}


def bucket(name="logs", bucket_name="logs-bucket"):
    return R("aws:s3/bucket:Bucket", name, {"bucket": bucket_name})


def test_fully_blocked_bucket_passes():
    assert check_stack(ID, [bucket(), R(PAB, "pab", {"bucket": "logs-bucket", **ALL_ON})]) == []


def test_bucket_without_block():
    assert check_stack(ID, [bucket()]) == [("logs", "Bucket logs has no public access block.")]


def test_block_with_a_setting_off():
    block = R(PAB, "pab", {"bucket": "logs-bucket", **ALL_ON, "restrictPublicBuckets": False})
    assert check_stack(ID, [bucket(), block]) == [
        ("logs", "Bucket logs's public access block leaves restrictPublicBuckets off.")
    ]


def test_unknown_bucket_name_matches_through_property_dependency():
    block = R(PAB, "pab", {"bucket": UNKNOWN, **ALL_ON}, prop_deps={"bucket": ["logs"]})
    assert check_stack(ID, [bucket(bucket_name=UNKNOWN), block]) == []


def test_block_of_another_bucket_does_not_count():
    block = R(PAB, "pab", {"bucket": "other", **ALL_ON})
    assert check_stack(ID, [bucket(), block]) == [
        ("logs", "Bucket logs has no public access block.")
    ]


def test_every_setting_left_off_is_named_across_blocks():
    first = R(PAB, "pab1", {"bucket": "logs-bucket", "blockPublicAcls": True})
    second = R(PAB, "pab2", {"bucket": "logs-bucket", "ignorePublicAcls": True})
    assert check_stack(ID, [bucket(), first, second]) == [
        (
            "logs",
            "Bucket logs's public access block leaves blockPublicPolicy, "
            "restrictPublicBuckets off.",
        )
    ]


def test_every_bucket_is_judged():
    assert check_stack(ID, [bucket("a", "a"), bucket("b", "b")]) == [
        ("a", "Bucket a has no public access block."),
        ("b", "Bucket b has no public access block."),
    ]
