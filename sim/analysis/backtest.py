"""Backtest as a command: condition on the actuals up to a month, score the later ones.

Every actual after ``as_of`` is compared with the posterior predictive distribution of
what would be observed that month: the model's value on every posterior path times the
observation noise of :class:`sim.model.actuals.ObservationNoise` (lognormal for revenue and
GW, normal for the gross margin). Reported per point: P5/P50/P95 of that distribution,
whether the actual lies inside P5-P95, its PIT (the predictive CDF at the actual; ties count
half) and its CRPS (``scoringrules.crps_ensemble``) on the log scale for revenue and GW (so
points of different size and unit average meaningfully) and on the share for the margin.

GW online before one (shortest) lead time after ``as_of`` is fixed by contracts signed by
then, whatever the forecast: such points are reported but not scored.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.model.condition import GW_FLOOR, condition, run_posterior
from sim.model.distributions import support
from sim.model.rng import stream
from sim.model.scenario import Scenario, month_index

FIELDS = ("revenue_run_rate", "gw_online", "gross_margin")
REVENUE_FLOOR = 1.0
"""Revenue below this is 0 for the log-scale scores: a bankrupt path's [USD/yr]."""


def _predictive(field: str, model: np.ndarray, scenario: Scenario, rng: np.random.Generator):
    """Samples of the observed value given the model's, and the scale scores use."""
    noise = scenario.actuals.noise  # type: ignore[union-attr]
    eps = rng.standard_normal(model.shape[0])
    if field == "revenue_run_rate":
        x = np.maximum(model, REVENUE_FLOOR) * np.exp(noise.revenue_run_rate * eps)
        return x, lambda v: np.log(np.maximum(v, REVENUE_FLOOR))
    if field == "gw_online":
        x = (model + GW_FLOOR) * np.exp(noise.gw_online * eps) - GW_FLOOR
        return x, lambda v: np.log(np.asarray(v) + GW_FLOOR)
    x = model + noise.gross_margin * eps
    return x[np.isfinite(x)], lambda v: np.asarray(v, dtype=float)


def backtest(scenario: Scenario, as_of: str) -> dict[str, Any]:
    """``{as_of, ess, points: [...], coverage_90, crps_mean}`` (see the module docstring)."""
    import scoringrules

    s = scenario.replace(**{"simulation.as_of": as_of})
    update = condition(s)
    idx = update.as_of_index
    later = [p for p in s.actuals.points if p.month > as_of]  # type: ignore[union-attr]
    start = s.simulation.start
    months = sorted({month_index(p.month, start) for p in later})
    _, fig = run_posterior(s, update, monthly_paths=0, track=tuple(months))
    fixed_until = idx + 1 + int(np.rint(support(s.compute.lead_time_months)[0]))
    rng = stream(s.simulation.seed, 0, "backtest:observation-noise")
    points, crps = [], []
    for p in later:
        t = month_index(p.month, start)
        col = months.index(t)
        for name in FIELDS:
            actual = getattr(p, name)
            if actual is None:
                continue
            x, scale = _predictive(name, fig.tracked[name][:, col], s, rng)
            p5, p50, p95 = (float(v) for v in np.quantile(x, (0.05, 0.5, 0.95)))
            pit = float(np.mean(x < actual) + 0.5 * np.mean(x == actual))
            point = {"month": p.month, "field": name, "actual": actual, "p5": p5, "p50": p50,
                     "p95": p95, "pit": pit, "inside": bool(p5 <= actual <= p95)}  # fmt: skip
            if name == "gw_online" and t < fixed_until:
                point["scored"] = False
                point["note"] = ("fixed by contracts signed by as_of: earlier than one lead "
                                 "time after it")  # fmt: skip
            else:
                point["scored"] = True
                point["crps"] = float(scoringrules.crps_ensemble(scale(actual), scale(x)))
                crps.append(point["crps"])
            points.append(point)
    scored = [pt for pt in points if pt["scored"]]
    return {
        "scenario": s.name,
        "as_of": as_of,
        "ess": update.ess,
        "paths": s.simulation.paths,
        "seed": s.simulation.seed,
        "points": points,
        "scored": len(scored),
        "coverage_90": float(np.mean([pt["inside"] for pt in scored])) if scored else None,
        "crps_mean": float(np.mean(crps)) if crps else None,
        "warnings": list(update.warnings),
    }
