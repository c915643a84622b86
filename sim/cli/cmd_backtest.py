"""``python -m sim backtest SCENARIO --as-of YYYY-MM``: score the forecast on later actuals."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.outputs import atomic_output_dir, write_json

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
        "backtest",
        help="condition on actuals up to a month and score the later ones",
        description="Condition the scenario on its actuals up to --as-of, forecast, and score "
        "every later actual: inside the P5-P95 band or not, PIT and CRPS. Prints a table and "
        "writes DIR/backtest.json. Exit 0 whatever the coverage, 2 on bad input.",
    )
    add_scenario_args(p, optional=False)
    p.add_argument("--as-of", dest="as_of", required=True, metavar="YYYY-MM",
                   help="last month of history; later actuals are scored")  # fmt: skip
    p.add_argument("--actuals", metavar="FILE.csv", help="actuals CSV replacing the scenario's")
    p.add_argument("--workers", type=int, default=None,
                   help="threads of the simulation kernel (results do not depend on it)")  # fmt: skip
    p.add_argument("--out", default="results", help="output directory (default: results)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_budget_args(p)
    p.set_defaults(func=main)


def _num(field: str, v: float) -> str:
    if field == "revenue_run_rate":
        from sim.outputs import usd

        return usd(v)
    return f"{v:.3g}" if field == "gross_margin" else f"{v:.2f}"


def print_backtest(report: dict) -> None:
    print(f"scenario {report['scenario']!r}: conditioned on actuals up to {report['as_of']} "
          f"(ESS {report['ess']:,.1f}); later actuals against the forecast")  # fmt: skip
    print(f"{'month':>8} {'field':>17} {'actual':>9} {'P5':>9} {'P50':>9} {'P95':>9} "
          f"{'PIT':>5} {'inside':>7} {'CRPS':>7}")  # fmt: skip
    for pt in report["points"]:
        f = pt["field"]
        crps = f"{pt['crps']:.3f}" if pt["scored"] else "fixed"
        print(f"{pt['month']:>8} {f:>17} {_num(f, pt['actual']):>9} {_num(f, pt['p5']):>9} "
              f"{_num(f, pt['p50']):>9} {_num(f, pt['p95']):>9} {pt['pit']:>5.2f} "
              f"{'yes' if pt['inside'] else 'NO':>7} {crps:>7}")  # fmt: skip
    cov = report["coverage_90"]
    crps = report["crps_mean"]
    print(f"coverage of the 90% band: {'n/a' if cov is None else f'{cov:.0%}'} of "
          f"{report['scored']} scored points; mean CRPS "
          f"{'n/a' if crps is None else f'{crps:.3f}'} (log scale for revenue and GW; "
          "'fixed': GW set by contracts signed by as_of, not scored)")  # fmt: skip


def main(args: argparse.Namespace) -> int:
    import sys

    set_workers(args.workers)
    scenario = scenario_with_actuals(args)
    check_budgets(args, update_runs(scenario)[:2], what="this backtest")  # --as-of is set
    from sim.analysis.backtest import backtest

    out = Path(args.out)
    with atomic_output_dir(out, "backtest") as tmp:
        report = backtest(scenario, args.as_of)
        write_json(tmp / "backtest.json", report)
    for line in report["warnings"]:
        print(f"warning: {line}", file=sys.stderr)
    if not args.quiet:
        print_backtest(report)
        print(f"outputs in {out}/")
    return 0
