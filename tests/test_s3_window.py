"""Listing S3 objects by the time in their keys, and the checkpoint between runs (moto).

Layouts are the documented ones: data capture under ``<endpoint>/<variant>/yyyy/mm/dd/hh/``
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html) and
ground truth under ``<prefix>/yyyy/mm/dd/hh`` (https://docs.aws.amazon.com/sagemaker/latest/dg/
model-monitor-model-quality-merge.html).
"""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
import time_machine
from moto import mock_aws

from obsgov.s3_window import (
    CAPTURE_LAYOUT,
    GROUND_TRUTH_LAYOUT,
    Checkpoint,
    KeyLayout,
    ListingStats,
    S3Location,
    list_periods,
    load_checkpoint,
    new_objects,
    save_checkpoint,
)

UTC = dt.timezone.utc
T = dt.datetime(2026, 11, 30, 22, 40, tzinfo=UTC)


def test_layout_periods_cover_the_window_across_a_month_end():
    hourly = KeyLayout(CAPTURE_LAYOUT)
    assert hourly.granularity == "hour"
    periods = hourly.periods(T, T + dt.timedelta(hours=2))
    assert [p.isoformat() for p in periods] == [
        "2026-11-30T22:00:00+00:00",
        "2026-11-30T23:00:00+00:00",
        "2026-12-01T00:00:00+00:00",
    ]
    daily = KeyLayout("dt=%Y-%m-%d/")
    assert daily.granularity == "day"
    assert len(daily.periods(T - dt.timedelta(days=1), T)) == 2
    monthly = KeyLayout("%Y/%m/")
    assert monthly.next_period(monthly.floor(T)) == dt.datetime(2026, 12, 1, tzinfo=UTC)


def test_key_time_reads_the_partition_a_key_is_in():
    capture = KeyLayout(CAPTURE_LAYOUT)
    assert capture.key_time("AllTraffic/2026/11/27/05/05-00-000-aaaa.jsonl") == dt.datetime(
        2026, 11, 27, 5, tzinfo=UTC
    )
    assert capture.key_time("AllTraffic/manual.jsonl") is None
    assert capture.key_time("AllTraffic/2026/13/27/05/x.jsonl") is None  # no 13th month
    labels = KeyLayout(GROUND_TRUTH_LAYOUT)
    assert labels.key_time("2026/11/28/09/labels.jsonl") == dt.datetime(2026, 11, 28, 9, tzinfo=UTC)
    hive = KeyLayout("year=%Y/dt=%Y-%m-%d/")
    assert hive.key_time("year=2026/dt=2026-11-27/part-0.parquet") == dt.datetime(
        2026, 11, 27, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("%Y/%j/", "only %Y %m %d %H may be used, not %j"),
        ("%m/%d/", "has no %Y: it names no time"),
        ("v*/%Y/", "'*' must be a whole level"),
    ],
)
def test_bad_layouts_say_why(pattern, message):
    with pytest.raises(ValueError, match=message):
        KeyLayout(pattern)


@pytest.fixture
def s3(aws_credentials):
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="capture")
        yield client


def _put(s3, key, when, body=b"x"):
    with time_machine.travel(when, tick=False):
        s3.put_object(Bucket="capture", Key=key, Body=body)


def test_listing_a_window_lists_only_its_hours_for_every_variant(s3):
    for variant in ("AllTraffic", "Canary"):
        for hours_ago in range(30):
            when = T - dt.timedelta(hours=hours_ago)
            _put(s3, f"ep/{variant}/{when:%Y/%m/%d/%H}/{variant}.jsonl", when)
    stats = ListingStats()
    found = list(
        list_periods(
            s3,
            S3Location.from_uri("s3://capture/ep/"),
            KeyLayout(CAPTURE_LAYOUT),
            T - dt.timedelta(hours=1),
            T,
            stats,
        )
    )
    assert sorted(o.key for o in found) == [
        "ep/AllTraffic/2026/11/30/21/AllTraffic.jsonl",
        "ep/AllTraffic/2026/11/30/22/AllTraffic.jsonl",
        "ep/Canary/2026/11/30/21/Canary.jsonl",
        "ep/Canary/2026/11/30/22/Canary.jsonl",
    ]
    # one delimiter listing for the variants, then two hours for each of two variants
    assert (stats.list_calls, stats.objects_listed) == (5, 4)


def test_without_a_layout_objects_are_chosen_by_last_modified(s3):
    _put(s3, "out/old.parquet", T - dt.timedelta(hours=3))
    _put(s3, "out/new.parquet", T - dt.timedelta(minutes=5))
    _put(s3, "out/_SUCCESS", T - dt.timedelta(minutes=5), b"")
    location = S3Location.from_uri("s3://capture/out/")
    window = dt.timedelta(hours=1)
    first = new_objects(
        s3,
        location,
        None,
        Checkpoint(),
        T,
        first_window=window,
        lag=dt.timedelta(minutes=30),
        max_catch_up=dt.timedelta(days=1),
    )
    assert [o.key for o in first.objects] == ["out/new.parquet"]
    assert first.checkpoint.seen.keys() == {"out/new.parquet"}
    # rewritten under the same key: a new ETag is new data
    _put(s3, "out/new.parquet", T + dt.timedelta(minutes=10), b"changed")
    second = new_objects(
        s3,
        location,
        None,
        first.checkpoint,
        T + dt.timedelta(hours=1),
        first_window=window,
        lag=dt.timedelta(minutes=30),
        max_catch_up=dt.timedelta(days=1),
    )
    assert [o.key for o in second.objects] == ["out/new.parquet"]


def test_catch_up_after_an_outage_is_capped(s3):
    layout = KeyLayout(CAPTURE_LAYOUT)
    for hours_ago in range(72):
        when = T - dt.timedelta(hours=hours_ago)
        _put(s3, f"ep/AllTraffic/{when:%Y/%m/%d/%H}/a.jsonl", when)
    stale = Checkpoint(T - dt.timedelta(days=3), {})
    found = new_objects(
        s3,
        S3Location.from_uri("s3://capture/ep/"),
        layout,
        stale,
        T,
        first_window=dt.timedelta(hours=1),
        lag=dt.timedelta(hours=1),
        max_catch_up=dt.timedelta(hours=6),
    )
    assert found.capped
    assert len(found.objects) == 7  # hours 16 to 22 inclusive


def test_checkpoint_round_trips_and_a_missing_one_is_empty(s3):
    uri = "s3://capture/state/checkpoint.json"
    assert load_checkpoint(s3, uri) == Checkpoint()
    saved = Checkpoint(T, {"ep/AllTraffic/2026/11/30/22/a.jsonl": '"etag"'})
    save_checkpoint(s3, uri, saved, None)
    assert load_checkpoint(s3, uri) == saved


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{", "checkpoint is not JSON"),
        ('{"format": "other"}', "not an obsgov-read-checkpoint document"),
        (
            '{"format": "obsgov-read-checkpoint", "through": "2026-11-30T22:00", "seen": {}}',
            "has no UTC offset",
        ),
        ('{"format": "obsgov-read-checkpoint", "seen": {"k": 1}}', "seen must map keys to ETags"),
    ],
)
def test_a_broken_checkpoint_names_its_uri(body, message):
    with pytest.raises(ValueError, match="^s3://b/c.json: ") as caught:
        Checkpoint.from_json(body, "s3://b/c.json")
    assert message in str(caught.value)
