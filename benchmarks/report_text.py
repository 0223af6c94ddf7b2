"""Benchmark the text report on packs that write long messages.

A pack may write anything as a violation's message; the text report wraps every line to the
terminal. This renders the ``Policies:`` block for 254 violations (the dev stack's resource
count) with messages of 1, 10 and 100 KB, as one unbroken word and as words, at 80 columns,
and prints seconds per report and microseconds per KB of message.

    .venv/bin/python benchmarks/report_text.py
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from obsgov.gate.project import PolicyPackProject  # noqa: E402
from obsgov.gate.results import GateRun, PackResult, Violation  # noqa: E402
from obsgov.graph import ResourceGraph  # noqa: E402
from obsgov.reports import render_text  # noqa: E402

RESOURCES = 254


def run_with(message: str) -> GateRun:
    violations = [
        Violation(
            pack="noisy",
            pack_version="1.0.0",
            policy="says-a-lot",
            description="Says a lot.",
            message=f"Says a lot.\n{message}",
            level="advisory",
            severity="low",
            urn=f"urn:pulumi:dev::obsgov::aws:sns/topic:Topic::t{i}",
            resource_type="aws:sns/topic:Topic",
            resource_name=f"t{i}",
            phase="analyze",
        )
        for i in range(RESOURCES)
    ]
    pack = PackResult(
        project=PolicyPackProject(directory=ROOT / "policies" / "noisy", runtime="python"),
        name="noisy",
        version="1.0.0",
        violations=violations,
    )
    return GateRun(
        graph=ResourceGraph(project="obsgov", stack="dev", preview=True, resources=[]),
        packs=[pack],
        seconds=0.0,
    )


def main() -> None:
    print(f"{'message':>10} {'shape':>6} {'seconds':>8} {'us/KB':>8}", flush=True)
    for kb in (1, 10, 100):
        for shape, text in (
            ("word", "x" * (kb * 1024)),
            ("words", ("lorem " * (kb * 1024 // 6 + 1))[: kb * 1024]),
        ):
            run = run_with(text)
            started = time.perf_counter()
            render_text(run, Console(file=io.StringIO(), width=80, highlight=False))
            seconds = time.perf_counter() - started
            per_kb = seconds / (kb * RESOURCES) * 1e6
            print(f"{kb:>8}KB {shape:>6} {seconds:>8.2f} {per_kb:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
