"""Deals, debt, credit checks, sublease, termination and decision units.

Hand cases on DOMAIN.md's steady state ($150B revenue served by 8.33 GW, $50B profit a
year, nothing random), then properties of the deal comparison on base.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim import run, summarize
from sim.analysis.deal import evaluate_deal, run_deal, with_deal
from sim.cli import main as cli_main
from sim.errors import ScenarioError
from sim.model.io import scenario_from_dict

B = 1e9
PLAN_2X = {"kind": "planned_growth", "planned_growth": 2.0, "review_months": 12,
           "plan_to_ceiling": False}  # fmt: skip


def _steady(steady, **updates):
    """The steady state with supply that never binds (its default cap, 2.4 GW, would cut
    every new contract of a lab that already holds 8.33 GW)."""
    return steady.replace(**{"simulation.paths": 3, "compute.industry_gw_start": 1e4, **updates})


def test_debt_interest_for_a_year(steady):
    """A $1B monthly shortfall, no raises, 12%/yr debt: the line covers every month.

    D_t = 1.01 D_(t-1) + $1B, so after 12 months D = $1B x (1.01^12 - 1) / 0.01 = $12.68B,
    of which $0.68B is interest paid on the debt (1% of the balance each month); cash
    stays at exactly 0. The debt compounds until it passes the $150B limit (1 x revenue):
    1.01^(t+1) > 2.5 first at t = 92, the month the lab goes bankrupt.
    """
    s = _steady(steady, **{
        "economics.fixed_costs_per_year": 50 * B + 12 * B, "finance.initial_cash": 0.0,
        "finance.max_raise_per_year": 0.0,
        "finance.debt": {"limit": 1.0, "rate": 0.12, "covenant": 2.0},
    })  # fmt: skip
    res = run(s)
    debt = B * (1.01**12 - 1) / 0.01
    np.testing.assert_allclose(res.monthly["debt"][:, 11], debt, rtol=1e-12)
    np.testing.assert_allclose(res.yearly["interest"][:, 0], debt - 12 * B, rtol=1e-9)
    np.testing.assert_allclose(res.monthly["interest"][:, 1], 0.01 * B, rtol=1e-12)
    np.testing.assert_allclose(res.monthly["cash"][:, :12], 0.0, atol=1e-3)
    assert (res.path["bankrupt_month"] == 92).all()
    # identity: cash moves by net operating flow + raised + borrowed - repaid, every month
    m = res.monthly
    net = (m["revenue"] + m["sublease_revenue"] - m["compute_cost"] - m["other_cost"]
           - m["fixed_cost"] - m["interest"] - m["termination_fees"])  # fmt: skip
    flow = net + m["raised"] + m["borrowed"] - m["repaid"]
    np.testing.assert_allclose(np.diff(m["cash"], axis=1), flow[:, 1:], rtol=0, atol=1e-3)


def test_without_debt_the_same_shortfall_is_bankruptcy_in_month_zero(steady):
    s = _steady(steady, **{"economics.fixed_costs_per_year": 62 * B,
                           "finance.initial_cash": 0.0, "finance.max_raise_per_year": 0.0})  # fmt: skip
    assert (run(s).path["bankrupt_month"] == 0).all()


def _costly_first_year(steady, debt):
    """6 GW more for 2026 only: $6B a month more compute, so the lab loses $1.83B a month
    in 2026 and earns $4.17B a month afterwards (revenue stays $150B/yr)."""
    return _steady(steady, policy={"kind": "fixed_schedule", "tranches": [
        {"start": "2026-01", "gw": 6.0, "years": 1}]}, **{
        "finance.initial_cash": 0.0, "finance.max_raise_per_year": 0.0, "finance.debt": debt,
    })  # fmt: skip


def test_debt_is_repaid_from_profit(steady):
    """At 0% interest the debt reaches 12 x $1.83B = $22B, then $4.17B a month repays it:
    $1.17B left after 5 months of repayment, none after 6; cash is 0 until then."""
    res = run(_costly_first_year(steady, {"limit": 1.0, "rate": 0.0, "covenant": 1.0}))
    loss, profit = 6 * B - 50 * B / 12, 50 * B / 12
    debt = res.monthly["debt"]
    np.testing.assert_allclose(debt[:, 11], 12 * loss, rtol=1e-12)
    np.testing.assert_allclose(debt[:, 16], 12 * loss - 5 * profit, rtol=1e-9)
    np.testing.assert_allclose(debt[:, 17:], 0.0, atol=1e-3)
    np.testing.assert_allclose(res.monthly["cash"][:, 17], profit - (12 * loss - 5 * profit),
                               rtol=1e-9)  # fmt: skip
    assert not res.bankrupt.any()


def test_debt_limit_binds(steady):
    """A line of 0.1 x $150B = $15B covers 8 months of $1.83B losses, not 9: bankrupt in
    month 8 (the 9th month)."""
    res = run(_costly_first_year(steady, {"limit": 0.1, "rate": 0.0, "covenant": 0.1}))
    assert (res.path["bankrupt_month"] == 8).all()
    np.testing.assert_allclose(res.monthly["debt"][:, 8], 15 * B, rtol=1e-12)


def test_sublease_turns_surplus_gw_into_revenue_at_the_discount(steady):
    """16.67 GW ($200B/yr) for demand that needs 4.17 GW of inference: training keeps its
    planned 50% (8.33 GW), the other 4.17 GW are subleased at half the $12B price:
    $25B/yr of sublease revenue. Profit = 150 - 200 + 25 = -$25B/yr instead of -$50B."""
    gw = 200 / 12
    s = _steady(steady, **{"compute.initial_gw": gw, "finance.initial_cash": 500 * B,
                           "compute.sublease_recovery": 0.5})  # fmt: skip
    res = run(s)
    np.testing.assert_allclose(res.monthly["subleased_gw"], gw - 150 / 36 - gw / 2, rtol=1e-12)
    np.testing.assert_allclose(res.yearly["sublease_revenue"], 25 * B, rtol=1e-12)
    np.testing.assert_allclose(res.yearly["profit"], -25 * B, rtol=1e-9)
    np.testing.assert_allclose(res.monthly["training_gw"], gw / 2, rtol=1e-12)
    # capacity identity: inference + training + idle + subleased = capacity
    m = res.monthly
    total = m["inference_gw"] + m["training_gw"] + m["idle_gw"] + m["subleased_gw"]
    np.testing.assert_allclose(total, m["capacity_gw"], rtol=1e-12)
    off = run(s.replace(**{"compute.sublease_recovery": 0.0}))
    np.testing.assert_allclose(off.yearly["profit"], -50 * B, rtol=1e-9)
    assert off.monthly["subleased_gw"].max() == 0


def test_credit_check_refuses_an_order_and_says_so(steady):
    """A 2x plan orders 8.33 GW ($500B over 5 years) at month 0. Counterparties sign up to
    8 x the $150B run-rate = $1,200B of obligations; the running 10-year contract still owes
    $1,000B, so only $200B = 3.33 GW is signed and 5 GW are refused."""
    s = _steady(steady, policy=PLAN_2X, **{
        "compute.lead_time_months": 12, "compute.initial_contract_years_left": 10,
        "finance.credit_limit": {"revenue_multiple": 8.0, "cash_multiple": 0.0},
    })  # fmt: skip
    res = run(s)
    np.testing.assert_allclose(res.monthly["ordered_gw"][:, 0], 200 / 60, rtol=1e-12)
    np.testing.assert_allclose(res.monthly["refused_gw"][:, 0], 25 / 3 - 200 / 60, rtol=1e-12)
    np.testing.assert_allclose(res.monthly["capacity_gw"][:, 12], 25 / 3 + 200 / 60, rtol=1e-12)
    summary = summarize(res)
    assert summary["p_refused"] == 1.0
    assert summary["refused_gw_mean"] > 5.0  # later reviews are cut too
    without = run(s.replace(**{"finance.credit_limit": None}))
    np.testing.assert_allclose(without.monthly["ordered_gw"][:, 0], 25 / 3, rtol=1e-12)
    assert without.monthly["refused_gw"].max() == 0


def test_deal_counts_as_committed_for_the_policy(steady):
    """With 3 GW from month 12 signed at the start, the 2x plan's first order shrinks by
    exactly 3 GW; capacity at month 12 is the same with and without the deal."""
    s = _steady(steady, policy=PLAN_2X, **{"compute.lead_time_months": 12,
                                           "compute.initial_contract_years_left": 10,
                                           "finance.initial_cash": 1000 * B})  # fmt: skip
    deal = {"start": "2027-01", "gw": 3.0, "years": 5, "price_per_gw_year": 10 * B}
    a, b = run(s), run(with_deal(s, deal))
    np.testing.assert_allclose(b.monthly["ordered_gw"][:, 0], a.monthly["ordered_gw"][:, 0] - 3)
    np.testing.assert_allclose(b.monthly["capacity_gw"], a.monthly["capacity_gw"], rtol=1e-12)
    # the 3 GW are cheaper ($10B vs $12B per GW-year): $6B a year saved from 2027
    saved = a.yearly["compute_cost"] - b.yearly["compute_cost"]
    np.testing.assert_allclose(saved[:, 0], 0.0, atol=1e-3)
    np.testing.assert_allclose(saved[:, 1:5], 6 * B, rtol=1e-9)
    units = summarize(b)
    assert units["gw_by_delivery_year"]["2027"]["p50"] == pytest.approx(25 / 3)


def test_unused_deal_npv_is_its_discounted_cost(steady):
    """Demand is already served: 1 GW for 2027 at $12B adds only cost, $1B a month in
    months 12-23, so the deal's NPV is -sum $1B x 1.1^(-t/12) and the verdict declines."""
    s = _steady(steady)
    runs = run_deal(s, {"start": "2027-01", "gw": 1.0, "years": 1})
    result = evaluate_deal(runs)
    npv = -sum(B * 1.1 ** (-t / 12) for t in range(12, 24))
    assert result["npv_p50"] == pytest.approx(npv, rel=1e-9)
    assert result["regret"]["share_npv_negative"] == 1.0
    assert result["p_bankrupt_with"] == result["p_bankrupt_without"] == 0.0
    assert result["decision"] == "decline"
    faster = evaluate_deal(run_deal(s, {"start": "2027-01", "gw": 1.0, "years": 1},
                                    discount_rate=0.0))  # fmt: skip
    assert faster["npv_p50"] == pytest.approx(-12 * B, rel=1e-9)


