"""Value of flexibility: an adaptive purchase policy against fixed plans, on the same draws.

Three kinds of plan are compared on common random numbers (every run uses the same seed,
so path ``i`` is the same world under every policy):

- ``adaptive``: re-estimates growth at each review from demand observed so far
  (shrinkage towards a prior, see :func:`sim.model.policies._adaptive`);
- ``planned_growth``: at each review, orders for a fixed assumed growth from the observed
  run-rate (reacts to the level of demand, never to its growth rate);
- ``fixed_schedule``: open loop, everything signed at the start: the tranches a
  planned-growth plan at the prior's rate would order if demand grew exactly at that rate
  from the central initial run-rate (reacts to nothing).

The value of flexibility of the reference adaptive policy over a plan is the mean, over
paths, of the paired difference of an outcome (terminal value with 0 for bankrupt paths,
cumulative revenue), with its standard error; paired differences on the same worlds are
much more precise than differences of independent estimates.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.model.distributions import central
from sim.model.engine import revenue_per_gw, run, supply_cap_gw
from sim.model.policies import bend_to_ceiling
from sim.model.results import Results
from sim.model.sampling import numeric_fields
from sim.model.scenario import Scenario

from .sweep import apply_cell, metrics

FIXED_GROWTH = (2.0, 3.0, 4.0, 6.0, 8.0)
"""Planned growth levels of the fixed plans [x/yr]."""
HAIRCUTS = (0.0, 0.2)
"""Haircuts of the adaptive policies; the first is the reference [0..1]."""


def open_loop_tranches(scenario: Scenario, growth: float) -> list[dict[str, Any]]:
    """Tranches a ``growth``-x/yr plan would order if demand followed that growth exactly.

    Uses central values of every parameter; one review every ``review_months`` (12 when
    the policy has none) inside the horizon, orders net of capacity still under contract at
    delivery (which may fall after the horizon). Like the re-planning policies (and demand
    itself), the assumed demand path and each plan bend toward the ceiling.
    """
    horizon = scenario.months
    review = getattr(scenario.policy, "review_months", 12)
    medians = {k: np.array([central(v)]) for k, v in numeric_fields(scenario).items()}
    d0 = central(scenario.demand.initial_revenue)
    ceiling = central(scenario.demand.ceiling)
    inference = 1.0 - central(scenario.allocation.training_share)
    lead = round(central(scenario.compute.lead_time_months))
    length = max(1, round(central(scenario.compute.contract_years) * 12))
    months = horizon + lead + length
    cap = supply_cap_gw(medians, months)[0]
    rev_per_gw = revenue_per_gw(medians, months)[0]
    have = np.zeros(months)
    have[: round(central(scenario.compute.initial_contract_years_left) * 12)] += central(
        scenario.compute.initial_gw
    )
    start = pd.Period(scenario.simulation.start, freq="M")
    tranches = []
    for t in range(0, horizon, review):
        due = t + lead
        now = d0 * growth ** (t / 12.0)
        if ceiling < math.inf:
            now = float(bend_to_ceiling(np.array(d0), np.array(now), np.array(ceiling)))
            planned = float(
                bend_to_ceiling(np.array(now), np.array(now * growth ** (lead / 12.0)),
                                np.array(ceiling))
            )  # fmt: skip
        else:
            planned = now * growth ** (lead / 12.0)
        want = min(planned / (rev_per_gw[due] * inference), cap[due])
        gw = max(0.0, want - have[due])
        if gw > 0:
            have[due : due + length] += gw
            tranches.append({"start": str(start + due), "gw": float(gw), "years": length / 12.0})
    return tranches


def policies(
    scenario: Scenario,
    fixed_growth: tuple[float, ...] = FIXED_GROWTH,
    haircuts: tuple[float, ...] = HAIRCUTS,
    prior_growth: float = 4.0,
) -> dict[str, dict[str, Any]]:
    """Label -> cell of every compared policy; the first entry is the reference."""
    cells: dict[str, dict[str, Any]] = {}
    for h in haircuts:
        cells[f"adaptive prior={prior_growth:g}x haircut={h:g}"] = {
            "policy.kind": "adaptive", "policy.prior_growth": prior_growth, "policy.haircut": h,
        }  # fmt: skip
    for g in fixed_growth:
        cells[f"planned_growth {g:g}x"] = {
            "policy.kind": "planned_growth",
            "policy.planned_growth": g,
        }
    cells[f"fixed_schedule (open-loop {prior_growth:g}x)"] = {
        "policy.kind": "fixed_schedule",
        "policy.tranches": open_loop_tranches(scenario, prior_growth),
    }
    return cells


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    d = a - b
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else 0.0


def value_of_flexibility(
    scenario: Scenario,
    *,
    paths: int = 4000,
    seed: int | None = None,
    fixed_growth: tuple[float, ...] = FIXED_GROWTH,
    haircuts: tuple[float, ...] = HAIRCUTS,
    prior_growth: float = 4.0,
) -> pd.DataFrame:
    """Compare adaptive policies with fixed plans on the same worlds.

    Returns one row per policy: ``policy``, ``kind``, the :func:`sim.analysis.sweep.metrics`
    columns, and the reference adaptive policy's (first row) paired gains over it:
    ``flex_gain_equity`` / ``_se`` (mean terminal value difference [USD] and its standard
    error), ``flex_gain_revenue`` / ``_se`` (cumulative revenue [USD]) and
    ``flex_risk_cut`` (P(bankrupt) of the row minus the reference's). The reference row
    has zero gains.

    Examples
    --------
    >>> from sim import load_scenario
    >>> t = value_of_flexibility(load_scenario(), paths=300, fixed_growth=(4.0,))
    >>> t["flex_gain_equity"].iloc[0]
    0.0
    """
    cells = policies(scenario, fixed_growth, haircuts, prior_growth)
    results: dict[str, Results] = {
        label: run(apply_cell(scenario, cell), paths=paths, seed=seed, monthly_paths=0)
        for label, cell in cells.items()
    }
    ref = results[next(iter(results))]
    rows = []
    for label, res in results.items():
        row: dict[str, Any] = {"policy": label, "kind": cells[label]["policy.kind"]}
        row.update(metrics(res))
        gain, se = _paired(ref.path["equity_value"], res.path["equity_value"])
        row["flex_gain_equity"], row["flex_gain_equity_se"] = gain, se
        gain, se = _paired(ref.path["cum_revenue"], res.path["cum_revenue"])
        row["flex_gain_revenue"], row["flex_gain_revenue_se"] = gain, se
        row["flex_risk_cut"] = row["p_bankrupt"] - float(ref.bankrupt.mean())
        rows.append(row)
    return pd.DataFrame(rows)
