"""Dashboard charts, panes and CLI without a browser (the browser tests are in tests/browser)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import panel as pn
import pytest

from dashboard import charts
from dashboard.app import create_app
from dashboard.explorer import Explorer
from dashboard.session import stop_servers
from sim import load_scenario
from sim.cli import main
from sim.outputs import usd
from sim.reports.decision import policy_words
from sim.reports.frames import chart_frames

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dash():
    d = create_app(load_scenario()).dashboard
    d.x.paths = 1000
    d.x.run_analysis(background=False)
    return d


@pytest.fixture
def base_app_without_tables(tmp_path, monkeypatch):
    """A session whose tables are not computed yet (empty disk cache, no analysis)."""
    from dashboard import sweeps
    from dashboard.cache import DiskCache

    monkeypatch.setattr(sweeps, "DISK", DiskCache(tmp_path))
    return create_app(load_scenario()).dashboard


def test_usd_numbers_read_like_money(dash):
    """The key numbers' money is in the one format of the reports (sim.outputs.usd)."""
    money = [usd(x) for x in (9.03e12, 150e9, 12.34e9, 2.5e6, 1.5e15)]
    assert money == ["$9.03T", "$150B", "$12.3B", "$2.5M", "$1,500T"]
    num = dash.x.numbers
    assert dash.kpi["kpi-revenue"][1] == usd(num["revenue_final_year_p50"])
    assert dash.kpi["kpi-cumulative"][1] == usd(num["cum_revenue_p50"])
    assert re.fullmatch(r"\$[\d.,]+[TBM]", dash.kpi["kpi-cumulative"][1])


def _figure(chart):
    """The Bokeh figure of a chart (rendered on demand, as a browser session would)."""
    if chart.fig is None:
        chart.pane.get_root()
    return chart.fig


def test_time_series_charts_have_titles_units_and_positive_log_data(dash):
    assert dash.ts == {}  # built when their tab is first opened (faster page build)
    assert dash.x.prepare is None  # and their frames are only computed from then on
    dash.tabs.active = 1
    for name, unit in (("demand", "USD/yr"), ("capacity", "GW"), ("money", "USD/yr"),
                       ("cash", "USD"), ("risk", "P(bankrupt)")):  # fmt: skip
        fig = _figure(dash.ts[name])
        assert fig.title.text
        assert unit in fig.yaxis[0].axis_label
        assert fig.xaxis[0].axis_label == "Month"
    for name in ("demand", "capacity", "money"):  # log axes: nothing at or below zero
        assert _figure(dash.ts[name]).y_scale.__class__.__name__ == "LogScale"
        fan = dash.ts[name].data["fans"][name]
        assert len(fan) > 0
        assert np.all(fan[["p5", "p50", "p95"]].to_numpy() > 0), name
    # the dashboard draws the report's own frames (same numbers as report.html)
    frames = chart_frames(dash.x.results)
    risk = dash.ts["risk"].data["risk"]
    assert np.array_equal(
        risk["p_bankrupt"].to_numpy(), frames["p_bankrupt"]["p_bankrupt"].to_numpy()
    )
    cash = dash.ts["cash"].data["fans"]["cash"]
    assert np.array_equal(cash["p50"].to_numpy(), frames["cash"]["p50"].to_numpy())
    dash.tabs.active = 0


def test_time_series_update_in_place(dash):
    dash.tabs.active = 1
    figs = {n: _figure(c) for n, c in dash.ts.items()}
    before = dash.ts["cash"].data
    dash.x.planned_growth = 4.5
    assert dash.ts["cash"].data is not before  # new frames arrived...
    assert {n: c.fig for n, c in dash.ts.items()} == figs  # ...into the same figures
    dash.x.planned_growth = 4.0
    dash.tabs.active = 0  # back on the Decision tab: its charts catch up
    assert dash.heat.data["box"]["y0"].iloc[0] == 2.5


