"""Heavy views' data: the growth heatmap, the policy frontier and the tornado.

Thin calls into :mod:`sim.analysis.sweep`, :mod:`sim.analysis.frontier` and :mod:`sim.analysis.sensitivity`. When one
of those modules is missing or fails, its entry is a plain message for the UI instead of
a DataFrame.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from sim.model.scenario import Scenario

PLANNED_AXIS = [2.0, 3.0, 4.0, 6.0, 8.0, 10.0]
"""Planned growth values of the heatmap [x/yr]."""
TRUE_AXIS = [2.0, 3.0, 4.0, 6.0, 8.0, 10.0]
"""True (world) growth values of the heatmap [x/yr]."""
QUANTILE_AXIS = [0.1, 0.25, 0.5, 0.75, 0.9]
"""Demand quantiles of the heatmap when the policy is ``demand_quantile``."""
POLICY_AXIS_KEY = {
    "planned_growth": "policy.planned_growth",
    "adaptive": "policy.prior_growth",
    "demand_quantile": "policy.q",
}
"""Policy kind -> dotted key swept on the heatmap's policy axis."""
STAGES = (("heatmap", 0.45), ("frontier", 0.3), ("tornado", 0.25))
"""Sweep stages and their share of the progress bar."""

Report = Callable[[str], Callable[[float], None]]


def api() -> tuple[dict[str, Any], str]:
    """The sweep modules, or a message saying which ones are not available yet."""
    mods, missing = {}, []
    for name in ("sweep", "frontier", "sensitivity"):
        try:
            mods[name] = importlib.import_module(f"sim.analysis.{name}")
        except ImportError:
            missing.append(f"sim.analysis.{name}")
    msg = f"Not available: {', '.join(missing)} not installed in this version." if missing else ""
    return mods, msg


def _progress(update: Callable[[float], None]) -> Callable[..., None]:
    def cb(*args: Any) -> None:
        if len(args) >= 2 and args[1]:
            update(float(args[0]) / float(args[1]))

    return cb


def policy_axis(scenario: Scenario) -> tuple[str, list[float]] | None:
    """Dotted key and values of the heatmap's policy axis, or None (fixed schedules)."""
    key = POLICY_AXIS_KEY.get(scenario.policy.kind)
    if key is None:
        return None
    return key, QUANTILE_AXIS if key == "policy.q" else PLANNED_AXIS


def heatmap_data(scenario: Scenario, paths: int, update: Callable[[float], None]) -> Any:
    """Sweep (policy axis x true growth); a DataFrame, or a message."""
    mods, msg = api()
    if "sweep" not in mods:
        return msg
    axis = policy_axis(scenario)
    if axis is None:
        return (
            "The heatmap varies the growth a plan assumes; this scenario uses a fixed "
            "purchase schedule. Pick another purchase policy to see it."
        )
    cells = mods["sweep"].grid({axis[0]: axis[1], "demand.growth": TRUE_AXIS})
    return mods["sweep"].run_sweep(scenario, cells, paths=paths, progress=_progress(update))


def frontier_data(scenario: Scenario, paths: int, update: Callable[[float], None]) -> Any:
    """Risk/upside of the policy family with the ``efficient`` flag; or a message."""
    mods, msg = api()
    if not {"sweep", "frontier"} <= mods.keys():
        return msg
    cells = mods["frontier"].policy_family(scenario)
    df = mods["sweep"].run_sweep(scenario, cells, paths=paths, progress=_progress(update))
    return mods["frontier"].mark_frontier(df, risk="p_bankrupt", upside="cum_revenue_p50")


def tornado_data(scenario: Scenario, paths: int, update: Callable[[float], None]) -> Any:
    """One-at-a-time sensitivity of P(bankrupt); a DataFrame, or a message."""
    mods, msg = api()
    if "sensitivity" not in mods:
        return msg
    df = mods["sensitivity"].tornado(scenario, paths=paths, metric="p_bankrupt")
    update(1.0)
    return df


def run_all(scenario: Scenario, paths: int, report: Report) -> dict[str, Any]:
    """All three sweeps; ``report(stage)`` returns a progress callback taking 0..1 overall."""
    funcs = {"heatmap": heatmap_data, "frontier": frontier_data, "tornado": tornado_data}
    out: dict[str, Any] = {}
    done = 0.0
    for stage, weight in STAGES:
        overall = report(stage)

        def update(frac: float, base: float = done, w: float = weight, cb=overall) -> None:
            cb(base + w * min(1.0, max(0.0, frac)))

        overall(done)
        try:
            out[stage] = funcs[stage](scenario, paths, update)
        except Exception as exc:  # one failing sweep must not hide the others
            out[stage] = f"{stage} failed: {type(exc).__name__}: {exc}"
        done += weight
    from .state import key_numbers, run_cached

    out["scenario"] = scenario
    out["current"] = key_numbers(run_cached(scenario, paths))
    report("sweeps")(1.0)
    return out


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
