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

    # gRPC computes its deadlines with time.time() in Python and waits for them on the C
    # core's real clock (grpc/_cython/_cygrpc/completion_queue.pyx.pxi, _next), so with
    # time.time() moved a pack's server.start() polls until the moved date: every pack
    # would hang at start. A deadline is a duration, which this harness keeps real: grpc's
    # modules get a `time` whose time() and time_ns() are the machine's.
    import importlib.abc as _abc
    import sys as _sys
    import time as _time
    import types as _types

    import _time_machine as _time_machine_c

    class _RealClock(_types.ModuleType):
        def __getattr__(self, name: str) -> object:
            return getattr(_time, name)

    _real_clock = _RealClock("time")
    _real_clock.time = _time_machine_c.original_time  # type: ignore[attr-defined]
    _real_clock.time_ns = _time_machine_c.original_time_ns  # type: ignore[attr-defined]

    class _GrpcKeepsRealDeadlines(_abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.partition(".")[0] != "grpc":
                return None
            for finder in _sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
            else:
                return None
            loader = spec.loader
            if loader is None or not hasattr(loader, "exec_module"):
                return spec
            execute = loader.exec_module

            def exec_module(module: _types.ModuleType) -> None:
                execute(module)
                if getattr(module, "time", None) is _time:
                    module.time = _real_clock  # type: ignore[attr-defined]

            loader.exec_module = exec_module  # type: ignore[method-assign]
            return spec

    _sys.meta_path.insert(0, _GrpcKeepsRealDeadlines())
