"""The speed issue's figures for two checkouts, measured alternately on this machine.

A machine's speed drifts (the same commit can run 2x slower on another day), so a figure is
only worth comparing with another measured beside it: this script runs each command of
BEFORE and AFTER in turn (A B, then B A, ...) and prints medians, ranges and the median of
the per-pair ratios after / before.

    python scripts/ab_speed.py BEFORE_DIR AFTER_DIR [--pairs 6] [--figures json,every,sweep]
    git worktree add --detach /tmp/before <commit>   # a checkout of an older commit

Both run with this interpreter (so the same locked packages), with PYTHONPATH set to their
directory and bytecode cached as on a user's machine. Each command runs once untimed per
checkout first (a cold kernel cache compiles then). Figures:

- ``json``: wall and CPU of ``python -m sim run SCENARIO --format json`` [s];
- ``every``: the same with every output format (HTML, Markdown, csv, parquet) [s];
- ``sweep``: wall of ``python -m sim bench-sweep SCENARIO`` (20 x 20 cells x 2,000 paths) [s];
- ``kernel``: engine / kernel ratio of ``python -m sim bench SCENARIO --repeat 9`` on one
  thread (``NUMBA_NUM_THREADS=1``) [x].
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

FIGURES = ("json", "every", "sweep", "kernel")
KERNEL_RATIO = re.compile(r"engine / kernel = ([0-9.]+)x")


def order(pairs: int) -> list[tuple[str, str]]:
    """Which side runs first in each pair: before/after, then after/before, and so on."""
    return [("before", "after") if i % 2 == 0 else ("after", "before") for i in range(pairs)]


def command(figure: str, scenario: str, out: str) -> tuple[list[str], dict[str, str]]:
    """The ``python -m sim`` arguments and extra environment of one figure."""
    if figure == "json":
        return ["run", scenario, "--format", "json", "--out", out, "--quiet"], {}
    if figure == "every":
        return ["run", scenario, "--out", out, "--quiet"], {}
    if figure == "sweep":
        return ["bench-sweep", scenario], {}
    if figure == "kernel":
        return ["bench", scenario, "--repeat", "9"], {"NUMBA_NUM_THREADS": "1"}
    raise ValueError(f"figure {figure!r}: one of {', '.join(FIGURES)}")


def kernel_ratio(text: str) -> float:
    """The ``engine / kernel = N.NNx`` figure of ``sim bench``'s output (NaN if absent)."""
    found = KERNEL_RATIO.search(text)
    return float(found.group(1)) if found else float("nan")


def measure(checkout: str, figure: str, scenario: str) -> tuple[float, float]:
    """One run of ``figure`` in ``checkout``: (the figure, CPU of the process and its
    children [s])."""
    out = tempfile.mkdtemp(prefix="ab_speed_")
    shutil.rmtree(out)
    args, env = command(figure, scenario, out)
    env = {**os.environ, **env, "PYTHONPATH": checkout}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sim", *args], cwd=checkout, env=env,
                          capture_output=True, text=True)  # fmt: skip
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(out, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: sim {' '.join(args)} exited {done.returncode}:\n"
                         f"{done.stderr[-2000:]}")  # fmt: skip
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return (kernel_ratio(done.stdout) if figure == "kernel" else wall), cpu


def summarise(before: list[float], after: list[float]) -> dict[str, float]:
    """Medians, ranges and the median of the per-pair ratios after / before."""
    return {
        "before": statistics.median(before), "before_min": min(before),
        "before_max": max(before), "after": statistics.median(after),
        "after_min": min(after), "after_max": max(after),
        "ratio": statistics.median(a / b for a, b in zip(after, before, strict=True)),
    }  # fmt: skip


def compare(
    run: Callable[[str, str], tuple[float, float]], figure: str, pairs: int
) -> dict[str, dict[str, float]]:
    """``run(side, figure)`` alternated ``pairs`` times; the figure and CPU summaries."""
    values: dict[str, list[float]] = {"before": [], "after": []}
    cpu: dict[str, list[float]] = {"before": [], "after": []}
    for first, second in order(pairs):
        for side in (first, second):
            value, seconds = run(side, figure)
            values[side].append(value)
            cpu[side].append(seconds)
    return {"figure": summarise(values["before"], values["after"]),
            "cpu": summarise(cpu["before"], cpu["after"])}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", help="checkout of the older version (a directory)")
    parser.add_argument("after", help="checkout of the newer version (a directory)")
    parser.add_argument("--pairs", type=int, default=6, help="alternated pairs per figure")
    parser.add_argument("--figures", default="json,every,sweep,kernel",
                        help=f"comma-separated among {', '.join(FIGURES)}")  # fmt: skip
    parser.add_argument("--scenario", default="scenarios/lone_lab.yaml",
                        help="scenario file, relative to each checkout")  # fmt: skip
    parser.add_argument("--before-scenario", help="another scenario file for BEFORE (a "
                        "commit without SCENARIO: e.g. base.yaml before the market existed)")  # fmt: skip
    args = parser.parse_args(argv)
    figures = [f.strip() for f in args.figures.split(",") if f.strip()]
    bad = [f for f in figures if f not in FIGURES]
    if bad or args.pairs < 1:
        parser.error(f"--figures: one or more of {', '.join(FIGURES)}; --pairs >= 1")
    sides = {"before": (os.path.abspath(args.before), args.before_scenario or args.scenario),
             "after": (os.path.abspath(args.after), args.scenario)}  # fmt: skip

    def run(side: str, figure: str) -> tuple[float, float]:
        return measure(sides[side][0], figure, sides[side][1])

    print("| figure | before: median (range) | after: median (range) | median ratio "
          "after / before | CPU before -> after (medians) |")  # fmt: skip
    print("|---|---|---|---|---|")
    for figure in figures:
        for side in sides:  # untimed: compiles a cold kernel cache, fills the bytecode caches
            run(side, figure)
        s = compare(run, figure, args.pairs)
        f, c = s["figure"], s["cpu"]
        unit = "x" if figure == "kernel" else " s"
        print(f"| {figure} ({args.pairs} pairs) "
              f"| {f['before']:.2f}{unit} ({f['before_min']:.2f}-{f['before_max']:.2f}) "
              f"| {f['after']:.2f}{unit} ({f['after_min']:.2f}-{f['after_max']:.2f}) "
              f"| {f['ratio']:.2f} | {c['before']:.2f} s -> {c['after']:.2f} s |", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
