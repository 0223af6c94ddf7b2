"""A self-contained HTML drift report: inline SVG bar charts and tables, no scripts, no
network. A person opens it from disk or an S3 link and sees, per feature, the baseline and the
current distribution side by side with the statistics."""

from __future__ import annotations

from html import escape

from .engine import DriftReport, FeatureResult

WIDTH, HEIGHT, PAD = 640, 200, 28
BASE_COLOUR, CURRENT_COLOUR = "#4c78a8", "#f58518"
MAX_BARS = 30

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}
section{border-top:2px solid #ddd;margin-top:1.5em;padding-top:.5em}
.drift{color:#b00020;font-weight:bold}.ok{color:#1b7a1b}
.legend span{display:inline-block;width:1em;height:1em;vertical-align:middle;margin:0 .3em}
"""


def _fmt(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _pct(value: float) -> str:
    return f"{value * 100:.2f}%"


def bar_chart(result: FeatureResult) -> str:
    """Grouped bars, baseline and current share per bin, as inline SVG."""
    labels = result.bins[:MAX_BARS]
    base = result.baseline_shares[:MAX_BARS]
    current = result.current_shares[:MAX_BARS] if result.current_shares else [0.0] * len(labels)
    if not labels:
        return "<p>No distribution to plot.</p>"
    top = max([*base, *current, 1e-12])
    slot = (WIDTH - 2 * PAD) / len(labels)
    bar = max(slot * 0.38, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT + 60}" '
        f'role="img" aria-label="{escape(result.name)} distribution">',
        f'<line x1="{PAD}" y1="{HEIGHT}" x2="{WIDTH - PAD}" y2="{HEIGHT}" stroke="#999"/>',
    ]
    for i, label in enumerate(labels):
        x = PAD + i * slot
        for offset, share, colour, kind in (
            (0.1, base[i], BASE_COLOUR, "baseline"),
            (0.1 + 0.4, current[i], CURRENT_COLOUR, "current"),
        ):
            h = (HEIGHT - PAD) * share / top
            parts.append(
                f'<rect class="{kind}" x="{x + offset * slot:.1f}" y="{HEIGHT - h:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(label)}: {kind} {_pct(share)}</title></rect>"
            )
        parts.append(
            f'<text x="{x + slot / 2:.1f}" y="{HEIGHT + 12}" font-size="9" '
            f'text-anchor="end" transform="rotate(-40 {x + slot / 2:.1f} {HEIGHT + 12})">'
            f"{escape(label[:18])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _feature(result: FeatureResult) -> str:
    verdict = (
        '<span class="drift">drifted</span>'
        if result.drifted
        else '<span class="ok">no drift</span>'
    )

    def bounded(value: float | None, bounds: list[float] | None) -> str:
        if bounds is None or value is None:
            return _fmt(value)
        return f"{_fmt(value)} (between {_fmt(bounds[0])} and {_fmt(bounds[1])})"

    rows = [
        ("PSI", _fmt(result.psi)),
        ("Jensen-Shannon distance", _fmt(result.js_distance)),
        ("KS statistic", bounded(result.ks_statistic, result.ks_statistic_bounds)),
        ("KS p-value", bounded(result.ks_pvalue, result.ks_pvalue_bounds)),
        ("Wasserstein distance", bounded(result.wasserstein, result.wasserstein_bounds)),
        ("normed Wasserstein", _fmt(result.wasserstein_normed)),
        ("chi-square p-value", _fmt(result.chi2_pvalue)),
        ("missing rate (baseline)", _pct(result.baseline_missing_rate)),
        ("missing rate (window)", _pct(result.missing_rate)),
        ("values used", str(result.values)),
        ("schema violations", str(result.schema_violations)),
        ("out of range", f"{result.out_of_range} ({_pct(result.out_of_range_rate)})"),
        ("unseen categories", f"{result.unseen} ({_pct(result.unseen_rate)})"),
    ]
    if result.method:
        how = "exact (scipy)" if result.method == "exact" else "baseline grid, with bounds"
        rows.append(("KS and Wasserstein", how))
    if result.new_value_rate is not None:
        rows.append(("new-value rate", _pct(result.new_value_rate)))
    if result.newest is not None:
        rows.append(("newest value", result.newest))
    if not result.judged:
        rows.append(("judged", "no (no threshold applies, or no values)"))
    table = "".join(f'<tr><th class="l">{escape(k)}</th><td>{escape(v)}</td></tr>' for k, v in rows)
    reasons = "".join(f"<li>{escape(r)}</li>" for r in result.drift_reasons)
    note = f"<p><em>{escape(result.note)}</em></p>" if result.note else ""
    unseen = ""
    if result.unseen_examples:
        unseen = (
            "<p>Unseen: "
            + ", ".join(f"{escape(k)} ({v})" for k, v in result.unseen_examples.items())
            + "</p>"
        )
    return (
        f'<section class="feature" id="feature-{escape(result.name)}">'
        f"<h2>{escape(result.name)} <small>({escape(result.type)})</small> {verdict}</h2>"
        f"{note}<ul>{reasons}</ul>{bar_chart(result)}"
        f'<table class="stats">{table}</table>{unseen}</section>'
    )


def render(report: DriftReport) -> str:
    data = report.dataset
    summary = [
        ("rows", str(data.rows)),
        ("status", data.status.replace("_", " ")),
        (
            "drifted features",
            f"{len(data.drifted_features)} of {data.features_judged} judged "
            f"({_pct(data.drifted_share)}; threshold "
            f"{_pct(data.drifted_share_threshold)})",
        ),
        ("schema violations", str(data.schema_violations)),
        ("out-of-range rate", _pct(data.out_of_range_rate)),
        ("unseen-category rate", _pct(data.unseen_rate)),
        ("duplicate rows", f"{data.duplicate_rows} ({_pct(data.duplicate_row_rate)})"),
        ("malformed records", str(data.malformed_records)),
        ("columns the baseline lacks", ", ".join(data.extra_columns) or "none"),
    ]
    table = "".join(
        f'<tr><th class="l">{escape(k)}</th><td>{escape(v)}</td></tr>' for k, v in summary
    )
    if not data.judged:
        verdict = '<p class="drift">Not judged: no rows or no judgeable feature</p>'
    elif data.dataset_drift:
        verdict = '<p class="drift">Dataset drift detected</p>'
    else:
        verdict = '<p class="ok">No dataset drift</p>'
    legend = (
        f'<p class="legend"><span style="background:{BASE_COLOUR}"></span>baseline'
        f'<span style="background:{CURRENT_COLOUR}"></span>current window</p>'
    )
    examples = "".join(f"<li>{escape(e)}</li>" for e in data.malformed_examples)
    features = "".join(_feature(f) for f in report.features)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Drift report: {escape(report.source)}</title><style>{STYLE}</style>"
        f"</head><body><h1>Drift report</h1><p>Window <code>{escape(report.source)}</code>"
        f" against baseline <code>{escape(report.baseline_source)}</code></p>{verdict}"
        f'<table class="summary">{table}</table>'
        + (f'<ul class="malformed">{examples}</ul>' if examples else "")
        + f"{legend}{features}</body></html>\n"
    )
