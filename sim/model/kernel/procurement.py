"""Procurement: the contract book of one path, the supply cap, purchase policies, orders.

A contract is ``(start, end, gw, monthly cost)``: online in months ``[start, end)`` and paid
in each of them whether used or not (take-or-pay). The book keeps contracts in signing
order, so sums over it match the SimPy reference term by term. docs/model.md section 3.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .economics import powered
from .layout import ADAPTIVE, DEMAND_QUANTILE, PLANNED_GROWTH, P

# numba reads module-level ints as compile-time constants (not dict lookups)
_SHARE, _START, _GROWTH, _MAX = (
    P["max_share"], P["industry_start"], P["industry_growth"], P["industry_max"],
)  # fmt: skip
_PRICE, _MARGIN, _EFF, _PASS, _SP_GROWTH, _SP_MARGIN = (
    P["price"], P["margin"], P["eff"], P["pass_through"], P["signpost_min_growth"],
    P["signpost_min_margin"],
)  # fmt: skip
_PLANNED, _PRIOR, _WEIGHT, _HAIRCUT, _Q, _CEILING = (
    P["planned_growth"], P["prior_growth"], P["prior_weight"], P["haircut"], P["q"],
    P["ceiling"],
)  # fmt: skip


@njit(cache=True, _nrt=False)
def sign(book: np.ndarray, n_signed: int, gw: float, start: int, length: int, price: float) -> int:
    """Append a contract to ``book`` (rows: start, end, gw, cost); returns the new count."""
    book[n_signed, 0] = start
    book[n_signed, 1] = start + length
    book[n_signed, 2] = gw
    book[n_signed, 3] = gw * price / 12.0
    return n_signed + 1


@njit(cache=True, _nrt=False)
def online(book: np.ndarray, n_signed: int, month: int) -> tuple[float, float]:
    """(GW under contract, monthly cost [USD/month]) in ``month``."""
    gw = 0.0
    cost = 0.0
    for k in range(n_signed):
        if book[k, 0] <= month < book[k, 1]:
            gw += book[k, 2]
            cost += book[k, 3]
    return gw, cost


@njit(cache=True, _nrt=False)
def obligations_after(book: np.ndarray, n_signed: int, month: int) -> float:
    """Take-or-pay still owed from ``month`` on, nominal [USD]."""
    total = 0.0
    for k in range(n_signed):
        left = book[k, 1] - max(book[k, 0], month)
        if left > 0:
            total += book[k, 3] * left
    return total


@njit(cache=True, _nrt=False)
def last_end(book: np.ndarray, n_signed: int) -> int:
    """Month the last contract with GW expires (exclusive), 0 without any."""
    end = 0.0
    for k in range(n_signed):
        if book[k, 2] > 0 and book[k, 1] > end:
            end = book[k, 1]
    return int(end)


@njit(cache=True, _nrt=False)
def lead_slot(leads: np.ndarray, lead: int) -> int:
    """Index of ``lead`` [months] among a quantile policy's fitted ``leads`` (0 if absent)."""
    for k in range(leads.shape[0]):
        if leads[k] == lead:
            return k
    return 0


@njit(cache=True, _nrt=False)
def industry_gw(p: np.ndarray, month: int) -> float:
    """Industry AI capacity in ``month``: grows ``industry_growth``-fold a year up to the hard
    limit [GW]."""
    return min(p[_START] * p[_GROWTH] ** (month / 12.0), p[_MAX])


@njit(cache=True, _nrt=False)
def supply_cap(p: np.ndarray, month: int) -> float:
    """Most GW one firm can hold in ``month``: share x min(industry GW, hard limit) [GW]."""
    return p[_SHARE] * industry_gw(p, month)


@njit(cache=True, _nrt=False)
def bend_to_ceiling(now: float, planned: float, ceiling: float) -> float:
    """Logistic plan: ``K / (1 + (K / D_t - 1) / M)`` with ``M = planned / now`` [USD/yr]."""
    if now <= 0.0 or planned <= 0.0:  # demand underflowed to 0: nothing to plan for
        return 0.0
    return ceiling / (1.0 + (ceiling / now - 1.0) * now / planned)


@njit(cache=True, _nrt=False)
def residual_quantile(resid: np.ndarray, q: float) -> float:
    """Empirical quantile of sorted residuals, linear between order statistics."""
    rank = q * (resid.shape[0] - 1)
    lo = math.floor(rank)
    hi = min(lo + 1, resid.shape[0] - 1)
    w = rank - lo
    return (1.0 - w) * resid[lo] + w * resid[hi]


@njit(cache=True, _nrt=False)
def review_step(t: int, until: int, period: int, first: int) -> tuple[bool, int]:
    """(whether month ``t`` has a review, months to the next calendar slot after it) given
    ``until`` before it: the first review in month ``first``, then those of a calendar of
    one every ``period`` months (starting at month 0) after it."""
    on_calendar = until == 0
    return t == first or (on_calendar and t > first), period - 1 if on_calendar else until - 1


