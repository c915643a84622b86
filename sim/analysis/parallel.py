"""Parallel helpers: a local process pool for sweeps (``--workers``), dask.distributed for
clusters (``--scheduler``), and a ``map_blocks`` hook for one big run on dask.

Results never depend on how work is distributed: sweep cells and engine blocks draw
their randomness from the seed alone (see :mod:`sim.model.rng`).

Worker memory settings. dask's nanny gives every worker ``MALLOC_TRIM_THRESHOLD_=65536``
by default (``distributed.nanny.pre-spawn-environ``): glibc then hands freed memory back to
the OS at once, and numpy's multi-megabyte temporaries page-fault on every allocation.
:func:`configure_dask` replaces it with :data:`WORKER_MALLOC_ENV` (keep freed memory, serve
arrays up to 256 MB from the heap). Measured with 2 concurrent workers on 2 vCPUs, one
2,000-path cell: 0.17-0.19 s and ~9,900 page faults with glibc's defaults, 0.037 s and
~30 page faults with these settings (serial main process: 0.049 s). Workers of an external
scheduler (``--scheduler``) keep whatever environment they were started with.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

TRIM_VAR = "MALLOC_TRIM_THRESHOLD_"
DASK_DEFAULT_TRIM = 65536
"""Value distributed's default config gives ``MALLOC_TRIM_THRESHOLD_`` [bytes]."""
WORKER_MALLOC_ENV = {"MALLOC_TRIM_THRESHOLD_": str(1 << 30), "MALLOC_MMAP_THRESHOLD_": str(1 << 28)}
"""glibc settings of locally started workers: trim above 1 GiB, mmap above 256 MiB."""


def configure_dask() -> None:
    """Make locally started dask workers use :data:`WORKER_MALLOC_ENV`, not dask's trim.

    A nanny also copies its pre-spawn settings into ``os.environ`` of the process that
    starts it (and never removes them), and values in ``os.environ`` override the config;
    so a trim threshold left there by a nanny started with dask's defaults is removed.
    """
    import dask

    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    dask_value = env.pop(TRIM_VAR, None)
    env.update(WORKER_MALLOC_ENV)
    dask.config.set({"distributed.nanny.pre-spawn-environ": env})
    if os.environ.get(TRIM_VAR) in {str(dask_value), str(DASK_DEFAULT_TRIM)}:
        del os.environ[TRIM_VAR]


@contextmanager
def local_client(workers: int = 2, *, processes: bool = True) -> Iterator[Any]:
    """A ``LocalCluster`` of ``workers`` single-threaded workers and its client; closed on exit."""
    from distributed import Client, LocalCluster

    configure_dask()
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=processes,
        dashboard_address=":0",  # random free port: never clashes with a running dashboard
        silence_logs=50,
    )
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def _init_worker() -> None:
    """Each worker process runs its cells on one thread: the pool supplies the parallelism."""
    import numba

    numba.set_num_threads(1)


class LocalPool:
    """``--workers N``: a pool of N worker processes (spawned, one numba thread each).

    Sweep cells go to the workers in contiguous chunks, and the cells of a chunk share their
    random draws (:func:`sim.model.sampling.shared_draws`); results are identical to a
    serial run. Starting a worker costs about a second (imports, loading the compiled
    kernels), so small sweeps are faster serial; ``python -m sim bench-sweep`` measures it.
    """

    def __init__(self, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        self.executor = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker
        )

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


SCHEDULER_TIMEOUT_S = 10.0
"""How long to try to reach a dask scheduler before giving up [s]."""


def connect(address: str, timeout: float = SCHEDULER_TIMEOUT_S) -> Any:
    """A dask client for ``address``; an unreachable or malformed address is a
    :class:`sim.errors.BadInputError` (exit 2) within ``timeout`` seconds."""
    import socket
    from urllib.parse import urlsplit

    from sim.errors import BadInputError

    text = address if "://" in address else f"tcp://{address}"
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme in ("tcp", "tls") and (not parts.hostname or port is None):
        raise BadInputError(f"--scheduler {address!r}: expected tcp://HOST:PORT")
    if parts.scheme in ("tcp", "tls"):  # fail fast on a refused or unroutable address
        try:
            socket.create_connection((parts.hostname, port), timeout=timeout).close()
        except OSError as exc:
            raise BadInputError(
                f"--scheduler {address}: cannot reach a dask scheduler there "
                f"({exc.strerror or exc}); is it running?"
            ) from None
    from distributed import Client

    configure_dask()
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise BadInputError(
            f"--scheduler {address}: no dask scheduler answered within {timeout:g} s ({exc})"
        ) from None


