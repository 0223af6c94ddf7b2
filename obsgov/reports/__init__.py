"""Reports of obsgov runs, one module per format.

A gate run (:class:`obsgov.gate.results.GateRun`) is reported as the Pulumi CLI's
``Policies:`` block (:mod:`.text`), JSON (:mod:`.json`), SARIF 2.1.0 for GitHub code scanning
(:mod:`.sarif`), JUnit XML (:mod:`.junit`) or a pull-request comment in Markdown
(:mod:`.comment`). Every format reads the same :class:`~.findings.Review`: each violation
with the line that caused it, and whether it is open, suppressed, in the baseline or below
the severity threshold.
"""

from __future__ import annotations

import json as _json
from pathlib import Path

from obsgov.gate.results import GateRun
from obsgov.io import write_atomic

from .findings import Review, review
from .json import to_json
from .junit import to_junit
from .locations import SourceFiles
from .sarif import to_sarif
from .text import render_text

FORMATS = ("json", "sarif", "junit")


def write_report(
    run: GateRun,
    fmt: str,
    output: Path,
    sources: SourceFiles | Path | None = None,
    checked: Review | None = None,
) -> None:
    """Write the ``fmt`` report to ``output`` whole or not at all. Findings point at the line
    that caused them among ``sources``."""
    checked = checked or review(run, sources)
    if fmt == "json":
        text = _json.dumps(to_json(run, checked), indent=2, sort_keys=True) + "\n"
    elif fmt == "sarif":
        text = _json.dumps(to_sarif(run, checked=checked), indent=2) + "\n"
    elif fmt == "junit":
        text = to_junit(run, checked)
    else:
        raise ValueError(f"unknown report format {fmt!r}")
    write_atomic(output, text)


__all__ = [
    "FORMATS",
    "Review",
    "SourceFiles",
    "render_text",
    "review",
    "to_json",
    "to_junit",
    "to_sarif",
    "write_report",
]
