"""Fixtures for browser tests: the dashboard served in-process, Debian Chromium, artefacts.

The server runs in a thread on a free 127.0.0.1 port; it is stopped, and its thread
joined, after the last browser test (else the unit tests after would share Bokeh's
``curdoc()`` with its sessions, and pytest would never exit). Playwright drives the
system Chromium; a browser download (``playwright install``) is never attempted.
"""

from __future__ import annotations

import os
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard.bench import CHROMIUM, CHROMIUM_ARGS, VIEWPORT

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"

DECISION_PAINT_JS = """() => new Promise((done) => {
  new PerformanceObserver((list) => {
    const e = list.getEntries().find((e) => e.identifier === 'decision');
    if (e) done({render: e.renderTime || e.loadTime, paint: e.paintTime ?? e.renderTime});
  }).observe({type: 'element', buffered: true});
  setTimeout(() => done(null), 5000);
})"""


@pytest.fixture(scope="session")
def decision_paint_js() -> str:
    """A page function: Element Timing of the static decision's verdict
    (``elementtiming="decision"``), when its pixels were produced (``render``) and its
    frame's paint step (``paint``) [ms after navigation]; null if it was never painted."""
    return DECISION_PAINT_JS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):  # CI must exercise the dashboard, never skip it silently
            raise pytest.UsageError(
                f"{CHROMIUM} not installed: run scripts/setup-tests.sh (README's test command)"
            )
        skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed; scripts/setup-tests.sh")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Use Debian's Chromium (pytest-playwright's own download is not available here)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": VIEWPORT, "accept_downloads": True}


@pytest.fixture(scope="package")
def dashboard_url() -> Iterator[str]:
    """URL of the dashboard (base scenario, picker over scenarios/*.yaml).

    Stopped, and its thread joined, after the last browser test (package scope: this
    directory is a package, else pytest keeps the fixture to the end of the session): its
    thread runs session callbacks (deferred page builds, progress polls) and Bokeh's
    ``curdoc()`` is process-wide, so while a callback runs, an app built by a unit test in
    the main thread can take that session's document for its own and defer its chart
    updates (CI runs failed test_dashboard_actuals this way, after the browser tests)."""

    from dashboard.bench import free_port
    from dashboard.server import serve
    from dashboard.session import stop_servers

    port = free_port()  # COMPUTE_SIM_TEST_PORT, else any free one
    serve(None, port=port, show=False, threaded=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline:
                stop_servers()
                raise
            time.sleep(0.2)
    yield url
    stop_servers()  # no server thread, nor its sessions' documents, for the unit tests after


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Directory for screenshots and downloads (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
