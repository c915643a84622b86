"""State shared by the dashboard's sessions: the run cache and the key numbers.

Kept apart from :mod:`dashboard.explorer` so that :mod:`dashboard.sweeps` can use it without
importing the explorer (no import circle).
"""

from __future__ import annotations

import weakref
from typing import Any

from sim.model.engine import run
from sim.model.results import Results
from sim.model.scenario import Scenario
from sim.model.summary import summarize

from .cache import MemoryLRU

RUNS = MemoryLRU()
"""Runs of every session, bounded in bytes (``COMPUTE_SIM_MEMORY_CACHE_MB``)."""


def _key(scenario: Scenario, paths: int, monthly_paths: int) -> tuple[str, int, int]:
    return scenario.model_dump_json(exclude={"name", "description"}), int(paths), int(monthly_paths)


def is_cached(scenario: Scenario, paths: int, monthly_paths: int = 2000) -> bool:
    """Whether :func:`run_cached` would answer from memory (no simulation)."""
    return RUNS.get(_key(scenario, paths, monthly_paths)) is not None


def run_cached(scenario: Scenario, paths: int, monthly_paths: int = 2000) -> Results:
    """:func:`sim.run` cached by (scenario JSON, paths): revisiting a setting is instant.

    The scenario holds the seed, so the key is scenario hash + seed + paths; name and
    description are left out (a renamed setting is the same run, relabelled).
    """
    key = _key(scenario, paths, monthly_paths)
    hit = RUNS.get(key)
    if hit is None:
        hit = run(scenario, paths=int(paths), monthly_paths=int(monthly_paths))
        RUNS.put(key, hit)
    elif (hit.scenario.name, hit.scenario.description) != (scenario.name, scenario.description):
        # same numbers, the caller's name and description
        import dataclasses

        hit = dataclasses.replace(hit, scenario=hit.scenario.model_copy(
            update={"name": scenario.name, "description": scenario.description}))  # fmt: skip
    return hit


_NUMBERS = MemoryLRU(max_items=16)
"""id(results) -> (weak reference to results, key numbers): sessions showing the same run
summarise it once (no run is kept alive for it)."""


def key_numbers(results: Results) -> dict[str, Any]:
    """The headline figures shown as big numbers (computed once per run object; the
    dict is shared: read-only).

    Returns p_bankrupt [0-1] (horizon and run-off) with its 95% CI, the same within the
    horizon only, the final calendar year and its median revenue [USD], the unserved share
    of potential demand [0-1] (with a market, split into what rivals served and what nobody
    served [0-1]) and the median cumulative revenue [USD].
    """
    hit = _NUMBERS.get(id(results))
    if hit is not None and hit[0]() is results:
        return hit[1]
    s = summarize(results)
    last = s["by_year"][-1]
    numbers = {
        "p_bankrupt": s["p_bankrupt"],
        "p_bankrupt_ci95": tuple(s["p_bankrupt_ci95"]),
        "p_bankrupt_in_horizon": s["p_bankrupt_in_horizon"],
        "runoff_months": s["runoff_months"],
        "final_year": last["year"],
        "revenue_final_year_p50": last["revenue_p50"],
        "unserved_share": s["unserved_share_of_demand"],
        # with a market: the unserved share split (None without one)
        "lost_to_rivals_share": s.get("lost_to_rivals_share"),
        "unserved_by_market_share": s.get("unserved_by_market_share"),
        "cum_revenue_p50": s["cum_revenue_p50"],
        "paths": s["paths"],
        "seed": results.scenario.simulation.seed,
        "gw_by_delivery_year": s.get("gw_by_delivery_year", {}),
        "commitment_usd_by_year": s.get("commitment_usd_by_year", {}),
    }
    _NUMBERS.put(id(results), (weakref.ref(results), numbers))
    return numbers
