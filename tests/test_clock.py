"""No result depends on the day the suite runs.

Two guards. The first reads the source: product code reads the wall clock only through
``obsgov.clock`` (everything else takes its instant as a parameter), and tests never read it at
all (they choose an instant, or freeze the clock with time-machine where AWS stamps objects, as
moto does for ``LastModified``). The second moves the clock 400 days ahead and in the Kiritimati
time zone (UTC+14) and checks that the date-sensitive jobs give the same answers on data written
at that moved time.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import re
import time
from pathlib import Path

import boto3
import pytest
import time_machine
from moto import mock_aws

from obsgov import clock
from obsgov.model_quality import job as quality_job

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = [ROOT / "obsgov", ROOT / "components", ROOT / "policies", ROOT / "__main__.py"]
# Calls that read the wall clock or the machine's time zone. Durations (time.monotonic,
# time.perf_counter) and sleeps are not dates and stay allowed.
WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "ctime"),
    ("time", "asctime"),
    ("time", "strftime"),
    ("datetime", "fromtimestamp"),
}


def _python_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return files


def wall_clock_reads(path: Path) -> list[str]:
    """``file:line name`` for every call in ``path`` that reads the wall clock: ``x.now()``
    where ``x`` ends in ``datetime`` (``datetime.datetime.now``, ``dt.datetime.now``), and the
    ``time`` module's readers."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        owner_name = (
            owner.attr
            if isinstance(owner, ast.Attribute)
            else owner.id
            if isinstance(owner, ast.Name)
            else ""
        )
        if (owner_name, node.func.attr) in WALL_CLOCK:
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
            found.append(f"{shown}:{node.lineno} {owner_name}.{node.func.attr}()")
    return found


def test_the_guard_finds_each_way_of_reading_the_clock(tmp_path):
    """The scan is only worth something if it sees the spellings people write."""
    sample = tmp_path / "clock_sample.py"
    sample.write_text(
        "import datetime as dt, time\nfrom datetime import date, datetime\n"
        "a = dt.datetime.now(dt.timezone.utc)\nb = datetime.utcnow()\nc = date.today()\n"
        "d = time.time()\ne = time.monotonic()\nf = time.localtime()\n",
        encoding="utf-8",
    )
    assert wall_clock_reads(sample) == [
        "clock_sample.py:3 datetime.now()",
        "clock_sample.py:4 datetime.utcnow()",
        "clock_sample.py:5 date.today()",
        "clock_sample.py:6 time.time()",
        "clock_sample.py:8 time.localtime()",
    ]


def test_product_code_reads_the_clock_only_through_obsgov_clock():
    reads = [
        hit
        for path in _python_files(PRODUCT)
        if path != ROOT / "obsgov" / "clock.py"
        for hit in wall_clock_reads(path)
    ]
    assert reads == [], (
        "take the instant as a parameter, or call obsgov.clock.utc_now():\n" + "\n".join(reads)
    )


def test_tests_never_read_the_clock():
    """A test that computes today's date writes data whose meaning changes with the day: choose
    an instant (a module constant), or freeze the clock with time_machine.travel."""
    mover = ROOT / "tests" / "support" / "shifted_clock" / "sitecustomize.py"  # moves it
    reads = [
        hit
        for path in _python_files([ROOT / "tests"])
        if path not in (Path(__file__).resolve(), mover)
        for hit in wall_clock_reads(path)
    ]
    assert reads == [], "\n".join(reads)


