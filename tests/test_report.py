"""HTML/Markdown reports: charts and numbers present, offline, consistent, atomic."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest

from sim import load_scenario, run, summarize
from sim.cli import main
from sim.model.sampling import numeric_fields
from sim.reports import write_reports
from sim.reports.charts import COMPETITION_TITLES, TITLES
from sim.reports.frames import (
    assumptions_table,
    chart_frames,
    format_p_bankrupt,
    revenue_per_gw,
)
from sim.reports.html import render_html

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def base_run():
    res = run(load_scenario(ROOT / "scenarios" / "base.yaml"), paths=2000)
    return res, summarize(res)


@pytest.fixture(scope="module")
def base_html(base_run) -> str:
    return render_html(*base_run)


def test_html_has_every_chart_as_a_bokeh_root(base_html: str) -> None:
    # bokeh.embed.components emits one <div ... data-root-id=...> per figure.
    roots = re.findall(r"<div[^>]*data-root-id=", base_html)
    # base has competition (its market needs it): its three charts come on top
    assert len(TITLES) == 8
    assert len(roots) == len(TITLES) + len(COMPETITION_TITLES)
    for key, title in TITLES.items():
        assert f'id="chart-{key}"' in base_html
        # Titles live in the embedded Bokeh JSON document (JSON-escaped).
        assert json.dumps(title)[1:-1] in base_html, title


def test_html_is_self_contained(base_html: str) -> None:
    # No script or stylesheet is fetched from the network: Bokeh JS/CSS are inline.
    assert not re.search(r"<script[^>]*\ssrc=[\"']?(https?:)?//", base_html)
    assert not re.search(r"<link[^>]*\shref=[\"']?(https?:)?//", base_html)
    assert "Bokeh" in base_html
    assert len(base_html) > 500_000


def test_html_key_numbers_match_summary(base_run, base_html: str) -> None:
    res, summary = base_run
    text = format_p_bankrupt(summary)
    assert text == f"{summary['p_bankrupt']:.1%}"
    assert f'<td class="l">P(bankrupt by end)</td><td class="">{text}</td>' in base_html
    lo, hi = summary["p_bankrupt_ci95"]
    assert f"{lo:.1%} - {hi:.1%}" in base_html
    # One by-year row per calendar year, each starting with the year.
    for year in res.years:
        assert f'<td class="">{year}</td>' in base_html
    by_year_last = summary["by_year"][-1]
    assert f"{by_year_last['p_bankrupt']:.1%}" in base_html


def test_assumptions_table_lists_every_field(base_run) -> None:
    res, _ = base_run
    table = assumptions_table(res.scenario)
    params = set(table["parameter"])
    # Every numeric model parameter, the growth distribution and the policy appear.
    assert set(numeric_fields(res.scenario)) <= params
    assert {"demand.growth", "policy.kind", "simulation.seed", "name"} <= params
    growth = table.set_index("parameter").loc["demand.growth", "value"]
    assert growth == "mixture(0.85: loguniform(low=3, high=10); 0.15: loguniform(low=1, high=3))"
    tranche_table = assumptions_table(load_scenario(ROOT / "scenarios" / "yolo.yaml"))
    tranches = tranche_table.set_index("parameter").loc["policy.tranches", "value"]
    assert tranches.count("start=") == 4
    assert "gw=83.3" not in tranches


def test_steady_state_demand_in_gw_equals_capacity() -> None:
    """$150B of demand at $36B per inference GW and a 50% split needs exactly 8.33 GW."""
    res = run(load_scenario(ROOT / "scenarios" / "steady_state_100b.yaml"), paths=50)
    f = chart_frames(res)
    np.testing.assert_allclose(f["demand_gw"]["p50"], 100e9 / 12e9, rtol=1e-12)
    np.testing.assert_allclose(f["capacity_gw"]["p50"], 100e9 / 12e9, rtol=1e-12)
    np.testing.assert_allclose(f["servable_usd"]["p95"], 150e9, rtol=1e-12)
    np.testing.assert_allclose(f["training_share"]["p5"], 0.5, rtol=1e-12)
    assert (f["p_bankrupt"]["p_bankrupt"] == 0).all()
    assert f["bankrupt_month"]["paths"].sum() == 0


def test_revenue_per_gw_matches_engine_across_blocks() -> None:
    """Re-drawn per-path parameters line up with the engine's, also past a 4096-path block."""
    scenario = load_scenario(ROOT / "scenarios" / "margin_compression.yaml")  # random margin
    res = run(scenario, paths=5000, monthly_paths=5000)
    rpg = revenue_per_gw(res)[:, : res.horizon_months]
    inf = res.monthly["inference_gw"]
    served = res.monthly["revenue"] * 12.0
    ok = inf > 1e-9
    assert ok[4096:].any()
    # The engine computes inference = served / rpg; a misaligned path would be off by the
    # spread of margins (0.3-0.5 -> rpg differs by up to ~40%), far above float rounding.
    np.testing.assert_allclose(served[ok] / inf[ok], rpg[ok], rtol=1e-9)


