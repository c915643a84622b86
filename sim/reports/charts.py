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
from bokeh.core.properties import value
from bokeh.models import (
    AllLabels,
    BasicTicker,
    BoxZoomTool,
    ColumnDataSource,
    CustomJSTickFormatter,
    DataRange1d,
    DatetimeAxis,
    DatetimeTicker,
    Glyph,
    GlyphRenderer,
    Grid,
    HoverTool,
    Legend,
    LegendItem,
    Line,
    LinearAxis,
    LinearScale,
    LogAxis,
    LogScale,
    LogTicker,
    NumeralTickFormatter,
    PanTool,
    Plot,
    Quad,
    ResetTool,
    SaveTool,
    Span,
    Step,
    VArea,
    WheelZoomTool,
)
from bokeh.models.formatters import CONTEXTUAL_DATETIME_FORMATTER

from .chart_spec import (
    COLORS,
    COMPETITION_TITLES,
    LOG_FLOOR,
    LOG_Y,
    SLIP_TITLES,
    TITLES,
    USD_JS,
    floor_for_log,
    horizon_mark,
    usd_scale,  # noqa: F401  (re-exported: callers import it from here)
)

WIDTH, HEIGHT = 900, 320


def usd_ticks() -> CustomJSTickFormatter:
    """Tick formatter 1.23e10 -> $12.3B."""
    return CustomJSTickFormatter(code=USD_JS)


def pct_ticks() -> NumeralTickFormatter:
    """Tick formatter 0.02 -> 2%."""
    return NumeralTickFormatter(format="0%")


class AxisModels:
    """Stateless models the charts of one page can share: tickers, tick formats and the
    label policy of their axes. Bokeh otherwise builds them for every axis (a month axis
    alone: a ticker of 13 models and a format of 3). Each model costs time to build and to
    serialise: with one set for the HTML report's page and :func:`_glyph`, the page of
    lone_lab has 321 models instead of 479, and builds in ~0.88 s instead of ~1.10 s
    (medians, 10 pairs). Charts that share a set belong in one Bokeh document."""

    def __init__(self) -> None:
        self.months = DatetimeTicker()
        self.month_format = CONTEXTUAL_DATETIME_FORMATTER()  # DatetimeAxis' default
        self.linear = BasicTicker()  # num_minor_ticks 5, as figure() sets
        self.log = LogTicker(num_minor_ticks=10)  # as figure() sets on a log axis
        self.labels = AllLabels()
        self.usd = usd_ticks()
        self.pct = pct_ticks()

    def axis(self, fig: Plot, dim: int, kind: str) -> None:
        """Add the axis and grid ``figure(x_axis_type=kind)`` (``dim`` 0) or ``y_axis_type``
        (1) adds, with the shared models; ``kind`` "datetime", "log" or "linear"."""
        cls, ticker = {"datetime": (DatetimeAxis, self.months), "log": (LogAxis, self.log),
                       "linear": (LinearAxis, self.linear)}[kind]  # fmt: skip
        extra = {"formatter": self.month_format} if kind == "datetime" else {}
        axis = cls(ticker=ticker, major_label_policy=self.labels, **extra)
        fig.add_layout(Grid(dimension=dim, axis=axis), "center")
        fig.add_layout(axis, "below" if dim == 0 else "left")