@contextmanager
def client_for(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """Client for ``--scheduler ADDRESS`` (dask), a :class:`LocalPool` for ``--workers N``,
    else None (serial)."""
    if scheduler:
        client = connect(scheduler)
        try:
            yield client
        finally:
            client.close()
    elif workers and workers > 1:
        pool = LocalPool(workers)
        try:
            yield pool
        finally:
            pool.close()
    else:
        yield None


def dask_map_blocks(client: Any) -> Callable[[Callable[..., Any], list[tuple]], Iterable[Any]]:
    """``map_blocks`` hook for :func:`sim.model.engine.run` that runs engine blocks on ``client``.

    Blocks come back in completion order; the engine sorts them, so results are identical
    to the serial run.
    """

    def mapper(func: Callable[..., Any], args: list[tuple]) -> Iterator[Any]:
        from distributed import as_completed

        futures = [client.submit(func, *a, pure=False) for a in args]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            client.cancel(futures)

    return mapper


def run_chunk(fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """``[fn(x) for x in items]`` with the items' random draws shared (picklable task)."""
    from sim.model.sampling import shared_draws

    with shared_draws():
        return [fn(x) for x in items]


EXTRA_SMALL_TASKS = 1
"""Small tasks in flight beyond :func:`sim.model.workers.threads` (when it is above 1).

Each task's Python part (validation, sampling, packing, metrics) holds the GIL; with one
task per core, a core sits idle while its task waits for the GIL held by the other's.
One more task in flight keeps a kernel ready for that core (each costs its working set,
~10-50 MB). Results are the same whatever the number (each task depends on its item only)."""


def small_tasks_in_flight() -> int:
    """How many small tasks :func:`map_tasks` runs at once in this process (each holding
    its working set): :func:`sim.model.workers.threads`, plus :data:`EXTRA_SMALL_TASKS`
    when that is above 1."""
    from sim.model.workers import threads

    cores = threads()
    return cores + EXTRA_SMALL_TASKS if cores > 1 else cores


def map_tasks(
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    client: Any = None,
    progress: Callable[[int, int], None] | None = None,
    chunks_per_worker: int = 2,
    small: bool = False,
    total: int | None = None,
) -> list[Any]:
    """``fn(item)`` for every item, in item order: in this process (draws shared between
    items), on a :class:`LocalPool` (about ``chunks_per_worker`` contiguous chunks per
    process, draws shared within a chunk) or as dask tasks.

    ``small`` items (runs of one block, whose own threads would wait on Python work between
    kernels) run in this process several at a time, one per thread, each on one thread: the
    Python parts of one overlap the kernels of another. With :func:`threads` above 1,
    :data:`EXTRA_SMALL_TASKS` more run than there are threads, so a core whose task is
    waiting for the GIL has another task's kernel to run.

    ``items`` may be a generator (with ``total`` its length) for ``small`` items in this
    process: each is handed to a thread as soon as it is made, so making the rest (e.g.
    validating sweep cells) overlaps the first kernels; if making one raises, the items
    not yet started are cancelled and the error propagates. Otherwise it is read whole first.

    ``fn`` must be a module-level function for the pool and dask. Results are identical
    whichever way they run (randomness comes from each scenario's seed).
    """
    if total is None or not (client is None and small):
        items = list(items)
        total = len(items)
    if client is None:
        out = []
        from sim.model.sampling import shared_draws
        from sim.model.workers import one_thread

        width = small_tasks_in_flight() if small and total > 1 else 1
        with shared_draws():
            if width <= 1:
                for i, item in enumerate(items):
                    out.append(fn(item))
                    if progress is not None:
                        progress(i + 1, total)
                return out
            from concurrent.futures import ThreadPoolExecutor

            ex = ThreadPoolExecutor(width, thread_name_prefix="sim-task")
            try:
                futures = [ex.submit(one_thread, lambda x=x: fn(x)) for x in items]
                for i, fut in enumerate(futures):
                    out.append(fut.result())
                    if progress is not None:
                        progress(i + 1, total)
            except BaseException:
                ex.shutdown(wait=True, cancel_futures=True)  # no task outlives the call
                raise
            ex.shutdown(wait=True)
        return out
    if isinstance(client, LocalPool):
        from concurrent.futures import as_completed

        size = max(1, -(-total // (chunks_per_worker * client.workers)))
        chunks = [items[i : i + size] for i in range(0, total, size)]
        futures = {client.executor.submit(run_chunk, fn, c): k for k, c in enumerate(chunks)}
        parts: list[list[Any] | None] = [None] * len(chunks)
        done = 0
        for fut in as_completed(futures):
            k = futures[fut]
            parts[k] = fut.result()
            done += len(chunks[k])
            if progress is not None:
                progress(done, total)
        return [x for part in parts for x in (part or [])]
    import uuid

    from distributed import as_completed as dask_completed

    tag = uuid.uuid4().hex[:8]
    futures = client.map(fn, items, key=[f"task-{tag}-{i}" for i in range(total)], pure=False)
    index = {f.key: i for i, f in enumerate(futures)}
    results: list[Any] = [None] * total
    try:
        for done, fut in enumerate(dask_completed(futures), start=1):
            results[index[fut.key]] = fut.result()
            if progress is not None:
                progress(done, total)
    finally:
        client.cancel(futures)
    return results


def pool_map_blocks(pool: LocalPool) -> Callable[[Callable[..., Any], list[tuple]], Iterable[Any]]:
    """``map_blocks`` hook for :func:`sim.model.engine.run` that runs engine blocks on the
    processes of a :class:`LocalPool` (results identical to the serial run)."""

    def mapper(func: Callable[..., Any], args: list[tuple]) -> Iterator[Any]:
        from concurrent.futures import as_completed

        futures = [pool.executor.submit(func, *a) for a in args]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            for fut in futures:
                fut.cancel()

    return mapper


def map_blocks_for(
    client: Any,
) -> Callable[[Callable[..., Any], list[tuple]], Iterable[Any]] | None:
    """The ``map_blocks`` hook of ``client`` (None: the engine's own threads)."""
    if client is None:
        return None
    if isinstance(client, LocalPool):
        return pool_map_blocks(client)
    return dask_map_blocks(client)