def test_bankruptcy_histogram_matches_results(base_run) -> None:
    res, _ = base_run
    f = chart_frames(res)
    assert f["bankrupt_month"]["paths"].sum() == res.bankrupt.sum()
    np.testing.assert_allclose(
        np.cumsum(f["bankrupt_month"]["share"]), f["p_bankrupt"]["p_bankrupt"], atol=1e-12
    )


def test_fan_frames_carry_ordered_quartiles(base_run) -> None:
    """Every fan frame has P25 and P75 (the dashboard's inner band) between P5 and P95, the
    median between them, and they are the quantiles of the monthly paths (NaNs ignored)."""
    res, _ = base_run
    f = chart_frames(res)
    fans = [k for k, df in f.items() if "p50" in df.columns]
    assert {"revenue", "cash", "demand_gw", "capacity_gw", "demand_usd"} <= set(fans)
    for key in fans:
        df = f[key].dropna()  # a month where every path is bankrupt has no training share
        assert list(df.columns) == ["p5", "p25", "p50", "p75", "p95"], key
        q = df.to_numpy()
        assert (np.diff(q, axis=1) >= 0).all(), key  # p5 <= p25 <= p50 <= p75 <= p95
    cash = res.monthly_all("cash")
    np.testing.assert_allclose(f["cash"]["p25"], np.quantile(cash, 0.25, axis=0), rtol=1e-12)
    np.testing.assert_allclose(f["cash"]["p75"], np.quantile(cash, 0.75, axis=0), rtol=1e-12)


def test_markdown_report_with_pngs(base_run, tmp_path: Path) -> None:
    res, summary = base_run
    written = write_reports(res, summary, tmp_path, ["md"])
    md = (tmp_path / "report.md").read_text()
    assert not (tmp_path / "report.html").exists()
    images = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)", md)
    assert len(images) == len(TITLES) + len(COMPETITION_TITLES)  # base has competition
    for rel in images:
        data = (tmp_path / rel).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 5_000
    assert f"| P(bankrupt by end) | {format_p_bankrupt(summary)} |" in md
    # the market's split of unserved demand and the valuation method, next to the numbers
    assert "| ... of which rivals served |" in md
    assert "| Equity value method | multiple falling" in md
    assert len(written) == 1 + len(TITLES) + len(COMPETITION_TITLES)


def test_one_canvas_draws_the_pngs_of_fresh_figures(base_run, tmp_path: Path) -> None:
    """The Markdown charts share one figure (emptied between charts): every PNG is the same
    bytes as from a fresh figure, whichever chart came before (log after linear, a fixed
    limit, bars, competition fans)."""
    from sim.reports.frames import chart_frames
    from sim.reports.markdown import Canvas, _figure

    frames = chart_frames(base_run[0])
    keys = [*TITLES, *COMPETITION_TITLES]
    for key in keys:
        _figure(key, frames, tmp_path / f"fresh-{key}.png")
    for order, name in ((keys, "forward"), (keys[::-1], "backward")):
        canvas = Canvas()
        for key in order:
            _figure(key, frames, tmp_path / f"{name}-{key}.png", canvas)
    for key in keys:
        fresh = (tmp_path / f"fresh-{key}.png").read_bytes()
        assert (tmp_path / f"forward-{key}.png").read_bytes() == fresh, key
        assert (tmp_path / f"backward-{key}.png").read_bytes() == fresh, key