def test_series_frames_are_computed_only_while_their_tab_is_shown(dash):
    dash.tabs.active = 1
    dash.tabs.active = 0
    shown = dash.x.view_data
    dash.x.planned_growth = 4.5  # on the Decision tab: no frames for the hidden charts
    assert dash.x.view_data is shown
    assert dash.x.view_of is not dash.x.results
    dash.tabs.active = 1  # opening the tab brings them up to date
    assert dash.x.view_of is dash.x.results
    assert dash.ts["cash"].data is dash.x.view_data
    dash.tabs.active = 0
    dash.x.planned_growth = 4.0


def test_fan_charts_draw_both_bands_of_each_series_unstacked(dash):
    """Each series of a fan chart has its P5-P95 and P25-P75 band drawn at its own values
    (hvplot stacks areas by default: a second band drawn on top of the first would be
    wrong), and the legend says what the line and the bands are."""
    dash.tabs.active = 1
    for name in ("money", "cash"):
        fig = _figure(dash.ts[name])
        fan = dash.ts[name].data["fans"][name]
        patches = [np.asarray(r.data_source.data["y"]) for r in fig.renderers
                   if type(getattr(r, "glyph", None)).__name__ == "Patch" and len(r.data_source.data["y"])]  # fmt: skip
        want = [np.concatenate([g[hi].to_numpy(), g[lo].to_numpy()[::-1]])
                for _, g in fan.groupby("series", sort=False) for lo, hi, _a in charts.BANDS]  # fmt: skip
        assert len(patches) == len(want) == 2 * fan["series"].nunique()
        for y in want:
            assert any(len(p) == len(y) and np.allclose(p, y) for p in patches), name
        assert (fan["p5"] <= fan["p25"]).all()
        assert (fan["p75"] <= fan["p95"]).all()
        legend = fig.legend[0]
        assert legend.title == charts.BAND_KEY  # "line: median · dark band: P25-P75 · ..."
        labels = {str(item.label.value) for item in legend.items}
        assert labels == set(fan["series"])  # bands and median share one entry per series
    dash.tabs.active = 0


def test_yolo_fans_stay_positive_where_paths_go_bankrupt():
    x = Explorer(load_scenario(REPO / "scenarios" / "yolo.yaml"), paths=1000,
                 prepare=charts.series_data)  # fmt: skip
    assert x.numbers["p_bankrupt"] > 0.5  # most paths serve nothing at the end
    for name, fan in x.view_data["fans"].items():
        if name != "cash":  # log axes
            assert np.all(fan[["p5", "p50", "p95"]].to_numpy() > 0), name


def test_heatmap_shows_risk_and_upside_with_readable_labels(dash):
    cells = dash.heat.data["cells"]
    assert len(cells) == 36
    assert all("%" in t and "$" in t for t in cells["label"])  # risk and revenue in each label
    for risk, color in zip(cells["risk"], cells["text_color"], strict=True):
        assert color == ("white" if risk > 0.45 else "black")  # dark cells get white text
    fig = _figure(dash.heat)
    assert fig.yaxis[0].axis_label == "Planned growth [x/yr] · box: current plan"
    assert fig.xaxis[0].axis_label == "True growth of the world [x/yr]"
    assert "P(bankrupt) and median revenue" in fig.title.text
    assert len(fig.title.text) <= 60  # fits above a 460 px chart (titles were cut)
    # the current plan (4x) is row 3 of [1.5, 2, 3, 4, 6, 10]: the box is that row
    box = dash.heat.data["box"]
    assert (box["y0"].iloc[0], box["y1"].iloc[0]) == (2.5, 3.5)


def test_plan_between_rows_is_marked_between_them_not_on_two_rows():
    ys = [1.5, 2.0, 3.0, 4.0, 6.0, 10.0]
    box = charts.plan_marker(ys, 6, 2.5, log=True)
    # 2.5x lies between the 2x (row 1) and 3x (row 2) rows, at log position 1.55
    y0, y1 = box["y0"].iloc[0], box["y1"].iloc[0]
    pos = 1 + np.log(2.5 / 2) / np.log(3 / 2)
    assert (y0 + y1) / 2 == pytest.approx(pos)
    assert 1 < y0 < y1 < 2  # within the gap between the two rows' centres: no row boxed
    assert y1 - y0 < 0.2
    assert charts.plan_marker(ys, 6, 20.0, log=True).empty  # off the chart: no marker
    on_row = charts.plan_marker([0.1, 0.25, 0.5], 6, 0.25, log=False)
    assert (on_row["y0"].iloc[0], on_row["y1"].iloc[0]) == (0.5, 1.5)


