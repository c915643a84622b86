"""Cases with answers computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from sim import run, summarize

B = 1e9


def test_100b_steady_state(steady):
    """DOMAIN: $100B of compute, $50B inference at 2/3 margin -> $150B revenue, $50B profit."""
    res = run(steady, paths=50)
    y = res.yearly
    np.testing.assert_allclose(y["revenue"], 150 * B, rtol=1e-9)
    np.testing.assert_allclose(y["compute_cost"], 100 * B, rtol=1e-9)
    np.testing.assert_allclose(y["profit"], 50 * B, rtol=1e-9)
    np.testing.assert_allclose(y["training_share"], 0.5, rtol=1e-9)
    np.testing.assert_allclose(y["unserved"], 0.0, atol=1e-3)
    # cash grows by exactly $50B a year from $10B
    np.testing.assert_allclose(y["cash"][0], 10 * B + 50 * B * np.arange(1, 7), rtol=1e-9)
    assert summarize(res)["p_bankrupt"] == 0.0


@pytest.mark.parametrize(
    ("margin", "training", "profitable"),
    [
        (0.6667, 0.5, True),
        (0.4, 0.5, False),
        (0.55, 0.5, True),
        (0.3, 0.4, False),
        (0.8, 0.7, True),
    ],
)
def test_profitable_iff_margin_exceeds_training_share(steady, margin, training, profitable):
    """Perfect forecast, steady state: profit = C P ((1 - s)/(1 - m) - 1), sign of m - s."""
    price, gw = 12 * B, 10.0
    demand = gw * (1 - training) * price / (1 - margin)  # exactly what inference serves
    s = steady.replace(
        **{
            "economics.gross_margin": margin,
            "allocation.training_share": training,
            "allocation.min_training_share": min(0.25, training),
            "compute.initial_gw": gw,
            "demand.initial_revenue": demand,
            "finance.initial_cash": 1e12,
        }
    )
    res = run(s, paths=10)
    profit = res.yearly["profit"][0, 0]
    expected = gw * price * ((1 - training) / (1 - margin) - 1)
    assert profit == pytest.approx(expected, rel=1e-9)
    assert (profit > 0) == profitable


def test_demand_grows_exactly_g_per_year_without_noise(classic):
    s = classic.replace(
        **{"demand.growth": 5.0, "demand.volatility": 0.0, "demand.ceiling": 1e30,
           "demand.diffusion_lag_years": 0.0}
    )  # fmt: skip
    res = run(s, paths=3)
    d = res.monthly["demand"][0]
    np.testing.assert_allclose(d[[0, 12, 24, 36]], 10 * B * 5.0 ** np.arange(4), rtol=1e-12)


def test_steady_growth_is_unaffected_by_diffusion_lag(classic):
    common = {"demand.growth": 4.0, "demand.volatility": 0.0, "demand.ceiling": 1e30}
    fast = run(classic.replace(**common, **{"demand.diffusion_lag_years": 0.0}), paths=2)
    slow = run(classic.replace(**common, **{"demand.diffusion_lag_years": 3.0}), paths=2)
    np.testing.assert_allclose(fast.monthly["demand"], slow.monthly["demand"], rtol=1e-12)


def test_capability_jump_diffuses_with_exponential_lag(classic):
    """A 4x jump at 2027-01 with a 2-year mean lag: after tau years, 1 - exp(-tau/2) of it."""
    common = {"demand.growth": 1.0, "demand.volatility": 0.0, "demand.ceiling": 1e30,
              "demand.capability_jump": {"at_year": 2027.0, "multiplier": 4.0}}  # fmt: skip
    res = run(classic.replace(**common, **{"demand.diffusion_lag_years": 2.0}), paths=1)
    d = res.monthly["demand"][0]
    assert d[12] == pytest.approx(10 * B)  # month 12 = 2027-01: nothing yet
    a = 1 - np.exp(-1 / 24)
    for k in (12, 24, 48):  # months after the jump month
        frac = 1 - (1 - a) ** k  # discrete exponential kernel
        assert d[12 + k] == pytest.approx(10 * B * 4.0**frac, rel=1e-12)
    instant = run(classic.replace(**common, **{"demand.diffusion_lag_years": 0.0}), paths=1)
    assert instant.monthly["demand"][0, 13] == pytest.approx(40 * B)


def _deterministic(classic, **updates):
    common = {"demand.growth": 4.0, "demand.volatility": 0.0, "demand.ceiling": 1e30,
              "demand.diffusion_lag_years": 0.0, "finance.initial_cash": 1e13}  # fmt: skip
    return classic.replace(**{**common, **updates})


@pytest.mark.parametrize("lead", [1, 6, 12, 18, 24])
def test_order_arrives_exactly_after_lead_time(classic, lead):
    s = _deterministic(classic, **{"compute.lead_time_months": lead, "policy.review_months": 12})
    res = run(s, paths=1)
    cap = res.monthly["capacity_gw"][0]
    ordered = res.monthly["ordered_gw"][0]
    # month-0 order of Q - 1 GW: Q = D0 4^(lead/12) / (36e9 * 0.5)
    rpg = 12 * B / (1 - 0.6667)
    q = 10 * B * 4.0 ** (lead / 12) / (rpg * 0.5)
    assert ordered[0] == pytest.approx(max(q - 1.0, 0.0), rel=1e-12)
    assert cap[lead - 1] == pytest.approx(1.0)
    assert cap[lead] == pytest.approx(max(q, 1.0), rel=1e-12)


def test_initial_contract_expires_on_time(classic):
    s = _deterministic(
        classic, **{"compute.initial_contract_years_left": 2, "policy.planned_growth": 0.01}
    )
    cap = run(s, paths=1).monthly["capacity_gw"][0]
    assert cap[23] == 1.0
    assert cap[24] == 0.0


def test_new_contract_runs_contract_years(classic):
    s = _deterministic(
        classic,
        **{"compute.lead_time_months": 6, "compute.contract_years": 2,
           "compute.initial_gw": 0.0, "policy.review_months": 120},
    )  # fmt: skip
    cap = run(s, paths=1).monthly["capacity_gw"][0]
    assert cap[5] == 0
    assert cap[6] > 0
    assert cap[29] == cap[6]
    assert cap[30] == 0


def test_supply_cap_binds(classic):
    s = _deterministic(
        classic,
        **{"policy.planned_growth": 30.0, "compute.max_industry_share": 0.01,
           "compute.industry_growth": 1.0, "compute.lead_time_months": 12},
    )  # fmt: skip
    cap = run(s, paths=1).monthly["capacity_gw"][0]
    # cap = 1% of 12 GW = 0.12 GW < the 1 GW already held: nothing new can be bought
    assert cap.max() == pytest.approx(1.0)
    s2 = s.replace(**{"compute.max_industry_share": 0.5})
    cap2 = run(s2, paths=1).monthly["capacity_gw"][0]
    assert cap2[12] == pytest.approx(6.0)  # 50% of 12 GW


def test_industry_hard_limit_binds(classic):
    """Industry GW 12 x 3^(t/12) stop at industry_gw_max = 20: a 50% share is 10 GW at most."""
    s = _deterministic(
        classic,
        **{"policy.planned_growth": 60.0, "compute.max_industry_share": 0.5,
           "compute.lead_time_months": 12},
    )  # fmt: skip
    # the month-0 plan wants 10e9 * 60 / (36e9 * 0.5) = 33.3 GW at month 12
    free = run(s, paths=1).monthly["capacity_gw"][0]
    assert free[12] == pytest.approx(18.0)  # 50% of 36 GW: no limit
    limited = run(s.replace(**{"compute.industry_gw_max": 20.0}), paths=1).monthly
    cap = limited["capacity_gw"][0]
    assert cap[11] == pytest.approx(1.0)
    assert cap[12] == pytest.approx(10.0)  # the 1 GW held + 9 GW ordered at month 0
    assert cap.max() == pytest.approx(10.0)
    assert limited["ordered_gw"][0, 12] == pytest.approx(0.0)  # already at the limit


def test_raise_amount_and_yearly_cap(classic):
    """Runway short at month 0: raise = 15% x 20 x served run-rate, within $100B/yr."""
    s = _deterministic(
        classic,
        **{"finance.initial_cash": 1e9, "finance.max_raise_per_year": 2e9,
           "finance.min_months_between_raises": 1},
    )  # fmt: skip
    m = run(s, paths=1).monthly
    served = m["revenue"][0, 0] * 12
    assert m["raised"][0, 0] == pytest.approx(min(0.15 * 20 * served, 2e9))
    assert m["raised"][0, :12].sum() <= 2e9 + 1e-3


def test_plan_to_ceiling_bends_the_plan(classic):
    """Logistic plan K / (1 + (K/D - 1)/M): ~M x D far below K, never above K."""
    from sim.model.policies import bend_to_ceiling

    d, k = np.array([1e9, 5e12, 9e12]), np.full(3, 10e12)
    planned = d * 8.0
    bent = bend_to_ceiling(d, planned, k)
    assert bent[0] == pytest.approx(8e9, rel=1e-3)  # 0.01% of the ceiling: barely bent
    assert (bent < k).all()
    assert (bent > d).all()
    assert bent[1] == pytest.approx(10e12 / (1 + 1 / 8))
    # and in the engine: with the ceiling far away, the option changes nothing
    far = _deterministic(classic, **{"demand.ceiling": 1e30})
    a = run(far.replace(**{"policy.plan_to_ceiling": False}), paths=1).monthly["capacity_gw"]
    b = run(far.replace(**{"policy.plan_to_ceiling": True}), paths=1).monthly["capacity_gw"]
    np.testing.assert_allclose(a, b, rtol=1e-9)
