"""Charts of the dashboard, drawn with Bokeh and updated in place.

Each chart is built once per session; a change of settings only replaces the data of its
``ColumnDataSource`` objects (and a title), which Bokeh sends to the browser as a small
patch, so a redraw costs milliseconds instead of rebuilding figures. Data for the charts is
prepared by pure functions (``*_data``) on a worker thread; ``update`` methods only assign.

Every redraw sets ``figure.tags`` to a new counter, and the browser records when that
arrives (``window.__csim_redraw[name]``): the redraw-latency figures of the browser tests
and ``python -m sim bench-dashboard --browser`` are measured with it.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
from bokeh.models import (
    ColorBar,
    ColumnDataSource,
    CustomJS,
    CustomJSTickFormatter,
    FixedTicker,
    HoverTool,
    LinearColorMapper,
    Span,
    TapTool,
    Title,
)
from bokeh.palettes import YlOrRd9
from bokeh.plotting import figure

from sim.model.results import Results
from sim.outputs import usd
from sim.reports.charts import USD_JS  # one money-axis format for reports and dashboard

from .decision import policy_words
from .schema import friendly_name

PCT_JS = "return Number((tick * 100).toPrecision(3)) + '%';"
PP_JS = "return (tick > 0 ? '+' : '') + Number((tick * 100).toPrecision(3)) + ' pp';"
STAMP_JS = """
    window.__csim_redraw = window.__csim_redraw || {};
    window.__csim_redraw[name] = performance.now();
