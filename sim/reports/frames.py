"""Chart-ready tables computed from :class:`sim.model.results.Results` (pandas only, no plotting).

Every fan chart shows P5, P50 and P95 across the paths with monthly records. Flows are
annualized (monthly USD x 12 = USD/yr run-rate) so they read on the same axis as demand.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from sim.model.distributions import _Dist
from sim.model.engine import revenue_per_gw as engine_revenue_per_gw
from sim.model.results import Results
from sim.model.scenario import Scenario

QUANTILES = (0.05, 0.5, 0.95)


def fan(arr: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """P5/P50/P95 across paths (axis 0) of an (m, months) array, NaNs ignored."""
    # a month in which no path has a value (training share with every path bankrupt) is NaN
    # on purpose: no "All-NaN slice" warning for it
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if not arr.size:
            q = np.full((3, len(index)), np.nan)
        elif np.isnan(arr).any():
            q = np.nanquantile(arr, QUANTILES, axis=0)
        else:  # the same numbers, ~20x faster than nanquantile's per-column loop
            q = np.quantile(arr, QUANTILES, axis=0)
    return pd.DataFrame({"p5": q[0], "p50": q[1], "p95": q[2]}, index=index)


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


def _fmt_number(x: float, money: bool = False) -> str:
    if money:
        from sim.outputs import usd

        return usd(x)
    if x != 0 and (abs(x) >= 1e6 or abs(x) < 1e-3):
        return f"{x:.4g}"
    return f"{x:g}"


MONEY_FIELDS = {"price_per_gw_year", "initial_cash", "max_raise_per_year"}
"""Fields in USD whose description does not say so (read as money in tables)."""


def is_money(name: str, description: str | None) -> bool:
    """Whether a scenario field is an amount of money [USD or USD/yr]."""
    return "USD" in (description or "") or name in MONEY_FIELDS


def format_value(value: Any, money: bool = False) -> str:
    """A parameter as people read it: ``3``, ``loguniform(3, 10)``, ``$12B`` (``money``)."""
    if isinstance(value, _Dist):
        if value.dist == "mixture":  # type: ignore[attr-defined]
            parts = zip(value.weights, value.components, strict=True)  # type: ignore[attr-defined]
            return (
                "mixture(" + "; ".join(f"{w:g}: {format_value(c, money)}" for w, c in parts) + ")"
            )
        args = {
            k: v for k, v in value.model_dump(by_alias=True).items()
            if k != "dist" and v is not None
        }  # fmt: skip
        inner = ", ".join(
            f"{k}={_fmt_number(v, money and k != 'sigma')}"  # sigma: log-space
            for k, v in args.items()
        )
        return f"{value.dist}({inner})"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) or "(none)"
    if isinstance(value, tuple):
        return " ~ ".join(format_value(v, money) for v in value)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return _fmt_number(float(value), money)
    if isinstance(value, list):
        return "; ".join(format_value(v) for v in value) or "(none)"
    if isinstance(value, BaseModel):
        items = value.model_dump(by_alias=True, exclude_none=True)
        fields = type(value).model_fields
        return ", ".join(
            f"{k}={format_value(getattr(value, k, v), is_money(k, getattr(fields.get(k), 'description', None)))}"
            for k, v in items.items()
        )
    return str(value)


def assumptions_table(scenario: Scenario) -> pd.DataFrame:
    """Every scenario field with its value or distribution and its description/units;
    amounts of money read as $10B / $1.2T."""
    rows: list[dict[str, str]] = []

    def walk(model: BaseModel, prefix: str) -> None:
        for name, field in type(model).model_fields.items():
            value = getattr(model, name)
            key = f"{prefix}{field.alias or name}"
            if isinstance(value, BaseModel) and not isinstance(value, _Dist):
                walk(value, key + ".")
            else:
                money = is_money(name, field.description)
                rows.append(
                    {"parameter": key, "value": format_value(value, money),
                     "meaning": field.description or ""}
                )  # fmt: skip

    walk(scenario, "")
    return pd.DataFrame(rows, columns=["parameter", "value", "meaning"])


def month_date(start: str, months: float) -> str:
    """The calendar month ``months`` after ``start`` (``"2026-01"``, 70 -> ``"2031-11"``)."""
    return str(pd.Period(start, freq="M") + round(months))


def key_numbers(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, formatted value) pairs of the headline numbers of a run."""
    from sim.outputs import usd

    lo, hi = summary["p_bankrupt_ci95"]
    mtb = summary.get("median_months_to_bankruptcy")
    runoff = summary.get("runoff_months", 0)
    owed = summary.get("obligations_at_end_p50")
    in_h = summary.get("p_bankrupt_in_horizon", summary["p_bankrupt"])
    h_lo, h_hi = summary.get("p_bankrupt_in_horizon_ci95", [lo, hi])
    start = summary.get("start") or "2026-01"
    end = month_date(start, summary.get("months", 0))
    runoff_end = month_date(start, summary.get("months", 0) + runoff - 1) if runoff else end
    return [
        ("P(bankrupt by end)", format_p_bankrupt(summary)),
        ("P(bankrupt) 95% CI", f"{lo:.1%} - {hi:.1%}"),
        ("P(bankrupt) within the horizon", f"{in_h:.1%} ({h_lo:.1%} - {h_hi:.1%})"),
        (
            "Run-off after the horizon (no new orders)",
            f"{end} to {runoff_end} ({runoff} months)" if runoff else "none",
        ),
        (
            "Take-or-pay still owed at horizon end, median (solvent paths)",
            "n/a" if owed is None else usd(owed),
        ),
        (
            "Median bankruptcy date (paths bankrupt in the horizon)",
            "n/a" if mtb is None else month_date(start, mtb),
        ),
        ("Cumulative revenue, median", usd(summary["cum_revenue_p50"])),
        ("Cumulative revenue, P90", usd(summary["cum_revenue_p90"])),
        ("Unserved share of potential demand", f"{summary['unserved_share_of_demand']:.1%}"),
        *market_numbers(summary),
        ("Equity value at end, median", usd(summary["equity_value_p50"])),
        ("Final revenue run-rate, median", usd(summary["final_run_rate_p50"]) + "/yr"),
        ("Scenario", str(summary["scenario"])),
        ("Paths / seed", f"{summary['paths']:,} / {summary['seed']}"),
    ]