def test_frontier_points_are_labelled_by_family_without_overlap_and_clickable(dash):
    pts = dash.front.data["points"]
    assert len(pts) == 25
    assert set(pts["family"]) == {"plan for a growth rate", "demand quantile",
                                  "adaptive (learns growth)"}  # fmt: skip
    assert all(pts["policy"])  # every point names its policy (hover)
    shown = pts[pts["label"] != ""]
    assert 5 <= len(shown) < 25  # fewer labels than points...
    span = np.ptp(pts["risk"]), np.ptp(pts["revenue"])
    xy = np.column_stack([shown["risk"] / span[0], shown["revenue"] / span[1]])
    gaps = [np.hypot(*(xy[i] - xy[j])) for i in range(len(xy)) for j in range(i)]
    assert min(gaps) >= charts.LABEL_SPACING  # ...and no two of them on top of each other
    eff = pts[pts["efficient"] == "efficient"]
    assert (eff["label"] != "").any()
    cur = dash.front.data["current"]
    assert list(cur["risk"]) == [dash.x.table_numbers["p_bankrupt"]]
    i = next(i for i, c in enumerate(pts.attrs["policies"])
             if c.get("policy.kind") == "adaptive" and c.get("policy.haircut") == 0.2)  # fmt: skip
    dash.tap.event(index=[i])  # click the adaptive policy with haircut 0.2
    assert dash.x.policy_kind == "adaptive"
    assert dash.x.results.scenario.policy.haircut == 0.2
    dash.x.param.update(policy_kind="planned_growth", planned_growth=4.0)


def test_tornado_uses_friendly_names_and_every_top_driver_has_a_slider(dash):
    from dashboard.schema import ALL_FIELDS, friendly_name

    bars = dash.torn.data["bars"]
    names = list(bars["assumption"].unique())
    assert names
    assert not any("." in n for n in names)  # no dotted names
    for name in names:  # each driver at its low and at its high value
        assert set(bars.loc[bars["assumption"] == name, "side"]) == {
            "assumption at its low value", "assumption at its high value"}  # fmt: skip
    fig = _figure(dash.torn)
    assert "percentage points" in fig.xaxis[0].axis_label
    assert "pp" in fig.xaxis[0].formatter.code  # ticks read +2 pp, not 0.02
    assert not fig.yaxis[0].axis_label
    table = dash.x.table("tornado")
    sliders = {spec.dotted for spec in ALL_FIELDS.values()} | {"demand.growth"}
    for dotted in table["parameter"].head(5):
        assert dotted in sliders, dotted
        assert friendly_name(dotted) in dash.drivers.object


def test_charts_update_in_place(dash):
    figs = {c.name: _figure(c) for c in (dash.heat, dash.front, dash.torn)}
    dash.x.planned_growth = 6.0  # the box and the star move: same figures, new data
    assert dash.heat.data["box"]["y0"].iloc[0] == 3.5
    assert {c.name: c.fig for c in (dash.heat, dash.front, dash.torn)} == figs
    dash.x.planned_growth = 4.0


def test_every_input_has_a_tooltip_from_the_schema(dash):
    from dashboard.widgets import MORE, SIDEBAR

    assert not dash.more.objects  # built when the card is first opened
    dash.more_card.collapsed = False
    assert len(dash.more.objects) == len(MORE)
    for name in (*SIDEBAR, *MORE):
        doc = dash.x.param[name].doc
        assert doc, name
        row = dash.rows[name]
        if isinstance(row, pn.Row):  # sliders and checkboxes: an info icon beside them
            assert row.objects[1].value == doc
        else:  # selects and text inputs show it themselves
            assert row.description == doc
    assert "take-or-pay" in dash.x.param.price_per_gw_year.doc