def _figure(
    key: str,
    ylabel: str,
    axes: AxisModels | None,
    log: bool = False,
    x_datetime: bool = True,
    y_ticks: str | None = None,
) -> Plot:
    """A chart with a month (or linear) x-axis and a linear (or log) y-axis: what
    ``bokeh.plotting.figure(tools="pan,wheel_zoom,box_zoom,reset,save")`` builds, from
    ``bokeh.models`` alone (``bokeh.plotting`` took another 0.1-0.25 s to import). Its axes
    use ``axes`` (default: a set of its own); ``y_ticks`` "usd" or "pct" labels the y-axis
    in money or percent (default: the axis' own format)."""
    models = AxisModels() if axes is None else axes
    fig = Plot(
        title={**TITLES, **SLIP_TITLES, **COMPETITION_TITLES}.get(key, key), width=WIDTH,
        height=HEIGHT, x_range=DataRange1d(), y_range=DataRange1d(), x_scale=LinearScale(),
        y_scale=LogScale() if log else LinearScale(), toolbar_location="above",
    )  # fmt: skip
    fig.add_tools(PanTool(), WheelZoomTool(), BoxZoomTool(), ResetTool(), SaveTool())
    models.axis(fig, 0, "datetime" if x_datetime else "linear")
    models.axis(fig, 1, "log" if log else "linear")
    if y_ticks is not None:
        fig.yaxis.formatter = {"usd": models.usd, "pct": models.pct}[y_ticks]
    fig.yaxis.axis_label = ylabel + (" (log scale)" if log else "")
    fig.xaxis.axis_label = "month" if x_datetime else ""
    return fig


def _glyph(fig: Plot, source: ColumnDataSource, glyph: Glyph, label: str) -> GlyphRenderer:
    """``glyph`` drawn from ``source`` with a legend entry, like ``fig.line(...,
    legend_label=label)`` but without the non-selected and muted copies of the glyph that
    Bokeh's glyph methods add: these charts select nothing and hide (not mute) on a legend
    click, so BokehJS' defaults ("auto") draw the same."""
    renderer = fig.add_glyph(source, glyph)
    legends = [obj for obj in fig.center if isinstance(obj, Legend)]
    if not legends:
        legends = [Legend()]
        fig.add_layout(legends[0])
    legends[0].items.append(LegendItem(label=value(label), renderers=[renderer]))
    return renderer


def _fan(fig: Plot, df: pd.DataFrame, label: str, color: str, fmt: str) -> None:
    source = ColumnDataSource({"month": df.index, "p5": df["p5"], "p50": df["p50"],
                               "p95": df["p95"]})  # fmt: skip
    _glyph(fig, source, VArea(x="month", y1="p5", y2="p95", fill_color=color, fill_alpha=0.25),
           f"{label} P5-P95")  # fmt: skip
    line = _glyph(fig, source, Line(x="month", y="p50", line_color=color, line_width=2),
                  f"{label} P50")  # fmt: skip
    fig.add_tools(HoverTool(renderers=[line], formatters={"@month": "datetime"}, tooltips=[
        ("month", "@month{%Y-%m}"), (f"{label} P50", f"@p50{{{fmt}}}"),
        ("P5 - P95", f"@p5{{{fmt}}} - @p95{{{fmt}}}"),
    ]))  # fmt: skip


def _finish(fig: Plot, horizon: pd.Timestamp | None) -> Plot:
    if horizon is not None:
        fig.add_layout(Span(location=horizon, dimension="height", line_color="black",
                            line_dash="dotted", line_width=1))  # fmt: skip
    fig.legend.location = "top_left"
    fig.legend.click_policy = "hide"
    fig.legend.background_fill_alpha = 0.7
    return fig


