"""Economics of one month: revenue served and costs [USD/month] (docs/model.md section 5)."""

from __future__ import annotations

from numba import njit


@njit(cache=True)
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
