"""The dashboard in headless Chromium: load, sliders, picker, downloads, bad input, sweeps.

Every test opens a fresh page (a fresh server session) on the base scenario, 2,000 paths.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import ConsoleMessage, Page

from dashboard.explorer import Explorer
from sim.model.io import load_scenario

pytestmark = pytest.mark.browser
TIMEOUT_S = 60.0
"""Longest wait for the server to answer a change (a run takes ~0.2 s; CI may be slow)."""


def open_app(page: Page, url: str) -> list[str]:
    """Load the app; return the (live) list of console errors and page errors."""
    errors: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            errors.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.goto(url)
    # a wait, not a speed check (first paint is measured in test_decision_browser): generous
    # so a machine busy with other work does not fail it
    page.locator(".kpi-bankrupt div", has_text="%").first.wait_for(timeout=90_000)
    return errors


def kpi(page: Page, css: str) -> str:
    """Displayed value of a big-number indicator (its last text block)."""
    return page.locator(f".{css} div").all_inner_texts()[-1].strip()


def percent(text: str) -> float:
    m = re.fullmatch(r"(-?[\d.]+)%", text)
    assert m, f"not a percentage: {text!r}"
    return float(m.group(1))


def wait_change(page: Page, css: str, old: str) -> tuple[str, float]:
    """Wait until an indicator shows something other than ``old``; (new text, seconds)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < TIMEOUT_S:
        now = kpi(page, css)
        if now != old:
            return now, time.perf_counter() - t0
        page.wait_for_timeout(25)
    raise AssertionError(f"{css} stayed at {old!r} for {TIMEOUT_S} s")


def expected_p_bankrupt(**changes: float) -> str:
    """P(bankrupt) text the app must show after ``changes``, computed without a browser.

    Same scenario, paths and seed as the served app, so the figure must match exactly.
    """
    x = Explorer()
    x.param.update(**changes)
    return f"{100 * x.numbers['p_bankrupt']:.1f}%"


