"""``python -m sim slip``: the build-slip distribution and its effect on P(bankrupt)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.outputs import atomic_output_dir, usd, write_json

from . import EXIT_CODES, UsageError
from .common import add_budget_args, check_budgets, scenario_from_args

if TYPE_CHECKING:
    import pandas as pd

    from sim.model.scenario import Scenario

DESCRIPTION = """\
Build-out slip of a scenario with a build pipeline (`compute.build`, e.g.
scenarios/build_slip.yaml) and its effect on risk.

Prints the distribution of slip per project [months] that the SimPy pipeline model gives
(pooled over `compute.build.replications` runs of a representative order stream), both as
simulated and as the whole months the engine draws, then runs the scenario twice on the
same paths and draws (common random numbers), with the pipeline off and on, and compares
P(bankrupt) with its 95% Wilson interval, unserved demand and median cumulative revenue.

A slipped contract is also paid from its later start, so slip delays commitments as well
as capacity: it raises unserved demand but can lower P(bankrupt) by the horizon."""

OUTPUTS = """outputs (written atomically into DIR):
  DIR/slip.json          slip quantiles (simulated and whole months), whole-month
                         distribution, and the off/on comparison
  DIR/slip_effect.csv    the off/on comparison table (one row per case)

"""

DEFAULT_MAX_PATHS = 4000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "slip",
        help="build-slip distribution and its effect on P(bankrupt)",
        description=DESCRIPTION,
        epilog=OUTPUTS + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "scenario",
        nargs="?",
        help="scenario YAML file with a compute.build block "
        "(default: the embedded base scenario, which has none)",
    )
    p.add_argument(
        "--paths",
        type=int,
        help="paths of each run of the off/on comparison "
        f"(default: min(simulation.paths, {DEFAULT_MAX_PATHS}))",
    )
    p.add_argument(
        "--seed", type=int, help="override simulation.seed (slip distribution and both runs)"
    )
    p.add_argument("--out", default="results", help="output directory (default: results)")
    add_budget_args(p)
    p.set_defaults(func=main)


def slip_report(scenario: Scenario, paths: int) -> tuple[dict[str, Any], pd.DataFrame]:
    """(contents of ``slip.json``, off/on table of :func:`sim.build.slip_effect.slip_effect`)."""
    from sim.reports.frames import slip_effect_frame, slip_frames

    frames = slip_frames(scenario)
    if frames is None:
        raise ValueError("scenario has no compute.build")
    pmf = frames["slip_months"]
    seed = scenario.simulation.seed
    effect = slip_effect_frame(scenario, paths, seed)
    spec = scenario.compute.build
    report = {
        "scenario": scenario.name,
        "seed": seed,
        "build": spec.model_dump(exclude_none=True) if spec else None,
        "slip_samples": int(pmf["projects"].sum()),
        "slip_months": frames["slip_quantiles"].to_dict(),
        "whole_month_share": {str(m): float(v) for m, v in pmf["share"].items() if v > 0},
        "effect_paths": paths,
        "effect": effect.to_dict(orient="index"),
    }
    return report, effect


def main(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    if scenario.compute.build is None:
        where = args.scenario or "the embedded base scenario"
        raise UsageError(
            f"{where}: no build pipeline (`compute.build` is not set), so there is no slip "
            "to report; add a `compute.build` block (see scenarios/build_slip.yaml)"
        )
    paths = (
        scenario.simulation.paths
        if args.paths is not None
        else min(scenario.simulation.paths, DEFAULT_MAX_PATHS)
    )
    from sim.budget import run_size

    check_budgets(args, [run_size(scenario, paths)] * 2, what="this off/on comparison")
    out = Path(args.out)
    with atomic_output_dir(out, "slip") as tmp:  # --out is checked before simulating
        report, effect = slip_report(scenario, paths)
        write_json(tmp / "slip.json", report)
        effect.to_csv(tmp / "slip_effect.csv", index_label="pipeline")
    print_report(report, out)
    return 0


def print_report(report: dict[str, Any], out: Path) -> None:
    spec = report["build"]
    print(
        f"scenario {report['scenario']!r}, seed {report['seed']}: slip per project beyond "
        f"{spec['planned_months']:g} planned months, {spec['replications']:,} SimPy "
        f"replications ({report['slip_samples']:,} projects)"
    )
    q = report["slip_months"]
    stats = ["q05", "q25", "q50", "q75", "q95", "mean"]
    print(f"{'slip [months]':<16}" + "".join(f"{s:>7}" for s in stats) + f"{'P(slip>0)':>11}")
    for col, label in (("simulated", "simulated"), ("whole_months", "whole months")):
        row = q[col]
        print(
            f"{label:<16}"
            + "".join(f"{row[s]:>7.2f}" for s in stats)
            + f"{row['p_slip_positive']:>11.1%}"
        )
    n = report["effect_paths"]
    print(f"effect on risk: same {n:,} paths and draws, pipeline off vs on")
    print(
        f"{'pipeline':<9}{'P(bankrupt)':>12}{'95% CI':>16}{'unserved':>10}"
        f"{'cum revenue P50':>17}{'mean GW':>9}{'mean slip':>11}"
    )
    for case, r in report["effect"].items():
        ci = f"{r['p_bankrupt_lo']:.1%}-{r['p_bankrupt_hi']:.1%}"
        print(
            f"{case:<9}{r['p_bankrupt']:>12.1%}{ci:>16}{r['unserved_share']:>10.1%}"
            f"{usd(r['cum_revenue_p50']):>17}{r['mean_capacity_gw']:>9.1f}"
            f"{r['mean_slip_months']:>11.2f}"
        )
    d = report["effect"]["on"]["p_bankrupt"] - report["effect"]["off"]["p_bankrupt"]
    print(f"slip changes P(bankrupt by end) by {100 * d:+.1f} percentage points")
    print(f"outputs in {out}/ (slip.json, slip_effect.csv)")