def test_deal_beyond_the_supply_cap_is_cut_and_reported(classic, capsys, tmp_path):
    s = classic.replace(**{"simulation.paths": 500})
    (tmp_path / "s.yaml").write_text(json.dumps(s.model_dump(mode="json", exclude_none=True)))
    code = cli_main(["deal", str(tmp_path / "s.yaml"), "--start", "2026-06", "--gw", "50",
                     "--years", "3", "--out", str(tmp_path / "d"), "--quiet"])  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err
    assert "warning: the deal (50 GW from 2026-06)" in err
    assert "cut by" in err
    result = json.loads((tmp_path / "d" / "deal.json").read_text())
    # supply at month 5: 20% of 12 GW x 3^(5/12) = 3.9 GW, of which the lab holds 1 GW
    cap = 0.2 * 12 * 3 ** (5 / 12)
    assert result["truncated_gw"] == pytest.approx(50 - (cap - 1.0), rel=1e-9)
    assert result["truncated_share_of_paths"] == 1.0


def test_deal_command_writes_the_answer(tmp_path):
    code = cli_main(["deal", "--start", "2027-07", "--gw", "4.5", "--years", "5", "--price",
                     "13.3e9", "--paths", "2000", "--out", str(tmp_path), "--quiet"])  # fmt: skip
    assert code == 0
    r = json.loads((tmp_path / "deal.json").read_text())
    for key in ("p_bankrupt_without", "p_bankrupt_with", "delta_p_bankrupt",
                "delta_p_bankrupt_ci95", "delta_cum_revenue_p50", "npv_p50", "truncated_gw",
                "verdict"):  # fmt: skip
        assert key in r, key
    lo, hi = r["delta_p_bankrupt_ci95"]
    assert lo <= r["delta_p_bankrupt"] <= hi
    assert r["delta_p_bankrupt"] == pytest.approx(r["p_bankrupt_with"] - r["p_bankrupt_without"])
    assert r["npv_p10"] <= r["npv_p50"] <= r["npv_p90"]
    assert r["decision"] in {"sign", "decline", "over_budget"}
    assert r["verdict"].split(":")[0] in {"SIGN", "DECLINE", "OVER BUDGET either way"}
    assert (tmp_path / "deal.md").read_text().startswith("## Deal: 4.5 GW from 2027-07")


