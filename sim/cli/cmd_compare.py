"""``python -m sim compare A.yaml B.yaml ...``: key metrics side by side with 95% CIs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.analysis.compare import compare_results, compare_to_json, format_table, is_paired
from sim.model.engine import run
from sim.outputs import atomic_output_dir, write_json

from . import EXIT_CODES, UsageError
from .common import add_budget_args, check_budgets, progress_bar, scenario_from_args

HELP = """Runs every scenario and prints P(bankrupt), cumulative revenue, unserved demand,
equity value, compute cost and peak GW side by side, each with its difference against the
FIRST scenario and a 95% Monte Carlo confidence interval of that difference.

Intervals: when two scenarios share the seed and path count (pass --seed to force it),
path i of both uses the same random draws (common random numbers) and the difference is
estimated from the pairs: Newcombe's paired score interval for P(bankrupt), a paired
bootstrap for medians/means. Otherwise the runs are independent: Newcombe's two-sample
interval and an independent bootstrap ("(unpaired)" in the table; much wider).

With one SCENARIO and --vary KEY=V1,V2,... the variants of that scenario are compared
instead (e.g. --vary compute.lead_time_months=12,18): same seed, so every difference is
paired. Several --vary options form a grid.

Writes DIR/compare.csv (one row per metric and scenario) and DIR/compare.json atomically.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="compare scenarios side by side with confidence intervals",
        description=HELP,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                   help="scenario YAML files (2+; or 1 with --vary; none: the base scenario)")  # fmt: skip
    p.add_argument("--vary", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="compare variants of one scenario: a dotted key and its values "
                   "(the first value is the reference); repeat for a grid")  # fmt: skip
    p.add_argument("--paths", type=int, help="override simulation.paths for every scenario")
    p.add_argument(
        "--seed", type=int, help="override simulation.seed for every scenario (paired CIs)"
    )
    p.add_argument("--out", default="compare", help="output directory (default: compare)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_budget_args(p)
    p.set_defaults(func=main)


def _labels(names: list[str], files: list[str]) -> list[str]:
    """Scenario names, disambiguated by file name (then a number) when names repeat."""
    labels = [
        f"{n} ({Path(f).name})" if names.count(n) > 1 else n
        for n, f in zip(names, files, strict=True)
    ]
    return [lab if labels[:i].count(lab) == 0 else f"{lab} #{labels[:i].count(lab) + 1}"
            for i, lab in enumerate(labels)]  # fmt: skip


def main(args: argparse.Namespace) -> int:
    if args.paths is not None and args.paths < 2:
        raise UsageError(f"--paths must be at least 2, got {args.paths}")
    if args.vary:
        if len(args.scenarios) > 1:
            raise UsageError("--vary compares variants of ONE scenario; got "
                             f"{len(args.scenarios)} files")  # fmt: skip
        scenarios, names = _variants(args)
    else:
        if len(args.scenarios) < 2:
            raise UsageError("compare needs at least two scenario files (or one with --vary)")
        scenarios = [
            scenario_from_args(argparse.Namespace(scenario=f, paths=args.paths, seed=args.seed))
            for f in args.scenarios
        ]  # validate every file before running anything
        names = _labels([s.name for s in scenarios], args.scenarios)
    from sim.budget import run_size

    check_budgets(args, [run_size(s) for s in scenarios], what="this comparison")
    out = Path(args.out)
    with atomic_output_dir(out, "compare") as tmp:  # --out is checked before simulating
        results = []
        for s in scenarios:
            with progress_bar(s.simulation.paths, f"simulating {s.name}") as bar:
                results.append(run(s, progress=bar))
        table = compare_results(results, names)
        table.to_csv(tmp / "compare.csv", index=False)
        write_json(tmp / "compare.json", compare_to_json(table, results))
    if not args.quiet:
        print(format_table(table))
        if not all(is_paired(results[0], r) for r in results[1:]):
            print("note: some scenarios differ in seed or paths from the first, so their "
                  "differences are unpaired (wider CIs); pass --seed N for paired ones.")  # fmt: skip
        if (
            len({s.months for s in scenarios}) > 1
            or len({s.simulation.start for s in scenarios}) > 1
        ):
            print("warning: scenarios cover different horizons; cumulative metrics are not "
                  "like for like.", file=sys.stderr)  # fmt: skip
        print(f"outputs in {out}/")
    return 0


def _variants(args: argparse.Namespace) -> tuple[list, list[str]]:
    """The scenario (or base) under every combination of the --vary values, validated."""
    import itertools

    from sim.analysis.sweep import apply_cell
    from sim.errors import ScenarioError

    base = scenario_from_args(argparse.Namespace(
        scenario=args.scenarios[0] if args.scenarios else None, paths=args.paths, seed=args.seed
    ))  # fmt: skip
    axes: dict[str, list] = {}
    for spec in args.vary:
        key, sep, values = spec.partition("=")
        items = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not key.strip() or not items:
            raise UsageError(f"--vary {spec!r}: expected KEY=V1,V2,... (e.g. "
                             "compute.lead_time_months=12,18)")  # fmt: skip
        if key.strip() in axes:
            raise UsageError(f"--vary {key.strip()} is given twice")
        axes[key.strip()] = [_scalar(v) for v in items]
    scenarios, names = [], []
    for combo in itertools.product(*axes.values()):
        cell = dict(zip(axes, combo, strict=True))
        try:
            scenarios.append(apply_cell(base, cell, "--vary"))
        except ScenarioError as exc:
            raise UsageError("; ".join(f"--vary {f}: {m}" for f, m in exc.problems)) from None
        names.append(", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in cell.items()))
    if len(scenarios) < 2:
        raise UsageError("--vary needs at least two values in all to compare")
    return scenarios, names


def _scalar(text: str) -> object:
    """A --vary value: an int, a float, true/false/null, else the text."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none"):
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text
