"""Self-contained HTML report: inline Bokeh JS/CSS, no network needed to open it."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd
from bokeh.resources import Resources

from sim.model.results import Results

from .build_slips import (
    slip_effect_display,
    slip_effect_frame,
    slip_effect_note,
    slip_effect_paths,
    slip_frames,
    slip_quantiles_display,
)
from .charts import (
    COMPETITION_TITLES,
    SLIP_TITLES,
    TITLES,
    AxisModels,
    build_charts,
    build_competition_charts,
    build_slip_chart,
)
from .decision import to_html as decision_to_html
from .embed import standalone_components
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

CSS = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 960px; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.88em; margin: 0.6em 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f4f4f4; } td.l, th.l { text-align: left; }
.note { color: #555; font-size: 0.9em; } .chart { margin: 1em 0 2em 0; }
.decision { background: #f3f7fc; border-left: 5px solid #1f5fa8; padding: 2px 14px; }
.verdict { font-size: 1.1em; }
"""


def inline_resources() -> str:
    """Bokeh's JS and CSS as inline ``<script>``/``<style>`` blocks, nothing to fetch.

    ``bokeh.resources.INLINE.render()`` also lists ``js_files``, which Panel (when it is
    imported in the same process, e.g. by the dashboard or a notebook) extends with
    ``es-module-shims.min.js``: a relative URL that 404s wherever the report is opened.
    Only the inline parts are written here.
    """
    res = Resources(mode="inline")
    css = "".join(f"<style>{c}</style>" for c in res.css_raw)
    js = "".join(f'<script type="text/javascript">{c}</script>' for c in res.js_raw)
    return css + js


