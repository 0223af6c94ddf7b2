"""Which S3 objects a scheduled job reads: listed by the time in their keys, and remembered
between runs in a checkpoint object, so a run reads only what is new.

SageMaker writes data capture under ``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/`` and
Model Monitor expects ground truth under ``<prefix>/yyyy/mm/dd/hh/`` (Amazon SageMaker
Developer Guide, "Capture data from real-time endpoint" and "Ingest Ground Truth Labels and
Merge Them With Predictions"). A :class:`KeyLayout` names such a layout below a prefix,
``*/%Y/%m/%d/%H/`` for capture (``*`` is one level listed with a delimiter: the variants),
so a window of hours is listed hour by hour instead of listing the whole prefix every run.

Standard library only: the model-quality function ships without third-party packages, and
boto3 clients are passed in.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

CAPTURE_LAYOUT = "*/%Y/%m/%d/%H/"  # <endpoint prefix>/<variant>/yyyy/mm/dd/hh/
GROUND_TRUTH_LAYOUT = "%Y/%m/%d/%H/"  # <labels prefix>/yyyy/mm/dd/hh/

_DIRECTIVES = {
    "Y": r"(?P<Y>\d{4})",
    "m": r"(?P<m>\d{2})",
    "d": r"(?P<d>\d{2})",
    "H": r"(?P<H>\d{2})",
}


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" for the whole bucket, else usually ending in "/"

    @classmethod
    def from_uri(cls, uri: str) -> S3Location:
        parsed = urlparse(uri)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"{uri!r} is not an s3://bucket/prefix URI")
        return cls(parsed.netloc, parsed.path.lstrip("/"))

    def uri(self, key: str | None = None) -> str:
        return f"s3://{self.bucket}/{self.prefix if key is None else key}"


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    last_modified: dt.datetime
    size: int
    etag: str = ""

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass
class ListingStats:
    """What reading a window cost: ListObjectsV2 requests and the objects they returned."""

    list_calls: int = 0
    objects_listed: int = 0


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC instant")
    return value.astimezone(dt.timezone.utc)


@dataclass(frozen=True)
class KeyLayout:
    """The time partitioning of keys below a prefix, as ``/``-separated segments: ``*`` is
    any one level, segments with ``%Y %m %d %H`` are rendered from the period's time, anything
    else is literal (``dt=%Y-%m-%d/`` for Hive-style daily partitions)."""

    pattern: str

    def __post_init__(self) -> None:
        used = re.findall(r"%(.)", self.pattern)
        unknown = sorted({d for d in used if d not in _DIRECTIVES})
        if unknown:
            raise ValueError(
                f"key layout {self.pattern!r}: only %Y %m %d %H may be used, "
                f"not {' '.join('%' + d for d in unknown)}"
            )
        if "Y" not in used:
            raise ValueError(f"key layout {self.pattern!r} has no %Y: it names no time")
        for segment in self.pattern.split("/"):
            if "*" in segment and segment != "*":
                raise ValueError(f"key layout {self.pattern!r}: '*' must be a whole level")

    @property
    def granularity(self) -> str:
        """hour, day, month or year: the finest directive the layout uses."""
        used = set(re.findall(r"%(.)", self.pattern))
        for directive, name in (("H", "hour"), ("d", "day"), ("m", "month")):
            if directive in used:
                return name
        return "year"

    def floor(self, when: dt.datetime) -> dt.datetime:
        when = _utc(when)
        kind = self.granularity
        if kind == "hour":
            return when.replace(minute=0, second=0, microsecond=0)
        if kind == "day":
            return when.replace(hour=0, minute=0, second=0, microsecond=0)
        if kind == "month":
            return when.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return when.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)

    def next_period(self, start: dt.datetime) -> dt.datetime:
        kind = self.granularity
        if kind == "hour":
            return start + dt.timedelta(hours=1)
        if kind == "day":
            return start + dt.timedelta(days=1)
        if kind == "month":
            days = calendar.monthrange(start.year, start.month)[1]
            return start + dt.timedelta(days=days)
        return start.replace(year=start.year + 1)

    def periods(self, since: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
        """Start of every period that overlaps [since, until], oldest first."""
        current, end = self.floor(since), _utc(until)
        found = []
        while current <= end:
            found.append(current)
            current = self.next_period(current)
        return found

    def key_time(self, relative_key: str) -> dt.datetime | None:
        """The start of the period a key (relative to the layout's prefix) belongs to, or
        ``None`` when the key does not follow the layout."""
        match = self._regex().match(relative_key)
        if not match:
            return None
        parts = match.groupdict()
        try:
            return dt.datetime(
                int(parts["Y"]),
                int(parts.get("m") or 1),
                int(parts.get("d") or 1),
                int(parts.get("H") or 0),
                tzinfo=dt.timezone.utc,
            )
        except ValueError:
            return None

    def _regex(self) -> re.Pattern[str]:
        named: set[str] = set()
        out = []
        for segment in self.pattern.split("/"):
            if segment == "*":
                out.append(r"[^/]+")
                continue
            piece = ""
            for literal, directive in re.findall(r"([^%]*)(?:%(.))?", segment):
                piece += re.escape(literal)
                if directive:
                    width = 4 if directive == "Y" else 2
                    # a directive used twice must match the same digits: name it once
                    piece += rf"\d{{{width}}}" if directive in named else _DIRECTIVES[directive]
                    named.add(directive)
            out.append(piece)
        return re.compile("/".join(out))

    def segments(self) -> list[str]:
        return self.pattern.split("/")


def _list(
    s3: Any, bucket: str, prefix: str, stats: ListingStats, delimiter: str | None = None
) -> Iterator[dict[str, Any]]:
    """Every page of one listing, counting requests and objects."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if delimiter:
        kwargs["Delimiter"] = delimiter
    for page in s3.get_paginator("list_objects_v2").paginate(**kwargs):
        stats.list_calls += 1
        stats.objects_listed += len(page.get("Contents", []))
        yield page


def _objects(page: dict[str, Any], bucket: str) -> Iterator[ObjectInfo]:
    for item in page.get("Contents", []):
        yield ObjectInfo(
            bucket,
            item["Key"],
            _utc(item["LastModified"]),
            int(item.get("Size", 0)),
            str(item.get("ETag", "")),
        )


def list_prefix(s3: Any, location: S3Location, stats: ListingStats) -> Iterator[ObjectInfo]:
    for page in _list(s3, location.bucket, location.prefix, stats):
        yield from _objects(page, location.bucket)


def _expand(
    s3: Any,
    bucket: str,
    prefix: str,
    segments: list[str],
    period: dt.datetime,
    stats: ListingStats,
    levels: dict[str, list[str]],
) -> Iterator[str]:
    """The concrete prefixes a layout names for one period; ``*`` levels are listed once
    per parent prefix and remembered in ``levels``."""
    if not segments:
        yield prefix
        return
    head, rest = segments[0], segments[1:]
    if head == "*":
        if prefix not in levels:
            found: list[str] = []
            for page in _list(s3, bucket, prefix, stats, delimiter="/"):
                found.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
            levels[prefix] = sorted(found)
        for child in levels[prefix]:
            yield from _expand(s3, bucket, child, rest, period, stats, levels)
        return
    rendered = period.strftime(head) if "%" in head else head
    joined = prefix + rendered + ("/" if rest else "")
    yield from _expand(s3, bucket, joined, rest, period, stats, levels)


def list_periods(
    s3: Any,
    location: S3Location,
    layout: KeyLayout,
    since: dt.datetime,
    until: dt.datetime,
    stats: ListingStats,
) -> Iterator[ObjectInfo]:
    """Objects whose key time falls in a period overlapping [since, until], listing only
    those periods' prefixes."""
    levels: dict[str, list[str]] = {}
    segments = layout.segments()
    if segments and segments[-1] == "":
        segments = segments[:-1]
        trailing = True
    else:
        trailing = False
    for period in layout.periods(since, until):
        for prefix in _expand(
            s3, location.bucket, location.prefix, segments, period, stats, levels
        ):
            target = prefix + "/" if trailing else prefix
            for page in _list(s3, location.bucket, target, stats):
                yield from _objects(page, location.bucket)


def is_data(item: ObjectInfo) -> bool:
    """Zero-byte objects are folder markers and ``_SUCCESS`` flags, not data."""
    return item.size > 0


# --------------------------------------------------------------------------- checkpoint


CHECKPOINT_FORMAT = "obsgov-read-checkpoint"


@dataclass
class Checkpoint:
    """What earlier runs read: every key read inside the overlap (``lag``) before
    ``through``. Objects can appear in a listing after later ones (S3 stamps LastModified when
    an upload starts; capture files of several instances are delivered minutes apart), so
    each run lists again from ``through - lag`` and skips the keys it has seen."""

    through: dt.datetime | None = None
    seen: dict[str, str] = field(default_factory=dict)  # key -> ETag

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": CHECKPOINT_FORMAT,
                "version": 1,
                "through": self.through.isoformat() if self.through else None,
                "seen": dict(sorted(self.seen.items())),
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str, where: str) -> Checkpoint:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: checkpoint is not JSON ({exc.msg})") from None
        if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"{where}: not an {CHECKPOINT_FORMAT} document")
        through = data.get("through")
        seen = data.get("seen", {})
        if not isinstance(seen, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in seen.items()
        ):
            raise ValueError(f"{where}: seen must map keys to ETags")
        try:
            instant = dt.datetime.fromisoformat(through) if through else None
        except (TypeError, ValueError):
            raise ValueError(f"{where}: through {through!r} is not an ISO 8601 instant") from None
        if instant is not None and instant.tzinfo is None:
            raise ValueError(f"{where}: through {through!r} has no UTC offset")
        return cls(instant, dict(seen))


