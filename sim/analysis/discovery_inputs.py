"""Per-path inputs and target outcomes of scenario discovery (:mod:`sim.analysis.discover`).

Every path of a run is a world: its draws of every uncertain input (``Results.draws``,
dotted names) and its demand growth (``demand.growth``, a geometric mean over the years
that best separate the target worlds) are the inputs a box restricts; ruin or low revenue
is the target. Also the names of the observables signposts read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.results import Results
from sim.model.scenario import Scenario

TARGETS = ("bankrupt", "low_revenue")
"""Outcomes that can be discovered."""
LOW_REVENUE_QUANTILE = 0.2
"""Default low-revenue cut: this quantile of cumulative revenue over the horizon."""
GROWTH = "demand.growth"
"""Name under which the per-path geometric-mean growth enters (``growth_mean``)."""
OBSERVED_GROWTH, OBSERVED_MARGIN = "growth so far", "margin"
"""Observables of a signpost: potential demand growth since the start [x/yr] and the
realized inference margin [0..1] at the signpost's date."""


def world_inputs(results: Results, window: int | None = None) -> pd.DataFrame:
    """Per-path inputs that vary across paths, one row per path, dotted names.

    ``demand.growth`` is the geometric-mean yearly growth multiplier of the path over the
    first ``window`` years (default: the whole horizon, ``growth_mean``); every other column
    is a per-path draw (``Results.draws``). Inputs that take one value on every path (plain
    numbers, fixed distributions) are left out.
    """
    if window is None or window >= results.scenario.simulation.years:
        growth = np.asarray(results.path["growth_mean"], dtype=float)
    else:
        growth = np.exp(np.log(yearly_growth(results)[:, :window]).mean(axis=1))
    cols: dict[str, np.ndarray] = {GROWTH: growth}
    for name, values in results.draws.items():
        cols[name] = np.asarray(values, dtype=float)
    return pd.DataFrame({k: v for k, v in cols.items() if varies(v)})


def refuse_actuals(scenario: Scenario) -> None:
    """Growth re-drawn from the seed is the prior's: a posterior (a scenario with actuals)
    is not supported here yet (``BadInputError``, exit 2)."""
    if scenario.actuals is not None:
        from sim.errors import BadInputError

        raise BadInputError(
            f"scenario {scenario.name!r} has actuals: discover, signposts and voi re-draw each "
            "path's growth from the seed, which gives the prior's, not the posterior's; run "
            "them on the scenario without its actuals: section"
        )


def yearly_growth(results: Results) -> np.ndarray:
    """Each path's demand growth multiplier in each year of the horizon [x/yr], shape
    (paths, years), re-drawn from the run's seeded streams (common random numbers)."""
    from sim.model.rng import blocks
    from sim.model.sampling import sample_inputs

    s = results.scenario
    refuse_actuals(s)
    years = s.simulation.years
    out = np.empty((results.paths, years))
    for b, first, n in blocks(results.paths):
        g = sample_inputs(s, n, b, months=results.total_months).growth
        out[first : first + n] = g[:, :years]
    return out


def growth_window(results: Results, y: np.ndarray) -> int:
    """Years from the start over which demand growth best separates the target worlds.

    With growth persistence below 1 a path's growth changes from year to year, and what
    decides ruin is often the growth *before* commitments come due: the geometric mean over
    the whole horizon then blurs it. The window (1 .. horizon years) whose geometric-mean
    growth has the largest rank separation |AUC - 0.5| between target and other worlds is
    used; ties go to the longer window (with persistence 1 every window is the same).
    """
    years = results.scenario.simulation.years
    k, n = int(y.sum()), int((~y).sum())
    if k == 0 or n == 0 or years == 1:
        return years
    log_g = np.log(yearly_growth(results))
    best, best_score = years, -1.0
    for w in range(years, 0, -1):  # longest first: ties keep it
        ranks = pd.Series(log_g[:, :w].mean(axis=1)).rank().to_numpy()
        auc = (ranks[y].sum() - k * (k + 1) / 2) / (k * n)
        score = abs(auc - 0.5)
        if score > best_score + 1e-9:
            best, best_score = w, score
    return best


def growth_years(results: Results, window: int) -> str:
    """Calendar years covered by the first ``window`` years from the start ("2026-2027")."""
    year, month = map(int, results.scenario.simulation.start.split("-"))
    last = year + (month - 1 + 12 * window - 1) // 12
    return f"{year}" if last == year else f"{year}-{last}"


def varies(v: np.ndarray) -> bool:
    """Whether the values differ across paths by more than rounding."""
    # a fixed input drawn by inverse CDF may differ in its last bit between paths
    lo, hi = float(np.min(v)), float(np.max(v))
    return hi - lo > 1e-9 * max(abs(lo), abs(hi), 1e-300)


def target_worlds(
    results: Results, target: str = "bankrupt", revenue_below: float | None = None
) -> tuple[np.ndarray, str, float | None]:
    """(target flag per path, words for it, low-revenue cut [USD] or None).

    ``bankrupt``: the path goes bankrupt in the horizon or in the run-off after it (the
    headline P(bankrupt)). ``low_revenue``: cumulative revenue over the horizon below
    ``revenue_below`` [USD] (default: its :data:`LOW_REVENUE_QUANTILE` quantile in this run).
    """
    if target == "bankrupt":
        return np.asarray(results.bankrupt, dtype=bool), "ruin", None
    if target == "low_revenue":
        rev = np.asarray(results.path["cum_revenue"], dtype=float)
        cut = (
            float(np.quantile(rev, LOW_REVENUE_QUANTILE))
            if revenue_below is None
            else revenue_below
        )
        return rev < cut, "low revenue", cut
    raise ValueError(f"unknown target {target!r}; expected one of {', '.join(TARGETS)}")
