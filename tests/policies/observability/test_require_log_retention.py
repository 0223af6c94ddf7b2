from ..harness import check

ID = "obsgov-logs-loggroup-require-retention"


def test_long_enough_retention_passes():
    assert check(ID, {"retentionInDays": 400}) == []
    assert check(ID, {}) == []  # never expires


def test_short_retention_against_the_default():
    assert check(ID, {"retentionInDays": 30}) == ["Retention is 30 days; at least 365 are required."]


def test_minimum_comes_from_config():
    assert check(ID, {"retentionInDays": 30}, config={"minLogRetentionDays": 30}) == []
    assert check(ID, {"retentionInDays": 14}, config={"minLogRetentionDays": 30}) == [
        "Retention is 14 days; at least 30 are required."]