@pytest.mark.parametrize("scenario", ["base", "yolo"])
def test_bars_drawn_as_one_collection_are_matplotlibs_bars(scenario, tmp_path: Path) -> None:
    """The bankruptcy-month histogram (one collection of rectangles, ``markdown._bars``) is
    the PNG ``ax.bar`` draws, pixel for pixel, legend included; yolo has most of its
    months with bankruptcies, base few."""
    import matplotlib.axes
    from PIL import Image

    from sim.reports import markdown

    res = run(load_scenario(ROOT / "scenarios" / f"{scenario}.yaml"), paths=1500)
    frames = chart_frames(res)
    markdown._figure("bankrupt_month", frames, tmp_path / "collection.png")

    def bars(ax, x, heights, width, color, label):  # type: ignore[no-untyped-def]
        matplotlib.axes.Axes.bar(ax, x, heights, width=width, color=color, label=label)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(markdown, "_bars", bars)
        markdown._figure("bankrupt_month", frames, tmp_path / "patches.png")
    drawn = np.asarray(Image.open(tmp_path / "collection.png"))
    np.testing.assert_array_equal(drawn, np.asarray(Image.open(tmp_path / "patches.png")))
    assert (drawn[..., :3].sum(axis=2) < 600).sum() > 1000  # not blank: bars, text, legend


