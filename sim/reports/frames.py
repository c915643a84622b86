"""Chart-ready tables computed from :class:`sim.model.results.Results` (pandas only, no plotting).

Every fan frame holds P5, P25, P50, P75 and P95 across the paths with monthly records (the
reports draw the P5-P95 band and the median, the dashboard also the P25-P75 band). Flows are
annualized (monthly USD x 12 = USD/yr run-rate) so they read on the same axis as demand.
The backtest table sits here too. Formatted tables of the summary live in
:mod:`sim.reports.summary_tables`, the build pipeline's slip tables in
:mod:`sim.reports.build_slips`; their names are re-exported here (older import path).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from sim.model.kernel_inputs import revenue_per_gw as engine_revenue_per_gw
from sim.model.results import Results

from .build_slips import (
    SLIP_EFFECT_COLUMNS,
    SLIP_EFFECT_MAX_PATHS,
    SLIP_QUANTILES,
    slip_effect_display,
    slip_effect_frame,
    slip_effect_note,
    slip_effect_paths,
    slip_frames,
    slip_quantiles,
    slip_quantiles_display,
    whole_month_slips,
)
from .summary_tables import (
    BY_YEAR_COLUMNS,
    COMMITMENTS_NOTE,
    COMPETITION_NOTE,
    MONEY_FIELDS,
    RUNOFF_COLUMNS,
    RUNOFF_NOTE,
    assumptions_table,
    by_year_display,
    commitments_display,
    finance_lines,
    format_p_bankrupt,
    format_value,
    is_money,
    key_numbers,
    market_numbers,
    month_date,
    runoff_display,
)

__all__ = [  # the moved names stay importable from here
    "BY_YEAR_COLUMNS",
    "COMMITMENTS_NOTE",
    "COMPETITION_NOTE",
    "FAN_QUANTILES",
    "MONEY_FIELDS",
    "QUANTILES",
    "RUNOFF_COLUMNS",
    "RUNOFF_NOTE",
    "SLIP_EFFECT_COLUMNS",
    "SLIP_EFFECT_MAX_PATHS",
    "SLIP_QUANTILES",
    "assumptions_table",
    "backtest_display",
    "backtest_frame",
    "backtest_note",
    "by_year_display",
    "chart_frames",
    "commitments_display",
    "fan",
    "finance_lines",
    "format_p_bankrupt",
    "format_value",
    "horizon_end",
    "is_money",
    "key_numbers",
    "market_numbers",
    "month_date",
    "month_index",
    "plan_inference_share",
    "revenue_per_gw",
    "runoff_display",
    "slip_effect_display",
    "slip_effect_frame",
    "slip_effect_note",
    "slip_effect_paths",
    "slip_frames",
    "slip_quantiles",
    "slip_quantiles_display",
    "whole_month_slips",
]

QUANTILES = (0.05, 0.5, 0.95)
"""Quantiles of the backtest table (model P5, P50, P95)."""
FAN_QUANTILES = {"p5": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}
"""Column -> quantile of every fan frame (P25/P75 added for the dashboard's inner band)."""


def fan(arr: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """P5/P25/P50/P75/P95 across paths (axis 0) of an (m, months) array, NaNs ignored."""
    # a month in which no path has a value (training share with every path bankrupt) is NaN
    # on purpose: no "All-NaN slice" warning for it
    qs = list(FAN_QUANTILES.values())
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if not arr.size:
            q = np.full((len(qs), len(index)), np.nan)
        elif np.isnan(arr).any():
            q = np.nanquantile(arr, qs, axis=0)
        else:  # the same numbers, ~20x faster than nanquantile's per-column loop
            q = np.quantile(arr, qs, axis=0)
    return pd.DataFrame(dict(zip(FAN_QUANTILES, q, strict=True)), index=index)


def month_index(results: Results) -> pd.DatetimeIndex:
    """Month starts of the horizon and the run-off as timestamps (named ``month``)."""
    months = results.months
    if results.runoff_months is not None:
        months = months.append(results.runoff_months)
    return pd.DatetimeIndex(months.to_timestamp(), name="month")


def horizon_end(results: Results) -> pd.Timestamp:
    """First month after the decision horizon (where the run-off starts)."""
    return (results.months[-1] + 1).to_timestamp()


def revenue_per_gw(results: Results) -> np.ndarray:
    """Revenue one inference GW can serve, per monthly path and month, (m, months) [USD/yr]."""
    return engine_revenue_per_gw(results.params, results.total_months)


def plan_inference_share(results: Results) -> np.ndarray:
    """Inference share of compute the plan assumes, per monthly path, shape (m,)."""
    return 1.0 - results.params["allocation.training_share"]


def chart_frames(results: Results) -> dict[str, pd.DataFrame]:
    """All tables the charts need, keyed by chart name.

    ``demand_gw`` / ``capacity_gw``: potential demand in GW-equivalent (demand / revenue per
    inference GW at the plan's split) vs capacity online [GW]; ``demand_usd`` /
    ``servable_usd``: potential demand vs what capacity serves at the plan's split [USD/yr];
    ``revenue``, ``compute_cost``, ``cash`` fans [USD/yr or USD]; ``p_bankrupt`` cumulative
    [0..1]; ``training_share`` [0..1]; ``bankrupt_month`` histogram counts; with competition
    also ``training_compute`` [GW-years], ``relative_capability`` [doublings vs rivals] and
    ``demand_share`` [0..1] fans. Every frame covers the horizon and the run-off after it
    (``horizon_end`` marks the boundary).
    """
    mo = {k: results.monthly_all(k) for k in results.monthly}
    idx = month_index(results)
    rpg = revenue_per_gw(results)
    share = plan_inference_share(results)[:, None]
    with np.errstate(all="ignore"):
        demand_gw = mo["demand"] / (rpg * share)
        train_share = np.where(mo["capacity_gw"] > 0, mo["training_gw"] / mo["capacity_gw"], np.nan)
    frames = {
        "demand_gw": fan(demand_gw, idx),
        "capacity_gw": fan(mo["capacity_gw"], idx),
        "demand_usd": fan(mo["demand"], idx),
        "servable_usd": fan(mo["capacity_gw"] * rpg * share, idx),
        "revenue": fan(mo["revenue"] * 12.0, idx),
        "compute_cost": fan(mo["compute_cost"] * 12.0, idx),
        "cash": fan(mo["cash"], idx),
        "training_share": fan(train_share, idx),
        "p_bankrupt": pd.DataFrame(
            {"p_bankrupt": results.p_bankrupt_by_month(runoff=True)}, index=idx
        ),
        "horizon_end": pd.DataFrame({"month": [horizon_end(results)]}),
    }
    bm = results.path["bankrupt_month"]
    counts = np.bincount(bm[bm >= 0], minlength=results.total_months)
    frames["bankrupt_month"] = pd.DataFrame(
        {"paths": counts, "share": counts / results.paths}, index=idx
    )
    if results.scenario.competition is not None:  # training compute buys demand
        for key in ("training_compute", "relative_capability", "demand_share"):
            frames[key] = fan(mo[key], idx)
    return frames


# --- backtest against observed public figures (scenarios with a backtest section) ----------


def backtest_frame(results: Results) -> pd.DataFrame | None:
    """Observed figures next to the model's P5/P50/P95 in the same month, or None.

    ``revenue_run_rate`` compares with served revenue x 12 in that month [USD/yr] (the
    run-rate at the start of the month), ``capacity_gw`` with GW online in that month.
    """
    bt = results.scenario.backtest
    if bt is None:
        return None
    from sim.model.scenario import month_index as offset

    start = results.scenario.simulation.start
    rows = []
    series = {
        "revenue_run_rate": (bt.revenue_run_rate, results.monthly["revenue"] * 12.0),
        "capacity_gw": (bt.capacity_gw, results.monthly["capacity_gw"]),
    }
    for name, (observed, model) in series.items():
        for month, value in sorted(observed.items()):
            col = model[:, offset(month, start)]
            q = np.quantile(col, QUANTILES)
            rows.append(
                {"series": name, "month": month, "observed": value, "model_p5": q[0],
                 "model_p50": q[1], "model_p95": q[2],
                 "inside_p5_p95": bool(q[0] <= value <= q[2])}
            )  # fmt: skip
    return pd.DataFrame(rows)


def backtest_display(results: Results) -> pd.DataFrame | None:
    """:func:`backtest_frame` with readable headers and formatted cells."""
    df = backtest_frame(results)
    if df is None:
        return None
    from sim.outputs import usd

    def fmt(series: str, x: float) -> str:
        return usd(x) + "/yr" if series == "revenue_run_rate" else f"{x:,.2f} GW"

    labels = {"revenue_run_rate": "Revenue run-rate", "capacity_gw": "GW online"}
    return pd.DataFrame(
        [
            {"Series": labels[r.series], "Month": r.month, "Observed": fmt(r.series, r.observed),
             "Model P5": fmt(r.series, r.model_p5), "Model P50": fmt(r.series, r.model_p50),
             "Model P95": fmt(r.series, r.model_p95),
             "Inside P5-P95": "yes" if r.inside_p5_p95 else "no"}
            for r in df.itertuples(index=False)
        ]
    )  # fmt: skip


def backtest_note(results: Results) -> str:
    """How to read the backtest table, with the source of the observed figures."""
    bt = results.scenario.backtest
    df = backtest_frame(results)
    inside = int(df["inside_p5_p95"].sum()) if df is not None else 0
    total = 0 if df is None else len(df)
    source = f" Source: {bt.source}." if bt is not None and bt.source else ""
    return (
        f"{inside} of {total} observed figures lie inside the model's P5-P95 band in the same "
        "month. Revenue run-rate is served revenue x 12; GW online is capacity under contract."
        + source
    )
