"""Charts of the dashboard: hvplot declarations over tidy frames (the report's
:func:`sim.reports.frames.chart_frames` and the background tables), overlaid as
``hv.DynamicMap`` layers fed by ``Pipe`` streams, so a redraw patches the Bokeh figure in
place. Each redraw stamps ``window.__csim_redraw[name]`` in the browser (benchmarks, tests)."""

from __future__ import annotations

import functools
import itertools
import math
import operator
from typing import Any

import holoviews as hv
import hvplot.pandas  # noqa: F401  (registers DataFrame.hvplot)
import numpy as np
import pandas as pd
import panel as pn
from bokeh.models import CustomJS, CustomJSTickFormatter
from bokeh.palettes import YlOrRd9

from sim.outputs import usd
from sim.reports.charts import COLORS, LOG_FLOOR, TITLES, USD_JS
from sim.reports.decision import pct, policy_words
from sim.reports.frames import FAN_QUANTILES, chart_frames

from .actuals import actuals_data, actuals_layers
from .schema import friendly_name

hv.extension("bokeh", logo=False)
hv.renderer("bokeh").webgl = False  # canvas: WebGL is software-emulated on many laptops/CI

PCT_JS = "return Number((tick * 100).toPrecision(3)) + '%';"
PP_JS = "return (tick > 0 ? '+' : '') + Number((tick * 100).toPrecision(3)) + ' pp';"
STAMP_JS = """window.__csim_redraw = window.__csim_redraw || {};
window.__csim_redraw[name] = performance.now();"""
FAMILY_COLORS = {"planned_growth": "#1f77b4", "demand_quantile": "#2ca02c", "adaptive": "#ff7f0e"}
FAMILY_NAMES = {"planned_growth": "plan for a growth rate", "demand_quantile": "demand quantile",
                "adaptive": "adaptive (learns growth)"}  # fmt: skip
HEIGHT = 340
RISK_PALETTE = list(reversed(YlOrRd9))
STALE_ALPHA = 0.3
LABEL_SPACING = 0.09  # least distance between labelled frontier points [share of axis range]
FIT = {"responsive": True, "height": HEIGHT}  # every layer (the overlay sets the chart's height)
FRAMED = {"framewise": True, "toolbar": "above", "fontsize": {"title": "10pt"}}  # main layer
_counter = itertools.count(1)


def _same(a: Any, b: Any) -> bool:
    """Whether a pipe's input is unchanged: the same object or an equal scalar."""
    return a is b or (pd.api.types.is_scalar(a) and pd.api.types.is_scalar(b) and bool(a == b))


class Chart:
    """Layers ``(fn(data) -> element, keys of data it reads)`` overlaid in a pane (empty until
    the first data), one ``Pipe`` per set of keys: :meth:`send` feeds only changed ones."""

    def __init__(self, name: str, layers: list[tuple[Any, tuple[str, ...]]], height: int = HEIGHT,
                 **opts: Any) -> None:  # fmt: skip
        self.name = name
        self.data: dict[str, Any] = {}
        self.fig: Any = None
        self.pipes = {keys: hv.streams.Pipe(data=None) for _fn, keys in layers}
        self.maps = [hv.DynamicMap(lambda data, fn=fn: fn(data), streams=[self.pipes[keys]])
                     for fn, keys in layers]  # fmt: skip
        self.overlay = functools.reduce(operator.mul, self.maps).opts(
            responsive=True, height=height, hooks=[self._hook], **opts)  # fmt: skip
        self.pane = pn.pane.HoloViews(None, sizing_mode="stretch_width", min_width=300,
                                      height=height, css_classes=[f"chart-{name}"])  # fmt: skip

    def _hook(self, plot: Any, _element: Any) -> None:
        fig = plot.state
        if fig is not self.fig:
            fig.name = self.name
            fig.js_on_change("tags", CustomJS(args={"name": self.name}, code=STAMP_JS))
            self.fig = fig

    def send(self, data: dict[str, Any]) -> None:
        """Replace the chart's data in place (the first call draws the figure)."""
        old, self.data = self.data, data
        if self.pane.object is None:
            for pipe in self.pipes.values():
                pipe.update(data=data)
            self.pane.object = self.overlay
            return
        for keys, pipe in self.pipes.items():
            if not all(_same(old.get(k), data.get(k)) for k in keys):
                pipe.send(data)
        if self.fig is not None:  # the browser stamps when this arrives
            self.fig.tags = [next(_counter)]


