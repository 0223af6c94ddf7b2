from ..harness import check

ID = "obsgov-s3-bucket-disallow-acls"


def test_owner_enforced_passes():
    assert check(ID, {"rule": {"objectOwnership": "BucketOwnerEnforced"}},
                 "aws:s3/bucketOwnershipControls:BucketOwnershipControls") == []
    assert check(ID, {"bucket": "b"}, "aws:s3/bucket:Bucket") == []


def test_bucket_acl_resource():
    assert check(ID, {"acl": "private"}, "aws:s3/bucketAcl:BucketAcl") == [
        "Bucket ACLs are not allowed; grant access with bucket policies."]


def test_ownership_that_keeps_acls():
    assert check(ID, {"rule": {"objectOwnership": "ObjectWriter"}},
                 "aws:s3/bucketOwnershipControls:BucketOwnershipControls") == [
        "Object ownership is ObjectWriter; it must be BucketOwnerEnforced, which disables ACLs."]


def test_bucket_with_inline_acl():
    assert check(ID, {"acl": "public-read"}, "aws:s3/bucket:Bucket") == [
        "The bucket sets acl or grants; ACLs are not allowed."]
