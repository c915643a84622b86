"""Outputs of ``python -m sim discover``: the coverage/density trade-off chart, the box chart,
a self-contained HTML page and a Markdown page with PNG figures.

Charts re-express a :class:`sim.analysis.discover.Discovery`; they add no analysis.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from bokeh.models import ColumnDataSource, HoverTool, Label, Span
from bokeh.plotting import figure

from sim.analysis.discover import all_of
from sim.outputs import usd

if TYPE_CHECKING:
    from sim.analysis.discover import Discovery, Signpost

TITLES = {
    "tradeoff": "Coverage vs density along PRIM's peeling trajectory",
    "box": "First box: the part of each input's range where the target worlds concentrate",
}
"""Chart key -> title (tests and readers look for them)."""

CSS = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 960px; color: #222; }
h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.88em; margin: 0.6em 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f4f4f4; } td.l, th.l { text-align: left; }
.note { color: #555; font-size: 0.9em; } pre { background: #f6f6f6; padding: 0.6em; }
.sentence { font-size: 1.1em; }
"""


def tradeoff_frame(d: Discovery) -> pd.DataFrame:
    """The first PRIM box's peeling trajectory with a readable label per step."""
    t = d.trajectory.copy()
    if t.empty:
        return t
    t["step"] = np.arange(len(t))
    return t


def tradeoff_chart(d: Discovery, width: int = 640, height: int = 420) -> figure:
    """Coverage (x) against density (y) of every box on the first peeling trajectory; the
    reported box is a star, the density threshold a dashed line."""
    fig = figure(title=TITLES["tradeoff"], width=width, height=height, x_range=(-0.02, 1.02),
                 y_range=(-0.02, 1.02), tools="pan,wheel_zoom,box_zoom,reset,save",
                 toolbar_location="above")  # fmt: skip
    fig.xaxis.axis_label = f"coverage: share of {all_of(d.target_words)} inside the box"
    fig.yaxis.axis_label = f"density: share of the box's worlds with {d.target_words}"
    t = tradeoff_frame(d)
    if not t.empty:
        palette = ["#9ecae1", "#4292c6", "#2171b5", "#08519c", "#08306b", "#000000"]
        colors = [palette[min(int(r), len(palette) - 1)] for r in t["res_dim"]]
        src = ColumnDataSource({**{k: t[k].to_numpy() for k in t.columns}, "color": colors})
        pts = fig.scatter("coverage", "density", source=src, size=8, color="color",
                          legend_label="box on the trajectory (darker: more inputs restricted)")  # fmt: skip
        fig.add_tools(HoverTool(renderers=[pts], tooltips=[
            ("step", "@step"), ("coverage", "@coverage{0%}"), ("density", "@density{0%}"),
            ("mass", "@mass{0%}"), ("inputs restricted", "@res_dim"),
        ]))  # fmt: skip
    if d.boxes:
        b = d.boxes[0]
        fig.scatter([b.coverage], [b.density], marker="star", size=22, color="#d62728",
                    legend_label="reported first box")  # fmt: skip
    fig.add_layout(Span(location=d.min_density, dimension="width", line_color="grey",
                        line_dash="dashed", line_width=1))  # fmt: skip
    fig.add_layout(Label(x=0.0, y=d.min_density, text=f"density {d.min_density:.0%}",
                         text_font_size="9pt", text_color="grey"))  # fmt: skip
    fig.legend.location = "bottom_left"
    return fig


def box_frame(d: Discovery, index: int = 0) -> pd.DataFrame:
    """One row per input restricted by box ``index``: its range drawn and the box's part of
    it, both scaled to 0..1 of the drawn range, and labels in the input's unit."""
    from sim.analysis.discover import fmt_value, label

    if len(d.boxes) <= index:
        return pd.DataFrame(columns=["input", "lo", "hi", "text"])
    box = d.boxes[index]
    rows = []
    for name, (lo, hi) in box.limits.items():
        r_lo, r_hi = d.ranges.get(name, (lo, hi))
        span = r_hi - r_lo if r_hi > r_lo else 1.0
        rows.append({
            "input": label(name), "lo": (lo - r_lo) / span, "hi": (hi - r_lo) / span,
            "text": f"{fmt_value(name, lo)} - {fmt_value(name, hi)} "
                    f"(drawn: {fmt_value(name, r_lo)} - {fmt_value(name, r_hi)})",
            "qp": box.qp.get(name, float("nan")),
        })  # fmt: skip
    return pd.DataFrame(rows)


def box_chart(d: Discovery, width: int = 640) -> figure:
    """Each restricted input as a bar over its drawn range (grey), the box's part in red."""
    df = box_frame(d)
    names = list(df["input"]) or ["(no restriction)"]
    fig = figure(title=TITLES["box"], width=width, height=120 + 50 * len(names), y_range=names,
                 x_range=(0, 1), tools="save", toolbar_location="above")  # fmt: skip
    fig.xaxis.axis_label = "position within the range drawn (0 = lowest, 1 = highest value)"
    fig.hbar(y=names, left=0, right=1, height=0.6, color="#dddddd", legend_label="range drawn")
    if len(df):
        src = ColumnDataSource({k: df[k].to_numpy() for k in df.columns})
        bars = fig.hbar(y="input", left="lo", right="hi", height=0.6, source=src,
                        color="#d62728", alpha=0.8, legend_label="box")  # fmt: skip
        fig.add_tools(HoverTool(renderers=[bars], tooltips=[("box", "@text"),
                                                            ("quasi-p", "@qp{0.000}")]))  # fmt: skip
    fig.legend.location = "bottom_right"
    return fig