def table_html(df: pd.DataFrame, left: tuple[str, ...] = ()) -> str:
    """A plain HTML table; columns named in ``left`` are left-aligned."""
    head = "".join(
        f'<th class="{"l" if c in left else ""}">{html.escape(str(c))}</th>' for c in df.columns
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"l" if c in left else ""}">{html.escape(str(v))}</td>'
            for c, v in zip(df.columns, row, strict=True)
        )
        + "</tr>"
        for row in df.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(
    results: Results, summary: dict[str, Any], frames: dict[str, pd.DataFrame] | None = None
) -> str:
    """The full report as one HTML string (charts, key numbers, per-year table, assumptions).

    ``frames`` (:func:`chart_frames`) can be passed in when the Markdown report shares them.
    """
    frames = chart_frames(results) if frames is None else frames
    axes = AxisModels()  # one set for the page: one document (standalone_components)
    figures = build_charts(frames, axes)
    slip = slip_frames(results.scenario)
    if slip is not None:
        figures["slip_months"] = build_slip_chart(slip, axes)
    competing = "demand_share" in (frames or {}) or results.scenario.competition is not None
    if competing:
        figures.update(build_competition_charts(frames or chart_frames(results), axes))
    script, divs = standalone_components(figures)
    s = results.scenario
    esc = html.escape
    keys = pd.DataFrame(key_numbers(summary), columns=["Key number", "Value"])
    m = results.monthly["revenue"].shape[0]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>compute-sim report: {esc(s.name)}</title>",
        inline_resources(),
        script,
        f"<style>{CSS}</style></head><body>",
        f"<h1>compute-sim report: {esc(s.name)}</h1>",
        f'<div id="decision" class="decision">{decision_to_html(decision_of(results, frames))}</div>',
        f'<p class="note">{esc(s.description)}</p>' if s.description else "",
        '<h2 id="executive-summary">Executive summary</h2>',
        "<ul>"
        + "".join(f"<li>{esc(line)}</li>" for line in summary_lines(results, summary, frames))
        + "</ul>",
        "<h2>Key numbers</h2>",
        table_html(keys, left=("Key number",)),
        '<p class="note">P(bankrupt by end) is the share of Monte Carlo paths that cannot meet '
        "their committed payments, within the horizon or in the run-off after it, until the last "
        "contract signed in the horizon expires; P(bankrupt) within the horizon counts only "
        "bankruptcies before the horizon ends. Intervals are 95% Wilson intervals for Monte "
        "Carlo error only (they say nothing about whether the assumptions are right).</p>",
        "<h2>By year</h2>",
        table_html(by_year_display(summary)),
        '<p class="note">Revenue, demand, compute cost and profit are USD in the calendar year; '
        "GW and cash at year end; P5/P50/P95 are percentiles across paths.</p>",
        *runoff_section_html(summary),
        *commitments_section_html(results, summary),
        *backtest_section_html(results),
        "<h2>Charts</h2>",
        f'<p class="note">Fan charts: shaded band P5-P95, line the median (P50), across the '
        f"first {m:,} paths. Demand in GW-equivalent is potential demand divided by the revenue "
        "one GW serves when the plan's share of compute goes to inference. On log axes a "
        "bankrupt path (which serves and pays nothing) is drawn at the axis floor "
        "($100M/yr, 0.01 GW), so bands never break.</p>",
    ]
    parts += [f'<div class="chart" id="chart-{key}">{divs[key]}</div>' for key in TITLES]
    if competing:
        parts += [
            '<h2 id="competition">Competition: training compute and demand share</h2>',
            f'<p class="note">{html.escape(COMPETITION_NOTE)}</p>',
            *(f'<div class="chart" id="chart-{key}">{divs[key]}</div>'
              for key in COMPETITION_TITLES),
        ]  # fmt: skip
    if slip is not None:
        parts += slip_section_html(results, slip, divs)
    parts += [
        "<h2>Assumptions</h2>",
        '<p class="note">Every scenario field; distributions are drawn once per path '
        "(growth once per path and year).</p>",
        table_html(assumptions_table(s), left=("parameter", "value", "meaning")),
        f'<p class="note">Simulated in {summary["elapsed_s"]:.2f} s.</p>',
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


def decision_of(results: Results, frames: dict[str, Any] | None) -> Any:
    """The decision both reports open with (computed once per report job, see
    :class:`sim.reports.ReportJob`)."""
    if frames is not None and "decision" in frames:  # may still be searched: wait for it
        return resolve(frames["decision"])
    from .decision import report_decision

    return report_decision(results)


def summary_lines(
    results: Results, summary: dict[str, Any], frames: dict[str, pd.DataFrame] | None
) -> list[str]:
    """The executive summary's sentences (computed once per report job, see
    :class:`sim.reports.ReportJob`)."""
    if frames is not None and "executive_summary" in frames:
        return list(frames["executive_summary"]["line"])
    from .decision import executive_summary

    return executive_summary(results, summary)


def commitments_section_html(results: Results, summary: dict[str, Any]) -> list[str]:
    """The "Commitments" section: decision units, then deals and finance when on."""
    table = commitments_display(summary)
    finance = finance_lines(summary, results.scenario)
    if table.empty and not finance:
        return []
    return [
        '<h2 id="commitments">Commitments: what the policy signs</h2>',
        f'<p class="note">{html.escape(COMMITMENTS_NOTE)}</p>',
        table_html(table, left=("Year",)) if not table.empty else "",
        *(f"<p>{html.escape(line)}</p>" for line in finance),
    ]


def runoff_section_html(summary: dict[str, Any]) -> list[str]:
    """The "After the horizon: run-off" section (empty without run-off)."""
    table = runoff_display(summary)
    if table.empty:
        return []
    return [
        '<h2 id="runoff">After the horizon: run-off</h2>',
        f'<p class="note">{html.escape(RUNOFF_NOTE)}</p>',
        table_html(table),
    ]


def backtest_section_html(results: Results) -> list[str]:
    """The "Backtest" section: the model against observed public figures, if given."""
    table = backtest_display(results)
    if table is None:
        return []
    return [
        '<h2 id="backtest">Backtest: model vs public figures</h2>',
        f'<p class="note">{html.escape(backtest_note(results))}</p>',
        table_html(table, left=("Series", "Month")),
    ]


def slip_section_html(
    results: Results, slip: dict[str, pd.DataFrame], divs: dict[str, str]
) -> list[str]:
    """The "Build pipeline and slip" section (scenarios with ``compute.build``)."""
    s = results.scenario
    spec = s.compute.build
    n = slip_effect_paths(results)
    effect = slip_effect_frame(s, n, s.simulation.seed)
    samples = int(slip["slip_months"]["projects"].sum())
    return [
        '<h2 id="build-slip">Build pipeline and slip</h2>',
        f'<p class="note">Slip per project beyond the {spec.planned_months:g} months the lead '
        f"time assumes, pooled over {spec.replications:,} SimPy replications of a "
        f"representative order stream ({samples:,} projects). Each new contract draws a "
        "whole-month slip from this distribution and comes online, and starts being paid, "
        "that many months late.</p>",
        table_html(slip_quantiles_display(slip["slip_quantiles"]), left=("Statistic",)),
        *(f'<div class="chart" id="chart-{key}">{divs[key]}</div>' for key in SLIP_TITLES),
        "<h3>Effect on risk: pipeline off vs on</h3>",
        table_html(slip_effect_display(effect), left=("Build pipeline",)),
        f'<p class="note">{html.escape(slip_effect_note(effect, n))}</p>',
    ]


def write_html(
    results: Results,
    summary: dict[str, Any],
    path: Path,
    frames: dict[str, pd.DataFrame] | None = None,
) -> None:
    """Write :func:`render_html` to ``path``."""
    path.write_text(render_html(results, summary, frames), encoding="utf-8")
