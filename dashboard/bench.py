"""Speed of the dashboard (``python -m sim bench-dashboard``): server side, wall and CPU time
(of the updating thread, which other processes barely move) of one slider change until every
chart of the open tab is updated in place; in headless Chromium at 1440x900, first useful
paint, tables filled, and a key press until the key numbers and each chart have their new
data (stamped in ``window.__csim_redraw``) and two more frames are painted. Ten first loads
at once: ``tests/browser/test_load_benchmark.py``."""

from __future__ import annotations

import os
import socket
import statistics
import time
import urllib.request
from pathlib import Path
from typing import Any

from sim.model.scenario import Scenario

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
VIEWPORT = {"width": 1440, "height": 900}
VISIBLE = ("heatmap", "frontier", "tornado")  # the "Decision" tab's charts
SERIES = ("demand", "capacity", "money", "cash", "risk")  # the "Time series" tab's
WAIT_REDRAW_JS = """async ([t0, names, limit]) => {
  const at = () => names.map(n => (window.__csim_redraw || {})[n] || 0);
  while (!at().every(t => t > t0)) {
    await new Promise(r => setTimeout(r, 2));
    if (performance.now() - t0 > limit) return {missing: names.filter((n, i) => !(at()[i] > t0))};
  }
  const out = {};
  at().forEach((t, i) => { out[names[i]] = t - t0; });
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  out.all = performance.now() - t0;
  return out;
}"""


def bench_dashboard(scenario: Scenario, repeat: int = 10, paths: int = 2000) -> list[str]:
    """Change the planned-growth (or cash) input ``repeat`` times with the Decision tab's
    charts, then with the Time series tab's, drawn into a Bokeh document (so every change
    updates real figures); return report lines."""
    from bokeh.document import Document

    from .app import Dashboard
    from .explorer import Explorer

    dash = Dashboard(Explorer(scenario, paths=paths))
    x = dash.x
    x.run_analysis(background=False)  # the tables (from the disk cache when warm)
    name = "planned_growth" if x.policy_kind in ("planned_growth", "adaptive") else "initial_cash"
    start = float(getattr(x, name))
    doc = Document()
    lines = [f"scenario {scenario.name!r}: {x.paths:,} paths x {scenario.months} months; "
             f"{repeat} changes of {name!r} per tab"]  # fmt: skip
    for tab, label in enumerate(("Decision", "Time series")):
        dash.tabs.active = tab  # the Time series tab builds its charts when first opened
        for chart in dash.charts.values() if tab == 0 else dash.ts.values():
            if chart.fig is None and chart.pane.object is not None:
                doc.add_root(chart.pane.get_root(doc))
        wall, cpu, sim = [], [], []
        for i in range(1, repeat + 1):
            t0, c0 = time.perf_counter(), time.thread_time()
            setattr(x, name, start * (1.0 + 0.01 * (i + tab * repeat)))  # new: no cache hits
            wall.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
            sim.append(x.run_seconds)
        lines.append(f"{label} tab, server-side update after a widget change [s]: median "
                     f"{statistics.median(wall):.3f} (max {max(wall):.3f}); CPU of this thread "
                     f"{statistics.median(cpu):.3f}; of which simulation and key numbers "
                     f"{statistics.median(sim):.3f}")  # fmt: skip
    return [*lines, f"P(bankrupt) at the last setting: {x.numbers['p_bankrupt']:.1%}"]


def browser_available() -> bool:
    """Whether Chromium and Playwright are installed."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists()


def free_port() -> int:
    """``COMPUTE_SIM_TEST_PORT`` (the port of benchmarks and browser tests) when set, else a
    free port on 127.0.0.1."""
    if os.environ.get("COMPUTE_SIM_TEST_PORT"):
        return int(os.environ["COMPUTE_SIM_TEST_PORT"])
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
    t0, ms = time.perf_counter(), timeout_s * 1000
    page.goto(url)
    page.locator('[data-testid="decision"]').wait_for(timeout=ms)
    page.locator(".kpi-bankrupt div", has_text="%").first.wait_for(timeout=ms)
    first = time.perf_counter() - t0
    for name in ("heatmap", "frontier"):
        ready = page.locator(f'[data-testid="{name}-state"][data-state="ready"]')
        ready.wait_for(state="attached", timeout=ms)
    page.locator('[data-testid="decision"][data-state="ready"]').wait_for(timeout=ms)
    return {"first_paint_s": first, "filled_s": time.perf_counter() - t0}


def stamp_latency(page: Any, name: str, changes: int, charts: tuple[str, ...],
                  give_up_s: float = 20.0) -> dict[str, list[float]]:  # fmt: skip
    """Seconds from a key press on slider ``name`` until each of ``charts`` (and "kpis",
    the key numbers) has its new data, and ("all") until all have and the browser has
    painted twice more; ``changes`` alternating right/left steps. A change not redrawn
    after ``give_up_s`` raises AssertionError."""
    handle = page.locator(f".w-{name} .noUi-handle")
    handle.focus()
    out: dict[str, list[float]] = {}
    for i in range(changes):
        t0 = page.evaluate("performance.now()")
        handle.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        ms = page.evaluate(WAIT_REDRAW_JS, [t0, ["kpis", *charts], give_up_s * 1000])
        if "missing" in ms:
            raise AssertionError(
                f"charts {ms['missing']} did not redraw within {give_up_s:g} s of key press "
                f"{i + 1} of {changes} on {name}; the page then said: {page_state(page)}"
            )
        for key, value in ms.items():
            out.setdefault(key, []).append(value / 1000.0)
        page.wait_for_timeout(300)
    return out


def page_state(page: Any) -> str:
    """The decision tab's machine-readable chart states and its status line (for errors)."""
    states = page.eval_on_selector_all(
        '[data-testid$="-state"]',
        "els => els.map(e => `${e.dataset.testid}=${e.dataset.state}`).join(', ')")  # fmt: skip
    status = page.locator(".sweep-status").first.inner_text(timeout=5000).strip()
    return f"{states or 'no chart states'}; status {status!r}"


def p95(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def bench_browser(scenario: Scenario | None = None, repeat: int = 10) -> list[str]:
    """Serve the dashboard, open it in Chromium and measure; report lines."""
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
                page.wait_for_timeout(1500)
                decision = stamp_latency(page, "planned_growth", repeat, VISIBLE)
                page.locator(".bk-tab", has_text="Time series").click()
                for name in SERIES:  # drawn once their tab opens
                    page.locator(f".chart-{name} canvas").first.wait_for(state="attached")
                page.wait_for_timeout(1000)
                series = stamp_latency(page, "planned_growth", repeat, SERIES)
            finally:
                browser.close()
    finally:
        pn.state.kill_all_servers()

    def medians(times: dict[str, list[float]]) -> str:
        return ", ".join(f"{k} {statistics.median(v):.3f}" for k, v in times.items())

    return [
        f"browser (Chromium {VIEWPORT['width']}x{VIEWPORT['height']}): first useful paint "
        f"{paint['first_paint_s']:.2f} s; heatmap, frontier and decision filled "
        f"{paint['filled_s']:.2f} s after navigation",
        f"after a planned-growth key press, median of {repeat} [s] (kpis = key numbers; "
        f"all = every chart of the tab painted): Decision tab: {medians(decision)}",
        f"  Time series tab: {medians(series)}",
        f"browser redraw of every visible chart after a widget change [s]: median "
        f"{statistics.median(decision['all']):.3f}, p95 {p95(decision['all']):.3f} "
        f"({repeat} changes)",
    ]
