"""Build-slip section of the reports and ``python -m sim slip`` (issue #6)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, run, summarize
from sim.build import sample_slips
from sim.build.slip_effect import slip_effect
from sim.cli import main
from sim.model.engine import slip_table
from sim.outputs import usd
from sim.reports import write_reports
from sim.reports.charts import COMPETITION_TITLES, SLIP_TITLES, TITLES
from sim.reports.frames import slip_frames
from sim.reports.html import render_html

ROOT = Path(__file__).resolve().parents[1]
BUILD_SLIP = ROOT / "scenarios" / "build_slip.yaml"
BASE = ROOT / "scenarios" / "base.yaml"
PATHS = 300
SECTION = "Build pipeline and slip"


@pytest.fixture(scope="module")
def slip_run():
    res = run(load_scenario(BUILD_SLIP), paths=PATHS)
    return res, summarize(res)


@pytest.fixture(scope="module")
def effect(slip_run) -> pd.DataFrame:
    """The off/on comparison computed independently of the report code."""
    res, _ = slip_run
    return slip_effect(res.scenario, PATHS, res.scenario.simulation.seed)


@pytest.fixture(scope="module")
def slip_html(slip_run) -> str:
    return render_html(*slip_run)


@pytest.fixture(scope="module")
def slip_md(slip_run, tmp_path_factory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("slip_md")
    return out, write_reports(*slip_run, out, ["md"])


def effect_cells(r: pd.Series) -> list[str]:
    """The cells of one off/on row, formatted as the reports must show them."""
    return [
        f"{r['p_bankrupt']:.1%}",
        f"{r['p_bankrupt_lo']:.1%} - {r['p_bankrupt_hi']:.1%}",
        f"{r['bankrupt_only_here']:.1%}",
        f"{r['unserved_share']:.1%}",
        usd(r["cum_revenue_p50"]),
        f"{r['mean_capacity_gw']:,.1f}",
        f"{r['mean_slip_months']:.2f}",
    ]


LABELS = {"off": "off (no slip)", "on": "on (compute.build)"}


def test_whole_month_slips_are_what_the_engine_draws(slip_run) -> None:
    res, _ = slip_run
    table = slip_table(res.scenario)
    frames = slip_frames(res.scenario)
    assert frames is not None
    pmf = frames["slip_months"]
    assert pmf["projects"].sum() == table.size
    assert pmf["cum_share"].iloc[-1] == pytest.approx(1.0)
    # The engine's inverse-CDF sampler on many uniforms reproduces the shares.
    draws = sample_slips(table, np.random.default_rng(0).random(200_000))
    shares = np.bincount(draws, minlength=len(pmf)) / draws.size
    np.testing.assert_allclose(shares, pmf["share"], atol=0.005)
    q = frames["slip_quantiles"]
    assert q.loc["q50", "simulated"] == pytest.approx(np.quantile(table, 0.5))
    assert q.loc["p_slip_positive", "simulated"] == pytest.approx((table > 0).mean())
    assert q.loc["mean", "whole_months"] == pytest.approx(np.ceil(table - 1e-9).mean())


def test_html_has_slip_section_chart_and_effect_table(slip_run, effect, slip_html) -> None:
    res, summary = slip_run
    html = slip_html
    assert f">{SECTION}</h2>" in html
    assert html.index(f">{SECTION}</h2>") < html.index(">Assumptions</h2>")
    roots = re.findall(r"<div[^>]*data-root-id=", html)
    assert len(roots) == len(TITLES) + len(SLIP_TITLES)
    assert 'id="chart-slip_months"' in html
    assert json.dumps(SLIP_TITLES["slip_months"])[1:-1] in html
    q50 = np.quantile(slip_table(res.scenario), 0.5)
    assert f'<td class="l">q50</td><td class="">{q50:.2f}</td>' in html
    for case in ("off", "on"):
        row = f'<td class="l">{LABELS[case]}</td>' + "".join(
            f'<td class="">{c}</td>' for c in effect_cells(effect.loc[case])
        )
        assert row in html, case
    assert f"The same {PATHS:,} paths with the pipeline off and on" in html
    # "on" is this run itself (same scenario, paths and seed).
    assert effect.loc["on", "p_bankrupt"] == summary["p_bankrupt"]
    assert effect.loc["off", "mean_slip_months"] == 0.0 < effect.loc["on", "mean_slip_months"]


def test_markdown_has_slip_section_figure_and_effect_table(slip_md, effect) -> None:
    out, written = slip_md
    md = (out / "report.md").read_text()
    assert f"## {SECTION}" in md
    images = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)", md)
    assert len(images) == len(TITLES) + 1
    assert "figures/slip_months.png" in images
    png = (out / "figures" / "slip_months.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png) > 5_000
    assert out / "figures" / "slip_months.png" in written
    assert len(written) == 1 + len(TITLES) + 1
    for case in ("off", "on"):
        assert f"| {LABELS[case]} | " + " | ".join(effect_cells(effect.loc[case])) + " |" in md


def test_base_report_has_no_slip_section(tmp_path: Path) -> None:
    res = run(load_scenario(BASE), paths=200)
    assert slip_frames(res.scenario) is None
    write_reports(res, summarize(res), tmp_path, ["html", "md"])
    html = (tmp_path / "report.html").read_text()
    md = (tmp_path / "report.md").read_text()
    assert SECTION not in html
    assert SECTION not in md
    assert "chart-slip_months" not in html
    assert not (tmp_path / "figures" / "slip_months.png").exists()
    # base's own charts only (its competition section adds three, no slip chart)
    assert len(re.findall(r"<div[^>]*data-root-id=", html)) == len(TITLES) + len(COMPETITION_TITLES)


def test_cli_slip_prints_quantiles_and_writes_files(tmp_path: Path, capsys, effect) -> None:
    out = tmp_path / "out"
    argv = ["slip", str(BUILD_SLIP), "--paths", str(PATHS), "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    q = np.quantile(slip_table(load_scenario(BUILD_SLIP)), [0.05, 0.25, 0.5, 0.75, 0.95])
    simulated = next(line for line in text.splitlines() if line.startswith("simulated"))
    assert simulated.split()[1:6] == [f"{v:.2f}" for v in q]
    assert "q50" in text
    assert "whole months" in text
    assert f"{effect.loc['off', 'p_bankrupt']:.1%}" in text
    assert f"{effect.loc['on', 'p_bankrupt']:.1%}" in text
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json",
        "slip.json",
        "slip_effect.csv",
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no scratch directory left
    data = json.loads((out / "slip.json").read_text())
    assert data["slip_months"]["simulated"]["q50"] == pytest.approx(q[2])
    assert data["effect_paths"] == PATHS
    assert sum(data["whole_month_share"].values()) == pytest.approx(1.0)
    csv = pd.read_csv(out / "slip_effect.csv", index_col="pipeline")
    pd.testing.assert_frame_equal(csv, effect, check_names=False, rtol=1e-12)


def test_cli_slip_without_build_exits_2_and_writes_nothing(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["slip", str(BASE), "--paths", "100", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(BASE) in err
    assert "compute.build" in err
    assert list(tmp_path.iterdir()) == []


def test_cli_slip_help(capsys) -> None:
    assert main(["slip", "--help"]) == 0
    text = capsys.readouterr().out
    for word in ("compute.build", "slip.json", "slip_effect.csv", "P(bankrupt)", "exit codes"):
        assert word in text