@njit(cache=True, _nrt=False)
def plan_demand(
    kind: int,
    p: np.ndarray,
    demand: np.ndarray,
    t: int,
    due: int,
    plan_to_ceiling: bool,
    review_index: int,
    lead_slot: int,
    fit_beta: np.ndarray,
    fit_resid: np.ndarray,
    planned_factor: float,
) -> float:
    """Potential demand [USD/yr] the policy plans to serve at ``due`` (section 3 table);
    ``planned_factor`` is :func:`planned_factor` of the same months ahead (a path's lead is
    fixed, so its loop takes that ``pow`` once)."""
    now = demand[t]
    if now <= 0.0:  # demand underflowed to 0 (schema bounds make this all but impossible)
        return 0.0
    years_ahead = (due - t) / 12.0
    if kind == PLANNED_GROWTH:
        planned = now * planned_factor
    elif kind == ADAPTIVE:
        prior = math.log(p[_PRIOR])
        if t == 0:
            mu = prior
        else:
            seen = t / 12.0
            observed = math.log(now / demand[0]) / seen
            w0 = p[_WEIGHT]
            mu = (w0 * prior + seen * observed) / (w0 + seen)
        mu = mu * (1.0 - p[_HAIRCUT])
        planned = now * math.exp(mu * years_ahead)
    else:  # DEMAND_QUANTILE: conditional on the path's history (sim.model.pilot)
        k = min(t, 12)
        trailing = 0.0 if k == 0 else math.log(now / demand[t - k]) * (12.0 / k)
        beta = fit_beta[review_index, lead_slot]
        y = beta[0] + beta[1] * trailing + beta[2] * math.log(now / p[_CEILING])
        y += residual_quantile(fit_resid[review_index, lead_slot], p[_Q])
        return now * math.exp(y)
    if plan_to_ceiling:
        return bend_to_ceiling(now, planned, p[_CEILING])
    return planned


@njit(cache=True, _nrt=False)
def planned_factor(p: np.ndarray, months_ahead: int, memo: np.ndarray) -> float:
    """Growth a planned-growth policy plans for over ``months_ahead`` months [x] (``memo``:
    see :func:`.economics.powered`)."""
    return powered(memo, p[_PLANNED], months_ahead / 12.0)


@njit(cache=True, _nrt=False)
def credit_room(
    book: np.ndarray, n_signed: int, month: int, run_rate: float, cash: float,
    revenue_multiple: float, cash_multiple: float,
) -> float:  # fmt: skip
    """New take-or-pay value [USD] counterparties still sign: ``revenue_multiple`` x revenue
    run-rate + ``cash_multiple`` x cash, less everything still owed from ``month`` on."""
    owed = obligations_after(book, n_signed, month)
    return max(0.0, revenue_multiple * run_rate + cash_multiple * max(cash, 0.0) - owed)


@njit(cache=True, _nrt=False)
def cancel_pending(
    book: np.ndarray, n_signed: int, now: int, due: int, excess_gw: float, fee_share: float
) -> tuple[float, float]:
    """Cancel up to ``excess_gw`` of contracts not yet online that cover ``due``, latest
    signed first, for ``fee_share`` of their remaining value. Returns (GW cancelled, fee [USD])."""
    cancelled = 0.0
    fee = 0.0
    for k in range(n_signed - 1, -1, -1):
        if excess_gw - cancelled <= 0:
            break
        if book[k, 0] > now and book[k, 0] <= due < book[k, 1] and book[k, 2] > 0:
            cut = min(book[k, 2], excess_gw - cancelled)
            months = book[k, 1] - book[k, 0]
            per_gw_month = book[k, 3] / book[k, 2]
            fee += fee_share * cut * per_gw_month * months
            book[k, 3] -= cut * per_gw_month
            book[k, 2] -= cut
            cancelled += cut
    return cancelled, fee


@njit(cache=True, _nrt=False)
def signpost_trips(p: np.ndarray, demand: np.ndarray, t: int) -> bool:
    """Whether a signpost read in month ``t > 0`` trips: every set threshold is missed.

    Observed growth is the annualized growth since the start of the demand the lab faces
    (potential demand; with competition, after its multiplier and churn),
    ``(D_t / D_0)^(12/t)`` [x/yr]; the realized inference margin is ``1 - P / r_t`` with
    ``r_t`` the revenue one GW serves in month ``t``. Unset thresholds are inf (always missed).
    """
    growth = (demand[t] / demand[0]) ** (12.0 / t)
    r_t = p[_PRICE] / (1.0 - p[_MARGIN]) * p[_EFF] ** ((1.0 - p[_PASS]) * (t / 12.0))
    margin = 1.0 - p[_PRICE] / r_t
    return growth < p[_SP_GROWTH] and margin < p[_SP_MARGIN]


@njit(cache=True, _nrt=False)
def order_gw(want_gw: float, have_gw: float, cap_gw: float, alive: bool) -> float:
    """GW to order: the shortfall against what is already under contract at delivery,
    within the supply cap [GW]."""
    if not alive:
        return 0.0
    return max(min(want_gw, cap_gw) - have_gw, 0.0)


__all__ = [
    "DEMAND_QUANTILE", "bend_to_ceiling", "cancel_pending", "credit_room", "industry_gw",
    "last_end", "lead_slot", "obligations_after", "online", "order_gw", "plan_demand", "planned_factor", "residual_quantile",
    "sign", "signpost_trips", "supply_cap",
]  # fmt: skip
