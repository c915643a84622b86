"""``python -m sim warmup``: compile the simulation kernels now (the install command runs it),
so the first real run does not wait for the compiler."""

from __future__ import annotations

import argparse
import sys
import time


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "warmup",
        help="compile the simulation kernels for this machine (once per install)",
        description="Compile (or load from the on-disk cache) every kernel a run calls, with "
        "progress on stderr: about 10-20 s on two idle cores the first time after an install "
        "or a kernel edit, under a second afterwards. Kernels that only some scenarios turn "
        "on are compiled for the SCENARIO files given (default: the embedded base).",
    )
    p.add_argument("scenario", nargs="*", help="scenario YAML files (default: embedded base)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.model.io import load_scenario
    from sim.model.kernel import cache_is_cold
    from sim.model.warmup import warm_kernels

    scenarios = [load_scenario(p) for p in args.scenario] or [load_scenario()]
    say = (lambda *a, **k: None) if args.quiet else print
    cold = cache_is_cold()
    say("compiling the simulation kernels for this machine (once; later runs load them "
        "from the cache)" if cold else "loading the compiled simulation kernels",
        file=sys.stderr)  # fmt: skip
    t0 = time.perf_counter()

    def report(k: int, total: int, name: str, seconds: float | None) -> None:
        if seconds is None:
            say(f"  [{k}/{total}] {name} ...", end="", file=sys.stderr, flush=True)
        else:
            say(f" {seconds:.1f} s", file=sys.stderr, flush=True)

    warm_kernels(scenarios, report)
    say(f"kernels ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0
