"""``python -m sim voi [SCENARIO]``: what knowing a parameter, or waiting, is worth for the
purchase decision (EVPI, cross-fitted)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.outputs import atomic_output_dir, usd, write_json

from . import EXIT_CODES, UsageError
from .cmd_sweep import add_parallel_args, check_parallel_args
from .common import add_scenario_args, progress_bar, scenario_from_args

DEFAULT_MAX_PATHS = 10_000

DESCRIPTION = """\
Expected value of perfect information (EVPI) about one parameter for the purchase decision.
Each candidate policy runs on the same paths (common random numbers). Worlds are bucketed
by the parameter's per-path value (demand.growth: the path's geometric-mean growth); with
information the lab runs the best candidate of its bucket, without it the best single
candidate. Choices are made on one half of the paths and judged on the other (and vice
versa), so noise does not masquerade as value. Values are mean equity value net of
obligations still owed (0 if bankrupt); P(bankrupt) of the chosen policies is shown too.
A parameter that takes one value on every path has EVPI 0.

--wait N: the same candidates with the first order N months later (later reviews keep their
calendar); the waiting lab picks its candidate from the demand growth seen by then. Prints
the value of waiting, split into the effect of the delay alone and the value of choosing by
what was seen, and what ordering late costs."""

OUTPUTS = """outputs (written atomically into DIR):
  DIR/voi.json          evpi [USD], evpi_se, evpi_share (of the value without information),
                        best policy overall and per bucket, candidates, wait analysis
  DIR/voi_buckets.csv   best candidate per bucket of the parameter

"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "voi",
        help="value of information: what knowing a parameter (or waiting) is worth",
        description=DESCRIPTION,
        epilog=OUTPUTS + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scenario_args(p)
    p.add_argument("--param", default="demand.growth",
                   help="dotted parameter to learn about (default demand.growth)")  # fmt: skip
    p.add_argument("--candidates", action="append", metavar="KEY=V1,V2,...",
                   help="candidate policies, e.g. policy.planned_growth=2,3,4,6,10 (the "
                   "default); repeat for a grid")  # fmt: skip
    p.add_argument("--buckets", type=int, default=5,
                   help="quantile buckets of the parameter (default 5)")  # fmt: skip
    p.add_argument("--wait", type=int, metavar="N",
                   help="also value waiting N months before ordering")  # fmt: skip
    p.add_argument("--out", default="results/voi", help="output directory")
    add_parallel_args(p)
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.analysis.voi import parse_candidates, value_of_information
    from sim.errors import ScenarioError

    check_parallel_args(args)
    if args.buckets < 1:
        raise UsageError(f"--buckets must be at least 1, got {args.buckets}")
    if args.wait is not None and args.wait < 1:
        raise UsageError(f"--wait must be at least 1 month, got {args.wait}")
    try:
        axes = parse_candidates(args.candidates)
    except ValueError as exc:
        raise UsageError(f"--candidates: {exc}") from None
    scenario = scenario_from_args(args)
    if args.paths is None:
        scenario = scenario.replace(**{
            "simulation.paths": min(scenario.simulation.paths, DEFAULT_MAX_PATHS)
        })  # fmt: skip
    from sim.analysis.parallel import client_for
    from sim.analysis.voi import candidate_cells
    from sim.budget import run_size

    from .cmd_sweep import check_parallel_budgets

    runs = len(candidate_cells(scenario, axes)) * (2 if args.wait else 1)
    check_parallel_budgets(args, [run_size(scenario)] * runs, "this value-of-information run")
    out = Path(args.out)
    with atomic_output_dir(out, "voi") as tmp:  # --out is checked before any run
        try:
            with (
                client_for(args.workers, args.scheduler) as client,
                progress_bar(runs, f"voi {scenario.name}", unit="run") as bar,
            ):
                v = value_of_information(scenario, args.param, axes, buckets=args.buckets,
                                         wait_months=args.wait, client=client,
                                         progress=bar)  # fmt: skip
        except KeyError as exc:
            raise UsageError(f"--param: {exc.args[0]}") from None
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        except ScenarioError:
            raise
        report = v.to_json()
        write_json(tmp / "voi.json", report)
        v.buckets.to_csv(tmp / "voi_buckets.csv", index=False)
    if not args.quiet:
        print_report(report, v, out)
    return 0


def print_report(j: dict[str, Any], v: Any, out: Path) -> None:
    print(f"scenario {j['scenario']!r}: {j['paths']:,} paths (seed {j['seed']}), same worlds for "
          f"every candidate; value = mean equity value net of obligations (0 if bankrupt)")  # fmt: skip
    print(f"{'candidate':<28}{'mean value':>12}{'P(bankrupt)':>13}{'median revenue':>16}")
    for name, r in v.candidates.iterrows():
        star = " *" if name == j["best_policy"] else ""
        print(f"{name + star:<28}{usd(r.equity_value_mean):>12}{r.p_bankrupt:>13.1%}"
              f"{usd(r.cum_revenue_p50):>16}")  # fmt: skip
    print(f"* best single candidate: {j['best_policy']}")
    print(f"knowing {j['param']} (by bucket):")
    print(f"  {'bucket':<24}{'worlds':>7}  {'best candidate':<24}{'value':>10}{'P(bankrupt)':>13}"
          f"{'halves agree':>14}")  # fmt: skip
    from sim.analysis.discover import fmt_value

    for r in j["best_per_bucket"]:
        rng = f"{fmt_value(j['param'], r['lo'])} - {fmt_value(j['param'], r['hi'])}"
        print(f"  {rng:<24}{r['worlds']:>7}  {r['best']:<24}{usd(r['equity_value_mean']):>10}"
              f"{r['p_bankrupt']:>13.1%}{'yes' if r['halves_agree'] else 'no':>14}")  # fmt: skip
    for note in j["notes"]:
        print(note)
    share = j["evpi_share"]
    print(f"EVPI of {j['param']}: {usd(j['evpi'])} (+/- {usd(1.96 * j['evpi_se'])}, 95%), "
          f"{share:.2%} of the value without information ({usd(j['value_without_info'])}); "
          "choices cross-fitted on two halves of the paths")  # fmt: skip
    print(f"P(bankrupt) of the policies chosen: {j['p_bankrupt_without_info']:.1%} without the "
          f"information, {j['p_bankrupt_with_info']:.1%} with it")  # fmt: skip
    w = j.get("wait")
    if w:
        print(f"waiting {w['months']} months (first order {w['months']} months later, "
              f"candidate picked from the {w['observed']}):")  # fmt: skip
        for line in w["costs"]:
            print(f"  - {line}")
        ci = lambda k: f"{usd(w[k])} (+/- {usd(1.96 * w[k + '_se'])})"  # noqa: E731
        print(f"  value of waiting: {ci('value_of_waiting')} = choosing by what is seen "
              f"{ci('value_of_information_seen')} + the delay alone (same plan, first order "
              f"later) {ci('delay_effect')}")  # fmt: skip
        print(f"  P(bankrupt): {w['p_bankrupt_commit_now']:.1%} committing now ("
              f"{w['best_now']}), {w['p_bankrupt_wait_informed']:.1%} waiting and choosing "
              "by what is seen")  # fmt: skip
    print(f"({j['elapsed_s']:.1f} s); outputs in {out}/ (voi.json, voi_buckets.csv)")