def test_paired_deal_ci_is_narrower_than_unpaired(base):
    """Common random numbers: the paired interval of the change in P(bankrupt) is much
    narrower than two independent runs' would be (Newcombe unpaired)."""
    from sim.analysis.compare import newcombe_unpaired

    s = base.replace(**{"simulation.paths": 4000})
    r = evaluate_deal(run_deal(s, {"start": "2027-07", "gw": 4.5, "years": 5}))
    n = r["paths"]
    lo, hi = newcombe_unpaired(round(r["p_bankrupt_without"] * n), n,
                               round(r["p_bankrupt_with"] * n), n)  # fmt: skip
    paired = r["delta_p_bankrupt_ci95"]
    assert paired[1] - paired[0] < 0.5 * (hi - lo)


@pytest.mark.parametrize(
    ("deal", "field"),
    [
        ({"start": "2027-01", "gw": -1, "years": 5}, "deals[0].gw"),
        ({"start": "2027-01", "gw": 1, "years": 0}, "deals[0].years"),
        (
            {"start": "2027-01", "gw": 1, "years": 5, "price_per_gw_year": 0},
            "deals[0].price_per_gw_year",
        ),
        ({"start": "2027-01", "gw": 1, "years": 5, "typo": 1}, "unknown key 'typo'"),
        ({"start": "2025-01", "gw": 1, "years": 5}, "before it is signed"),
        ({"signed": "2035-01", "start": "2035-01", "gw": 1, "years": 5}, "inside the horizon"),
    ],
)
def test_bad_deals_name_the_field(steady, deal, field):
    data = steady.model_dump(mode="json", exclude_none=True)
    data["deals"] = [deal]
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(data, "x.yaml")
    assert field in str(exc.value)