def test_utc_now_is_aware_utc_in_any_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    try:
        with time_machine.travel(dt.datetime(2027, 1, 1, 23, 30, tzinfo=dt.timezone.utc)):
            now = clock.utc_now()
            assert now.utcoffset() == dt.timedelta(0)
            assert (now.year, now.month, now.day, now.hour) == (2027, 1, 1, 23)
            # local time in Kiritimati is already 2 January; the UTC date is not
            assert clock.utc_today() == dt.date(2027, 1, 1)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-11-27T06:00:00Z", dt.datetime(2026, 11, 27, 6, tzinfo=dt.timezone.utc)),
        ("2026-11-27T20:00:00+14:00", dt.datetime(2026, 11, 27, 6, tzinfo=dt.timezone.utc)),
    ],
)
def test_parse_instant_reads_offsets_as_utc(text, instant):
    assert clock.parse_instant(text) == instant


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-11-27 06:00", "'2026-11-27 06:00' has no UTC offset: add Z or +00:00"),
        ("soon", "'soon' is not an ISO 8601 date and time (e.g. 2026-11-27T06:00:00Z)"),
    ],
)
def test_parse_instant_refuses_times_that_depend_on_the_machine(text, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        clock.parse_instant(text)


def _score_a_day(moved: dt.datetime) -> dict:
    """Write a day of captures and labels at ``moved`` (the clock frozen there, so moto's
    LastModified is that day too) and score the window that ends an hour later."""
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        for bucket in ("capture", "labels"):
            s3.create_bucket(Bucket=bucket)
        hour = f"{moved:%Y/%m/%d/%H}"
        with time_machine.travel(moved, tick=False):
            captures, labels = [], []
            for i, (score, truth) in enumerate([(0.9, 1), (0.2, 0), (0.7, 0), (0.4, 1)]):
                captures.append(
                    json.dumps(
                        {
                            "captureData": {
                                "endpointOutput": {"data": str(score), "encoding": "CSV"}
                            },
                            "eventMetadata": {
                                "inferenceId": f"i{i}",
                                "inferenceTime": (moved + dt.timedelta(minutes=i)).isoformat(),
                            },
                        }
                    )
                )
                labels.append(
                    json.dumps(
                        {
                            "groundTruthData": {"data": str(truth), "encoding": "CSV"},
                            "eventMetadata": {"eventId": f"i{i}"},
                        }
                    )
                )
            s3.put_object(Bucket="capture", Key=f"ep/v/{hour}/a.jsonl", Body="\n".join(captures))
            s3.put_object(Bucket="labels", Key=f"ep/{hour}/l.jsonl", Body="\n".join(labels))
        result = quality_job.run(
            s3,
            quality_job.QualityRun(
                capture_uri="s3://capture/ep/",
                labels_uri="s3://labels/ep/",
                endpoint="ep",
                model_version="1",
                window_end=moved + dt.timedelta(hours=1),
            ),
        )
        return result.to_json()


def test_model_quality_gives_the_same_answer_400_days_later_and_in_kiritimati(
    aws_credentials, monkeypatch
):
    written = dt.datetime(2026, 11, 27, 5, 0, tzinfo=dt.timezone.utc)
    today = _score_a_day(written)
    assert today["pairs"] == 4
    assert today["labelsLate"] == 0
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    try:
        later = _score_a_day(written + dt.timedelta(days=400))
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert later == today


#: The environment of a child Python process under scripts/shifted-clock-suite's harness.
SHIFTED_ENV = {
    "PATH": os.environ.get("PATH", ""),
    "PYTHONPATH": str(ROOT / "tests" / "support" / "shifted_clock"),
    "TZ": "Pacific/Kiritimati",
}


def _run_shifted(probe: str, shift: str, timeout: float) -> dict:
    """Run ``probe`` in a child Python with the clock moved by ``shift``; its printed JSON."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", probe],
        env={**SHIFTED_ENV, "OBSGOV_TEST_CLOCK_SHIFT": shift},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    ).stdout
    return json.loads(out)


def test_the_shifted_clock_moves_dates_in_child_processes_and_keeps_durations_real():
    """scripts/shifted-clock-suite relies on this: a child Python process started with the
    shift in its environment reads a date 400 days on, in the zone TZ names, while its sleeps
    and timed waits last as long as they say (libfaketime breaks both on Python 3.11)."""
    import subprocess
    import sys

    probe = (
        "import datetime, json, threading, time\n"
        "start = time.monotonic(); threading.Event().wait(0.2); time.sleep(0.05)\n"
        "now = datetime.datetime.now().astimezone()\n"
        "print(json.dumps({'utc': datetime.datetime.now(datetime.timezone.utc).isoformat(),"
        " 'offset': now.utcoffset().total_seconds(), 'waited': time.monotonic() - start}))\n"
    )
    plain, moved = _run_shifted(probe, "", 60), _run_shifted(probe, "+400d", 60)
    gap = dt.datetime.fromisoformat(moved["utc"]) - dt.datetime.fromisoformat(plain["utc"])
    assert dt.timedelta(days=400) <= gap < dt.timedelta(days=400, minutes=5)
    assert moved["offset"] == plain["offset"] == 14 * 3600
    assert 0.25 <= moved["waited"] < 5
    bad = subprocess.run(
        [sys.executable, "-c", "pass"],
        env={**SHIFTED_ENV, "OBSGOV_TEST_CLOCK_SHIFT": "400 days"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1
    assert "OBSGOV_TEST_CLOCK_SHIFT='400 days': expected +<days>d or -<days>d" in bad.stderr


def test_the_shifted_clock_keeps_grpc_deadlines_real():
    """Every policy pack is a gRPC server. gRPC computes deadlines with time.time() and waits
    for them on the C core's own clock (grpc's completion_queue.pyx.pxi, _next), so a moved
    time.time() made server.start() poll until the moved date: every pack hung at start in
    the shifted suite. Under the shift a child process starts a server, calls it with a
    deadline and sees a call to a closed port fail by its deadline, while its date moved."""

    probe = (
        "import datetime, json, time\n"
        "from concurrent import futures\n"
        "import grpc\n"
        "server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))\n"
        "port = server.add_insecure_port('127.0.0.1:0')\n"
        "started = time.monotonic(); server.start()\n"
        "start_took = time.monotonic() - started\n"
        "channel = grpc.insecure_channel(f'127.0.0.1:{port}')\n"
        "grpc.channel_ready_future(channel).result(timeout=10)\n"
        "server.stop(None)\n"
        "dead = grpc.insecure_channel('127.0.0.1:1')\n"
        "call = dead.unary_unary('/x.Y/Z', request_serializer=None, response_deserializer=None)\n"
        "started = time.monotonic()\n"
        "try:\n"
        "    call(b'', timeout=0.5, wait_for_ready=True)\n"
        "except grpc.RpcError as exc:\n"
        "    code = exc.code().name\n"
        "print(json.dumps({'year': datetime.datetime.now().year, 'start': start_took,"
        " 'code': code, 'deadline': time.monotonic() - started}))\n"
    )
    plain, moved = _run_shifted(probe, "", 120), _run_shifted(probe, "+400d", 120)
    assert moved["year"] > plain["year"]
    for result in (plain, moved):
        assert result["start"] < 30
        assert result["code"] == "DEADLINE_EXCEEDED"
        assert 0.4 <= result["deadline"] < 30