def test_decision_element_and_stale_views(dash):
    html = dash.decision.object
    assert 'data-testid="decision"' in html
    assert 'data-state="ready"' in html
    x = dash.x
    x.initial_cash = 45.0  # new world: heatmap, frontier and decision are stale at once
    assert 'data-state="pending"' in dash.decision.object
    assert dash.heat.data["stale"]  # drawn faded...
    assert dash.front.data["stale"]
    assert dash.stale_note.visible  # ...and the page says they show the previous settings
    assert (
        'data-testid="heatmap-state" data-count="36" data-state="pending"'
        in dash.chart_state.object
    )
    x.initial_cash = 30.0  # back: served from the cache, current again
    assert 'data-state="ready"' in dash.decision.object
    assert not dash.heat.data["stale"]
    assert not dash.stale_note.visible


def test_first_load_says_computing_not_earlier_settings(base_app_without_tables):
    dash = base_app_without_tables
    assert dash.heat.pane.object is None  # no figure, so no empty 0-5 axes
    assert dash.msgs["heatmap"].visible
    assert dash.msgs["heatmap"].object == "Computing the heatmap…"
    assert "earlier" not in dash.msgs["heatmap"].object
    assert (
        'data-testid="heatmap-state" data-count="0" data-state="pending"' in dash.chart_state.object
    )


def test_apply_recommended_plan(dash):
    """The button sets the recommended plan exactly; once it is the current plan the
    decision says so and the button hides."""
    x = dash.x
    rec = x.table("decision")["recommendation"]
    assert dash.apply_button.visible
    # base (pricing power) may have no plan credibly within 5% at this path count: the
    # button then applies the least risky plan and says so
    words = policy_words(rec.plan)
    want = f"Apply {words}" if rec.feasible else f"Apply the least risky: {words}"
    assert dash.apply_button.label == want
    before = x.param.values()
    dash.apply_recommended()
    assert x.results.scenario.policy.model_dump(mode="json", exclude_none=True) == rec.policy
    x.run_analysis(background=False)  # the tables of the applied plan (same frontier)
    assert 'data-current="recommended"' in dash.decision.object
    assert "dominated" not in dash.decision.object
    assert not dash.apply_button.visible
    x.param.update(**{k: before[k] for k in ("policy_kind", "planned_growth", "quantile",
                                             "haircut", "plan_to_ceiling")})  # fmt: skip


def test_dashboard_numbers_and_alert(dash):
    x = dash.x
    k = dash.kpi
    assert k["kpi-bankrupt"] == (f"P(bankrupt), run-off included · {x.paths:,} paths",
                                 f"{100 * x.numbers['p_bankrupt']:.1f}%")  # fmt: skip
    assert k["kpi-bankrupt-horizon"] == ("P(bankrupt) within the horizon (to 2031)",
                                         f"{100 * x.numbers['p_bankrupt_in_horizon']:.1f}%")  # fmt: skip
    assert k["kpi-revenue"][1].startswith("$")
    assert 'class="kpi kpi-bankrupt"' in dash.kpis.object
    assert not dash.alert.visible
    x.growth_low = 15.0
    assert dash.alert.visible
    assert "demand.growth" in dash.alert.object
    x.growth_low = 1.0
    assert not dash.alert.visible


def test_what_ruins_us_tab():
    from sim.analysis.discover import discover

    dash = create_app(load_scenario()).dashboard  # base as shipped (other tests move sliders)
    x = dash.x
    assert "Find what ruins us" in dash.ruin_status.object
    x.run_discovery(background=False)
    # the same boxes as the public API on the shown run (its paths are the worlds)
    d = discover(x.results)
    assert x.ruin_results["discovery"].boxes == d.boxes
    text = dash.ruin_text.object
    assert f"**First box:** {d.sentences()[0]}." in text
    assert "demand growth <" in text
    assert "signpost: {by: " in text  # the YAML snippet to paste
    assert [type(o).__name__ for o in dash.ruin_charts.objects] == ["Bokeh", "Bokeh"]
    assert dash.ruin_charts.objects[0].object.title.text.startswith("Coverage vs density")
    x.run_discovery(background=False)
    assert x.ruin_status == "Done (cached)."
    x.planned_growth = 5.0  # settings moved on: the status says the boxes are stale
    assert "earlier settings" in dash.ruin_status.object


