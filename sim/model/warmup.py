"""Compile (or load from numba's on-disk cache) every kernel a run calls, ahead of time.

The first run after an install compiles the kernels for the machine (seconds); the
install command runs :func:`warm_kernels` (``python -m sim warmup``) so that this wait
happens where the user expects one, with progress shown. Which kernels compile is driven
by the scenarios given: each kernel a run of theirs calls (random draws, demand, the month
loop; one compiled variant each, see :mod:`sim.model.workers`) is run once on a few paths,
so a kernel module that only some scenarios turn on is compiled for those.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .scenario import Scenario

WARM_PATHS = 8
"""Paths per warm-up call [paths]: enough to run every branch's types, nothing more."""


@dataclass(frozen=True)
class WarmStep:
    """One kernel variant made ready: what it is and how long it took [s]."""

    name: str
    seconds: float


def warm_steps(scenario: Scenario) -> list[tuple[str, Callable[[], object]]]:
    """The calls that make every kernel variant of ``scenario`` ready, in order."""
    from .demand import potential_demand
    from .engine import pilot_demand, simulate_kernel, simulated_months, slip_table
    from .sampling import sample_inputs

    small = scenario.replace(**{"simulation.paths": WARM_PATHS})
    slips = slip_table(small)
    months = simulated_months(small, slips)
    state: dict[str, object] = {}

    def draws() -> object:
        state["inputs"] = sample_inputs(small, WARM_PATHS, 0, months=months)
        state["pilot"] = pilot_demand(small, months)
        return state["inputs"]

    def demand() -> object:
        return potential_demand(small, state["inputs"], False)  # type: ignore[arg-type]

    def loop() -> object:
        return simulate_kernel(small, state["inputs"], state["pilot"], slips, parallel=False)  # type: ignore[arg-type]

    return [("random draws", draws), ("demand", demand), ("month loop", loop)]


def warm_kernels(
    scenarios: Iterable[Scenario],
    report: Callable[[int, int, str, float | None], None] | None = None,
) -> list[WarmStep]:
    """Compile or load every kernel variant the ``scenarios`` use; the steps and their
    times. ``report(k, total, name, seconds)`` is called before each step (``seconds``
    None) and after it."""
    chosen = list(scenarios)
    plan = [
        (f"{scenario.name}: {name}" if len(chosen) > 1 else name, call)
        for scenario in chosen
        for name, call in warm_steps(scenario)
    ]
    done: list[WarmStep] = []
    for k, (name, call) in enumerate(plan, 1):
        if report is not None:
            report(k, len(plan), name, None)
        t0 = time.perf_counter()
        call()
        done.append(WarmStep(name, time.perf_counter() - t0))
        if report is not None:
            report(k, len(plan), name, done[-1].seconds)
    return done
