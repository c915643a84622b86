"""Key numbers of a run: the content of ``summary.json`` and the per-year table."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .results import Results


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``k / n`` (95% by default)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _nan_quantile(x: np.ndarray, q: float) -> float:
    x = x[np.isfinite(x)]
    return float(np.quantile(x, q)) if x.size else float("nan")


def by_year(results: Results) -> pd.DataFrame:
    """One row per calendar year of the horizon.

    Revenue, demand and compute cost are USD in the year; capacity and cash at year end;
    ``unserved_share_mean`` averages unserved / potential demand over paths still solvent at
    year end; ``p_bankrupt`` is cumulative to the end of the year.
    """
    y = results.yearly
    bm = results.path["bankrupt_month"]
    cal = results.months.year.to_numpy()
    rows = []
    for j, year in enumerate(results.years):
        last_month = int(np.flatnonzero(cal == year)[-1])
        solvent = y["alive"][:, j].astype(bool)
        with np.errstate(invalid="ignore", divide="ignore"):
            unserved = y["unserved"][solvent, j] / y["demand"][solvent, j]
        rows.append(
            {
                "year": int(year),
                "months": int((cal == year).sum()),
                "revenue_p5": float(np.quantile(y["revenue"][:, j], 0.05)),
                "revenue_p50": float(np.quantile(y["revenue"][:, j], 0.50)),
                "revenue_p95": float(np.quantile(y["revenue"][:, j], 0.95)),
                "revenue_mean": float(y["revenue"][:, j].mean()),
                "demand_p50": float(np.quantile(y["demand"][:, j], 0.5)),
                "capacity_gw_p50": float(np.quantile(y["capacity_gw_end"][:, j], 0.5)),
                "training_gw_p50": float(np.quantile(y["training_gw_mean"][:, j], 0.5)),
                "compute_cost_p50": float(np.quantile(y["compute_cost"][:, j], 0.5)),
                "profit_p50": float(np.quantile(y["profit"][:, j], 0.5)),
                "training_share_p50": _nan_quantile(y["training_share"][:, j], 0.5),
                "unserved_share_mean": float(np.nanmean(unserved)) if unserved.size else math.nan,
                "cash_p50": float(np.quantile(y["cash"][:, j], 0.5)),
                "raised_mean": float(y["raised"][:, j].mean()),
                "p_bankrupt": float(((bm >= 0) & (bm <= last_month)).mean()),
            }
        )
    return pd.DataFrame(rows)


def summarize(results: Results) -> dict[str, Any]:
    """JSON-ready summary: scenario, paths, seed, p_bankrupt (+95% CI), by_year, outcomes."""
    s = results.scenario
    k = int(results.bankrupt.sum())
    lo, hi = wilson_interval(k, results.paths)
    path = results.path
    bm = path["bankrupt_month"]
    return {
        "scenario": s.name,
        "description": s.description,
        "paths": results.paths,
        "seed": s.simulation.seed,
        "start": s.simulation.start,
        "months": s.months,
        "p_bankrupt": k / results.paths,
        "p_bankrupt_ci95": [lo, hi],
        "median_months_to_bankruptcy": float(np.median(bm[bm >= 0])) if k else None,
        "cum_revenue_p50": float(np.quantile(path["cum_revenue"], 0.5)),
        "cum_revenue_p90": float(np.quantile(path["cum_revenue"], 0.9)),
        "unserved_share_of_demand": float(path["cum_unserved"].sum() / path["cum_demand"].sum()),
        "equity_value_p50": float(np.quantile(path["equity_value"], 0.5)),
        "equity_value_mean": float(path["equity_value"].mean()),
        "final_run_rate_p50": float(np.quantile(path["final_run_rate"], 0.5)),
        "elapsed_s": results.elapsed_s,
        "by_year": by_year(results).to_dict(orient="records"),
    }
