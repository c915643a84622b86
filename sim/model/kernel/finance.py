"""Finance: fund raising tied to revenue and its growth, and bankruptcy (docs/model.md 5).

A solvent path raises when it is short of runway, its served revenue grew at least
``min_growth_to_raise`` over the last ``min(t, 12)`` months, and its last raise is at least
``min_months_between_raises`` ago; the amount is a share of its valuation, within what is
left of the calendar year's raise capacity.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .procurement import obligations_after

GROWTH_TIE = 1e-9
"""Relative tolerance of the growth test: growth equal to ``min_growth_to_raise`` up to float
rounding counts as growing (a path capped at a fixed efficiency gain sits exactly on it, and
summation order must not decide whether it raises)."""


@njit(cache=True, _nrt=False)
def annual_growth(served: float, served_back: float, months_back: int) -> float:
    """Annualized growth of served revenue over ``months_back`` months [x/yr] (inf from 0)."""
    if served_back > 0:
        ratio = served / served_back
    elif served > 0:
        ratio = math.inf
    else:
        ratio = 0.0
    if months_back == 12:
        return ratio
    return ratio ** (12.0 / months_back)


@njit(cache=True, _nrt=False)
def at_least(growth: float, min_growth: float) -> bool:
    """Whether an annualized growth [x/yr] counts as at least ``min_growth`` (up to
    :data:`GROWTH_TIE`)."""
    return growth >= min_growth * (1.0 - GROWTH_TIE)


@njit(cache=True, _nrt=False)
def growing(served: float, served_back: float, months_back: int, min_growth: float) -> bool:
    """Whether annualized growth of served revenue over ``months_back`` months >= min."""
    if months_back == 0:
        return True
    return at_least(annual_growth(served, served_back, months_back), min_growth)


@njit(cache=True, _nrt=False)
def valuation(multiple: float, growth: float, reference: float, elasticity: float) -> float:
    """Valuation multiple of a raise: markets pay ``(growth / reference)^elasticity`` more for
    faster growth (elasticity 0: the multiple as is) [x revenue run-rate]."""
    if elasticity == 0.0:
        return multiple
    return multiple * (growth / reference) ** elasticity


@njit(cache=True, _nrt=False)
def debt_step(
    cash: float, debt: float, served: float, operating: float, limit: float, covenant: float
) -> tuple[float, float, float, float]:
    """One month of a revolving credit line after interest and raises.

    Debt above ``covenant`` x revenue run-rate is called and repaid from cash; a cash
    shortfall is borrowed up to ``limit`` x run-rate; positive operating cash flow repays
    debt. Returns (cash, debt, borrowed, repaid) [USD].
    """
    repaid = 0.0
    called = debt - covenant * served
    if called > 0:  # lenders call the excess, whatever cash is left
        repaid += called
        cash -= called
        debt -= called
    borrowed = 0.0
    if cash < 0:
        borrowed = min(-cash, max(0.0, limit * served - debt))
        cash += borrowed
        debt += borrowed
    elif operating > 0 and debt > 0:
        pay = min(debt, operating, cash)
        repaid += pay
        cash -= pay
        debt -= pay
    return cash, debt, borrowed, repaid


@njit(cache=True, _nrt=False)
def short_of_runway(pre_cash: float, net: float, runway_months: float) -> bool:
    """Whether cash [USD] lasts less than ``runway_months`` at this month's burn (the net
    cash outflow [USD/month]); a lab with a positive cash flow never is."""
    return pre_cash < runway_months * max(-net, 0.0)


@njit(cache=True, _nrt=False)
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
    if not (short_of_runway(pre_cash, net, runway_months) and grows and spaced):
        return 0.0
    size = min(max_dilution * valuation_multiple * served, room_this_year)
    return size if size > 0 else 0.0


SOLVENCY_MARGIN = 1e-9
"""Relative margin of :func:`solvent_to_end` over what is owed: covers float rounding in
the months' sums (~1e-13 relative over a run-off), so the test never misjudges a path."""


@njit(cache=True, _nrt=False)
def solvent_to_end(
    cash: float, book: np.ndarray, n_signed: int, month: int, fixed_monthly: float, end: int
) -> bool:
    """Whether ``cash`` [USD] pays everything a lab without debt still owes from ``month`` on,
    whatever its revenue: the take-or-pay of its ``book`` and fixed costs [USD/month] until
    its last contract ``end`` s.

    With no new contracts (the run-off), no debt and no fee due, a month's cash flow is at
    least minus its compute and fixed costs (revenue less other costs, a share < 1 of it,
    sublease revenue and raises are >= 0), so cash then never falls below 0: the lab cannot
    go bankrupt any more.
    """
    need = obligations_after(book, n_signed, month) + fixed_monthly * max(end - month, 0)
    return cash - need > SOLVENCY_MARGIN * (abs(cash) + need)