@pytest.mark.parametrize(
    ("section", "value", "field"),
    [
        ("finance", {"debt": {"limit": 1.0, "rate": 2.0}}, "finance.debt.rate"),
        ("finance", {"debt": {"limit": 3.0, "covenant": 2.0}}, "covenant"),
        ("finance", {"debt": {"limits": 1.0}}, "finance.debt: unknown key 'limits'"),
        (
            "finance",
            {"credit_limit": {"revenue_multiple": -1}},
            "finance.credit_limit.revenue_multiple",
        ),
        ("compute", {"sublease_recovery": 1.0}, "compute.sublease_recovery"),
        ("compute", {"termination_fee": 1.5}, "compute.termination_fee"),
        ("finance", {"discount_rate": -0.1}, "finance.discount_rate"),
        ("finance", {"valuation_growth_elasticity": 9}, "finance.valuation_growth_elasticity"),
    ],
)
def test_bad_finance_keys_name_the_field(steady, section, value, field):
    data = steady.model_dump(mode="json", exclude_none=True)
    data[section].update(value)
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(data, "x.yaml")
    assert field in str(exc.value)


def test_mechanisms_are_off_by_default(base):
    """No deal, debt, credit check, sublease or termination unless a scenario sets them."""
    res = run(base.replace(**{"simulation.paths": 500}))
    for name in ("subleased_gw", "interest", "borrowed", "refused_gw", "termination_fees"):
        assert res.monthly[name].max() == 0, name
    s = summarize(res)
    assert s["truncated_deals"] == []
    assert s["debt_at_end_p90"] == 0.0


