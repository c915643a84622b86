"""``python -m sim sweep SWEEP.yaml``: run every cell of a sweep on common random numbers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.parallel import client_for
from sim.analysis.sweep import METRICS, is_metric, run_sweep
from sim.analysis.sweep_spec import load_sweep
from sim.budget import run_size
from sim.outputs import atomic_output_dir, finite_frame, usd, write_json

from .common import add_budget_args, check_budgets, progress_bar


def add_parallel_args(p: argparse.ArgumentParser, cells: bool = False) -> None:
    """``--workers N`` / ``--scheduler ADDRESS`` (mutually exclusive), and the resource
    budgets (:func:`sim.cli.common.add_budget_args`)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--workers",
        type=int,
        help="run cells on N local worker processes (about 1 s to start them)",
    )
    g.add_argument("--scheduler", help="run cells on the dask scheduler at ADDRESS (a cluster)")  # fmt: skip
    add_budget_args(p, cells=cells)


def check_parallel_budgets(
    args: argparse.Namespace, runs: list, what: str, client: Any = None
) -> None:
    """Budget check of a command with ``--workers``/``--scheduler``: before connecting
    (``client`` None) without a scheduler, after connecting with one."""
    if bool(getattr(args, "scheduler", None)) == (client is not None):
        check_budgets(args, runs, what=what, **parallel_spread(args, client))


def parallel_spread(args: argparse.Namespace, client: Any) -> dict[str, int]:
    """How the budgets spread: over a cluster's worker threads (``--scheduler``), or
    ``--workers`` processes each holding one run in memory on this machine."""
    if getattr(args, "scheduler", None) and client is not None:
        return {"spread": max(1, sum(client.nthreads().values()))}
    if not args.workers and getattr(args, "cells_at_once", False):
        from sim.analysis.parallel import small_tasks_in_flight

        return {"parallel_memory": small_tasks_in_flight()}  # small cells run several at once
    return {"parallel_memory": max(1, args.workers or 1)}


def check_parallel_args(args: argparse.Namespace) -> None:
    from . import UsageError

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    if getattr(args, "paths", None) is not None and args.paths < 1:
        raise UsageError(f"--paths must be at least 1, got {args.paths}")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a parameter sweep (grid or Latin hypercube)",
        description="Run every cell of SWEEP.yaml with the same seed (common random numbers) and "
        "write DIR/sweep.parquet, DIR/sweep.csv and DIR/summary.json.",
    )
    p.add_argument("sweep", help="sweep YAML file (see scenarios/sweeps/)")
    p.add_argument("--out", help="output directory (default: results/sweep-NAME)")
    p.add_argument("--paths", type=int, help="override paths per cell")
    p.add_argument("--seed", type=int, help="override the simulation seed of every cell")
    add_parallel_args(p, cells=True)
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=main)


def format_table(df: pd.DataFrame, keys: list[str], max_rows: int = 60) -> str:
    """Human-readable view of a sweep table: the keys, then risk and upside."""
    view = pd.DataFrame({k: df[k] for k in keys})
    view["P(bust)"] = df["p_bankrupt"].map(lambda x: f"{x:.1%}")
    view["95% CI"] = [
        f"{lo:.1%}-{hi:.1%}"
        for lo, hi in zip(df["p_bankrupt_lo"], df["p_bankrupt_hi"], strict=True)
    ]
    view["cum rev P50"] = df["cum_revenue_p50"].map(usd)
    view["cum rev P90"] = df["cum_revenue_p90"].map(usd)
    view["unserved $ P50"] = df["cum_unserved_p50"].map(usd)
    view["unserved"] = df["unserved_share"].map(lambda x: f"{x:.1%}")
    if "lost_to_rivals_share" in df and df["lost_to_rivals_share"].notna().any():
        # with a market: the unserved share split (rivals served it / nobody did)
        view["to rivals"] = df["lost_to_rivals_share"].map(lambda x: f"{x:.1%}")
        view["by nobody"] = df["unserved_by_market_share"].map(lambda x: f"{x:.1%}")
    view["equity mean"] = df["equity_value_mean"].map(usd)
    text = view.head(max_rows).to_string(index=False)
    if len(view) > max_rows:
        text += f"\n... {len(view) - max_rows} more rows in the output files"
    return text + "\n" + TABLE_LEGEND


TABLE_LEGEND = (
    "P(bust): share of paths bankrupt by the end of the run-off (95% Wilson CI); cum rev: "
    "revenue served over the horizon [USD]; unserved $: demand not served over the horizon, "
    "revenue left on the table [USD]; unserved: its share of demand (with a market: to "
    "rivals, served by rivals, + by nobody); equity mean: terminal "
    "equity value at the end of the horizon (valuation multiple x run-rate + cash - what is "
    "still owed, 0 if bankrupt) [USD]. P(bankrupt) by year: sweep.csv p_bankrupt_by_end_YYYY."
)


def sweep_summary(name: str, df: pd.DataFrame, keys: list[str], extra: dict[str, Any]) -> dict:
    """Content of summary.json for a table of cells."""
    return {
        "name": name,
        **extra,
        "cells": len(df),
        "elapsed_s": df.attrs.get("elapsed_s"),
        "keys": keys,
        "metrics": list(METRICS),
        "rows": df.to_dict(orient="records"),
    }


def main(args: argparse.Namespace) -> int:
    from . import UsageError

    check_parallel_args(args)
    if args.max_cells < 1:
        raise UsageError(f"--max-cells must be at least 1, got {args.max_cells}")
    sweep = load_sweep(args.sweep, max_cells=args.max_cells)
    spec = sweep.spec
    scenario = sweep.scenario
    paths = args.paths or scenario.simulation.paths
    seed = args.seed if args.seed is not None else scenario.simulation.seed
    runs = [run_size(scenario, paths)] * len(sweep.cells)
    args.cells_at_once = not args.workers and not args.scheduler
    check_parallel_budgets(args, runs, "this sweep")
    out = Path(args.out or f"results/sweep-{spec.name}")
    with atomic_output_dir(out, "sweep") as tmp:  # --out is checked before any cell runs
        with client_for(args.workers, args.scheduler) as client:
            check_parallel_budgets(args, runs, "this sweep", client)
            with progress_bar(len(sweep.cells), f"sweep {spec.name}", unit="cell") as bar:
                df = run_sweep(
                    scenario, sweep.cells, paths=paths, seed=seed, progress=bar, client=client,
                    cells_at_once=args.cells_at_once,
                )  # fmt: skip
        keys = [k for k in df.columns if not is_metric(k)]
        summary = sweep_summary(
            spec.name,
            df,
            keys,
            {
                "description": spec.description,
                "sweep_file": sweep.source,
                "scenario": scenario.name,
                "method": spec.method,
                "paths_per_cell": paths,
                "seed": seed,
            },
        )
        df = finite_frame(df)
        df.to_parquet(tmp / "sweep.parquet", index=False)
        df.to_csv(tmp / "sweep.csv", index=False)
        write_json(tmp / "summary.json", summary)
    if not args.quiet:
        print(
            f"sweep {spec.name!r}: {len(df)} cells x {paths:,} paths, seed {seed} (common to all cells)"
        )
        print(format_table(df, keys))
        print(f"({df.attrs['elapsed_s']:.1f} s); outputs in {out}/")
    return 0
