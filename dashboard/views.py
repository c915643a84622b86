"""Charts of the dashboard: pure functions of Results / sweep DataFrames -> HoloViews.

Dollar axes are in USD with $12.3B-style tick labels; every axis names its unit.
"""

from __future__ import annotations

from typing import Any

import holoviews as hv
import hvplot.pandas  # noqa: F401  (registers .hvplot on DataFrames)
import numpy as np
import pandas as pd
from bokeh.models import CustomJSTickFormatter

from sim.model.results import Results
from sim.outputs import usd

USD_JS = """
    const a = Math.abs(tick), s = tick < 0 ? "-" : "";
    const f = (v) => String(Number(v.toPrecision(3)));
    if (a >= 1e12) return s + "$" + f(a / 1e12) + "T";
    if (a >= 1e9) return s + "$" + f(a / 1e9) + "B";
    if (a >= 1e6) return s + "$" + f(a / 1e6) + "M";
    return s + "$" + f(a);
"""
PCT_JS = "return Number((tick * 100).toPrecision(3)) + '%';"


def usd_ticks() -> CustomJSTickFormatter:
    """Bokeh tick formatter 1.23e10 -> $12.3B (a new model per plot: models can't be shared)."""
    return CustomJSTickFormatter(code=USD_JS)


def pct_ticks() -> CustomJSTickFormatter:
    """Bokeh tick formatter 0.123 -> 12.3%."""
    return CustomJSTickFormatter(code=PCT_JS)


COLORS = {"demand": "#1f77b4", "served": "#2ca02c", "cost": "#d62728", "cash": "#9467bd",
          "capacity": "#ff7f0e", "training": "#8c564b", "risk": "#d62728"}  # fmt: skip
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
OPTS = {"responsive": True, "height": 330, "toolbar": "above"}
LOG_FLOOR = 1e8
"""Run-rates below this [USD/yr] are clipped on log axes (bankrupt paths serve 0)."""
GW_FLOOR = 0.01
"""Capacities below this [GW] are clipped on log axes."""


def _quantiles(results: Results, name: str, factor: float = 1.0) -> pd.DataFrame:
    q = results.monthly_frame(name, QUANTILES) * factor
    q.index.name = "Month"
    return q


def fan(q: pd.DataFrame, label: str, color: str, *, floor: float | None = None) -> hv.Overlay:
    """5-95% and 25-75% bands with the median line of a quantile frame."""
    if floor is not None:
        q = q.clip(lower=floor)
    kw = {"responsive": True, "height": OPTS["height"]}
    outer = q.hvplot.area(y="p5", y2="p95", alpha=0.15, color=color, line_alpha=0,
                          label=f"{label} (5-95%)", **kw)  # fmt: skip
    inner = q.hvplot.area(y="p25", y2="p75", alpha=0.3, color=color, line_alpha=0,
                          label=f"{label} (25-75%)", **kw)  # fmt: skip
    med = q.hvplot.line(y="p50", color=color, line_width=2, label=f"{label} (median)", **kw)
    return outer * inner * med


def _log_range(*frames: pd.DataFrame, floor: float) -> tuple[float, float]:
    """Y range of a log chart: the 5-95% bands' extent (clipped at ``floor``), padded."""
    lo = min(float(f["p5"].clip(lower=floor).min()) for f in frames)
    hi = max(float(f["p95"].max()) for f in frames)
    return lo / 2.0, max(hi, lo) * 2.0


def demand_vs_served(results: Results) -> hv.Overlay:
    """Potential demand vs revenue served (what capacity allowed), run-rates [USD/yr]."""
    qd, qs = _quantiles(results, "demand"), _quantiles(results, "revenue", 12.0)
    demand = fan(qd, "Potential demand", COLORS["demand"], floor=LOG_FLOOR)
    served = fan(qs, "Revenue served", COLORS["served"], floor=LOG_FLOOR)
    return (demand * served).opts(
        ylim=_log_range(qd, qs, floor=LOG_FLOOR),
        title="Demand vs revenue the capacity could serve",
        ylabel="Run-rate [USD/yr, log scale]", xlabel="Month", logy=True,
        yformatter=usd_ticks(), legend_position="top_left", **OPTS,
    )  # fmt: skip


def capacity(results: Results) -> hv.Overlay:
    """Compute online [GW] with the median training and inference split."""
    qc = _quantiles(results, "capacity_gw")
    cap = fan(qc, "Capacity online", COLORS["capacity"], floor=GW_FLOOR)
    kw = {"responsive": True, "height": OPTS["height"]}
    train = (
        _quantiles(results, "training_gw")
        .clip(lower=GW_FLOOR)
        .hvplot.line(
            y="p50", color=COLORS["training"], line_dash="dashed", label="Training (median)", **kw
        )
    )
    infer = (
        _quantiles(results, "inference_gw")
        .clip(lower=GW_FLOOR)
        .hvplot.line(
            y="p50", color=COLORS["served"], line_dash="dotted", label="Inference (median)", **kw
        )
    )
    return (cap * train * infer).opts(
        ylim=_log_range(qc, floor=GW_FLOOR),
        title="Compute online", ylabel="Capacity [GW, log scale]", xlabel="Month", logy=True,
        legend_position="top_left", **OPTS,
    )  # fmt: skip


