"""``python -m sim sensitivity [SCENARIO]``: which assumptions drive risk and upside."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.analysis.parallel import client_for
from sim.analysis.sensitivity import SOBOL_PARAMS, assumptions, sobol, tornado, unresolved_warning
from sim.analysis.sweep import METRICS
from sim.outputs import atomic_output_dir, write_json

from .cmd_sweep import add_parallel_args, check_parallel_args, check_parallel_budgets
from .common import add_scenario_args, progress_bar, scenario_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sensitivity",
        help="tornado (one at a time) and Sobol sensitivity of risk and upside",
        description="Tornado: each assumption at its P10/P90 (distributions) or a documented "
        "range / x0.8-x1.2 (plain numbers), all else as in the scenario, same draws. Sobol: "
        "first-order and total indices over the same ranges (SALib). Writes DIR/tornado.*, "
        "DIR/sobol.*, DIR/summary.json.",
    )
    add_scenario_args(p)
    p.add_argument("--metric", default="p_bankrupt", choices=list(METRICS[:-1]),
                   help="tornado metric (default p_bankrupt)")  # fmt: skip
    p.add_argument("--sobol-n", type=int, default=64,
                   help="Sobol base samples, a power of two (default 64); 0 skips Sobol")  # fmt: skip
    p.add_argument("--sobol-paths", type=int, default=500,
                   help="paths per Sobol sample (default 500)")  # fmt: skip
    p.add_argument("--out", default="results/sensitivity", help="output directory")
    add_parallel_args(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from . import UsageError

    check_parallel_args(args)
    n = args.sobol_n
    if n < 0 or (n and n & (n - 1)):
        raise UsageError(f"--sobol-n must be 0 or a power of two (e.g. 32, 64), got {n}")
    if args.sobol_paths < 1:
        raise UsageError(f"--sobol-paths must be at least 1, got {args.sobol_paths}")
    scenario = scenario_from_args(args)
    paths = args.paths or 2000
    from sim.budget import run_size

    k = len(assumptions(scenario))
    d = sum(p in assumptions(scenario) for p in SOBOL_PARAMS)
    runs = [run_size(scenario, paths)] * (1 + 2 * k) + [run_size(scenario, args.sobol_paths)] * (
        n * (d + 2)
    )
    check_parallel_budgets(args, runs, "this sensitivity analysis")
    out = Path(args.out)
    with atomic_output_dir(out, "sensitivity") as tmp:  # --out is checked before any run
        with client_for(args.workers, args.scheduler) as client:
            check_parallel_budgets(args, runs, "this sensitivity analysis", client)
            names = assumptions(scenario)
            with progress_bar(1 + 2 * len(names), "tornado", unit="run") as bar:
                tor = tornado(
                    scenario, paths=paths, metric=args.metric, progress=bar, client=client
                )
            sob = None
            if n:
                d = sum(p in names for p in SOBOL_PARAMS)
                with progress_bar(n * (d + 2), "sobol", unit="run") as bar:
                    sob = sobol(
                        scenario, n_base=n, paths=args.sobol_paths, progress=bar, client=client
                    )
        tor.to_csv(tmp / "tornado.csv", index=False)
        tor.to_parquet(tmp / "tornado.parquet", index=False)
        summary = {
            "scenario": scenario.name, "metric": args.metric, "tornado_paths": paths,
            "seed": scenario.simulation.seed, "tornado": tor.to_dict(orient="records"),
        }  # fmt: skip
        if sob is not None:
            sob.to_csv(tmp / "sobol.csv", index=False)
            sob.to_parquet(tmp / "sobol.parquet", index=False)
            summary.update(sobol_n=n, sobol_paths=args.sobol_paths, sobol_cells=sob.attrs["cells"],
                           sobol_unresolved=sob.attrs["unresolved"],
                           sobol=sob.to_dict(orient="records"))  # fmt: skip
        write_json(tmp / "summary.json", summary)
    print(
        f"scenario {scenario.name!r}: tornado of {args.metric} ({paths:,} paths per run, same draws)"
    )
    print(
        f"{'parameter':<40} {'range':>17} {'low':>10} {'high':>10} {'at low':>9} {'at high':>9} {'swing':>8}"
    )
    for _, r in tor.iterrows():
        print(
            f"{r.parameter:<40} {r.how:>17} {r.low_value:>10.4g} {r.high_value:>10.4g} "
            f"{r.metric_low:>9.4g} {r.metric_high:>9.4g} {r.swing:>8.4g}"
        )
    print(f"base {args.metric} = {tor['base'].iloc[0]:.4g}")
    if sob is not None:
        print(f"\nSobol indices ({sob.attrs['cells']} runs x {args.sobol_paths} paths; "
              "S1 first order, ST total, +/- 95% bootstrap):")  # fmt: skip
        for metric, part in sob.groupby("metric", sort=False):
            print(f"  {metric}")
            for _, r in part.iterrows():
                flag = "" if r.resolved else "  (not resolved)"
                print(f"    {r.parameter:<38} S1 {r.S1:>6.2f} +/- {r.S1_conf:.2f}   "
                      f"ST {r.ST:>6.2f} +/- {r.ST_conf:.2f}{flag}")  # fmt: skip
        warning = unresolved_warning(sob, n)
        if warning:
            import sys

            print(warning, file=sys.stderr)
    print(f"outputs in {out}/")
    return 0
