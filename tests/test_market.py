"""The market (docs/model.md section 5d): identities every month, the reduction to a lone
lab, prices, sublease, valuation, the acceptance checks of issue 24, and bad input.

Base turns the market on; its runs here use 2,000 paths and base's seed, so the
statistical checks are deterministic given the seed (tolerances are explained where used).
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.stats import spearmanr

from sim import ScenarioError, load_scenario, run, scenario_from_dict, summarize
from sim.cli import main
from sim.model.kernel.competition import doublings
from sim.model.kernel.market import (
    capability_premium,
    clear_price,
    half_steps,
    lab_share,
    lab_shares,
    power,
    price_terms,
    ration,
)
from sim.model.market import terminal_multiple
from sim.model.scenario import Scenario, lone_lab

ROOT = Path(__file__).resolve().parents[1]
BASE = load_scenario(ROOT / "scenarios" / "base.yaml")
BASE_DICT = yaml.safe_load((ROOT / "scenarios" / "base.yaml").read_text())
PATHS = 2000
TOL = 1e-9  # relative slack of the identities: sums of floats, not model error


@cache
def base_run():  # type: ignore[no-untyped-def]
    return run(BASE, paths=PATHS)


def _all(res, name: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    return res.monthly_all(name)


def test_base_turns_the_market_on() -> None:
    assert BASE.market is not None
    assert BASE.competition is not None


@cache
def flat_run():  # type: ignore[no-untyped-def]
    """Base without pricing power (exponent 0): a GW earns the market's revenue per GW."""
    return run(BASE.replace(**{"market.capability_price_exponent": 0.0}), paths=PATHS)


@pytest.mark.parametrize("pricing_power", [True, False], ids=["base", "no-pricing-power"])
def test_identities_every_month(pricing_power: bool) -> None:
    res = base_run() if pricing_power else flat_run()
    lab_gw, rivals_gw, supply = (_all(res, k) for k in ("capacity_gw", "rivals_gw", "industry_gw"))
    assert np.all(lab_gw + rivals_gw <= supply * (1 + TOL))
    market, served_all = _all(res, "market_demand"), _all(res, "market_served")
    demand, revenue = _all(res, "demand"), _all(res, "revenue")
    ceiling = res.params["demand.ceiling"][:, None]
    assert np.all(served_all <= market * (1 + TOL))
    assert np.all(market <= ceiling)
    assert np.all(revenue * 12.0 <= demand * (1 + TOL))  # the lab serves within its demand
    assert np.all(demand <= market * (1 + TOL))  # its potential demand within the market's
    assert np.all(revenue * 12.0 <= served_all * (1 + TOL))
    share = _all(res, "demand_share")
    assert np.all((share >= 0.0) & (share <= 1.0))
    floor = res.params["market.price_floor_per_gw_year"][:, None]
    cap = res.params["market.price_cap_per_gw_year"][:, None]
    for name in ("contract_price", "spot_price"):
        price = _all(res, name)
        assert np.all((price >= floor) & (price <= cap)), name
    # the split: what rivals served plus what nobody served is the lab's unserved demand
    split = _all(res, "lost_to_rivals") + _all(res, "unserved_by_market")
    np.testing.assert_allclose(split, _all(res, "unserved"), rtol=1e-12, atol=1e-3)
    assert np.all(_all(res, "lost_to_rivals") >= 0.0)
    assert np.all(_all(res, "unserved_by_market") >= -1e-3)  # USD/month, float dust
    # training + inference + idle = capacity still holds for the lab
    parts = _all(res, "training_gw") + _all(res, "inference_gw") + _all(res, "idle_gw")
    np.testing.assert_allclose(parts, lab_gw, rtol=1e-12, atol=1e-12)


def test_split_sums_to_unserved_share() -> None:
    s = summarize(base_run())
    assert s["lost_to_rivals_share"] + s["unserved_by_market_share"] == pytest.approx(
        s["unserved_share_of_demand"], rel=1e-9
    )
    for row in s["by_year"]:
        for key in ("market_demand_p50", "market_share_p50", "spot_price_p50"):
            assert row[key] is not None, key
            assert np.isfinite(row[key]), key


