"""Several people at once (issue 26 item 7), a benchmark (``pytest -m benchmark``).

``python -m sim dashboard`` in its own process on 127.0.0.1, the disk cache warmed by one
first load that waits for every table of the Decision tab (none is still computing in the
background), then CLIENTS first loads at once, each in its own Chromium context. Per page,
seconds from navigation until: the decision is painted (the browser's Element Timing of the
page's static copy, ``decision-static``: when its pixels were produced, which is what people
see), the decision is seen by Playwright (``decision-static`` or the live pane laid out, as
polled from the page: layout can precede the style sheets, and the poll waits while the
page runs its scripts), the decision is interactive (the live pane, ``decision``, ready),
and the whole page is there (inputs and filled heatmap, built after the decisions); and the
browser's first contentful paint. Then CLIENTS plain ``GET /`` at once (server side only).
Bounded: CLIENTS pages, one server, TIMEOUT_S per page. Target: decision painted, p95
under 3 s. Figures go to test-artifacts/dashboard_figures.txt.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from dashboard.bench import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, free_port, p95, wait_http

pytestmark = [pytest.mark.browser, pytest.mark.benchmark]
REPO = Path(__file__).resolve().parents[2]
CLIENTS = 10
TIMEOUT_S = 180.0
STATIC = '[data-testid="decision-static"][data-state="ready"]'
LIVE = '[data-testid="decision"][data-state="ready"]'
FCP_JS = "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN"


Load = tuple[float, float, float, float, float, bool]


def first_loads(url: str, clients: int, paint_js: str, tables: bool = False) -> list[Load]:
    """(painted, seen, interactive, whole page, first paint) seconds after navigation and
    whether the static copy was seen, for ``clients`` pages opened at once (``paint_js``: the
    ``decision_paint_js`` fixture); with ``tables``, each page also waits until every table
    of the Decision tab is computed."""
    from playwright.async_api import async_playwright

    ms = TIMEOUT_S * 1000

    async def one(browser: Any) -> Load:
        ctx = await browser.new_context(viewport=VIEWPORT)
        page = await ctx.new_page()
        t0 = time.perf_counter()
        await page.goto(url, timeout=ms, wait_until="commit")
        await page.locator(f"{STATIC}, {LIVE}").first.wait_for(timeout=ms)
        visible = time.perf_counter() - t0
        static = await page.locator(STATIC).count() > 0
        await page.locator(LIVE).wait_for(timeout=ms)
        interactive = time.perf_counter() - t0
        await page.locator(".w-planned_growth").wait_for(timeout=ms)
        for chart in ("heatmap", "frontier", "tornado") if tables else ("heatmap",):
            await page.locator(f'[data-testid="{chart}-state"][data-state="ready"]').wait_for(
                state="attached", timeout=ms
            )
        whole = time.perf_counter() - t0
        timing = await page.evaluate(paint_js)
        painted = timing["render"] / 1000 if timing else float("nan")
        paint = await page.evaluate(FCP_JS) / 1000
        await ctx.close()
        return painted, visible, interactive, whole, paint, static

    async def main() -> list[Load]:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                return list(await asyncio.gather(*(one(browser) for _ in range(clients))))
            finally:
                await browser.close()

    return asyncio.run(main())


def page_requests(url: str, clients: int) -> list[float]:
    """Seconds to serve ``clients`` plain ``GET /`` sent at once (the kept page of
    :mod:`dashboard.pages`, with a new token each: no session is built for them)."""

    def get(_: int) -> float:
        t0 = time.perf_counter()
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:
            resp.read()
        return time.perf_counter() - t0

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(get, range(clients)))


def _fig(name: str, values: list[float]) -> str:
    return f"{name} p50 {statistics.median(values):.2f} s, p95 {p95(values):.2f} s"


@pytest.mark.parametrize("procs", [1])
def test_ten_simultaneous_first_loads_reach_the_decision(
    artifacts: Path, tmp_path, procs, decision_paint_js
):
    port = free_port()
    env = {**os.environ, "COMPUTE_SIM_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "sim", "dashboard", "--no-show", "--port", str(port)]
    server = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_http(url, timeout=180)
        # computes every table once: the disk cache is warm and no table is still being
        # computed in the background while the ten pages load
        warm = first_loads(url, 1, decision_paint_js, tables=True)[0][2]
        loads = first_loads(url, CLIENTS, decision_paint_js)
        gets = page_requests(url, CLIENTS)  # last: its sessions never load a page
    finally:
        server.terminate()
        server.wait(timeout=30)
    painted, visible, interactive, whole, paint, static = (
        list(c) for c in zip(*loads, strict=True)
    )
    line = (f"{CLIENTS} simultaneous first loads in one Chromium, warm disk cache (first load "
            f"{warm:.1f} s): {_fig('decision painted', painted)}; "
            f"{_fig('decision seen by Playwright', visible)} ({sum(static)} of {CLIENTS} "
            f"from the static HTML); {_fig('decision interactive', interactive)}; "
            f"{_fig('whole page (inputs, heatmap)', whole)}; {_fig('first paint', paint)}; "
            f"server alone, {CLIENTS} concurrent GET /: {_fig('', gets).strip()}")  # fmt: skip
    with (artifacts / "dashboard_figures.txt").open("a") as f:
        f.write(line + "\n")
    print(line)
    assert len(visible) == len(interactive) == len(whole) == CLIENTS  # every page got there
    assert all(p == p for p in painted), "a page never painted the static decision"  # not NaN
