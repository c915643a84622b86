"""Update latency of the dashboard after a widget change (``python -m sim bench-dashboard``).

Times the server-side work of one slider change: validating the settings, the (uncached)
simulation, the key numbers, and building every chart of the open tabs. Browser rendering
comes on top (the browser test reports the end-to-end figure).
"""

from __future__ import annotations

import statistics
import time

from sim.model.scenario import Scenario


def bench_dashboard(scenario: Scenario, repeat: int = 10, paths: int = 2000) -> list[str]:
    """Change the planned-growth (or cash) input ``repeat`` times; return report lines."""
    from .app import Dashboard
    from .explorer import Explorer

    dash = Dashboard(Explorer(scenario, paths=paths))
    x = dash.x
    growth_policy = x.policy_kind in ("planned_growth", "adaptive")
    name = "planned_growth" if growth_policy else "initial_cash"
    start = float(getattr(x, name))
    total, sim = [], []
    for i in range(1, repeat + 1):
        value = start * (1.0 + 0.01 * i)  # new value each time: no cache hits
        t0 = time.perf_counter()
        setattr(x, name, value)
        total.append(time.perf_counter() - t0)
        sim.append(x.run_seconds)
    med, worst = statistics.median(total), max(total)
    return [
        f"scenario {scenario.name!r}: {x.paths:,} paths x {scenario.months} months; "
        f"{repeat} changes of {name!r}",
        f"update after a widget change [s]: median {med:.3f}, max {worst:.3f} "
        f"(of which simulation + key numbers: median {statistics.median(sim):.3f})",
        f"P(bankrupt) at the last setting: {x.numbers['p_bankrupt']:.1%}",
    ]
