"""Moves the wall clock of every Python process the suite starts (the test runner, xdist
workers, policy packs, team programs, moto servers) when ``OBSGOV_TEST_CLOCK_SHIFT`` is set,
e.g. ``+90d`` or ``+400d``. Python imports ``sitecustomize`` at start-up from ``PYTHONPATH``,
which child processes inherit, so the whole process tree sees the same moved date.

time-machine moves what code reads as the date and time of day (``time.time``,
``datetime.now``, ``date.today``, ``time.localtime`` and ``strftime``) and leaves the monotonic
clock, sleeps and timed waits alone: durations stay real, dates move. libfaketime, which moves
the clock below Python, cannot do that with Python 3.11 (Debian bookworm's 0.9.10 either hangs
every timed wait or fails every sleep): ``scripts/shifted-clock-suite`` says so and uses this.
"""

from __future__ import annotations

import os
import re

_SHIFT = os.environ.get("OBSGOV_TEST_CLOCK_SHIFT", "")

if _SHIFT:
    _match = re.fullmatch(r"([+-])(\d+)d", _SHIFT)
    if not _match:
        raise SystemExit(f"OBSGOV_TEST_CLOCK_SHIFT={_SHIFT!r}: expected +<days>d or -<days>d")
    import datetime as _dt
    import zoneinfo as _zoneinfo

    import time_machine as _time_machine

    _days = int(_match.group(2)) * (1 if _match.group(1) == "+" else -1)
    # time-machine sets the process's zone from the destination's ZoneInfo (with a fixed UTC
    # offset it would reset it to UTC): keep the zone the run was given in TZ
    _zone = _zoneinfo.ZoneInfo(os.environ.get("TZ") or "UTC")
    _travel = _time_machine.travel(_dt.datetime.now(_zone) + _dt.timedelta(days=_days), tick=True)
    _travel.start()