def _refill(element: Any, df: pd.DataFrame) -> Any:
    """``element`` (or its ``by`` groups) holding the rows of ``df``; None if groups differ."""
    if not isinstance(element, hv.NdOverlay):
        return element.clone(data=df)
    groups = dict(tuple(df.groupby(element.kdims[0].name, sort=False)))
    if set(groups) != set(element.keys()):
        return None
    return element.clone({k: el.clone(data=groups[k]) for k, el in element.items()})


def declared(frame: Any, declare: Any, static: Any = lambda _d: None) -> Any:
    """Layer ``declare(frame(data))``, declared anew only when ``static(data)`` (titles)
    changes, else refilled with the new rows: hvplot's option processing runs once."""
    memo: dict[str, Any] = {}

    def layer(d: dict[str, Any]) -> Any:
        df, key = frame(d), static(d)
        out = _refill(memo["element"], df) if memo.get("key", ()) == key else None
        if out is None:
            out = memo["element"] = declare(df)
            memo["key"] = key
        return out

    return layer


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects (HoloViews reshapes columns; Arrow strings refuse)."""
    text = [c for c in df.columns if pd.api.types.is_string_dtype(df[c])]
    return df.astype(dict.fromkeys(text, object)) if text else df


def heatmap_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Tidy cells of the risk-upside heatmap: index positions, risk, revenue and labels."""
    policy_key = df.attrs.get("policy_key", "policy.planned_growth")  # the swept policy value
    xs, ys = sorted(df["demand.growth"].unique()), sorted(df[policy_key].unique())
    is_q = policy_key == "policy.q"
    risk = df["p_bankrupt"].to_numpy(dtype=float)
    rev = [usd(v) for v in df["cum_revenue_p50"]]
    out = _plain(pd.DataFrame({
        "xi": df["demand.growth"].map({v: i for i, v in enumerate(xs)}).to_numpy(dtype=float),
        "yi": df[policy_key].map({v: i for i, v in enumerate(ys)}).to_numpy(dtype=float),
        "risk": risk, "revenue": rev,
        "label": [f"{r:.0%}\n{v}" for r, v in zip(risk, rev, strict=True)],
        "text_color": ["white" if r > 0.45 else "black" for r in risk],
        "world": [f"{v:g}x/yr" for v in df["demand.growth"]],
        "plan": [pct(v, 0) if is_q else f"{v:g}x/yr" for v in df[policy_key]],
    }))  # fmt: skip
    paths = int(df["paths"].iloc[0]) if "paths" in df else 0
    out.attrs.update(xs=xs, ys=ys, is_q=is_q, paths=paths)
    return out


def plan_marker(ys: list[float], n_cols: int, current: float | None, log: bool) -> pd.DataFrame:
    """Box of the current plan: its row, or a thin bar where it lies between two rows."""
    if current is None or not ys or not ys[0] <= current <= ys[-1]:
        return pd.DataFrame({"x0": [], "y0": [], "x1": [], "y1": []})
    f = np.log if log else np.asarray
    pos = float(np.interp(f(current), f(np.asarray(ys, dtype=float)), np.arange(len(ys))))
    on_row = any(math.isclose(current, y, rel_tol=1e-6) for y in ys)
    half = 0.5 if on_row else 0.06
    return pd.DataFrame({"x0": [-0.5], "y0": [pos - half], "x1": [n_cols - 0.5],
                         "y1": [pos + half]})  # fmt: skip


def heatmap_chart() -> Chart:
    """Plan (rows) x world growth (columns): colour P(bankrupt), label risk and revenue."""
    bar = CustomJSTickFormatter(code=PCT_JS)

    def cells(d: dict[str, Any]) -> Any:
        df = d["cells"]
        a = df.attrs
        return df.hvplot.heatmap(**FIT,
            x="xi", y="yi", C="risk", cmap=RISK_PALETTE, clim=(0.0, 1.0), colorbar=True,
            hover_cols=["world", "plan", "revenue"], xlabel="True growth of the world [x/yr]",
            ylabel=("Demand quantile [%]" if a["is_q"] else "Planned growth [x/yr]")
            + " · box: current plan", clabel="P(bankrupt)",
            title=f"P(bankrupt) and median revenue · {a['paths']:,} paths per cell",
        ).opts(
            xticks=[(i, f"{v:g}x") for i, v in enumerate(a["xs"])],
            yticks=[(i, pct(v, 0) if a["is_q"] else f"{v:g}x") for i, v in enumerate(a["ys"])],
            xlim=(-0.5, len(a["xs"]) - 0.5), ylim=(-0.5, len(a["ys"]) - 0.5), **FRAMED,
            alpha=STALE_ALPHA if d["stale"] else 1.0, line_color="white", tools=["hover"],
            colorbar_opts={"formatter": bar},
        )  # fmt: skip

    def labels(d: dict[str, Any]) -> Any:
        return d["cells"].hvplot.labels(**FIT, x="xi", y="yi", text="label", hover_cols=["text_color"]).opts(
            text_color="text_color", text_font_size="8pt", text_alpha=0.4 if d["stale"] else 1.0)  # fmt: skip

    def box(d: dict[str, Any]) -> Any:
        return hv.Rectangles(d["box"], ["x0", "y0", "x1", "y1"]).opts(fill_alpha=0, line_width=3)

    keys = ("cells", "stale")  # what the cells and their labels depend on
    return Chart("heatmap", [(cells, keys), (labels, keys), (box, ("box",))])


