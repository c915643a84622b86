"""dask.distributed helpers: a client for sweeps, and a ``map_blocks`` hook for one big run.

Results never depend on how work is distributed: sweep cells and engine blocks draw
their randomness from the seed alone (see :mod:`sim.rng`).

glibc's ``MALLOC_TRIM_THRESHOLD_``, which dask's nanny sets by default in every worker
(``distributed.nanny.pre-spawn-environ``), makes numpy's large temporaries several times
slower; :func:`configure_dask` removes it for workers started from this process. Workers
of an external scheduler (``--scheduler``) keep whatever environment they were started with.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

TRIM_VAR = "MALLOC_TRIM_THRESHOLD_"
DASK_DEFAULT_TRIM = 65536
"""Value distributed's default config gives ``MALLOC_TRIM_THRESHOLD_`` [bytes]."""


def configure_dask() -> None:
    """Drop ``MALLOC_TRIM_THRESHOLD_`` from the environment dask's nanny gives workers.

    A nanny also copies its pre-spawn settings into ``os.environ`` of the process that
    starts it (and never removes them), so the variable is removed from this process's
    environment too when it holds a value dask set.
    """
    import dask

    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    dask_value = env.pop(TRIM_VAR, None)
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


@contextmanager
def client_for(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """Client for ``--scheduler ADDRESS``, a local cluster for ``--workers N``, else None."""
    if scheduler:
        from distributed import Client

        configure_dask()
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
    elif workers and workers > 1:
        with local_client(workers) as client:
            yield client
    else:
        yield None


def dask_map_blocks(client: Any) -> Callable[[Callable[..., Any], list[tuple]], Iterable[Any]]:
    """``map_blocks`` hook for :func:`sim.engine.run` that runs engine blocks on ``client``.

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
