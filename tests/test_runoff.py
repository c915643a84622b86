"""Run-off: commitments signed inside the horizon are stress-tested until they expire.

Hand cases with known answers, the per-path end of the run-off, obligations and equity net
of them, and the acceptance properties of the base scenario across horizons.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim import run, summarize
from sim.cli import main as cli_main
from sim.model.timeline import runoff_months

B = 1e9


def _flat(classic, **updates):
    """Flat $10B demand, no noise, no raises possible, no other/fixed costs unless given."""
    common = {
        "demand.growth": 1.0, "demand.volatility": 0.0, "demand.diffusion_lag_years": 0.0,
        "demand.initial_revenue": 10 * B, "finance.max_raise_per_year": 0.0,
        "economics.other_costs_share": 0.0, "economics.fixed_costs_per_year": 0.0,
        "compute.initial_gw": 0.0, "finance.initial_cash": 30 * B,
    }  # fmt: skip
    return classic.replace(**{**common, **updates})


def test_contract_three_months_before_the_horizon_ends_ruins_in_runoff(classic):
    """5 GW for 5 years from month 69 of a 72-month horizon: $60B a year on $10B revenue.

    In the horizon the lab pays 3 months ($15B) and earns $2.5B: it ends the horizon solvent
    with $17.5B. Then 57 months remain: $285B still owed, which revenue (at most $10B a year)
    and cash cannot pay; no raise is possible. Headline P(bankrupt) = 1, in-horizon = 0.
    """
    s = _flat(classic, policy={"kind": "fixed_schedule",
                               "tranches": [{"start": "2031-10", "gw": 5.0, "years": 5}]})  # fmt: skip
    res = run(s, paths=4)
    summary = summarize(res)
    assert summary["p_bankrupt"] == 1.0
    assert summary["p_bankrupt_in_horizon"] == 0.0
    assert summary["runoff_months"] == 57
    owed = 5.0 * 12 * B / 12 * 57
    assert summary["obligations_at_end_p50"] == pytest.approx(owed, rel=1e-12)
    np.testing.assert_allclose(res.path["obligations_at_end"], owed, rtol=1e-12)
    # cash at the end of the horizon: 30 + 3 x (10/12 - 5) = 17.5 $B
    np.testing.assert_allclose(res.path["final_cash"], 17.5 * B, rtol=1e-12)
    # ruin in the run-off month when cash first goes negative: 17.5 - k * 25/6 < 0 -> k = 5
    assert (res.path["bankrupt_month"] == 72 + 4).all()
    assert (res.path["equity_value"] == 0).all()
    # the months after the horizon are simulated and reported
    assert res.runoff_monthly["compute_cost"].shape == (4, 57)


def test_review_order_delivered_after_the_horizon_is_placed(classic):
    """The last review (month 60) orders for delivery at 78: after the 72-month horizon."""
    s = _flat(classic, **{"demand.growth": 2.0, "finance.initial_cash": 1e13,
                          "compute.lead_time_months": 18})  # fmt: skip
    res = run(s, paths=1)
    assert res.monthly["ordered_gw"][0, 60] > 0
    cap = res.monthly_all("capacity_gw")[0]
    assert cap[78] > cap[77]
    # run-off lasts until the last contract (60 + 18 + 60 months) expires
    assert runoff_months(s) == 60 + 18 + 60 - 72 == res.total_months - 72


def test_obligations_are_the_nominal_take_or_pay_still_owed(classic):
    """Initial 2 GW with 8 years left and one tranche: owed = sum of GW x price x months left."""
    s = _flat(classic, **{"compute.initial_gw": 2.0, "compute.initial_contract_years_left": 8,
                          "finance.initial_cash": 1e13},
              policy={"kind": "fixed_schedule",
                      "tranches": [{"start": "2030-01", "gw": 3.0, "years": 4}]})  # fmt: skip
    res = run(s, paths=1)
    price_month = 12 * B / 12
    owed = 2.0 * price_month * (96 - 72) + 3.0 * price_month * (48 + 48 - 72)
    assert res.path["obligations_at_end"][0] == pytest.approx(owed, rel=1e-12)
    # terminal equity nets them out: 20x run-rate + cash - owed (floored at 0)
    v = 20 * res.path["final_run_rate"][0] + res.path["final_cash"][0] - owed
    assert res.path["equity_value"][0] == pytest.approx(max(v, 0.0), rel=1e-12)


def test_a_path_stops_when_its_last_contract_expires(classic):
    """Fixed costs stop with a path's last contract: a lab with nothing left to pay is not
    pushed into bankruptcy by staff costs in a run-off that exists for other paths."""
    s = _flat(classic, **{"compute.initial_gw": 1.0, "economics.fixed_costs_per_year": 50 * B,
                          "compute.initial_contract_years_left":
                              {"dist": "uniform", "low": 6.5, "high": 8.0},
                          "finance.initial_cash": 1e12},
              policy={"kind": "fixed_schedule", "tranches": []})  # fmt: skip
    res = run(s, paths=50)
    assert res.total_months == 96
    fixed = res.monthly_all("fixed_cost")
    ends = np.rint(res.params["compute.initial_contract_years_left"] * 12).astype(int)
    assert len(set(ends)) > 5
    months = np.arange(res.total_months)
    np.testing.assert_array_equal(fixed > 0, months[None, :] < ends[:, None])
    assert not res.bankrupt.any()


def test_cli_reports_both_figures(tmp_path, capsys):
    out = tmp_path / "r"
    assert cli_main(["run", "--paths", "300", "--seed", "4", "--format", "json,csv",
                     "--out", str(out)]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "P(bankrupt by end)" in text
    assert "within the horizon" in text
    assert "take-or-pay still owed" in text
    s = json.loads((out / "summary.json").read_text())
    assert {"p_bankrupt_in_horizon", "obligations_at_end_p50", "obligations_at_end_p90",
            "runoff_months", "runoff_by_year"} <= set(s)  # fmt: skip
    assert (out / "runoff_by_year.csv").is_file()


@pytest.fixture(scope="module")
def horizons(base):
    return {y: summarize(run(base.replace(**{"simulation.years": y}), paths=2000))
            for y in (5, 6, 7, 8)}  # fmt: skip


def test_base_risk_does_not_depend_on_where_the_horizon_ends(horizons):
    """DONE-WHEN of the risk issue. Measured (2,000 paths, seed 2026): 8.65% / 8.7% / 8.7% /
    8.7% at 5/6/7/8 years. The binomial SE at 2,000 paths is ~0.6 points and the horizons
    share their draws (per-year streams), so a 10-point spread can only come from the model."""
    p = {y: s["p_bankrupt"] for y, s in horizons.items()}
    assert max(p.values()) - min(p.values()) <= 0.10, p
    assert max(p.values()) <= 0.5, p


def test_base_has_some_ruin_early_and_plausible_margins(horizons):
    """Stability does not come from a world where nothing can go wrong: slow worlds and the
    1.9 GW signed before 2026 ruin some paths by 2028 (measured 5.85%); the realized inference
    margin stays inside 0.2-0.85 every year (0.59 rising to 0.76 with efficiency gains)."""
    s = horizons[6]
    by = {r["year"]: r for r in s["by_year"]}
    assert by[2028]["p_bankrupt"] >= 0.005
    for r in s["by_year"]:
        assert 0.2 <= r["gross_margin_p50"] <= 0.85, r
