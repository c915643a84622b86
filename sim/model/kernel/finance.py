"""Finance: fund raising tied to revenue and its growth, and bankruptcy (docs/model.md 5).

A solvent path raises when it is short of runway, its served revenue grew at least
``min_growth_to_raise`` over the last ``min(t, 12)`` months, and its last raise is at least
``min_months_between_raises`` ago; the amount is a share of its valuation, within what is
left of the calendar year's raise capacity.
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True)
def growing(served: float, served_back: float, months_back: int, min_growth: float) -> bool:
    """Whether annualized growth of served revenue over ``months_back`` months >= min."""
    if months_back == 0:
        return True
    if served_back > 0:
        ratio = served / served_back
    elif served > 0:
        ratio = math.inf
    else:
        ratio = 0.0
    if months_back == 12:
        return ratio >= min_growth
    return ratio ** (12.0 / months_back) >= min_growth


@njit(cache=True)
def raise_amount(
    pre_cash: float,
    net: float,
    served: float,
    runway_months: float,
    grows: bool,
    spaced: bool,
    max_dilution: float,
    valuation_multiple: float,
    room_this_year: float,
) -> float:
    """Money raised this month [USD] (0 when any condition fails)."""
    burn = max(-net, 0.0)
    if not (pre_cash < runway_months * burn and grows and spaced):
        return 0.0
    size = min(max_dilution * valuation_multiple * served, room_this_year)
    return size if size > 0 else 0.0
