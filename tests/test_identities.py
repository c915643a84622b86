"""Accounting identities of DOMAIN.md, checked on every path and month (run-off included)."""

from __future__ import annotations

import numpy as np
import pytest

from sim import run

VARIANTS = {
    "base": {},
    "aggressive": {"policy.planned_growth": 10.0},
    "quantile": {"policy": {"kind": "demand_quantile", "q": 0.8, "pilot_paths": 500}},
    "adaptive": {"policy": {"kind": "adaptive", "prior_growth": 6.0, "haircut": 0.2}},
    "idle_possible": {"allocation.max_training_share": 0.6, "policy.planned_growth": 8.0},
    "random_params": {
        "economics.gross_margin": {"dist": "uniform", "low": 0.3, "high": 0.75},
        "compute.lead_time_months": {"dist": "triangular", "low": 6, "mode": 18, "high": 30},
        "finance.initial_cash": {"dist": "lognormal", "median": 2.0e10, "sigma": 0.5},
    },
    "deals_and_finance": {
        "policy.planned_growth": 6.0, "policy.review_months": 6,
        "deals": [{"start": "2027-07", "gw": 4.5, "years": 5, "price_per_gw_year": 13.3e9},
                  {"signed": "2027-01", "start": "2028-01", "gw": 30.0, "years": 3}],
        "compute.sublease_recovery": 0.5, "compute.termination_fee": 0.3,
        "finance.debt": {"limit": 1.0, "rate": 0.08, "covenant": 2.0},
        "finance.credit_limit": {"revenue_multiple": 10.0, "cash_multiple": 1.0},
        "finance.valuation_growth_elasticity": 0.5,
    },
}  # fmt: skip


class _AllMonths:
    """Results whose ``monthly`` spans horizon and run-off."""

    def __init__(self, res) -> None:
        self.scenario, self.path, self.yearly, self.horizon = (
            res.scenario, res.path, res.yearly, res.horizon_months,
        )  # fmt: skip
        self.monthly = {k: res.monthly_all(k) for k in res.monthly}
        self.horizon_monthly = res.monthly


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def res(request, base):
    scenario = base.replace(**VARIANTS[request.param])
    return _AllMonths(run(scenario, paths=600, seed=7))


def test_capacity_is_conserved(res):
    m = res.monthly
    total = m["inference_gw"] + m["training_gw"] + m["idle_gw"] + m["subleased_gw"]
    np.testing.assert_allclose(total, m["capacity_gw"], rtol=1e-12, atol=1e-9)
    for k in ("inference_gw", "training_gw", "idle_gw", "subleased_gw"):
        assert (m[k] >= -1e-9).all(), k


def test_revenue_bounded_by_demand_and_inference_capacity(res):
    m, p = res.monthly, res.scenario
    assert (m["revenue"] <= m["demand"] / 12.0 * (1 + 1e-12)).all()
    assert (m["unserved"] >= -1e-6).all()
    np.testing.assert_allclose(m["revenue"] + m["unserved"], m["demand"] / 12.0, rtol=1e-12)
    # inference never exceeds its cap (1 - min_training_share) of capacity
    mts = p.allocation.min_training_share
    assert (m["inference_gw"] <= (1 - mts) * m["capacity_gw"] + 1e-9).all()


def test_cash_identity(res):
    m = res.monthly
    s = res.scenario
    initial = (
        np.full(m["cash"].shape[0], s.finance.initial_cash)
        if isinstance(s.finance.initial_cash, float)
        else None
    )
    costs = (m["compute_cost"] + m["other_cost"] + m["fixed_cost"] + m["interest"]
             + m["termination_fees"])  # fmt: skip
    inflows = m["revenue"] + m["sublease_revenue"] + m["raised"] + m["borrowed"] - m["repaid"]
    flows = (inflows - costs).sum(axis=1)
    if initial is None:  # random initial cash: recover it from month 0
        initial = m["cash"][:, 0] - (inflows - costs)[:, 0]
        assert (initial > 0).all()
    np.testing.assert_allclose(m["cash"][:, -1], initial + flows, rtol=1e-9, atol=1.0)


def test_bankruptcy_is_absorbing(res):
    m = res.monthly
    bm = res.path["bankrupt_month"][: m["cash"].shape[0]]
    months = np.arange(m["cash"].shape[1])
    after = months[None, :] > bm[:, None]
    after &= (bm >= 0)[:, None]
    for k in ("capacity_gw", "revenue", "compute_cost", "fixed_cost", "raised",
              "sublease_revenue", "interest", "borrowed", "termination_fees"):  # fmt: skip
        assert (m[k][after] == 0).all(), k
    # cash frozen after bankruptcy, and negative at the month of bankruptcy
    rows = np.flatnonzero(bm >= 0)
    for i in rows:
        assert m["cash"][i, bm[i]] < 0
        assert (m["cash"][i, bm[i] :] == m["cash"][i, bm[i]]).all()
        assert not m["alive"][i, bm[i] :].any()
    alive_rows = np.flatnonzero(bm < 0)
    assert (m["cash"][alive_rows] >= 0).all()


def test_yearly_aggregates_match_monthly(res):
    y, m = res.yearly, res.horizon_monthly
    n = m["revenue"].shape[0]
    np.testing.assert_allclose(y["revenue"][:n].sum(axis=1), m["revenue"].sum(axis=1), rtol=1e-10)
    np.testing.assert_allclose(y["cash"][:n, -1], m["cash"][:, -1])
    np.testing.assert_allclose(y["capacity_gw_end"][:n, 0], m["capacity_gw"][:, 11])


def test_kernel_yearly_aggregates_equal_the_numpy_reduction(res):
    """Two implementations: the kernel accumulates calendar years inside its month loop;
    sim.model.results.aggregate_years reduces the monthly records with numpy."""
    from sim.model.results import aggregate_years

    m = res.horizon_monthly
    n = m["revenue"].shape[0]
    ref = aggregate_years(m, res.scenario.simulation.start)
    for key, expected in ref.items():
        # The two sum months in a different order: a year's sum carries ~1e-16 x the size of
        # its terms, which near a zero crossing (a profit of -$12M from $100B terms) is more
        # than a fixed 1e-6 atol; the tolerance scales with the largest yearly figure instead.
        scale = float(np.nanmax(np.abs(expected), initial=0.0))
        np.testing.assert_allclose(
            res.yearly[key][:n], expected, rtol=1e-12, atol=max(1e-6, 1e-12 * scale),
            err_msg=key, equal_nan=True,
        )  # fmt: skip


def test_the_finance_variant_exercises_every_flow(base):
    """The identities above mean something for deals and finance only if their flows occur."""
    scenario = base.replace(**VARIANTS["deals_and_finance"])
    m = _AllMonths(run(scenario, paths=600, seed=7)).monthly
    for k in ("subleased_gw", "sublease_revenue", "interest", "borrowed", "repaid", "refused_gw"):
        assert m[k].sum() > 0, k