def load_checkpoint(s3: Any, uri: str) -> Checkpoint:
    """The checkpoint at ``uri``, or an empty one when it does not exist yet. Any other error
    (access denied: S3 answers 403 instead of 404 to a caller without s3:ListBucket) raises,
    so a misconfigured run fails loudly instead of starting over every time."""
    location = S3Location.from_uri(uri)
    try:
        body = s3.get_object(Bucket=location.bucket, Key=location.prefix)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return Checkpoint()
    return Checkpoint.from_json(body.decode("utf-8", errors="replace"), uri)


def save_checkpoint(s3: Any, uri: str, checkpoint: Checkpoint, kms_key_id: str | None) -> None:
    location = S3Location.from_uri(uri)
    extra: dict[str, Any] = {}
    if kms_key_id:
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
    s3.put_object(
        Bucket=location.bucket,
        Key=location.prefix,
        Body=checkpoint.to_json().encode(),
        ContentType="application/json",
        **extra,
    )


@dataclass
class NewObjects:
    objects: list[ObjectInfo]
    checkpoint: Checkpoint  # to save once the run has published
    since: dt.datetime
    stats: ListingStats
    capped: bool  # the checkpoint was older than the catch-up limit: periods were skipped


def new_objects(
    s3: Any,
    location: S3Location,
    layout: KeyLayout | None,
    checkpoint: Checkpoint,
    now: dt.datetime,
    *,
    first_window: dt.timedelta,
    lag: dt.timedelta,
    max_catch_up: dt.timedelta,
) -> NewObjects:
    """The data objects that arrived since the last run, and the checkpoint after this run.

    With a layout, only the periods from ``through - lag`` to ``now`` are listed; without
    one the whole prefix is listed and objects are chosen by LastModified (the reads are
    still incremental, the listing is not). The first run reads ``first_window``; a run
    after a long outage reads at most ``max_catch_up``.
    """
    now = _utc(now)
    stats = ListingStats()
    start = (checkpoint.through - lag) if checkpoint.through else (now - first_window)
    capped = start < now - max_catch_up
    since = max(start, now - max_catch_up)
    if layout is not None:
        listed = list_periods(s3, location, layout, since, now, stats)
    else:
        listed = (o for o in list_prefix(s3, location, stats) if since <= o.last_modified <= now)
    fresh: list[ObjectInfo] = []
    keep: dict[str, str] = {}
    boundary = now - lag
    for item in listed:
        if not is_data(item):
            continue
        if checkpoint.seen.get(item.key) != item.etag:
            fresh.append(item)
        when = (
            layout.key_time(item.key[len(location.prefix) :]) if layout is not None else None
        ) or item.last_modified
        if when >= (layout.floor(boundary) if layout is not None else boundary):
            keep[item.key] = item.etag
    fresh.sort(key=lambda o: o.key)
    return NewObjects(fresh, Checkpoint(now, keep), since, stats, capped)
