from tests.support.policies import check

ID = "obsgov-logs-loggroup-require-retention"


def test_long_enough_retention_passes():
    assert check(ID, {"retentionInDays": 400}) == []
    assert check(ID, {}) == []  # never expires


def test_short_retention_against_the_default():
    assert check(ID, {"retentionInDays": 30}) == [
        "Retention is 30 days; at least 365 are required."
    ]


def test_minimum_comes_from_config():
    assert check(ID, {"retentionInDays": 30}, config={"minLogRetentionDays": 30}) == []
    assert check(ID, {"retentionInDays": 14}, config={"minLogRetentionDays": 30}) == [
        "Retention is 14 days; at least 30 are required."
    ]


def test_zero_means_never_expire():
    assert check(ID, {"retentionInDays": 0}) == []
    assert check(ID, {"retentionInDays": 1}) == ["Retention is 1 days; at least 365 are required."]


def test_the_default_minimum_without_the_engines_defaults():
    assert check(ID, {"retentionInDays": 365}, config={}, defaults=False) == []
    assert check(ID, {"retentionInDays": 364}, config={}, defaults=False) == [
        "Retention is 364 days; at least 365 are required."
    ]