def short_label(row: Any) -> str:
    """Label of a frontier point in the one number format: 4x, q10%, h25%."""
    kind = row.get("policy.kind")
    if kind == "planned_growth":
        return f"{row['policy.planned_growth']:g}x"
    if kind == "demand_quantile":
        return f"q{pct(row['policy.q'], 0)}"
    if kind == "adaptive":
        return f"h{pct(row['policy.haircut'], 0)}"
    return str(kind)


def spaced(x: np.ndarray, y: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Mask of points to label, in ``order``, each :data:`LABEL_SPACING` from the rest."""
    span = [max(float(np.ptp(v)), 1e-12) if len(v) else 1.0 for v in (x, y)]
    keep = np.zeros(len(x), dtype=bool)
    for i in order:
        d = np.hypot((x[keep] - x[i]) / span[0], (y[keep] - y[i]) / span[1])
        keep[i] = not len(d) or bool(d.min() >= LABEL_SPACING)
    return keep


def frontier_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Tidy points of the frontier, labels thinned (efficient points first), with policies."""
    eff = df["efficient"].to_numpy(dtype=bool)
    risk = df["p_bankrupt"].to_numpy(dtype=float)
    rev = df["cum_revenue_p50"].to_numpy(dtype=float)
    rows = df.to_dict("records")
    show = spaced(risk, rev, np.lexsort((risk, ~eff)))  # efficient points get labels first
    out = _plain(pd.DataFrame({
        "risk": risk, "revenue": rev, "revenue_text": [usd(v) for v in rev],
        "family": [FAMILY_NAMES.get(f, f) for f in df["policy.kind"].astype(str)],
        "efficient": np.where(eff, "efficient", "dominated"),
        "policy": [policy_words(r) for r in rows],
        "label": [short_label(r) if s else "" for r, s in zip(rows, show, strict=True)],
        "size": np.where(eff, 110, 45),
    }))  # fmt: skip
    out.attrs["policies"] = [{k: r[k] for k in ("policy.kind", "policy.planned_growth", "policy.q",
                                                 "policy.haircut") if k in r and r[k] == r[k]}
                             for r in rows]  # fmt: skip
    out.attrs["paths"] = int(df["paths"].iloc[0]) if "paths" in df else 0
    return out


def frontier_chart() -> tuple[Chart, hv.streams.Selection1D]:
    """Risk/upside of the policy families; efficient points labelled; click one to apply."""
    usd_axis, pct_axis = CustomJSTickFormatter(code=USD_JS), CustomJSTickFormatter(code=PCT_JS)
    colors = {FAMILY_NAMES[k]: c for k, c in FAMILY_COLORS.items()}

    def points(d: dict[str, Any]) -> Any:
        df = d["points"]
        return df.hvplot.scatter(**FIT,
            x="risk", y="revenue", c="family", cmap=colors, s="size", legend="bottom_right",
            hover_cols=["policy", "revenue_text", "efficient"], tools=["tap", "hover"],
            xlabel="P(bankrupt), run-off included (dashed: risk budget)",
            ylabel="Median cumulative revenue [USD]",
            title=f"Frontier · {df.attrs['paths']:,} paths each · click a point to apply",
        ).opts(alpha=STALE_ALPHA if d["stale"] else 0.9, xformatter=pct_axis,
               yformatter=usd_axis, **FRAMED,
               legend_opts={"label_text_font_size": "8pt", "background_fill_alpha": 0.6})  # fmt: skip

    def line(d: dict[str, Any]) -> Any:
        eff = d["points"][d["points"]["efficient"] == "efficient"].sort_values("risk")
        return eff.hvplot.line(**FIT, x="risk", y="revenue").opts(color="#555", line_dash="dashed")

    def labels(d: dict[str, Any]) -> Any:
        return d["points"][d["points"]["label"] != ""].hvplot.labels(
            **FIT, x="risk", y="revenue", text="label",
        ).opts(text_font_size="7.5pt", text_align="left", xoffset=0.004, text_color="#333")  # fmt: skip

    def star(df: pd.DataFrame) -> Any:
        return df.hvplot.scatter(**FIT, x="risk", y="revenue", hover_cols=["label"]).opts(
            marker="star", size=22, color="#d62728")  # fmt: skip

    current = declared(lambda d: d["current"], star)  # moves with every change of plan

    def budget(d: dict[str, Any]) -> Any:
        return hv.VLine(d["budget"]).opts(color="#d62728", line_dash="dashed", line_width=1)

    points_keys = ("points", "stale")
    chart = Chart("frontier", [(points, points_keys), (line, points_keys), (labels, points_keys),
                               (current, ("current",)), (budget, ("budget",))])  # fmt: skip
    return chart, hv.streams.Selection1D(source=chart.maps[0])


def tornado_frame(df: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """Tidy bars of the tornado: change in P(bankrupt) [0-1] per driver at low/high value."""
    d = df.sort_values("swing", ascending=True).tail(top)
    base = float(d["base"].iloc[0]) if len(d) else 0.0
    names = [friendly_name(p) for p in d["parameter"]]
    out = _plain(pd.concat([pd.DataFrame({
        "assumption": names,
        "value": [usd(v) if abs(v) >= 1e6 else f"{v:.3g}" for v in d[f"{side}_value"]],
        "side": f"assumption at its {side} value", "change": (d[f"metric_{side}"] - base).to_numpy(),
        "p_bankrupt": d[f"metric_{side}"].to_numpy(),
    }) for side in ("low", "high")], ignore_index=True))  # fmt: skip
    out.attrs.update(base=base, paths=int(df.attrs.get("paths", 0)),
                     top5=[friendly_name(p) for p in d["parameter"].iloc[::-1].head(5)])  # fmt: skip
    return out


def tornado_chart() -> Chart:
    """What drives P(bankrupt): each assumption at its low and high value."""
    pp_axis = CustomJSTickFormatter(code=PP_JS)

    def bars(d: dict[str, Any]) -> Any:
        df = d["bars"]
        return df.hvplot.barh(**FIT,
            x="assumption", y="change", by="side", hover_cols=["value", "p_bankrupt"],
            color=["#1f77b4", "#ff7f0e"], legend="bottom_right", xlabel="",
            ylabel="Change in P(bankrupt) vs the current settings [percentage points]",
            title=f"What drives P(bankrupt) (base {df.attrs['base']:.1%}, "
            f"{df.attrs['paths']:,} paths per run)",
        ).opts(xformatter=pp_axis, alpha=STALE_ALPHA if d["stale"] else 1.0, **FRAMED,
               show_grid=False, multi_level=False,
               legend_opts={"label_text_font_size": "8pt"})  # fmt: skip

    return Chart("tornado", [(bars, ("bars", "stale"))], height=440)


# fan chart -> (report chart key for title and floor, [(frame, label, colour)])
SERIES = {
    "demand": ("demand_usd", [("demand_usd", "Potential demand", COLORS["demand"]),
                              ("servable_usd", "What capacity can serve", COLORS["capacity"])]),
    "capacity": ("demand_gw", [("demand_gw", "Potential demand", COLORS["demand"]),
                               ("capacity_gw", "Capacity online", COLORS["capacity"])]),
    "money": ("revenue", [("revenue", "Revenue", COLORS["revenue"]),
                          ("compute_cost", "Compute cost", COLORS["cost"])]),
    "cash": ("cash", [("cash", "Cash", COLORS["cash"])]),
}  # fmt: skip
QS = list(FAN_QUANTILES)
BANDS = (("p5", "p95", 0.15), ("p25", "p75", 0.35))  # (low, high, opacity), outer first
BAND_KEY = "line: median · dark band: P25-P75 · light band: P5-P95"  # the legend's title
FONTS = {"title": "10pt", "legend": "8pt", "legend_title": "8pt"}
# set once on the overlay: a layer styling it otherwise would re-layout it on every redraw
FAN_LEGEND = {"legend_position": "top_left", "fontsize": FONTS,
              "legend_opts": {"background_fill_alpha": 0.6, "title": BAND_KEY}}  # fmt: skip
YLABELS = {"demand": "Run-rate [USD/yr, log scale]", "capacity": "Capacity [GW, log scale]",
           "money": "Run-rate [USD/yr, log scale]", "cash": "Cash [USD]"}  # fmt: skip


def fan_frame(frames: dict[str, pd.DataFrame], chart: str) -> pd.DataFrame:
    """Long frame (month, p5...p95, series) of a fan chart; on log axes 0 and NaN at the floor."""
    key, series = SERIES[chart]
    fans = [frames[name] for name, *_ in series]
    q = np.concatenate([f[QS].to_numpy() for f in fans])
    if key in LOG_FLOOR:
        q = np.fmax(q, LOG_FLOOR[key])  # fmax: NaN -> the floor too
    labels = np.repeat(np.array([label for _, label, _ in series], dtype=object), len(fans[0]))
    months = np.concatenate([f.index for f in fans])
    return pd.DataFrame({"month": months, **dict(zip(QS, q.T, strict=True)), "series": labels})


def fan_chart(chart: str) -> Chart:
    """Bands and median of each series, horizon dotted, actuals and their prior if any."""
    key, series = SERIES[chart]
    log = key in LOG_FLOOR
    style = {**FIT, "x": "month", "by": "series", "logy": log, "color": [c for *_, c in series],
             "legend": "top_left", "fontsize": FONTS}  # fmt: skip
    axes = {"xlabel": "Month", "ylabel": YLABELS[chart], "title": TITLES[key],
            "ylim": (LOG_FLOOR[key], None) if log else None}  # fmt: skip
    opts = {"framewise": True, "toolbar": "above"}
    if chart != "capacity":
        opts["yformatter"] = CustomJSTickFormatter(code=USD_JS)

    def fans(d: dict[str, Any]) -> pd.DataFrame:
        return d["fans"][chart]

    def band(lo: str, hi: str, alpha: float) -> Any:  # BAND_KEY: the legend's title
        return declared(fans, lambda df: df.hvplot.area(
            **style, **axes, y=lo, y2=hi, stacked=False, alpha=alpha, line_alpha=0,
        ).redim.label(series=BAND_KEY).opts(**opts))  # fmt: skip

    def median(df: pd.DataFrame) -> Any:
        line = df.hvplot.line(**style, y="p50", hover_cols=QS[:2] + QS[3:], line_width=2)
        return line.redim.label(series=BAND_KEY)

    layers = [(band(*b), ("fans",)) for b in BANDS]
    layers += [(declared(fans, median), ("fans",)), (_horizon, ("horizon_end",))]
    return Chart(chart, [*layers, *actuals_layers(chart, log)], **FAN_LEGEND)


def _horizon(d: dict[str, Any]) -> Any:
    return hv.VLine(d["horizon_end"]).opts(color="black", line_dash="dotted", line_width=1)


def risk_chart() -> Chart:
    """Cumulative P(bankrupt) by month, horizon then run-off."""
    axis = CustomJSTickFormatter(code=PCT_JS)

    def declare(df: pd.DataFrame) -> Any:
        title = f"{TITLES['p_bankrupt']} · {df.attrs['paths']:,} paths; dotted: end of the horizon"
        step = df.hvplot.step(**FIT, x="month", y="p_bankrupt", where="post", color=COLORS["risk"],
                              xlabel="Month", ylabel="P(bankrupt) [cumulative]", title=title)  # fmt: skip
        return step.opts(yformatter=axis, line_width=2, **FRAMED)

    curve = declared(lambda d: d["risk"], declare, static=lambda d: d["paths"])
    return Chart("risk", [(curve, ("risk",)), (_horizon, ("horizon_end",))])


def series_data(results: Any) -> dict[str, Any]:
    """Everything the time-series charts draw (the report's frames), off the event loop."""
    frames = chart_frames(results)
    risk = frames["p_bankrupt"].reset_index()
    risk.attrs["paths"] = int(results.paths)
    return {**actuals_data(results), "fans": {name: fan_frame(frames, name) for name in SERIES},
            "risk": risk, "paths": int(results.paths),
            "horizon_end": frames["horizon_end"]["month"].iloc[0]}  # fmt: skip


def time_series_charts() -> dict[str, Chart]:
    """The charts of the "Time series" tab."""
    return {**{name: fan_chart(name) for name in SERIES}, "risk": risk_chart()}
