"""``python -m sim bench-sweep``: throughput of a sweep (default 20 x 20 grid x 2,000 paths)."""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from sim.analysis.parallel import client_for
from sim.analysis.sweep import grid, run_sweep

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


def bench_sweep(scenario, size: int, paths: int, client=None, progress=None) -> dict:
    """Run the benchmark grid and return its timings."""
    cells = grid(
        {
            "policy.planned_growth": [float(x) for x in np.linspace(1.0, 10.0, size)],
            "demand.growth": [float(x) for x in np.linspace(3.0, 10.0, size)],
        }
    )
    t0 = time.perf_counter()
    run_sweep(scenario, cells, paths=paths, client=client, progress=progress)
    wall = time.perf_counter() - t0
    path_months = len(cells) * paths * scenario.months
    return {"cells": len(cells), "paths": paths, "months": scenario.months, "wall_s": wall,
            "cells_per_s": len(cells) / wall, "path_months_per_s": path_months / wall}  # fmt: skip


def main(args: argparse.Namespace) -> int:
    from . import UsageError

    check_parallel_args(args)
    if args.size < 1:
        raise UsageError(f"--size must be at least 1, got {args.size}")
    scenario = scenario_from_args(args)
    paths = args.paths or 2000
    with (
        client_for(args.workers, args.scheduler) as client,
        progress_bar(args.size**2, "bench-sweep", unit="cell") as bar,
    ):
        r = bench_sweep(scenario, args.size, paths, client, bar)
    where = (f"dask scheduler {args.scheduler}" if args.scheduler else
             f"local dask cluster, {args.workers} workers" if args.workers and args.workers > 1
             else f"serial, 1 process ({os.cpu_count()} CPUs visible)")  # fmt: skip
    print(f"{r['cells']} cells x {paths:,} paths x {r['months']} months on {where}")
    print(f"  wall time       {r['wall_s']:.2f} s")
    print(f"  cells/s         {r['cells_per_s']:.1f}")
    print(f"  path-months/s   {r['path_months_per_s']:.3g}")
    return 0
