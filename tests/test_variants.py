"""Variants that differ only in policy levers share one set-up (sim.model.variants), and a
sweep groups its cells that way (sim.analysis.sweep.lever_groups): differential tests
against one :func:`sim.run` per variant, every array bit for bit, on every shipped
scenario and each policy kind; plus the fall-backs and the grouping itself."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import sim.model.variants as variants_module
from sim import load_scenario, run
from sim.analysis.sweep import apply_cell, lever_groups, run_scenario_metrics, run_sweep
from sim.model.sampling import shared_draws
from sim.model.variants import lever_values, run_levers, same_but_levers

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
PATHS = 600

KIND_LEVERS = {  # a policy of each kind, and lever values to vary
    "planned_growth": ({"policy.kind": "planned_growth"}, "policy.planned_growth", (1.5, 4.0, 9.0)),
    "demand_quantile": ({"policy.kind": "demand_quantile", "policy.pilot_paths": 300},
                        "policy.q", (0.2, 0.5, 0.9)),
    "adaptive": ({"policy.kind": "adaptive", "policy.prior_growth": 3.0}, "policy.haircut",
                 (0.0, 0.3, 0.7)),
}  # fmt: skip


def _arrays(res) -> dict[str, bytes]:
    """Every array of a result (path, yearly, run-off, monthly, draws, commitments...)."""
    out = {}
    for part in ("path", "yearly", "runoff_yearly", "monthly", "runoff_monthly", "params",
                 "draws", "commitments", "truncation"):  # fmt: skip
        for key, value in getattr(res, part).items():
            a = np.asarray(value)
            out[f"{part}.{key}"] = a.dtype.str.encode() + str(a.shape).encode() + a.tobytes()
    out["years"] = res.years.tobytes()
    return out


def _variants(name: str, kind: str) -> list:
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    switch, lever, values = KIND_LEVERS[kind]
    base = apply_cell(scenario, {**switch, "simulation.paths": PATHS})
    return [apply_cell(base, {lever: v}) for v in values]


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("kind", sorted(KIND_LEVERS))
def test_lever_variants_give_each_runs_numbers(name, kind, monkeypatch):
    variants = _variants(name, kind)
    shared = []  # set-ups made by run_levers itself: one per call unless it ran them alone
    real = variants_module.KernelSetup
    monkeypatch.setattr(variants_module, "KernelSetup",
                        lambda *a, **k: shared.append(1) or real(*a, **k))  # fmt: skip
    for monthly, lean in ((0, True), (150, False)):
        with shared_draws():
            together = run_levers(variants, monthly_paths=monthly, outcomes_only=lean)
        alone = [run(v, monthly_paths=monthly, outcomes_only=lean) for v in variants]
        for a, b, v in zip(together, alone, variants, strict=True):
            assert a.scenario is v
            got, want = _arrays(a), _arrays(b)
            assert got.keys() == want.keys()
            assert [k for k in want if got[k] != want[k]] == []
    # actuals condition each run on its own; every other scenario shares the set-up
    assert len(shared) == (0 if variants[0].actuals is not None else 2)


def test_lever_variants_share_one_set_up(monkeypatch):
    made = []
    real = variants_module.KernelSetup

    def counting(*args, **kwargs):
        made.append(args[0].name)
        return real(*args, **kwargs)

    monkeypatch.setattr(variants_module, "KernelSetup", counting)
    variants = _variants("lone_lab", "planned_growth")
    run_levers(variants)
    assert len(made) == 1  # one set-up for the three variants
    # a variant that differs in anything else: each runs on its own (run's own set-up)
    other = [*variants, apply_cell(variants[0], {"demand.growth": 5.0})]
    made.clear()
    mixed = run_levers(other)
    assert made == []
    assert [r.scenario for r in mixed] == other
    assert np.array_equal(mixed[3].path["bankrupt_month"],
                          run(other[3], monthly_paths=0, outcomes_only=True).path["bankrupt_month"])  # fmt: skip


def test_lever_values_and_same_but_levers():
    lone = load_scenario(ROOT / "scenarios" / "lone_lab.yaml")
    assert lever_values(lone) == {"policy.planned_growth": 4.0}
    drawn = apply_cell(lone, {"policy.planned_growth": {"dist": "uniform", "low": 2, "high": 5}})
    assert lever_values(drawn) is None  # random: part of the draws, never shared
    fixed = apply_cell(lone, {"policy.planned_growth": {"dist": "fixed", "value": 6.0}})
    assert lever_values(fixed) == {"policy.planned_growth": 6.0}
    assert same_but_levers(lone, apply_cell(lone, {"policy.planned_growth": 7.0}))
    assert not same_but_levers(lone, apply_cell(lone, {"policy.review_months": 6}))
    assert not same_but_levers(lone, apply_cell(lone, {"compute.price_per_gw_year": 11e9}))
    adaptive = apply_cell(lone, {"policy.kind": "adaptive"})
    assert not same_but_levers(lone, adaptive)


def test_outcomes_only_aggregates_are_read_only():
    lone = load_scenario(ROOT / "scenarios" / "lone_lab.yaml")
    res = run(lone, paths=300, monthly_paths=0, outcomes_only=True)
    revenue = res.yearly["revenue"]
    assert np.isnan(revenue).all()
    with pytest.raises(ValueError, match="read-only"):
        revenue[0, 0] = 1.0
    full = run(lone, paths=300, monthly_paths=0)
    full.yearly["revenue"][0, 0] = 1.0  # a full run's aggregates are its own


def test_lever_groups_key_split_and_order():
    cells = [{"policy.planned_growth": g, "demand.growth": d} for g in (1, 2, 3) for d in (3, 5)]
    assert lever_groups(cells) == [[0, 2, 4], [1, 3, 5]]
    assert lever_groups(cells, size=2) == [[0], [1], [2, 4], [3, 5]]  # even: 1 + 2, not 2 + 1
    assert lever_groups(cells, size=1) == [[i] for i in range(6)]
    odd = [
        {"policy.planned_growth": 2.0},
        {"policy.planned_growth": {"dist": "uniform", "low": 2, "high": 5}},  # drawn: alone
        {"policy.planned_growth": 3.0, "policy.kind": "planned_growth"},  # another key set
        {"policy.planned_growth": math.nan},  # not applicable: the base's value
        {},
        {"policy.q": 0.3, "demand.growth": 5},
    ]
    assert lever_groups(odd) == [[0, 3, 4], [1], [2], [5]]
    # even pieces: 20 cells in groups of at most 8 -> 6, 7, 7
    assert [len(g) for g in lever_groups([{"policy.q": k / 30} for k in range(20)], 8)] == [6, 7, 7]


@pytest.mark.parametrize("at_once", [False, True])
def test_grouped_sweep_gives_each_cells_metrics(at_once):
    base = load_scenario(ROOT / "scenarios" / "base.yaml")
    cells = [{"policy.planned_growth": g, "demand.growth": d}
             for g in (1.5, 3.0, 6.0, 9.0) for d in (2.0, 6.0)]  # fmt: skip
    cells += [
        {"policy.planned_growth": {"dist": "uniform", "low": 2, "high": 6}},
        {"policy.kind": "adaptive", "policy.haircut": 0.2},
        {"policy.kind": "adaptive", "policy.haircut": 0.6},
        {},
    ] * 2  # 16 cells: groups of one and more
    df = run_sweep(base, cells, paths=700, cells_at_once=at_once)
    with shared_draws():
        want = [run_scenario_metrics(apply_cell(base, {**c, "simulation.paths": 700}))
                for c in cells]  # fmt: skip
    for i, row in enumerate(want):
        for key, value in row.items():
            got = df[key].iloc[i]
            assert got == value or (math.isnan(got) and math.isnan(value)), (i, key)
