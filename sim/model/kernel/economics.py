"""Economics of one month: revenue served and costs [USD/month] (docs/model.md section 5)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, _nrt=False)
def powered(memo: np.ndarray, base: float, exponent: float) -> float:
    """``base ** exponent``, taken from ``memo`` (the last base, exponent and result) when
    both repeat: the paths of a scenario that does not draw them (efficiency gains, a lead
    time, a planned growth) then share one ``pow``, bit for bit; ~8 a path were ~6% of the
    month loop's time."""
    if base == memo[0] and exponent == memo[1]:
        return memo[2]
    memo[0], memo[1], memo[2] = base, exponent, base**exponent
    return memo[2]


@njit(cache=True, _nrt=False)
def month_flows(
    served_rate: float,
    compute_cost: float,
    other_share: float,
    fixed_monthly: float,
) -> tuple[float, float, float]:
    """(revenue, other cost, net cash flow) [USD/month]; compute cost is committed."""
    revenue = served_rate / 12.0
    other = other_share * revenue
    net = revenue - compute_cost - other - fixed_monthly
    return revenue, other, net


@njit(cache=True, _nrt=False)
def twelfth(annual: float) -> float:
    """``annual / 12`` (a yearly figure per month), without the division when ``annual`` is
    zero: then it is the quotient already, the same signed zero. Most such terms (interest
    without debt, sublease revenue without a sublease, demand lost to rivals with room to
    serve it) are 0 in most path-months, and divisions are much of the month loop's time."""
    return annual / 12.0 if annual != 0.0 else annual
