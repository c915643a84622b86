"""``python -m sim update SCENARIO [--actuals FILE.csv]``: what the actuals changed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.outputs import atomic_output_dir, usd, write_json

from .common import (
    add_budget_args,
    add_scenario_args,
    check_budgets,
    scenario_with_actuals,
    set_workers,
    update_runs,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "update",
        help="condition on the actuals: prior and posterior side by side",
        description="Weight the scenario's prior paths by its actuals (sampling importance "
        "resampling) and print prior and posterior side by side: P(bankrupt), demand growth "
        "over the first forecast year, revenue run-rate 12 months after as_of and the "
        "recommended plan. Writes DIR/update.json. Exit 0 even when the actuals conflict "
        "with the prior (update.json then has a warning).",
    )
    add_scenario_args(p, optional=False)
    p.add_argument("--actuals", metavar="FILE.csv",
                   help="actuals CSV (month,revenue_run_rate[,gw_online][,gross_margin]) "
                        "replacing the scenario's actuals")  # fmt: skip
    p.add_argument("--as-of", dest="as_of", metavar="YYYY-MM",
                   help="last month of history (default: simulation.as_of or the last actual)")  # fmt: skip
    p.add_argument("--budget", type=float, default=0.05,
                   help="risk budget of the recommended plan (default 0.05)")  # fmt: skip
    p.add_argument("--workers", type=int, default=None,
                   help="threads of the simulation kernel (results do not depend on it)")  # fmt: skip
    p.add_argument("--out", default="results", help="output directory (default: results)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_budget_args(p)
    p.set_defaults(func=main)


def _fmt(block: dict, key: str, money: bool = False) -> str:
    v = block.get(key)
    if v is None:
        return "n/a"
    return usd(v) if money else f"{v:.3g}x"


def print_update(report: dict) -> None:
    pr, po = report["prior"], report["posterior"]
    print(f"scenario {report['scenario']!r}: as of {report['as_of']}, {report['observed']} "
          f"actuals, ESS {report['ess']:,.1f} of {report['candidates']:,} prior paths")  # fmt: skip
    print(f"{'':34} {'prior':>22} {'posterior':>22}")

    def row(label: str, a: str, b: str) -> None:
        print(f"{label:34} {a:>22} {b:>22}")

    def pb(block: dict) -> str:
        lo, hi = block["p_bankrupt_ci95"]
        return f"{block['p_bankrupt']:.1%} ({lo:.1%}-{hi:.1%})"

    row("P(bankrupt) (95% CI)", pb(pr), pb(po))
    for q in ("p10", "p50", "p90"):
        row(f"demand growth, first year, {q.upper()}", _fmt(pr, f"growth_{q}"),
            _fmt(po, f"growth_{q}"))  # fmt: skip
    for q in ("p10", "p50", "p90"):
        row(f"revenue 12 months on, {q.upper()}", _fmt(pr, f"revenue_12m_{q}", True),
            _fmt(po, f"revenue_12m_{q}", True))  # fmt: skip

    def plan(block: dict) -> str:
        rec = block["recommended"]
        if not rec.get("feasible"):
            return "none within budget"
        from sim.reports.decision import policy_words

        return policy_words(rec["cell"])

    row("recommended plan", plan(pr), plan(po))
    years = sorted(set(pr["recommended"]["gw_by_delivery_year"])
                   | set(po["recommended"]["gw_by_delivery_year"]))  # fmt: skip
    for y in years:
        a = pr["recommended"]["gw_by_delivery_year"].get(y)
        b = po["recommended"]["gw_by_delivery_year"].get(y)
        if not (a or b):  # no new GW in that year on the median path of either
            continue
        row(f"  new GW delivered in {y} (P50)", "-" if a is None else f"{a:.2f}",
            "-" if b is None else f"{b:.2f}")  # fmt: skip


def main(args: argparse.Namespace) -> int:
    from . import UsageError

    if not 0.0 < args.budget < 1.0:
        raise UsageError(f"--budget must lie strictly between 0 and 1, got {args.budget}")
    set_workers(args.workers)
    scenario = scenario_with_actuals(args)
    check_budgets(args, update_runs(scenario, searches=2), what="this update")
    from sim.analysis.update import update_report

    out = Path(args.out)
    with atomic_output_dir(out, "update") as tmp:
        say = None if args.quiet else (lambda msg: print(f"... {msg}", file=sys.stderr))
        report, update = update_report(scenario, budget=args.budget, progress=say)
        write_json(tmp / "update.json", report)
    for line in update.warnings:
        print(f"warning: {line}", file=sys.stderr)
    if not args.quiet:
        print_update(report)
        print(f"outputs in {out}/")
    return 0
