"""Reports of obsgov runs, one module per format.

A gate run (:class:`obsgov.gate.results.GateRun`) is reported as the Pulumi CLI's
``Policies:`` block (:mod:`.text`), JSON (:mod:`.json`), SARIF 2.1.0 for GitHub code scanning
(:mod:`.sarif`) or JUnit XML (:mod:`.junit`).
"""

from __future__ import annotations

import json as _json
from pathlib import Path

from obsgov.gate.results import GateRun
from obsgov.io import write_atomic

from .json import to_json
from .junit import to_junit
from .sarif import to_sarif
from .text import render_text

FORMATS = ("json", "sarif", "junit")


def write_report(run: GateRun, fmt: str, output: Path, location_file: Path | None) -> None:
    """Write the ``fmt`` report to ``output`` whole or not at all. SARIF results point at
    ``location_file`` (the accounts registry, or the state file that was judged)."""
    if fmt == "json":
        text = _json.dumps(to_json(run), indent=2, sort_keys=True) + "\n"
    elif fmt == "sarif":
        text = _json.dumps(to_sarif(run, location_file), indent=2) + "\n"
    elif fmt == "junit":
        text = to_junit(run)
    else:
        raise ValueError(f"unknown report format {fmt!r}")
    write_atomic(output, text)


__all__ = ["FORMATS", "render_text", "to_json", "to_junit", "to_sarif", "write_report"]