def revenue_vs_cost(results: Results) -> hv.Overlay:
    """Revenue and committed compute cost, run-rates [USD/yr]."""
    qr, qc = _quantiles(results, "revenue", 12.0), _quantiles(results, "compute_cost", 12.0)
    rev = fan(qr, "Revenue", COLORS["served"], floor=LOG_FLOOR)
    cost = fan(qc, "Compute cost", COLORS["cost"], floor=LOG_FLOOR)
    return (rev * cost).opts(
        ylim=_log_range(qr, qc, floor=LOG_FLOOR),
        title="Revenue vs compute cost (take-or-pay)", ylabel="Run-rate [USD/yr, log scale]",
        xlabel="Month", logy=True, yformatter=usd_ticks(), legend_position="top_left", **OPTS,
    )  # fmt: skip


def cash(results: Results) -> hv.Overlay:
    """Cash balance [USD]; bankrupt paths keep the balance they failed with."""
    return fan(_quantiles(results, "cash"), "Cash", COLORS["cash"]).opts(
        title="Cash", ylabel="Cash [USD]", xlabel="Month", yformatter=usd_ticks(),
        legend_position="top_left", **OPTS,
    )  # fmt: skip


def competition(results: Results) -> hv.Layout | None:
    """Training compute relative to rivals and the lab's share of frontier demand (scenarios
    with a competition section), or None."""
    if results.scenario.competition is None:
        return None
    rel = fan(_quantiles(results, "relative_capability"), "Training vs rivals",
              COLORS["capacity"]).opts(
        title="Training compute relative to rivals (doublings, 0 = parity)",
        ylabel="doublings", xlabel="Month", legend_position="bottom_left", **OPTS,
    )  # fmt: skip
    share = fan(_quantiles(results, "demand_share"), "Demand share", COLORS["demand"]).opts(
        title="The lab's share of frontier demand", ylabel="share", xlabel="Month",
        yformatter=pct_ticks(), legend_position="bottom_left", **OPTS,
    )  # fmt: skip
    return (rel + share).cols(1)


def bankruptcy_curve(results: Results) -> hv.Overlay:
    """Cumulative P(bankrupt) by month [share of paths], horizon then run-off (dotted line
    at the end of the horizon)."""
    months = results.months
    if results.runoff_months is not None:
        months = months.append(results.runoff_months)
    df = pd.DataFrame({"Month": months.to_timestamp(),
                       "p": results.p_bankrupt_by_month(runoff=True)})  # fmt: skip
    curve = df.hvplot.line(x="Month", y="p", color=COLORS["risk"], line_width=2,
                           label="P(bankrupt by month)", responsive=True)  # fmt: skip
    end = (results.months[-1] + 1).to_timestamp()
    marker = hv.VLine(end, label="horizon end: run-off after").opts(
        color="black", line_dash="dotted", line_width=1
    )
    return (curve * marker).opts(
        title=f"Probability of bankruptcy over time, run-off included ({results.paths:,} paths)",
        ylabel="P(bankrupt) [cumulative]", yformatter=pct_ticks(), ylim=(0, None),
        legend_position="top_left", **OPTS,
    )  # fmt: skip


def _fmt_growth(v: float) -> str:
    return f"{v:g}x"


def heatmap(df: pd.DataFrame, metric: str, policy_key: str, current: float) -> hv.Overlay:
    """Metric over (true growth x policy axis); the current policy row is outlined.

    ``current`` is the current policy's value on the policy axis (e.g. planned growth
    [x/yr]); a value between grid rows puts the box between them.
    """
    xs = sorted(df["demand.growth"].unique())
    ys = sorted(df[policy_key].unique())
    d = df.assign(
        x=df["demand.growth"].map({v: i for i, v in enumerate(xs)}),
        y=df[policy_key].map({v: i for i, v in enumerate(ys)}),
    )
    is_risk = metric.startswith("p_bankrupt")
    text = d[metric].map(lambda v: f"{v:.0%}" if is_risk else usd(v))
    hm = hv.HeatMap((d["x"], d["y"], d[metric]), ["x", "y"], metric).opts(
        cmap="Reds" if is_risk else "Greens", colorbar=True,
        clim=(0.0, 1.0) if is_risk else (None, None),
        colorbar_opts={"formatter": pct_ticks() if is_risk else usd_ticks()},
        clabel="P(bankrupt)" if is_risk else "Median cumulative revenue [USD]",
        tools=["hover"],
    )  # fmt: skip
    labels = hv.Labels((d["x"], d["y"], text), ["x", "y"], "text").opts(
        text_font_size="9pt", text_color="black"
    )
    is_q = policy_key == "policy.q"
    ylabel = "Policy demand quantile [0-1]" if is_q else "Planned growth [x/yr]"
    pos = _index_position(ys, current, log=not is_q)
    box = hv.Rectangles([(-0.5, pos - 0.5, len(xs) - 0.5, pos + 0.5)]).opts(
        fill_alpha=0, line_color="black", line_width=3
    )
    title = ("P(bankrupt)" if is_risk else "Median cumulative revenue") + (
        " if the world grows at a fixed rate (box: current policy)"
    )
    return (hm * box * labels).opts(
        title=title, xlabel="True growth of the world [x/yr]", ylabel=ylabel,
        xticks=[(i, _fmt_growth(v)) for i, v in enumerate(xs)],
        yticks=[(i, f"{v:g}" if is_q else _fmt_growth(v)) for i, v in enumerate(ys)],
        xlim=(-0.5, len(xs) - 0.5), ylim=(-0.5, len(ys) - 0.5),
        responsive=True, height=380, toolbar="above",
    )  # fmt: skip


