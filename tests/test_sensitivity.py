"""Sensitivity: input ranges, tornado swings on common random numbers, Sobol indices."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, run
from sim.analysis.sensitivity import assumptions, input_range, sobol, tornado
from sim.analysis.sweep import metrics
from sim.cli import main as cli_main


@pytest.fixture(scope="module")
def base(classic):
    # the pinned first-wave world: plain-number margin and price, loguniform growth
    return classic


def test_input_ranges(base):
    # Distribution: P10/P90 of loguniform(3, 10) is 3 * (10/3)^q.
    lo, hi, how = input_range(base, "demand.growth")
    assert lo == pytest.approx(3 * (10 / 3) ** 0.1)
    assert hi == pytest.approx(3 * (10 / 3) ** 0.9)
    assert how == "P10/P90"
    lo, hi, _ = input_range(base, "demand.diffusion_lag_years")  # uniform(0.5, 2)
    assert (lo, hi) == pytest.approx((0.65, 1.85))
    # Plain number: x0.8 / x1.2.
    assert input_range(base, "finance.initial_cash")[:2] == pytest.approx((24e9, 36e9))
    # Documented range for the lead time (1-2 years).
    assert input_range(base, "compute.lead_time_months") == (12.0, 24.0, "documented range")
    # A share capped at 1 is pulled back to a valid value instead of failing.
    lo, hi, _ = input_range(base, "allocation.max_training_share")
    assert lo == pytest.approx(0.8)
    assert hi == pytest.approx(1.0)
    assert not any(k.startswith("policy.") for k in assumptions(base))


def test_tornado_contract_and_crn():
    # the lab alone (base before the market, margin P10/P90 0.42 / 0.67): the price and cash
    # claims below are about its own books, not the market's pricing power
    base = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "lone_lab.yaml")
    params = ["economics.gross_margin", "compute.price_per_gw_year", "finance.initial_cash"]
    t = tornado(base, paths=2000, params=params)
    assert list(t.columns[:1]) == ["parameter"]
    assert {"parameter", "low_value", "high_value", "metric_low", "metric_high", "base",
            "swing"} <= set(t.columns)  # fmt: skip
    assert sorted(t["parameter"]) == sorted(params)
    assert (np.diff(t["swing"].to_numpy()) <= 0).all()  # largest swing first
    np.testing.assert_allclose(t["swing"], (t["metric_high"] - t["metric_low"]).abs())
    # "base" is the scenario as is, on the same seed: identical to a direct run.
    assert t["base"].iloc[0] == metrics(run(base, paths=2000, monthly_paths=0))["p_bankrupt"]
    row = t.set_index("parameter")
    # Theory: a higher margin never raises the risk. Measured on base, 2,000 paths: 11.5% at
    # margin 0.42 vs 7.0% at 0.67, a paired (same draws) gap of 4.5 points; the paired
    # difference's noise is well under a point.
    assert (
        row.loc["economics.gross_margin", "metric_low"]
        > row.loc["economics.gross_margin", "metric_high"] + 0.02
    )
    # Price moves cost and revenue per GW together (revenue per GW = price / (1 - margin)),
    # and starting cash ($24-36B) is small against the commitments: both swing < 1 point.
    assert row.loc["compute.price_per_gw_year", "swing"] < 0.01
    assert row.loc["finance.initial_cash", "swing"] < 0.01
    assert t["parameter"].iloc[0] == "economics.gross_margin"


def test_tornado_other_metric(base):
    t = tornado(base, paths=1000, metric="cum_revenue_p50", params=["demand.growth"])
    # Faster true growth means more revenue to serve.
    assert t["metric_high"].iloc[0] > t["metric_low"].iloc[0]


def test_sobol_ranks_margin_above_cash(base):
    # 8 base samples x (2 inputs + 2) = 32 runs of 300 paths. With so few samples the
    # bootstrap intervals are wide, so only a gross ranking is checked: the margin drives
    # P(bankrupt) (tornado swing ~0.45) while starting cash barely moves it (~0.002).
    s = sobol(base, n_base=8, paths=300, params=["economics.gross_margin", "finance.initial_cash"],
              metrics=("p_bankrupt",))  # fmt: skip
    assert s.attrs["cells"] == 32
    assert list(s["parameter"]) == ["economics.gross_margin", "finance.initial_cash"]
    st = s.set_index("parameter")["ST"]
    assert st["economics.gross_margin"] > 0.5
    assert st["economics.gross_margin"] > 10 * abs(st["finance.initial_cash"])
    assert np.isfinite(s[["S1", "S1_conf", "ST", "ST_conf"]].to_numpy()).all()


def test_cli_sensitivity(tmp_path, capsys):
    out = tmp_path / "s"
    args = ["sensitivity", "--paths", "300", "--sobol-n", "4", "--sobol-paths", "100",
            "--out", str(out)]  # fmt: skip
    assert cli_main(args) == 0
    text = capsys.readouterr().out
    assert "tornado" in text
    assert "Sobol" in text
    tor = pd.read_csv(out / "tornado.csv")
    assert len(tor) == len(assumptions(load_scenario()))
    assert (out / "sobol.parquet").is_file()
    assert cli_main(["sensitivity", "--sobol-n", "12"]) == 2
    assert "power of two" in capsys.readouterr().err
    assert not math.isnan(tor["base"].iloc[0])
