"""Dashboard charts, panes and CLI without a browser (the browser tests are in tests/browser)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import holoviews as hv
import pytest

from dashboard import views
from dashboard.app import create_app, usd_number
from dashboard.explorer import Explorer
from sim import load_scenario
from sim.cli import main

REPO = Path(__file__).resolve().parents[1]
hv.extension("bokeh")


@pytest.fixture(scope="module")
def dash():
    return create_app(load_scenario()).dashboard


@pytest.fixture(scope="module")
def swept():
    x = Explorer(load_scenario(), sweep_paths=200)
    x.run_sweeps(background=False)
    return x


def _fmt(x: float) -> str:
    value, fmt = usd_number(x)
    return fmt.format(value=value)


def test_usd_numbers_read_like_money():
    assert _fmt(9.03e12) == "$9.03T"
    assert _fmt(150e9) == "$150B"
    assert _fmt(12.34e9) == "$12.3B"
    assert _fmt(2.5e6) == "$2.5M"
    assert _fmt(1.5e15) == "$1,500T"


def test_fan_charts_have_titles_units_and_log_floor(dash):
    res = dash.x.results
    for chart, unit in (
        (views.demand_vs_served(res), "USD/yr"),
        (views.capacity(res), "GW"),
        (views.revenue_vs_cost(res), "USD/yr"),
        (views.cash(res), "USD"),
        (views.bankruptcy_curve(res), "P(bankrupt)"),
    ):
        fig = hv.render(chart)
        assert fig.title.text
        assert unit in fig.yaxis[0].axis_label
        assert fig.xaxis[0].axis_label == "Month"
    fig = hv.render(views.demand_vs_served(res))
    # log axis: clipped bands keep the range above zero and around the $10B start
    assert 0 < fig.y_range.start < 10e9 < fig.y_range.end


def test_sweep_charts(swept):
    out = swept.sweep_results
    heat = hv.render(views.heatmap(out["heatmap"], "p_bankrupt", "policy.planned_growth", 4.0))
    assert heat.yaxis[0].axis_label == "Planned growth [x/yr]"
    assert heat.xaxis[0].axis_label == "True growth of the world [x/yr]"
    # policy row 4x is index 2 of [2, 3, 4, 6, 8, 10]: the box marks it
    assert views._index_position([2, 3, 4, 6, 8, 10], 4.0, log=True) == 2.0
    front = hv.render(views.frontier(out["frontier"], out["current"]))
    assert "USD" in front.yaxis[0].axis_label
    torn = views.tornado(out["tornado"], top=5)
    bars = torn.values()[0]
    assert len(bars) == 5  # only the largest swings are shown
    top = out["tornado"].sort_values("swing", ascending=False)["parameter"].iloc[0]
    assert bars.data["parameter"].iloc[-1].startswith(top)  # largest swing on top


def test_dashboard_numbers_and_alert(dash):
    x = dash.x
    assert dash.n_bust.value == pytest.approx(100 * x.numbers["p_bankrupt"])
    assert dash.n_bust.label == "P(bankrupt), run-off included"
    assert dash.n_bust_h.label == "P(bankrupt) within the horizon (to 2031)"
    assert dash.n_bust_h.value == pytest.approx(100 * x.numbers["p_bankrupt_in_horizon"])
    assert dash.n_rev.format.format(value=dash.n_rev.value).startswith("$")
    assert not dash.alert.visible
    x.growth_low = 15.0
    assert dash.alert.visible
    assert "demand.growth" in dash.alert.object
    x.growth_low = 3.0
    assert not dash.alert.visible


def test_dashboard_sweep_panes(swept):
    from dashboard.app import Dashboard

    d = Dashboard(swept)
    kinds = {name: [type(o).__name__ for o in col.objects] for name, col in d.sweep_panes.items()}
    assert kinds == {"heatmap": ["Markdown", "HoloViews", "HoloViews"], "frontier": ["HoloViews"],
                     "tornado": ["HoloViews"]}  # fmt: skip
    swept.planned_growth = 5.0  # settings moved on: the status says the sweeps are stale
    assert "earlier settings" in d.sweep_status.object


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


def test_bench_dashboard_command(capsys):
    assert main(["bench-dashboard", "--repeat", "2", "--paths", "500"]) == 0
    out = capsys.readouterr().out
    assert "update after a widget change [s]: median" in out


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
        proc.wait(timeout=20)


@pytest.mark.benchmark
def test_benchmark_widget_update(benchmark):
    """Server-side latency of one slider change (new value each round: no cache hits)."""
    from dashboard.app import Dashboard

    d = Dashboard(Explorer(load_scenario()))
    values = iter(4.0 + 1e-4 * i for i in range(1, 1_000_000))
    benchmark(lambda: setattr(d.x, "planned_growth", next(values)))
