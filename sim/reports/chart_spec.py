"""What the reports' charts show, shared by the HTML (Bokeh) and Markdown (matplotlib)
reports: titles, which axes are logarithmic and their floors, colours, money tick labels.
No plotting library here, so the Markdown report never imports Bokeh."""

from __future__ import annotations

import numpy as np
import pandas as pd

TITLES = {
    "demand_gw": "Potential demand vs capacity [GW]",
    "demand_usd": "Potential demand vs what capacity can serve [USD/yr]",
    "revenue": "Revenue served [USD/yr run-rate]",
    "compute_cost": "Compute cost, committed take-or-pay [USD/yr run-rate]",
    "cash": "Cash [USD]",
    "p_bankrupt": "Cumulative probability of bankruptcy (horizon, then run-off)",
    "training_share": "Training share of compute online",
    "bankrupt_month": "When bankrupt paths go bankrupt [share of all paths per month]",
}
"""Chart key -> title, in report order."""

SLIP_TITLES = {"slip_months": "Build slip per project [months]"}
COMPETITION_TITLES = {
    "training_compute": "The lab's effective training compute [GW-years]",
    "relative_capability": "Training compute relative to rivals [doublings, 0 = parity]",
    "demand_share": "The lab's share of frontier demand",
}
"""Charts of the "Build pipeline and slip" section (scenarios with ``compute.build`` only)."""

LOG_Y = ("demand_gw", "demand_usd", "revenue", "compute_cost")
"""Charts spanning orders of magnitude: log y-axis, so the early years stay readable."""
LOG_FLOOR = {"demand_gw": 0.01, "demand_usd": 1e8, "revenue": 1e8, "compute_cost": 1e8}
"""Smallest value drawn on a log axis [GW or USD/yr]: 0 (a bankrupt path) is drawn here."""

COLORS = {
    "demand": "#d62728", "capacity": "#1f77b4", "revenue": "#2ca02c", "cost": "#9467bd",
    "cash": "#8c564b", "training": "#ff7f0e", "risk": "#d62728",
}  # fmt: skip


USD_JS = """
    const a = Math.abs(tick), s = tick < 0 ? "-" : "";
    const f = (v) => String(Number(v.toPrecision(3)));
    if (a >= 1e12) return s + "$" + f(a / 1e12) + "T";
    if (a >= 1e9) return s + "$" + f(a / 1e9) + "B";
    if (a >= 1e6) return s + "$" + f(a / 1e6) + "M";
    return s + "$" + f(a);
"""
"""Tick labels of money axes: $100M, $10B, $1.2T (the reports' and dashboard's format)."""


def usd_scale(*frames: pd.DataFrame) -> tuple[float, str]:
    """(divisor, unit word) so that USD charts read in millions, billions or trillions."""
    top = max(float(np.nanmax(np.abs(f.to_numpy()))) if f.size else 0.0 for f in frames)
    for div, unit in ((1e12, "trillion"), (1e9, "billion")):
        if top >= div:
            return div, unit
    return 1e6, "million"


def floor_for_log(df: pd.DataFrame, floor: float) -> pd.DataFrame:
    """Values below ``floor`` (zeros, negatives, NaN of an empty band) raised to it."""
    return df.clip(lower=floor).fillna(floor)


def horizon_mark(frames: dict[str, pd.DataFrame]) -> pd.Timestamp | None:
    """Month the horizon ends, where the monthly charts draw a dotted line; None without
    run-off months after it (nothing to mark)."""
    end = frames.get("horizon_end")
    horizon = None if end is None else end["month"].iloc[0]
    return None if horizon is None or horizon > frames["revenue"].index[-1] else horizon
