"""What the actuals changed: prior and posterior side by side (``python -m sim update``).

The prior is the scenario without the weights of its actuals, on the same history scenario
(policies order only after ``as_of``; before it the contract book); the posterior is the
SIR update of :mod:`sim.model.condition`. Both report P(bankrupt) with its 95% CI, the
potential demand's growth over the first forecast year, the served revenue run-rate 12
months after ``as_of`` and the recommended plan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sim.model.condition import (
    PathFigures,
    Update,
    condition,
    run_posterior,
    run_prior,
)
from sim.model.results import Results
from sim.model.scenario import Scenario
from sim.model.summary import wilson_interval

BUDGET = 0.05
"""Risk budget of the recommended plan: P(bankrupt) credibly at most this [0..1]."""
DECISION_PATHS = 4000
"""Most paths per evaluation of the plan search [paths] (as the report's decision)."""

Runner = Callable[[Scenario], tuple[Results, PathFigures]]


def _quantiles(x: np.ndarray, qs: tuple[float, ...]) -> list[float | None]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return [None] * len(qs)
    return [float(v) for v in np.quantile(x, qs)]


def p_bankrupt(results: Results) -> tuple[float, tuple[float, float]]:
    """Share of paths bankrupt by the end (run-off included) and its Wilson 95% interval."""
    bust = int(np.sum(results.path["bankrupt_month"] >= 0))
    n = int(results.paths)
    return bust / n, wilson_interval(bust, n)


def recommend(scenario: Scenario, runner: Runner, budget: float = BUDGET) -> dict[str, Any]:
    """The plan the dashboard and the report recommend
    (:func:`sim.analysis.recommend.recommend`: the highest median cumulative revenue whose
    one-sided 95% bound of P(bankrupt) is within ``budget``, across planned growth, demand
    quantile and adaptive plans), each plan evaluated by ``runner`` (prior or posterior runs
    share their draws across plans: common random numbers)."""
    from sim.analysis.recommend import recommend as search

    paths = min(scenario.simulation.paths, DECISION_PATHS)
    rec = search(scenario, budget=budget, paths=paths, run=lambda s: runner(s)[0])
    row = rec.plan
    if not rec.feasible:
        return {"policy": None, "p_bankrupt": float(row["p_bankrupt"]), "gw_by_delivery_year": {},
                "feasible": False,
                "note": f"no plan of the frontier's families keeps P(bankrupt) credibly "
                        f"within {budget:.0%}"}  # fmt: skip
    gw = rec.units["gw_by_delivery_year"]
    return {
        "policy": rec.policy,
        "cell": rec.cell,
        "p_bankrupt": float(row["p_bankrupt"]),
        "p_bankrupt_upper": float(row["p_bankrupt_upper"]),
        "cum_revenue_p50": float(row["cum_revenue_p50"]),
        "gw_by_delivery_year": {y: v["p50"] for y, v in gw.items()},
        "feasible": True,
    }


def side(results: Results, figures: PathFigures, recommended: dict[str, Any]) -> dict[str, Any]:
    """One block of update.json (prior or posterior)."""
    p, ci = p_bankrupt(results)
    g10, g50, g90 = _quantiles(figures.growth_12m, (0.1, 0.5, 0.9))
    r10, r50, r90 = _quantiles(figures.revenue_12m, (0.1, 0.5, 0.9))
    return {
        "p_bankrupt": p, "p_bankrupt_ci95": list(ci),
        "growth_p10": g10, "growth_p50": g50, "growth_p90": g90,
        "revenue_12m_p10": r10, "revenue_12m_p50": r50, "revenue_12m_p90": r90,
        "recommended": recommended,
    }  # fmt: skip


def update_report(
    scenario: Scenario, *, budget: float = BUDGET, progress: Callable[[str], None] | None = None
) -> tuple[dict[str, Any], Update]:
    """``{as_of, ess, prior, posterior[, warning]}`` for a scenario with actuals."""
    say = progress or (lambda _msg: None)
    say("weighting prior paths by the actuals")
    update = condition(scenario)
    say("prior and posterior runs")
    prior = side(*run_prior(scenario), {})
    post = side(*run_posterior(scenario, update), {})
    say("recommended plan under the prior")
    prior["recommended"] = recommend(scenario, lambda s: run_prior(s, monthly_paths=0), budget)
    say("recommended plan under the posterior")
    post["recommended"] = recommend(
        scenario, lambda s: run_posterior(s, update, monthly_paths=0), budget
    )
    out: dict[str, Any] = {
        "scenario": scenario.name,
        "as_of": update.as_of,
        "ess": update.ess,
        "candidates": update.candidates,
        "paths": scenario.simulation.paths,
        "seed": scenario.simulation.seed,
        "observed": update.observed,
        "prior": prior,
        "posterior": post,
    }
    if update.conflict:
        out["warning"] = update.conflict
    notes = [w for w in update.warnings if w != update.conflict]
    if notes:
        out["notes"] = notes
    return out, update
