"""Policy options of issue 14: signposts that cut orders, and a late first review (waiting).

The SimPy reference checks both path by path (tests/test_reference_differential.py); these
tests pin their meaning on the engine: which paths trip, what is cut, and that the defaults
leave every existing scenario unchanged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim import load_scenario, run
from sim.errors import ScenarioError
from sim.model.io import scenario_from_dict
from sim.model.scenario import lone_lab

ROOT = Path(__file__).resolve().parents[1]
# a lone lab: its demand does not depend on what it buys (no market, docs/model.md 5d)
BASE = lone_lab(load_scenario(ROOT / "scenarios" / "base.yaml"))
N = 1500


@pytest.fixture(scope="module")
def baseline():
    return run(BASE, paths=N, monthly_paths=N)


def _observed_growth(res, month: int) -> np.ndarray:
    d = res.monthly["demand"]
    return (d[:, month] / d[:, 0]) ** (12.0 / month)


def test_signpost_stops_orders_exactly_on_tripped_paths(baseline) -> None:
    # 2027-07 is month 18 of base; cut 1 = no order at or after it once tripped
    res = run(BASE.replace(**{"policy.signpost": {"by": "2027-07", "min_growth": 4.0, "cut": 1.0}}),
              paths=N, monthly_paths=N)  # fmt: skip
    trip = _observed_growth(baseline, 18) < 4.0
    assert 0.1 < trip.mean() < 0.9  # the threshold splits the worlds
    before, after = baseline.monthly["ordered_gw"], res.monthly["ordered_gw"]
    assert after[trip, 18:].sum() == 0.0
    assert before[trip, 18:].sum() > 0.0  # ... which the baseline did order
    np.testing.assert_array_equal(after[:, :18], before[:, :18])  # nothing changes before
    for name in ("ordered_gw", "cash", "revenue"):  # paths that do not trip are untouched
        np.testing.assert_array_equal(res.monthly[name][~trip], baseline.monthly[name][~trip])
    np.testing.assert_array_equal(res.path["equity_value"][~trip],
                                  baseline.path["equity_value"][~trip])  # fmt: skip


def test_signpost_cut_scales_the_first_cut_order(baseline) -> None:
    res = run(BASE.replace(**{"policy.signpost": {"by": "2027-07", "min_growth": 4.0, "cut": 0.25}}),
              paths=N, monthly_paths=N)  # fmt: skip
    trip = _observed_growth(baseline, 18) < 4.0
    # the first review after month 18 is month 24: same state before it, so 75% of the order
    np.testing.assert_allclose(res.monthly["ordered_gw"][trip, 24],
                               0.75 * baseline.monthly["ordered_gw"][trip, 24], rtol=1e-12)  # fmt: skip


def test_margin_and_growth_conditions_must_both_hold(baseline) -> None:
    sp = {"by": "2027-01", "min_growth": 5.0, "min_margin": 0.62, "cut": 1.0}
    res = run(BASE.replace(**{"policy.signpost": sp}), paths=N, monthly_paths=N)
    p = baseline.draws
    margin = 1 - (1 - p["economics.gross_margin"]) * p["compute.revenue_per_gw_growth"] ** (
        -(1 - p["compute.price_pass_through"]) * 12 / 12
    )
    trip = (_observed_growth(baseline, 12) < 5.0) & (margin < 0.62)
    assert 0.05 < trip.mean() < 0.6
    assert res.monthly["ordered_gw"][trip, 12:].sum() == 0.0
    assert (res.monthly["ordered_gw"][~trip, 12] == baseline.monthly["ordered_gw"][~trip, 12]).all()


def test_first_review_delays_the_first_order_only(baseline) -> None:
    res = run(BASE.replace(**{"policy.first_review_months": 6}), paths=N, monthly_paths=N)
    orders = res.monthly["ordered_gw"]
    months = np.flatnonzero(orders.sum(axis=0) > 0)
    assert list(months) == [6, 12, 24, 36, 48, 60]  # then the usual yearly calendar
    # the same worlds: demand is identical, only the first purchase date moved
    np.testing.assert_array_equal(res.monthly["demand"], baseline.monthly["demand"])
    assert res.total_months == baseline.total_months  # the last review is the same
    late = run(BASE.replace(**{"policy.first_review_months": 12}), paths=N, monthly_paths=N)
    np.testing.assert_array_equal(np.flatnonzero(late.monthly["ordered_gw"].sum(axis=0) > 0),
                                  [12, 24, 36, 48, 60])  # fmt: skip


def test_defaults_change_nothing(baseline) -> None:
    explicit = BASE.replace(**{"policy.first_review_months": 0})
    res = run(explicit, paths=N, monthly_paths=N)
    np.testing.assert_array_equal(res.path["equity_value"], baseline.path["equity_value"])
    np.testing.assert_array_equal(res.path["bankrupt_month"], baseline.path["bankrupt_month"])


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"signpost": {"by": "2027-07", "cut": 0.5}}, "min_growth, min_margin or both"),
        ({"signpost": {"by": "2026-01", "min_growth": 3}}, "after simulation.start"),
        ({"signpost": {"by": "2040-01", "min_growth": 3}}, "inside the 6-year horizon"),
        ({"signpost": {"by": "2027-01", "min_growth": 3, "cut": 1.5}}, "cut"),
        ({"first_review_months": 72}, "never order"),
    ],
)
def test_bad_signposts_are_refused(policy: dict, message: str) -> None:
    data = BASE.model_dump(by_alias=True, exclude_none=True)
    data["policy"].update(policy)
    with pytest.raises(ScenarioError, match=message):
        scenario_from_dict(data, "test.yaml")
