"""``python -m sim discover [SCENARIO]``: which worlds ruin us (PRIM boxes, CART cross-check,
signposts and their measured effect)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.outputs import atomic_output_dir, usd, write_json

from . import EXIT_CODES, UsageError
from .cmd_sweep import add_parallel_args, check_parallel_args
from .common import add_scenario_args, progress_bar, scenario_from_args

DEFAULT_MAX_PATHS = 10_000
"""Default worlds: the scenario's paths, at most this many (PRIM's cost grows with them)."""

DESCRIPTION = """\
Scenario discovery on one run: every path is a world with its own draws of every uncertain
input. PRIM (EMA Workbench) finds boxes over the inputs that vary, in which the target
outcome concentrates; demand.growth is each path's geometric-mean growth over the horizon.
The box reported first has the highest coverage (share of all target worlds inside it)
among those with density (share of the box's worlds with the target) >= --min-density; a
CART tree is the cross-check.

Signposts: for the first box, thresholds on what a lab observes by 12, 18 and 24 months
after the start (demand growth so far, realized inference margin) that separate ruin from
safety, printed as a policy.signpost snippet; their effect on P(bankrupt), median revenue
and equity value (cut orders by 50% / 100% when they trip) is measured on fresh paths
(seed + 1), unless --no-effect."""

OUTPUTS = """outputs (written atomically into DIR):
  DIR/discovery.json    target, p_target, boxes (coverage, density, mass, limits of the
                        restricted inputs only), sentences, CART box, signposts, effect
  DIR/worlds.parquet    per-path inputs searched, the target flag and box membership
  DIR/discovery.html    trade-off chart, box chart, signposts (self-contained)
  DIR/discovery.md      the same as Markdown, figures in DIR/figures/*.png

"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "discover",
        help="which worlds ruin us: PRIM boxes over the per-path inputs, signposts",
        description=DESCRIPTION,
        epilog=OUTPUTS + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scenario_args(p)
    p.add_argument("--target", default="bankrupt", choices=["bankrupt", "low_revenue"],
                   help="bankrupt (horizon or run-off, default) or low_revenue")  # fmt: skip
    p.add_argument("--revenue-below", type=float, metavar="USD",
                   help="low_revenue: cumulative revenue over the horizon below this "
                   "(default: its 20th percentile in this run)")  # fmt: skip
    p.add_argument("--min-density", type=float, default=0.8,
                   help="density the first box must reach (default 0.8)")  # fmt: skip
    p.add_argument("--max-boxes", type=int, default=3, help="most boxes reported (default 3)")
    p.add_argument("--signpost-density", type=float,
                   help="density a signpost must reach (default: --min-density)")  # fmt: skip
    p.add_argument("--no-effect", action="store_true",
                   help="do not measure the signposts' effect (saves the extra runs)")  # fmt: skip
    p.add_argument("--out", default="results/discover", help="output directory")
    add_parallel_args(p)
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    check_parallel_args(args)
    for name in ("min_density", "signpost_density"):
        v = getattr(args, name)
        if v is not None and not 0 < v <= 1:
            raise UsageError(f"--{name.replace('_', '-')} must lie in (0, 1], got {v}")
    if args.max_boxes < 1:
        raise UsageError(f"--max-boxes must be at least 1, got {args.max_boxes}")
    scenario = scenario_from_args(args)
    if args.paths is None:
        scenario = scenario.replace(**{
            "simulation.paths": min(scenario.simulation.paths, DEFAULT_MAX_PATHS)
        })  # fmt: skip
    from sim.analysis.discover import SIGNPOST_CUTS
    from sim.budget import run_size

    from .cmd_sweep import check_parallel_budgets

    # the main run, then at most max_boxes signposts x cuts (+ a baseline) on fresh paths
    extra = 0 if args.no_effect else 1 + args.max_boxes * len(SIGNPOST_CUTS)
    runs = [run_size(scenario)] * (1 + extra)
    check_parallel_budgets(args, runs, "this discovery")
    out = Path(args.out)
    with atomic_output_dir(out, "discover") as tmp:  # --out is checked before any run
        report = discover_report(scenario, args)
        _write(tmp, report)
    if not args.quiet:
        print_report(report, out)
    return 0


def discover_report(scenario: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Run, discover, find signposts and measure them; everything the outputs need."""
    import time

    from sim.analysis.discover import (
        discover,
        find_signposts,
        recommended,
        signpost_effect,
        target_worlds,
        world_inputs,
    )
    from sim.analysis.parallel import client_for, map_blocks_for
    from sim.model.engine import run

    t0 = time.perf_counter()
    n = scenario.simulation.paths
    with client_for(args.workers, args.scheduler) as client:
        with progress_bar(n, f"discover {scenario.name}") as bar:
            results = run(scenario, monthly_paths=0, progress=bar,
                          map_blocks=map_blocks_for(client))  # fmt: skip
        d = discover(results, args.target, min_density=args.min_density,
                     max_boxes=args.max_boxes, revenue_below=args.revenue_below)  # fmt: skip
        signposts = find_signposts(results, d, min_density=args.signpost_density)
        best = recommended(signposts)
        effect: Any = None
        if signposts and not args.no_effect:
            from sim.analysis.discover import SIGNPOST_CUTS

            runs = 1 + len(signposts) * len(SIGNPOST_CUTS)
            with progress_bar(runs, "signpost effect", unit="run") as bar:
                effect = signpost_effect(scenario, signposts, paths=n,
                                         seed=scenario.simulation.seed + 1, client=client,
                                         progress=bar)  # fmt: skip
    report: dict[str, Any] = {**d.to_json(), "elapsed_s": time.perf_counter() - t0}
    report["signposts"] = [s.to_json() for s in signposts]
    if best is not None:
        report["recommended_signpost"] = best.to_json()
        report["signpost_yaml"] = best.yaml()
    else:
        report["signpost_note"] = _no_signpost(d)
    if effect is not None:
        report["signpost_effect"] = (
            effect if isinstance(effect, str)
            else {"paths": n, "seed": scenario.simulation.seed + 1,
                  "rows": effect.reset_index().to_dict(orient="records")}
        )  # fmt: skip
    x = world_inputs(results, d.growth_window_years or None)
    x["target"] = target_worlds(results, args.target, d.revenue_below)[0]
    for i, box in enumerate(d.boxes, 1):
        x[f"in_box_{i}"] = box.contains(x)
    x.insert(0, "path", range(len(x)))
    return {"json": report, "discovery": d, "signposts": signposts, "effect": effect,
            "worlds": x}  # fmt: skip


def _no_signpost(d: Any) -> str:
    if not d.boxes:
        return "no box, so no signpost"
    if not d.boxes[0].limits:
        return ("the first box restricts no input (the target is common everywhere), so no "
                "observable separates it; raise --min-density for a tighter box")  # fmt: skip
    return ("no threshold on demand growth seen so far or on the realized margin separates the "
            "target worlds by the signpost dates")  # fmt: skip


def _write(tmp: Path, report: dict[str, Any]) -> None:
    """Every output into the scratch directory ``tmp`` (swapped in as one unit)."""
    from sim.reports.discovery import render_html, render_markdown, write_figures

    d, sps, effect = report["discovery"], report["signposts"], report["effect"]
    write_json(tmp / "discovery.json", report["json"])
    report["worlds"].to_parquet(tmp / "worlds.parquet", index=False)
    (tmp / "discovery.html").write_text(render_html(report["json"], d, sps, effect),
                                        encoding="utf-8")  # fmt: skip
    write_figures(d, tmp / "figures")
    (tmp / "discovery.md").write_text(render_markdown(report["json"], d, sps, effect),
                                      encoding="utf-8")  # fmt: skip


def print_report(report: dict[str, Any], out: Path) -> None:
    from sim.analysis.discover import describe

    d = report["discovery"]
    j = report["json"]
    what = d.target_words
    if d.revenue_below is not None:
        what += f" (cumulative revenue over the horizon below {usd(d.revenue_below)})"
    print(f"scenario {d.scenario!r}: {d.paths:,} worlds (seed {d.seed}); {what} in "
          f"{d.p_target:.1%} of them")  # fmt: skip
    print(f"inputs searched: {', '.join(d.inputs) or 'none'}")
    if d.note:
        print(d.note)
    for i, s in enumerate(d.sentences(), 1):
        print(f"  box {i}: {s}")
    if d.boxes and not d.reached:
        print(f"  (no box reaches density {d.min_density:.0%}: box 1 is the densest one PRIM "
              "found)")  # fmt: skip
    if d.cart is not None:
        print(f"  CART cross-check: {describe(d.cart, d.target_words)}")
    if d.escape is not None and d.escape.boxes:
        print(f"  {d.target_words} is the common outcome; the worlds that escape it: "
              f"{d.escape.sentences()[0]}")  # fmt: skip
    sps = report["signposts"]
    if sps:
        print(f"signposts (what a lab sees by a date, and thresholds that separate "
              f"{d.target_words} from the rest):")  # fmt: skip
        for sp in sps:
            print(f"  {sp.sentence(d.target_words)}")
            if sp.false_alarm > 0.5:
                print("    (it trips in most of the other worlds too: it says little more than "
                      f"'{d.target_words} is likely anyway')")  # fmt: skip
        print("paste into the scenario (cut: share of each later order not placed):")
        print("  " + j["signpost_yaml"].replace("\n", "\n  "))
    else:
        print(f"signposts: {j.get('signpost_note', 'none')}")
    effect = report["effect"]
    if isinstance(effect, str):
        print(f"signpost effect: {effect}")
    elif effect is not None:
        print(f"effect on {effect.attrs['paths']:,} fresh paths (seed {effect.attrs['seed']}), "
              "same worlds in every row:")  # fmt: skip
        print(f"  {'policy':<24}{'P(bankrupt)':>12}{'change (95% CI)':>28}{'median revenue':>16}"
              f"{'mean equity':>13}{'change':>10}{'tripped':>9}")  # fmt: skip
        for name, r in effect.iterrows():
            ci = (f"{100 * r.d_p_bankrupt:+.2f}pp ({100 * r.d_p_bankrupt_lo:+.2f} to "
                  f"{100 * r.d_p_bankrupt_hi:+.2f})")  # fmt: skip
            print(f"  {name:<24}{r.p_bankrupt:>12.2%}{ci:>28}{usd(r.cum_revenue_p50):>16}"
                  f"{usd(r.equity_value_mean):>13}{usd(r.d_equity_value_mean):>10}"
                  f"{r.tripped:>9.1%}")  # fmt: skip
    print(f"({j['elapsed_s']:.1f} s); outputs in {out}/ (discovery.json, discovery.html, "
          "discovery.md, worlds.parquet)", file=sys.stdout)  # fmt: skip
