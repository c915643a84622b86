"""``python -m sim optimize [SCENARIO] --budget 0.05``: most compute within a risk budget."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from sim.analysis.frontier import UPSIDES, policy_family
from sim.analysis.optimize import best_policy, decision_units_for, max_commitment
from sim.analysis.parallel import client_for
from sim.analysis.recommend import UPSIDE, recommend
from sim.analysis.sweep import apply_cell
from sim.errors import ScenarioError
from sim.model.scenario import Scenario
from sim.outputs import atomic_output_dir, usd, write_json

from .cmd_sweep import add_parallel_args, check_parallel_args, check_parallel_budgets
from .common import add_scenario_args, progress_bar, scenario_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "optimize",
        help="most aggressive policy whose P(bankrupt) stays within a budget",
        description="Search PARAM in [LO, HI] (default: planned growth 1-10x) for the largest "
        "value whose P(bankrupt) is within BUDGET by a one-sided 95% Wilson test (the upper "
        "bound must be <= BUDGET). Risk need not rise with PARAM (with pricing power it is "
        "U-shaped); when no value passes, the least risky is reported. All evaluations share "
        "the seed.",
    )
    add_scenario_args(p)
    p.add_argument("--budget", type=float, default=0.05, help="max P(bankrupt) (default 0.05)")
    p.add_argument("--param", default="policy.planned_growth", help="dotted parameter to push")
    p.add_argument("--lo", type=float, default=1.0, help="lower end of the search (default 1)")
    p.add_argument("--hi", type=float, default=10.0, help="upper end of the search (default 10)")
    p.add_argument(
        "--family",
        action="store_true",
        help="instead pick, among the frontier's policy family, the highest-UPSIDE policy "
        "that passes the same budget test (median revenue, the default: the report's and "
        "dashboard's search, refined between grid points; other upsides: the grid only)",
    )
    p.add_argument("--upside", default="cum_revenue_p50", choices=list(UPSIDES),
                   help="upside measure for --family (default cum_revenue_p50)")  # fmt: skip
    p.add_argument("--out", help="optional output directory (summary.json, evaluations.csv)")
    add_parallel_args(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from . import UsageError

    check_parallel_args(args)
    if not 0.0 < args.budget < 1.0:
        raise UsageError(f"--budget must lie strictly between 0 and 1, got {args.budget}")
    if not args.lo < args.hi:
        raise UsageError(f"--lo must be below --hi, got {args.lo} and {args.hi}")
    scenario = scenario_from_args(args)
    from sim.budget import run_size

    steps = 25 if args.family else 16  # policies of the family / search evaluations
    runs = [run_size(scenario, args.paths or 4000)] * steps
    check_parallel_budgets(args, runs, "this search")
    with contextlib.ExitStack() as stack:  # --out is checked before any run
        tmp = stack.enter_context(atomic_output_dir(args.out, "optimize")) if args.out else None
        if args.family:
            return _family(args, scenario, tmp, runs)
        return _single(args, scenario, tmp, runs)


def _single(args: argparse.Namespace, scenario: Scenario, tmp: Path | None, runs: list) -> int:
    from . import UsageError

    for v in (args.lo, args.hi):
        try:
            apply_cell(scenario, {args.param: v}, f"--param {args.param}")
        except ScenarioError as exc:
            raise UsageError(
                f"--param {args.param} = {v:g} is not valid for scenario {scenario.name!r} "
                f"(policy kind {scenario.policy.kind}): "
                + "; ".join(f"{f}: {m}" for f, m in exc.problems)
            ) from None
    paths = args.paths or 4000
    with (
        client_for(args.workers, args.scheduler) as client,
        progress_bar(16, "optimize", unit="step") as bar,
    ):
        check_parallel_budgets(args, runs, "this search", client)
        res = max_commitment(
            scenario, budget=args.budget, param=args.param, lo=args.lo, hi=args.hi,
            paths=paths, progress=bar, client=client,
        )  # fmt: skip
    name = args.param.rsplit(".", 1)[-1]
    print(
        f"scenario {scenario.name!r}, {paths:,} paths per evaluation, seed {scenario.simulation.seed}"
    )
    if res.feasible:
        lo, hi = res.ci95
        print(
            f"most aggressive {name} with P(bankrupt) <= {args.budget:.1%}: {res.value:.3g}\n"
            f"  P(bankrupt) = {res.p_bankrupt:.2%} (95% CI {lo:.2%}-{hi:.2%}; one-sided 95% "
            f"upper bound {res.p_bankrupt_upper:.2%} <= budget)\n"
            f"  cumulative revenue median {usd(res.metrics['cum_revenue_p50'])}, "
            f"P90 {usd(res.metrics['cum_revenue_p90'])}; unserved "
            f"{res.metrics['unserved_share']:.1%}; mean terminal value "
            f"{usd(res.metrics['equity_value_mean'])}"
        )
    else:
        print(
            f"no {name} in [{args.lo:g}, {args.hi:g}] meets the budget: the least risky, "
            f"{res.least_risky:.3g}, has P(bankrupt) = {res.p_bankrupt:.2%} (one-sided upper "
            f"bound {res.p_bankrupt_upper:.2%} > {args.budget:.1%})"
        )
    units = decision_units_for(scenario, {args.param: res.value}, paths) if res.feasible else {}
    _print_units(units)
    ev = res.evaluations
    print(f"{name:>14} {'P(bust)':>8} {'upper':>7} {'cum rev P50':>11}  ok")
    for _, r in ev.iterrows():
        print(
            f"{r[args.param]:>14.4g} {r.p_bankrupt:>8.2%} {r.p_bankrupt_upper:>7.2%} "
            f"{usd(r.cum_revenue_p50):>11}  {'yes' if r.meets_budget else 'no'}"
        )
    if tmp is not None:
        ev.to_csv(tmp / "evaluations.csv", index=False)
        write_json(
            tmp / "summary.json",
            {
                "scenario": scenario.name, "param": res.param, "budget": res.budget,
                "value": res.value if res.feasible else None, "feasible": res.feasible,
                "least_risky": res.least_risky,
                "p_bankrupt": res.p_bankrupt, "ci95": list(res.ci95),
                "p_bankrupt_upper_one_sided_95": res.p_bankrupt_upper,
                "paths": res.paths, "seed": scenario.simulation.seed, "metrics": res.metrics,
                **_units_json(units),
            },
        )  # fmt: skip
        print(f"outputs in {args.out}/")
    return 0


def _family(args: argparse.Namespace, scenario: Scenario, tmp: Path | None, runs: list) -> int:
    paths = args.paths or 4000
    with (
        client_for(args.workers, args.scheduler) as client,
        progress_bar(25, "optimize --family", unit="policy") as bar,
    ):
        check_parallel_budgets(args, runs, "this search", client)
        least, units = None, {}
        if args.upside == UPSIDE:  # the report's and dashboard's search: grid, then refinement
            rec = recommend(scenario, budget=args.budget, paths=paths, progress=bar, client=client)
            df = rec.plans.table
            row = df.loc[rec.index] if rec.feasible else None
            least = None if rec.feasible else df.loc[rec.index]
            units = rec.units if rec.feasible else {}
        else:
            row, df = best_policy(
                scenario, budget=args.budget, upside=args.upside, paths=paths, progress=bar,
                client=client,
            )  # fmt: skip
            if row is not None:
                units = decision_units_for(scenario, policy_family(scenario)[row.name], paths)
    print(
        f"scenario {scenario.name!r}, {paths:,} paths per policy, seed {scenario.simulation.seed}"
    )
    if row is None:
        print(f"no policy of the family passes P(bankrupt) <= {args.budget:.1%}")
        if least is not None:
            print(
                f"  the least risky: {least['policy']}, P(bankrupt) = {least['p_bankrupt']:.2%} "
                f"(one-sided upper bound {least['p_bankrupt_upper']:.2%})"
            )
    else:
        print(
            f"highest {args.upside} with P(bankrupt) <= {args.budget:.1%}: {row['policy']}\n"
            f"  P(bankrupt) = {row['p_bankrupt']:.2%} (95% CI {row['p_bankrupt_lo']:.2%}-"
            f"{row['p_bankrupt_hi']:.2%}; one-sided upper bound {row['p_bankrupt_upper']:.2%})\n"
            f"  cumulative revenue median {usd(row['cum_revenue_p50'])}, P90 "
            f"{usd(row['cum_revenue_p90'])}; mean terminal value {usd(row['equity_value_mean'])}"
        )
        _print_units(units)
    if tmp is not None:
        df.to_csv(tmp / "evaluations.csv", index=False)
        write_json(
            tmp / "summary.json",
            {
                "scenario": scenario.name, "budget": args.budget, "upside": args.upside,
                "policy": None if row is None else row["policy"], "paths": paths,
                "seed": scenario.simulation.seed,
                "metrics": None if row is None else row.to_dict(),
                **_units_json(units),
            },
        )  # fmt: skip
        print(f"outputs in {args.out}/")
    return 0


def _units_json(units: dict) -> dict:
    """Decision units for summary.json (empty mappings when no policy met the budget)."""
    return {
        "gw_by_delivery_year": units.get("gw_by_delivery_year", {}),
        "commitment_usd_by_year": units.get("commitment_usd_by_year", {}),
        "obligations_at_end": units.get("obligations_at_end"),
        "p_bankrupt_by_commitment_year": units.get("p_bankrupt_by_commitment_year", {}),
    }


def _print_units(units: dict) -> None:
    """What the chosen policy signs, per year the capacity comes online."""
    gw, usd_by_year = units.get("gw_by_delivery_year"), units.get("commitment_usd_by_year")
    if not gw:
        return
    print("  new take-or-pay by delivery year (P50 / P90):")
    for year, q in gw.items():
        money = usd_by_year[year]
        print(f"    {year}: {q['p50']:6.2f} / {q['p90']:6.2f} GW   "
              f"{usd(money['p50']):>8} / {usd(money['p90']):>8}")  # fmt: skip
    owed = units["obligations_at_end"]
    print(f"  still owed when the horizon ends: {usd(owed['p50'])} (P50), {usd(owed['p90'])} (P90)")
