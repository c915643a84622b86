"""Markdown report with PNG figures (matplotlib ``Figure`` objects: no pyplot, no display)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.dates import DateFormatter, YearLocator
from matplotlib.figure import Figure
from matplotlib.lines import TICKLEFT, TICKRIGHT, Line2D
from matplotlib.ticker import FuncFormatter, NullLocator, PercentFormatter

from sim.model.results import Results
from sim.outputs import usd

from .build_slips import (
    slip_effect_display,
    slip_effect_frame,
    slip_effect_note,
    slip_effect_paths,
    slip_frames,
    slip_quantiles_display,
)
from .chart_spec import (
    COMPETITION_TITLES,
    LOG_FLOOR,
    LOG_Y,
    SLIP_TITLES,
    TITLES,
    floor_for_log,
    horizon_mark,
)
from .decision import to_markdown as decision_to_markdown
from .frames import backtest_display, backtest_note, chart_frames
from .pending import resolve
from .summary_tables import (
    COMMITMENTS_NOTE,
    COMPETITION_NOTE,
    RUNOFF_NOTE,
    assumptions_table,
    by_year_display,
    commitments_display,
    finance_lines,
    key_numbers,
    runoff_display,
)

USD_AXIS = FuncFormatter(lambda x, _pos: usd(x))
PLAIN_AXIS = FuncFormatter(lambda x, _pos: f"{x:g}")
"""Log-axis labels as plain numbers (0.1, 10): matplotlib's default 10^n labels are typeset
as math text, which took about half of each log chart's drawing time."""
PCT_AXIS = PercentFormatter(xmax=1.0, decimals=0)
FANS: dict[str, list[tuple[str, str, str]]] = {
    "demand_gw": [("demand_gw", "demand (GW-equivalent at plan split)", "tab:red"),
                  ("capacity_gw", "capacity online", "tab:blue")],
    "demand_usd": [("demand_usd", "potential demand", "tab:red"),
                   ("servable_usd", "servable at plan split", "tab:blue")],
    "revenue": [("revenue", "revenue", "tab:green")],
    "compute_cost": [("compute_cost", "compute cost", "tab:purple")],
    "cash": [("cash", "cash", "tab:brown")],
    "training_share": [("training_share", "training share", "tab:orange")],
    "training_compute": [("training_compute", "training compute", "tab:orange")],
    "relative_capability": [("relative_capability", "relative capability", "tab:orange")],
    "demand_share": [("demand_share", "demand share", "tab:orange")],
}  # fmt: skip
"""Fan chart key -> (frame, label, colour) of each band drawn on it."""


class LogMinorTicks(Line2D):
    """The minor tick marks of a log y-axis drawn as one artist: the marks, places and style
    of matplotlib's own minor ticks (same pixels), without building a ``Tick`` (tick marks,
    grid line, two labels) for each of the ~50 per chart, which took about a quarter of the
    PNGs' drawing time. Takes over the axis' minor locator; drawn right after the axes'
    ticks, where matplotlib draws its minor ticks (unlabelled here, no minor grid)."""

    def __init__(self, ax: Any) -> None:
        axis = ax.yaxis
        self._axis, self._locator = axis, axis.get_minor_locator()
        rc = matplotlib.rcParams
        color = rc["ytick.color"]
        marker = {"out": TICKLEFT, "in": TICKRIGHT, "inout": "_"}[rc["ytick.direction"]]
        super().__init__(
            [], [], color=color, linestyle="none", marker=marker, markeredgecolor=color,
            markersize=rc["ytick.minor.size"], markeredgewidth=rc["ytick.minor.width"],
            transform=ax.get_yaxis_transform("tick1"), zorder=axis.get_zorder() + 1e-6,
        )  # fmt: skip
        axis.set_minor_locator(NullLocator())
        ax.add_artist(self)
        self.set_clip_on(False)  # a tick mark lies outside the axes

    def draw(self, renderer: Any) -> None:
        axis = self._axis
        locs = np.asarray(self._locator(), dtype=float)
        transform = axis.get_transform()
        view = np.sort(transform.transform(np.asarray(axis.get_view_interval(), dtype=float)))
        t_locs = transform.transform(locs)
        t_major = transform.transform(np.asarray(axis.get_majorticklocs(), dtype=float))
        # as matplotlib: none where a major tick is, none outside the view (with its margin)
        major = np.isclose(t_locs[:, None], t_major[None, :], atol=(view[1] - view[0]) * 1e-5,
                           rtol=0).any(axis=1)  # fmt: skip
        margin = (view[1] - view[0]) * 1e-10
        inside = (t_locs >= view[0] - margin) & (t_locs <= view[1] + margin)
        shown = locs[~major & inside]
        self.set_data(np.zeros(len(shown)), shown)
        super().draw(renderer)


