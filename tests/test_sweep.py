"""Sweeps: designs, cell application, metrics, common random numbers, sweep files, CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, run, summarize
from sim.analysis.sweep import METRICS, apply_cell, grid, latin_hypercube, metrics, run_sweep
from sim.analysis.sweep_spec import load_sweep
from sim.cli import main as cli_main
from sim.errors import ScenarioError
from sim.model.scenario import lone_lab

ROOT = Path(__file__).resolve().parents[1]
SWEEPS = sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml"))
CONTRACT_METRICS = {
    "p_bankrupt", "p_bankrupt_lo", "p_bankrupt_hi", "cum_revenue_p50", "cum_revenue_p90",
    "unserved_share", "equity_value_mean", "equity_value_p50", "final_run_rate_p50",
    "peak_capacity_gw_p50",
}  # fmt: skip


@pytest.fixture(scope="module")
def base():
    return load_scenario()


def test_grid_is_full_factorial_last_axis_fastest():
    cells = grid({"a": [1, 2, 3], "b": ["x", "y"]})
    assert len(cells) == 6
    assert cells[0] == {"a": 1, "b": "x"}
    assert cells[1] == {"a": 1, "b": "y"}
    assert cells[-1] == {"a": 3, "b": "y"}
    assert len({tuple(c.items()) for c in cells}) == 6


def test_latin_hypercube_stratifies_every_axis_and_is_seeded():
    n = 16
    cells = latin_hypercube({"x": (2.0, 10.0), "y": (0.0, 1.0)}, n, seed=3)
    assert len(cells) == n
    for key, (lo, hi) in {"x": (2.0, 10.0), "y": (0.0, 1.0)}.items():
        v = np.array([c[key] for c in cells])
        assert ((v >= lo) & (v <= hi)).all()
        # Latin property: exactly one point in each of the n equal-width strata.
        strata = np.floor((v - lo) / (hi - lo) * n).astype(int)
        assert sorted(strata) == list(range(n))
    assert cells == latin_hypercube({"x": (2.0, 10.0), "y": (0.0, 1.0)}, n, seed=3)
    assert cells != latin_hypercube({"x": (2.0, 10.0), "y": (0.0, 1.0)}, n, seed=4)


def test_apply_cell_switches_policy_kind_and_keeps_review_months(base):
    s = base.replace(**{"policy.review_months": 6})
    q = apply_cell(s, {"policy.kind": "demand_quantile", "policy.q": 0.3})
    assert q.policy.kind == "demand_quantile"
    assert q.policy.q == 0.3
    assert q.policy.review_months == 6
    # NaN means "not applicable": a frontier row re-applied keeps the other kind's fields out.
    a = apply_cell(s, {"policy.kind": "adaptive", "policy.haircut": 0.2, "policy.q": math.nan})
    assert a.policy.kind == "adaptive"
    assert a.policy.haircut == 0.2


def test_apply_cell_errors_name_the_key(base):
    with pytest.raises(ScenarioError) as exc:
        apply_cell(base, {"policy.planed_growth": 3})
    assert "planed_growth" in str(exc.value)
    assert "did you mean 'planned_growth'" in str(exc.value)
    with pytest.raises(ScenarioError) as exc:
        apply_cell(base, {"policy.planned_growth": -1})
    assert "policy.planned_growth" in str(exc.value)
    with pytest.raises(ScenarioError) as exc:
        apply_cell(base, {"nosuchsection.x": 1})
    assert "nosuchsection" in str(exc.value)


def test_metrics_contract_and_agreement_with_summary(base):
    res = run(base, paths=3000, monthly_paths=0)
    m = metrics(res)
    assert set(m) >= CONTRACT_METRICS
    s = summarize(res)
    assert m["p_bankrupt"] == s["p_bankrupt"]
    assert (m["p_bankrupt_lo"], m["p_bankrupt_hi"]) == tuple(s["p_bankrupt_ci95"])
    assert m["p_bankrupt_lo"] <= m["p_bankrupt"] <= m["p_bankrupt_hi"]
    assert m["cum_revenue_p50"] == s["cum_revenue_p50"]
    assert m["unserved_share"] == pytest.approx(s["unserved_share_of_demand"], rel=1e-12)
    assert m["equity_value_mean"] == s["equity_value_mean"]
    # Terminal value is 0 on bankrupt paths, so the mean is below the solvent paths' mean.
    assert (res.path["equity_value"][res.bankrupt] == 0).all()


def test_run_sweep_table_crn_and_progress(base):
    cells = [{}, {"policy.planned_growth": 2.0}, {}, {"policy.planned_growth": 8.0}]
    calls = []
    df = run_sweep(base, cells, paths=1500, progress=lambda d, t: calls.append((d, t)))
    years = [f"p_bankrupt_by_end_{y}" for y in range(2026, 2032)]  # base: 2026-2031
    assert list(df.columns) == ["policy.planned_growth", *METRICS, *years]
    assert len(df) == 4
    assert np.isnan(df["policy.planned_growth"].iloc[0])
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    # The empty cell is the scenario itself: identical to a direct run with the same seed.
    direct = metrics(run(base, paths=1500, monthly_paths=0))
    assert df.iloc[0][[*METRICS, *years]].to_dict() == direct
    assert df.iloc[0].equals(df.iloc[2])
    # P(bankrupt) by year accumulates up to the in-horizon share (the run-off adds to p_bankrupt)
    by_year = df[years].to_numpy()
    assert (np.diff(by_year, axis=1) >= 0).all()
    assert (by_year[:, -1] <= df["p_bankrupt"].to_numpy() + 1e-12).all()
    # A more aggressive plan commits more capacity on the same worlds.
    assert df["peak_capacity_gw_p50"].iloc[1] <= df["peak_capacity_gw_p50"].iloc[3]


def test_cells_share_the_same_worlds(base):
    """CRN: changing only the policy leaves every path's demand and growth untouched (a
    lone lab's: in a market the lab's demand depends on what it buys)."""
    base = lone_lab(base)
    a = run(apply_cell(base, {"policy.planned_growth": 2.0}), paths=2000, monthly_paths=0)
    b = run(apply_cell(base, {"policy.planned_growth": 8.0}), paths=2000, monthly_paths=0)
    np.testing.assert_array_equal(a.path["cum_demand"], b.path["cum_demand"])
    np.testing.assert_array_equal(a.path["growth_mean"], b.path["growth_mean"])
    assert not np.array_equal(a.path["cum_revenue"], b.path["cum_revenue"])


@pytest.mark.parametrize("path", SWEEPS, ids=[p.name for p in SWEEPS])
def test_shipped_sweeps_validate(path):
    sweep = load_sweep(path)
    assert sweep.cells
    for cell in sweep.cells[:3]:
        apply_cell(sweep.scenario, cell)  # every cell was validated already; spot check
    assert cli_main(["validate", str(ROOT / "scenarios" / "base.yaml")]) == 0


def test_shipped_sweeps_cover_the_brief():
    names = {p.stem for p in SWEEPS}
    assert {"plan_vs_world", "lead_time", "diffusion_lag"} <= names
    pw = load_sweep(ROOT / "scenarios" / "sweeps" / "plan_vs_world.yaml")
    assert len(pw.cells) == 8 * 6
    assert {c["demand.growth"] for c in pw.cells} == {3, 4, 5, 6, 8, 10}
    lead = load_sweep(ROOT / "scenarios" / "sweeps" / "lead_time.yaml")
    assert {c["compute.lead_time_months"] for c in lead.cells} == {12, 18, 24}


BAD = {
    "unknown_top": ("name: x\naxs: {policy.planned_growth: [1]}\n", ["axs", "did you mean 'axes'"]),
    "unknown_axis": ("name: x\naxes: {policy.planed_growth: [1, 2]}\n",
                     ["axes.policy.planed_growth", "did you mean 'planned_growth'"]),
    "out_of_range": ("name: x\naxes: {economics.gross_margin: [0.5, 1.5]}\n",
                     ["axes.economics.gross_margin", "1.5"]),
    "lhs_no_samples": ("name: x\nmethod: lhs\naxes: {policy.planned_growth: [1, 5]}\n",
                       ["samples"]),
    "lhs_bad_range": ("name: x\nmethod: lhs\nsamples: 4\naxes: {policy.planned_growth: [5, 1]}\n",
                      ["axes.policy.planned_growth", "low < high"]),
    "missing_scenario": ("name: x\nscenario: nope.yaml\naxes: {policy.planned_growth: [1]}\n",
                         ["scenario", "nope.yaml"]),
    "empty_axis": ("name: x\naxes: {policy.planned_growth: []}\n", ["policy.planned_growth"]),
    "bad_yaml": ("name: x\naxes: [\n", ["malformed YAML"]),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_bad_sweep_files_fail_cleanly(case, tmp_path, capsys):
    text, needles = BAD[case]
    f = tmp_path / f"{case}.yaml"
    f.write_text(text)
    out = tmp_path / "out"
    assert cli_main(["sweep", str(f), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(f) in err
    for needle in needles:
        assert needle in err
    assert "Traceback" not in err
    assert not out.exists()


def test_cli_sweep_writes_tidy_outputs(tmp_path, capsys):
    f = tmp_path / "tiny.yaml"
    f.write_text(
        "name: tiny\npaths: 400\naxes:\n  policy.planned_growth: [2, 6]\n  demand.growth: [3, 8]\n"
    )
    out = tmp_path / "res"
    assert cli_main(["sweep", str(f), "--out", str(out)]) == 0
    assert "tiny" in capsys.readouterr().out
    pq = pd.read_parquet(out / "sweep.parquet")
    csv = pd.read_csv(out / "sweep.csv")
    assert len(pq) == 4
    pd.testing.assert_frame_equal(pq, csv, check_dtype=False)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["cells"] == 4
    assert summary["paths_per_cell"] == 400
    assert summary["keys"] == ["policy.planned_growth", "demand.growth"]
    assert not list(tmp_path.glob(".res.tmp-*"))  # scratch directory cleaned up


def test_cli_sweep_bad_option_exit_2(tmp_path, capsys):
    f = ROOT / "scenarios" / "sweeps" / "lead_time.yaml"
    assert cli_main(["sweep", str(f), "--workers", "0", "--out", str(tmp_path / "o")]) == 2
    assert "--workers" in capsys.readouterr().err


def test_cli_subprocess_bad_sweep_no_traceback(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("name: x\naxes: {policy.planned_growth: [0]}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "sweep", str(f), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "axes.policy.planned_growth" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_apply_cell_never_mutates_its_input(base):
    jump = {"at_year": 2027.0, "multiplier": 3.0}
    cell = {"demand.capability_jump": jump, "demand.capability_jump.at_year": 2028.0}
    s = apply_cell(base, cell)
    assert s.demand.capability_jump.at_year == 2028.0
    assert jump == {"at_year": 2027.0, "multiplier": 3.0}


def test_fixed_updates_go_to_the_scenario_not_the_table():
    sweep = load_sweep(ROOT / "scenarios" / "sweeps" / "diffusion_lag.yaml")
    assert sweep.scenario.demand.capability_jump.multiplier == 3.0
    assert all(set(c) == set(sweep.spec.axes) for c in sweep.cells)
    df = run_sweep(sweep.scenario, sweep.cells[:2], paths=200)
    assert list(df.columns[:3]) == list(sweep.spec.axes)


def test_distribution_values_in_a_sweep_write_to_parquet(base, tmp_path):
    dist = {"dist": "loguniform", "low": 3, "high": 10}
    cells = grid({"demand.growth": [dist, 5.0], "policy.kind": ["planned_growth", "adaptive"]})
    df = run_sweep(base, cells, paths=200)
    assert df["demand.growth"].iloc[0] == '{"dist": "loguniform", "high": 10, "low": 3}'
    assert df["demand.growth"].iloc[2] == "5.0"
    df.to_parquet(tmp_path / "x.parquet")  # one type per column
    assert len(pd.read_parquet(tmp_path / "x.parquet")) == 4


def test_small_cells_on_several_threads_equal_one_at_a_time(base, monkeypatch):
    """Cells of one block run several at a time, one per thread (the Python work of one
    overlaps the kernel of another); the table is the one of one cell at a time, bit for
    bit, in cell order, with progress counted to the end."""
    from sim.model import workers

    cells = grid({"policy.planned_growth": [1.5, 3.0, 6.0], "demand.growth": [3.0, 8.0]})
    monkeypatch.setattr(workers, "threads", lambda: 1)
    one = run_sweep(base, cells, paths=700)
    monkeypatch.setattr(workers, "threads", lambda: 3)
    seen = []
    several = run_sweep(base, cells, paths=700, progress=lambda d, t: seen.append((d, t)),
                        cells_at_once=True)  # fmt: skip
    pd.testing.assert_frame_equal(one, several)
    assert seen[-1] == (6, 6)


def test_a_bad_cell_after_good_ones_stops_a_sweep_of_cells_at_once(base, monkeypatch):
    """Cells run several at a time are validated as they are handed out: a bad cell late in
    the grid still raises the ScenarioError naming its key, no table comes back and no task
    thread outlives the call (the cells not yet started are cancelled)."""
    import threading

    from sim.model import workers

    monkeypatch.setattr(workers, "threads", lambda: 2)
    cells = [{"policy.planned_growth": g} for g in (2.0, 3.0, 4.0, 5.0)]
    cells.append({"policy.planned_growth": -1.0})
    with pytest.raises(ScenarioError) as exc:
        run_sweep(base, cells, paths=300, cells_at_once=True)
    assert "policy.planned_growth" in str(exc.value)
    assert not [t for t in threading.enumerate() if t.name.startswith("sim-task")]