def build_charts(
    frames: dict[str, pd.DataFrame], axes: AxisModels | None = None
) -> dict[str, Plot]:
    """One Bokeh figure (a ``Plot``) per key of :data:`TITLES`; ``axes``: axis models they
    all share (then show them in one document, as the HTML report does), default a set
    each."""
    horizon = horizon_mark(frames)
    charts: dict[str, Plot] = {}

    fig = _figure("demand_gw", "GW", axes, log=True)
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
        fig = _figure(key, f"USD{per}", axes, log=log, y_ticks="usd")
        for name, label, color in bands:
            df = frames[name]
            if log:
                df = floor_for_log(df, LOG_FLOOR[key])
            _fan(fig, df, label, color, "$0.00a")
        charts[key] = _finish(fig, horizon)

    fig = _figure("training_share", "share of capacity", axes, y_ticks="pct")
    _fan(fig, frames["training_share"], "training share", COLORS["training"], "0%")
    fig.add_layout(Span(location=0.5, dimension="width", line_color="grey", line_dash="dashed"))
    charts["training_share"] = _finish(fig, horizon)

    fig = _figure("p_bankrupt", "probability", axes, y_ticks="pct")
    pb = frames["p_bankrupt"]
    source = ColumnDataSource({"month": pb.index, "p": pb["p_bankrupt"]})
    step = _glyph(fig, source, Step(x="month", y="p", mode="after", line_color=COLORS["risk"],
                                    line_width=2), "P(bankrupt by month)")  # fmt: skip
    fig.add_tools(HoverTool(renderers=[step], formatters={"@month": "datetime"},
                            tooltips=[("month", "@month{%Y-%m}"), ("P(bankrupt)", "@p{0.0%}")]))  # fmt: skip
    charts["p_bankrupt"] = _finish(fig, horizon)

    bm = frames["bankrupt_month"]
    start = bm.index[0].year + (bm.index[0].month - 1) / 12.0
    edges = start + np.arange(len(bm) + 1) / 12.0
    fig = _figure("bankrupt_month", "share of paths", axes, x_datetime=False)
    fig.yaxis.formatter = NumeralTickFormatter(format="0.0%")
    fig.xaxis.axis_label = "year"
    source = ColumnDataSource(
        {"left": edges[:-1], "right": edges[1:], "top": bm["share"].to_numpy()}
    )
    _glyph(fig, source, Quad(left="left", right="right", top="top", bottom=0.0,
                             fill_color=COLORS["risk"], line_color=None), "bankrupt in the month")  # fmt: skip
    charts["bankrupt_month"] = _finish(fig, None)
    return charts


def build_competition_charts(
    frames: dict[str, pd.DataFrame], axes: AxisModels | None = None
) -> dict[str, Plot]:
    """Fans of :data:`COMPETITION_TITLES` (scenarios with a competition section); ``axes``
    as for :func:`build_charts`."""
    horizon = horizon_mark(frames)
    units = {"training_compute": ("GW-years", "0,0.0"),
             "relative_capability": ("doublings vs rivals", "0.00"),
             "demand_share": ("share of frontier demand", "0%")}  # fmt: skip
    charts = {}
    for key, (label, fmt) in units.items():
        fig = _figure(key, label, axes, y_ticks="pct" if fmt == "0%" else None)
        _fan(fig, frames[key], key.replace("_", " "), COLORS["training"], fmt)
        charts[key] = _finish(fig, horizon)
    return charts


def build_slip_chart(frames: dict[str, pd.DataFrame], axes: AxisModels | None = None) -> Plot:
    """Slip distribution from :func:`sim.reports.frames.slip_frames`: bars are the share of
    projects by whole-month slip as the engine draws it, the step line the CDF of the
    simulated (continuous) slips. ``axes`` as for :func:`build_charts`."""
    pmf = frames["slip_months"]
    fig = _figure("slip_months", "share of projects / probability", axes, x_datetime=False)
    fig.xaxis.axis_label = "slip [months]"
    x = pmf.index.to_numpy(dtype=float)
    bars = ColumnDataSource({"left": x - 0.5, "right": x + 0.5, "top": pmf["share"].to_numpy()})
    _glyph(fig, bars, Quad(left="left", right="right", top="top", bottom=0.0,
                           fill_color=COLORS["training"], fill_alpha=0.7, line_color=None),
           "share of projects, whole-month slip as drawn")  # fmt: skip
    cdf = frames["slip_cdf"]
    steps = ColumnDataSource({"x": cdf.index.to_numpy(dtype=float), "y": cdf["cdf"].to_numpy()})
    _glyph(fig, steps, Step(x="x", y="y", mode="after", line_color=COLORS["capacity"],
                            line_width=2), "P(simulated slip <= x)")  # fmt: skip
    fig.legend.location = "center_right"
    return fig
