"""Where the dashboard's work runs, and how much a session may ask for.

Browser events arrive on the server's event loop; nothing heavy runs there. Interactive
runs go to :data:`INTERACTIVE` (two threads shared by every session: a heavy run in one
session leaves the other thread to everybody else), sweeps, frontier, optimizer and tornado
to :data:`BACKGROUND` (one thread: background tables of all sessions queue, and the
shared-draw cache of :func:`sim.model.sampling.shared_draws` is never entered twice at once).
The JIT kernels release the GIL, so the event loop keeps serving pages meanwhile. Heavy runs
and every background table use one numba thread, so they never take both cores.

Cost is counted in path-months (paths x months simulated, run-off included): a run above
:func:`max_path_months` is refused with a message; background tables lower their path
count to fit :data:`TABLE_BUDGET` and say so.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sim.model.scenario import Scenario
from sim.model.timeline import total_months

INTERACTIVE = ThreadPoolExecutor(2, thread_name_prefix="dash-run")
"""Interactive runs of every session."""
BACKGROUND = ThreadPoolExecutor(1, thread_name_prefix="dash-tables")
"""Background tables (sweeps, frontier, optimizer, tornado) of every session, in order."""
MAX_PATH_MONTHS = 40_000_000
"""Default cap of one interactive run [path-months]: 50,000 paths x 50 years fit."""
HEAVY_PATH_MONTHS = 3_000_000
"""Runs above this [path-months] use one numba thread (the other core stays free)."""
TABLE_BUDGET = 24_000_000
"""Most work of one background table [path-months]; paths are lowered to fit."""
SWEEP_PATHS_MAX = 4000
"""Most paths per cell of the background tables."""
MIN_TABLE_PATHS = 200
"""Fewest paths per cell of a background table."""


STOPPING = threading.Event()
"""Set when the server stops: background tables end instead of finishing."""


def drop_queued() -> None:
    """Cancel the jobs not started yet, in both pools (the server is stopping). Without it
    the interpreter's exit waits for every queued run and table of every session: a
    dashboard that had just served ten pages took over 30 s to stop on SIGTERM."""
    STOPPING.set()  # and a running table ends at its next cell (yield_to_interactive)
    for pool in (INTERACTIVE, BACKGROUND):
        pool.shutdown(wait=False, cancel_futures=True)


class StaleJobError(Exception):
    """Raised inside a background job whose settings the user has already left."""


def max_path_months() -> int:
    """Per-run cost cap [path-months]; ``COMPUTE_SIM_DASHBOARD_MAX_PATH_MONTHS`` sets it."""
    raw = os.environ.get("COMPUTE_SIM_DASHBOARD_MAX_PATH_MONTHS")
    try:
        return int(float(raw)) if raw else MAX_PATH_MONTHS
    except ValueError:
        return MAX_PATH_MONTHS


def path_months(scenario: Scenario, paths: int) -> int:
    """Work of one run: paths x (horizon + run-off) months."""
    return int(paths) * total_months(scenario)


def cost_error(scenario: Scenario, paths: int) -> str:
    """A message when a run of ``paths`` paths is above the cap, else ''."""
    cost, cap = path_months(scenario, paths), max_path_months()
    if cost <= cap:
        return ""
    return (
        f"**This setting is too heavy for the dashboard:** {paths:,} paths x "
        f"{total_months(scenario):,} months = {cost / 1e6:,.0f}M path-months, above the "
        f"{cap / 1e6:,.0f}M cap per run. Lower the paths or the horizon, or run it with "
        "`python -m sim run`. The charts still show the last run."
    )


def table_paths(scenario: Scenario, paths: int, cells: int) -> int:
    """Paths per cell of a background table of ``cells`` runs: the interactive count, at
    most :data:`SWEEP_PATHS_MAX`, lowered so the table stays within :data:`TABLE_BUDGET`."""
    months = total_months(scenario)
    fit = TABLE_BUDGET // max(1, cells * months)
    return int(max(MIN_TABLE_PATHS, min(int(paths), SWEEP_PATHS_MAX, fit)))


def set_threads(heavy: bool) -> None:
    """One numba thread for heavy work in this thread, all of them otherwise."""
    import numba

    numba.set_num_threads(1 if heavy else numba.config.NUMBA_NUM_THREADS)


_active = [0]
_active_lock = threading.Lock()
YIELD_MAX_S = 5.0
"""Longest a background table waits for interactive runs before going on [s]."""


def yield_to_interactive() -> None:
    """Called by background tables between cells: wait while any session's interactive
    run is queued or running (at most :data:`YIELD_MAX_S`), so a widget change never
    competes with sweeps for the cores. Raises :class:`StaleJobError` once the server is
    stopping (the interpreter's exit would otherwise wait for the whole table)."""
    if STOPPING.is_set():
        raise StaleJobError
    deadline = time.monotonic() + YIELD_MAX_S
    while _active[0] > 0 and time.monotonic() < deadline:
        time.sleep(0.005)


def submit(
    pool: ThreadPoolExecutor, fn: Callable[[], Any], done: Callable[[Any], None]
) -> Future[Any]:
    """Run ``fn`` on ``pool``; call ``done(result or exception)`` in that thread."""
    counted = pool is INTERACTIVE
    if counted:
        with _active_lock:
            _active[0] += 1

    def task() -> None:
        try:
            out = fn()
        except BaseException as exc:  # handed to the UI, never raised in the pool
            out = exc
        finally:
            if counted:
                with _active_lock:
                    _active[0] -= 1
        done(out)

    return pool.submit(task)
