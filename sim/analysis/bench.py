"""Speed and memory figures of the engine (printed by ``python -m sim bench``).

Three timings of the same scenario in one process:

- **first run**: the very first :func:`sim.model.engine.run` of the process, JIT compilation
  (or loading the compiled kernels from numba's on-disk cache) included;
- **best**: the best of ``repeat`` warm runs, the whole engine (sampling the random inputs,
  the kernels, assembling results); path-months count the run-off months;
- **kernel only**: the jitted demand and month-loop kernels alone on inputs sampled
  beforehand, blocks spread over the same threads as the engine does, writing the same
  month-by-month records (left out before, which counted ~0.1x of
  kernel work as engine overhead); each pass is timed next to a warm run, alternating
  which goes first, and the line also gives the median of those pairs' ratios (a machine
  whose speed drifts moves the best-of ratio, much less the paired one);
- **start-up**: fresh ``run --format json`` processes split into imports, kernel load,
  simulation and outputs, with their wall time and peak RSS (:mod:`sim.analysis.startup`);
- **market on / market off** (a scenario with ``market:``): the warm runs alternate with
  runs of the same scenario without its ``market:`` section (:func:`without_market`), and
  the kernels alone are timed for both: what the market costs (docs/model.md 5d).

Single-threaded when ``NUMBA_NUM_THREADS=1``.
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sim.model.engine import (
    MONTHLY_PATHS,
    max_slip,
    pilot_demand,
    run,
    simulate_kernel,
    slip_table,
    threads,
)
from sim.model.rng import blocks
from sim.model.sampling import sample_inputs
from sim.model.scenario import Scenario
from sim.model.timeline import total_months


@dataclass(frozen=True)
class MarketCost:
    """Times [s] of a scenario with its market and without (:func:`without_market`)."""

    on_s: list[float]
    """Warm engine runs with the market (the report's ``seconds``)."""
    off_s: list[float]
    """Warm engine runs without it, alternated with ``on_s``."""
    kernel_on_s: float
    kernel_off_s: float
    """Best kernel-only times with and without the market."""

    @property
    def engine_ratio(self) -> float:
        return statistics.median(self.on_s) / statistics.median(self.off_s)

    @property
    def kernel_ratio(self) -> float:
        return self.kernel_on_s / self.kernel_off_s

    def line(self) -> str:
        on, off = statistics.median(self.on_s), statistics.median(self.off_s)
        return (
            f"market on / market off: engine {on:.3f} s / {off:.3f} s = {self.engine_ratio:.2f}x "
            f"(medians of {len(self.on_s)} alternating runs), kernel only "
            f"{self.kernel_on_s:.3f} s / {self.kernel_off_s:.3f} s = {self.kernel_ratio:.2f}x "
            "(off: the same scenario without its market: section)"
        )


def without_market(scenario: Scenario) -> Scenario:
    """The same scenario without its ``market:`` section (the lab's demand is then the
    whole potential demand, the rest unchanged): the reference of the market's cost."""
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    data.pop("market", None)
    return Scenario.model_validate(data)


@dataclass(frozen=True)
class BenchReport:
    scenario: str
    paths: int
    months: int
    """Months simulated per path, run-off included."""
    first_s: float
    seconds: list[float]
    kernel_s: float
    threads: int
    peak_rss_mb: float
    startup: dict[str, float] = field(default_factory=dict)
    """Medians of :func:`sim.analysis.startup.startup_figures` (empty: not measured)."""
    market: MarketCost | None = None
    """Market on / off times (None: the scenario has no market)."""
    kernel_runs: list[float] = field(default_factory=list)
    """Every kernel-only pass [s], the k-th timed next to the k-th warm run."""

    @property
    def paired_ratio(self) -> float | None:
        """Median of (warm run k / kernel pass k): the engine / kernel ratio of runs timed
        side by side, so a machine's drift in speed cancels (None: no passes kept)."""
        pairs = [a / b for a, b in zip(self.seconds, self.kernel_runs, strict=False)]
        return statistics.median(pairs) if pairs else None

    @property
    def best_s(self) -> float:
        return min(self.seconds)

    @property
    def path_months_per_s(self) -> float:
        return self.paths * self.months / self.best_s

    @property
    def kernel_path_months_per_s(self) -> float:
        return self.paths * self.months / self.kernel_s

    def lines(self) -> list[str]:
        secs = ", ".join(f"{s:.3f}" for s in self.seconds)
        ratio = self.paired_ratio
        paired = "" if ratio is None else (
            f"; median of {min(len(self.seconds), len(self.kernel_runs))} side-by-side pairs "
            f"{ratio:.2f}x"
        )  # fmt: skip
        return [
            f"scenario {self.scenario!r}: {self.paths:,} paths x {self.months} months "
            f"(horizon + run-off; pid {os.getpid()}, {self.threads} thread(s))",
            f"first run (JIT compile or cache load included): {self.first_s:.2f} s",
            f"run times [s]: {secs}",
            f"best: {self.best_s:.3f} s -> {self.path_months_per_s:,.0f} path-months/s",
            f"kernel only: {self.kernel_s:.3f} s -> {self.kernel_path_months_per_s:,.0f} "
            f"path-months/s (engine / kernel = {self.best_s / self.kernel_s:.2f}x){paired}",
            *([self.market.line()] if self.market is not None else []),
            f"peak RSS: {self.peak_rss_mb:,.0f} MB",
            *self.startup_lines(),
        ]

    def startup_lines(self) -> list[str]:
        s = self.startup
        if not s:
            return []
        return [
            f"start-up of `run --format json` ({self.paths:,} paths, fresh process, median of "
            f"{int(s.get('repeat', 0))}): wall {s['wall']:.2f} s = imports {s['imports']:.2f} s"
            f" + kernel load {s['kernel_load']:.2f} s + simulation {s['simulation']:.2f} s + "
            f"outputs {s['outputs']:.2f} s (+ interpreter); peak RSS {s['peak_rss_mb']:,.0f} MB",
        ]


def kernel_timer(scenario: Scenario, monthly_paths: int = MONTHLY_PATHS) -> Callable[[], float]:
    """A function timing [s] one pass of the demand and month-loop kernels alone over all
    blocks, doing the kernel work of :func:`run` with ``monthly_paths``: the same blocks on
    the same threads, and the month-by-month records of the first ``monthly_paths`` paths
    (written inside the month loop, so they are kernel work, not engine overhead). The
    inputs are sampled once, before the first pass."""
    slips = slip_table(scenario)
    months = total_months(scenario, max_slip(slips))
    pilot = pilot_demand(scenario, months)
    parts = blocks(scenario.simulation.paths)
    inputs = [sample_inputs(scenario, n, b, months=months) for b, _, n in parts]
    keeps = [max(0, min(n, monthly_paths - first)) for _, first, n in parts]
    pool = min(threads(), len(inputs))

    def one_pass() -> float:
        t0 = time.perf_counter()
        if pool > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(pool) as ex:
                list(ex.map(lambda a: simulate_kernel(scenario, a[0], pilot, slips, a[1], False),
                            zip(inputs, keeps, strict=True)))  # fmt: skip
        else:
            for x, keep in zip(inputs, keeps, strict=True):
                simulate_kernel(scenario, x, pilot, slips, keep=keep, parallel=True)
        return time.perf_counter() - t0

    return one_pass


def kernel_seconds(
    scenario: Scenario, repeat: int = 3, monthly_paths: int = MONTHLY_PATHS
) -> float:
    """Best time [s] of ``repeat`` passes of :func:`kernel_timer`."""
    one_pass = kernel_timer(scenario, monthly_paths)
    return min(one_pass() for _ in range(max(1, repeat)))


def bench_engine(
    scenario: Scenario, repeat: int = 5, startup_of: str | None = None, startup_repeat: int = 3
) -> BenchReport:
    """Time the first :func:`run`, ``repeat`` warm runs, the kernels alone, and (with
    ``startup_repeat`` > 0) fresh json runs of the scenario file ``startup_of`` (None: the
    embedded base) at the same path count; a scenario with a market also without it
    (:class:`MarketCost`, warm runs alternated with its own)."""
    t0 = time.perf_counter()
    res = run(scenario)
    first = time.perf_counter() - t0
    off = without_market(scenario) if scenario.market is not None else None
    if off is not None:
        run(off)  # warm, like the first run above
    one_pass = kernel_timer(scenario)
    timed: dict[str, list[float]] = {"on": [], "off": [], "kernel": []}
    runs = [("on", scenario)] + ([("off", off)] if off is not None else []) + [("kernel", None)]
    for k in range(max(3, repeat)):  # at least 3 kernel passes, as before
        for which, s in runs if k % 2 == 0 else runs[::-1]:  # alternate: drift cancels
            if s is None:
                timed["kernel"].append(one_pass())
            elif k < max(1, repeat):
                t0 = time.perf_counter()
                run(s)
                timed[which].append(time.perf_counter() - t0)
    seconds = timed["on"]
    kernel = min(timed["kernel"])
    market = None
    if off is not None:
        market = MarketCost(seconds, timed["off"], kernel, kernel_seconds(off, max(3, repeat)))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    startup: dict[str, float] = {}
    if startup_repeat > 0:
        from .startup import startup_figures

        startup = startup_figures(startup_of, scenario.simulation.paths, startup_repeat)
        startup["repeat"] = startup_repeat
    return BenchReport(
        scenario.name, scenario.simulation.paths, res.total_months, first, seconds, kernel,
        threads(), rss, startup, market, timed["kernel"],
    )  # fmt: skip
