"""Where the dashboard's work runs, and how much a session may ask for.

Interactive runs go to :data:`INTERACTIVE`, background tables to :data:`BACKGROUND` (one
thread, so :func:`sim.model.sampling.shared_draws` is never entered twice at once); the
JIT kernels release the GIL, so the event loop keeps serving pages. Cost is counted in
path-months (paths x months, run-off included)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sim.model.scenario import Scenario
from sim.model.timeline import total_months

from .cache import env_number

INTERACTIVE = ThreadPoolExecutor(2, thread_name_prefix="dash-run")  # a heavy run leaves one
BACKGROUND = ThreadPoolExecutor(1, thread_name_prefix="dash-tables")  # every session's tables
MAX_PATH_MONTHS = 40_000_000  # default cap of one run [path-months]: 50,000 paths x 50 years
HEAVY_PATH_MONTHS = 3_000_000  # runs above this use one numba thread [path-months]
TABLE_BUDGET = 24_000_000  # most work of one background table [path-months]
SWEEP_PATHS_MAX = 4000  # most paths per cell of a background table
MIN_TABLE_PATHS = 200  # fewest paths per cell of a background table
YIELD_MAX_S = 5.0  # longest a background table waits for interactive runs [s]
STOPPING = threading.Event()  # set when the server stops: running tables end at their next cell
_active = [0]  # interactive jobs queued or running
_active_lock = threading.Lock()


def drop_queued() -> None:
    """Cancel the jobs not started yet in both pools (the server is stopping): else the
    interpreter's exit waits for every queued run and table of every session."""
    STOPPING.set()
    for pool in (INTERACTIVE, BACKGROUND):
        pool.shutdown(wait=False, cancel_futures=True)


class StaleJobError(Exception):
    """Raised inside a background job whose settings the user has already left."""


def path_months(scenario: Scenario, paths: int) -> int:
    """Work of one run [path-months]."""
    return int(paths) * total_months(scenario)


def cost_error(scenario: Scenario, paths: int) -> str:
    """A message when a run of ``paths`` paths is above the cap, else ''."""
    cap = env_number("COMPUTE_SIM_DASHBOARD_MAX_PATH_MONTHS", MAX_PATH_MONTHS)  # per run
    cost = path_months(scenario, paths)
    if cost <= cap:
        return ""
    return (f"**This setting is too heavy for the dashboard:** {paths:,} paths x "
            f"{total_months(scenario):,} months = {cost / 1e6:,.0f}M path-months, above the "
            f"{cap / 1e6:,.0f}M cap per run. Lower the paths or the horizon, or run it with "
            "`python -m sim run`. The charts still show the last run.")  # fmt: skip


def table_paths(scenario: Scenario, paths: int, cells: int) -> int:
    """Paths per cell of a table of ``cells`` runs, within its limits and work budget."""
    fit = TABLE_BUDGET // max(1, cells * total_months(scenario))
    return int(max(MIN_TABLE_PATHS, min(int(paths), SWEEP_PATHS_MAX, fit)))


def set_threads(heavy: bool) -> None:
    """One numba thread for heavy work in this thread (the other core stays free), else all."""
    import numba

    numba.set_num_threads(1 if heavy else numba.config.NUMBA_NUM_THREADS)


def yield_to_interactive() -> None:
    """Called by background tables between cells: wait (at most :data:`YIELD_MAX_S`) while
    an interactive run is queued or running; :class:`StaleJobError` once the server stops."""
    if STOPPING.is_set():
        raise StaleJobError
    deadline = time.monotonic() + YIELD_MAX_S
    while _active[0] > 0 and time.monotonic() < deadline:
        time.sleep(0.005)


def submit(fn: Callable[[], Any], done: Callable[[Any], None]) -> Future[Any]:
    """Run ``fn`` on :data:`INTERACTIVE`; call ``done(result or exception)`` in that thread."""
    with _active_lock:
        _active[0] += 1

    def task() -> None:
        try:
            out = fn()
        except BaseException as exc:  # handed to the UI, never raised in the pool
            out = exc
        finally:
            with _active_lock:
                _active[0] -= 1
        done(out)

    return INTERACTIVE.submit(task)
