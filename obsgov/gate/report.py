"""Moved to :mod:`obsgov.reports`; kept only until tests/gate/test_engine.py imports from there."""

from obsgov.reports import render_text, to_json, to_junit, to_sarif, write_report

__all__ = ["render_text", "to_json", "to_junit", "to_sarif", "write_report"]
