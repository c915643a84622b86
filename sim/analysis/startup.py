"""Start-up of a fresh ``python -m sim run --format json`` process, split into its phases.

``python -m sim.analysis.startup [SCENARIO] [PATHS]`` does what such a run does, timing
each phase, and prints them as JSON: **imports** (every module the json run imports),
**kernel load** (the compiled kernels from numba's on-disk cache; a compile if the cache is
cold), **simulation** (:func:`sim.model.engine.run`), **outputs** (summary and
``summary.json``), the process's peak RSS and its wall time from interpreter start.
:func:`startup_figures` runs it in fresh processes (``python -m sim bench`` prints them).
Only the standard library is imported at the top, so the probe's own imports are counted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

PHASES = ("imports", "kernel_load", "simulation", "outputs")


def _process_start() -> float:
    """Seconds since this process started (interpreter start-up included) [s]."""
    with open("/proc/self/stat") as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return uptime - ticks / os.sysconf("SC_CLK_TCK")


def peak_rss_mb() -> float:
    """Peak resident memory of this process [MB]: ``VmHWM`` (``ru_maxrss`` would carry the
    parent's peak into a child started by fork and exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def probe(scenario: str | None, paths: int) -> dict[str, Any]:
    """Time one json run's phases in this (fresh) process."""
    import tempfile

    t0 = time.perf_counter()
    from sim.cli.cmd_run import monthly_paths, run, summarize, write_outputs
    from sim.model.io import load_scenario
    from sim.outputs import atomic_output_dir

    t1 = time.perf_counter()
    loaded = load_scenario(scenario).replace(**{"simulation.paths": paths})
    from sim.model.warmup import warm_kernels

    warm_kernels([loaded])
    t2 = time.perf_counter()
    results = run(loaded, monthly_paths=monthly_paths(["json"]))
    t3 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, atomic_output_dir(Path(tmp) / "out", "run") as out:
        write_outputs(results, summarize(results), out, ["json"])
    t4 = time.perf_counter()
    try:
        wall = _process_start()
    except (OSError, IndexError, ValueError):  # no /proc: from the probe's first line
        wall = t4 - t0
    return {
        "imports": t1 - t0,
        "kernel_load": t2 - t1,
        "simulation": t3 - t2,
        "outputs": t4 - t3,
        "wall": wall,
        "peak_rss_mb": peak_rss_mb(),
    }


def startup_figures(scenario: str | None, paths: int, repeat: int = 3) -> dict[str, float]:
    """Medians over ``repeat`` fresh processes of :func:`probe`'s figures."""
    root = Path(__file__).resolve().parents[2]  # so an uninstalled checkout imports itself
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root),
                                                                     os.environ.get("PYTHONPATH")]))}  # fmt: skip
    env.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # as python -m sim does
    runs = []
    for _ in range(max(1, repeat)):
        cmd = [sys.executable, "-m", "sim.analysis.startup", scenario or "", str(paths)]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {key: median(r[key] for r in runs) for key in runs[0]}


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(probe(args[0] if args and args[0] else None,
                           int(args[1]) if len(args) > 1 else 10_000)))  # fmt: skip
