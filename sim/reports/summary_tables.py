"""Readable tables and sentences of one run (pandas only, no plotting).

The scenario's assumptions, the headline numbers, the by-year, run-off and commitments
tables of the summary with formatted cells, the finance lines and the notes the HTML and
Markdown reports print under them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import BaseModel

from sim.model.distributions import _Dist
from sim.model.scenario import Scenario


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
