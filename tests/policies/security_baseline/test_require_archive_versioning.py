from tests.support.policies import R, check_stack

ID = "obsgov-s3-bucket-require-archive-versioning"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"


def versioning(bucket, status="Enabled"):
    return R(
        VERSIONING, f"{bucket}-v", {"bucket": bucket, "versioningConfiguration": {"status": status}}
    )


def test_versioned_archive_passes():
    assert (
        check_stack(
            ID,
            [
                R("aws:s3/bucket:Bucket", "trail-logs", {"bucket": "org-trail-logs"}),
                versioning("org-trail-logs"),
            ],
        )
        == []
    )


def test_archive_by_name_without_versioning():
    assert check_stack(
        ID,
        [
            R("aws:s3/bucket:Bucket", "audit", {"bucket": "org-audit"}),
            versioning("org-audit", "Suspended"),
        ],
    ) == [("audit", "Archive bucket audit does not have versioning enabled.")]


def test_archive_by_tag():
    tagged = R("aws:s3/bucket:Bucket", "store", {"bucket": "store", "tags": {"purpose": "archive"}})
    assert check_stack(ID, [tagged]) == [
        ("store", "Archive bucket store does not have versioning enabled.")
    ]


def test_other_buckets_are_not_archives():
    assert check_stack(ID, [R("aws:s3/bucket:Bucket", "scratch", {"bucket": "scratch"})]) == []


def test_every_bucket_is_judged_and_a_tag_value_may_hold_equals():
    scratch = R("aws:s3/bucket:Bucket", "scratch", {"bucket": "scratch"})
    cold = R("aws:s3/bucket:Bucket", "cold", {"bucket": "cold", "tags": {"class": "tier=cold"}})
    config = {"archiveTag": "class=tier=cold"}
    assert check_stack(ID, [scratch, cold], config) == [
        ("cold", "Archive bucket cold does not have versioning enabled.")
    ]


def test_an_invalid_name_pattern_marks_no_bucket():
    logs = R("aws:s3/bucket:Bucket", "logs", {"bucket": "logs"})
    assert check_stack(ID, [logs], {"archiveNamePattern": "(", "archiveTag": ""}) == []


def test_the_resource_name_counts_as_a_name():
    bucket = R("aws:s3/bucket:Bucket", "audit", {"bucket": "b-1234"})
    assert check_stack(ID, [bucket]) == [
        ("audit", "Archive bucket audit does not have versioning enabled.")
    ]
