"""Potential demand: the revenue run-rate the firm could earn with unlimited compute.

Exogenous to purchase decisions, so it is computed for all months up front.
"""

from __future__ import annotations

import json

import numpy as np

from .sampling import SampledInputs, shared
from .scenario import Scenario


def start_decimal_year(start: str) -> float:
    """'2026-07' -> 2026.5."""
    year, month = map(int, start.split("-"))
    return year + (month - 1) / 12.0


def potential_demand(
    scenario: Scenario, inputs: SampledInputs, parallel: bool = True
) -> np.ndarray:
    """Potential demand run-rate per path and month, shape (n, months) [USD/yr].

    ``s_t = s_{t-1} + a (c_t - s_{t-1})`` with ``a = 1 - exp(-1 / (12 L))`` lags revenue
    growth behind capability growth ``c`` by ``L`` years on average (exponential kernel);
    ``ln D_{t+1} = ln D_t + s_t (1 - D_t / K) + sigma / sqrt(12) eps_t`` (saturation
    applies to positive growth only). Computed by the jitted
    :func:`sim.model.kernel.demand.potential_demand_block` (paths split over threads, or on
    the calling thread with ``parallel=False``).
    """
    if inputs.key:  # variants with the same demand model share it (inside shared_draws)
        return shared(
            (*inputs.key, "demand", demand_signature(scenario)),
            lambda: _potential_demand(scenario, inputs, parallel),
        )
    return _potential_demand(scenario, inputs, parallel)


def demand_signature(scenario: Scenario) -> str:
    """Everything potential demand depends on besides the draws: the demand section, and
    the correlations with the distributions they involve (they can move growth draws)."""
    related = {}
    if scenario.correlations:
        from .scenario import numeric_fields

        fields = numeric_fields(scenario)
        for c in scenario.correlations:
            for name in c.params:
                if name in fields:
                    value = fields[name]
                    related[name] = value.model_dump() if hasattr(value, "model_dump") else value
    return json.dumps(
        [scenario.demand.model_dump(mode="json"), [c.model_dump() for c in scenario.correlations],
         related, scenario.simulation.start],
        sort_keys=True, default=str,
    )  # fmt: skip


def _potential_demand(scenario: Scenario, inputs: SampledInputs, parallel: bool) -> np.ndarray:
    from .jit import prepare

    prepare()
    from .kernel.demand import potential_demand_block
    from .workers import over_paths, read_only

    n, months = inputs.n, inputs.months
    lag = inputs["demand.diffusion_lag_years"]
    with np.errstate(divide="ignore"):
        a = np.where(lag > 0, -np.expm1(-1.0 / (12.0 * np.maximum(lag, 1e-300))), 1.0)
    jump_month = np.full(n, -1, dtype=np.int64)
    jump_log = np.zeros(n)
    if scenario.demand.capability_jump is not None:
        at = inputs["demand.capability_jump.at_year"]
        month = np.rint((at - start_decimal_year(scenario.simulation.start)) * 12.0)
        inside = (month >= 0) & (month < months)
        jump_month = np.where(inside, month, -1).astype(np.int64)
        jump_log = np.where(inside, np.log(inputs["demand.capability_jump.multiplier"]), 0.0)
    out = np.empty((n, months))
    args = (out, *map(read_only, (
        inputs["demand.initial_revenue"].astype(float), np.ascontiguousarray(inputs.growth),
        inputs.noise, a, inputs["demand.ceiling"].astype(float),
        inputs["demand.volatility"] / np.sqrt(12.0), jump_month, jump_log,
    )))  # fmt: skip
    over_paths(lambda first, last: potential_demand_block(first, last, *args), n, parallel)
    return out
