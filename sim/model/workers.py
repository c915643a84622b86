"""Threads for the compiled kernels: how many, and one block's paths split across them.

The kernels are compiled once each, for the calling thread (``nogil``), and Python threads
run disjoint ranges of paths at the same time. This replaces numba's ``parallel=True``
twins: one compile per kernel after an install instead of two, and no numba thread pool to
start in every process. Each path is written by exactly one call, so results do not depend
on how the paths are split (tested bit for bit).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

import numpy as np

T = TypeVar("T")

CHUNK_PATHS = 256
"""Fewest paths one thread takes from a block [paths]: below it, threads cost more than
they save."""
CHUNKS_PER_THREAD = 4
"""Pieces per thread: paths differ in cost (a bankrupt path stops early), and smaller pieces
taken in turn keep both cores busy to the end."""

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_pid = 0
_lock = threading.Lock()
_inside = threading.local()


def threads() -> int:
    """Threads a run uses: ``NUMBA_NUM_THREADS`` (default: every CPU), or what
    ``numba.set_num_threads`` set for the calling thread if anything called it.

    Numba's own thread pool is not started for this (that took ~0.2 s per process). Inside
    :func:`one_thread` (a thread of a pool that already fills the cores): 1."""
    if getattr(_inside, "active", False):
        return 1
    import numba
    from numba.np.ufunc import parallel as numba_parallel

    if getattr(numba_parallel, "_is_initialized", True):  # set_num_threads was called
        return max(1, int(numba.get_num_threads()))
    return max(1, int(numba.config.NUMBA_NUM_THREADS))


def _executor(size: int) -> ThreadPoolExecutor:
    """A process-wide pool of ``size`` threads (made again after a fork or a new size)."""
    global _pool, _pool_size, _pool_pid
    with _lock:
        if _pool is None or _pool_size != size or _pool_pid != os.getpid():
            if _pool is not None and _pool_pid == os.getpid():
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(size, thread_name_prefix="sim-paths",
                                       initializer=_mark_inside)  # fmt: skip
            _pool_size, _pool_pid = size, os.getpid()
        return _pool


def _mark_inside() -> None:
    _inside.active = True


def one_thread(call: Callable[[], T]) -> T:
    """``call()`` with every run inside it on the calling thread only (:func:`threads` is
    1): for pools that run several small runs at once, one per core."""
    before = getattr(_inside, "active", False)
    _inside.active = True
    try:
        return call()
    finally:
        _inside.active = before


def over_paths(call: Callable[[int, int], None], n: int, parallel: bool = True) -> None:
    """``call(first, last)`` over the paths ``[0, n)``: on the calling thread, or with
    ``parallel`` in contiguous pieces on :func:`threads` threads (the kernels release the
    GIL). Returns when every piece is done; the first error raised by a piece is raised."""
    workers = threads() if parallel else 1
    if workers <= 1 or n < 2 * CHUNK_PATHS:
        call(0, n)
        return
    pieces = max(2, min(CHUNKS_PER_THREAD * workers, n // CHUNK_PATHS))
    bounds = [n * k // pieces for k in range(pieces + 1)]
    futures = [_executor(workers).submit(call, bounds[k], bounds[k + 1]) for k in range(pieces)]
    wait(futures)  # every piece has stopped writing before an error propagates
    for f in futures:
        f.result()


def read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a``, e.g. of a kernel's input array. numba compiles a separate
    variant of a kernel for a read-only argument, and inputs shared between runs (inside
    :func:`sim.model.sampling.shared_draws`: sweeps, the reports' plan search) are
    read-only; passing every input read-only keeps one variant (a second month loop took
    ~13 s to compile in the first report after an install, past the warm-up)."""
    view = a.view()
    view.flags.writeable = False
    return view