def _table(df: pd.DataFrame, left: tuple[str, ...] = ()) -> str:
    from .html import table_html

    return table_html(df, left)


def signpost_table(signposts: list[Signpost]) -> pd.DataFrame:
    from sim.analysis.discover import OBSERVED_GROWTH, OBSERVED_MARGIN, fmt_value

    def row(sp: Signpost) -> dict[str, str]:
        g, m = sp.min_growth, sp.min_margin
        return {
            "read by": sp.by,
            "growth so far below": "-" if g is None else fmt_value(OBSERVED_GROWTH, g),
            "margin below": "-" if m is None else fmt_value(OBSERVED_MARGIN, m),
            "density": f"{sp.density:.0%}", "coverage": f"{sp.coverage:.0%}",
            "trips in": f"{sp.trips:.1%}", "false alarms": f"{sp.false_alarm:.1%}",
            "flags of first box": f"{sp.box_recall:.0%}",
        }  # fmt: skip

    return pd.DataFrame([row(sp) for sp in signposts])


def effect_table(effect: pd.DataFrame) -> pd.DataFrame:
    """The signpost effect table with readable columns."""
    rows = []
    for name, r in effect.iterrows():
        rows.append({
            "policy": name, "P(bankrupt)": f"{r.p_bankrupt:.2%}",
            "change (95% CI)": f"{100 * r.d_p_bankrupt:+.2f} pp "
                               f"({100 * r.d_p_bankrupt_lo:+.2f} to {100 * r.d_p_bankrupt_hi:+.2f})",
            "median cum. revenue": usd(r.cum_revenue_p50),
            "change": usd(r.d_cum_revenue_p50),
            "mean equity value": usd(r.equity_value_mean),
            "change ": usd(r.d_equity_value_mean), "tripped": f"{r.tripped:.1%}",
        })  # fmt: skip
    return pd.DataFrame(rows)


def render_html(report: dict[str, Any], d: Discovery, signposts: list[Signpost],
                effect: pd.DataFrame | str | None) -> str:  # fmt: skip
    """The discovery page: sentences, charts, CART cross-check, signposts and their effect."""
    from bokeh.resources import INLINE

    from sim.analysis.discover import describe

    from .embed import standalone_components

    esc = html.escape
    script, divs = standalone_components({"tradeoff": tradeoff_chart(d), "box": box_chart(d)})
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>What ruins us: {esc(d.scenario)}</title>", INLINE.render(), script,
        f"<style>{CSS}</style></head><body>",
        f"<h1>What ruins us: {esc(d.scenario)}</h1>",
        f'<p class="note">{d.paths:,} worlds (paths), seed {d.seed}; target: {esc(d.target_words)} '
        f"in {d.p_target:.1%} of them. Inputs searched: {esc(', '.join(d.inputs)) or 'none'}; "
        f"fixed (left out): {len(d.fixed)}.</p>",
        "<h2>Boxes</h2>",
    ]  # fmt: skip
    if d.note:
        parts.append(f"<p>{esc(d.note)}</p>")
    for i, s in enumerate(d.sentences(), 1):
        parts.append(f'<p class="sentence"><b>Box {i}.</b> {esc(s)}</p>')
    if d.boxes and not d.reached:
        parts.append(f'<p class="note">No box on the trajectory reaches density '
                     f"{d.min_density:.0%}: the first box is the densest one.</p>")  # fmt: skip
    if d.cart is not None:
        parts.append(f'<p class="note">CART cross-check (best leaf by the same rule): '
                     f"{esc(describe(d.cart, d.target_words))}.</p>")  # fmt: skip
    if d.escape is not None and d.escape.boxes:
        parts.append(f"<p>{esc(d.target_words.capitalize())} is the common outcome. The "
                     f"worlds that escape it: {esc(d.escape.sentences()[0])}.</p>")  # fmt: skip
    parts += [
        f'<div class="chart" id="chart-tradeoff">{divs["tradeoff"]}</div>',
        '<p class="note">Each point is a box PRIM visits while peeling: moving right keeps more '
        "of the target worlds, moving up makes the box purer. The star is the reported box: the "
        "highest coverage among boxes at or above the dashed density line.</p>",
        f'<div class="chart" id="chart-box">{divs["box"]}</div>',
    ]
    bf = box_frame(d)
    if len(bf):
        view = bf.assign(
            **{"quasi-p": bf["qp"].map(lambda v: "<0.001" if v < 1e-3 else f"{v:.2g}")}
        )[["input", "text", "quasi-p"]].rename(columns={"text": "box (range drawn)"})
        parts.append(_table(view, left=("input", "box (range drawn)")))
    parts.append("<h2>Signposts</h2>")
    if signposts:
        parts += [
            '<p class="note">What a lab sees by each date (demand growth since the start, '
            "realized inference margin) and the thresholds PRIM finds between ruin and safety: "
            "density is the share of ruin where the signpost trips, coverage the share of all "
            "ruin it flags, false alarms the share of the other worlds where it trips.</p>",
            _table(signpost_table(signposts), left=("read by",)),
            f"<pre>{esc(report.get('signpost_yaml', ''))}</pre>",
        ]
    else:
        parts.append(f"<p>{esc(report.get('signpost_note', 'No signpost.'))}</p>")
    if isinstance(effect, pd.DataFrame):
        parts += [
            f"<h3>Effect of cutting orders when a signpost trips ({effect.attrs['paths']:,} "
            f"fresh paths, seed {effect.attrs['seed']})</h3>",
            _table(effect_table(effect), left=("policy",)),
            '<p class="note">Measured on paths the signposts were not found on (out of sample), '
            "all rows on the same worlds; the change of P(bankrupt) has a paired 95% "
            "interval.</p>",
        ]
    elif isinstance(effect, str):
        parts.append(f'<p class="note">{esc(effect)}</p>')
    parts.append("</body></html>")
    return "\n".join(parts)