def test_cli_rejects_bad_file_and_port(capsys):
    assert main(["dashboard", "/nonexistent/x.yaml"]) == 2
    assert "file not found" in capsys.readouterr().err
    assert main(["dashboard", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err


def test_stopping_the_dashboard_drops_its_queued_jobs(monkeypatch):
    """Ctrl-C or SIGTERM while serving: the jobs not started yet are cancelled, so the
    process does not wait for every session's queued runs and tables before it exits."""
    import dashboard.server
    from dashboard import jobs

    dropped = []

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(dashboard.server, "warm_up", lambda scenario: None)
    monkeypatch.setattr(dashboard.server.pn, "serve", interrupted)  # stopped while serving
    monkeypatch.setattr(jobs, "drop_queued", lambda: dropped.append(True))
    assert main(["dashboard", "--no-show", "--port", "0"]) == 130  # interrupted
    assert dropped == [True]


def test_bench_dashboard_command(capsys):
    assert main(["bench-dashboard", "--repeat", "2", "--paths", "500", "--no-browser"]) == 0
    out = capsys.readouterr().out
    for tab in ("Decision", "Time series"):  # each tab's charts redrawn on every change
        assert f"{tab} tab, server-side update after a widget change [s]: median" in out


def test_sigterm_delivered_to_a_worker_thread_wakes_the_servers_loop():
    """The kernel may hand a SIGTERM to any thread; Python runs its handler in the main
    thread only, which sleeps in the event loop until its next event (CI once waited over
    20 s for ``sim dashboard`` to stop). ``signals_wake_the_loop`` ends it at once and
    leaves the handler it found. In a fresh interpreter: pytest's own signal handlers and
    event loop (Playwright's) stay out of it."""
    code = """
import asyncio, signal, threading, time
from dashboard.server import signals_wake_the_loop
def cli_handler(_signum, _frame):  # what ``python -m sim`` installs
    raise KeyboardInterrupt
signal.signal(signal.SIGTERM, cli_handler)
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
loop.call_later(10, loop.stop)  # without the wake-up, the loop sleeps until this
threading.Timer(0.3, lambda: signal.pthread_kill(threading.get_ident(), signal.SIGTERM)).start()
t0 = time.monotonic()
try:
    with signals_wake_the_loop():
        loop.run_forever()
    print("not-interrupted", time.monotonic() - t0)
except KeyboardInterrupt:
    print("interrupted", time.monotonic() - t0, signal.getsignal(signal.SIGTERM) is cli_handler)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, timeout=120, check=True).stdout.split()  # fmt: skip
    assert out[0] == "interrupted", out
    assert float(out[1]) < 5, out  # 0.3 s + waking; the watchdog would say 10 s
    assert out[2] == "True", out


def test_dashboard_command_serves_http(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "dashboard", "scenarios/steady_state_100b.yaml",
         "--no-show", "--port", str(port)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
                    body = r.read().decode()
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "dashboard did not start within 60 s"
                time.sleep(0.3)
        assert r.status == 200
        assert "compute-sim" in body
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()  # never leave a server running after the test
            proc.wait()
            raise AssertionError("the dashboard took over 20 s to stop") from None


def test_port_in_use_exits_2_with_a_message():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "sim", "dashboard", "--no-show", "--port", str(port)],
            cwd=REPO, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert proc.returncode == 2
    assert f"port {port}" in proc.stderr
    assert "already in use" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_components_route_imports_nothing(tmp_path, monkeypatch):
    """Panel's /components/<module>/... route must not import a module the URL names."""

    from dashboard.server import serve

    (tmp_path / "csim_probe_module.py").write_text("IMPORTED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    serve(None, port=port, show=False, threaded=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=10).close()
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        for path in ("/components/csim_probe_module/X/_css/a.css",
                     "/components/os/path/__css__/x", "/components/sim.cli/main/_css/x"):  # fmt: skip
            try:
                urllib.request.urlopen(base + path, timeout=10)
                status = 200
            except urllib.error.HTTPError as exc:
                status = exc.code
            assert status in (403, 404), path
        assert "csim_probe_module" not in sys.modules
    finally:
        stop_servers()


@pytest.mark.benchmark
def test_benchmark_widget_update(benchmark):
    """Server-side latency of one slider change (new value each round: no cache hits)."""
    from dashboard.app import Dashboard

    d = Dashboard(Explorer(load_scenario()))
    values = iter(4.0 + 1e-4 * i for i in range(1, 1_000_000))
    benchmark(lambda: setattr(d.x, "planned_growth", next(values)))


def test_importing_the_app_imports_hvplot_and_no_module_imports_in_a_circle():
    """Issue 26: the charts are hvplot declarations; dashboard imports point one way
    (server -> app -> ...), and every dashboard module stays small (< 500 lines)."""
    import ast

    code = "import sys, dashboard.app; print('hvplot' in sys.modules, 'dashboard.server' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()  # fmt: skip
    assert out == ["True", "False"]  # hvplot loaded; the app does not pull the server in
    graph: dict[str, set[str]] = {}
    for path in sorted((REPO / "dashboard").glob("*.py")):
        text = path.read_text()
        assert len(text.splitlines()) < 500, path.name
        deps = set()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom):
                mod = node.module or ""
                if node.level == 1 and mod:
                    deps.add(mod.split(".")[0])
                elif node.level == 1:
                    deps |= {a.name for a in node.names}
                elif mod.startswith("dashboard."):
                    deps.add(mod.split(".")[1])
                elif mod == "dashboard":
                    deps |= {a.name for a in node.names}
        graph[path.stem] = deps - {path.stem}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(d == goal or (d not in seen and reaches(d, goal, seen | {d}))
                   for d in graph.get(start, ()))  # fmt: skip

    assert [m for m in graph if reaches(m, m, {m})] == []  # no import circle


def test_another_threads_session_does_not_make_a_test_app_served():
    """Bokeh's curdoc() is process-wide: while a threaded server runs a session's callback
    (the browser tests' server), it points at that session from every thread. An app built
    meanwhile in a test or script must still compute in place, not defer to a page load."""
    from types import SimpleNamespace

    from bokeh.document import Document
    from bokeh.io.doc import patch_curdoc

    from dashboard.session import session_doc

    other = Document()
    ctx = SimpleNamespace(request=SimpleNamespace(arguments={}))  # that session's context
    other._session_context = lambda: ctx
    with patch_curdoc(other):
        assert pn.state.curdoc is other  # what the old check read
        assert session_doc() is None  # not a server session
        d = create_app(load_scenario()).dashboard
        d.x.paths = 1000
        assert d.x.results.paths == 1000  # computed in place, not on a shared pool


def test_pages_share_no_busy_indicator():
    """Panel keeps every template's busy indicator in one process-wide list and sets all of
    them when any session handles an event, outside the other sessions' document locks
    (a browser test lost a slider change to "_pending_writes should be non-None")."""
    from bokeh.document import Document

    before = list(pn.state._indicators)
    template = create_app()
    template.server_doc(Document())
    assert template.busy_indicator is None
    assert pn.state._indicators == before


def test_a_stopping_server_ends_its_running_tables_at_the_next_cell(monkeypatch):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from dashboard import jobs

    monkeypatch.setattr(jobs, "STOPPING", threading.Event())
    for name in ("INTERACTIVE", "BACKGROUND"):
        monkeypatch.setattr(jobs, name, ThreadPoolExecutor(1))
    jobs.yield_to_interactive()  # running: goes on
    jobs.drop_queued()
    with pytest.raises(jobs.StaleJobError):
        jobs.yield_to_interactive()


def test_tables_status_says_computed_or_from_the_cache(base_app_without_tables):
    """The status line after the tables: how long they took, or that they all came from
    the disk cache (not "done in 0.0 s")."""
    first = base_app_without_tables.x
    first.paths = 300
    first.run_analysis(background=False)
    assert re.fullmatch(r"Tables done in \d+\.\d s\.", first.analysis_status)
    again = create_app(load_scenario()).dashboard.x  # a new session: the same disk cache
    again.paths = 300
    again.run_analysis(background=False)
    assert again.analysis_status == "Tables from the cache."
