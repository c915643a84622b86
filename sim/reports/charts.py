"""Interactive charts of a run (hvplot/HoloViews, Bokeh backend) for the HTML report.

Each chart is built from :func:`sim.reports.frames.chart_frames`; fan charts draw the
P5-P95 band and the median line. Titles are stable: tests and readers look for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import holoviews as hv
import hvplot.pandas  # noqa: F401  (registers .hvplot on DataFrames)
import numpy as np
import pandas as pd

WIDTH, HEIGHT = 900, 320

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
"""Charts of the "Build pipeline and slip" section (scenarios with ``compute.build`` only)."""


@contextmanager
def bokeh_backend() -> Iterator[None]:
    """Build charts with the Bokeh backend, restoring the caller's backend afterwards."""
    if "bokeh" not in hv.Store.renderers:
        import holoviews.plotting.bokeh  # noqa: F401  (registers the renderer quietly)
    previous = hv.Store.current_backend
    hv.Store.set_current_backend("bokeh")
    try:
        yield
    finally:
        hv.Store.set_current_backend(previous)


def _fan(df: pd.DataFrame, label: str, color: str, yformat: str) -> hv.Overlay:
    data = df.reset_index()
    band = data.hvplot.area(
        x="month", y="p5", y2="p95", color=color, alpha=0.25, line_alpha=0,
        label=f"{label} P5-P95", hover=False,
    )  # fmt: skip
    line = data.hvplot.line(
        x="month", y="p50", color=color, line_width=2, label=f"{label} P50",
        hover_cols=["p5", "p95"], yformatter=yformat,
    )  # fmt: skip
    return band * line


LOG_Y = ("demand_gw", "demand_usd", "revenue", "compute_cost")
"""Charts spanning orders of magnitude: log y-axis, so the early years stay readable."""


def _finish(
    obj: hv.Element | hv.Overlay,
    key: str,
    ylabel: str,
    xlabel: str = "month",
    horizon: pd.Timestamp | None = None,
) -> hv.Overlay:
    log = key in LOG_Y
    if horizon is not None and xlabel == "month":  # where the run-off starts
        obj = obj * hv.VLine(horizon, label="horizon end: run-off after").opts(
            color="black", line_dash="dotted", line_width=1
        )
    if log:  # zeros (bankrupt paths) can't be drawn on a log axis: bound it by the data
        values = np.concatenate(
            [el.dframe().select_dtypes("number").to_numpy().ravel()
             for el in obj.traverse(lambda x: x, [hv.Area, hv.Curve])]
        )  # fmt: skip
        positive = values[np.isfinite(values) & (values > 0)]
        if positive.size:
            obj = obj.opts(hv.opts.Overlay(ylim=(positive.min() / 1.5, positive.max() * 1.5)))
    return obj.opts(
        hv.opts.Overlay(
            title=TITLES[key], width=WIDTH, height=HEIGHT, legend_position="top_left",
            xlabel=xlabel, ylabel=ylabel + (" (log scale)" if log else ""), show_grid=True,
            logy=log,
        )
    )  # fmt: skip


USD_FMT = "$%.4g"


def usd_scale(*frames: pd.DataFrame) -> tuple[float, str]:
    """(divisor, unit) so that USD charts read in $M, $B or $T."""
    top = max(float(np.nanmax(np.abs(f.to_numpy()))) if f.size else 0.0 for f in frames)
    for div, unit in ((1e12, "T"), (1e9, "B")):
        if top >= div:
            return div, unit
    return 1e6, "M"


def _usd_fan(frames: dict[str, pd.DataFrame], bands: list[tuple[str, str, str]]) -> tuple:
    div, unit = usd_scale(*(frames[name] for name, _, _ in bands))
    overlay = None
    for name, label, color in bands:
        fan = _fan(frames[name] / div, label, color, USD_FMT + unit)
        overlay = fan if overlay is None else overlay * fan
    return overlay, unit


def build_charts(frames: dict[str, pd.DataFrame]) -> dict[str, hv.Overlay]:
    """One HoloViews object per key of :data:`TITLES` (Bokeh backend)."""
    with bokeh_backend():
        return _build(frames)