def write_figures(d: Discovery, fig_dir: Path) -> list[str]:
    """PNG versions of both charts (matplotlib, no display); returns the file names."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    fig_dir.mkdir(parents=True, exist_ok=True)
    pct = PercentFormatter(xmax=1.0, decimals=0)
    fig = Figure(figsize=(7, 4.5), dpi=90)
    ax = fig.subplots()
    t = tradeoff_frame(d)
    if not t.empty:
        ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="Blues", vmin=-1,
                   vmax=max(3, int(t["res_dim"].max())), edgecolor="k", linewidth=0.3,
                   label="box on the trajectory (darker: more inputs restricted)")  # fmt: skip
    if d.boxes:
        ax.scatter([d.boxes[0].coverage], [d.boxes[0].density], marker="*", s=300,
                   color="tab:red", label="reported first box")  # fmt: skip
    ax.axhline(d.min_density, color="grey", ls="--", lw=1)
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), title=TITLES["tradeoff"],
           xlabel=f"coverage (share of {all_of(d.target_words)} in the box)",
           ylabel=f"density (share of the box with {d.target_words})")  # fmt: skip
    ax.xaxis.set_major_formatter(pct)
    ax.yaxis.set_major_formatter(pct)
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(fig_dir / "tradeoff.png")

    bf = box_frame(d)
    fig = Figure(figsize=(8, 1.2 + 0.6 * max(1, len(bf))), dpi=90)
    ax = fig.subplots()
    names = list(bf["input"]) or ["(no restriction)"]
    ax.barh(names, [1.0] * len(names), color="#dddddd", label="range drawn")
    if len(bf):
        ax.barh(bf["input"], bf["hi"] - bf["lo"], left=bf["lo"], color="tab:red", alpha=0.8,
                label="box")  # fmt: skip
        for y, text in enumerate(bf["text"]):
            ax.text(0.01, y, text.replace("$", r"\$"), va="center", fontsize=7)
    ax.set(xlim=(0, 1), title=TITLES["box"], xlabel="position within the range drawn")
    ax.title.set_fontsize(9)
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    fig.savefig(fig_dir / "box.png")
    return ["tradeoff.png", "box.png"]


def render_markdown(report: dict[str, Any], d: Discovery, signposts: list[Signpost],
                    effect: pd.DataFrame | str | None) -> str:  # fmt: skip
    """The discovery page as Markdown (figures in ``figures/``)."""
    from sim.analysis.discover import describe

    from .markdown import md_table

    lines = [f"# What ruins us: {d.scenario}", "",
             f"{d.paths:,} worlds, seed {d.seed}; target: {d.target_words} in {d.p_target:.1%} "
             "of them.", ""]  # fmt: skip
    if d.note:
        lines += [d.note, ""]
    lines += [f"- **Box {i}.** {s}" for i, s in enumerate(d.sentences(), 1)]
    if d.cart is not None:
        lines += [f"- CART cross-check: {describe(d.cart, d.target_words)}"]
    if d.escape is not None and d.escape.boxes:
        lines += [f"- The worlds that escape: {d.escape.sentences()[0]}"]
    lines += ["", "![trade-off](figures/tradeoff.png)", "", "![box](figures/box.png)", "",
              "## Signposts", ""]  # fmt: skip
    if signposts:
        lines += [md_table(signpost_table(signposts)), "", "```yaml",
                  report.get("signpost_yaml", ""), "```", ""]  # fmt: skip
    else:
        lines += [report.get("signpost_note", "No signpost."), ""]
    if isinstance(effect, pd.DataFrame):
        lines += [f"Effect on {effect.attrs['paths']:,} fresh paths (seed {effect.attrs['seed']}):",
                  "", md_table(effect_table(effect)), ""]  # fmt: skip
    elif isinstance(effect, str):
        lines += [effect, ""]
    return "\n".join(lines)
