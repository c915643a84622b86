"""Value of flexibility: adaptive re-planning against fixed plans on the same worlds."""

from __future__ import annotations

import pytest

from sim.analysis.flexibility import open_loop_tranches, value_of_flexibility
from sim.analysis.sweep import apply_cell


@pytest.fixture(scope="module")
def base(classic):
    # the pinned first-wave world: fixed margin and price, so central values are exact
    return classic


def test_nothing_to_learn_means_no_value(base):
    """A world growing exactly 4x/yr with no noise (and a ceiling far away): the adaptive
    estimate equals its 4x prior at every review, so it orders exactly what planned
    growth 4x and the open-loop 4x schedule order; flexibility is worth nothing."""
    world = apply_cell(base, {"demand.growth": 4.0, "demand.volatility": 0.0,
                              "demand.ceiling": 1e15})  # fmt: skip
    t = value_of_flexibility(world, paths=500, fixed_growth=(4.0,), haircuts=(0.0,))
    assert list(t["kind"]) == ["adaptive", "planned_growth", "fixed_schedule"]
    ev = t["equity_value_mean"].to_numpy()
    # Residual differences come from the logistic ceiling term (D/K ~ 1e-3) only: it damps
    # observed growth a little below the 4x prior, and the last order (netted against
    # obligations in the terminal value) magnifies that to ~6e-5 of equity.
    assert ev[1] == pytest.approx(ev[0], rel=2e-4)
    assert ev[2] == pytest.approx(ev[0], rel=1e-4)
    assert (t["p_bankrupt"] == 0).all()


def test_learning_rescues_an_optimistic_prior(base):
    """The plan assumes 8x/yr but the world grows 3x: planned growth 8x and the open-loop
    8x schedule go bust on every path, the adaptive policy learns the slower growth."""
    world = apply_cell(base, {"demand.growth": 3.0})
    t = value_of_flexibility(world, paths=1000, fixed_growth=(8.0,), haircuts=(0.0,),
                             prior_growth=8.0).set_index("kind")  # fmt: skip
    assert t.loc["planned_growth", "p_bankrupt"] > 0.9
    assert t.loc["fixed_schedule", "p_bankrupt"] > 0.9
    assert t.loc["adaptive", "p_bankrupt"] < 0.2  # measured 7.9% on 4,000 paths
    gain, se = (
        t.loc["planned_growth", "flex_gain_equity"],
        t.loc["planned_growth", "flex_gain_equity_se"],
    )
    assert gain > 5 * se > 0  # paired difference, many standard errors from zero
    assert t.loc["planned_growth", "flex_risk_cut"] > 0.7


def test_reference_row_and_paired_identity(base):
    t = value_of_flexibility(base, paths=800, fixed_growth=(3.0,), haircuts=(0.0, 0.2))
    ref = t.iloc[0]
    assert ref["flex_gain_equity"] == 0
    assert ref["flex_risk_cut"] == 0
    # Mean of paired differences equals difference of means (same paths in every run).
    for _, row in t.iterrows():
        assert row["flex_gain_equity"] == pytest.approx(
            ref["equity_value_mean"] - row["equity_value_mean"], rel=1e-9, abs=1e3
        )


def test_open_loop_tranches_are_a_valid_schedule(base):
    far = apply_cell(base, {"demand.ceiling": 1e15})
    tr = open_loop_tranches(far, 4.0)
    s = apply_cell(far, {"policy.kind": "fixed_schedule", "policy.tranches": tr})
    assert len(s.policy.tranches) == len(tr) == 6  # one per review, the last after the horizon
    gws = [t["gw"] for t in tr]
    assert gws == sorted(gws)  # 4x growth far below the ceiling: each increment is larger
    # Near the ceiling the plan bends like demand: increments shrink once demand saturates.
    near = [t["gw"] for t in open_loop_tranches(base, 4.0)]
    assert near[-1] < near[-2]
