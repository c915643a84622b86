"""The Actuals card in headless Chromium: pasted actuals appear as dots on the time series,
with the prior beside the posterior, and in the page's URL; no console errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser
CSV = "month,revenue_run_rate,gw_online\n2026-01,10.0e9,1.9\n2026-02,11.1e9,\n2026-03,12.0e9,1.9\n"
DOTS_JS = """() => {
  const out = {};
  for (const doc of Bokeh.documents) for (const name of ["money", "capacity"]) {
    const fig = doc.get_model_by_name(name);
    if (!fig) continue;
    out[name] = 0;
    for (const r of fig.renderers) {
      const d = r.data_source && r.data_source.data;
      const v = d && (d instanceof Map ? d.get("field") : d["field"]);
      if (v) out[name] += v.length;
    }
  }
  return out;
}"""


def open_app(page: Page, url: str) -> list[str]:
    """Load the app; return the (live) list of console errors and page errors."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.goto(url)
    page.locator(".kpi-bankrupt div", has_text="%").first.wait_for(timeout=90_000)
    return errors


def dots(page: Page) -> dict[str, int]:
    return page.evaluate(DOTS_JS)


def test_pasted_actuals_draw_dots_without_errors(page: Page, dashboard_url: str, artifacts: Path):
    errors = open_app(page, dashboard_url)
    page.locator(".bk-tab", has_text="Time series").click()
    for name in ("money", "capacity"):
        page.locator(f".chart-{name} canvas").first.wait_for(state="attached", timeout=60_000)
    assert dots(page) == {"money": 0, "capacity": 0}  # no actuals: no dots
    page.locator(".card-header", has_text="Actuals").first.click()
    page.locator(".actuals-text textarea").fill(CSV)
    page.locator(".actuals-apply button").click()
    page.locator(".actuals-status", has_text="effective sample size").wait_for(timeout=90_000)
    deadline = time.monotonic() + 60
    while dots(page) != {"money": 3, "capacity": 2} and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts / "dashboard_actuals.png")
    for name in ("money", "capacity"):
        page.locator(f".chart-{name}").screenshot(path=artifacts / f"dashboard_actuals_{name}.png")
    assert dots(page) == {"money": 3, "capacity": 2}  # revenue every month, GW where given
    assert "actuals=" in page.url  # the URL carries them
    assert errors == []


def test_a_url_with_actuals_opens_conditioned(page: Page, dashboard_url: str):
    from dashboard.actuals import url_text

    errors = open_app(page, f"{dashboard_url}?actuals={url_text(CSV)}")
    page.locator(".bk-tab", has_text="Time series").click()
    page.locator(".chart-money canvas").first.wait_for(state="attached", timeout=60_000)
    deadline = time.monotonic() + 60
    while dots(page) != {"money": 3, "capacity": 2} and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert dots(page) == {"money": 3, "capacity": 2}
    page.locator(".card-header", has_text="Actuals").first.click()
    assert "2026-03" in page.locator(".actuals-text textarea").input_value()
    assert errors == []
