"""``python -m sim run``: simulate a scenario, print key numbers, write outputs."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.model.engine import MONTHLY_PATHS, run
from sim.model.summary import by_year, runoff_by_year, summarize, truncation_warnings
from sim.model.timeline import after_horizon_notes
from sim.outputs import atomic_output_dir, finite_frame, usd, write_json

from . import EXIT_CODES
from .common import (
    add_budget_args,
    add_scenario_args,
    check_budgets,
    progress_bar,
    scenario_from_args,
)

FORMATS = ("json", "csv", "parquet", "html", "md")
FORMAT_HELP = """output formats (--format, comma-separated; default: all):
  json     DIR/summary.json: key numbers, P(bankrupt) with 95% CI, per-year table
  csv      DIR/by_year.csv, DIR/runoff_by_year.csv and DIR/paths.csv (one row per path)
  parquet  DIR/by_year.parquet, DIR/paths.parquet, DIR/yearly_by_path.parquet
  html     DIR/report.html: self-contained interactive report (charts, tables, assumptions)
  md       DIR/report.md with PNG charts in DIR/figures/

"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="simulate a scenario and write a report",
        description="Simulate a scenario (default: embedded base) and write DIR/summary.json, "
        "per-year tables (CSV/Parquet) and per-path outcomes.",
        epilog=FORMAT_HELP + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scenario_args(p)
    p.add_argument("--out", default="results", help="output directory (default: results)")
    p.add_argument(
        "--format",
        default=",".join(FORMATS),
        help=f"comma-separated outputs among {', '.join(FORMATS)} (default: all)",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_budget_args(p)
    p.set_defaults(func=main)


def parse_formats(text: str, allowed: tuple[str, ...]) -> list[str]:
    from . import UsageError

    chosen = [f.strip() for f in text.split(",") if f.strip()]
    bad = [f for f in chosen if f not in allowed]
    if bad or not chosen:
        raise UsageError(f"--format: unknown {bad or text!r}; allowed: {', '.join(allowed)}")
    return chosen


def monthly_paths(formats: list[str]) -> int:
    """Paths with month-by-month records a run writing ``formats`` needs: they feed only the
    reports' fan charts (~57 MB and ~10% of the simulation time at 2,000 paths of base)."""
    return MONTHLY_PATHS if "html" in formats or "md" in formats else 0


def _pct(x: float | None, digits: int) -> str:
    """A share as a percentage; 'n/a' for an undefined statistic (every path bankrupt)."""
    return "n/a" if x is None or x != x else f"{x:.{digits}%}"


def print_summary(summary: dict, out: Path | None) -> None:
    rows = summary["by_year"]
    print(f"scenario {summary['scenario']!r}: {summary['paths']:,} paths, seed {summary['seed']}")
    if summary.get("description"):
        print(f"  {summary['description']}")
    lo, hi = summary["p_bankrupt_ci95"]
    h_lo, h_hi = summary["p_bankrupt_in_horizon_ci95"]
    last_year = rows[-1]["year"] if rows else "?"
    print(
        f"P(bankrupt by end) = {summary['p_bankrupt']:.1%}  (95% CI {lo:.1%}-{hi:.1%}), "
        f"including the {summary['runoff_months']}-month run-off after the horizon"
    )
    print(
        f"P(bankrupt) within the horizon (to {last_year}) = "
        f"{summary['p_bankrupt_in_horizon']:.1%}  (95% CI {h_lo:.1%}-{h_hi:.1%})"
    )
    if summary.get("obligations_at_end_p50") is not None:
        print(
            "take-or-pay still owed at the end of the horizon (solvent paths): median "
            f"{usd(summary['obligations_at_end_p50'])}, P90 {usd(summary['obligations_at_end_p90'])}"
        )
    print(
        f"cumulative revenue: median {usd(summary['cum_revenue_p50'])}, "
        f"P90 {usd(summary['cum_revenue_p90'])}; "
        f"unserved demand {summary['unserved_share_of_demand']:.1%} of potential"
    )
    header = f"{'year':>6} {'revenue P5':>11} {'P50':>9} {'P95':>9} {'demand P50':>11} " \
             f"{'GW P50':>8} {'compute P50':>12} {'train%':>7} {'unserved':>9} {'cash P50':>10} {'P(bust)':>8}"  # fmt: skip
    print(header)
    for r in rows:
        print(
            f"{r['year']:>6} {usd(r['revenue_p5']):>11} {usd(r['revenue_p50']):>9} "
            f"{usd(r['revenue_p95']):>9} {usd(r['demand_p50']):>11} {r['capacity_gw_p50']:>8.1f} "
            f"{usd(r['compute_cost_p50']):>12} {_pct(r['training_share_p50'], 0):>7} "
            f"{_pct(r['unserved_share_mean'], 1):>9} {usd(r['cash_p50']):>10} {r['p_bankrupt']:>8.1%}"
        )
    if summary.get("lost_to_rivals_share") is not None:
        print_market(summary)
    print(f"({summary['elapsed_s']:.2f} s)" + (f"; outputs in {out}/" if out else ""))


def print_market(summary: dict) -> None:
    """The market lines of a run with a ``market:`` section: the split of unserved demand,
    prices, shares and GW by year, and the valuation method."""
    print(
        f"market: of the lab's potential demand, {summary['lost_to_rivals_share']:.1%} went to "
        f"rivals and {summary['unserved_by_market_share']:.1%} was unserved by anyone; "
        f"orders cut by supply rationing: {summary['rationed_gw_mean']:.3g} GW on average"
    )
    print(f"equity value P50 {usd(summary['equity_value_p50'])} ({summary['equity_value_method']})")
    print(f"{'year':>6} {'market P50':>11} {'share':>6} {'rivals GW':>10} {'supply GW':>10} "
          f"{'contract $/GW-yr':>17} {'spot $/GW-yr':>13} {'to rivals':>10} {'by nobody':>10}")  # fmt: skip
    for r in summary["by_year"]:
        print(
            f"{r['year']:>6} {usd(r['market_demand_p50']):>11} {_pct(r['market_share_p50'], 0):>6} "
            f"{r['rivals_capacity_gw_p50']:>10.1f} {r['industry_capacity_gw_p50']:>10.1f} "
            f"{usd(r['contract_price_p50']):>17} {usd(r['spot_price_p50']):>13} "
            f"{_pct(r['lost_to_rivals_share_mean'], 1):>10} "
            f"{_pct(r['unserved_by_market_share_mean'], 1):>10}"
        )


def main(args: argparse.Namespace) -> int:
    formats = parse_formats(args.format, FORMATS)
    scenario = scenario_from_args(args)
    import os

    from sim.budget import run_size

    size = run_size(scenario, threads=os.cpu_count() or 2)
    if scenario.actuals is not None:  # the candidates up to as_of, then the posterior
        from .common import update_runs

        check_budgets(args, update_runs(scenario)[:2])
    else:
        check_budgets(args, [size])
    for line in after_horizon_notes(scenario):
        print(line, file=sys.stderr)
    files = ("csv" in formats) * 2 + ("parquet" in formats)  # text takes ~2x the bytes
    out = Path(args.out)
    reports = "html" in formats or "md" in formats
    early = reports and not args.quiet  # key numbers printed before the reports are written
    with atomic_output_dir(out, "run", need_bytes=files * size.output_bytes) as tmp:
        worker = decision = html_worker = None
        if reports:
            from sim.reports import ReportWorker

            if ReportWorker.available():  # fork now, before the simulation's threads exist
                html_worker = ReportWorker("html") if "html" in formats else None
                worker = ReportWorker("md") if "md" in formats else None
        try:
            with progress_bar(scenario.simulation.paths, f"simulating {scenario.name}") as bar:
                results = run(scenario, progress=bar, monthly_paths=monthly_paths(formats))
            if reports:
                from sim.reports import start_decision

                decision = start_decision(results)  # the plan search, on the other core
            summary = summarize(results)
            for line in (results.conditioning or {}).get("warnings", []):
                print(f"warning: {line}", file=sys.stderr)
            for line in truncation_warnings(summary):
                print(line, file=sys.stderr)
            if early:  # the numbers now: the reports take a few seconds more
                print_summary(summary, None)
                print(f"writing the reports to {out}/ ...", flush=True)
            t_write = time.perf_counter()
            write_outputs(results, summary, tmp, formats, worker, decision, html_worker)
        finally:
            for side in (worker, html_worker, decision):
                if side is not None:
                    side.cancel()
    if early:
        print(f"outputs in {out}/ (reports and tables written in "
              f"{time.perf_counter() - t_write:.2f} s)")  # fmt: skip
    elif not args.quiet:
        print_summary(summary, out)
    return 0


def write_outputs(results, summary: dict, out: Path, formats: list[str], worker=None,  # type: ignore[no-untyped-def]
                  decision=None, html_worker=None) -> None:  # fmt: skip
    """Write the chosen formats into ``out`` (a scratch directory); ``worker``,
    ``decision`` and ``html_worker``: see :class:`sim.reports.ReportJob`.

    ``paths.*`` carry every path's outcomes and sampled parameters (dotted names); runs
    spilled to disk (more than 100,000 paths) are written chunk by chunk.
    """
    job = None
    if "html" in formats or "md" in formats:
        from sim.reports import ReportJob

        job = ReportJob(results, summary, out, formats, worker, decision, html_worker)
    if "json" in formats:
        write_json(out / "summary.json", summary)
    if "csv" in formats or "parquet" in formats:  # pandas only for these tables
        table = finite_frame(by_year(results))
    if "csv" in formats:
        table.to_csv(out / "by_year.csv", index=False)
        finite_frame(runoff_by_year(results)).to_csv(out / "runoff_by_year.csv", index=False)
    if "parquet" in formats:
        table.to_parquet(out / "by_year.parquet", index=False)
    if "csv" in formats:
        results.write_paths(out / "paths.csv", "csv")
    if "parquet" in formats:
        results.write_paths(out / "paths.parquet", "parquet")
        results.write_yearly(out / "yearly_by_path.parquet")
    if job is not None:
        job.finish()
