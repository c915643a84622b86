"""Several people at once (issue 26 item 7), a benchmark (``pytest -m benchmark``).

``python -m sim dashboard`` in its own process on 127.0.0.1, the disk cache warmed by one
first load, then CLIENTS first loads at once, each in its own Chromium context: seconds
until each page shows the decision (ready, not pending), and until its inputs and filled
heatmap are there (built after the decisions, once the pages have loaded). Bounded:
CLIENTS pages, one server, TIMEOUT_S per page. Target: p95 under 3 s. Figures go to
test-artifacts/dashboard_figures.txt.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from dashboard.bench import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, free_port, p95, wait_http

pytestmark = [pytest.mark.browser, pytest.mark.benchmark]
REPO = Path(__file__).resolve().parents[2]
CLIENTS = 10
TIMEOUT_S = 180.0


def first_loads(url: str, clients: int) -> tuple[list[float], list[float]]:
    """Seconds from navigation until the decision is ready, and until the whole page is
    (the inputs and the filled heatmap), for ``clients`` pages at once (each sorted)."""
    from playwright.async_api import async_playwright

    async def one(browser: Any) -> tuple[float, float]:
        ctx = await browser.new_context(viewport=VIEWPORT)
        page = await ctx.new_page()
        t0 = time.perf_counter()
        await page.goto(url, timeout=TIMEOUT_S * 1000)
        ready = page.locator('[data-testid="decision"][data-state="ready"]')
        await ready.wait_for(timeout=TIMEOUT_S * 1000)
        decision = time.perf_counter() - t0
        await page.locator(".w-planned_growth").wait_for(timeout=TIMEOUT_S * 1000)
        await page.locator('[data-testid="heatmap-state"][data-state="ready"]').wait_for(
            state="attached", timeout=TIMEOUT_S * 1000
        )
        whole = time.perf_counter() - t0
        await ctx.close()
        return decision, whole

    async def main() -> list[tuple[float, float]]:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                return list(await asyncio.gather(*(one(browser) for _ in range(clients))))
            finally:
                await browser.close()

    out = asyncio.run(main())
    return sorted(d for d, _ in out), sorted(w for _, w in out)


def test_ten_simultaneous_first_loads_reach_the_decision(artifacts: Path, tmp_path):
    port = free_port()
    env = {**os.environ, "COMPUTE_SIM_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "sim", "dashboard", "--no-show", "--port", str(port)]
    server = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_http(url, timeout=180)
        warm = first_loads(url, 1)[0][0]  # computes the tables once: the disk cache is warm
        times, whole = first_loads(url, CLIENTS)
    finally:
        server.terminate()
        server.wait(timeout=30)
    line = (f"{CLIENTS} simultaneous first loads in one Chromium, warm disk cache "
            f"(first load {warm:.1f} s): decision ready after p50 {statistics.median(times):.2f} s, "
            f"p95 {p95(times):.2f} s, max {times[-1]:.2f} s; whole page (inputs, heatmap) "
            f"p50 {statistics.median(whole):.2f} s, p95 {p95(whole):.2f} s")  # fmt: skip
    with (artifacts / "dashboard_figures.txt").open("a") as f:
        f.write(line + "\n")
    print(line)
    assert len(times) == len(whole) == CLIENTS  # every page got there (the target is reported)
