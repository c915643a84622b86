"""Potential demand: the revenue run-rate the firm could earn with unlimited compute.

Exogenous to purchase decisions, so it is computed for all months up front.
"""

from __future__ import annotations

import numpy as np

from .sampling import SampledInputs
from .scenario import Scenario


def start_decimal_year(start: str) -> float:
    """'2026-07' -> 2026.5."""
    year, month = map(int, start.split("-"))
    return year + (month - 1) / 12.0


def capability_log_growth(scenario: Scenario, inputs: SampledInputs) -> np.ndarray:
    """Monthly log-growth of capability-driven demand, shape (n, months) [1/month].

    ``ln(g_y) / 12`` in every month of simulation year ``y``, plus ``ln(multiplier)`` in
    the month of a capability jump (jumps before the start are already in the run-rate).
    """
    months = inputs.months
    year_of_month = np.arange(months) // 12
    c = np.log(inputs.growth)[:, year_of_month] / 12.0
    if scenario.demand.capability_jump is not None:
        at = inputs["demand.capability_jump.at_year"]
        jump_month = np.rint((at - start_decimal_year(scenario.simulation.start)) * 12.0)
        mult = inputs["demand.capability_jump.multiplier"]
        rows = np.flatnonzero((jump_month >= 0) & (jump_month < months))
        c[rows, jump_month[rows].astype(int)] += np.log(mult[rows])
    return c


def potential_demand(scenario: Scenario, inputs: SampledInputs) -> np.ndarray:
    """Potential demand run-rate per path and month, shape (n, months) [USD/yr].

    ``s_t = s_{t-1} + a (c_t - s_{t-1})`` with ``a = 1 - exp(-1 / (12 L))`` lags revenue
    growth behind capability growth ``c`` by ``L`` years on average (exponential kernel);
    ``ln D_{t+1} = ln D_t + s_t (1 - D_t / K) + sigma / sqrt(12) eps_t`` (saturation
    applies to positive growth only).
    """
    c = capability_log_growth(scenario, inputs)
    n, months = c.shape
    lag = inputs["demand.diffusion_lag_years"]
    with np.errstate(divide="ignore"):
        a = np.where(lag > 0, -np.expm1(-1.0 / (12.0 * np.maximum(lag, 1e-300))), 1.0)
    ceiling = inputs["demand.ceiling"]
    shock = (inputs["demand.volatility"] / np.sqrt(12.0))[:, None] * inputs.noise

    out = np.empty((n, months))
    d = inputs["demand.initial_revenue"].copy()
    log_d = np.log(d)
    s = np.log(inputs.growth[:, 0]) / 12.0  # steady state before the start: no jump yet
    out[:, 0] = d
    for t in range(months - 1):
        s += a * (c[:, t] - s)
        drift = np.where(s > 0, s * (1.0 - d / ceiling), s)
        log_d += drift + shock[:, t]
        d = np.exp(log_d)
        out[:, t + 1] = d
    return out
