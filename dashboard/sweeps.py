"""Background tables of the dashboard (heatmap, frontier, decision, tornado): thin calls into
:mod:`sim.analysis`, keyed by what they depend on (the swept values made canonical, so moving
that slider recomputes nothing) and cached on disk; a failing table is a message (not cached).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.analysis.recommend import plan_set, recommend
from sim.analysis.sweep import apply_cell, grid, run_sweep
from sim.model.scenario import Scenario

from . import jobs
from .cache import DiskCache, cache_key, scenario_key

PLANNED_AXIS = [1.5, 2.0, 3.0, 4.0, 6.0, 10.0]  # heatmap's planned growth values [x/yr]
TRUE_AXIS = [1.5, 2.0, 3.0, 5.0, 7.0, 10.0]  # heatmap's true growth values [x/yr]
QUANTILE_AXIS = [0.1, 0.25, 0.5, 0.75, 0.9]  # heatmap's demand quantiles [0-1]
# policy kind -> the key swept on the heatmap's policy axis, and by the frontier's family
POLICY_AXIS_KEY = {"planned_growth": "policy.planned_growth", "adaptive": "policy.prior_growth",
                   "demand_quantile": "policy.q"}  # fmt: skip
FAMILY_KEY = {"planned_growth": "policy.planned_growth", "adaptive": "policy.haircut",
              "demand_quantile": "policy.q"}  # fmt: skip
TABLES = ("frontier", "decision", "heatmap", "tornado")  # in order (decision needs the frontier)
CELLS = {"heatmap": 36, "frontier": 25, "decision": 8, "tornado": 70}  # ~runs per table
Check = Callable[[int, int], None]  # progress(done, total); raises jobs.StaleJobError to stop
DISK = DiskCache()  # the cross-session cache of every table


def policy_axis(scenario: Scenario) -> tuple[str, list[float]] | None:
    """Dotted key and values of the heatmap's policy axis, or None (fixed schedules)."""
    key = POLICY_AXIS_KEY.get(scenario.policy.kind)
    if key is None:
        return None
    return key, QUANTILE_AXIS if key == "policy.q" else PLANNED_AXIS


def table_scenario(name: str, scenario: Scenario) -> Scenario | None:
    """The scenario a table depends on (swept values made canonical); None if not applicable."""
    if name == "heatmap":
        axis = policy_axis(scenario)
        cell = None if axis is None else {axis[0]: axis[1][0], "demand.growth": TRUE_AXIS[0]}
        return None if cell is None else apply_cell(scenario, cell, "dashboard")
    # the decision searches the frontier's plans, on the frontier's worlds
    key = FAMILY_KEY.get(scenario.policy.kind) if name in ("frontier", "decision") else None
    if key is None:
        return scenario
    return apply_cell(scenario, {key: 1.0 if key == "policy.planned_growth" else 0.5}, "dashboard")


@dataclass(frozen=True)
class Spec:
    """One table to compute: its name, the scenario it depends on, paths, budget, key."""

    name: str
    scenario: Scenario | None
    paths: int
    budget: float
    key: str


def specs(scenario: Scenario, paths: int, budget: float) -> dict[str, Spec]:
    """The four tables for the current settings (paths lowered to fit the work budget; heatmap,
    frontier and decision share one count so their numbers compare)."""
    shared = min(jobs.table_paths(scenario, paths, CELLS[n]) for n in ("heatmap", "frontier"))
    out = {}
    for name in TABLES:
        s = table_scenario(name, scenario)
        n = jobs.table_paths(scenario, paths, CELLS["tornado"]) if name == "tornado" else shared
        extra = (round(budget, 6),) if name == "decision" else ()
        key = cache_key(name, scenario_key(s) if s is not None else "none", n, *extra)
        out[name] = Spec(name, s, n, budget, key)
    return out


def heatmap_data(spec: Spec, check: Check) -> Any:
    """Sweep (policy axis x true growth); a DataFrame, or a message."""
    if spec.scenario is None:
        return ("The heatmap varies the growth a plan assumes; this scenario uses a fixed "
                "purchase schedule. Pick another purchase policy to see it.")  # fmt: skip
    key, values = policy_axis(spec.scenario)
    cells = grid({key: values, "demand.growth": TRUE_AXIS})
    df = run_sweep(spec.scenario, cells, paths=spec.paths, progress=check)
    df.attrs["policy_key"] = key
    return df


def plans_data(spec: Spec, check: Check) -> Any:
    """The frontier's plans with their per-path outcomes (disk-cached: the decision reuses it)."""
    key = cache_key("plans", scenario_key(spec.scenario), spec.paths)
    plans = DISK.get(key)
    if plans is None:
        plans = plan_set(spec.scenario, paths=spec.paths, progress=check)
        DISK.put(key, plans)
    return plans


def frontier_data(spec: Spec, check: Check) -> Any:
    """Risk/upside of the policy families with ``policy``, ``family`` and ``efficient``."""
    return plans_data(spec, check).table.copy()


def decision_data(spec: Spec, check: Check) -> Any:
    """The recommended plan among the frontier's plans, on its worlds (a dict)."""
    plans = plans_data(spec, check)  # computed by the frontier table just before
    rec = recommend(spec.scenario, budget=spec.budget, plans=plans)
    return {"recommendation": rec, "feasible": rec.feasible, "budget": spec.budget,
            "paths": rec.paths}  # fmt: skip


def tornado_data(spec: Spec, check: Check) -> Any:
    """One-at-a-time sensitivity of P(bankrupt) (a DataFrame)."""
    from sim.analysis.sensitivity import tornado  # late: tests replace it

    return tornado(spec.scenario, paths=spec.paths, metric="p_bankrupt", progress=check)


FUNCS = {"heatmap": heatmap_data, "frontier": frontier_data, "decision": decision_data,
         "tornado": tornado_data}  # fmt: skip


def compute(spec: Spec, check: Check) -> Any:
    """Compute one table (here, on one numba thread); cache it on disk unless a message."""
    jobs.set_threads(heavy=True)
    try:
        value = FUNCS[spec.name](spec, check)
    except jobs.StaleJobError:
        raise
    except Exception as exc:  # one failing table must not hide the others
        return f"{spec.name} failed: {type(exc).__name__}: {exc}"
    if isinstance(value, pd.DataFrame | dict):
        DISK.put(spec.key, value)
    return value


def ruin_data(results: Any) -> dict[str, Any] | str:
    """Scenario discovery of ruin on a run (:mod:`sim.analysis.discover`), or a message."""
    try:
        from sim.analysis.discover import discover, find_signposts, recommended
    except ImportError as exc:
        return f"Not available: {exc}"
    d = discover(results)
    sps = find_signposts(results, d)
    return {"scenario": results.scenario, "discovery": d, "signposts": sps,
            "recommended": recommended(sps)}  # fmt: skip
