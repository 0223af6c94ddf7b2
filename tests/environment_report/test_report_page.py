"""The report page as people see it: rendered by headless Chromium (Debian's ``chromium``
package, driven by Playwright), with a screenshot, no console errors, and the tables, chart and
heat map present in the rendered DOM and working (sorting, filtering, print layout).

Chromium must be installed (``.ci/run`` installs it); without it this test fails and says how
to install it, rather than skipping and proving nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from obsgov.config.loader import load_environment
from obsgov.environment_report.build import build_report
from obsgov.environment_report.cost import load_prices
from obsgov.environment_report.html import STATUS_COLOURS, render
from obsgov.gate.engine import GateOptions, synthesize_and_gate
from obsgov.gate.selection import select_packs

from ..support.environments import STACKS

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "headless Chromium is needed: apt-get install chromium (as .ci/run does)"
    return path


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    env = load_environment("prod", STACKS / "Pulumi.prod.yaml")
    run = synthesize_and_gate(
        env, select_packs(env, None, None), GateOptions(stack_config=env.config_map)
    )
    data = build_report(run, env, load_prices()).to_json()
    page = tmp_path_factory.mktemp("report") / "prod.html"
    page.write_text(render(data, run.graph.accounts), encoding="utf-8")
    return data, page


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, report_page):
    _, path = report_page
    opened = browser.new_page(viewport={"width": 1366, "height": 900})
    problems: list[str] = []
    opened.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    opened.on("pageerror", lambda e: problems.append(str(e)))
    opened.on(
        "request",
        lambda r: problems.append(f"network: {r.url}") if not r.url.startswith("file:") else None,
    )
    opened.goto(path.as_uri())
    yield opened
    assert problems == [], "the page logged errors or reached the network"
    opened.close()


def test_the_page_renders_with_a_screenshot_and_no_console_errors(page, tmp_path):
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000
    assert page.title() == "obsgov report prod"


def test_tables_chart_and_heat_map_hold_the_report(page, report_page):
    data, _ = report_page
    assert page.locator("#inventory tbody tr").count() == len(data["inventory"])
    assert page.locator("#controls tbody tr").count() == len(data["controls"])
    per_component = page.locator("#inventory-counts tbody tr td:nth-child(4)")
    assert sum(int(per_component.nth(i).inner_text()) for i in range(per_component.count())) == (
        len(data["inventory"])
    )
    assert per_component.count() == len({(r["account"], r["component"]) for r in data["inventory"]})
    assert page.locator("#charges tbody tr").count() == len(data["cost"]["charges"])
    bars = page.locator("svg#cost-chart rect.bar")
    assert bars.count() == len(data["cost"]["byAccount"])
    widths = [float(bars.nth(i).get_attribute("width")) for i in range(bars.count())]
    assert widths == sorted(widths, reverse=True)
    assert widths[0] > 0  # costliest account first
    judged_accounts = {a for c in data["controls"] for a in c["accounts"]}
    assert page.locator("#heat-map tbody tr").count() == len(judged_accounts)
    # every heat-map cell shows its account's status for that control
    control = next(c for c in data["controls"] if c["accounts"])
    account, status = next(iter(sorted(control["accounts"].items())))
    cell = page.locator(f'#heat-map td[title="{control["control"]}: {status}"]').first
    colour = cell.evaluate("e => getComputedStyle(e).backgroundColor")
    hex_colour = STATUS_COLOURS[status].lstrip("#")
    assert colour == "rgb({}, {}, {})".format(*(int(hex_colour[i : i + 2], 16) for i in (0, 2, 4)))


def test_a_column_sorts_both_ways(page):
    header = page.locator("#cost-by-service th", has_text="monthly USD")
    cells = page.locator("#cost-by-service tbody tr td:nth-child(2)")

    def values() -> list[float]:
        return [float(cells.nth(i).get_attribute("data-value")) for i in range(cells.count())]

    header.click()
    assert values() == sorted(values())
    header.click()
    assert values() == sorted(values(), reverse=True)


def test_the_filter_keeps_only_matching_rows(page, report_page):
    data, _ = report_page
    account = data["inventory"][-1]["account"]
    page.fill('input[data-table="inventory"]', account)
    visible = page.locator("#inventory tbody tr:visible")
    expected = sum(1 for r in data["inventory"] if account in " ".join(map(str, r.values())))
    assert visible.count() == expected < len(data["inventory"])


def test_the_printed_page_drops_the_filters(page):
    page.emulate_media(media="print")
    assert page.locator("input.filter").first.is_hidden()
    pdf = page.pdf()
    assert pdf[:5] == b"%PDF-"


def test_the_page_needs_nothing_but_itself(report_page):
    _, path = report_page
    text = Path(path).read_text()
    assert "<script src" not in text
    assert "<link" not in text
    assert "http://" not in text
