"""HTML/Markdown reports: charts and numbers present, offline, consistent, atomic."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from sim import load_scenario, run, summarize
from sim.cli import main
from sim.model.sampling import numeric_fields
from sim.reports import write_reports
from sim.reports.charts import TITLES
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
    assert len(roots) == len(TITLES) == 8
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


def test_markdown_report_with_pngs(base_run, tmp_path: Path) -> None:
    res, summary = base_run
    written = write_reports(res, summary, tmp_path, ["md"])
    md = (tmp_path / "report.md").read_text()
    assert not (tmp_path / "report.html").exists()
    images = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)", md)
    assert len(images) == len(TITLES)
    for rel in images:
        data = (tmp_path / rel).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 5_000
    assert f"| P(bankrupt by end) | {format_p_bankrupt(summary)} |" in md
    assert len(written) == 1 + len(TITLES)


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
