"""The recommendation (issue 26): never dominated by a shown plan, tested on paired worlds,
reproduced exactly by "Apply", and cheap (shared draws, reused runs, pruned refinement)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario
from sim.analysis.dominance import (
    Outcomes,
    outcomes_of,
    paired_difference,
    paired_median_ci,
    standing,
)
from sim.analysis.frontier import frontier, mark_frontier
from sim.analysis.optimize import upper_bound
from sim.analysis.recommend import FAMILIES, PlanSet, Recommendation, plan_set, recommend
from sim.analysis.sweep import apply_cell, with_overrides
from sim.model.engine import run
from sim.reports.decision import decision_text, standing_sentence, to_html

ROOT = Path(__file__).resolve().parents[1]
PATHS = 1000
BUDGET = 0.05


@pytest.fixture(scope="module", params=["base", "yolo", "responsible"])
def case(request):
    s = load_scenario(ROOT / "scenarios" / f"{request.param}.yaml")
    rec = recommend(s, budget=BUDGET, paths=PATHS)
    return request.param, s, rec


def test_no_frontier_point_beats_the_recommendation(case):
    """Acceptance: no frontier point has both a lower one-sided bound of P(bankrupt) and a
    higher median revenue than the recommendation, neither on the point estimates nor
    beyond the paired interval."""
    _name, _s, rec = case
    t = rec.plans.table
    row = rec.plan
    lower = t["p_bankrupt_upper"] < row["p_bankrupt_upper"]
    assert not (lower & (t["cum_revenue_p50"] > row["cum_revenue_p50"])).any()
    mine = Outcomes(rec.plans.bankrupt[rec.index], rec.plans.revenue[rec.index])
    for j in np.flatnonzero(lower.to_numpy()):
        d = paired_difference(mine, Outcomes(rec.plans.bankrupt[j], rec.plans.revenue[j]), 1)
        assert d.revenue_ci[0] <= 0  # never higher beyond Monte Carlo error
    if rec.feasible:
        assert row["p_bankrupt_upper"] <= BUDGET
        assert bool(t.loc[rec.index, "efficient"])  # on the frontier of every evaluated plan
        passing = t[t["meets_budget"]]
        assert row["cum_revenue_p50"] == passing["cum_revenue_p50"].max()
    else:
        assert not t["meets_budget"].any()


def test_the_grid_is_the_frontier_on_the_same_worlds(case):
    _name, s, rec = case
    grid = rec.plans.table[~rec.plans.table["refined"]]
    ref = frontier(s, paths=PATHS)
    for col in ("policy", "p_bankrupt", "cum_revenue_p50", "cum_revenue_p90", "new_gw_p50"):
        pd.testing.assert_series_equal(grid[col], ref[col], check_names=False)
    regrid = mark_frontier(grid.drop(columns="efficient"))  # refined plans may dominate more
    pd.testing.assert_series_equal(regrid["efficient"], ref["efficient"], check_names=False)
    assert (rec.plans.bankrupt.mean(axis=1) == rec.plans.table["p_bankrupt"]).all()
    assert (np.median(rec.plans.revenue, axis=1) == rec.plans.table["cum_revenue_p50"]).all()
    bounds = [upper_bound(p, PATHS) for p in rec.plans.table["p_bankrupt"]]
    assert rec.plans.table["p_bankrupt_upper"].tolist() == bounds


def test_applying_the_recommendation_reproduces_it(case):
    """The recommended cell, applied to the scenario, is exactly the evaluated plan: the
    current plan is then 'the recommendation and on the frontier', never 'dominated'."""
    _name, s, rec = case
    applied = with_overrides(apply_cell(s, rec.cell), PATHS, None)
    st = standing(rec, outcomes_of(run(applied, monthly_paths=0), PATHS))
    assert st.status == "recommended"
    text = decision_text(rec, st, "the applied plan")
    words = " ".join([text.verdict, text.gives_up, text.standing, to_html(text)])
    assert "dominated" not in words
    if rec.feasible:
        assert "is the recommendation and on the frontier" in text.standing
        assert text.verdict.startswith("Sign ")
        assert "one-sided 95% bound" in text.verdict


def test_refinement_stays_on_the_lattice_and_is_pruned(case):
    _name, _s, rec = case
    t = rec.plans.table
    refined = t[t["refined"]]
    assert rec.runs == len(t)  # every plan run once (grid + refinements)
    assert len(refined) <= 3 * 6
    for kind, (key, _sign, step) in FAMILIES.items():
        vals = refined.loc[refined["family"] == kind, key].to_numpy(dtype=float)
        assert np.allclose(vals / step, np.round(vals / step))
    assert not t.duplicated(subset=["family", *[k for k, _s, _t in FAMILIES.values()]]).any()


def test_reusing_the_frontier_runs_costs_only_the_refinement():
    s = load_scenario()
    plans = plan_set(s, paths=400)
    rec = recommend(s, budget=0.1, plans=plans)
    full = recommend(s, budget=0.1, paths=400)
    assert rec.runs == full.runs - len(plans)
    pd.testing.assert_frame_equal(rec.plans.table, full.plans.table)
    assert rec.index == full.index
    assert len(plans.table) == 25  # the given set is not modified


def test_headline_prefix_is_the_smaller_run():
    """outcomes_of reuses the first paths of a larger run: path i depends only on the seed
    and i (fixed blocks of draws), for every shipped scenario."""
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        s = load_scenario(path)
        big = run(with_overrides(s, 700, None), monthly_paths=0)
        small = run(with_overrides(s, 300, None), monthly_paths=0)
        got = outcomes_of(big, 300)
        assert np.array_equal(got.bankrupt, small.bankrupt), path.name
        assert np.array_equal(got.revenue, small.path["cum_revenue"]), path.name


# ----------------------------------------------------------- paired dominance, by hand
def _plans(bankrupt: list[np.ndarray], revenue: list[np.ndarray]) -> Recommendation:
    n = bankrupt[0].size
    table = pd.DataFrame({
        "policy": [f"planned_growth {g}x" for g in range(1, len(bankrupt) + 1)],
        "family": "planned_growth", "policy.kind": "planned_growth",
        "policy.planned_growth": [float(g) for g in range(1, len(bankrupt) + 1)],
        "p_bankrupt": [b.mean() for b in bankrupt],
        "cum_revenue_p50": [float(np.median(r)) for r in revenue],
    })  # fmt: skip
    table["p_bankrupt_upper"] = [upper_bound(p, n) for p in table["p_bankrupt"]]
    table["meets_budget"] = table["p_bankrupt_upper"] <= BUDGET
    ps = PlanSet(table, np.array(bankrupt), np.array(revenue), [{}] * len(bankrupt),
                 [{}] * len(bankrupt), n, 1)  # fmt: skip
    return Recommendation(budget=BUDGET, feasible=True, index=0, plans=ps)


def test_dominated_only_beyond_monte_carlo_error():
    """Same revenue on every world; the other plan goes bankrupt on 40 fewer of 2,000
    worlds (2 points, paired interval well below 0): dominated. On 2 fewer worlds (0.1
    point): the point estimates say dominated, the paired test does not: indistinguishable."""
    rng = np.random.default_rng(7)
    n = 2000
    revenue = rng.lognormal(0, 0.3, n)
    mine = np.zeros(n, bool)
    mine[:200] = True  # 10%
    clear, close = mine.copy(), mine.copy()
    clear[:40] = False
    close[:2] = False
    rec = _plans([clear, close], [revenue, revenue])
    st = standing(rec, Outcomes(mine, revenue))
    assert st.status == "dominated"
    assert st.other["policy.planned_growth"] == 1.0
    assert st.diff.p_bankrupt == pytest.approx(-0.02)
    assert st.diff.p_bankrupt_ci[1] < 0
    assert st.diff.revenue == 0.0

    rec = _plans([mine, close], [revenue, revenue])  # the recommendation is the plan itself
    assert standing(rec, Outcomes(mine, revenue)).status == "recommended"
    only_close = _plans([close], [revenue])  # the recommendation is the close plan
    st = standing(only_close, Outcomes(mine, revenue))
    assert st.status == "indistinguishable"
    assert st.diff.p_bankrupt_ci[0] < 0 < st.diff.p_bankrupt_ci[1]
    text = standing_sentence(st, "planned growth 4x/yr")
    assert "indistinguishable from the recommendation" in text
    poorer = _plans([np.ones(n, bool), close], [revenue * 0.5, revenue])  # another plan: named
    text = standing_sentence(standing(poorer, Outcomes(mine, revenue)), "planned growth 4x/yr")
    assert "indistinguishable from planned growth 2x/yr within Monte Carlo error" in text
    assert "dominated" not in text


def test_richer_beyond_error_at_the_same_risk_dominates():
    """Same bankruptcies, 5% more revenue on every world: dominated (revenue better beyond
    Monte Carlo error, risk not worse); 0.01% more: indistinguishable."""
    rng = np.random.default_rng(11)
    n = 2000
    revenue = rng.lognormal(0, 0.3, n)
    mine = np.zeros(n, bool)
    mine[:100] = True
    rec = _plans([mine.copy()], [revenue * 1.05])
    st = standing(rec, Outcomes(mine, revenue))
    assert st.status == "dominated"
    assert st.diff.revenue_ci[0] > 0
    assert st.diff.p_bankrupt_ci[0] <= 0 <= st.diff.p_bankrupt_ci[1]
    tiny = _plans([mine.copy()], [revenue * 1.0001 + rng.normal(0, 0.05, n)])
    st = standing(tiny, Outcomes(mine, revenue))
    assert st.status in {"indistinguishable", "undominated"}
    if st.status == "indistinguishable":
        assert st.diff.revenue_ci[0] <= 0 <= st.diff.revenue_ci[1]


def test_a_riskier_or_poorer_plan_never_dominates():
    rng = np.random.default_rng(3)
    n = 1000
    revenue = rng.lognormal(0, 0.3, n)
    mine = np.zeros(n, bool)
    mine[:100] = True
    riskier = np.zeros(n, bool)
    riskier[:150] = True
    rec = _plans([riskier, mine], [revenue * 1.5, revenue * 0.9])
    st = standing(rec, Outcomes(mine, revenue))
    assert st.status == "undominated"
    assert st.versus_recommendation.revenue > 0  # the recommendation earns more, riskier


def test_paired_median_ci_is_compares_bootstrap():
    from sim.analysis.compare import bootstrap_diff

    rng = np.random.default_rng(5)
    a = rng.lognormal(0, 1, 1500)
    b = a * 1.01 + rng.normal(0, 0.02, 1500)
    fast = paired_median_ci(a, b, np.random.default_rng(9))
    slow = bootstrap_diff(lambda p: float(np.median(p["r"])), {"r": a}, {"r": b}, True,
                          np.random.default_rng(9))  # fmt: skip
    assert fast == pytest.approx(slow, rel=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 400, 1999, 2000])
def test_resample_median_has_numpys_bits(n):
    """The ranks' median is numpy's ``np.median(x[idx], axis=1)`` bit for bit: ties, zeros,
    -0.0 (numpy's mean turns it into 0.0) and NaN (numpy's own median) included."""
    from sim.analysis.dominance import _resample_median

    rng = np.random.default_rng(n)
    cases = [
        rng.lognormal(25, 1, n),
        np.where(rng.random(n) < 0.3, 0.0, rng.lognormal(25, 1, n)),  # bankrupt paths: 0
        np.round(rng.normal(0, 1, n), 1),  # many ties
        np.where(rng.random(n) < 0.5, -0.0, -rng.lognormal(0, 1, n)),
        np.where(rng.random(n) < 0.1, np.nan, rng.normal(0, 1, n)),
    ]
    for x in cases:
        idx = rng.integers(0, n, (30, n))
        want, got = np.median(x[idx], axis=1), _resample_median(x)(idx)
        assert want.tobytes() == got.tobytes()


def test_quantile_plans_share_one_pilot_without_changing_results():
    """Inside shared draws, quantile plans of one demand model reuse one pilot (and its
    fits); each plan's results are those of its own run outside shared draws."""
    from sim.model.engine import pilot_demand
    from sim.model.sampling import shared_draws

    s = with_overrides(load_scenario(ROOT / "scenarios" / "lone_lab.yaml"), 600, None)
    plans = [apply_cell(s, {"policy.kind": "demand_quantile", "policy.q": q}) for q in (0.3, 0.7)]
    alone = [run(p, monthly_paths=0) for p in plans]
    with shared_draws():
        assert pilot_demand(plans[0]) is pilot_demand(plans[1])
        together = [run(p, monthly_paths=0) for p in plans]
    other_seed = with_overrides(plans[0], None, 99)
    with shared_draws():
        assert pilot_demand(plans[0]) is not pilot_demand(other_seed)
    for a, b in zip(alone, together, strict=True):
        for key in a.path:
            assert np.array_equal(a.path[key], b.path[key], equal_nan=True), key


def test_bad_budget_is_refused():
    with pytest.raises(ValueError, match="budget"):
        recommend(load_scenario(), budget=0.0, paths=100)


def test_a_risk_interval_that_excludes_zero_never_reads_as_zero():
    """Dominance needs the paired P(bankrupt) interval to exclude 0; its words must not
    round a small positive bound to "0.0" (which would read as touching 0)."""
    from sim.reports.decision import _risk_words

    words = _risk_words(-0.007, -0.013, -0.0003)
    assert "95% CI 0.03-1.3" in words
    assert "0.0-" not in words
    assert "95% CI 0.1-1.3" in _risk_words(-0.007, -0.013, -0.0012)  # one decimal otherwise