def md_table(df: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (cells already formatted)."""
    cells = [[str(c).replace("|", "\\|") for c in row] for row in df.itertuples(index=False)]
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


class Canvas:
    """One figure and axes that draw every chart of a report in turn (``axes`` is emptied
    before each): building matplotlib's axes and their ticks once instead of once per
    chart saves about a fifth of the PNGs' drawing time. Each chart sets everything it
    shows (scale, limits, formatters, title, legend), so a PNG is the same bytes as from a
    fresh figure (the shipped scenarios' PNGs are compared)."""

    def __init__(self) -> None:
        self.figure = Figure(figsize=(9, 3.6), dpi=90)
        self.figure.subplots_adjust(
            left=0.09, right=0.98, top=0.9, bottom=0.12
        )  # no tight_layout: slow
        self.axes = self.figure.subplots()
        self._used = False

    def clean(self) -> Any:
        """The axes, emptied of the last chart: no artists, containers or legend, limits
        from the data drawn next."""
        ax = self.axes
        if self._used:
            for container in [*ax.containers]:  # the bars (legend entries too)
                container.remove()
            for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts, *ax.artists]:
                artist.remove()
            if ax.get_legend() is not None:
                ax.get_legend().remove()
            ax.relim()
            ax.set_autoscale_on(True)  # a chart may have fixed a limit (P(bankrupt): 0)
        self._used = True
        return ax


def _figure(
    key: str, frames: dict[str, pd.DataFrame], path: Path, canvas: Canvas | None = None
) -> None:
    """One PNG with the HTML chart's axes: log scale (zeros floored) where it has one,
    money as $B/$T, shares as %; drawn on ``canvas`` (default: a new one)."""
    canvas = Canvas() if canvas is None else canvas
    fig, ax = canvas.figure, canvas.clean()
    log = key in LOG_Y
    ax.set_yscale("log" if log else "linear")  # also resets the formatters and locators
    if log:  # before the formatters: setting the scale resets them
        ax.yaxis.set_major_formatter(PLAIN_AXIS)
        LogMinorTicks(ax)  # unlabelled minor ticks, one artist
    if key in FANS:
        for name, label, color in FANS[key]:
            df = frames[name]
            if log:
                df = floor_for_log(df, LOG_FLOOR[key])
            ax.fill_between(df.index, df["p5"], df["p95"], color=color, alpha=0.25,
                            lw=0, label=f"{label} P5-P95")  # fmt: skip
            ax.plot(df.index, df["p50"], color=color, lw=2, label=f"{label} P50")
        if key in {"demand_usd", "revenue", "compute_cost", "cash"}:
            ax.yaxis.set_major_formatter(USD_AXIS)
        if key == "training_share":
            ax.axhline(0.5, color="grey", ls="--", lw=1)
        if key in {"training_share", "demand_share"}:
            ax.yaxis.set_major_formatter(PCT_AXIS)
    elif key == "p_bankrupt":
        df = frames["p_bankrupt"]
        ax.step(df.index, df["p_bankrupt"], where="post", color="tab:red", lw=2,
                label="P(bankrupt by month)")  # fmt: skip
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(PCT_AXIS)
    elif key == "bankrupt_month":
        df = frames["bankrupt_month"]
        # A month without bankruptcies is a bar of height 0, which draws no pixel: only the
        # first and last month are kept of those (they span the x-axis), saving most of the
        # bars' cost (one patch each).
        drawn = df["share"].to_numpy() != 0
        drawn[[0, -1]] = True
        df = df[drawn]
        _bars(ax, df.index, df["share"].to_numpy(), 25, "tab:red", "bankrupt in the month")
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=1))
    end = horizon_mark(frames)
    if key != "bankrupt_month" and end is not None:
        ax.axvline(end, color="black", ls=":", lw=1, label="horizon end: run-off after")
    ax.xaxis.set_major_locator(YearLocator())
    ax.xaxis.set_major_formatter(DateFormatter("%Y"))
    title = {**TITLES, **COMPETITION_TITLES}[key]
    # y given: matplotlib then skips placing the title above top tick labels and offset
    # text, which measured every tick label again (about a third of each chart's drawing);
    # these charts have neither, so the title sits at y = 1 either way (same pixels).
    ax.set_title(title + (" (log scale)" if log else ""), fontsize=10, y=1.0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=7)
    for axis in (ax.xaxis, ax.yaxis):  # no axis labels here: placing the empty ones
        axis.set_label_coords(0.5, 0.5)  # measured every tick label (same pixels without)
    fig.savefig(path, pil_kwargs={"compress_level": 1})  # fast PNG encoding, larger files


