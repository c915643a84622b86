"""``python -m sim bench``: engine throughput in path-months per second."""

from __future__ import annotations

import argparse
import time

from sim.analysis.bench import bench_engine

from .common import add_scenario_args, scenario_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure engine speed", description=__doc__)
    add_scenario_args(p)
    p.add_argument("--repeat", type=int, default=5, help="timed repetitions (default 5)")
    p.add_argument(
        "--startup-repeat",
        type=int,
        default=3,
        help="fresh `run --format json` processes timed for the start-up split (default 3; "
        "0: skip)",
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    t0 = time.perf_counter()
    report = bench_engine(scenario, repeat=args.repeat, startup_of=args.scenario,
                          startup_repeat=args.startup_repeat)  # fmt: skip
    for line in report.lines():
        print(line)
    print(f"(bench took {time.perf_counter() - t0:.1f} s)")
    return 0