def test_acceptance_shares_and_capacity() -> None:
    """Issue 24: market share P50 2031 in [5%, 60%]; industry capacity P50 2028 in DOMAIN's
    60-200 GW (mean over the year's months: supply grows ~3x within the year)."""
    s = summarize(base_run())
    rows = {r["year"]: r for r in s["by_year"]}
    assert 0.05 <= rows[2031]["market_share_p50"] <= 0.60
    assert 60.0 <= rows[2028]["industry_capacity_gw_p50"] <= 200.0


def test_acceptance_rank_correlations() -> None:
    """2029's spot price falls as over-build (lab + rivals GW per USD of market demand)
    rises; rivals' 2029 GW rise with the market demand they saw in 2028. 2,000 paths: the
    standard error of a rank correlation is below 0.03, far from the thresholds."""
    res = base_run()
    y, years = res.yearly, list(res.years)
    j28, j29 = years.index(2028), years.index(2029)
    over = (y["capacity_gw_mean"][:, j29] + y["rivals_capacity_gw"][:, j29]) / y["market_demand"][
        :, j29
    ]
    assert spearmanr(y["spot_price"][:, j29], over).statistic < -0.5
    rivals = y["rivals_capacity_gw"][:, j29]
    assert spearmanr(rivals, y["market_demand"][:, j28]).statistic > 0.5


ALONE = {
    "competition": {"initial_share": 1.0, "elasticity": 1.5},
    "market": {"rivals_initial_gw": 0.0, "contract_price_elasticity": 0.0,
               "spot_price_elasticity": 0.0},
}  # fmt: skip
SAME = (
    "demand", "capacity_gw", "inference_gw", "training_gw", "idle_gw", "revenue", "unserved",
    "compute_cost", "other_cost", "fixed_cost", "raised", "cash", "ordered_gw", "alive",
    "lost", "subleased_gw", "sublease_revenue", "interest", "borrowed", "repaid", "debt",
    "refused_gw", "termination_fees",
)  # fmt: skip


@pytest.mark.parametrize("extra", [{}, {"compute.sublease_recovery": 0.5}])
def test_one_lab_without_rivals_is_todays_model_exactly(extra: dict) -> None:
    """One lab (share 1), no rivals, prices that do not move: every record of the lab is
    bit-for-bit today's. The ceiling is out of reach (1e30) because the market clamps its
    demand at the ceiling while a lone lab's demand may overshoot it by its noise."""
    lone = lone_lab(BASE).replace(**{"demand.ceiling": 1e30, **extra})
    data = lone.model_dump(by_alias=True, exclude_none=True)
    data.update(copy.deepcopy(ALONE))
    market = Scenario.model_validate(data)
    a, b = run(lone, paths=300), run(market, paths=300)
    for name in SAME:
        np.testing.assert_array_equal(a.monthly_all(name), b.monthly_all(name), err_msg=name)
    for name in ("revenue", "demand", "unserved", "cash", "capacity_gw_end", "alive", "profit"):
        np.testing.assert_array_equal(a.yearly[name], b.yearly[name], err_msg=name)
    for name in ("bankrupt_month", "cum_revenue", "final_cash", "cum_unserved"):
        np.testing.assert_array_equal(a.path[name], b.path[name], err_msg=name)
    # the market's valuation method, with all its growth ahead (ceiling 1e30): the same
    # multiple up to the rounding of 1 - D / 1e30
    np.testing.assert_allclose(a.path["equity_value"], b.path["equity_value"], rtol=1e-12)
    # nothing to lose to rivals that do not exist
    assert np.all(b.path["cum_lost_to_rivals"] == 0.0)
    assert np.all(np.isnan(a.path["cum_lost_to_rivals"]))


def test_sublease_recovers_the_spot_price() -> None:
    res = run(BASE.replace(**{"compute.sublease_recovery": 0.8}), paths=300)
    gw, rev, spot = (res.monthly_all(k) for k in ("subleased_gw", "sublease_revenue", "spot_price"))
    assert gw.max() > 0  # the mechanism fired
    np.testing.assert_allclose(rev, gw * spot * 0.8 / 12.0, rtol=1e-12)
    assert np.ptp(spot[gw > 0]) > 0  # and not at one fixed price