def _build(frames: dict[str, pd.DataFrame]) -> dict[str, hv.Overlay]:
    charts: dict[str, hv.Overlay] = {}
    end = frames.get("horizon_end")
    horizon = None if end is None else end["month"].iloc[0]
    if horizon is not None and horizon > frames["revenue"].index[-1]:
        horizon = None  # no run-off: nothing to mark
    charts["demand_gw"] = _finish(
        _fan(frames["demand_gw"], "demand (GW-equivalent at plan split)", "#d62728", "%.3g")
        * _fan(frames["capacity_gw"], "capacity online", "#1f77b4", "%.3g"),
        "demand_gw", "GW", horizon=horizon,
    )  # fmt: skip
    fans = {
        "demand_usd": ([("demand_usd", "potential demand", "#d62728"),
                        ("servable_usd", "servable at plan split", "#1f77b4")], "/yr"),
        "revenue": ([("revenue", "revenue", "#2ca02c")], "/yr"),
        "compute_cost": ([("compute_cost", "compute cost", "#9467bd")], "/yr"),
        "cash": ([("cash", "cash", "#8c564b")], ""),
    }  # fmt: skip
    for key, (bands, per) in fans.items():
        overlay, unit = _usd_fan(frames, bands)
        charts[key] = _finish(
            overlay,
            key,
            f"USD {unit}{per}".replace("USD T", "USD trillion")
            .replace("USD B", "USD billion")
            .replace("USD M", "USD million"),
            horizon=horizon,
        )
    charts["training_share"] = _finish(
        _fan(frames["training_share"], "training share", "#ff7f0e", "%.2f")
        * hv.HLine(0.5).opts(color="grey", line_dash="dashed"),
        "training_share", "share of capacity", horizon=horizon,
    )  # fmt: skip
    pb = frames["p_bankrupt"].reset_index()
    charts["p_bankrupt"] = _finish(
        hv.Overlay([pb.hvplot.step(x="month", y="p_bankrupt", color="#d62728", line_width=2,
                                   where="post", label="P(bankrupt by month)")]),
        "p_bankrupt", "probability", horizon=horizon,
    )  # fmt: skip
    bm = frames["bankrupt_month"]
    start = bm.index[0].year + (bm.index[0].month - 1) / 12.0
    edges = start + np.arange(len(bm) + 1) / 12.0
    hist = hv.Histogram((edges, bm["share"].to_numpy()), kdims="year", vdims="share")
    charts["bankrupt_month"] = _finish(
        hv.Overlay([hist.opts(color="#d62728", line_color=None, tools=["hover"])]),
        "bankrupt_month", "share of paths", xlabel="year",
    )  # fmt: skip
    return charts


def build_slip_chart(frames: dict[str, pd.DataFrame]) -> hv.Overlay:
    """Slip distribution from :func:`sim.reports.frames.slip_frames`: bars are the share of
    projects by whole-month slip as the engine draws it, the step line the CDF of the
    simulated (continuous) slips."""
    with bokeh_backend():
        pmf = frames["slip_months"]
        edges = np.arange(len(pmf) + 1) - 0.5
        bars = hv.Histogram(
            (edges, pmf["share"].to_numpy()), kdims="slip", vdims="share",
            label="share of projects, whole-month slip as drawn",
        ).opts(color="#ff7f0e", alpha=0.7, line_color=None, tools=["hover"])  # fmt: skip
        cdf = frames["slip_cdf"].reset_index()
        step = cdf.hvplot.step(
            x="slip", y="cdf", where="post", color="#1f77b4", line_width=2,
            label="P(simulated slip <= x)",
        )  # fmt: skip
        return (bars * step).opts(
            hv.opts.Overlay(
                title=SLIP_TITLES["slip_months"], width=WIDTH, height=HEIGHT,
                legend_position="right", xlabel="slip [months]",
                ylabel="share of projects / probability", show_grid=True,
            )
        )  # fmt: skip
