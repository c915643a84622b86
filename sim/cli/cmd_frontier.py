"""``python -m sim frontier [SCENARIO]``: risk/upside frontier of a family of policies."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.analysis.frontier import UPSIDES, frontier, policy_family
from sim.analysis.optimize import decision_units_for
from sim.analysis.parallel import client_for
from sim.outputs import atomic_output_dir, usd, write_json

from .cmd_sweep import add_parallel_args, check_parallel_args, check_parallel_budgets
from .common import add_scenario_args, progress_bar, scenario_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "frontier",
        help="P(bankrupt) against upside for a family of purchase policies",
        description="Run planned-growth (1-10x), demand-quantile (q 0.1-0.9) and adaptive "
        "policies on the same draws; mark the non-dominated ones (lowest P(bankrupt) for "
        "their upside). Writes DIR/frontier.parquet, DIR/frontier.csv, DIR/summary.json.",
    )
    add_scenario_args(p)
    p.add_argument("--out", default="results/frontier", help="output directory")
    p.add_argument(
        "--upside",
        default="cum_revenue_p50",
        choices=list(UPSIDES),
        help="upside measure of the printed frontier (all are in the files)",
    )
    add_parallel_args(p)
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    check_parallel_args(args)
    scenario = scenario_from_args(args)
    cells = policy_family(scenario)
    from sim.budget import run_size

    runs = [run_size(scenario)] * len(cells)
    check_parallel_budgets(args, runs, "this frontier")
    flag = "efficient" if args.upside == "cum_revenue_p50" else f"efficient_{args.upside}"
    out = Path(args.out)
    with atomic_output_dir(out, "frontier") as tmp:  # --out is checked before any run
        with (
            client_for(args.workers, args.scheduler) as client,
            progress_bar(len(cells), "frontier", unit="policy") as bar,
        ):
            check_parallel_budgets(args, runs, "this frontier", client)
            df = frontier(scenario, paths=None, cells=cells, progress=bar, client=client)
        # what each efficient policy signs, per delivery year (one more run each, same draws)
        units = {
            df.at[i, "policy"]: decision_units_for(scenario, cells[i], scenario.simulation.paths)
            for i in df.index[df[flag]]
        }
        df.to_parquet(tmp / "frontier.parquet", index=False)
        df.to_csv(tmp / "frontier.csv", index=False)
        write_json(
            tmp / "summary.json",
            {
                "scenario": scenario.name,
                "paths": scenario.simulation.paths,
                "seed": scenario.simulation.seed,
                "risk": "p_bankrupt",
                "upside": args.upside,
                "efficient": df.loc[df[flag], "policy"].tolist(),
                "elapsed_s": df.attrs.get("elapsed_s"),
                "rows": df.to_dict(orient="records"),
                "decision_units": units,
            },
        )
    if not args.quiet:
        print(
            f"scenario {scenario.name!r}: {len(df)} policies x {scenario.simulation.paths:,} "
            f"paths, seed {scenario.simulation.seed} (same draws for every policy)"
        )
        print(f"{'policy':<26} {'P(bust)':>8} {'95% CI':>13} {'cum rev P50':>11} "
              f"{'cum rev P90':>11} {'unserved':>9} {'equity mean':>11}  "
              f"frontier ({args.upside})")  # fmt: skip
        for _, r in df.iterrows():
            ci = f"{r.p_bankrupt_lo:.1%}-{r.p_bankrupt_hi:.1%}"
            print(
                f"{r.policy:<26} {r.p_bankrupt:>8.1%} {ci:>13} {usd(r.cum_revenue_p50):>11} "
                f"{usd(r.cum_revenue_p90):>11} {r.unserved_share:>9.1%} "
                f"{usd(r.equity_value_mean):>11}  {'*' if r[flag] else ''}"
            )
        from .cmd_sweep import TABLE_LEGEND

        print(TABLE_LEGEND.split(" P(bankrupt) by year")[0])
        print(f"(* = not dominated; {df.attrs.get('elapsed_s', 0):.1f} s); outputs in {out}/")
    return 0