def test_take_or_pay_keeps_its_signed_price() -> None:
    """Rebuild each solvent path's compute cost from its contracts: the initial ones at
    compute.price_per_gw_year, each order at the contract price of the month it was signed."""
    s = BASE
    res = run(s, paths=200)
    ordered, price = res.monthly_all("ordered_gw"), res.monthly_all("contract_price")
    cost, alive = res.monthly_all("compute_cost"), res.monthly_all("alive")
    months = cost.shape[1]
    lead, length = 18, 60
    initial = np.rint(res.params["compute.initial_contract_years_left"] * 12).astype(int)
    checked = 0
    for i in range(cost.shape[0]):
        if not alive[i, -1]:
            continue
        expect = np.zeros(months)
        expect[: initial[i]] += 1.9 * 12.0e9 / 12.0
        for t in np.flatnonzero(ordered[i] > 0):
            expect[t + lead : t + lead + length] += ordered[i, t] * price[i, t] / 12.0
        np.testing.assert_allclose(cost[i], expect, rtol=1e-9)
        checked += 1
    assert checked > 100
    assert np.ptp(price[ordered > 0]) > 1e9  # orders were signed at different prices


def test_market_functions_by_hand() -> None:
    assert lab_share(0.0, 1.0, 0.25) == pytest.approx(0.25)
    assert lab_share(50.0, 1.0, 1.0) == 1.0  # alone: all of it, whatever its capability
    assert lab_shares(0.3, 0.8, 0.25) == pytest.approx(
        (lab_share(0.3, 0.8, 0.25), lab_share(0.3, 1.0, 0.25))
    )
    # x1.5 odds per doubling: one doubling ahead, odds 1/3 -> 1/2, share 1/3
    assert lab_share(np.log(1.5), 1.0, 0.25) == pytest.approx(1.0 / 3.0)
    assert ration(3.0, 1.0, 2.0) == pytest.approx((1.5, 0.5))  # pro rata
    assert ration(3.0, 1.0, 5.0) == (3.0, 1.0)  # room for both
    assert ration(3.0, 1.0, 0.0) == (0.0, 0.0)
    odds, spot_n, _ = price_terms(12e9, 2.5e9, 20e9, 1.5, 0.7)
    assert (spot_n, half_steps(0.5), half_steps(0.7), half_steps(5.0)) == (3, 1, 0, 0)
    assert odds == pytest.approx(8.0 / 9.5)
    assert clear_price(12e9, odds, 1.0, 1.5, 3, 2.5e9, 20e9) == pytest.approx(12e9)  # tightness 1
    assert clear_price(12e9, odds, 2.0, 0.0, 0, 2.5e9, 20e9) == 12e9  # no elasticity: fixed
    assert clear_price(12e9, odds, 0.0, 1.5, 3, 2.5e9, 20e9) == 2.5e9  # no demand: the floor
    assert clear_price(12e9, odds, np.inf, 1.5, 3, 2.5e9, 20e9) == 20e9  # no GW online: the cap
    # the logistic in ln x by hand: floor + (cap - floor) / (1 + o x^-e), x = 4, e = 1.5
    by_hand = 2.5e9 + 17.5e9 / (1.0 + odds * 4.0**-1.5)
    assert clear_price(12e9, odds, 4.0, 1.5, 3, 2.5e9, 20e9) == pytest.approx(by_hand, rel=1e-14)
    assert (
        clear_price(12e9, price_terms(2.5e9, 2.5e9, 20e9, 1.5, 1.5)[0], 4.0, 1.5, 3, 2.5e9, 20e9)
        == 2.5e9
    )
    xs = np.geomspace(1e-3, 1e3, 61)
    for e in (0.5, 0.7, 1.5):  # a half-integer (sqrt and products) and a general one (pow)
        prices = np.array([clear_price(12e9, odds, x, e, half_steps(e), 2.5e9, 20e9) for x in xs])
        assert np.all(np.diff(prices) > 0)
        assert prices[0] > 2.5e9
        assert prices[-1] < 20e9


