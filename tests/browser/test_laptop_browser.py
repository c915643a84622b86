"""Issue 26 acceptance in headless Chromium: the dashboard on a laptop screen.

A server of its own with an empty disk cache (a cold start), opened at 1024x768: the
decision appears, nothing scrolls sideways (the page and every scrollable container,
``#main`` included), heatmap labels fit their cells, frontier labels do not overlap, chart
titles are not cut, nothing says "earlier settings" on first load and the empty heatmap
draws no axes; the same at 1440x900; then the Apply button.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from dashboard.bench import wait_http

pytestmark = pytest.mark.browser
COLD_TIMEOUT_MS = 600_000
"""Longest wait for the tables of a cold start (minutes on a busy 2-core machine)."""
LAPTOPS = ({"width": 1024, "height": 768}, {"width": 1440, "height": 900})
SIDEWAYS_JS = """() => {
  const bad = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      const scrolls = ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
      if ((scrolls || el.id === 'main') && el.scrollWidth > el.clientWidth)
        bad.push(`${el.tagName}#${el.id}.${el.className}: ${el.scrollWidth} > ${el.clientWidth}`);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  for (const el of [document.documentElement, document.body])
    if (el.scrollWidth > el.clientWidth) bad.push(`${el.tagName}: ${el.scrollWidth} > ${el.clientWidth}`);
  return bad;
}"""
CHARTS_JS = """() => {
  const ctx = document.createElement('canvas').getContext('2d');
  const width = (text, font) => { ctx.font = font; return ctx.measureText(text).width; };
  const out = {};
  for (const doc of Bokeh.documents) for (const name of ['heatmap', 'frontier']) {
    const fig = doc.get_model_by_name(name);
    if (!fig) continue;
    const texts = [];
    for (const r of fig.renderers) {
      const d = r.data_source && r.data_source.data;
      const get = (k) => d instanceof Map ? d.get(k) : d && d[k];
      if (r.glyph && r.glyph.type === 'Text' && get('label')) texts.push(r);
    }
    const r = texts[0], d = r.data_source.data;
    const get = (k) => Array.from(d instanceof Map ? d.get(k) : d[k]);
    const [x0, x1, y0, y1] = [fig.x_range.start, fig.x_range.end, fig.y_range.start, fig.y_range.end];
    const xcol = name === 'heatmap' ? 'xi' : 'risk', ycol = name === 'heatmap' ? 'yi' : 'revenue';
    out[name] = {
      inner_width: fig.inner_width, inner_height: fig.inner_height,
      title: fig.title.text, title_px: width(fig.title.text, 'bold 10pt sans-serif'),
      xs: get(xcol).map(v => (v - x0) / (x1 - x0) * fig.inner_width),
      ys: get(ycol).map(v => (v - y0) / (y1 - y0) * fig.inner_height),
      widths: get('label').map(t => Math.max(...String(t).split('\\n').map(s => width(s, '8pt sans-serif')))),
      lines: get('label').map(t => String(t).split('\\n').length),
      n_cols: name === 'heatmap' ? Math.round(x1 - x0) : 0,
      n_rows: name === 'heatmap' ? Math.round(y1 - y0) : 0,
    };
  }
  return out;
}"""


@pytest.fixture(scope="module")
def cold_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A dashboard server of its own whose tables start from an empty disk cache."""

    from dashboard import sweeps
    from dashboard.cache import DiskCache
    from dashboard.server import serve

    saved = sweeps.DISK
    sweeps.DISK = DiskCache(tmp_path_factory.mktemp("cold-cache"))
    with socket.socket() as s:  # the OS picks a free port: the session's server may hold
        s.bind(("127.0.0.1", 0))  # COMPUTE_SIM_TEST_PORT
        port = s.getsockname()[1]
    server = serve(None, port=port, show=False, threaded=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_http(url, timeout=120)
        yield url
    finally:
        server.stop()
        server.join(30)  # else the package's server teardown finds it "already stopping"
        sweeps.DISK = saved


def label_boxes_overlap(c: dict, height_px: float = 11.0) -> list[tuple[int, int]]:
    """Pairs of frontier labels whose boxes (text drawn right of the point) intersect."""
    boxes = [
        (x, y, x + w, y + height_px) for x, y, w in zip(c["xs"], c["ys"], c["widths"], strict=True)
    ]
    return [(i, j) for i in range(len(boxes)) for j in range(i)
            if boxes[i][0] < boxes[j][2] and boxes[j][0] < boxes[i][2]
            and boxes[i][1] < boxes[j][3] and boxes[j][1] < boxes[i][3]]  # fmt: skip


def test_laptop_screens_cold_start(page: Page, cold_url: str, artifacts: Path):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size(LAPTOPS[0])
    page.goto(cold_url)
    decision = page.get_by_test_id("decision")
    decision.wait_for(timeout=120_000)  # the decision appears (pending while tables compute)
    assert "earlier settings" not in page.locator("#main").inner_text()
    if decision.get_attribute("data-state") == "pending":  # nothing drawn yet: no fake axes
        assert page.locator(".chart-heatmap canvas").count() == 0
    page.locator('[data-testid="decision"][data-state="ready"]').wait_for(timeout=COLD_TIMEOUT_MS)
    for name in ("heatmap", "frontier"):
        page.locator(f'[data-testid="{name}-state"][data-state="ready"]').wait_for(
            state="attached", timeout=COLD_TIMEOUT_MS
        )
    for screen in LAPTOPS:
        page.set_viewport_size(screen)
        page.wait_for_timeout(1500)  # charts re-lay out
        tag = f"{screen['width']}x{screen['height']}"
        page.screenshot(path=artifacts / f"dashboard_laptop_{tag}.png")
        assert page.evaluate(SIDEWAYS_JS) == [], tag
        charts = page.evaluate(CHARTS_JS)
        heat, front = charts["heatmap"], charts["frontier"]
        cell = heat["inner_width"] / heat["n_cols"]
        assert max(heat["widths"]) < 0.95 * cell, (tag, cell)  # labels fit their cells
        assert heat["inner_height"] / heat["n_rows"] > 2 * 13, tag  # two lines of 8pt text
        labelled = [i for i, w in enumerate(front["widths"]) if w > 0]
        sub = {k: [front[k][i] for i in labelled] for k in ("xs", "ys", "widths")}
        assert label_boxes_overlap(sub) == [], tag
        for name, c in charts.items():  # titles fit above their charts
            assert c["title_px"] < c["inner_width"] + 60, (tag, name, c["title"])
    assert errors == []


def test_apply_gives_a_plan_on_the_frontier(page: Page, cold_url: str, artifacts: Path):
    page.set_viewport_size(LAPTOPS[0])
    page.goto(cold_url)
    ready = page.locator('[data-testid="decision"][data-state="ready"]')
    ready.wait_for(timeout=COLD_TIMEOUT_MS)
    before = page.get_by_test_id("decision").get_attribute("data-current-p-bankrupt")
    page.locator(".apply-plan button").click()
    decision = page.get_by_test_id("decision")
    deadline = time.monotonic() + COLD_TIMEOUT_MS / 1000
    while (
        decision.get_attribute("data-state"),
        decision.get_attribute("data-current-p-bankrupt"),
    ) in (("ready", before), ("pending", before), ("pending", None)) or decision.get_attribute(
        "data-state"
    ) != "ready":  # until the applied plan's decision
        assert time.monotonic() < deadline
        page.wait_for_timeout(200)
    ready.wait_for(timeout=COLD_TIMEOUT_MS)
    page.screenshot(path=artifacts / "dashboard_after_apply_1024x768.png")
    text = page.get_by_test_id("decision").inner_text()
    assert "dominated" not in text
    assert "on the frontier" in text