def test_valuation_follows_trailing_growth(classic):
    """Markets paying for growth (elasticity 1, reference 3x): the first raise after month 0 is
    (trailing annual growth of served revenue / 3) times what it is without, the growth
    measured from the monthly records as the engine does (over the last 12 months, or
    annualized since the start in the first year)."""
    s = classic.replace(
        **{
            "simulation.paths": 300,
            "finance.max_raise_per_year": 1e13,
            "finance.initial_cash": 3e9,
            "economics.fixed_costs_per_year": 30e9,
        }
    )
    flat = run(s)
    paid = run(s.replace(**{"finance.valuation_growth_elasticity": 1.0}))
    a, b = flat.monthly["raised"], paid.monthly["raised"]
    served = 12 * flat.monthly["revenue"]
    checked = 0
    for i in range(a.shape[0]):
        # a raise at month 0 is at the reference growth (same size): skip it
        later_a, later_b = np.flatnonzero(a[i, 1:] > 0) + 1, np.flatnonzero(b[i, 1:] > 0) + 1
        if later_a.size == 0 or later_b.size == 0 or later_a[0] != later_b[0]:
            continue
        t = later_a[0]
        back = max(0, t - 12)
        growth = (served[i, t] / served[i, back]) ** (12 / (t - back))
        assert b[i, t] / a[i, t] == pytest.approx(growth / 3.0, rel=1e-9)
        checked += 1
    assert checked > 50


def test_commitments_add_up_to_the_book(classic):
    """New GW by delivery year sum to all GW the policy ordered (nothing lost or doubled)."""
    res = run(classic.replace(**{"simulation.paths": 200, "demand.volatility": 0.0}))
    ordered = res.monthly["ordered_gw"].sum(axis=1)
    np.testing.assert_allclose(res.commitments["new_gw"].sum(axis=1)[:200], ordered, rtol=1e-9)
    usd = res.commitments["new_commitment_usd"].sum(axis=1)
    np.testing.assert_allclose(usd, ordered * 12 * B * 5, rtol=1e-9)


def test_bankruptcy_is_attributed_to_commitment_years(base):
    res = run(base.replace(**{"simulation.paths": 4000}))
    split = summarize(res)["p_bankrupt_by_commitment_year"]
    assert sum(split.values()) == pytest.approx(res.bankrupt.mean())
    assert all(k == "before_start" or 2026 <= int(k) <= 2031 for k in split)


def test_optimize_searches_a_deal_size_and_reports_decision_units(classic, tmp_path):
    s = classic.replace(**{"simulation.paths": 1000, "deals": [
        {"start": "2027-07", "gw": 1.0, "years": 5}]})  # fmt: skip
    (tmp_path / "s.yaml").write_text(json.dumps(s.model_dump(mode="json", exclude_none=True)))
    code = cli_main(["optimize", str(tmp_path / "s.yaml"), "--param", "deals.0.gw", "--lo",
                     "0", "--hi", "20", "--paths", "1000", "--out", str(tmp_path / "o")])  # fmt: skip
    assert code == 0
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["param"] == "deals.0.gw"
    assert summary["feasible"]
    # the deal delivers in 2027 (cut by the supply cap where it exceeds it)
    gw = summary["gw_by_delivery_year"]["2027"]
    assert 0 < gw["p50"] <= gw["p90"] <= summary["value"] + 1e-9
    money = summary["commitment_usd_by_year"]["2027"]
    assert money["p90"] == pytest.approx(gw["p90"] * 12 * B * 5, rel=1e-9)


def test_credit_check_applies_to_tranches_signed_at_the_start(steady):
    """A 10 GW, 5-year tranche ($600B) next to a contract still owing $1,000B: within 10 x
    the $150B opening run-rate = $1,500B only $500B = 8.33 GW is signed; 1.67 GW refused in
    month 0."""
    s = _steady(steady, policy={"kind": "fixed_schedule", "tranches": [
        {"start": "2027-01", "gw": 10.0, "years": 5}]},
        **{"finance.credit_limit": {"revenue_multiple": 10.0, "cash_multiple": 0.0},
           "finance.initial_cash": 500 * B})  # fmt: skip
    res = run(s)
    np.testing.assert_allclose(res.monthly["refused_gw"][:, 0], 10 - 500 / 60, rtol=1e-12)
    np.testing.assert_allclose(res.monthly["capacity_gw"][:, 12], 25 / 3 + 500 / 60, rtol=1e-12)
