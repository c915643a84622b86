"""Sweep cells: ``apply_cell`` re-validates only the sections a cell touches; the scenario
and every error are those of re-validating the whole dump (the way it was done before)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim import load_scenario
from sim.analysis.sweep import apply_cell, apply_to_dump
from sim.errors import ScenarioError
from sim.model.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def whole_dump(scenario: Scenario, cell: dict, source: str = "<sweep cell>") -> Scenario:
    """Reference: dump the whole scenario, apply the cell, validate everything again."""
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    updates = {k: v for k, v in cell.items() if not (v is None or v != v)}
    kind = updates.pop("policy.kind", None)
    switch = kind is not None and kind != data["policy"].get("kind")
    return apply_to_dump(data, updates, kind if switch else None, source)


def outcome(fn, scenario: Scenario, cell: dict):  # type: ignore[no-untyped-def]
    try:
        return fn(scenario, cell)
    except ScenarioError as exc:
        return ("error", str(exc), exc.problems)


TRANCHE = {"start": "2027-01", "gw": 2.0, "years": 5}
GOOD = [
    {},
    {"policy.planned_growth": 3.7, "demand.growth": 5.5},
    {"demand.growth": {"dist": "loguniform", "low": 3, "high": 10}},
    {"policy.kind": "demand_quantile", "policy.q": 0.3},
    {"policy.kind": "adaptive", "policy.haircut": 0.2, "policy.q": math.nan},
    {"policy.kind": "fixed_schedule", "policy.tranches": [TRANCHE]},
    {"demand.capability_jump": {"at_year": 2027.0, "multiplier": 3.0}},
    {"simulation.paths": 300, "simulation.seed": 7},
    {"name": "renamed", "finance.max_dilution_per_raise": 0.2},
    {"correlations": []},
    {"deals": [{"signed": "2026-06", "start": "2027-01", "gw": 1.0, "years": 4}]},
    {"competition": None, "market.mature_multiple": 9.0},
    {"economics.gross_margin": {"dist": "uniform", "low": 0.4, "high": 0.6}},
]
BAD = [
    {"policy.planned_growth": -1.0},
    {"policy.planed_growth": 3.0},
    {"nosuchsection.x": 1},
    {"nosuchkey": 1, "other": 2},
    {"simulation.years": 0},
    {"policy.kind": "no_such_policy"},
    {"policy.first_review_months": 10_000},
    {"demand.growth": {"dist": "uniform", "low": 5, "high": 3}},
    {"correlations": [{"between": ["a", "b"], "rank": 2.0}]},
    {"deals.3.gw": 1.0},
    {"market.no_such": 1.0, "policy.planned_growth": "many"},
    {"simulation.start": "2026-13"},
]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_cells_match_revalidating_the_whole_dump(path):
    """Same scenario (equal models, equal dumps) or the same error, for good and bad cells
    on every shipped scenario."""
    scenario = load_scenario(path)
    if path.stem == "base":  # every GOOD cell is good on base: both paths build scenarios
        assert all(isinstance(apply_cell(scenario, cell), Scenario) for cell in GOOD)
    for cell in GOOD + BAD:
        fast, slow = outcome(apply_cell, scenario, cell), outcome(whole_dump, scenario, cell)
        assert type(fast) is type(slow), (path.stem, cell, fast, slow)
        if isinstance(slow, Scenario):
            assert fast == slow, (path.stem, cell)
            assert fast.model_dump() == slow.model_dump(), (path.stem, cell)
        else:
            assert fast == slow, (path.stem, cell)


def test_bad_cells_name_the_key_and_what_is_allowed():
    base = load_scenario()
    with pytest.raises(ScenarioError) as exc:
        apply_cell(base, {"policy.planned_growth": -1.0}, "grid.yaml")
    assert "grid.yaml" in str(exc.value)
    assert "policy.planned_growth" in str(exc.value)
    with pytest.raises(ScenarioError) as exc:
        apply_cell(base, {"finance.max_dilutoin": 0.2})
    assert "finance: unknown key 'max_dilutoin'; did you mean 'max_dilution" in str(exc.value)
    assert "(allowed: " in str(exc.value)


def test_untouched_sections_are_the_validated_models():
    """The fast path hands untouched sections over as they are (nothing re-validated)."""
    base = load_scenario()
    cell = apply_cell(base, {"policy.planned_growth": 5.0})
    assert cell.demand is base.demand
    assert cell.finance is base.finance
    assert cell.policy is not base.policy
    assert cell.policy.planned_growth == 5.0


@pytest.mark.parametrize("extra", [0, 1, 2])
def test_sweep_rows_are_separate_full_runs(extra, monkeypatch):
    """Each row of a sweep run several cells at a time (one more in flight than threads, or
    none, or two) holds the metrics of a separate full ``run()`` of that cell's scenario,
    built by re-validating the whole dump: bit for bit, cell by cell, in cell order."""
    import numpy as np

    from sim import run
    from sim.analysis import parallel
    from sim.analysis.sweep import grid, is_metric, metrics, run_sweep
    from sim.model import workers

    base = load_scenario()
    cells = grid({"policy.planned_growth": [1.5, 6.0], "demand.growth": [3.0, 8.0]})
    cells += [{"policy.kind": "adaptive", "policy.haircut": 0.2}, {"finance.initial_cash": 2e9}]
    monkeypatch.setattr(workers, "threads", lambda: 2)
    monkeypatch.setattr(parallel, "EXTRA_SMALL_TASKS", extra)
    table = run_sweep(base, cells, paths=600, cells_at_once=True)
    assert len(table) == len(cells)
    assert table["cum_revenue_p50"].nunique() == len(cells)  # the cells do differ
    for row, cell in zip(table.to_dict("records"), cells, strict=True):
        alone = metrics(run(whole_dump(base, {**cell, "simulation.paths": 600}), monthly_paths=0))
        for name, value in alone.items():
            assert is_metric(name)
            assert np.array_equal(row[name], value, equal_nan=True), (cell, name)


def test_memory_budget_counts_every_cell_in_flight(monkeypatch):
    """``sweep``'s memory budget counts as many cells held at once as run at once."""
    import argparse

    from sim.analysis import parallel
    from sim.cli.cmd_sweep import parallel_spread
    from sim.model import workers

    args = argparse.Namespace(workers=None, scheduler=None, cells_at_once=True)
    monkeypatch.setattr(parallel, "EXTRA_SMALL_TASKS", 1)
    monkeypatch.setattr(workers, "threads", lambda: 2)
    assert parallel.small_tasks_in_flight() == 3
    assert parallel_spread(args, None) == {"parallel_memory": 3}
    monkeypatch.setattr(workers, "threads", lambda: 1)  # one thread: one cell at a time
    assert parallel_spread(args, None) == {"parallel_memory": 1}


def test_bench_sweep_prints_its_lines(capsys):
    """``bench-sweep`` keeps its lines and splits out the kernel load (included in both
    times); a small grid, so only the lines are checked, not the speed."""
    from sim.cli import main as cli_main

    assert cli_main(["bench-sweep", "--size", "2", "--paths", "200"]) == 0
    out = capsys.readouterr().out
    for line in ("4 cells x 200 paths", "kernel load", "wall time", "CPU time", "cores busy",
                 "sweep alone", "cells/s", "path-months/s"):  # fmt: skip
        assert line in out, line
