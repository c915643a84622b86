"""Interactive charts of a run for the HTML report, drawn with Bokeh directly.

Each chart is built from :func:`sim.reports.frames.chart_frames`; fan charts draw the
P5-P95 band and the median line, through the horizon and the run-off (a dotted line marks
where the horizon ends). Charts spanning orders of magnitude use a log axis on which
non-positive values (bankrupt paths serve nothing) are floored, so bands never break into
gaps. Titles are stable: tests and readers look for them. Bokeh alone (no HoloViews) keeps
the report fast to build.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from bokeh.models import (
    ColumnDataSource,
    CustomJSTickFormatter,
    HoverTool,
    NumeralTickFormatter,
    Span,
)
from bokeh.plotting import figure

from .chart_spec import (
    COLORS,
    COMPETITION_TITLES,
    LOG_FLOOR,
    LOG_Y,
    SLIP_TITLES,
    TITLES,
    USD_JS,
    floor_for_log,
    usd_scale,  # noqa: F401  (re-exported: callers import it from here)
)

WIDTH, HEIGHT = 900, 320


def usd_ticks() -> CustomJSTickFormatter:
    """Tick formatter 1.23e10 -> $12.3B."""
    return CustomJSTickFormatter(code=USD_JS)


def pct_ticks() -> NumeralTickFormatter:
    """Tick formatter 0.02 -> 2%."""
    return NumeralTickFormatter(format="0%")


def _figure(key: str, ylabel: str, log: bool = False, x_datetime: bool = True) -> figure:
    fig = figure(
        title={**TITLES, **SLIP_TITLES, **COMPETITION_TITLES}.get(key, key), width=WIDTH,
        height=HEIGHT,
        x_axis_type="datetime" if x_datetime else "linear",
        y_axis_type="log" if log else "linear",
        tools="pan,wheel_zoom,box_zoom,reset,save", toolbar_location="above",
    )  # fmt: skip
    fig.yaxis.axis_label = ylabel + (" (log scale)" if log else "")
    fig.xaxis.axis_label = "month" if x_datetime else ""
    return fig


def _fan(fig: figure, df: pd.DataFrame, label: str, color: str, fmt: str) -> None:
    source = ColumnDataSource({"month": df.index, "p5": df["p5"], "p50": df["p50"],
                               "p95": df["p95"]})  # fmt: skip
    fig.varea(x="month", y1="p5", y2="p95", source=source, fill_color=color, fill_alpha=0.25,
              legend_label=f"{label} P5-P95")  # fmt: skip
    line = fig.line(x="month", y="p50", source=source, line_color=color, line_width=2,
                    legend_label=f"{label} P50")  # fmt: skip
    fig.add_tools(HoverTool(renderers=[line], formatters={"@month": "datetime"}, tooltips=[
        ("month", "@month{%Y-%m}"), (f"{label} P50", f"@p50{{{fmt}}}"),
        ("P5 - P95", f"@p5{{{fmt}}} - @p95{{{fmt}}}"),
    ]))  # fmt: skip


def _finish(fig: figure, horizon: pd.Timestamp | None) -> figure:
    if horizon is not None:
        fig.add_layout(Span(location=horizon, dimension="height", line_color="black",
                            line_dash="dotted", line_width=1))  # fmt: skip
    fig.legend.location = "top_left"
    fig.legend.click_policy = "hide"
    fig.legend.background_fill_alpha = 0.7
    return fig


def build_charts(frames: dict[str, pd.DataFrame]) -> dict[str, figure]:
    """One Bokeh figure per key of :data:`TITLES`."""
    end = frames.get("horizon_end")
    horizon = None if end is None else end["month"].iloc[0]
    if horizon is not None and horizon > frames["revenue"].index[-1]:
        horizon = None  # no run-off: nothing to mark
    charts: dict[str, figure] = {}

    fig = _figure("demand_gw", "GW", log=True)
    floor = LOG_FLOOR["demand_gw"]
    _fan(fig, floor_for_log(frames["demand_gw"], floor),
         "demand (GW-equivalent at plan split)", COLORS["demand"], "0,0.00")  # fmt: skip
    _fan(fig, floor_for_log(frames["capacity_gw"], floor), "capacity online",
         COLORS["capacity"], "0,0.00")  # fmt: skip
    charts["demand_gw"] = _finish(fig, horizon)

    fans = {
        "demand_usd": [("demand_usd", "potential demand", COLORS["demand"]),
                       ("servable_usd", "servable at plan split", COLORS["capacity"])],
        "revenue": [("revenue", "revenue", COLORS["revenue"])],
        "compute_cost": [("compute_cost", "compute cost", COLORS["cost"])],
        "cash": [("cash", "cash", COLORS["cash"])],
    }  # fmt: skip
    for key, bands in fans.items():
        log = key in LOG_Y
        per = "/yr" if key != "cash" else ""
        fig = _figure(key, f"USD{per}", log=log)
        fig.yaxis.formatter = usd_ticks()
        for name, label, color in bands:
            df = frames[name]
            if log:
                df = floor_for_log(df, LOG_FLOOR[key])
            _fan(fig, df, label, color, "$0.00a")
        charts[key] = _finish(fig, horizon)

    fig = _figure("training_share", "share of capacity")
    fig.yaxis.formatter = pct_ticks()
    _fan(fig, frames["training_share"], "training share", COLORS["training"], "0%")
    fig.add_layout(Span(location=0.5, dimension="width", line_color="grey", line_dash="dashed"))
    charts["training_share"] = _finish(fig, horizon)

    fig = _figure("p_bankrupt", "probability")
    fig.yaxis.formatter = pct_ticks()
    pb = frames["p_bankrupt"]
    source = ColumnDataSource({"month": pb.index, "p": pb["p_bankrupt"]})
    step = fig.step(x="month", y="p", source=source, mode="after", line_color=COLORS["risk"],
                    line_width=2, legend_label="P(bankrupt by month)")  # fmt: skip
    fig.add_tools(HoverTool(renderers=[step], formatters={"@month": "datetime"},
                            tooltips=[("month", "@month{%Y-%m}"), ("P(bankrupt)", "@p{0.0%}")]))  # fmt: skip
    charts["p_bankrupt"] = _finish(fig, horizon)

    bm = frames["bankrupt_month"]
    start = bm.index[0].year + (bm.index[0].month - 1) / 12.0
    edges = start + np.arange(len(bm) + 1) / 12.0
    fig = _figure("bankrupt_month", "share of paths", x_datetime=False)
    fig.yaxis.formatter = NumeralTickFormatter(format="0.0%")
    fig.xaxis.axis_label = "year"
    fig.quad(left=edges[:-1], right=edges[1:], top=bm["share"].to_numpy(), bottom=0.0,
             fill_color=COLORS["risk"], line_color=None, legend_label="bankrupt in the month")  # fmt: skip
    charts["bankrupt_month"] = _finish(fig, None)
    return charts


def build_competition_charts(frames: dict[str, pd.DataFrame]) -> dict[str, figure]:
    """Fans of :data:`COMPETITION_TITLES` (scenarios with a competition section)."""
    end = frames.get("horizon_end")
    horizon = None if end is None else end["month"].iloc[0]
    if horizon is not None and horizon > frames["revenue"].index[-1]:
        horizon = None
    units = {"training_compute": ("GW-years", "0,0.0"),
             "relative_capability": ("doublings vs rivals", "0.00"),
             "demand_share": ("share of frontier demand", "0%")}  # fmt: skip
    charts = {}
    for key, (label, fmt) in units.items():
        fig = _figure(key, label)
        if fmt == "0%":
            fig.yaxis.formatter = pct_ticks()
        _fan(fig, frames[key], key.replace("_", " "), COLORS["training"], fmt)
        charts[key] = _finish(fig, horizon)
    return charts


def build_slip_chart(frames: dict[str, pd.DataFrame]) -> figure:
    """Slip distribution from :func:`sim.reports.frames.slip_frames`: bars are the share of
    projects by whole-month slip as the engine draws it, the step line the CDF of the
    simulated (continuous) slips."""
    pmf = frames["slip_months"]
    fig = _figure("slip_months", "share of projects / probability", x_datetime=False)
    fig.xaxis.axis_label = "slip [months]"
    x = pmf.index.to_numpy(dtype=float)
    fig.quad(left=x - 0.5, right=x + 0.5, top=pmf["share"].to_numpy(), bottom=0.0,
             fill_color=COLORS["training"], fill_alpha=0.7, line_color=None,
             legend_label="share of projects, whole-month slip as drawn")  # fmt: skip
    cdf = frames["slip_cdf"]
    fig.step(x=cdf.index.to_numpy(dtype=float), y=cdf["cdf"].to_numpy(), mode="after",
             line_color=COLORS["capacity"], line_width=2, legend_label="P(simulated slip <= x)")  # fmt: skip
    fig.legend.location = "center_right"
    return fig
