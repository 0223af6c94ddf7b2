from tests.support.policies import check

ID = "obsgov-s3-bucket-disallow-acls"


def test_owner_enforced_passes():
    assert (
        check(
            ID,
            {"rule": {"objectOwnership": "BucketOwnerEnforced"}},
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        )
        == []
    )
    assert check(ID, {"bucket": "b"}, "aws:s3/bucket:Bucket") == []


def test_bucket_acl_resource():
    assert check(ID, {"acl": "private"}, "aws:s3/bucketAcl:BucketAcl") == [
        "Bucket ACLs are not allowed; grant access with bucket policies."
    ]


def test_ownership_that_keeps_acls():
    assert check(
        ID,
        {"rule": {"objectOwnership": "ObjectWriter"}},
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    ) == ["Object ownership is ObjectWriter; it must be BucketOwnerEnforced, which disables ACLs."]


def test_bucket_with_inline_acl():
    assert check(ID, {"acl": "public-read"}, "aws:s3/bucket:Bucket") == [
        "The bucket sets acl or grants; ACLs are not allowed."
    ]


def test_unset_ownership_is_named():
    assert check(ID, {"rule": {}}, "aws:s3/bucketOwnershipControls:BucketOwnershipControls") == [
        "Object ownership is (unset); it must be BucketOwnerEnforced, which disables ACLs."
    ]


def test_buckets_setting_acl_or_grants():
    message = "The bucket sets acl or grants; ACLs are not allowed."
    bucket = "aws:s3/bucket:Bucket"
    assert check(ID, {"acl": "private"}, bucket) == [message]
    assert check(ID, {"grants": [{"permission": "READ"}]}, bucket) == [message]
    assert check(ID, {"acl": "", "grants": []}, bucket) == []