"""

COLORS = {"demand": "#1f77b4", "served": "#2ca02c", "cost": "#d62728", "cash": "#9467bd",
          "capacity": "#ff7f0e", "training": "#8c564b", "risk": "#d62728"}  # fmt: skip
FAMILY_COLORS = {"planned_growth": "#1f77b4", "demand_quantile": "#2ca02c",
                 "adaptive": "#ff7f0e"}  # fmt: skip
FAMILY_NAMES = {"planned_growth": "plan for a growth rate", "demand_quantile": "demand quantile",
                "adaptive": "adaptive (learns growth)"}  # fmt: skip
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
LOG_FLOOR = 1e8
"""Run-rates below this [USD/yr] are drawn at it on log axes (bankrupt paths serve 0)."""
GW_FLOOR = 0.01
"""Capacities below this [GW] are drawn at it on log axes."""
HEIGHT = 340
RISK_PALETTE = list(reversed(YlOrRd9))
STALE_ALPHA = 0.3
_counter = itertools.count(1)


def usd_ticks() -> CustomJSTickFormatter:
    """Tick formatter 1.23e10 -> $12.3B (a new model per axis: models can't be shared)."""
    return CustomJSTickFormatter(code=USD_JS)


def pct_ticks() -> CustomJSTickFormatter:
    """Tick formatter 0.123 -> 12.3%."""
    return CustomJSTickFormatter(code=PCT_JS)


def _fig(name: str, title: str, **kw: Any) -> figure:
    kw.setdefault("tools", "pan,wheel_zoom,box_zoom,reset,save")
    fig = figure(title=Title(text=title), height=kw.pop("height", HEIGHT), sizing_mode="stretch_width",
                 toolbar_location="above", **kw)  # fmt: skip
    fig.js_on_change("tags", CustomJS(args={"name": name}, code=STAMP_JS))
    fig.name = name
    return fig


def stamp(fig: figure) -> None:
    """Mark a redraw (the browser records when it arrives)."""
    fig.tags = [next(_counter)]


# ------------------------------------------------------------------ time series (one run)
def quantile_frame(results: Results, name: str, factor: float = 1.0) -> dict[str, np.ndarray]:
    """P5/P25/P50/P75/P95 across the monthly paths of a record, horizon and run-off."""
    arr = results.monthly_all(name) * factor
    if not arr.size:
        return dict.fromkeys(("p5", "p25", "p50", "p75", "p95"), np.zeros(0))
    with np.errstate(all="ignore"):  # nanquantile is ~50x slower: only when NaNs exist
        nan = np.isnan(arr).any()
        q = np.nanquantile(arr, QUANTILES, axis=0) if nan else np.quantile(arr, QUANTILES, axis=0)
    return dict(zip(("p5", "p25", "p50", "p75", "p95"), q, strict=True))


def month_axis(results: Results) -> np.ndarray:
    months = results.months
    if results.runoff_months is not None:
        months = months.append(results.runoff_months)
    return months.to_timestamp().to_numpy()


def series_data(results: Results) -> dict[str, Any]:
    """Everything the time-series charts draw, computed off the event loop."""
    x = month_axis(results)
    q = {
        "demand": quantile_frame(results, "demand"),
        "served": quantile_frame(results, "revenue", 12.0),
        "cost": quantile_frame(results, "compute_cost", 12.0),
        "cash": quantile_frame(results, "cash"),
        "capacity": quantile_frame(results, "capacity_gw"),
        "training": quantile_frame(results, "training_gw"),
        "inference": quantile_frame(results, "inference_gw"),
    }
    for key in ("demand", "served", "cost"):
        q[key] = {
            k: np.maximum(np.nan_to_num(v, nan=LOG_FLOOR), LOG_FLOOR) for k, v in q[key].items()
        }
    for key in ("capacity", "training", "inference"):
        q[key] = {
            k: np.maximum(np.nan_to_num(v, nan=GW_FLOOR), GW_FLOOR) for k, v in q[key].items()
        }
    return {
        "x": x,
        "q": q,
        "p_bankrupt": results.p_bankrupt_by_month(runoff=True),
        "horizon_end": (results.months[-1] + 1).to_timestamp(),
        "paths": results.paths,
        "monthly_paths": int(results.monthly["revenue"].shape[0]),
    }


class FanChart:
    """P5-P95 and P25-P75 bands and the median of one or more series on one figure."""

    def __init__(self, name: str, title: str, ylabel: str, series: list[tuple[str, str, str]],
                 log: bool = False, money: bool = True) -> None:  # fmt: skip
        self.fig = _fig(name, title, x_axis_type="datetime", y_axis_type="log" if log else "linear")
        self.fig.yaxis.axis_label = ylabel
        self.fig.xaxis.axis_label = "Month"
        if money:
            self.fig.yaxis.formatter = usd_ticks()
        self.series = series
        self.sources: dict[str, ColumnDataSource] = {}
        for key, label, color in series:
            src = ColumnDataSource({"x": [], "p5": [], "p25": [], "p50": [], "p75": [], "p95": []})
            self.sources[key] = src
            self.fig.varea(x="x", y1="p5", y2="p95", source=src, fill_color=color, fill_alpha=0.15,
                           legend_label=f"{label} (5-95%)")  # fmt: skip
            self.fig.varea(x="x", y1="p25", y2="p75", source=src, fill_color=color,
                           fill_alpha=0.3, legend_label=f"{label} (25-75%)")  # fmt: skip
            line = self.fig.line(x="x", y="p50", source=src, line_color=color, line_width=2,
                                 legend_label=f"{label} (median)")  # fmt: skip
            fmt = "$0.00a" if money else "0.00"
            self.fig.add_tools(HoverTool(renderers=[line], formatters={"@x": "datetime"},
                                         tooltips=[("month", "@x{%Y-%m}"),
                                                   (f"{label} median", f"@p50{{{fmt}}}")]))  # fmt: skip
        self.horizon = Span(location=0, dimension="height", line_color="black",
                            line_dash="dotted", line_width=1)  # fmt: skip
        self.fig.add_layout(self.horizon)
        self.fig.legend.location = "top_left"
        self.fig.legend.click_policy = "hide"
        self.fig.legend.background_fill_alpha = 0.6
        self.fig.legend.label_text_font_size = "8pt"

    def update(self, data: dict[str, Any], suffix: str = "") -> None:
        for key, src in self.sources.items():
            src.data = {"x": data["x"], **data["q"][key]}
        self.horizon.location = data["horizon_end"]
        stamp(self.fig)


class RiskCurve:
    """Cumulative P(bankrupt) by month, horizon then run-off."""

    def __init__(self) -> None:
        self.fig = _fig("risk", "Probability of bankruptcy over time, run-off included",
                        x_axis_type="datetime")  # fmt: skip
        self.src = ColumnDataSource({"x": [], "p": []})
        self.fig.step(x="x", y="p", source=self.src, mode="after", line_color=COLORS["risk"],
                      line_width=2, legend_label="P(bankrupt by month)")  # fmt: skip
        self.fig.yaxis.formatter = pct_ticks()
        self.fig.yaxis.axis_label = "P(bankrupt) [cumulative]"
        self.fig.xaxis.axis_label = "Month"
        self.fig.y_range.start = 0
        self.horizon = Span(location=0, dimension="height", line_color="black",
                            line_dash="dotted", line_width=1)  # fmt: skip
        self.fig.add_layout(self.horizon)
        self.fig.legend.location = "top_left"

    def update(self, data: dict[str, Any]) -> None:
        self.src.data = {"x": data["x"], "p": data["p_bankrupt"]}
        self.horizon.location = data["horizon_end"]
        self.fig.title.text = (f"Probability of bankruptcy over time, run-off included "
                               f"({data['paths']:,} paths; dotted: end of the horizon)")  # fmt: skip
        stamp(self.fig)


def time_series_charts() -> dict[str, Any]:
    """The charts of the "Time series" tab."""
    return {
        "demand": FanChart("demand", "Potential demand vs revenue the capacity could serve",
                           "Run-rate [USD/yr, log scale]",
                           [("demand", "Potential demand", COLORS["demand"]),
                            ("served", "Revenue served", COLORS["served"])], log=True),
        "capacity": FanChart("capacity", "Compute online (median training and inference split)",
                             "Capacity [GW, log scale]",
                             [("capacity", "Capacity online", COLORS["capacity"]),
                              ("training", "Training", COLORS["training"]),
                              ("inference", "Inference", COLORS["served"])], log=True,
                             money=False),
        "money": FanChart("money", "Revenue vs compute cost (take-or-pay)",
                          "Run-rate [USD/yr, log scale]",
                          [("served", "Revenue", COLORS["served"]),
                           ("cost", "Compute cost", COLORS["cost"])], log=True),
        "cash": FanChart("cash", "Cash (bankrupt paths keep the balance they failed with)",
                         "Cash [USD]", [("cash", "Cash", COLORS["cash"])]),
        "risk": RiskCurve(),
    }  # fmt: skip


# ----------------------------------------------------------------------------- heatmap
def _index_position(values: list[float], x: float, log: bool) -> float:
    """Position of ``x`` on an axis whose ticks are ``values`` at 0, 1, 2, ..."""
    f = np.log if log else np.asarray
    return float(np.interp(f(x), f(np.asarray(values, dtype=float)), np.arange(len(values))))


def heatmap_data(df: pd.DataFrame, policy_key: str) -> dict[str, Any]:
    """Cells of the risk-upside heatmap: colour = P(bankrupt), label = P(bankrupt) and
    median cumulative revenue; text colour chosen for contrast."""
    xs = sorted(df["demand.growth"].unique())
    ys = sorted(df[policy_key].unique())
    xi = df["demand.growth"].map({v: i for i, v in enumerate(xs)}).to_numpy(dtype=float)
    yi = df[policy_key].map({v: i for i, v in enumerate(ys)}).to_numpy(dtype=float)
    risk = df["p_bankrupt"].to_numpy(dtype=float)
    rev = df["cum_revenue_p50"].to_numpy(dtype=float)
    text = [f"{r:.0%}\n{usd(v)}" for r, v in zip(risk, rev, strict=True)]
    is_q = policy_key == "policy.q"
    return {
        "cells": {"x": xi, "y": yi, "risk": risk, "rev": [usd(v) for v in rev], "text": text,
                  "text_color": ["white" if r > 0.45 else "black" for r in risk],
                  "world": [f"{v:g}x" for v in df["demand.growth"]],
                  "plan": [f"{v:g}" if is_q else f"{v:g}x" for v in df[policy_key]]},
        "xs": xs, "ys": ys, "is_q": is_q,
        "paths": int(df["paths"].iloc[0]) if "paths" in df else 0,
    }  # fmt: skip


class Heatmap:
    """Plan (rows) x world growth (columns): colour P(bankrupt), label risk and revenue."""

    def __init__(self) -> None:
        self.fig = _fig("heatmap", "Risk (colour) and median revenue (label)",
                        tools="hover,save", x_range=(-0.5, 5.5), y_range=(-0.5, 5.5))  # fmt: skip
        self.src = ColumnDataSource({k: [] for k in ("x", "y", "risk", "rev", "text",
                                                     "text_color", "world", "plan")})  # fmt: skip
        self.mapper = LinearColorMapper(palette=RISK_PALETTE, low=0.0, high=1.0)
        self.cells = self.fig.rect(x="x", y="y", width=1, height=1, source=self.src,
                                   fill_color={"field": "risk", "transform": self.mapper},
                                   line_color="white")  # fmt: skip
        self.labels = self.fig.text(x="x", y="y", text="text", source=self.src,
                                    text_color="text_color", text_align="center",
                                    text_baseline="middle", text_font_size="9pt",
                                    text_line_height=1.1)  # fmt: skip
        self.box_src = ColumnDataSource({"x": [2.5], "y": [0.0], "w": [6.0]})
        self.fig.rect(x="x", y="y", width="w", height=1, source=self.box_src, fill_alpha=0,
                      line_color="black", line_width=3)  # fmt: skip
        bar = ColorBar(color_mapper=self.mapper, formatter=pct_ticks(), width=10,
                       title="P(bankrupt)")  # fmt: skip
        self.fig.add_layout(bar, "right")
        hover = self.fig.select_one(HoverTool)
        hover.renderers = [self.cells]
        hover.tooltips = [("world grows", "@world/yr"), ("plan", "@plan"),
                          ("P(bankrupt)", "@risk{0.0%}"), ("median cum. revenue", "@rev")]  # fmt: skip
        self.fig.xaxis.axis_label = "True growth of the world [x/yr]"
        self.fig.yaxis.axis_label = "Planned growth [x/yr]"
        self.fig.grid.visible = False
        self.data: dict[str, Any] | None = None

    def update(self, data: dict[str, Any] | None, current: float | None, stale: bool) -> None:
        if data is not None:
            self.data = data
            self.src.data = data["cells"]
            n = len(data["xs"])
            self.fig.xaxis.ticker = FixedTicker(ticks=list(range(n)))
            self.fig.xaxis.major_label_overrides = {i: f"{v:g}x" for i, v in enumerate(data["xs"])}
            self.fig.yaxis.ticker = FixedTicker(ticks=list(range(len(data["ys"]))))
            self.fig.yaxis.major_label_overrides = {
                i: (f"{v:g}" if data["is_q"] else f"{v:g}x") for i, v in enumerate(data["ys"])
            }
            self.fig.yaxis.axis_label = ("Policy demand quantile [0-1]" if data["is_q"]
                                         else "Planned growth [x/yr]")  # fmt: skip
        d = self.data
        if d is not None and current is not None:
            pos = _index_position(d["ys"], current, log=not d["is_q"])
            self.box_src.data = {"x": [(len(d["xs"]) - 1) / 2], "y": [pos], "w": [len(d["xs"])]}
        alpha = STALE_ALPHA if stale else 1.0
        self.cells.glyph.fill_alpha = alpha
        self.labels.glyph.text_alpha = alpha
        paths = f"{d['paths']:,} paths per cell" if d else ""
        self.fig.title.text = (
            "UPDATING (shown: earlier settings) · " if stale else ""
        ) + f"Risk (colour) and median revenue (label) · {paths} · box: current plan"
        stamp(self.fig)


# ---------------------------------------------------------------------------- frontier
def short_label(row: pd.Series) -> str:
    kind = row.get("policy.kind")
    if kind == "planned_growth":
        return f"{row['policy.planned_growth']:g}x"
    if kind == "demand_quantile":
        return f"q{row['policy.q']:g}"
    if kind == "adaptive":
        return f"h{row['policy.haircut']:g}"
    return str(kind)


def frontier_data(df: pd.DataFrame) -> dict[str, Any]:
    """Points of the frontier chart, coloured by family, efficient ones filled."""
    fam = df["policy.kind"].astype(str)
    eff = df["efficient"].to_numpy(dtype=bool)
    line = df[eff].sort_values("p_bankrupt")
    cells = []
    for _, row in df.iterrows():
        cell = {k: row[k] for k in ("policy.kind", "policy.planned_growth", "policy.q",
                                    "policy.haircut") if k in row and row[k] == row[k]}  # fmt: skip
        cells.append(cell)
    return {
        "points": {
            "risk": df["p_bankrupt"].to_numpy(dtype=float),
            "rev": df["cum_revenue_p50"].to_numpy(dtype=float),
            "rev_text": [usd(v) for v in df["cum_revenue_p50"]],
            "label": [short_label(r) for _, r in df.iterrows()],
            "name": [policy_words(r) for _, r in df.iterrows()],
            "family": [FAMILY_NAMES.get(f, f) for f in fam],
            "color": [FAMILY_COLORS.get(f, "#777777") for f in fam],
            "alpha": np.where(eff, 0.9, 0.25),
            "size": np.where(eff, 11, 8),
            "efficient": np.where(eff, "efficient", "dominated"),
        },
        "line": {"risk": line["p_bankrupt"].to_numpy(dtype=float),
                 "rev": line["cum_revenue_p50"].to_numpy(dtype=float)},
        "cells": cells,
        "paths": int(df["paths"].iloc[0]) if "paths" in df else 0,
    }  # fmt: skip


class Frontier:
    """Risk/upside of the policy family; points labelled, coloured by family, clickable."""

    def __init__(self) -> None:
        self.fig = _fig("frontier", "Risk/upside frontier of purchase policies",
                        tools="tap,hover,pan,wheel_zoom,reset,save")  # fmt: skip
        self.src = ColumnDataSource({k: [] for k in ("risk", "rev", "rev_text", "label", "name",
                                                     "family", "color", "alpha", "size",
                                                     "efficient")})  # fmt: skip
        self.line_src = ColumnDataSource({"risk": [], "rev": []})
        self.fig.line(x="risk", y="rev", source=self.line_src, line_color="#555555",
                      line_width=1.5, line_dash="dashed", legend_label="frontier (efficient)")  # fmt: skip
        self.points = self.fig.scatter(x="risk", y="rev", source=self.src, color="color",
                                       fill_alpha="alpha", size="size", line_color="color",
                                       legend_field="family",
                                       selection_color="black", nonselection_alpha=1.0)  # fmt: skip
        self.labels = self.fig.text(x="risk", y="rev", text="label", source=self.src,
                                    x_offset=6, y_offset=-3, text_font_size="7.5pt",
                                    text_color="color")  # fmt: skip
        self.cur_src = ColumnDataSource({"risk": [], "rev": [], "label": []})
        self.fig.scatter(x="risk", y="rev", source=self.cur_src, marker="star", size=22,
                         color="#d62728", legend_label="current plan")  # fmt: skip
        self.fig.text(x="risk", y="rev", text="label", source=self.cur_src, x_offset=10,
                      y_offset=8, text_font_size="8pt", text_color="#d62728",
                      text_font_style="bold")  # fmt: skip
        self.budget = Span(location=0.05, dimension="height", line_color="#d62728",
                           line_dash="dashed", line_width=1)  # fmt: skip
        self.fig.add_layout(self.budget)
        hover = self.fig.select_one(HoverTool)
        hover.renderers = [self.points]
        hover.tooltips = [("policy", "@name"), ("P(bankrupt)", "@risk{0.0%}"),
                          ("median cum. revenue", "@rev_text"), ("", "@efficient; click to apply")]  # fmt: skip
        self.fig.select_one(TapTool).renderers = [self.points]
        self.fig.xaxis.formatter = pct_ticks()
        self.fig.yaxis.formatter = usd_ticks()
        self.fig.xaxis.axis_label = "P(bankrupt), run-off included (dashed red: risk budget)"
        self.fig.yaxis.axis_label = "Median cumulative revenue [USD]"
        self.fig.legend.location = "bottom_right"
        self.fig.legend.label_text_font_size = "8pt"
        self.fig.legend.background_fill_alpha = 0.6
        self.data: dict[str, Any] | None = None

    def update(self, data: dict[str, Any] | None, current: dict[str, Any] | None,
               budget: float, stale: bool) -> None:  # fmt: skip
        if data is not None:
            self.data = data
            self.src.selected.indices = []
            self.src.data = data["points"]
            self.line_src.data = data["line"]
        if current is not None:
            self.cur_src.data = {"risk": [current["p_bankrupt"]], "rev": [current["cum_revenue_p50"]],
                                 "label": ["current"]}  # fmt: skip
        self.budget.location = budget
        self.points.glyph.fill_alpha = STALE_ALPHA if stale else "alpha"
        paths = f"{self.data['paths']:,} paths each" if self.data else ""
        self.fig.title.text = (("UPDATING (shown: earlier settings) · " if stale else "")
                               + f"Risk/upside frontier · {paths} · click a point to apply")  # fmt: skip
        stamp(self.fig)


# ----------------------------------------------------------------------------- tornado
def tornado_data(df: pd.DataFrame, top: int = 10) -> dict[str, Any]:
    """Bars of the tornado: friendly names, change vs base at the low and high value."""
    d = df.sort_values("swing", ascending=False).head(top).iloc[::-1].reset_index(drop=True)
    base = float(d["base"].iloc[0]) if len(d) else 0.0
    names = [friendly_name(p) for p in d["parameter"]]
    y = np.arange(len(d), dtype=float)

    def fmt(v: float, p: str) -> str:
        return usd(v) if abs(v) >= 1e6 else f"{v:.3g}"

    low = {"y": y + 0.19, "left": np.zeros(len(d)), "right": (d["metric_low"] - base).to_numpy(),
           "name": names, "value": [fmt(v, p) for v, p in zip(d["low_value"], d["parameter"], strict=True)],
           "metric": d["metric_low"].to_numpy()}  # fmt: skip
    high = {"y": y - 0.19, "left": np.zeros(len(d)), "right": (d["metric_high"] - base).to_numpy(),
            "name": names, "value": [fmt(v, p) for v, p in zip(d["high_value"], d["parameter"], strict=True)],
            "metric": d["metric_high"].to_numpy()}  # fmt: skip
    return {"low": low, "high": high, "names": names, "base": base,
            "top5": [friendly_name(p) for p in d["parameter"].iloc[::-1].head(5)],
            "paths": int(df.attrs.get("paths", 0))}  # fmt: skip


class Tornado:
    """What drives P(bankrupt): each assumption at its low and high value."""

    def __init__(self) -> None:
        self.fig = _fig("tornado", "What drives P(bankrupt)", tools="hover,save", height=420)
        self.low = ColumnDataSource(
            {k: [] for k in ("y", "left", "right", "name", "value", "metric")}
        )
        self.high = ColumnDataSource(
            {k: [] for k in ("y", "left", "right", "name", "value", "metric")}
        )
        self.bars = [
            self.fig.hbar(y="y", left="left", right="right", height=0.36, source=self.low,
                          color="#1f77b4", legend_label="assumption at its low value"),
            self.fig.hbar(y="y", left="left", right="right", height=0.36, source=self.high,
                          color="#ff7f0e", legend_label="assumption at its high value"),
        ]  # fmt: skip
        self.fig.add_layout(Span(location=0, dimension="height", line_color="black", line_width=1))
        hover = self.fig.select_one(HoverTool)
        hover.renderers = self.bars
        hover.tooltips = [("assumption", "@name"), ("set to", "@value"),
                          ("P(bankrupt)", "@metric{0.0%}")]  # fmt: skip
        self.fig.xaxis.formatter = CustomJSTickFormatter(code=PP_JS)
        self.fig.xaxis.axis_label = (
            "Change in P(bankrupt) vs the current settings [percentage points]"
        )
        self.fig.yaxis.axis_label = None
        self.fig.legend.location = "bottom_right"
        self.fig.legend.label_text_font_size = "8pt"
        self.fig.ygrid.visible = False
        self.data: dict[str, Any] | None = None

    def update(self, data: dict[str, Any] | None, stale: bool) -> None:
        if data is not None:
            self.data = data
            self.low.data, self.high.data = data["low"], data["high"]
            n = len(data["names"])
            self.fig.yaxis.ticker = FixedTicker(ticks=list(range(n)))
            self.fig.yaxis.major_label_overrides = dict(enumerate(data["names"]))
        for bar in self.bars:
            bar.glyph.fill_alpha = STALE_ALPHA if stale else 1.0
        d = self.data
        head = (
            f"What drives P(bankrupt) (base {d['base']:.1%}, {d['paths']:,} paths per run)"
            if d
            else "What drives P(bankrupt)"
        )
        self.fig.title.text = ("UPDATING (shown: earlier settings) · " if stale else "") + head
        stamp(self.fig)


def message_pane_text(value: Any) -> str | None:
    """The message to show instead of a chart, or None when ``value`` is a result."""
    if isinstance(value, pd.DataFrame):
        return None if len(value) else "The sweep returned no rows."
    if isinstance(value, dict):
        return None
    return str(value) if value else "Computing…"


def ruin_markdown(out: dict[str, Any]) -> str:
    """The "What ruins us" text: the first box as a sentence, the CART cross-check, the
    worlds that escape when ruin is common, and the recommended signpost as YAML."""
    from sim.analysis.discover import describe

    if "message" in out:
        return str(out["message"])
    d = out["discovery"]
    lines = [f"**{d.p_target:.1%} of {d.paths:,} worlds end in ruin** (bankrupt in the "
             "horizon or the run-off)."]  # fmt: skip
    if d.note:
        lines.append(d.note)
    if d.boxes:
        lines.append(f"**First box:** {d.sentences()[0]}.")
        if not d.reached:
            lines.append(f"(No box reaches {d.min_density:.0%} density: this is the densest.)")
    if d.cart is not None:
        lines.append(f"CART cross-check: {describe(d.cart, d.target_words)}.")
    if d.escape is not None and d.escape.boxes:
        lines.append(f"Ruin is the common outcome; the worlds that escape it: "
                     f"{d.escape.sentences()[0]}.")  # fmt: skip
    sp = out.get("recommended")
    if sp is not None:
        lines.append(f"**Signpost** {sp.sentence()}. Paste into the scenario:")
        lines.append("```yaml\n" + sp.yaml() + "\n```")
    return "\n\n".join(lines)
