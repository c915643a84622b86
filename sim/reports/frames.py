"""Chart-ready tables computed from :class:`sim.results.Results` (pandas only, no plotting).

Every fan chart shows P5, P50 and P95 across the paths with monthly records. Flows are
annualized (monthly USD x 12 = USD/yr run-rate) so they read on the same axis as demand.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from sim.distributions import _Dist
from sim.results import Results
from sim.rng import blocks
from sim.sampling import sample_inputs
from sim.scenario import Scenario

QUANTILES = (0.05, 0.5, 0.95)


def fan(arr: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """P5/P50/P95 across paths (axis 0) of an (m, months) array, NaNs ignored."""
    with np.errstate(all="ignore"):
        q = np.nanquantile(arr, QUANTILES, axis=0) if arr.size else np.full((3, len(index)), np.nan)
    return pd.DataFrame({"p5": q[0], "p50": q[1], "p95": q[2]}, index=index)


def month_index(results: Results) -> pd.DatetimeIndex:
    """Month starts of the horizon as timestamps (named ``month``)."""
    return pd.DatetimeIndex(results.months.to_timestamp(), name="month")


def revenue_per_gw(results: Results) -> np.ndarray:
    """Revenue one inference GW can serve, per monthly path and month, (m, months) [USD/yr].

    Re-draws the per-path parameters of the first ``m`` paths from the run's seeded streams
    (same block/purpose keys as the engine), so it matches the engine exactly.
    """
    scenario = results.scenario
    m = results.monthly["revenue"].shape[0]
    parts = []
    for b, first, n in blocks(scenario.simulation.paths):
        if first >= m:
            break
        p = sample_inputs(scenario, n, b).params
        take = min(n, m - first)
        price = p["compute.price_per_gw_year"][:take]
        margin = p["economics.gross_margin"][:take]
        eff = p["compute.revenue_per_gw_growth"][:take]
        t = np.arange(scenario.months) / 12.0
        parts.append((price / (1.0 - margin))[:, None] * eff[:, None] ** t)
    return np.concatenate(parts) if parts else np.zeros((0, scenario.months))


def plan_inference_share(results: Results) -> np.ndarray:
    """Inference share of compute the plan assumes, per monthly path, shape (m,)."""
    scenario = results.scenario
    m = results.monthly["revenue"].shape[0]
    parts = []
    for b, first, n in blocks(scenario.simulation.paths):
        if first >= m:
            break
        share = sample_inputs(scenario, n, b).params["allocation.training_share"]
        parts.append(1.0 - share[: min(n, m - first)])
    return np.concatenate(parts) if parts else np.zeros(0)


def chart_frames(results: Results) -> dict[str, pd.DataFrame]:
    """All tables the charts need, keyed by chart name.

    ``demand_gw`` / ``capacity_gw``: potential demand in GW-equivalent (demand / revenue per
    inference GW at the plan's split) vs capacity online [GW]; ``demand_usd`` /
    ``servable_usd``: potential demand vs what capacity serves at the plan's split [USD/yr];
    ``revenue``, ``compute_cost``, ``cash`` fans [USD/yr or USD]; ``p_bankrupt`` cumulative
    [0..1]; ``training_share`` [0..1]; ``bankrupt_month`` histogram counts.
    """
    mo = results.monthly
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
        "p_bankrupt": pd.DataFrame({"p_bankrupt": results.p_bankrupt_by_month()}, index=idx),
    }
    bm = results.path["bankrupt_month"]
    counts = np.bincount(bm[bm >= 0], minlength=results.scenario.months)
    frames["bankrupt_month"] = pd.DataFrame(
        {"paths": counts, "share": counts / results.paths}, index=idx
    )
    return frames


def _fmt_number(x: float) -> str:
    if x != 0 and (abs(x) >= 1e6 or abs(x) < 1e-3):
        return f"{x:.4g}"
    return f"{x:g}"


def format_value(value: Any) -> str:
    """A parameter as people read it: ``3``, ``loguniform(3, 10)``, ``12e9``."""
    if isinstance(value, _Dist):
        args = {k: v for k, v in value.model_dump(by_alias=True).items() if k != "dist"}
        inner = ", ".join(f"{k}={_fmt_number(v)}" for k, v in args.items())
        return f"{value.dist}({inner})"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return _fmt_number(float(value))
    if isinstance(value, list):
        return "; ".join(format_value(v) for v in value) or "(none)"
    if isinstance(value, BaseModel):
        items = value.model_dump(by_alias=True, exclude_none=True)
        return ", ".join(f"{k}={format_value(getattr(value, k, v))}" for k, v in items.items())
    return str(value)


def assumptions_table(scenario: Scenario) -> pd.DataFrame:
    """Every scenario field with its value or distribution and its description/units."""
    rows: list[dict[str, str]] = []

    def walk(model: BaseModel, prefix: str) -> None:
        for name, field in type(model).model_fields.items():
            value = getattr(model, name)
            key = f"{prefix}{field.alias or name}"
            if isinstance(value, BaseModel) and not isinstance(value, _Dist):
                walk(value, key + ".")
            else:
                rows.append(
                    {"parameter": key, "value": format_value(value),
                     "meaning": field.description or ""}
                )  # fmt: skip

    walk(scenario, "")
    return pd.DataFrame(rows, columns=["parameter", "value", "meaning"])


def key_numbers(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, formatted value) pairs of the headline numbers of a run."""
    from sim.outputs import usd

    lo, hi = summary["p_bankrupt_ci95"]
    mtb = summary.get("median_months_to_bankruptcy")
    return [
        ("Scenario", str(summary["scenario"])),
        ("Paths / seed", f"{summary['paths']:,} / {summary['seed']}"),
        ("P(bankrupt by end)", format_p_bankrupt(summary)),
        ("P(bankrupt) 95% CI", f"{lo:.1%} - {hi:.1%}"),
        ("Median months to bankruptcy (bankrupt paths)", "n/a" if mtb is None else f"{mtb:g}"),
        ("Cumulative revenue, median", usd(summary["cum_revenue_p50"])),
        ("Cumulative revenue, P90", usd(summary["cum_revenue_p90"])),
        ("Unserved share of potential demand", f"{summary['unserved_share_of_demand']:.1%}"),
        ("Equity value at end, median", usd(summary["equity_value_p50"])),
        ("Final revenue run-rate, median", usd(summary["final_run_rate_p50"]) + "/yr"),
    ]


def format_p_bankrupt(summary: dict[str, Any]) -> str:
    """P(bankrupt) as printed in every report, e.g. ``11.2%``."""
    return f"{summary['p_bankrupt']:.1%}"


BY_YEAR_COLUMNS = {
    "year": ("Year", "int"),
    "revenue_p5": ("Revenue P5", "usd"),
    "revenue_p50": ("Revenue P50", "usd"),
    "revenue_p95": ("Revenue P95", "usd"),
    "demand_p50": ("Potential demand P50", "usd"),
    "capacity_gw_p50": ("GW at year end P50", "gw"),
    "compute_cost_p50": ("Compute cost P50", "usd"),
    "profit_p50": ("Profit P50", "usd"),
    "training_share_p50": ("Training share P50", "pct"),
    "unserved_share_mean": ("Unserved share", "pct"),
    "cash_p50": ("Cash at year end P50", "usd"),
    "p_bankrupt": ("P(bankrupt) by year end", "pct"),
}


def by_year_display(summary: dict[str, Any]) -> pd.DataFrame:
    """The per-year table with readable headers and formatted cells."""
    from sim.outputs import usd

    fmt = {
        "int": lambda x: f"{int(x)}",
        "usd": usd,
        "gw": lambda x: f"{x:,.1f}",
        "pct": lambda x: "n/a" if x is None or x != x else f"{x:.1%}",
    }
    rows = [
        {label: fmt[kind](r[col]) for col, (label, kind) in BY_YEAR_COLUMNS.items()}
        for r in summary["by_year"]
    ]
    return pd.DataFrame(rows, columns=[label for label, _ in BY_YEAR_COLUMNS.values()])
