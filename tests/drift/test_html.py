"""The HTML report: self-contained, one section per feature with both distributions plotted
and the statistics tabled. Checked by parsing the document, not by eye."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pyarrow as pa

from obsgov.drift.data import Frame
from obsgov.drift.engine import evaluate
from obsgov.drift.html import render
from obsgov.drift.profile import ProfileSettings, build_baseline


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, dict]] = []
        self.sections: dict[str, dict] = {}
        self.external: list[str] = []
        self.tags: list[str] = []
        self.current = None
        self.cell_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        for key in ("src", "href"):
            if key in attrs:
                self.external.append(attrs[key])
        if tag == "section" and attrs.get("class") == "feature":
            self.current = attrs["id"].removeprefix("feature-")
            self.sections[self.current] = {"baseline": 0, "current": 0, "rows": {}}
        if tag == "rect" and self.current and attrs.get("class") in ("baseline", "current"):
            self.sections[self.current][attrs["class"]] += 1
        self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "section":
            self.current = None
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self.current and self.stack and self.stack[-1][0] in ("th", "td"):
            self.cell_text.append(data)
            if self.stack[-1][0] == "td" and len(self.cell_text) >= 2:
                self.sections[self.current]["rows"][self.cell_text[-2]] = data
                self.cell_text = []


def test_report_has_a_plot_and_a_table_per_feature_and_nothing_external():
    rng = np.random.default_rng(2)
    train = pa.table({"amount": rng.gamma(2, 10, 800), "<city>": pa.array(["a", "b"] * 400)})
    window = pa.table({"amount": rng.gamma(2, 12, 600), "<city>": pa.array(["a", "z"] * 300)})
    baseline = build_baseline(Frame.from_table(train, "train"), settings=ProfileSettings(bins=8))
    report = evaluate(baseline, Frame.from_table(window, "window"))
    document = render(report)
    parser = Collector()
    parser.feed(document)
    assert document.startswith("<!DOCTYPE html>")
    assert parser.external == []
    assert "script" not in parser.tags
    assert set(parser.sections) == {"amount", "<city>"}  # names escaped, still recovered
    amount = parser.sections["amount"]
    # eight quantile bins plus the two open ends, one bar each side
    assert amount["baseline"] == amount["current"] == 10
    amount_result = next(f for f in report.features if f.name == "amount")
    assert amount["rows"]["PSI"] == f"{amount_result.psi:.4g}"
    assert amount["rows"]["KS p-value"] == f"{amount_result.ks_pvalue:.4g}"
    city = parser.sections["<city>"]
    assert city["baseline"] == city["current"] == 4  # a, b, (other), (unseen)
    assert city["rows"]["unseen categories"] == "300 (50.00%)"
    assert city["rows"]["KS statistic"] == "n/a"


def test_grid_statistics_show_their_bounds_and_not_judged_windows_say_so():
    rng = np.random.default_rng(3)
    train = pa.table({"x": rng.normal(size=3000)})
    baseline = build_baseline(
        Frame.from_table(train, "train"), settings=ProfileSettings(exact_limit=100)
    )
    report = evaluate(baseline, Frame.from_table(pa.table({"x": rng.normal(size=500)}), "w"))
    x = report.features[0]
    parser = Collector()
    parser.feed(render(report))
    rows = parser.sections["x"]["rows"]
    assert x.ks_statistic_bounds is not None
    low, high = x.ks_statistic_bounds
    assert rows["KS statistic"] == f"{x.ks_statistic:.4g} (between {low:.4g} and {high:.4g})"
    assert rows["KS and Wasserstein"] == "baseline grid, with bounds"
    empty = evaluate(baseline, Frame.from_table(pa.table({"x": pa.array([], pa.float64())}), "w"))
    assert "Not judged: no rows or no judgeable feature" in render(empty)
