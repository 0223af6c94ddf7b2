"""The one place obsgov reads the wall clock.

Everything that depends on the date or the time of day (capture windows, label deadlines, metric
timestamps, snapshot and baseline stamps, price read dates) either takes its instant as a
parameter or asks :func:`utc_now`. Keeping the read in one function means tests can pass an
instant or freeze this one call, and a test (``tests/test_clock.py``) fails the suite when code
anywhere else reads the clock directly, so no result depends on the day the suite runs, the
machine's time zone or its locale.
"""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    """The current instant as an aware UTC datetime (never naive, never local time)."""
    return dt.datetime.now(dt.timezone.utc)


def utc_today() -> dt.date:
    """Today's date in UTC, not in the machine's time zone."""
    return utc_now().date()


def parse_instant(text: str) -> dt.datetime:
    """An ISO 8601 instant with an explicit offset (``2026-11-27T06:00:00+00:00`` or ``...Z``),
    as an aware UTC datetime. A naive time is refused: read in the machine's zone it would
    name a different instant on every machine."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 date and time (e.g. 2026-11-27T06:00:00Z)"
        ) from None
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset: add Z or +00:00")
    return value.astimezone(dt.timezone.utc)
