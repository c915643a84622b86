"""The recommended plan: on the risk/upside frontier by construction, tested on paired worlds.

:func:`recommend` returns the plan with the highest median cumulative revenue whose
P(bankrupt) passes the one-sided test (one-sided 95% Wilson upper bound <= the risk budget,
see :mod:`sim.analysis.optimize`), searched across every policy family the frontier shows
(planned_growth, demand_quantile, adaptive; deals and the contract book held fixed) on the
frontier's worlds (same seed and paths). Because the Wilson bound rises with the estimate,
a shown plan with a lower P(bankrupt) passes the test too, so it cannot also have a higher
median revenue: no evaluated plan dominates the recommendation.

The search is cheap rather than small: the frontier grid (:func:`plan_set`) is run once with
shared draws and its per-path outcomes kept; then, per family, a bisection on the family's
parameter between the most aggressive passing plan and its failing neighbour, on a lattice
as fine as the precision the decision shows (so "Apply" sets exactly the evaluated plan); a
family is not refined when even its failing neighbour's revenue cannot beat the best passing
plan found so far, and a bisection stops when the next value would repeat one already
evaluated. P(bankrupt) need not be monotone in a family's parameter: with pricing power it
is U-shaped (under-buying ruins too), the passing plans form a band, and the bisection starts
from the band's aggressive end. While no plan passes, each family's valley (the midpoints
around its least risky plan) is refined first, using the same step budget.

:func:`sim.analysis.dominance.standing` judges another plan (the current one) against the
evaluated plans on the same worlds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from sim.model.results import Results
from sim.model.scenario import Scenario

from .frontier import UPSIDES, mark_frontier, policy_family, policy_label
from .optimize import upper_bound
from .parallel import map_tasks
from .sweep import BY_YEAR_PREFIX, ProgressFn, apply_cell, metrics, with_overrides

FAMILIES = {
    "planned_growth": ("policy.planned_growth", 1, 0.1),
    "demand_quantile": ("policy.q", 1, 0.01),
    "adaptive": ("policy.haircut", -1, 0.01),
}
"""Policy kind -> (parameter, +1 when a larger value buys more / -1 when less, lattice step
of the refinement [the parameter's unit]); the steps are the precision the sentence shows."""
MAX_STEPS = 6
"""Most bisection steps per family."""
UPSIDE = "cum_revenue_p50"
"""What the recommendation maximises: median cumulative revenue over the horizon [USD]."""


def _run_plan(
    scenario: Scenario, run: Callable[[Scenario], Results] | None = None
) -> dict[str, Any]:
    """One plan: its sweep metrics, per-path outcomes and decision units (picklable task).
    ``run`` replaces the engine run (``sim update`` evaluates plans on its prior or posterior)."""
    from sim.model.summary import bankruptcy_by_commitment_year, decision_units

    res = (run or _engine_run)(scenario)
    owed = res.path["obligations_at_end"]
    return {
        "metrics": metrics(res),
        "bankrupt": res.bankrupt.copy(),
        "cum_revenue": np.asarray(res.path["cum_revenue"], dtype=float).copy(),
        "units": {
            **decision_units(res),
            "obligations_at_end": {
                "p50": float(np.quantile(owed, 0.5)),
                "p90": float(np.quantile(owed, 0.9)),
            },
            "p_bankrupt_by_commitment_year": bankruptcy_by_commitment_year(res),
        },
        "policy": scenario.policy.model_dump(mode="json", exclude_none=True),
    }


def _engine_run(scenario: Scenario) -> Results:
    """Outcomes only: what :func:`_run_plan` reads is bit for bit the full run's (25-35% less
    CPU for the reports' plan search; ``tests/test_sweep_outcomes.py``)."""
    from sim.model.engine import run

    return run(scenario, monthly_paths=0, outcomes_only=True)


@dataclass
class PlanSet:
    """Plans evaluated on the same worlds: a frontier-style table plus per-path outcomes."""

    table: pd.DataFrame
    """One row per plan: ``policy`` label, ``family``, the policy cell's dotted keys, the
    :data:`sim.analysis.sweep.METRICS` columns and ``efficient`` (see :func:`plan_set`)."""
    bankrupt: np.ndarray
    """Whether each plan goes bankrupt on each world, shape (plans, paths)."""
    revenue: np.ndarray
    """Cumulative revenue of each plan on each world, shape (plans, paths) [USD]."""
    units: list[dict[str, Any]]
    """Decision units per plan (:func:`sim.analysis.optimize.decision_units_for`'s dict)."""
    policies: list[dict[str, Any]]
    """The full ``policy`` section each plan ran with."""
    paths: int
    seed: int
    runs: int = 0
    """Engine runs made to build this set [count]."""

    def __len__(self) -> int:
        return len(self.table)


def evaluate(
    scenario: Scenario,
    cells: list[dict[str, Any]],
    *,
    paths: int | None = None,
    seed: int | None = None,
    progress: ProgressFn | None = None,
    client: Any = None,
    run: Callable[[Scenario], Results] | None = None,
) -> PlanSet:
    """Run each policy cell on the scenario's worlds (same seed: common random numbers) and
    keep what a paired comparison needs. ``paths``/``seed`` override the scenario's; ``run``
    replaces the engine run (then in this process: it need not be picklable)."""
    base = with_overrides(scenario, paths, seed)
    variants = [apply_cell(base, cell) for cell in cells]
    task = _run_plan if run is None else partial(_run_plan, run=run)
    out = map_tasks(task, variants, client=None if run else client, progress=progress,
                    chunks_per_worker=4)  # fmt: skip
    rows = []
    for cell, o in zip(cells, out, strict=True):
        row: dict[str, Any] = {"policy": policy_label(cell), "family": cell.get("policy.kind")}
        row.update(cell)
        row.update(o["metrics"])
        rows.append(row)
    table = pd.DataFrame(rows)
    n = base.simulation.paths
    return PlanSet(
        table=table,
        bankrupt=np.array([o["bankrupt"] for o in out], dtype=bool).reshape(len(out), n),
        revenue=np.array([o["cum_revenue"] for o in out], dtype=float).reshape(len(out), n),
        units=[o["units"] for o in out],
        policies=[o["policy"] for o in out],
        paths=n,
        seed=base.simulation.seed,
        runs=len(cells),
    )


def _concat(a: PlanSet, b: PlanSet) -> PlanSet:
    return PlanSet(
        table=pd.concat([a.table, b.table], ignore_index=True),
        bankrupt=np.concatenate([a.bankrupt, b.bankrupt]),
        revenue=np.concatenate([a.revenue, b.revenue]),
        units=a.units + b.units,
        policies=a.policies + b.policies,
        paths=a.paths,
        seed=a.seed,
        runs=a.runs + b.runs,
    )


def plan_set(
    scenario: Scenario,
    *,
    paths: int | None = 4000,
    seed: int | None = None,
    progress: ProgressFn | None = None,
    client: Any = None,
    run: Callable[[Scenario], Results] | None = None,
) -> PlanSet:
    """The frontier's policy family (:func:`sim.analysis.frontier.policy_family`) with
    per-path outcomes; its table has the columns of :func:`sim.analysis.frontier.frontier`
    (``efficient`` = not dominated on P(bankrupt) and median cumulative revenue)."""
    plans = evaluate(
        scenario, policy_family(scenario), paths=paths, seed=seed, progress=progress,
        client=client, run=run,
    )  # fmt: skip
    table = mark_frontier(plans.table)
    for name in UPSIDES:
        table = mark_frontier(table, upside=name, column=f"efficient_{name}")
    plans.table = table
    return plans


@dataclass
class Recommendation:
    """Answer of :func:`recommend`."""

    budget: float
    """Largest acceptable P(bankrupt) [0..1]."""
    feasible: bool
    """False when no evaluated plan passes the one-sided test."""
    index: int
    """Row of ``plans`` recommended (the least risky plan when none passes)."""
    plans: PlanSet
    """Every evaluated plan (frontier grid, then refinements) with ``p_bankrupt_upper``,
    ``meets_budget``, ``refined``, ``recommended`` and ``efficient`` columns."""
    runs: int = 0
    """Engine runs this call made (0 refinements and a given grid: 0) [count]."""

    @property
    def paths(self) -> int:
        return self.plans.paths

    @property
    def plan(self) -> dict[str, Any]:
        """The recommended row as a dict (policy keys, metrics, one-sided bound)."""
        return self.plans.table.iloc[self.index].to_dict()

    @property
    def units(self) -> dict[str, Any]:
        return self.plans.units[self.index]

    @property
    def policy(self) -> dict[str, Any]:
        return self.plans.policies[self.index]

    @property
    def cell(self) -> dict[str, Any]:
        """The recommended plan's policy cell (``policy.kind`` and its family parameter)."""
        row = self.plan
        kind = row.get("family")
        key = FAMILIES[kind][0] if kind in FAMILIES else None
        return {"policy.kind": kind, **({key: float(row[key])} if key else {})}


def _score(table: pd.DataFrame, budget: float, paths: int) -> pd.DataFrame:
    table["p_bankrupt_upper"] = [upper_bound(p, paths) for p in table["p_bankrupt"]]
    table["meets_budget"] = table["p_bankrupt_upper"] <= budget
    return table


def _best(table: pd.DataFrame) -> int | None:
    """Highest median revenue among passing plans, ties to the lower P(bankrupt)."""
    ok = table[table["meets_budget"]]
    if ok.empty:
        return None
    order = ok.sort_values([UPSIDE, "p_bankrupt"], ascending=[False, True], kind="stable")
    return int(order.index[0])


def _lattice(x: float, step: float) -> float:
    return round(round(x / step) * step, 10)


def _bracket(table: pd.DataFrame, kind: str) -> tuple[int, int] | None:
    """Rows (most aggressive passing, its failing neighbour) of a family, or None."""
    key, sign, _step = FAMILIES[kind]
    fam = table[(table["family"] == kind) & table[key].notna()]
    if fam.empty:
        return None
    fam = fam.iloc[np.argsort(sign * fam[key].to_numpy(dtype=float), kind="stable")]
    passing = np.flatnonzero(fam["meets_budget"].to_numpy())
    if passing.size == 0 or passing[-1] == len(fam) - 1:
        return None
    return int(fam.index[passing[-1]]), int(fam.index[passing[-1] + 1])


def _valley_cells(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Per family, the lattice midpoints between its least risky plan and both neighbours.

    Used while no plan passes: when under-buying ruins too (pricing power, docs/model.md 5d),
    P(bankrupt) is U-shaped in the plan and a passing band can be narrower than the grid step.
    """
    cells = []
    for kind, (key, _sign, step) in FAMILIES.items():
        fam = table[(table["family"] == kind) & table[key].notna()]
        if len(fam) < 2:
            continue
        xs = fam[key].to_numpy(dtype=float)
        order = np.argsort(xs, kind="stable")
        xs, risk = xs[order], fam["p_bankrupt"].to_numpy(dtype=float)[order]
        i = int(np.argmin(risk))
        for j in (i - 1, i + 1):
            if 0 <= j < len(xs):
                mid = _lattice(0.5 * (xs[i] + xs[j]), step)
                if min(abs(mid - xs[i]), abs(mid - xs[j])) >= step / 2:
                    cells.append({"policy.kind": kind, key: mid})
    return cells


def recommend(
    scenario: Scenario,
    *,
    budget: float = 0.05,
    paths: int | None = 4000,
    seed: int | None = None,
    plans: PlanSet | None = None,
    steps: int = MAX_STEPS,
    progress: ProgressFn | None = None,
    client: Any = None,
    run: Callable[[Scenario], Results] | None = None,
) -> Recommendation:
    """The highest-median-revenue plan whose P(bankrupt) passes the one-sided test.

    Parameters
    ----------
    scenario : the scenario whose deals, contract book and worlds are held fixed.
    budget : largest acceptable P(bankrupt), run-off included [0..1].
    paths, seed : worlds of the search (ignored when ``plans`` is given: its worlds).
    plans : the frontier grid already evaluated (:func:`plan_set`), to reuse its runs.
    steps : most bisection steps per family.
    run : evaluates one plan instead of the engine (``sim update``: prior or posterior runs).

    Examples
    --------
    >>> from sim import load_scenario
    >>> rec = recommend(load_scenario(), budget=0.05, paths=400, steps=1)
    >>> bool(rec.plan["p_bankrupt_upper"] <= 0.05)
    True
    """
    if not 0.0 < budget < 1.0:
        raise ValueError(f"budget must lie in (0, 1), got {budget}")
    from sim.model.sampling import shared_draws

    with shared_draws():  # the grid and every refinement step draw the same worlds once
        return _search(scenario, budget, paths, seed, plans, steps, progress, client, run)


def _search(
    scenario: Scenario,
    budget: float,
    paths: int | None,
    seed: int | None,
    plans: PlanSet | None,
    steps: int,
    progress: ProgressFn | None,
    client: Any,
    run: Callable[[Scenario], Results] | None = None,
) -> Recommendation:
    if plans is None:
        plans = plan_set(
            scenario, paths=paths, seed=seed, progress=progress, client=client, run=run
        )
        runs = plans.runs
    else:
        runs = 0
    grid_rows = len(plans)
    plans = PlanSet(**{**plans.__dict__, "table": plans.table.copy()})
    n = plans.paths
    _score(plans.table, budget, n)
    valley_steps = 0
    while valley_steps < steps and _best(plans.table) is None:
        cells = _valley_cells(plans.table)
        if not cells:
            break
        new = evaluate(scenario, cells, paths=n, seed=plans.seed, run=run)
        runs += new.runs
        plans = _concat(plans, new)
        _score(plans.table, budget, n)
        valley_steps += 1
    brackets = {k: b for k in FAMILIES if (b := _bracket(plans.table, k)) is not None}
    for _ in range(steps - valley_steps):
        best = _best(plans.table)
        best_rev = -math.inf if best is None else float(plans.table.at[best, UPSIDE])
        cells, owners = [], []
        for kind, (good, bad) in list(brackets.items()):
            key, _sign, step = FAMILIES[kind]
            if float(plans.table.at[bad, UPSIDE]) <= best_rev:
                del brackets[kind]  # revenue rises with the parameter: nothing here beats best
                continue
            g, b = float(plans.table.at[good, key]), float(plans.table.at[bad, key])
            mid = _lattice(0.5 * (g + b), step)
            if mid in (g, b) or abs(mid - g) < step / 2 or abs(mid - b) < step / 2:
                del brackets[kind]  # the lattice is exhausted between them
                continue
            cells.append({"policy.kind": kind, key: mid})
            owners.append(kind)
        if not cells:
            break
        new = evaluate(scenario, cells, paths=n, seed=plans.seed, run=run)
        runs += new.runs
        start = len(plans)
        plans = _concat(plans, new)
        _score(plans.table, budget, n)
        for j, kind in enumerate(owners):
            row = start + j
            good, bad = brackets[kind]
            brackets[kind] = (row, bad) if plans.table.at[row, "meets_budget"] else (good, row)
    table = plans.table
    table["refined"] = np.arange(len(table)) >= grid_rows
    best = _best(table)
    feasible = best is not None
    if best is None:
        best = int(table.sort_values(["p_bankrupt", UPSIDE], ascending=[True, False]).index[0])
    table["recommended"] = np.arange(len(table)) == best
    plans.table = mark_frontier(table)
    plans.runs = runs
    return Recommendation(budget=budget, feasible=feasible, index=best, plans=plans, runs=runs)


def by_year_table(rec: Recommendation) -> pd.DataFrame:
    """The order by calendar year of delivery: median new GW and take-or-pay [USD] of the
    recommended plan, and its cumulative P(bankrupt) by the end of that year (within the
    horizon; NaN after it). Years where the median plan signs nothing are left out."""
    u, row = rec.units, rec.plan
    gw, usd = u.get("gw_by_delivery_year", {}), u.get("commitment_usd_by_year", {})
    rows = []
    for year in sorted(gw):
        if gw[year]["p50"] < 0.05:
            continue
        rows.append({
            "year": int(year),
            "gw_p50": gw[year]["p50"],
            "take_or_pay_p50": usd.get(year, {}).get("p50", math.nan),
            "p_bankrupt_by_end": row.get(f"{BY_YEAR_PREFIX}{year}", math.nan),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=["year", "gw_p50", "take_or_pay_p50", "p_bankrupt_by_end"])


__all__ = [
    "FAMILIES", "PlanSet", "Recommendation", "by_year_table", "evaluate", "plan_set", "recommend",
]  # fmt: skip