def _index_position(values: list[float], x: float, log: bool) -> float:
    """Position of ``x`` on an axis whose ticks are ``values`` at 0, 1, 2, ..."""
    f = np.log if log else np.asarray
    return float(np.interp(f(x), f(np.asarray(values, dtype=float)), np.arange(len(values))))


def frontier(df: pd.DataFrame, current: dict[str, float]) -> hv.Overlay:
    """Risk (P(bankrupt)) vs upside (median cumulative revenue) of a policy family.

    Efficient policies are joined by a line; ``current`` has the shown scenario's
    ``p_bankrupt`` and ``cum_revenue_p50``.
    """
    hover = [c for c in df.columns if "." in c]
    kw = {"x": "p_bankrupt", "y": "cum_revenue_p50", "hover_cols": hover, "responsive": True}
    eff = df[df["efficient"]].sort_values("p_bankrupt")
    dom = df[~df["efficient"]].hvplot.scatter(color="#aaaaaa", size=50,
                                              label="dominated policy", **kw)  # fmt: skip
    good = eff.hvplot.scatter(color="#2ca02c", size=70, label="efficient policy", **kw)
    pts = dom * good
    line = eff.hvplot.line(x="p_bankrupt", y="cum_revenue_p50", color="#2ca02c",
                           label="risk/upside frontier", responsive=True)  # fmt: skip
    cur = hv.Scatter(
        ([current["p_bankrupt"]], [current["cum_revenue_p50"]]),
        "p_bankrupt",
        "cum_revenue_p50",
        label="current policy",
    ).opts(marker="star", size=22, color="#d62728")
    return (line * pts * cur).opts(
        title="Risk/upside frontier of purchase policies",
        xlabel="P(bankrupt by end of horizon)", ylabel="Median cumulative revenue [USD]",
        xformatter=pct_ticks(), yformatter=usd_ticks(), legend_position="bottom_right",
        padding=0.08, **OPTS,
    )  # fmt: skip


def tornado(df: pd.DataFrame, metric_label: str = "P(bankrupt)", top: int = 12) -> hv.Overlay:
    """Change of the metric when each parameter moves to its low / high value.

    Shows the ``top`` parameters with the largest swing, largest at the top.
    """
    d = df.sort_values("swing", ascending=False).head(top).iloc[::-1].reset_index(drop=True)
    base = float(d["base"].iloc[0])
    how = d["how"] if "how" in d else pd.Series([""] * len(d))
    d = d.assign(label=[f"{p} ({h})" if h else p for p, h in zip(d["parameter"], how, strict=True)])
    pct = metric_label.startswith("P(")
    bars = []
    for setting, col, val, color in (("low value", "metric_low", "low_value", "#1f77b4"),
                                     ("high value", "metric_high", "high_value", "#ff7f0e")):  # fmt: skip
        part = pd.DataFrame({"parameter": d["label"], "change": d[col] - base,
                             "value": d[val].astype(str)})  # fmt: skip
        bars.append(hv.Bars(part, "parameter", ["change", "value"], label=setting).opts(
            color=color, alpha=0.75, invert_axes=True, tools=["hover"], show_legend=True))  # fmt: skip
    return hv.Overlay(bars).opts(
        title=f"What drives {metric_label} (base {base:.1%}; top {len(d)} parameters)"
        if pct else f"Drivers of {metric_label}",
        xlabel=f"Change in {metric_label} vs base" + (" [percentage points]" if pct else ""),
        ylabel="", xformatter=pct_ticks() if pct else None, legend_position="bottom_right",
        responsive=True, height=max(260, 34 * len(d) + 100), toolbar="above",
    )  # fmt: skip


def message_pane_text(value: Any) -> str | None:
    """The message to show instead of a chart, or None when ``value`` is a DataFrame."""
    if isinstance(value, pd.DataFrame):
        return None if len(value) else "The sweep returned no rows."
    return str(value) if value else "Press 'Run sweeps' to compute."
