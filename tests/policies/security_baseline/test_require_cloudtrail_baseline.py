from tests.support.policies import check

ID = "obsgov-cloudtrail-trail-require-baseline"
GOOD = {
    "isMultiRegionTrail": True,
    "enableLogFileValidation": True,
    "kmsKeyId": "k",
    "cloudWatchLogsGroupArn": "arn:aws:logs:eu-west-1:1:log-group:trail:*",
}


def test_compliant_trail_passes():
    assert check(ID, GOOD) == []


def test_single_region_trail():
    assert check(ID, {**GOOD, "isMultiRegionTrail": False}) == [
        "The trail is not multi-region (isMultiRegionTrail)."
    ]


def test_no_log_file_validation():
    assert check(ID, {**GOOD, "enableLogFileValidation": False}) == [
        "Log file validation is off (enableLogFileValidation)."
    ]


def test_no_kms():
    assert check(ID, {k: v for k, v in GOOD.items() if k != "kmsKeyId"}) == [
        "The trail's logs are not encrypted with KMS (kmsKeyId)."
    ]


def test_no_cloudwatch_logs():
    assert check(ID, {k: v for k, v in GOOD.items() if k != "cloudWatchLogsGroupArn"}) == [
        "The trail does not deliver to CloudWatch Logs (cloudWatchLogsGroupArn)."
    ]