def test_power_by_sqrt_and_products_matches_pow() -> None:
    """The price's ``x^e`` takes sqrt and products for half-integer ``e`` up to 4: within a
    few units in the last place of ``pow`` (the products add at most one rounding each)."""
    rng = np.random.default_rng(7)
    xs = np.exp(rng.uniform(-12.0, 12.0, 2000))
    for e in (0.5, 1.0, 1.5, 2.0, 2.5, 4.0, 0.7, 3.3, 4.5):
        got = np.array([power(x, e, half_steps(e)) for x in xs])
        np.testing.assert_allclose(got, xs**e, rtol=1e-14, err_msg=f"e = {e}")
    assert power(2.0, 1.0, 2) == 2.0
    assert power(4.0, 0.5, 1) == 2.0
    assert power(4.0, 1.5, 3) == 8.0


def test_valuation_multiple_falls_with_the_markets_remaining_growth() -> None:
    draws = {
        "finance.valuation_multiple": np.array([20.0, 20.0, 20.0]),
        "market.mature_multiple": np.array([8.0, 8.0, 8.0]),
        "demand.ceiling": np.array([10e12, 10e12, 10e12]),
    }
    path = {"final_market_demand": np.array([0.0, 5e12, 10.2e12])}
    np.testing.assert_allclose(terminal_multiple(BASE, draws, path), [20.0, 14.0, 8.0])
    lone = lone_lab(BASE)
    np.testing.assert_array_equal(terminal_multiple(lone, draws, path), 20.0)


def _with(path: tuple, value: object) -> dict:
    data = copy.deepcopy(BASE_DICT)
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


BAD = [
    (("market", "rivals_initial_gw"), -1.0, "market.rivals_initial_gw", "[0, 100000]"),
    (("market", "rivals_training_share"), 1.0, "market.rivals_training_share", "[0, 1)"),
    (("market", "rivals_policy"), {"kind": "demand_quantile"}, "market.rivals_policy",
     "planned_growth"),
    (("market", "rivals_policy"), {"kind": "planned_growth", "planned_growth": 0.0},
     "market.rivals_policy.planned_growth", "[0.01, 100]"),
    (("market", "spot_price_elasticity"), 11, "market.spot_price_elasticity", "[0, 10]"),
    (("market", "spot_price_elastcity"), 1, "market", "did you mean 'spot_price_elasticity'"),
    (("market", "price_floor_per_gw_year"), 13e9, "market",
     "price_floor_per_gw_year must lie below compute.price_per_gw_year"),
    (("market", "price_cap_per_gw_year"), 11e9, "market",
     "price_cap_per_gw_year must not"),  # below the floor? no: above 2.5e9, below the price
    (("market", "mature_multiple"), {"dist": "normal", "mean": 8, "sd": 2}, "market.mature_multiple",
     "truncation bounds"),
    (("competition",), None, "market needs a competition section", "initial_share"),
    (("market", "rivals_policy"), {"kind": "planned_growth", "first_review_months": 80},
     "market.rivals_policy.first_review_months", "never order"),
    (("market",), "yes", "market", "valid dictionary"),
    (("market", "capability_price_exponent"), -0.5, "market.capability_price_exponent",
     "[0, 3]"),
    (("market", "capability_price_exponet"), 0.6, "market",
     "did you mean 'capability_price_exponent'"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "value", "field", "words"), BAD)
def test_bad_market_input_is_named(path: tuple, value: object, field: str, words: str) -> None:
    if path == ("market", "price_cap_per_gw_year"):
        words = "price_cap_per_gw_year must lie above compute.price_per_gw_year"
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(_with(path, value), "my.yaml")
    text = str(info.value)
    assert text.startswith("my.yaml: invalid scenario")
    assert field in text, text
    assert words in text, text


