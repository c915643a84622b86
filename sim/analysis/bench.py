"""Speed and memory figures of the engine (printed by ``python -m sim bench``)."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass

from sim.model.engine import run
from sim.model.scenario import Scenario


@dataclass(frozen=True)
class BenchReport:
    scenario: str
    paths: int
    months: int
    seconds: list[float]
    peak_rss_mb: float

    @property
    def best_s(self) -> float:
        return min(self.seconds)

    @property
    def path_months_per_s(self) -> float:
        return self.paths * self.months / self.best_s

    def lines(self) -> list[str]:
        secs = ", ".join(f"{s:.3f}" for s in self.seconds)
        return [
            f"scenario {self.scenario!r}: {self.paths:,} paths x {self.months} months "
            f"(pid {os.getpid()}, 1 process)",
            f"run times [s]: {secs}",
            f"best: {self.best_s:.3f} s -> {self.path_months_per_s:,.0f} path-months/s",
            f"peak RSS: {self.peak_rss_mb:,.0f} MB",
        ]


def bench_engine(scenario: Scenario, repeat: int = 5) -> BenchReport:
    """Time :func:`sim.model.engine.run` ``repeat`` times after one warm-up run."""
    run(scenario, paths=min(scenario.simulation.paths, 256))
    seconds = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        run(scenario)
        seconds.append(time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return BenchReport(scenario.name, scenario.simulation.paths, scenario.months, seconds, rss)
