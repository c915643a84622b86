"""Scenario discovery (issue 14): PRIM boxes over per-path inputs, signposts, the CLI.

The acceptance case: a scenario whose ruin is decided by demand growth alone (a fixed
$300B/yr commitment from 2028, growth 2-8x, with margin, volatility, diffusion lag and fixed
costs also drawn) must give a first box that restricts ``demand.growth`` with an upper bound
between 3 and 4.2x/yr, coverage and density both >= 0.8.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, run
from sim.analysis.discover import (
    Box,
    describe,
    discover,
    find_signposts,
    observed_growth,
    pick,
    prim_boxes,
    realized_margin,
    recommended,
    world_inputs,
)
from sim.cli import main
from sim.model.io import scenario_from_dict
from sim.model.scenario import lone_lab

ROOT = Path(__file__).resolve().parents[1]
BASE = load_scenario(ROOT / "scenarios" / "base.yaml")

COMMIT_300B = {
    "name": "commit300",
    "description": "Fixed $300B/yr of compute from 2028; ruin decided by demand growth.",
    "simulation": {"start": "2026-01", "years": 6, "paths": 3000, "seed": 11},
    "demand": {
        "initial_revenue": 10e9,
        "growth": {"dist": "uniform", "low": 2, "high": 8},
        # a path keeps its growth rate: its one growth number decides ruin (with persistence
        # < 1 the timing of growth matters too, which the geometric mean does not capture)
        "growth_persistence": 1.0,
        "volatility": {"dist": "uniform", "low": 0.05, "high": 0.3},
        "diffusion_lag_years": {"dist": "uniform", "low": 0.5, "high": 2.0},
    },
    "compute": {
        "initial_gw": 1.9,
        "initial_contract_years_left": 3,
        "price_per_gw_year": 12e9,
        "industry_gw_start": 15,
        "industry_growth": 3.0,
        "max_industry_share": 1.0,
    },
    "economics": {
        "gross_margin": {"dist": "uniform", "low": 0.5, "high": 0.75},
        "fixed_costs_per_year": {"dist": "uniform", "low": 1e9, "high": 4e9},
    },
    "finance": {"initial_cash": 30e9, "max_raise_per_year": 100e9},
    "policy": {"kind": "fixed_schedule", "tranches": [{"start": "2028-01", "gw": 25, "years": 5}]},
}


@pytest.fixture(scope="module")
def commit() -> tuple:
    res = run(scenario_from_dict(COMMIT_300B, "commit300"), monthly_paths=0)
    return res, discover(res)


def test_ruin_decided_by_growth_gives_a_growth_box(commit) -> None:
    _res, d = commit
    assert 0.1 < d.p_target < 0.6  # a real mix of ruin and survival
    box = d.first
    assert "demand.growth" in box.limits
    assert box.sides["demand.growth"] == "upper"
    assert 3.0 <= box.limits["demand.growth"][1] <= 4.2
    assert box.coverage >= 0.8
    assert box.density >= 0.8
    assert d.reached
    # the other drawn inputs entered the search but do not decide ruin here
    assert {"economics.gross_margin", "demand.volatility", "economics.fixed_costs_per_year",
            "demand.diffusion_lag_years"} <= set(d.inputs)  # fmt: skip
    assert "compute.price_per_gw_year" in d.fixed


def test_box_statistics_are_those_of_its_limits(commit) -> None:
    # recompute coverage, density and mass from the reported limits on the worlds
    res, d = commit
    x = world_inputs(res)
    y = res.bankrupt
    for box in d.boxes:
        inside = box.contains(x)
        assert inside.sum() == box.n
        assert box.density == pytest.approx(y[inside].mean())
        assert box.coverage == pytest.approx(y[inside].sum() / y.sum())
        assert box.mass == pytest.approx(inside.mean())


def test_growth_enters_as_geometric_mean(commit) -> None:
    res, _ = commit
    x = world_inputs(res)
    np.testing.assert_array_equal(x["demand.growth"], res.path["growth_mean"])
    # paths.parquet carries the same column and every per-path draw (issue item 1)
    frame = res.path_frame()
    assert {"path", "growth_mean", "bankrupt_month", "equity_value"} <= set(frame.columns)
    assert set(res.draws) <= set(frame.columns)
    # fixed inputs (one value on every path) are left out
    assert "compute.price_per_gw_year" not in x.columns
    assert x.shape[1] == 5


def test_pick_rule() -> None:
    t = pd.DataFrame({"coverage": [1.0, 0.9, 0.7, 0.5], "density": [0.3, 0.79, 0.85, 0.95],
                      "mass": [1.0, 0.5, 0.3, 0.2]})  # fmt: skip
    assert pick(t, 0.8) == (2, True)  # highest coverage among density >= 0.8
    assert pick(t, 0.99) == (3, False)  # none reaches it: the densest
    assert pick(t, 0.3) == (0, True)


def test_sentence_is_plain() -> None:
    box = Box(coverage=0.83, density=0.91, mass=0.2,
              limits={"demand.growth": (1.0, 3.6), "economics.gross_margin": (0.3, 0.45),
                      "finance.max_raise_per_year": (5e10, 2e11)},
              sides={"demand.growth": "upper", "economics.gross_margin": "upper",
                     "finance.max_raise_per_year": "lower"})  # fmt: skip
    assert describe(box) == (
        "ruin in 91% of worlds where demand growth < 3.6x/yr and gross margin < 45% and capital "
        "raisable per year > $50B/yr; these worlds hold 83% of all ruin (20% of all worlds)"
    )


def test_base_ruin_sits_in_slow_worlds() -> None:
    res = run(BASE, paths=3000, monthly_paths=0)
    d = discover(res)
    assert d.first.limits["demand.growth"][1] < 3.0
    assert d.cart is not None
    assert d.cart.density > 0.5
    sps = find_signposts(res, d)
    assert [s.by for s in sps] == ["2027-01", "2027-07", "2028-01"]
    y = res.bankrupt
    for sp in sps:  # the stated statistics are those of the rule
        g = observed_growth(res.scenario, res.paths, sp.month)
        m = realized_margin(res.draws, sp.month)
        trip = np.ones(res.paths, dtype=bool)
        if sp.min_growth is not None:
            trip &= g < sp.min_growth
        if sp.min_margin is not None:
            trip &= m < sp.min_margin
        assert sp.trips == pytest.approx(trip.mean())
        assert sp.density == pytest.approx(y[trip].mean())
        assert sp.coverage == pytest.approx(y[trip].sum() / y.sum())
        assert sp.false_alarm < 0.1
    best = recommended(sps)
    snippet = best.yaml()
    assert snippet.startswith("policy:\n  signpost: {by: ")
    # the snippet is a valid policy option
    load = BASE.replace(**{"policy.signpost": best.policy(0.5)})
    assert load.policy.signpost.by == best.by


def test_observed_growth_is_what_the_engine_saw() -> None:
    lone = lone_lab(BASE)  # in a market the lab sees its share of the re-drawn demand
    res = run(lone, paths=600, monthly_paths=600)
    d = res.monthly["demand"]
    np.testing.assert_allclose(observed_growth(lone, 600, 18), (d[:, 18] / d[:, 0]) ** (12 / 18),
                               rtol=1e-12)  # fmt: skip


def test_deterministic_and_ruin_free_cases_say_so() -> None:
    fixed = lone_lab(BASE).replace(**{  # the market's rivals have draws of their own
        "demand.growth": 4.0, "demand.diffusion_lag_years": 1.0,
        "compute.initial_contract_years_left": 3.0, "economics.gross_margin": 0.6,
        "finance.max_raise_per_year": 1e11, "correlations": [],
    })  # fmt: skip
    d = discover(run(fixed, paths=300, monthly_paths=0))
    assert d.boxes == []
    assert "every input is fixed" in d.note
    # the lab alone: with the market's pricing power a 2x plan in a 5-8x world falls behind
    # the rivals and can be ruined (4% of paths)
    safe = lone_lab(BASE).replace(**{"demand.growth": {"dist": "uniform", "low": 5, "high": 8},
                           "policy.planned_growth": 2.0})  # fmt: skip
    d = discover(run(safe, paths=300, monthly_paths=0))
    assert d.p_target == 0
    assert d.boxes == []
    assert "nothing to discover" in d.note


def test_common_ruin_reports_the_escape() -> None:
    d = discover(run(load_scenario(ROOT / "scenarios" / "yolo.yaml"), paths=2000, monthly_paths=0))
    assert d.p_target >= 0.8
    assert d.first.limits == {}
    assert d.first.coverage == 1.0
    assert "no restriction is needed" in d.sentences()[0]
    esc = d.escape.first
    assert esc.sides["demand.growth"] in ("lower", "both")  # fast worlds survive
    assert esc.density >= 0.8


def test_cli_writes_discovery_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "commit300.yaml"
    import yaml

    src.write_text(yaml.safe_dump(COMMIT_300B))
    out = tmp_path / "out"
    assert main(["discover", str(src), "--paths", "2000", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "box 1: ruin in" in text
    assert "demand growth <" in text
    assert "signpost" in text
    j = json.loads((out / "discovery.json").read_text())
    assert j["target"] == "bankrupt"
    assert 0 < j["p_target"] < 1
    first = j["boxes"][0]
    assert set(first) >= {"coverage", "density", "mass", "limits"}
    lo, hi = first["limits"]["demand.growth"]
    assert lo < hi
    assert 3.0 <= hi <= 4.2
    assert min(first["coverage"], first["density"]) >= 0.8
    assert all(k in j["inputs"] for k in first["limits"])  # only restricted inputs, dotted
    # a fixed schedule cannot take a signpost: the effect says so instead of numbers
    assert isinstance(j["signpost_effect"], str)
    assert "fixed schedule" in j["signpost_effect"]
    html = (out / "discovery.html").read_text()
    assert "Coverage vs density along PRIM" in html
    assert "First box" in html
    assert (out / "figures" / "tradeoff.png").stat().st_size > 1000
    assert (out / "figures" / "box.png").stat().st_size > 1000
    worlds = pd.read_parquet(out / "worlds.parquet")
    assert len(worlds) == 2000
    assert worlds["target"].mean() == pytest.approx(j["p_target"])
    assert worlds["in_box_1"].mean() == pytest.approx(first["mass"])


def test_cli_bad_options(tmp_path: Path) -> None:
    assert main(["discover", "--min-density", "1.5", "--out", str(tmp_path)]) == 2
    assert main(["discover", "--target", "nonsense"]) == 2


def test_low_revenue_target() -> None:
    res = run(BASE, paths=2000, monthly_paths=0)
    d = discover(res, "low_revenue")
    rev = res.path["cum_revenue"]
    assert d.revenue_below == pytest.approx(np.quantile(rev, 0.2))
    assert d.p_target == pytest.approx((rev < d.revenue_below).mean())
    assert d.sentences()[0].startswith("low revenue in ")
    assert "of all low-revenue worlds" in d.sentences()[0]
    assert d.first.sides["demand.growth"] == "upper"  # slow worlds earn less
    fixed = discover(res, "low_revenue", revenue_below=3e12)
    assert fixed.p_target == pytest.approx((rev < 3e12).mean())


@pytest.mark.parametrize("seed", [11, 12])
def test_growth_box_with_default_persistence(seed) -> None:
    """With the schema's growth persistence (0.8) a path's growth changes year to year and
    the growth before the commitment comes due decides ruin; the growth window picks those
    years, so the first box is still growth alone, with coverage and density >= 0.8."""
    data = {**COMMIT_300B, "simulation": {**COMMIT_300B["simulation"], "seed": seed},
            "demand": {**COMMIT_300B["demand"], "growth_persistence": 0.8}}  # fmt: skip
    res = run(scenario_from_dict(data, "commit300"), monthly_paths=0)
    d = discover(res)
    assert d.growth_window_years < res.scenario.simulation.years
    box = d.first
    assert list(box.limits) == ["demand.growth"]
    assert 3.0 <= box.limits["demand.growth"][1] <= 4.2
    assert box.coverage >= 0.8
    assert box.density >= 0.8
    assert "(in 2026)" in d.sentences()[0] or "(over 2026-" in d.sentences()[0]
    # the window's growth beats the whole-horizon mean at separating ruin
    horizon = prim_boxes(world_inputs(res), res.bankrupt, 0.8).boxes[0]
    assert box.coverage > horizon.coverage


def test_growth_window_is_the_horizon_when_growth_never_changes(commit) -> None:
    res, d = commit  # persistence 1: every window gives the same ranks
    assert d.growth_window_years == res.scenario.simulation.years
    np.testing.assert_allclose(world_inputs(res, 2)["demand.growth"], res.path["growth_mean"],
                               rtol=1e-12)  # fmt: skip
