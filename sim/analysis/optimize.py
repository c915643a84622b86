"""Most aggressive commitment whose bankruptcy risk stays within a budget.

The decision rule is a one-sided test. A value is accepted only when the one-sided 95%
Wilson upper bound of P(bankrupt) (z = 1.645) is at most the budget, i.e. the data
reject "P(bankrupt) > budget" at the 5% level. Plugging in the point estimate instead
would put the answer right on the boundary, where about half of fresh seeds would
exceed the budget.

Search: a coarse grid over ``[lo, hi]`` on common random numbers, then bisection between
the largest accepted value and the rejected grid point above it. P(bankrupt) need not rise
with the parameter: with pricing power (docs/model.md 5d) under-buying ruins too, so risk is
U-shaped and the accepted values form a band in the middle; the answer is the top of the
band, not the last value before the first rejection. When no grid point is accepted, the
valley around the least risky point is bisected (a band narrower than the grid step) before
the budget is called infeasible. The evaluations table lets users check the shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.model.scenario import Scenario
from sim.model.summary import wilson_interval

from .frontier import UPSIDES, frontier
from .sweep import ProgressFn, run_sweep

Z_ONE_SIDED_95 = 1.6448536269514722
"""Standard normal 95% quantile: the one-sided test's critical value."""