def _bars(ax: Any, x: pd.Index, heights: np.ndarray, width: float, color: str, label: str) -> None:
    """``ax.bar(x, heights, width, color=color, label=label)`` drawn as one collection of
    rectangles: the same pixels (the shipped scenarios' charts were compared) without a
    ``Rectangle`` patch per bar, each updating the data limits through its own transforms
    (~60 bars: 0.18 s -> 0.11 s for the chart). ``width`` in x units (days on a date axis)."""
    ax.xaxis.update_units(x)  # as bar(): dates make a date axis
    mid = np.asarray(ax.convert_xunits(x), dtype=float)
    left, right, top = mid - width / 2, mid + width / 2, np.asarray(heights, dtype=float)
    zero = np.zeros_like(top)
    corners = np.stack([np.stack([left, zero], 1), np.stack([left, top], 1),
                        np.stack([right, top], 1), np.stack([right, zero], 1)], 1)  # fmt: skip
    bars = PolyCollection(corners, facecolors=color, edgecolors="none", label=label)
    bars.sticky_edges.y.append(0)  # as bar(): the y-axis starts at 0, without a margin
    ax.add_collection(bars, autolim=True)
    ax.autoscale_view()


def _slip_figure(slip: dict[str, pd.DataFrame], path: Path) -> None:
    fig = Figure(figsize=(9, 3.6), dpi=100)
    ax = fig.subplots()
    pmf, cdf = slip["slip_months"], slip["slip_cdf"]
    ax.bar(pmf.index, pmf["share"], width=0.9, color="tab:orange", alpha=0.7,
           label="share of projects, whole-month slip as drawn")  # fmt: skip
    ax.step(cdf.index, cdf["cdf"], where="post", color="tab:blue", lw=2,
            label="P(simulated slip <= x)")  # fmt: skip
    ax.set_xlabel("slip [months]")
    ax.set_ylabel("share of projects / probability")
    ax.set_ylim(0, 1.02)
    ax.set_title(SLIP_TITLES["slip_months"])
    ax.grid(alpha=0.3)
    ax.legend(loc="center right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def _slip_section(results: Results, slip: dict[str, pd.DataFrame]) -> list[str]:
    """Lines of the "Build pipeline and slip" section (its figure: :func:`_slip_figure`)."""
    s = results.scenario
    spec = s.compute.build
    n = slip_effect_paths(results)
    effect = slip_effect_frame(s, n, s.simulation.seed)
    samples = int(slip["slip_months"]["projects"].sum())
    title = SLIP_TITLES["slip_months"]
    alt = title.replace("[", "(").replace("]", ")")
    return [
        "## Build pipeline and slip",
        "",
        f"Slip per project beyond the {spec.planned_months:g} months the lead time assumes, "
        f"pooled over {spec.replications:,} SimPy replications of a representative order "
        f"stream ({samples:,} projects). Each new contract draws a whole-month slip from this "
        "distribution and comes online, and starts being paid, that many months late.",
        "",
        md_table(slip_quantiles_display(slip["slip_quantiles"])),
        "",
        f"### {title}",
        "",
        f"![{alt}](figures/slip_months.png)",
        "",
        "### Effect on risk: pipeline off vs on",
        "",
        md_table(slip_effect_display(effect)),
        "",
        slip_effect_note(effect, n),
        "",
    ]


def _decision(results: Results, frames: Any) -> Any:
    if "decision" in frames:  # it may still be searched elsewhere: wait for it here
        return resolve(frames["decision"])
    from .decision import report_decision

    return report_decision(results)


def _summary_lines(results: Results, summary: dict[str, Any], frames: Any) -> list[str]:
    if "executive_summary" in frames:
        return list(frames["executive_summary"]["line"])
    from .decision import executive_summary

    return executive_summary(results, summary)


def write_markdown(
    results: Results,
    summary: dict[str, Any],
    out_dir: Path,
    frames: dict[str, pd.DataFrame] | None = None,
) -> list[Path]:
    """Write ``report.md`` and ``figures/<chart>.png``; returns the files written."""
    frames = chart_frames(results) if frames is None else frames
    fig_dir = out_dir / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    written = []
    competing = "demand_share" in frames
    canvas = Canvas()
    for key in [*TITLES, *(COMPETITION_TITLES if competing else ())]:
        path = fig_dir / f"{key}.png"
        _figure(key, frames, path, canvas)  # every figure before the text: the decision comes last
        written.append(path)
    s = results.scenario
    slip = slip_frames(s)
    if slip is not None:
        _slip_figure(slip, fig_dir / "slip_months.png")
    keys = pd.DataFrame(key_numbers(summary), columns=["Key number", "Value"])
    m = results.monthly["revenue"].shape[0]
    lines = [
        f"# compute-sim report: {s.name}",
        "",
        *decision_to_markdown(_decision(results, frames)),
        s.description,
        "",
        "## Executive summary",
        "",
        *(f"- {line}" for line in _summary_lines(results, summary, frames)),
        "",
        "## Key numbers",
        "",
        md_table(keys),
        "",
        "P(bankrupt by end) is the share of paths that cannot meet committed payments, within "
        "the horizon or in the run-off after it; P(bankrupt) within the horizon counts only "
        "bankruptcies before the horizon ends. The 95% intervals cover Monte Carlo error only.",
        "",
        "## By year",
        "",
        md_table(by_year_display(summary)),
        "",
    ]
    runoff = runoff_display(summary)
    if not runoff.empty:
        lines += ["## After the horizon: run-off", "", RUNOFF_NOTE, "", md_table(runoff), ""]
    commitments = commitments_display(summary)
    finance = finance_lines(summary, s)
    if not commitments.empty or finance:
        lines += ["## Commitments: what the policy signs", "", COMMITMENTS_NOTE, ""]
        if not commitments.empty:
            lines += [md_table(commitments), ""]
        lines += [*(line + "\n" for line in finance)]
    backtest = backtest_display(results)
    if backtest is not None:
        lines += ["## Backtest: model vs public figures", "", backtest_note(results), "",
                  md_table(backtest), ""]  # fmt: skip
    lines += [
        "## Charts",
        "",
        f"Fan charts: band P5-P95, line the median, across the first {m:,} paths.",
        "",
    ]
    for key, title in TITLES.items():
        alt = title.replace("[", "(").replace("]", ")")
        lines += [f"### {title}", "", f"![{alt}](figures/{key}.png)", ""]
    if competing:
        lines += ["## Competition: training compute and demand share", "", COMPETITION_NOTE, ""]
        for key, title in COMPETITION_TITLES.items():
            alt = title.replace("[", "(").replace("]", ")")
            lines += [f"### {title}", "", f"![{alt}](figures/{key}.png)", ""]
    if slip is not None:
        lines += _slip_section(results, slip)
        written += [fig_dir / f"{key}.png" for key in SLIP_TITLES]
    lines += ["## Assumptions", "", md_table(assumptions_table(s)), ""]
    md = out_dir / "report.md"
    md.write_text("\n".join(lines), encoding="utf-8")
    return [md, *written]


__all__ = ["md_table", "write_markdown"]
