"""Shared fixtures: scenarios are loaded once; path counts stay small to keep tests fast."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

from sim import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
# The dashboard's cross-session disk cache goes to a scratch directory during the tests,
# never to the user's ~/.cache (tests of the default location unset this).
if "COMPUTE_SIM_CACHE_DIR" not in os.environ:
    _CACHE = tempfile.mkdtemp(prefix="compute-sim-test-cache-")
    os.environ["COMPUTE_SIM_CACHE_DIR"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)  # leave nothing in /tmp


@pytest.fixture(autouse=True)
def _no_dashboard_server_left_running(request: pytest.FixtureRequest) -> None:
    """A test outside the browser package starts with no dashboard server thread alive:
    while one runs a session callback, Bokeh's process-wide ``curdoc()`` is that session's
    document, and charts a test builds meanwhile defer their updates to that session's
    event loop, where they never run (a flaky failure, seen in CI). Servers stop with
    ``dashboard.session.stop_servers``."""
    if "browser" in request.keywords:
        return
    alive = [t.name for t in threading.enumerate() if type(t).__name__ == "StoppableThread"]
    assert not alive, f"dashboard server threads still running: {alive}"


@pytest.fixture(scope="session")
def base() -> Scenario:
    return load_scenario(SCENARIOS / "base.yaml")


@pytest.fixture(scope="session")
def classic() -> Scenario:
    """The first-wave base, pinned for hand cases (tests/data/classic.yaml)."""
    return load_scenario(Path(__file__).parent / "data" / "classic.yaml")


@pytest.fixture(scope="session")
def steady() -> Scenario:
    return load_scenario(SCENARIOS / "steady_state_100b.yaml")
