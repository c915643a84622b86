"""``python -m sim deal [SCENARIO] --start YYYY-MM --gw G --years Y --price P``: sign or not?"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import ScenarioError
from sim.model.scenario import Deal

from . import EXIT_CODES, UsageError
from .common import (
    add_budget_args,
    add_scenario_args,
    check_budgets,
    progress_bar,
    scenario_from_args,
)

HELP = """Simulates the scenario with and without one compute deal on common random numbers
(path i sees the same world both times) and answers: does the deal keep P(bankrupt) within
the risk budget, and what is it worth?

The deal comes on top of the scenario's purchase policy; from its signing month on, the
policy counts the deal's GW as already committed and orders only the rest. A deal larger
than the industry supply cap allows is cut, with a warning and truncated_gw > 0.

Prints a one-line verdict and writes DIR/deal.json (p_bankrupt_without/with,
delta_p_bankrupt with its paired 95% CI, cumulative revenue, unserved demand, equity value,
NPV quantiles, regret, truncated_gw, verdict) and DIR/deal.md (a report section).
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "deal",
        help="should we sign this compute deal? risk and value with vs without it",
        description=HELP,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scenario_args(p)
    p.add_argument("--start", required=True, metavar="YYYY-MM", help="month the GW come online")
    p.add_argument("--gw", type=float, required=True, help="capacity of the deal [GW]")
    p.add_argument("--years", type=float, required=True, help="contract length [years]")
    p.add_argument("--price", type=float, metavar="USD",
                   help="price [USD per GW-year] (default: the scenario's compute price)")  # fmt: skip
    p.add_argument("--signed", metavar="YYYY-MM",
                   help="month the deal is signed (default: the scenario's start)")  # fmt: skip
    p.add_argument("--budget", type=float, default=0.05,
                   help="risk budget: most acceptable P(bankrupt) with the deal (default 0.05)")  # fmt: skip
    p.add_argument("--discount-rate", type=float, metavar="RATE",
                   help="discount rate of the NPV [1/yr] (default: finance.discount_rate, 0.10)")  # fmt: skip
    p.add_argument("--out", default="results/deal", help="output directory (default results/deal)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors and warnings")
    add_budget_args(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.analysis.deal import deal_markdown, deal_warnings, evaluate_deal, run_deal, with_deal
    from sim.outputs import atomic_output_dir, write_json

    if not 0.0 < args.budget < 1.0:
        raise UsageError(f"--budget must lie strictly between 0 and 1, got {args.budget}")
    if args.discount_rate is not None and not 0.0 <= args.discount_rate <= 1.0:
        raise UsageError(f"--discount-rate must lie in [0, 1], got {args.discount_rate}")
    if args.paths is not None and args.paths < 2:
        raise UsageError(f"--paths must be at least 2, got {args.paths}")
    scenario = scenario_from_args(args)
    deal = {"start": args.start, "gw": args.gw, "years": args.years}
    if args.signed is not None:
        deal["signed"] = args.signed
    if args.price is not None:
        deal["price_per_gw_year"] = args.price
    try:  # validate before simulating: the field names the option at fault
        Deal.model_validate(deal)
        signed = with_deal(scenario, deal)
    except (ValueError, ScenarioError) as exc:
        raise UsageError(f"invalid deal: {_reason(exc)}") from None
    from sim.budget import run_size

    check_budgets(args, [run_size(scenario), run_size(signed)], what="this deal comparison")
    n = scenario.simulation.paths
    out = Path(args.out)
    with atomic_output_dir(out, "deal") as tmp:  # --out is checked before simulating
        with progress_bar(2 * n, "deal: without, then with") as bar:
            runs = run_deal(scenario, deal, discount_rate=args.discount_rate, progress=bar)
        result = evaluate_deal(runs, budget=args.budget)
        for line in deal_warnings(result):
            print(line, file=sys.stderr)
        write_json(tmp / "deal.json", result)
        (tmp / "deal.md").write_text(deal_markdown(result), encoding="utf-8")
    if not args.quiet:
        print(deal_markdown(result))
        print(f"outputs in {out}/")
    return 0


_OPTIONS = {"start": "--start", "signed": "--signed", "gw": "--gw", "years": "--years",
            "price_per_gw_year": "--price"}  # fmt: skip


def _reason(exc: Exception) -> str:
    """A validation error in terms of the command-line options."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors():
            field = str(err["loc"][-1]) if err["loc"] else ""
            msg = err["msg"].removeprefix("Value error, ")
            parts.append(f"{_OPTIONS.get(field, field)}: {msg}")
        return "; ".join(parts)
    if isinstance(exc, ScenarioError):
        return "; ".join(f"{f}: {m}" if f else m for f, m in exc.problems)
    return str(exc)
