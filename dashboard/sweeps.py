"""Background tables of the dashboard: heatmap, frontier, decision (optimizer) and tornado.

Thin calls into :mod:`sim.analysis`; each table is keyed by what it depends on (the
scenario with the swept policy value set to a canonical one, so moving that slider does not
recompute it, plus seed and paths), cached on disk across sessions
(:class:`dashboard.cache.DiskCache`) and computed on :data:`dashboard.jobs.BACKGROUND`.
When a table fails, it is a plain message for the UI (never cached).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.model.scenario import Scenario

from . import jobs
from .cache import DiskCache, cache_key, scenario_key

PLANNED_AXIS = [1.5, 2.0, 3.0, 4.0, 6.0, 10.0]
"""Planned growth values of the heatmap [x/yr]."""
TRUE_AXIS = [1.5, 2.0, 3.0, 5.0, 7.0, 10.0]
"""True (world) growth values of the heatmap [x/yr]."""
QUANTILE_AXIS = [0.1, 0.25, 0.5, 0.75, 0.9]
"""Demand quantiles of the heatmap when the policy is ``demand_quantile``."""
POLICY_AXIS_KEY = {
    "planned_growth": "policy.planned_growth",
    "adaptive": "policy.prior_growth",
    "demand_quantile": "policy.q",
}
"""Policy kind -> dotted key swept on the heatmap's policy axis."""
FAMILY_KEY = {
    "planned_growth": "policy.planned_growth",
    "adaptive": "policy.haircut",
    "demand_quantile": "policy.q",
}
"""Policy kind -> the parameter the frontier family sweeps for that kind."""
TABLES = ("frontier", "decision", "heatmap", "tornado")
"""Background tables in the order they are computed (the decision needs the frontier)."""

Check = Callable[[int, int], None]
"""Progress callback ``check(done, total)``; raises :class:`jobs.StaleJobError` to stop."""

DISK = DiskCache()
"""The cross-session cache of every table."""


def policy_axis(scenario: Scenario) -> tuple[str, list[float]] | None:
    """Dotted key and values of the heatmap's policy axis, or None (fixed schedules)."""
    key = POLICY_AXIS_KEY.get(scenario.policy.kind)
    if key is None:
        return None
    return key, QUANTILE_AXIS if key == "policy.q" else PLANNED_AXIS


def table_scenario(name: str, scenario: Scenario) -> Scenario | None:
    """What a table depends on: the scenario with the values it sweeps made canonical.

    None when the table does not apply (the heatmap of a fixed schedule).
    """
    from sim.analysis.sweep import apply_cell

    if name == "heatmap":
        axis = policy_axis(scenario)
        if axis is None:
            return None
        return apply_cell(
            scenario, {axis[0]: axis[1][0], "demand.growth": TRUE_AXIS[0]}, "dashboard"
        )
    if name == "frontier":
        key = FAMILY_KEY.get(scenario.policy.kind)
        if key is None:
            return scenario
        return apply_cell(
            scenario, {key: 1.0 if key == "policy.planned_growth" else 0.5}, "dashboard"
        )
    if name == "decision":  # searches the frontier's plans, on the frontier's worlds
        return table_scenario("frontier", scenario)
    return scenario


CELLS = {"heatmap": 36, "frontier": 25, "decision": 8, "tornado": 70}
"""Approximate runs per table (for the path budget)."""


@dataclass(frozen=True)
class Spec:
    """One table to compute: its name, the scenario it depends on, paths, budget, key."""

    name: str
    scenario: Scenario | None
    paths: int
    budget: float
    key: str


def specs(scenario: Scenario, paths: int, budget: float) -> dict[str, Spec]:
    """The four tables for the current settings (paths lowered to fit the work budget;
    the heatmap, frontier and decision share one count so their numbers compare)."""
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
    from sim.analysis.sweep import grid, run_sweep

    if spec.scenario is None:
        return (
            "The heatmap varies the growth a plan assumes; this scenario uses a fixed "
            "purchase schedule. Pick another purchase policy to see it."
        )
    key, values = policy_axis(spec.scenario)
    cells = grid({key: values, "demand.growth": TRUE_AXIS})
    df = run_sweep(spec.scenario, cells, paths=spec.paths, progress=check)
    df.attrs["policy_key"] = key
    return df


def plans_data(spec: Spec, check: Check) -> Any:
    """The frontier's plans with their per-path outcomes
    (:func:`sim.analysis.recommend.plan_set`), cached on disk: the frontier chart shows
    them and the decision searches from them without running them again."""
    from sim.analysis.recommend import plan_set

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
    """The recommended plan (:func:`sim.analysis.recommend.recommend`): the highest median
    revenue whose P(bankrupt) passes the one-sided test, across the frontier's families and
    on its worlds; a dict holding the :class:`~sim.analysis.recommend.Recommendation`."""
    from sim.analysis.recommend import recommend

    plans = plans_data(spec, check)  # computed by the frontier table just before
    rec = recommend(spec.scenario, budget=spec.budget, plans=plans)
    return {"recommendation": rec, "feasible": rec.feasible, "budget": spec.budget,
            "paths": rec.paths}  # fmt: skip


def tornado_data(spec: Spec, check: Check) -> Any:
    """One-at-a-time sensitivity of P(bankrupt) (a DataFrame)."""
    from sim.analysis.sensitivity import tornado

    return tornado(spec.scenario, paths=spec.paths, metric="p_bankrupt", progress=check)


FUNCS: dict[str, Callable[[Spec, Check], Any]] = {
    "heatmap": heatmap_data,
    "frontier": frontier_data,
    "decision": decision_data,
    "tornado": tornado_data,
}


def compute(spec: Spec, check: Check) -> Any:
    """Compute one table (on the calling thread, one numba thread) and cache it on disk
    when it is a result (messages, such as the error of a failing table, are not cached)."""
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
    """Scenario discovery of ruin on a run: the PRIM boxes, the CART cross-check and the
    signposts (:mod:`sim.analysis.discover`); a message when it is not available."""
    try:
        from sim.analysis.discover import discover, find_signposts, recommended
    except ImportError as exc:
        return f"Not available: {exc}"
    d = discover(results)
    sps = find_signposts(results, d)
    return {"scenario": results.scenario, "discovery": d, "signposts": sps,
            "recommended": recommended(sps)}  # fmt: skip