def wait_for_text(page: Page, css: str, expected: str) -> float:
    """Wait until an indicator shows ``expected``; return the seconds it took."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < TIMEOUT_S:
        if kpi(page, css) == expected:
            return time.perf_counter() - t0
        page.wait_for_timeout(10)
    raise AssertionError(f"{css} shows {kpi(page, css)!r}, expected {expected!r}")


def press_slider(page: Page, name: str, key: str, times: int = 1) -> None:
    handle = page.locator(f".w-{name} .noUi-handle")
    handle.focus()
    for _ in range(times):
        handle.press(key)


def test_page_loads_without_console_errors(page: Page, dashboard_url: str, artifacts: Path):
    errors = open_app(page, dashboard_url)
    for name in ("heatmap", "frontier", "tornado"):  # drawn once the page has loaded
        page.locator(f".chart-{name} canvas").first.wait_for(state="attached", timeout=60_000)
    page.wait_for_timeout(1000)  # let the charts render
    page.screenshot(path=artifacts / "dashboard_base.png")
    assert errors == []
    # base scenario at 2,000 paths: P(bankrupt) ~10.7%, median 2031 revenue in $T
    assert 2.0 < percent(kpi(page, "kpi-bankrupt")) < 30.0
    assert re.fullmatch(r"\$[\d.,]+[MBT]", kpi(page, "kpi-revenue"))
    assert 0.0 <= percent(kpi(page, "kpi-unserved")) <= 100.0
    assert page.locator(".bk-Canvas").count() >= 3  # heatmap, frontier and tornado drawn
    assert errors == []  # and drawing them logged no error


def test_planned_growth_slider_updates_p_bankrupt(page: Page, dashboard_url: str, artifacts: Path):
    errors = open_app(page, dashboard_url)
    before = kpi(page, "kpi-bankrupt")
    # one step: 4x -> 4.5x planned growth; the app must show exactly what the API computes
    one_step = expected_p_bankrupt(planned_growth=4.5)
    press_slider(page, "planned_growth", "ArrowRight")
    seconds = wait_for_text(page, "kpi-bankrupt", one_step)
    # three more steps to 6x: with the same random draws, buying more never lowers
    # P(bankrupt) (DOMAIN.md identity); at 2,000 paths it rises from ~11% to ~27%.
    six = expected_p_bankrupt(planned_growth=6.0)
    press_slider(page, "planned_growth", "ArrowRight", 3)
    wait_for_text(page, "kpi-bankrupt", six)
    page.screenshot(path=artifacts / "dashboard_planned_growth_6x.png")
    (artifacts / "browser_update_seconds.txt").write_text(
        f"planned growth 4x->4.5x, 2000 paths: new P(bankrupt) shown {seconds:.3f} s "
        "after the key press (server run + charts + browser render)\n"
    )
    print(f"browser update after one slider step: {seconds:.3f} s")
    assert percent(six) > percent(before)
    assert errors == []


def test_initial_cash_slider_changes_p_bankrupt(page: Page, dashboard_url: str):
    open_app(page, dashboard_url)
    before = kpi(page, "kpi-bankrupt")
    rich = expected_p_bankrupt(initial_cash=80.0)
    press_slider(page, "initial_cash", "ArrowRight", 10)  # $30B -> $80B in $5B steps
    wait_for_text(page, "kpi-bankrupt", rich)
    # $50B more cash buys ~14 months of runway: 10.7% -> 10.1% at 2,000 paths. (Below
    # $30B the figure is not monotone in cash, see the report, so we test upwards.)
    assert percent(rich) < percent(before)


def test_scenario_picker_loads_scenario(page: Page, dashboard_url: str, artifacts: Path):
    open_app(page, dashboard_url)
    before = kpi(page, "kpi-revenue")
    page.locator(".w-scenario_file select").select_option(label="steady_state_100b")
    after, _ = wait_change(page, "kpi-revenue", before)
    # steady state: $150B/yr of revenue, no growth, no risk
    assert after == "$150B"
    assert percent(kpi(page, "kpi-bankrupt")) == 0.0
    page.locator(".caption", has_text="steady_state_100b").wait_for()
    page.wait_for_timeout(1500)  # charts are replaced after the numbers
    page.screenshot(path=artifacts / "dashboard_steady_state.png")


def test_saved_yaml_validates_and_keeps_the_change(page: Page, dashboard_url: str, tmp_path: Path):
    open_app(page, dashboard_url)
    press_slider(page, "initial_cash", "ArrowRight", 2)  # $30B -> $40B
    # wait for the figure of $40B itself: under load the two key presses can arrive as two
    # updates, and the first ($35B) must not be mistaken for the last
    wait_for_text(page, "kpi-bankrupt", expected_p_bankrupt(initial_cash=40.0))
    with page.expect_download() as info:
        page.locator(".save-yaml button, .save-yaml a").first.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    scenario = load_scenario(path)  # raises ScenarioError if invalid
    assert scenario.finance.initial_cash == pytest.approx(40e9)
    assert scenario.simulation.paths == 10_000  # the file keeps the scenario's precision
    assert path.name == "base.yaml"
    assert scenario.name == "base (edited)"  # the saved file says it is not the shipped base
    assert "Initial cash $40B" in scenario.description


def test_csv_download_is_the_by_year_table(page: Page, dashboard_url: str, tmp_path: Path):
    open_app(page, dashboard_url)
    with page.expect_download() as info:
        page.locator(".download-csv button, .download-csv a").first.click()
    path = tmp_path / "by_year.csv"
    info.value.save_as(path)
    table = pd.read_csv(path)
    assert list(table["year"]) == list(range(2026, 2032))
    # last row's cumulative P(bankrupt) is the within-horizon number (2,000 paths)
    shown = percent(kpi(page, "kpi-bankrupt-horizon"))
    # shown rounded to 0.1 pp: off by at most 0.05 pp (plus float error: 8.25 shows 8.2)
    assert table["p_bankrupt"].iloc[-1] * 100 == pytest.approx(shown, abs=0.05 + 1e-9)


def test_bad_combination_shows_alert(page: Page, dashboard_url: str, artifacts: Path):
    errors = open_app(page, dashboard_url)
    alert = page.locator(".settings-alert")
    assert not alert.is_visible()
    press_slider(page, "training_share", "Home")  # 0.50 -> 0.05, below the 0.25 floor
    alert.locator("text=min_training_share must not exceed training_share").wait_for(
        timeout=TIMEOUT_S * 1000
    )
    page.screenshot(path=artifacts / "dashboard_bad_combination.png")
    text = " ".join(alert.locator("li").all_inner_texts())
    assert "allocation" in text
    assert "Min training share" in text  # names the widgets to fix
    assert errors == []
    press_slider(page, "training_share", "ArrowRight", 5)  # 0.30 >= 0.25: valid again
    alert.wait_for(state="hidden", timeout=TIMEOUT_S * 1000)


def test_tabs_draw_without_errors(page: Page, dashboard_url: str, artifacts: Path):
    errors = open_app(page, dashboard_url)
    page.locator('[data-testid="decision"][data-state="ready"]').wait_for(timeout=60_000)
    page.wait_for_timeout(800)
    page.screenshot(path=artifacts / "dashboard_decision_tab.png", full_page=True)
    page.locator(".bk-tab", has_text="Time series").click()
    for name in ("demand", "capacity", "money", "cash", "risk"):  # drawn once their tab opens
        page.locator(f".chart-{name} canvas").first.wait_for(state="attached", timeout=60_000)
    page.wait_for_timeout(800)
    page.screenshot(path=artifacts / "dashboard_time_series.png", full_page=True)
    assert page.locator(".bk-Canvas").count() >= 5
    assert page.locator("text=Not available").count() == 0
    assert errors == []


def test_what_ruins_us_tab_finds_the_first_box(page: Page, dashboard_url: str, artifacts: Path):
    errors = open_app(page, dashboard_url)
    page.locator(".bk-tab", has_text="What ruins us").click()
    page.locator(".run-discovery button").click()
    page.locator(".ruin-text", has_text="First box:").wait_for(timeout=90_000)
    page.wait_for_timeout(800)
    page.screenshot(path=artifacts / "dashboard_what_ruins_us.png")
    assert page.locator(".ruin-text", has_text="demand growth <").count() == 1
    assert page.locator(".ruin-text", has_text="signpost: {by: ").count() == 1
    assert page.locator(".ruin-status", has_text="Done").count() == 1
    assert errors == []