@dataclass(frozen=True)
class OptimizeResult:
    """Answer of :func:`max_commitment`."""

    param: str
    """Dotted name of the searched parameter."""
    budget: float
    """Largest acceptable P(bankrupt) [0..1]."""
    value: float
    """Most aggressive accepted value; NaN when no evaluated value meets the budget."""
    p_bankrupt: float
    """P(bankrupt) estimated at ``value`` (infeasible: at the least risky value) [0..1]."""
    ci95: tuple[float, float]
    """Two-sided Wilson 95% interval of ``p_bankrupt``."""
    p_bankrupt_upper: float
    """One-sided 95% Wilson upper bound used by the decision rule [0..1]."""
    paths: int
    """Paths per evaluation."""
    feasible: bool
    """False when no evaluated value meets the budget."""
    metrics: dict[str, float] = field(default_factory=dict)
    """:func:`sim.analysis.sweep.metrics` at ``value``."""
    evaluations: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Every evaluated value with its metrics, sorted by value."""
    least_risky: float = math.nan
    """Evaluated value with the lowest P(bankrupt) (what an infeasible answer reports)."""


def upper_bound(p: float, n: int) -> float:
    """One-sided 95% Wilson upper bound of a proportion ``p`` observed on ``n`` paths."""
    return wilson_interval(round(p * n), n, z=Z_ONE_SIDED_95)[1]


def _coarse(lo: float, hi: float, n: int) -> np.ndarray:
    return np.geomspace(lo, hi, n) if lo > 0 else np.linspace(lo, hi, n)


def max_commitment(
    scenario: Scenario,
    *,
    budget: float = 0.05,
    param: str = "policy.planned_growth",
    lo: float = 1.0,
    hi: float = 10.0,
    paths: int = 4000,
    seed: int | None = None,
    coarse: int = 10,
    bisections: int = 6,
    progress: ProgressFn | None = None,
    client: Any = None,
) -> OptimizeResult:
    """Largest ``param`` in ``[lo, hi]`` with P(bankrupt) credibly within ``budget``.

    Parameters
    ----------
    budget : acceptable probability of bankruptcy by the end of the horizon [0..1].
    param : dotted scenario parameter, more aggressive when larger (default: the
        planned growth of a planned_growth policy [x/yr]).
    paths : paths per evaluation; all evaluations share the seed (CRN).
    coarse, bisections : grid points, then bisection steps (resolution (hi-lo)/coarse/2^b).

    Examples
    --------
    >>> from sim import load_scenario
    >>> res = max_commitment(load_scenario(), budget=0.05, paths=500, bisections=2)
    >>> res.p_bankrupt_upper <= 0.05
    True
    """
    if not 0.0 < budget < 1.0:
        raise ValueError(f"budget must lie in (0, 1), got {budget}")
    if not lo < hi:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    rows: dict[float, dict[str, float]] = {}
    calls = [0]
    total = coarse + bisections

    def evaluate(values: list[float]) -> None:
        todo = [v for v in values if v not in rows]
        if not todo:
            return
        first = not rows
        df = run_sweep(scenario, [{param: v} for v in todo], paths=paths, seed=seed, client=client)
        for v, rec in zip(todo, df.to_dict(orient="records"), strict=True):
            rec["p_bankrupt_upper"] = upper_bound(rec["p_bankrupt"], paths)
            rec["meets_budget"] = rec["p_bankrupt_upper"] <= budget
            rows[v] = rec
        calls[0] += coarse if first else 1  # the grid, then one step per valley round or bisection
        if progress is not None:
            progress(min(calls[0], total), total)

    def ok(v: float) -> bool:
        return bool(rows[v]["meets_budget"])

    grid = [float(x) for x in _coarse(lo, hi, coarse)]
    evaluate(grid)
    steps = 0
    while steps < bisections and not any(ok(v) for v in rows):
        xs = sorted(rows)
        i = min(range(len(xs)), key=lambda j: (rows[xs[j]]["p_bankrupt"], -xs[j]))
        mids = [0.5 * (xs[i] + xs[j]) for j in (i - 1, i + 1) if 0 <= j < len(xs)]
        evaluate(mids)  # the valley of a U-shaped risk, one halving of the step per round
        steps += 1
    passing = [v for v in sorted(rows) if ok(v)]
    if not passing:
        best = math.nan
    else:
        good = passing[-1]
        above = [v for v in sorted(rows) if v > good]
        bad = above[0] if above else None
        for _ in range(bisections - steps if bad is not None else 0):
            mid = 0.5 * (good + bad)
            evaluate([mid])
            good, bad = (mid, bad) if ok(mid) else (good, mid)
        best = good
    table = pd.DataFrame([rows[v] for v in sorted(rows)])
    least = min(sorted(rows), key=lambda v: rows[v]["p_bankrupt"])
    if math.isnan(best):
        rec, feasible = rows[least], False
    else:
        rec, feasible = rows[best], True
    return OptimizeResult(
        param=param,
        budget=budget,
        value=best,
        p_bankrupt=float(rec["p_bankrupt"]),
        ci95=(float(rec["p_bankrupt_lo"]), float(rec["p_bankrupt_hi"])),
        p_bankrupt_upper=float(rec["p_bankrupt_upper"]),
        paths=paths,
        feasible=feasible,
        metrics={k: float(v) for k, v in rec.items() if k not in (param, "meets_budget")},
        evaluations=table,
        least_risky=least,
    )


def best_policy(
    scenario: Scenario,
    *,
    budget: float = 0.05,
    upside: str = "cum_revenue_p50",
    paths: int = 4000,
    seed: int | None = None,
    cells: list[dict] | None = None,
    progress: ProgressFn | None = None,
    client: Any = None,
) -> tuple[pd.Series | None, pd.DataFrame]:
    """Highest-upside policy of the frontier family that passes the one-sided budget test.

    Returns the chosen row (None when no policy passes) and the whole frontier table with
    ``p_bankrupt_upper`` and ``meets_budget`` columns added.
    """
    if not 0.0 < budget < 1.0:
        raise ValueError(f"budget must lie in (0, 1), got {budget}")
    df = frontier(scenario, paths=paths, seed=seed, cells=cells, progress=progress, client=client)
    df["p_bankrupt_upper"] = [upper_bound(p, paths) for p in df["p_bankrupt"]]
    df["meets_budget"] = df["p_bankrupt_upper"] <= budget
    ok = df[df["meets_budget"]]
    if ok.empty:
        return None, df
    best = ok[upside].idxmax() if UPSIDES.get(upside, True) else ok[upside].idxmin()
    return df.loc[best], df


def decision_units_for(
    scenario: Scenario, cell: dict[str, Any], paths: int, seed: int | None = None
) -> dict[str, Any]:
    """What a chosen policy commits to, per calendar year of delivery: new GW and nominal
    take-or-pay [USD] (P50, P90), obligations still owed at the horizon's end and
    P(bankrupt) by the year of the commitment that broke the lab. One run on the same draws
    as the search (same seed and paths)."""
    from sim.model.engine import run
    from sim.model.summary import bankruptcy_by_commitment_year, decision_units

    from .sweep import apply_cell, with_overrides

    chosen = with_overrides(apply_cell(scenario, cell), paths, seed)
    res = run(chosen, monthly_paths=0)
    owed = res.path["obligations_at_end"]
    return {
        **decision_units(res),
        "obligations_at_end": {"p50": float(np.quantile(owed, 0.5)),
                               "p90": float(np.quantile(owed, 0.9))},
        "p_bankrupt_by_commitment_year": bankruptcy_by_commitment_year(res),
    }  # fmt: skip
