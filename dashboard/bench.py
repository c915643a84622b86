"""Speed of the dashboard (``python -m sim bench-dashboard``).

Two measurements:

- :func:`bench_dashboard`, server side: one slider change = validate the settings, the
  (uncached) simulation, key numbers, chart data, and the in-place update of every chart.
- :func:`bench_browser`, in headless Chromium at 1440x900 (Debian's ``/usr/bin/chromium``
  through Playwright): first useful paint (navigation to the decision sentence and the
  key numbers on screen), time until the heatmap and frontier are filled, and the redraw
  latency of a widget change: key press on the planned-growth slider until every chart of
  the open tab has received its new data (each chart stamps ``window.__csim_redraw`` when
  it does) and the browser has painted twice more. The browser tests use the same code.
"""

from __future__ import annotations

import socket
import statistics
import time
import urllib.request
from pathlib import Path
from typing import Any

from sim.model.scenario import Scenario

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
VIEWPORT = {"width": 1440, "height": 900}
VISIBLE = ("heatmap", "frontier", "tornado")
"""Charts of the landing tab ("Decision")."""
WAIT_REDRAW_JS = """async ([t0, names, limit]) => {
  const ok = () => names.every(n => (window.__csim_redraw || {})[n] > t0);
  while (!ok()) {
    await new Promise(r => setTimeout(r, 2));
    if (performance.now() - t0 > limit) return -1;
  }
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
}"""


def bench_dashboard(scenario: Scenario, repeat: int = 10, paths: int = 2000) -> list[str]:
    """Change the planned-growth (or cash) input ``repeat`` times; return report lines."""
    from .app import Dashboard
    from .charts import series_data
    from .explorer import Explorer

    dash = Dashboard(Explorer(scenario, paths=paths, prepare=series_data))
    x = dash.x
    growth_policy = x.policy_kind in ("planned_growth", "adaptive")
    name = "planned_growth" if growth_policy else "initial_cash"
    start = float(getattr(x, name))
    total, sim = [], []
    for i in range(1, repeat + 1):
        value = start * (1.0 + 0.01 * i)  # new value each time: no cache hits
        t0 = time.perf_counter()
        setattr(x, name, value)
        total.append(time.perf_counter() - t0)
        sim.append(x.run_seconds)
    med, worst = statistics.median(total), max(total)
    return [
        f"scenario {scenario.name!r}: {x.paths:,} paths x {scenario.months} months; "
        f"{repeat} changes of {name!r}",
        f"server-side update after a widget change [s]: median {med:.3f}, max {worst:.3f} "
        f"(of which simulation, key numbers and chart data: median {statistics.median(sim):.3f})",
        f"P(bankrupt) at the last setting: {x.numbers['p_bankrupt']:.1%}",
    ]


def browser_available() -> bool:
    """Whether Chromium and Playwright are installed."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def open_dashboard(page: Any, url: str, timeout_s: float = 30.0) -> dict[str, float]:
    """Load the page; seconds from navigation to the first useful paint (the decision
    sentence and P(bankrupt) on screen) and to the filled heatmap and frontier."""
    t0 = time.perf_counter()
    page.goto(url)
    page.locator('[data-testid="decision"]').wait_for(timeout=timeout_s * 1000)
    page.locator(".kpi-bankrupt div", has_text="%").first.wait_for(timeout=timeout_s * 1000)
    first = time.perf_counter() - t0
    for name in ("heatmap", "frontier"):
        page.locator(f'[data-testid="{name}-state"][data-state="ready"]').wait_for(
            state="attached", timeout=timeout_s * 1000
        )
    page.locator('[data-testid="decision"][data-state="ready"]').wait_for(timeout=timeout_s * 1000)
    return {"first_paint_s": first, "filled_s": time.perf_counter() - t0}


def redraw_latency(
    page: Any, name: str = "planned_growth", changes: int = 8, charts: tuple[str, ...] = VISIBLE
) -> list[float]:
    """Seconds from a key press on slider ``name`` until every chart in ``charts`` has
    redrawn, for ``changes`` alternating right/left steps (median and p95 are robust)."""
    handle = page.locator(f".w-{name} .noUi-handle")
    handle.focus()
    out = []
    for i in range(changes):
        t0 = page.evaluate("performance.now()")
        handle.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        ms = page.evaluate(WAIT_REDRAW_JS, [t0, list(charts), 20_000])
        if ms < 0:
            raise AssertionError(f"charts {charts} did not redraw within 20 s")
        out.append(ms / 1000.0)
        page.wait_for_timeout(250)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def bench_browser(scenario: Scenario | None = None, repeat: int = 8) -> tuple[list[str], dict]:
    """Serve the dashboard, open it in Chromium and measure; (report lines, figures)."""
    import panel as pn
    from playwright.sync_api import sync_playwright

    from .server import serve

    port = free_port()
    serve(scenario, port=port, show=False, threaded=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_http(url)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport=VIEWPORT)
                paint = open_dashboard(page, url)
                page.wait_for_timeout(1000)
                times = redraw_latency(page, changes=repeat)
            finally:
                browser.close()
    finally:
        pn.state.kill_all_servers()
    fig = {**paint, "redraw_median_s": statistics.median(times), "redraw_p95_s": p95(times),
           "redraw_s": times}  # fmt: skip
    lines = [
        f"browser (Chromium {VIEWPORT['width']}x{VIEWPORT['height']}): first useful paint "
        f"{paint['first_paint_s']:.2f} s; heatmap, frontier and decision filled "
        f"{paint['filled_s']:.2f} s after navigation",
        f"browser redraw of every visible chart after a widget change [s]: median "
        f"{fig['redraw_median_s']:.3f}, p95 {fig['redraw_p95_s']:.3f} ({len(times)} changes)",
    ]
    return lines, fig
