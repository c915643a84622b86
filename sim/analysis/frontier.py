"""Risk/upside frontier across a family of purchase policies, on common random numbers.

Each policy of :func:`policy_family` is run on the same draws; :func:`mark_frontier` flags
the non-dominated ones: no other policy has lower-or-equal risk and higher-or-equal upside
with at least one strictly better.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.model.scenario import Scenario

from .sweep import ProgressFn, run_sweep

PLANNED_GROWTH = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0, 10.0)
"""Planned growth levels of the family [x/yr]."""
QUANTILES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
"""Demand quantiles of the family [0..1]."""
HAIRCUTS = (0.0, 0.1, 0.2, 0.3, 0.5)
"""Haircuts of the adaptive policies [share of estimated log-growth]."""

UPSIDES = {
    "cum_revenue_p50": True,
    "cum_revenue_p90": True,
    "equity_value_mean": True,
    "unserved_share": False,
}
"""Upside measures and whether higher is better."""


def policy_family(scenario: Scenario) -> list[dict]:
    """Cells describing planned_growth, demand_quantile and adaptive purchase policies.

    Each cell sets ``policy.kind`` and that kind's parameter; ``review_months`` is kept
    from the scenario's policy (12 when it has none). Adaptive policies use the default
    prior (4x/yr, worth one year of evidence) with several haircuts.
    """
    cells: list[dict[str, Any]] = []
    cells += [{"policy.kind": "planned_growth", "policy.planned_growth": g} for g in PLANNED_GROWTH]
    cells += [{"policy.kind": "demand_quantile", "policy.q": q} for q in QUANTILES]
    cells += [{"policy.kind": "adaptive", "policy.haircut": h} for h in HAIRCUTS]
    return cells


def policy_label(row: dict[str, Any] | pd.Series) -> str:
    """Short name of a policy cell, e.g. ``planned_growth 4x``."""
    kind = row.get("policy.kind", "planned_growth")
    if kind == "planned_growth":
        return f"planned_growth {row.get('policy.planned_growth'):g}x"
    if kind == "demand_quantile":
        return f"demand_quantile q={row.get('policy.q'):g}"
    if kind == "adaptive":
        return f"adaptive haircut={row.get('policy.haircut'):g}"
    return str(kind)


def mark_frontier(
    df: pd.DataFrame,
    risk: str = "p_bankrupt",
    upside: str = "cum_revenue_p50",
    *,
    higher_is_better: bool | None = None,
    column: str = "efficient",
) -> pd.DataFrame:
    """Copy of ``df`` with a boolean column ``efficient``: the non-dominated rows.

    A row is dominated when another has ``risk`` <= and ``upside`` >= (<= for measures
    where lower is better, e.g. ``unserved_share``), with at least one strict inequality.
    Rows with NaN risk or upside are never efficient.

    Examples
    --------
    >>> d = pd.DataFrame({"p_bankrupt": [0.0, 0.1, 0.1], "cum_revenue_p50": [1.0, 3.0, 2.0]})
    >>> mark_frontier(d)["efficient"].tolist()
    [True, True, False]
    """
    if higher_is_better is None:
        higher_is_better = UPSIDES.get(upside, True)
    r = df[risk].to_numpy(dtype=float)
    u = df[upside].to_numpy(dtype=float)
    if not higher_is_better:
        u = -u
    ok = np.isfinite(r) & np.isfinite(u)
    no_worse = (r[None, :] <= r[:, None]) & (u[None, :] >= u[:, None])
    better = (r[None, :] < r[:, None]) | (u[None, :] > u[:, None])
    dominated = (no_worse & better & ok[None, :]).any(axis=1)
    out = df.copy()
    out[column] = ok & ~dominated
    return out


def frontier(
    scenario: Scenario,
    *,
    paths: int | None = 4000,
    seed: int | None = None,
    cells: list[dict] | None = None,
    progress: ProgressFn | None = None,
    client: Any = None,
) -> pd.DataFrame:
    """Run the policy family and mark the frontier for every upside measure.

    Returns the :func:`sim.analysis.sweep.run_sweep` table plus ``policy`` (a label), ``efficient``
    (risk = P(bankrupt), upside = median cumulative revenue) and ``efficient_<upside>`` for
    each measure in :data:`UPSIDES`.
    """
    cells = policy_family(scenario) if cells is None else cells
    df = run_sweep(scenario, cells, paths=paths, seed=seed, progress=progress, client=client)
    elapsed = df.attrs.get("elapsed_s")
    df.insert(0, "policy", [policy_label(c) for c in cells])
    df = mark_frontier(df)
    for name in UPSIDES:
        df = mark_frontier(df, upside=name, column=f"efficient_{name}")
    df.attrs["elapsed_s"] = elapsed
    return df