def market_numbers(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """With a market: the split of unserved demand and how equity value is computed."""
    if summary.get("lost_to_rivals_share") is None:
        return []
    return [
        ("... of which rivals served", f"{summary['lost_to_rivals_share']:.1%}"),
        ("... of which nobody served", f"{summary['unserved_by_market_share']:.1%}"),
        ("Equity value method", str(summary["equity_value_method"])),
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
    "gross_margin_p50": ("Inference margin P50", "pct"),
    "demand_share_p50": ("Demand share P50", "pct"),
    "relative_capability_p50": ("Training vs rivals P50 [doublings]", "num"),
    "unserved_share_mean": ("Unserved share", "pct"),
    "lost_to_rivals_share_mean": ("... rivals served", "pct"),
    "unserved_by_market_share_mean": ("... nobody served", "pct"),
    "market_share_p50": ("Market share P50", "pct"),
    "rivals_capacity_gw_p50": ("Rivals GW P50", "gw"),
    "contract_price_p50": ("Contract $/GW-yr P50", "usd"),
    "spot_price_p50": ("Spot $/GW-yr P50", "usd"),
    "cash_p50": ("Cash at year end P50", "usd"),
    "p_bankrupt": ("P(bankrupt) by year end", "pct"),
}


RUNOFF_COLUMNS = {
    "year": ("Year", "int"),
    "p_bankrupt": ("P(bankrupt) by year end", "pct"),
    "obligations_running": ("Solvent paths still paying", "pct"),
    "compute_cost_p50": ("Compute cost P50", "usd"),
    "capacity_gw_p50": ("GW at year end P50", "gw"),
    "revenue_p50": ("Revenue P50", "usd"),
    "cash_p50": ("Cash at year end P50", "usd"),
}


def _display(rows: list[dict[str, Any]], columns: dict[str, tuple[str, str]]) -> pd.DataFrame:
    from sim.outputs import usd

    fmt = {
        "int": lambda x: f"{int(x)}",
        "usd": usd,
        "gw": lambda x: f"{x:,.1f}",
        "pct": lambda x: "n/a" if x is None or x != x else f"{x:.1%}",
        "num": lambda x: "n/a" if x is None or x != x else f"{x:+.2f}",
    }
    present = {  # a column every row leaves null (a market key without a market) is left out
        col: spec for col, spec in columns.items()
        if not rows or (col in rows[0] and any(r[col] is not None for r in rows))
    }  # fmt: skip
    out = [{label: fmt[kind](r[col]) for col, (label, kind) in present.items()} for r in rows]
    return pd.DataFrame(out, columns=[label for label, _ in present.values()])


def by_year_display(summary: dict[str, Any]) -> pd.DataFrame:
    """The per-year table with readable headers and formatted cells."""
    return _display(summary["by_year"], BY_YEAR_COLUMNS)


def runoff_display(summary: dict[str, Any]) -> pd.DataFrame:
    """The run-off table (years after the horizon) with readable headers."""
    return _display(summary.get("runoff_by_year", []), RUNOFF_COLUMNS)


def commitments_display(summary: dict[str, Any]) -> pd.DataFrame:
    """New take-or-pay by the calendar year it comes online (P50 / P90 over paths) and
    P(bankrupt) attributed to the year of the last commitment signed before failure."""
    from sim.outputs import usd

    gw = summary.get("gw_by_delivery_year", {})
    money = summary.get("commitment_usd_by_year", {})
    broke = summary.get("p_bankrupt_by_commitment_year", {})
    years = sorted(set(gw) | {k for k in broke if k != "before_start"})
    rows = [
        {
            "Year": year,
            "New GW online P50 / P90": (
                f"{gw[year]['p50']:.2f} / {gw[year]['p90']:.2f}" if year in gw else "0 / 0"
            ),
            "New take-or-pay P50 / P90": (
                f"{usd(money[year]['p50'])} / {usd(money[year]['p90'])}" if year in money else "-"
            ),
            "P(bankrupt) from commitments signed this year": f"{broke.get(year, 0.0):.2%}",
        }
        for year in years
    ]
    if "before_start" in broke:
        rows.append({"Year": "signed before the start", "New GW online P50 / P90": "-",
                     "New take-or-pay P50 / P90": "-",
                     "P(bankrupt) from commitments signed this year":
                     f"{broke['before_start']:.2%}"})  # fmt: skip
    return pd.DataFrame(rows)


def finance_lines(summary: dict[str, Any], scenario: Scenario) -> list[str]:
    """Plain sentences on deals, debt, credit, sublease and termination (those switched on)."""
    from sim.model.summary import uses_finance
    from sim.outputs import usd

    if not uses_finance(scenario):
        return []
    out = [
        f"Deal {d['index']} ({d['gw']:g} GW from {d['start']}) was cut by the supply cap by "
        f"{d['truncated_gw']:.3g} GW on average ({d['share_of_paths']:.0%} of paths)."
        for d in summary.get("truncated_deals", [])
    ]
    if scenario.deals:
        out.append(f"{len(scenario.deals)} deal(s) on top of the policy.")
    if scenario.finance.debt is not None:
        out.append(f"Debt at the end of the horizon: {usd(summary['debt_at_end_p50'])} (P50), "
                   f"{usd(summary['debt_at_end_p90'])} (P90); interest paid "
                   f"{usd(summary['interest_mean'])} on average.")  # fmt: skip
    if scenario.finance.credit_limit is not None:
        out.append(f"The credit check refused orders on {summary['p_refused']:.0%} of paths "
                   f"({summary['refused_gw_mean']:.3g} GW on average).")  # fmt: skip
    if scenario.compute.sublease_recovery:
        out.append(f"Sublease revenue: {usd(summary['sublease_revenue_mean'])} on average "
                   "(horizon and run-off).")  # fmt: skip
    if scenario.compute.termination_fee is not None:
        out.append(f"Termination fees: {usd(summary['termination_fees_mean'])} on average.")
    return out


COMMITMENTS_NOTE = (
    "What the policy signs, by the calendar year the capacity comes online: new GW and the "
    "nominal take-or-pay they commit to (P50 / P90 across paths; contracts signed before the "
    "start are not included). The last column splits P(bankrupt) by the year in which the lab "
    "signed its last commitment before it failed."
)


COMPETITION_NOTE = (
    "Rivals train on the same industry supply the lab buys from. Each doubling of the lab's "
    "effective training compute relative to rivals' multiplies its potential demand by the "
    "scenario's elasticity (after the demand's diffusion lag); a share of the demand it "
    "cannot serve leaves for good (churn). Research squeezed by strong demand therefore "
    "costs future demand."
)
RUNOFF_NOTE = (
    "After the decision horizon the model places no new orders but keeps simulating until "
    "the last contract signed inside the horizon has expired: demand follows its path, raises "
    "follow the same rules, and a path that cannot pay what it committed to goes bankrupt. "
    "The headline P(bankrupt) counts these run-off bankruptcies; P(bankrupt) within the "
    "horizon does not."
)


# --- build pipeline and slip (scenarios with compute.build) ---------------------------------

SLIP_EFFECT_MAX_PATHS = 4000
"""Paths of the pipeline off/on comparison in reports: ``min(run paths, this)``."""

SLIP_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def whole_month_slips(table: np.ndarray) -> np.ndarray:
    """Each simulated slip as the engine draws it: :func:`sim.build.sample_slips` at the
    uniform that selects that order statistic (``u = (i + 0.5) / N``), so whole months [months]."""
    from sim.build import sample_slips

    return sample_slips(table, (np.arange(table.size) + 0.5) / table.size)


def slip_frames(scenario: Scenario) -> dict[str, pd.DataFrame] | None:
    """Tables of the slip distribution, or None when the scenario has no ``compute.build``.

    ``slip_months``: index whole-month slip [months] 0..max, ``projects`` (count), ``share``
    of projects and ``cum_share`` (P(slip <= m)) as the engine draws them; ``slip_cdf``: the
    empirical CDF ``cdf`` of the simulated (continuous) slips, index ``slip`` [months],
    starting at (0, 0); ``slip_quantiles``: see :func:`slip_quantiles`.
    """
    from sim.model.engine import slip_table

    table = slip_table(scenario)
    if table is None:
        return None
    whole = whole_month_slips(table)
    counts = np.bincount(whole)
    months = pd.Index(np.arange(counts.size), name="slip_months")
    pmf = pd.DataFrame(
        {
            "projects": counts,
            "share": counts / table.size,
            "cum_share": np.cumsum(counts) / table.size,
        },
        index=months,
    )
    xs, n_at = np.unique(table, return_counts=True)
    cdf = pd.DataFrame(
        {"cdf": np.concatenate([[0.0], np.cumsum(n_at) / table.size])},
        index=pd.Index(np.concatenate([[0.0], xs]), name="slip"),
    )
    return {"slip_months": pmf, "slip_cdf": cdf, "slip_quantiles": slip_quantiles(table)}


def slip_quantiles(table: np.ndarray) -> pd.DataFrame:
    """q05..q95, mean and P(slip > 0) [months, -] of the simulated slips and of the
    whole-month slips the engine draws from them; index ``statistic``, one column each."""
    whole = whole_month_slips(table).astype(float)
    stats = {}
    for name, x in (("simulated", table), ("whole_months", whole)):
        q = np.quantile(x, SLIP_QUANTILES)
        col = {f"q{round(100 * p):02d}": float(v) for p, v in zip(SLIP_QUANTILES, q, strict=True)}
        col |= {"mean": float(x.mean()), "p_slip_positive": float((x > 0).mean())}
        stats[name] = col
    return pd.DataFrame(stats).rename_axis("statistic")


def slip_quantiles_display(quantiles: pd.DataFrame) -> pd.DataFrame:
    """:func:`slip_quantiles` with readable headers and formatted cells."""
    labels = {"simulated": "Simulated (SimPy) [months]", "whole_months": "As drawn [whole months]"}
    rows = []
    for stat, r in quantiles.iterrows():
        label = "P(slip > 0)" if stat == "p_slip_positive" else str(stat)
        fmt = (lambda v: f"{v:.1%}") if stat == "p_slip_positive" else (lambda v: f"{v:.2f}")
        rows.append({"Statistic": label, **{labels[c]: fmt(r[c]) for c in quantiles.columns}})
    return pd.DataFrame(rows, columns=["Statistic", *(labels[c] for c in quantiles.columns)])


def slip_effect_paths(results: Results) -> int:
    """Paths of the off/on comparison shown in reports."""
    return min(results.paths, SLIP_EFFECT_MAX_PATHS)


@lru_cache(maxsize=8)
def _slip_effect(scenario: Scenario, paths: int, seed: int) -> pd.DataFrame:
    from sim.build.slip_effect import slip_effect

    return slip_effect(scenario, paths, seed)


def slip_effect_frame(scenario: Scenario, paths: int, seed: int) -> pd.DataFrame:
    """:func:`sim.build.slip_effect.slip_effect` (cached, so the HTML and Markdown reports of one
    run share one computation; a copy is returned)."""
    return _slip_effect(scenario, paths, seed).copy()


SLIP_EFFECT_COLUMNS = {
    "p_bankrupt": ("P(bankrupt by end)", "pct"),
    "p_bankrupt_ci": ("P(bankrupt) 95% CI", "ci"),
    "bankrupt_only_here": ("Bankrupt only in this case", "pct"),
    "unserved_share": ("Unserved share of potential demand", "pct"),
    "cum_revenue_p50": ("Cumulative revenue, median", "usd"),
    "mean_capacity_gw": ("Mean capacity [GW]", "gw"),
    "mean_slip_months": ("Mean slip of a new contract [months]", "months"),
}


def slip_effect_display(effect: pd.DataFrame) -> pd.DataFrame:
    """The off/on table of :func:`sim.build.slip_effect.slip_effect` with readable cells."""
    from sim.outputs import usd

    names = {"off": "off (no slip)", "on": "on (compute.build)"}
    fmt = {
        "pct": lambda r, c: f"{r[c]:.1%}",
        "ci": lambda r, _c: f"{r['p_bankrupt_lo']:.1%} - {r['p_bankrupt_hi']:.1%}",
        "usd": lambda r, c: usd(r[c]),
        "gw": lambda r, c: f"{r[c]:,.1f}",
        "months": lambda r, c: f"{r[c]:.2f}",
    }
    rows = [
        {"Build pipeline": names.get(str(case), str(case))}
        | {label: fmt[kind](r, col) for col, (label, kind) in SLIP_EFFECT_COLUMNS.items()}
        for case, r in effect.iterrows()
    ]
    return pd.DataFrame(
        rows, columns=["Build pipeline", *(label for label, _ in SLIP_EFFECT_COLUMNS.values())]
    )


def slip_effect_note(effect: pd.DataFrame, paths: int) -> str:
    """One sentence stating the comparison's path count and the change in P(bankrupt)."""
    d = effect.loc["on", "p_bankrupt"] - effect.loc["off", "p_bankrupt"]
    return (
        f"The same {paths:,} paths with the pipeline off and on (the run's first {paths:,}, "
        f"same seed and draws; at most {SLIP_EFFECT_MAX_PATHS:,} to keep reports quick). Slip "
        f"changes P(bankrupt by end) by {100 * d:+.1f} percentage points. A slipped contract "
        "is also paid from its later start, so slip delays commitments as well as capacity: "
        "it raises unserved demand but can lower P(bankrupt) by the horizon."
    )


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
