"""``python -m sim bench-sweep``: throughput of a sweep (default 20 x 20 grid x 2,000 paths)."""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from sim.analysis.parallel import client_for
from sim.analysis.sweep import grid, run_sweep
from sim.model.engine import threads
from sim.model.timeline import total_months

from .cmd_sweep import add_parallel_args, check_parallel_args
from .common import add_scenario_args, progress_bar, scenario_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench-sweep",
        help="measure sweep speed (cells/s, path-months/s)",
        description="Run a SIZE x SIZE grid of planned growth (1-10x) x true growth (3-10x) at "
        "PATHS paths per cell (default 20 x 20 x 2,000) and print cells/s and path-months/s.",
    )
    add_scenario_args(p)
    p.add_argument("--size", type=int, default=20, help="grid points per axis (default 20)")
    add_parallel_args(p)
    p.set_defaults(func=main)


def bench_cells(size: int) -> list[dict]:
    """The benchmark grid: planned growth 1-10x by true growth 3-10x, ``size`` points each."""
    return grid(
        {
            "policy.planned_growth": [float(x) for x in np.linspace(1.0, 10.0, size)],
            "demand.growth": [float(x) for x in np.linspace(3.0, 10.0, size)],
        }
    )


def bench_sweep(scenario, size: int, paths: int, client=None, progress=None) -> dict:
    """Run the benchmark grid and return its timings."""
    cells = bench_cells(size)
    t0, cpu0 = time.perf_counter(), time.process_time()
    run_sweep(scenario, cells, paths=paths, client=client, progress=progress, cells_at_once=True)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    months = total_months(scenario)  # horizon + run-off
    path_months = len(cells) * paths * months
    return {"cells": len(cells), "paths": paths, "months": months, "wall_s": wall,
            "cells_per_s": len(cells) / wall, "path_months_per_s": path_months / wall,
            "cpu_s": cpu, "cores_busy": cpu / wall}  # fmt: skip


def warm_up(client) -> float:  # type: ignore[no-untyped-def]
    """Start the workers of a local pool (imports, compiled kernels) [s]."""
    from sim.analysis.parallel import LocalPool

    t0 = time.perf_counter()
    if isinstance(client, LocalPool):
        list(client.executor.map(_ready, range(client.workers)))
    return time.perf_counter() - t0


def load_kernels(scenario, size: int) -> float:  # type: ignore[no-untyped-def]
    """Load (or compile) the kernels the grid's cells call in this process, as the sweep's
    first cells would otherwise do [s]."""
    from sim.analysis.sweep import apply_cell
    from sim.model.warmup import warm_kernels

    t0 = time.perf_counter()
    warm_kernels([scenario, apply_cell(scenario, bench_cells(size)[0])])
    return time.perf_counter() - t0


def _ready(_: int) -> bool:
    import sim.model.kernel.paths  # noqa: F401  (load the compiled kernels)

    return True


def main(args: argparse.Namespace) -> int:
    from . import UsageError

    check_parallel_args(args)
    if args.size < 1:
        raise UsageError(f"--size must be at least 1, got {args.size}")
    scenario = scenario_from_args(args)
    paths = args.paths or 2000
    t0, cpu0 = time.perf_counter(), time.process_time()
    with (
        client_for(args.workers, args.scheduler) as client,
        progress_bar(args.size**2, "bench-sweep", unit="cell") as bar,
    ):
        startup = warm_up(client)
        load = load_kernels(scenario, args.size) if client is None else 0.0
        r = bench_sweep(scenario, args.size, paths, client, bar)
    wall = time.perf_counter() - t0  # pool start-up and kernel load included
    sweep_wall, sweep_cpu = r["wall_s"], r["cpu_s"]  # run_sweep alone
    cpu = time.process_time() - cpu0 if client is None else r["cpu_s"]
    r.update(startup_s=startup, load_s=load, wall_s=wall, cells_per_s=r["cells"] / wall,
             path_months_per_s=r["cells"] * paths * r["months"] / wall, cpu_s=cpu,
             cores_busy=cpu / wall)  # fmt: skip
    where = (f"dask scheduler {args.scheduler}" if args.scheduler else
             f"{args.workers} local worker processes" if args.workers and args.workers > 1
             else f"1 process, {threads()} kernel thread(s) ({os.cpu_count()} CPUs visible)")  # fmt: skip
    print(f"{r['cells']} cells x {paths:,} paths x {r['months']} months (horizon + run-off) "
          f"on {where}")  # fmt: skip
    if args.workers and args.workers > 1:
        print(f"  pool start-up   {r['startup_s']:.2f} s (included in the wall time)")
    if client is None:  # what a fresh process pays before its first cell (serial)
        print(f"  kernel load     {r['load_s']:.2f} s (included in the wall and CPU times)")
    print(f"  wall time       {r['wall_s']:.2f} s")
    if client is None:  # worker processes' CPU is not this process's
        # Both cores busy means a second worker has no idle core to use (see README).
        print(f"  CPU time        {r['cpu_s']:.2f} s: {r['cores_busy']:.2f} of "
              f"{os.cpu_count()} cores busy during the sweep")  # fmt: skip
        print(f"  sweep alone     {sweep_wall:.2f} s wall, {sweep_cpu:.2f} s CPU (after the load)")
    print(f"  cells/s         {r['cells_per_s']:.1f}")
    print(f"  path-months/s   {r['path_months_per_s']:.3g}")
    return 0
