"""A sweep's runs compute outcomes only (``run(..., outcomes_only=True)``): the numbers a
sweep reads are bit for bit those of a full run, whatever the mechanisms switched on.

Differential tests against the full run of the same scenario and seed: every per-path
outcome of the horizon, each path's bankruptcy month, the commitments and the sweep's
metrics are identical; what is not computed (yearly aggregates, run-off records and sums)
is NaN, never a stale number. Plus hand cases of the solvency test that stops a run-off.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim import load_scenario, run
from sim.analysis.recommend import _run_plan
from sim.analysis.sweep import apply_cell, metrics
from sim.model.io import scenario_from_dict
from sim.model.kernel.finance import solvent_to_end
from sim.model.kernel.layout import OUT, PATH
from sim.model.kernel.procurement import sign

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
RUNOFF_SUMS = {
    "runoff_min_cash", "discounted_cash_flow", "cum_refused_gw", "cum_sublease_revenue",
    "cum_interest", "cum_termination_fees",
}  # fmt: skip
"""Per-path outcomes that scan the run-off: NaN when only outcomes are computed."""

# Mechanisms that move cash in the run-off (debt, sublease, fees, credit, deals) and a
# harsh cell with many bankruptcies, on top of every shipped scenario.
VARIANTS = {
    "lone_lab_debt_sublease_fees": ("lone_lab.yaml", {
        "finance.debt": {"limit": 1.0, "rate": 0.12, "covenant": 2.0},
        "compute.sublease_recovery": 0.5, "compute.termination_fee": 0.3,
        "finance.credit_limit": {"revenue_multiple": 5.0, "cash_multiple": 1.0},
    }),
    "lone_lab_harsh": ("lone_lab.yaml", {"policy.planned_growth": 10.0, "demand.growth": 3.0}),
    "base_harsh_fees": ("base.yaml", {"policy.planned_growth": 9.0, "demand.growth": 1.0,
                                      "compute.termination_fee": 0.2}),
    "deals_debt": ("steady_state_100b.yaml", {
        "deals": [{"signed": "2027-01", "start": "2028-06", "gw": 20, "years": 8}],
        "finance.debt": {"limit": 2.0, "rate": 0.1, "covenant": 3.0},
    }),
}  # fmt: skip


def _cases() -> list[tuple[str, str, dict]]:
    cases = [(p.stem, p.name, {}) for p in SCENARIOS]
    cases += [(name, file, cell) for name, (file, cell) in VARIANTS.items()]
    return [*cases, ("backtest_2023_unconditioned", "backtest_2023.yaml", {"actuals": None})]


def _scenario(file: str, cell: dict):
    """A shipped scenario with a cell applied; ``{"actuals": None}`` drops its actuals (the
    backtest then runs its prior: most of its paths go bankrupt in the run-off)."""
    scenario = load_scenario(ROOT / "scenarios" / file)
    if cell == {"actuals": None}:
        data = scenario.model_dump(by_alias=True, exclude_none=True)
        del data["actuals"], data["simulation"]["as_of"]
        return scenario_from_dict(data, file)
    return apply_cell(scenario, cell) if cell else scenario


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize(("name", "file", "cell"), _cases(), ids=[c[0] for c in _cases()])
def test_outcomes_only_gives_the_full_runs_numbers(name, file, cell):
    scenario = _scenario(file, cell)
    full = run(scenario, paths=1500, monthly_paths=0)
    lean = run(scenario, paths=1500, monthly_paths=0, outcomes_only=True)
    assert np.array_equal(full.path["bankrupt_month"], lean.path["bankrupt_month"])
    for key, values in full.path.items():
        if key in RUNOFF_SUMS and scenario.actuals is None:  # actuals: a full run anyway
            assert np.isnan(lean.path[key]).all(), key  # not computed: never a stale number
        else:
            assert np.array_equal(values, lean.path[key], equal_nan=True), key
    for key, values in full.commitments.items():
        assert np.array_equal(values, lean.commitments[key]), key
    for key, values in lean.yearly.items():
        assert np.isnan(values).all() or scenario.actuals is not None, key
    want, got = metrics(full), metrics(lean)
    assert want.keys() == got.keys()
    differ = {k: (want[k], got[k]) for k in want if not _same(want[k], got[k])}
    assert not differ


PLANS = {
    "planned growth": {"kind": "planned_growth", "planned_growth": 6.0},
    "demand quantile": {"kind": "demand_quantile", "q": 0.3},
    "adaptive": {"kind": "adaptive", "haircut": 0.2},
}


@pytest.mark.parametrize("file", ["base.yaml", "lone_lab.yaml", "steady_state_100b.yaml"])
@pytest.mark.parametrize("plan", list(PLANS), ids=list(PLANS))
def test_plan_search_runs_give_the_full_runs_numbers(file, plan):
    """The plan search (reports, dashboard) evaluates each plan with outcomes only: its
    metrics, per-path outcomes and decision units are those of the full run."""
    scenario = apply_cell(load_scenario(ROOT / "scenarios" / file), {"policy": PLANS[plan]})
    scenario = scenario.replace(**{"simulation.paths": 1500})
    full = _run_plan(scenario, lambda s: run(s, monthly_paths=0))
    lean = _run_plan(scenario)
    assert full.keys() == lean.keys()
    assert np.array_equal(full.pop("bankrupt"), lean.pop("bankrupt"))
    assert np.array_equal(full.pop("cum_revenue"), lean.pop("cum_revenue"))
    want, got = full.pop("metrics"), lean.pop("metrics")
    assert want.keys() == got.keys()
    assert not {k: (want[k], got[k]) for k in want if not _same(want[k], got[k])}
    assert repr(full) == repr(lean)  # decision units and policy, every float
    assert full["units"]["gw_by_delivery_year"]  # the plan signs something to compare


def test_the_cases_reach_run_off_bankruptcies_and_the_mechanisms():
    """The comparison above means something: some cases go bankrupt in the run-off (which
    the solvency stop must never skip), and the variants switch their mechanisms on."""
    backtest = _scenario("backtest_2023.yaml", {"actuals": None})
    bm = run(backtest, paths=1500, monthly_paths=0, outcomes_only=True).path["bankrupt_month"]
    assert (bm >= backtest.months).mean() > 0.5
    res = run(_scenario(*VARIANTS["lone_lab_debt_sublease_fees"]), paths=1500, monthly_paths=0)
    assert (res.path["cum_interest"] > 0).any()
    assert (res.path["cum_sublease_revenue"] > 0).any()
    harsh = run(_scenario(*VARIANTS["base_harsh_fees"]), paths=1500, monthly_paths=0)
    assert (harsh.path["cum_termination_fees"] > 0).any()


def _book(contracts: list[tuple[int, int, float, float]]) -> tuple[np.ndarray, int]:
    book = np.zeros((len(contracts) + 1, 4))
    n = 0
    for start, length, gw, price in contracts:
        n = sign(book, n, gw, start, length, price)
    return book, n


def test_solvent_to_end_hand_cases():
    """One contract of 1 GW at $12B/GW-yr ($1B a month) for months 70-81 and fixed costs of
    $0.2B a month until it ends: from month 76, $6B of take-or-pay and $1.2B of fixed costs
    are left, $7.2B in all."""
    book, n = _book([(70, 12, 1.0, 12.0e9)])
    owed = 6 * 1.0e9 + 6 * 0.2e9
    assert solvent_to_end(owed * 1.001, book, n, 76, 0.2e9, 82)
    assert not solvent_to_end(owed, book, n, 76, 0.2e9, 82)  # exactly enough: no margin
    assert not solvent_to_end(owed * 0.999, book, n, 76, 0.2e9, 82)
    # once every contract has ended nothing is owed: any cash > 0 is solvent, 0 is not
    assert solvent_to_end(1.0, book, n, 82, 0.2e9, 82)
    assert not solvent_to_end(0.0, book, n, 82, 0.2e9, 82)


def test_forgotten_outcomes_are_the_run_off_sums():
    from sim.model.kernel import records

    assert {PATH[i] for i in records.RUNOFF_SUMS} == RUNOFF_SUMS
    assert all(OUT[name] in records.RUNOFF_SUMS for name in RUNOFF_SUMS)


def test_shared_draws_give_every_variant_its_own_inputs():
    """Inside ``shared_draws`` (a sweep), variants that differ only in constants share what
    is drawn, and every variant still gets exactly the inputs it gets alone: other
    constants, other distributions, a correlation dropped by fixing one of its parameters."""
    from sim.model.sampling import sample_inputs, shared_draws

    base = load_scenario(ROOT / "scenarios" / "lone_lab.yaml")
    cells = [{}, {"policy.planned_growth": 7.0}, {"demand.growth": 5.0},
             {"finance.max_raise_per_year": 50.0e9},
             {"economics.gross_margin": {"dist": "uniform", "low": 0.4, "high": 0.7}}]  # fmt: skip
    variants = [apply_cell(base, cell) for cell in cells]
    alone = [sample_inputs(v, 700, 1) for v in variants]
    with shared_draws():
        together = [sample_inputs(v, 700, 1) for v in variants]
    for a, b in zip(alone, together, strict=True):
        assert a.params.keys() == b.params.keys()
        for name in a.params:
            assert np.array_equal(a.params[name], b.params[name]), name
        for field in ("growth", "noise", "slip_u"):
            assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert together[1].growth is together[0].growth  # a policy lever: the same draws
    assert together[2].growth is not together[0].growth
    assert not together[0].growth.flags.writeable  # shared: read-only
