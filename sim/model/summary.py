"""Key numbers of a run: the content of ``summary.json`` and the per-year table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .results import Results
from .store import DiskColumns

SCHEMA_VERSION = 2
"""Version of the ``summary.json`` layout; 2 added run-off figures and provenance."""


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


def year_column(store: Mapping[str, np.ndarray], key: str, j: int) -> np.ndarray:
    """Year ``j`` of a per-year statistic, shape (paths,): read alone from a run spilled
    to disk (:class:`sim.model.store.DiskColumns`), sliced from memory otherwise."""
    if isinstance(store, DiskColumns):
        return store.year(key, j)
    return store[key][:, j]


def _nanmean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else math.nan


def by_year(results: Results) -> pd.DataFrame:
    """One row per calendar year of the horizon.

    Revenue, demand and compute cost are USD in the year; capacity and cash at year end;
    ``unserved_share_mean`` averages unserved / potential demand over paths still solvent at
    year end; ``p_bankrupt`` is cumulative to the end of the year. Columns are read one year
    at a time, so a run spilled to disk needs memory for one (paths,) array per statistic.
    """
    y = results.yearly
    bm = results.path["bankrupt_month"]
    cal = results.months.year.to_numpy()
    rows = []
    for j, year in enumerate(results.years):
        last_month = int(np.flatnonzero(cal == year)[-1])

        def col(key: str, j: int = j) -> np.ndarray:
            return year_column(y, key, j)

        revenue = col("revenue")
        solvent = col("alive").astype(bool)
        with np.errstate(invalid="ignore", divide="ignore"):
            unserved = col("unserved")[solvent] / col("demand")[solvent]
        rows.append(
            {
                "year": int(year),
                "months": int((cal == year).sum()),
                "revenue_p5": float(np.quantile(revenue, 0.05)),
                "revenue_p50": float(np.quantile(revenue, 0.50)),
                "revenue_p95": float(np.quantile(revenue, 0.95)),
                "revenue_mean": float(revenue.mean()),
                "demand_p50": float(np.quantile(col("demand"), 0.5)),
                "capacity_gw_p50": float(np.quantile(col("capacity_gw_end"), 0.5)),
                "training_gw_p50": float(np.quantile(col("training_gw_mean"), 0.5)),
                "compute_cost_p50": float(np.quantile(col("compute_cost"), 0.5)),
                "profit_p50": float(np.quantile(col("profit"), 0.5)),
                "training_share_p50": _nan_quantile(col("training_share"), 0.5),
                "unserved_share_mean": _nanmean(unserved),
                "gross_margin_p50": _nan_quantile(col("gross_margin"), 0.5),
                "cash_p50": float(np.quantile(col("cash"), 0.5)),
                "raised_mean": float(col("raised").mean()),
                "p_bankrupt": float(((bm >= 0) & (bm <= last_month)).mean()),
                "training_compute_p50": float(np.quantile(col("training_compute_end"), 0.5)),
                "lost_demand_mean": float(col("lost").mean()),
                **(_competition_row(col) if results.scenario.competition is not None else {}),
            }
        )
    return pd.DataFrame(rows)


def _competition_row(col: Any) -> dict[str, float]:
    """Per-year competition figures: the lab's effective training compute relative to rivals
    [doublings, 0 = parity] and its share of frontier demand, at year end, medians."""
    return {
        "relative_capability_p50": _nan_quantile(col("relative_capability_end"), 0.5),
        "demand_share_p50": _nan_quantile(col("demand_share_end"), 0.5),
        "demand_share_p10": _nan_quantile(col("demand_share_end"), 0.1),
        "demand_share_p90": _nan_quantile(col("demand_share_end"), 0.9),
    }


def runoff_by_year(results: Results) -> pd.DataFrame:
    """One row per calendar year of the run-off (after the horizon, no new orders).

    ``p_bankrupt`` is cumulative from the start (horizon included); ``obligations_running``
    the share of paths solvent at year end that still pay for a contract; compute cost
    [USD in the year], capacity [GW at year end], revenue and cash are medians over all paths
    (0 revenue and frozen cash for bankrupt paths).
    """
    if results.runoff_months is None:
        return pd.DataFrame(
            columns=["year", "months", "p_bankrupt", "obligations_running", "revenue_p50",
                     "compute_cost_p50", "capacity_gw_p50", "cash_p50"]
        )  # fmt: skip
    y = results.runoff_yearly
    bm = results.path["bankrupt_month"]
    cal = results.runoff_months.year.to_numpy()
    rows = []
    for j, year in enumerate(results.runoff_years):
        last_month = results.horizon_months + int(np.flatnonzero(cal == year)[-1])
        solvent = year_column(y, "alive", j).astype(bool)
        paying = solvent & (year_column(y, "compute_cost", j) > 0)
        rows.append(
            {
                "year": int(year),
                "months": int((cal == year).sum()),
                "p_bankrupt": float(((bm >= 0) & (bm <= last_month)).mean()),
                "obligations_running": float(paying.sum() / max(1, solvent.sum())),
                **{f"{key}_p50": float(np.quantile(year_column(y, src, j), 0.5))
                   for key, src in (("revenue", "revenue"), ("compute_cost", "compute_cost"),
                                    ("capacity_gw", "capacity_gw_end"), ("cash", "cash"))},
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def truncated_tranches(results: Results) -> list[dict[str, Any]]:
    """Fixed tranches the supply cap cut: index, start, GW asked, mean GW cut over all paths
    and the share of paths where it was cut (an empty list when none was cut)."""
    from .scenario import FixedSchedule

    policy = results.scenario.policy
    cut = results.truncation
    if not isinstance(policy, FixedSchedule) or not cut:
        return []
    out = []
    for k, tr in enumerate(policy.tranches):
        if cut["paths_cut"][k] > 0:
            out.append(
                {"index": k, "start": tr.start, "gw": tr.gw,
                 "truncated_gw": float(cut["gw_sum"][k] / results.paths),
                 "share_of_paths": float(cut["paths_cut"][k] / results.paths)}
            )  # fmt: skip
    return out


def truncation_warnings(summary: dict[str, Any]) -> list[str]:
    """One plain sentence per tranche the supply cap cut (for stderr)."""
    return [
        f"warning: policy.tranches[{t['index']}] ({t['gw']:g} GW from {t['start']}) exceeds "
        f"what the industry supply cap leaves for this lab: cut by {t['truncated_gw']:.3g} GW "
        f"on average, on {t['share_of_paths']:.0%} of paths (see compute.industry_gw_start, "
        "industry_growth, industry_gw_max, max_industry_share)"
        for t in summary.get("truncated_tranches", [])
    ]


def provenance(results: Results) -> dict[str, Any]:
    """What produced a result: schema version, package version, the resolved scenario."""
    from sim import __version__

    return {
        "schema_version": SCHEMA_VERSION,
        "package_version": __version__,
        "scenario_resolved": results.scenario.model_dump(
            by_alias=True, exclude_none=True, mode="json"
        ),
    }


def summarize(results: Results) -> dict[str, Any]:
    """JSON-ready summary: P(bankrupt) with run-off (headline) and within the horizon, each
    with its 95% CI; obligations at the end of the horizon; per-year tables; provenance."""
    s = results.scenario
    k = int(results.bankrupt.sum())
    lo, hi = wilson_interval(k, results.paths)
    k_in = int(results.bankrupt_in_horizon.sum())
    path = results.path
    bm = path["bankrupt_month"]
    solvent_at_end = (bm < 0) | (bm >= results.horizon_months)
    owed = path["obligations_at_end"][solvent_at_end]
    in_horizon = bm[(bm >= 0) & (bm < results.horizon_months)]
    truncated = path["truncated_gw"]
    return {
        **provenance(results),
        "scenario": s.name,
        "description": s.description,
        "paths": results.paths,
        "seed": s.simulation.seed,
        "start": s.simulation.start,
        "months": s.months,
        "runoff_months": results.total_months - results.horizon_months,
        "p_bankrupt": k / results.paths,
        "p_bankrupt_ci95": [lo, hi],
        "p_bankrupt_in_horizon": k_in / results.paths,
        "p_bankrupt_in_horizon_ci95": list(wilson_interval(k_in, results.paths)),
        "median_months_to_bankruptcy": float(np.median(in_horizon)) if k_in else None,
        "obligations_at_end_p50": float(np.quantile(owed, 0.5)) if owed.size else None,
        "obligations_at_end_p90": float(np.quantile(owed, 0.9)) if owed.size else None,
        "truncated_gw": float(truncated.mean()),
        "truncated_gw_max": float(truncated.max()) if truncated.size else 0.0,
        "truncated_tranches": truncated_tranches(results),
        "cum_revenue_p50": float(np.quantile(path["cum_revenue"], 0.5)),
        "cum_revenue_p90": float(np.quantile(path["cum_revenue"], 0.9)),
        "unserved_share_of_demand": float(path["cum_unserved"].sum() / path["cum_demand"].sum()),
        "lost_share_of_demand": float(
            path["cum_lost"].sum() / (path["cum_demand"].sum() + path["cum_lost"].sum())
        ),
        "equity_value_p50": float(np.quantile(path["equity_value"], 0.5)),
        "equity_value_mean": float(path["equity_value"].mean()),
        "final_run_rate_p50": float(np.quantile(path["final_run_rate"], 0.5)),
        "elapsed_s": results.elapsed_s,
        "by_year": by_year(results).to_dict(orient="records"),
        "runoff_by_year": runoff_by_year(results).to_dict(orient="records"),
    }