def test_bad_market_input_exits_2_naming_the_field(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(_with(("market", "rivals_training_share"), 1.5)))
    out = tmp_path / "out"
    assert main(["run", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "market.rivals_training_share" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_cli_run_prints_the_split_and_prices(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["run", "--paths", "300", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "went to rivals" in out
    assert "unserved by anyone" in out
    assert "contract $/GW-yr" in out
    assert "spot $/GW-yr" in out


def test_without_a_market_the_market_keys_are_null() -> None:
    s = summarize(run(lone_lab(BASE), paths=200))
    assert s["lost_to_rivals_share"] is None
    assert s["unserved_by_market_share"] is None
    assert all(r["market_share_p50"] is None for r in s["by_year"])


def _research_sweep(scenario: Scenario, shares: tuple[float, ...]) -> list[float]:
    """Median cumulative revenue of never-bankrupt paths [USD] for each protected research
    share (training_share raised to at least it), 2,000 paths, the scenario's seed."""
    medians = []
    for share in shares:
        s = scenario.replace(**{"allocation.training_share": max(0.5, share),
                                "allocation.min_training_share": share})  # fmt: skip
        res = run(s, paths=PATHS)
        never = res.path["bankrupt_month"] < 0
        medians.append(float(np.median(res.path["cum_revenue"][never])))
    return medians


SHARES = (0.1, 0.25, 0.4, 0.55, 0.7)
PRICING_POWER = 0.6  # market.capability_price_exponent from list prices (docs/model.md 5d)


@pytest.mark.slow
def test_protected_research_share_has_an_interior_best() -> None:
    """Sweep allocation.min_training_share over {0.1, 0.25, 0.4, 0.55, 0.7} (training_share
    raised to at least it), 2,000 paths, base's seed: the best median cumulative revenue of
    never-bankrupt paths must be interior and beat both ends by at least 2%. Base has pricing
    power at its calibrated exponent (0.6: 4x revenue per GW per 10x relative training
    compute); in a compute-bound market revenue then goes as (1 - s) s^k, best at
    s = k / (1 + k) = 0.375 (measured: $4.78T / $6.02T / $6.19T / $5.89T / $5.41T)."""
    assert BASE.market.capability_price_exponent == PRICING_POWER
    medians = _research_sweep(BASE, SHARES)
    best = int(np.argmax(medians))
    assert 0 < best < 4, medians
    assert medians[best] >= 1.02 * max(medians[0], medians[-1]), medians


@pytest.mark.slow
def test_without_pricing_power_research_never_pays_in_base() -> None:
    """The contrast that names the mechanism: base without pricing power (exponent 0) gives a
    median that falls with the protected share (compute-bound worlds: a GW kept for research
    is a GW not serving anyone, and a better model earns no more per GW)."""
    flat = BASE.replace(**{"market.capability_price_exponent": 0.0})
    medians = _research_sweep(flat, (0.1, 0.4, 0.7))
    assert medians[0] > medians[1] > medians[2], medians


def test_pricing_power_scales_revenue_per_inference_gw() -> None:
    """Revenue per GW of the lab's inference with pricing power, over the same month and
    path without it (same draws: the market's revenue per GW is a function of the path's
    parameters and the month only), is ((E/R)/(E0/R0))^0.6 from last month's training
    stocks: 2^(0.6 (log2(E/R)_{t-1} - log2(E0/R0))), 1 in the first month."""
    on, off = base_run(), flat_run()
    rate = {}
    for name, res in (("on", on), ("off", off)):
        with np.errstate(divide="ignore", invalid="ignore"):
            rate[name] = _all(res, "revenue") * 12.0 / _all(res, "inference_gw")
    rel = _all(on, "relative_capability")
    start = np.log2(
        BASE.competition.lab_training_gw_years / BASE.competition.rivals_training_gw_years
    )
    premium = np.ones_like(rel)
    premium[:, 1:] = 2.0 ** (0.6 * (rel[:, :-1] - start))
    ok = (_all(on, "inference_gw") > 1e-9) & (_all(off, "inference_gw") > 1e-9)
    assert ok.sum() > 1000  # compared in most path-months
    np.testing.assert_allclose(rate["on"][ok] / premium[ok], rate["off"][ok], rtol=1e-9)
    assert premium[ok].min() < 0.9  # it moves both ways in base
    assert premium[ok].max() > 1.5


def test_capability_premium_by_hand() -> None:
    """pi = ((E/R)/(E0/R0))^k: exactly 1 at k = 0 or at the start's ratio; a lab that has
    doubled its relative compute earns 2^0.6 = 1.516x per GW at k = 0.6; falls with the
    rivals' compute; 1 for a lab alone; the numerical guard keeps it finite without rivals."""

    def premium(lab: float, rivals: float, lab0: float, rivals0: float, k: float,
                alone: bool = False) -> float:  # fmt: skip
        # NaN without compute: not read, the guard answers first
        doubled = doublings(lab, rivals, lab0, rivals0) if lab > 0.0 and rivals > 0.0 else np.nan
        return capability_premium(doubled, lab, rivals, k, alone)

    assert premium(7.0, 3.0, 2.0, 5.0, 0.0) == 1.0
    assert premium(7.0, 3.0, 2.0, 5.0, 0.6, alone=True) == 1.0  # alone: no rival
    assert premium(2.0, 5.0, 2.0, 5.0, 0.6) == pytest.approx(1.0, rel=1e-15)
    assert premium(7.0, 17.5, 3.5, 17.5, 0.6) == pytest.approx(2**0.6, rel=1e-12)
    assert premium(3.5, 40.0, 3.5, 20.0, 0.6) == pytest.approx(0.5**0.6, rel=1e-12)
    assert premium(1.0, 0.0, 3.5, 20.0, 3.0) == pytest.approx(1e6, rel=1e-12)
    assert premium(0.0, 1.0, 3.5, 20.0, 3.0) == pytest.approx(1e-6, rel=1e-12)
    assert premium(1e9, 1e-9, 1.0, 1.0, 3.0) == pytest.approx(1e6, rel=1e-12)  # clamped


MARKET_HI = {
    "market": {"rivals_initial_gw": 1e5, "rivals_training_share": 0.999,
               "rivals_policy": {"kind": "planned_growth", "planned_growth": 100,
                                 "review_months": 1, "plan_to_ceiling": False},
               "contract_price_elasticity": 10, "spot_price_elasticity": 10,
               "price_floor_per_gw_year": 1.0, "price_cap_per_gw_year": 1e18,
               "mature_multiple": 1000, "capability_price_exponent": 3},
    "competition": {"initial_share": 1e-9, "elasticity": 10, "half_life_years": 0.1},
}  # fmt: skip
MARKET_LO = {
    "market": {"rivals_initial_gw": 0.0, "rivals_training_share": 0.0,
               "rivals_policy": {"kind": "adaptive", "prior_growth": 0.01,
                                 "prior_weight_years": 0, "review_months": 1},
               "contract_price_elasticity": 0, "spot_price_elasticity": 0,
               "price_floor_per_gw_year": 11.99e9, "price_cap_per_gw_year": 12.01e9,
               "mature_multiple": 0, "capability_price_exponent": 0},
    "competition": {"initial_share": 1.0, "elasticity": 1.0},
}  # fmt: skip
UNDEFINED = {"training_share", "gross_margin", "breaking_commitment_month", "market_share"}


@pytest.mark.parametrize("extremes", [MARKET_HI, MARKET_LO], ids=["hi", "lo"])
def test_market_at_its_bounds_stays_finite(extremes: dict) -> None:
    """Every market field at a bound of its range (and the lab's share at its extremes):
    no infinity anywhere, no NaN but the documented ones (a share of nothing)."""
    data = copy.deepcopy(BASE_DICT)
    data.update(copy.deepcopy(extremes))
    res = run(scenario_from_dict(data, "bounds"), paths=32, monthly_paths=32)
    for store in ("path", "yearly", "monthly"):
        for key, values in getattr(res, store).items():
            v = np.asarray(values, dtype=float)
            assert not np.isinf(v).any(), f"{store}.{key} has inf"
            if key not in UNDEFINED:
                assert not np.isnan(v).any(), f"{store}.{key} has NaN"
    prices = res.monthly_all("spot_price")
    floor = extremes["market"]["price_floor_per_gw_year"]
    assert np.all(prices >= floor)
    assert np.all(prices <= extremes["market"]["price_cap_per_gw_year"])