def test_cli_run_writes_reports(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["run", "--paths", "300", "--out", str(out), "--format", "html,md", "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "figures",
        "manifest.json",
        "report.html",
        "report.md",
    ]
    summary = summarize(run(load_scenario(), paths=300))
    assert format_p_bankrupt(summary) in (out / "report.html").read_text()


def test_cli_run_help_documents_formats_and_exit_codes(capsys) -> None:
    assert main(["run", "--help"]) == 0
    text = capsys.readouterr().out
    for word in ("html", "md", "report.html", "report.md", "exit codes", "130"):
        assert word in text


def test_cli_run_rejects_unknown_format(tmp_path: Path, capsys) -> None:
    assert main(["run", "--paths", "100", "--out", str(tmp_path / "o"), "--format", "pdf"]) == 2
    assert "allowed: json, csv, parquet, html, md" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_failure_while_rendering_leaves_nothing(tmp_path: Path, monkeypatch, error) -> None:
    """A crash or Ctrl-C in the middle of writing the reports leaves no partial output."""
    import sim.reports.markdown as markdown

    def half_written(results, summary, out_dir: Path, frames=None):
        (out_dir / "report.md").write_text("# half a rep")  # a partial file exists...
        raise error  # ...when the failure happens

    monkeypatch.setattr(markdown, "write_markdown", half_written)
    out = tmp_path / "out"
    argv = ["run", "--paths", "200", "--out", str(out), "--quiet"]
    if isinstance(error, KeyboardInterrupt):
        assert main(argv) == 130
    else:
        with pytest.raises(RuntimeError, match="disk full"):
            main(argv)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no scratch directory left behind either


def test_failure_keeps_previous_outputs_untouched(tmp_path: Path, monkeypatch) -> None:
    import sim.reports.html as html_mod

    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("previous report")
    monkeypatch.setattr(html_mod, "write_html", lambda *a: (_ for _ in ()).throw(OSError("x")))
    with pytest.raises(OSError, match="x"):
        main(["run", "--paths", "200", "--out", str(out), "--quiet"])
    assert [p.name for p in out.iterdir()] == ["report.html"]
    assert (out / "report.html").read_text() == "previous report"


def test_reports_need_monthly_records(tmp_path: Path) -> None:
    res = run(load_scenario(), paths=100, monthly_paths=0)
    with pytest.raises(ValueError, match="monthly_paths"):
        write_reports(res, summarize(res), tmp_path, ["html"])
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- issue 15: report fixes
@pytest.fixture(scope="module")
def yolo_run():
    res = run(load_scenario(ROOT / "scenarios" / "yolo.yaml"), paths=2000)
    return res, summarize(res)


@pytest.mark.parametrize("which", ["base_run", "yolo_run"])
def test_log_axes_plot_no_non_positive_values(which, request) -> None:
    """Fan charts on log axes: every plotted value is > 0 and finite, so bands have no
    gaps even where most paths are bankrupt (yolo: ~80%) and serve nothing."""
    from bokeh.models import GlyphRenderer, LogScale

    from sim.reports.charts import build_charts

    res, _ = request.getfixturevalue(which)
    if which == "yolo_run":
        assert res.bankrupt.mean() > 0.5  # the median path serves 0 by the end
    figs = build_charts(chart_frames(res))
    log_figs = [k for k, f in figs.items() if isinstance(f.y_scale, LogScale)]
    assert sorted(log_figs) == sorted(["demand_gw", "demand_usd", "revenue", "compute_cost"])
    for key in log_figs:
        for r in figs[key].select({"type": GlyphRenderer}):
            data = r.data_source.data
            for col in ("p5", "p50", "p95"):
                values = np.asarray(data[col], dtype=float)
                assert len(values) == len(data["month"]) > 0
                assert np.all(np.isfinite(values)), (key, col)
                assert np.all(values > 0), (key, col, values.min())


def test_charts_share_axis_models_and_keep_only_the_glyphs_drawn(base_run) -> None:
    """The axes of one page share their tickers, tick formats and label policy, and glyph
    renderers leave their non-selected and muted glyphs to BokehJS ("auto"): ~1/3 fewer
    models to build and serialise. Each renderer still has its legend entry, its label a
    value (the rendering was compared in Chromium: the same pixels)."""
    from bokeh.core.property.vectorization import Value
    from bokeh.models import (
        DatetimeAxis,
        GlyphRenderer,
        Legend,
        LinearAxis,
        LogAxis,
        LogScale,
    )

    from sim.reports.charts import (
        AxisModels,
        build_charts,
        build_competition_charts,
        build_slip_chart,
    )
    from sim.reports.frames import slip_frames

    res, _ = base_run
    frames = chart_frames(res)
    page = AxisModels()
    for figs in (build_charts(frames, page), build_competition_charts(frames, page)):
        axes = [a for f in figs.values() for a in f.below if isinstance(a, DatetimeAxis)]
        assert len(axes) == len(figs) - ("bankrupt_month" in figs)  # its x-axis is in years
        assert len({id(a.ticker) for a in axes}) == 1
        assert len({id(a.formatter) for a in axes}) == 1
        every = [a for f in figs.values() for a in (*f.below, *f.left)]
        assert len(every) == 2 * len(figs)
        assert len({id(a.major_label_policy) for a in every}) == 1
        for kind in (LogAxis, LinearAxis):
            assert len({id(a.ticker) for a in every if type(a) is kind}) <= 1
        for f in figs.values():  # a log axis on a log scale, a linear one on a linear scale
            assert isinstance(f.y_scale, LogScale) == isinstance(f.left[0], LogAxis)
        for key, fig in figs.items():
            assert len(fig.select({"type": DatetimeAxis})) == (key != "bankrupt_month")
            renderers = [r for r in fig.renderers if isinstance(r, GlyphRenderer)]
            assert renderers
            assert len(fig.select({"type": GlyphRenderer})) == len(renderers)
            for r in renderers:
                assert r.nonselection_glyph == "auto"
                assert r.muted_glyph == "auto"
            (legend,) = fig.select({"type": Legend})
            assert [r for item in legend.items for r in item.renderers] == renderers
            assert all(isinstance(item.label, Value) for item in legend.items)
    slip = slip_frames(load_scenario(ROOT / "scenarios" / "build_slip.yaml"))
    fig = build_slip_chart(slip, page)
    assert not fig.select({"type": DatetimeAxis})
    assert [item.label.value for item in fig.legend[0].items] == [
        "share of projects, whole-month slip as drawn",
        "P(simulated slip <= x)",
    ]
    assert (
        fig.left[0].major_label_policy
        is page.labels
        is figs["demand_share"].left[0].major_label_policy
    )


def test_charts_mark_the_horizon_only_when_run_off_follows(base_run) -> None:
    """A dotted vertical line at the horizon's end on every monthly chart when the run-off
    months follow it (base: contracts signed inside the horizon run past it); none when the
    simulated months end at the horizon, nor on the bankruptcy-month histogram (years)."""
    import pandas as pd
    from bokeh.models import Span

    from sim.reports.charts import build_charts, build_competition_charts

    def marks(fig) -> list:
        return [s.location for s in fig.select({"type": Span}) if s.dimension == "height"]

    frames = chart_frames(base_run[0])
    horizon = frames["horizon_end"]["month"].iloc[0]
    last = frames["revenue"].index[-1]
    assert horizon < last  # base runs off its contracts after the horizon
    figs = {**build_charts(frames), **build_competition_charts(frames)}
    monthly = sorted(k for k in figs if k != "bankrupt_month")
    assert len(monthly) == len(TITLES) - 1 + len(COMPETITION_TITLES)
    assert {k: marks(figs[k]) for k in monthly} == {k: [horizon] for k in monthly}
    assert marks(figs["bankrupt_month"]) == []
    no_runoff = {**frames, "horizon_end": pd.DataFrame({"month": [last + pd.offsets.MonthBegin()]})}
    figs = {**build_charts(no_runoff), **build_competition_charts(no_runoff)}
    assert {k: marks(f) for k, f in figs.items()} == {k: [] for k in figs}


def test_charts_without_shared_axis_models_stand_alone(base_run) -> None:
    """By default every chart has axis models of its own, so each can be shown in a
    document of its own (a notebook's ``show``, ``file_html``) as before; charts built with
    one :class:`AxisModels` refuse a second document, as Bokeh refuses any shared model."""
    from bokeh.embed import file_html
    from bokeh.resources import CDN

    from sim.reports.charts import AxisModels, build_charts

    frames = chart_frames(base_run[0])
    figs = build_charts(frames)
    pages = [file_html(fig, CDN) for fig in figs.values()]
    assert len(pages) == len(TITLES)
    for key, page in zip(figs, pages, strict=True):
        assert TITLES[key] in page, key
    assert len({id(f.left[0].ticker) for f in figs.values()}) == len(figs)
    shared = build_charts(frames, AxisModels())
    file_html(shared["revenue"], CDN)
    with pytest.raises(RuntimeError, match="single document"):
        file_html(shared["cash"], CDN)


def test_html_report_builds_its_charts_without_bokeh_plotting() -> None:
    """The report's charts are ``Plot`` models built from ``bokeh.models`` (what
    ``figure()`` builds, the same pixels): ``bokeh.plotting`` is never imported, which took
    another 0.1-0.25 s of each HTML report (fresh process)."""
    import os
    import subprocess
    import sys

    code = (
        "import sys; from sim import load_scenario, run, summarize; "
        "from sim.reports.html import render_html; "
        f"r = run(load_scenario({str(ROOT / 'scenarios' / 'lone_lab.yaml')!r}), paths=300); "
        "page = render_html(r, summarize(r)); "
        "print('bokeh.models' in sys.modules, 'bokeh.plotting' in sys.modules, "
        'page.count(\'"name":"Plot"\'))'
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True, cwd=ROOT)  # fmt: skip
    assert out.stdout.split() == ["True", "False", str(len(TITLES))]


def test_report_opens_with_the_verdict(base_run, base_html: str) -> None:
    """The verdict sentence (bold) and the order table come right after the title, before
    any section; the figures are the recommendation's on the stated worlds."""
    from sim.analysis.recommend import recommend
    from sim.reports.decision import pct, policy_words, verdict_sentence

    res, summary = base_run
    body = base_html[base_html.index("<h1>") :]
    first_section = body.index("<h2")
    verdict = body.index('<p class="verdict"><b>')
    assert verdict < body.index('<table class="order">') < first_section
    assert body.index("</h1>") < verdict
    rec = recommend(res.scenario, budget=0.05, paths=2000)
    sentence = verdict_sentence(rec)
    assert f"<b>{html.escape(sentence)}</b>" in body[:first_section]
    row = rec.plan
    assert f"P(bankrupt) {pct(row['p_bankrupt'])} (one-sided 95% bound " in sentence
    if rec.feasible:
        assert sentence.startswith("Sign ")
        assert f"with {policy_words(row)};" in sentence
        assert "(2,000 paths)" in sentence
        assert row["p_bankrupt_upper"] <= 0.05
    else:  # base with pricing power at 2,000 paths: its least risky plan, and that plan's order
        assert sentence.startswith("No plan of the frontier family keeps P(bankrupt) within")
        assert f"the least risky, {policy_words(row)}," in sentence
        assert "at 2,000 paths. If that risk is acceptable: sign " in sentence
        assert row["p_bankrupt"] == rec.plans.table["p_bankrupt"].min()
        assert row["p_bankrupt_upper"] > 0.05
    # the current plan's headline figure appears once, with its own path count
    block = body[body.index('id="executive-summary"') : body.index("<h2>Key numbers</h2>")]
    lo, hi = summary["p_bankrupt_ci95"]
    assert (f"P(bankrupt) {pct(summary['p_bankrupt'])} (95% CI {pct(lo)}-{pct(hi)}) at "
            "2,000 paths") in block  # fmt: skip
    assert "of take-or-pay" in block
    assert "dominated" in body[:first_section] or "indistinguishable" in body[:first_section] \
        or "No evaluated plan is less risky" in body[:first_section]  # fmt: skip


def test_money_and_dates_read_as_such(base_run, base_html: str) -> None:
    res, summary = base_run
    table = assumptions_table(res.scenario).set_index("parameter")["value"]
    assert table["finance.initial_cash"] == "$30B"
    assert table["compute.price_per_gw_year"] == "$12B"
    assert table["finance.max_raise_per_year"] == "loguniform(low=$30B, high=$200B)"
    assert not any("e+" in v for v in table.to_numpy())
    assert "1e+10" not in base_html
    assert "3e+10" not in base_html
    mtb = summary["median_months_to_bankruptcy"]
    from sim.reports.frames import month_date

    assert month_date("2026-01", 70) == "2031-11"
    assert f"Median bankruptcy date (paths bankrupt in the horizon)</td><td class=\"\">" \
           f"{month_date('2026-01', mtb)}" in base_html  # fmt: skip
    assert "months to bankruptcy" not in base_html
    assert "2032-01 to 2037-06 (66 months)" in base_html  # run-off as dates


def test_html_loads_nothing_but_itself(base_run) -> None:
    # every script is inline (no es-module-shims or other file to fetch and 404 on), also
    # when Panel, which adds es-module-shims to Bokeh's resources, is loaded in the process
    import panel as pn

    pn.extension()
    base_html = render_html(*base_run)
    assert not re.search(r"<script[^>]*\ssrc=", base_html)
    assert "es-module-shims" not in base_html
    assert not re.search(r"<link[^>]*\shref=", base_html)


def test_markdown_opens_with_the_summary_and_log_money_axes(base_run, tmp_path: Path) -> None:
    res, summary = base_run
    write_reports(res, summary, tmp_path, ["md"])
    md = (tmp_path / "report.md").read_text()
    assert md.index("## Executive summary") < md.index("## Key numbers")
    html_text = render_html(res, summary)
    verdict = re.search(r'<p class="verdict"><b>(.*?)</b></p>', html_text).group(1)
    lines = md.splitlines()
    assert lines[0].startswith("# compute-sim report")
    assert lines[2] == f"**{html.unescape(verdict)}**"  # the same sentence, bold
    assert lines[4].startswith("| Delivery year |")  # then the order table
    assert md.index(lines[2]) < md.index("## ")


def test_html_renders_while_a_destroyed_session_document_is_bokehs_curdoc(base_run) -> None:
    """A process that also serves the dashboard: bokeh's process-wide curdoc() can be another
    thread's session document, destroyed when its session closed. CI once failed 17 report tests
    with ``AttributeError: ... '_js_event_callbacks'`` from bokeh.embed; a report must not read it.
    """
    from bokeh.document import Document
    from bokeh.io.doc import curdoc, patch_curdoc

    class Session:  # what a bokeh server session registers on its document
        def _document_patched(self, event) -> None: ...

    dead, session = Document(), Session()
    dead.on_change_dispatch_to(session)
    dead.destroy(session)  # what the server does when the session closes
    with patch_curdoc(dead):
        assert curdoc() is dead
        assert not hasattr(curdoc().callbacks, "_js_event_callbacks")  # bokeh.embed reads it
        page = render_html(*base_run)
    assert page.count("data-root-id=") >= len(TITLES)
