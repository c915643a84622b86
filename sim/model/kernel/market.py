"""Market: the lab and an aggregate rival share market demand, supply and prices.

Per path and month (docs/model.md section 5d):

- market demand ``D`` is the demand process of :mod:`.demand`, at most its ceiling; the
  lab's share of it is ``sigma = s0 m L / (s0 m L + 1 - s0)``: the
  attraction of its models ``s0 m L`` (``m`` the relative-capability multiplier of
  :mod:`.competition`, log-linear in training compute against the rivals'; ``L`` what churn
  left) against the rivals' ``1 - s0``;
- each firm serves its own customers up to its inference limit; what one cannot serve goes
  to the other's idle inference capacity (availability); only what neither can serve is
  unserved by the market;
- tightness ``x = (D / r) / (C_lab + C_rivals)`` relative to its value at the start (market
  demand per GW online); contract and spot prices rise with it from ``floor`` (operating
  cost) toward ``cap``, ``P`` at tightness 1 (:func:`clear_price`);
- orders placed in the same month for the same delivery month are rationed pro rata to
  their size against what supply leaves free then; earlier orders keep what they got;
- pricing power: each GW of the lab's inference earns ``pi = ((E/R) / (E0/R0))^k`` times
  the market's revenue per GW (:func:`capability_premium`), ``E`` and ``R`` the lab's and
  rivals' effective training compute; ``k = 0`` (the default) leaves it at 1 exactly.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .allocation import inference_limit
from .layout import P
from .procurement import industry_gw, online, plan_demand

_IND_START, _IND_GROWTH, _IND_MAX = P["industry_start"], P["industry_growth"], P["industry_max"]
_MAX_SHARE = P["max_share"]
_CONTRACT_E, _FLOOR, _CAP = P["contract_elasticity"], P["price_floor"], P["price_cap"]
_GW0, _RIVALS_GW0 = P["initial_gw"], P["rivals_gw0"]


@njit(cache=True, _nrt=False)
def lab_share(log_m: float, loss: float, initial_share: float) -> float:
    """The lab's share of market demand [0..1] (1 exactly when it starts alone)."""
    if initial_share >= 1.0:
        return 1.0
    attraction = initial_share * math.exp(log_m) * loss
    return attraction / (attraction + (1.0 - initial_share))


@njit(cache=True, _nrt=False)
def lab_shares(log_m: float, loss: float, initial_share: float) -> tuple[float, float]:
    """(share, share had churn lost nothing) [0..1]: :func:`lab_share` with one ``exp``
    (and one division while churn has lost nothing: the two are then the same number)."""
    if initial_share >= 1.0:
        return 1.0, 1.0
    attraction = initial_share * math.exp(log_m)
    rest = 1.0 - initial_share
    kept = attraction * loss
    share = kept / (kept + rest)
    if loss == 1.0:  # kept == attraction exactly
        return share, share
    return share, attraction / (attraction + rest)


# Numerical guard only: a premium beyond 1e6x either way (a rival with no training compute
# left) would overflow revenue; base's premium stays within 0.1-10x.
_MAX_LOG_PREMIUM = math.log(1.0e6)
_LN2 = math.log(2.0)


@njit(cache=True, _nrt=False)
def capability_premium(
    doublings: float, lab: float, rivals: float, exponent: float, alone: bool
) -> float:
    """Revenue per GW of the lab's inference relative to the market's [x]: ``2^(exponent *
    doublings)``, ``doublings = log2((E/R) / (E0/R0))`` the lab's training compute relative
    to the rivals' against that ratio at the start (the number the competition loop
    follows, computed once a month for both), ``E = lab``, ``R = rivals`` (pricing power
    of a better model; exponent 0 or a lab alone: exactly 1)."""
    if exponent == 0.0 or alone:
        return 1.0
    if lab <= 0.0 or rivals <= 0.0:
        return math.exp(_MAX_LOG_PREMIUM if rivals <= 0.0 < lab else -_MAX_LOG_PREMIUM)
    log_premium = exponent * _LN2 * doublings
    return math.exp(max(-_MAX_LOG_PREMIUM, min(_MAX_LOG_PREMIUM, log_premium)))


@njit(cache=True, _nrt=False)
def half_steps(e: float) -> int:
    """``2e`` when it is a whole number from 1 to 8 (the price elasticities people use:
    0.5, 1, 1.5, 2, ...), else 0: how :func:`power` raises to ``e``."""
    twice = 2.0 * e
    return int(twice) if 0.0 < twice <= 8.0 and twice == math.floor(twice) else 0


@njit(cache=True, _nrt=False)
def power(x: float, e: float, steps: int) -> float:
    """``x^e`` for ``0 < x < inf``, ``steps`` the :func:`half_steps` of ``e``: by ``sqrt``
    and products when it is not 0, ``pow`` otherwise. Prices are cleared twice every
    path-month, and ``exp(-e ln x)`` there was most of the market's cost; the two agree
    within a few units in the last place."""
    if steps == 0:
        return x**e
    r = math.sqrt(x) if steps & 1 else 1.0
    for _ in range(steps // 2):
        r *= x
    return r


@njit(cache=True, _nrt=False)
def price_terms(
    reference: float, floor: float, cap: float, spot_e: float, contract_e: float
) -> tuple[float, int, int]:
    """A path's constants of :func:`clear_price`: the odds ``o = (cap - reference) /
    (reference - floor)`` (inf when the reference sits on the floor: every price is then
    the floor), and the :func:`half_steps` of the spot and contract elasticities."""
    odds = (cap - reference) / (reference - floor) if reference != floor else math.inf
    return odds, half_steps(spot_e), half_steps(contract_e)


@njit(cache=True, _nrt=False)
def clear_price(reference: float, odds: float, tightness: float, elasticity: float,
                steps: int, floor: float, cap: float) -> float:  # fmt: skip
    """Price that clears at tightness ``x`` [USD/GW-yr]: logistic in ``ln x`` between
    ``floor`` and ``cap``, ``reference`` at ``x = 1``: ``floor + (cap - floor) / (1 + o
    x^-e)`` with the :func:`price_terms` ``o`` (``steps``: :func:`half_steps` of ``e``),
    computed as ``floor + (cap - floor) (x^e / (x^e + o))`` (one division); within [floor,
    cap] and rising with tightness (elasticity 0: ``reference`` exactly; ``x = 0``: the
    floor, ``x = inf``: the cap)."""
    if elasticity == 0.0:
        return reference  # no response: exactly today's fixed price
    if tightness <= 0.0:
        return floor
    if tightness == math.inf:
        return cap
    r = power(tightness, elasticity, steps)
    if r == math.inf:  # x^e beyond float range: at the cap
        return cap
    return floor + (cap - floor) * (r / (r + odds))


@njit(cache=True, _nrt=False)
def start_tightness(p: np.ndarray, market_demand: float, rpg: float) -> float:
    """Market demand per GW online at the start [GW of inference needed per GW]: what
    :func:`tightness` is relative to (no GW online: as if there were 1 GW)."""
    gw0 = p[_GW0] + p[_RIVALS_GW0]
    return market_demand / rpg / (gw0 if gw0 > 0.0 else 1.0)


@njit(cache=True, _nrt=False)
def contract_price_of(
    market_demand: float, rpg: float, gw_online: float, start: float, reference: float,
    odds: float, p: np.ndarray, steps: int,
) -> float:  # fmt: skip
    """The contract price that clears at a month's market demand [USD/yr], revenue per GW
    ``rpg`` and GW online (:func:`tightness` relative to ``start``) [USD/GW-yr]: what
    orders signed the month after pay (``odds``, ``steps`` from :func:`price_terms`)."""
    tight = tightness(market_demand, rpg, gw_online, start)
    return clear_price(reference, odds, tight, p[_CONTRACT_E], steps, p[_FLOOR], p[_CAP])


@njit(cache=True, _nrt=False)
def tightness(market_demand: float, rpg: float, gw_online: float, start: float) -> float:
    """Market demand per GW online [GW of inference needed per GW online] over its value at
    the start ``start`` [x]; inf without GW online, 0 without demand."""
    if gw_online <= 0.0:
        return math.inf
    if market_demand <= 0.0:
        return 0.0
    return market_demand / (rpg * gw_online * start)


@njit(cache=True, _nrt=False)
def ration(lab_gw: float, rivals_gw: float, free_gw: float) -> tuple[float, float]:
    """(lab GW, rivals GW) granted when both order for the same month: pro rata to the
    orders when together they exceed the free supply [GW]."""
    total = lab_gw + rivals_gw
    if total <= free_gw or total <= 0.0:
        return lab_gw, rivals_gw
    scale = max(free_gw, 0.0) / total
    return lab_gw * scale, rivals_gw * scale


@njit(cache=True, _nrt=False)
def supply_table(p: np.ndarray, table: np.ndarray, table_of: np.ndarray) -> None:
    """Fill ``table`` with the industry supply by month [GW] of the parameters ``p``
    (:func:`industry_gw`) unless it holds it already: ``table_of`` keeps the start, growth
    and limit it was computed for (NaN: none yet), so paths that share them (all of a
    scenario that does not draw them) pay one ``pow`` per month once, not once per path."""
    if (
        p[_IND_START] == table_of[0]
        and p[_IND_GROWTH] == table_of[1]
        and p[_IND_MAX] == table_of[2]
    ):
        return
    for t in range(table.shape[0]):
        table[t] = industry_gw(p, t)
    table_of[0], table_of[1], table_of[2] = p[_IND_START], p[_IND_GROWTH], p[_IND_MAX]


@njit(cache=True, _nrt=False)
def supply_at(p: np.ndarray, industry: np.ndarray, month: int) -> float:
    """Industry supply in ``month`` [GW]: from the loop's table ``industry`` (the same
    :func:`industry_gw` of the path's parameters, computed once) while it covers it."""
    if 0 <= month < industry.shape[0]:
        return industry[month]
    return industry_gw(p, month)


@njit(cache=True, _nrt=False)
def supply_cap_at(p: np.ndarray, industry: np.ndarray, month: int) -> float:
    """:func:`.procurement.supply_cap` (the most GW one firm can hold in ``month``) from
    the loop's table ``industry``: the same number without a ``pow`` per order [GW]."""
    return p[_MAX_SHARE] * supply_at(p, industry, month)


@njit(cache=True, _nrt=False)
def free_supply(
    p: np.ndarray, industry: np.ndarray, book: np.ndarray, n_signed: int,
    rivals_book: np.ndarray, n_rivals: int, start: int, end: int,
) -> float:  # fmt: skip
    """Industry supply not under contract to the lab or the rivals over months
    ``[start, end)``, the least of it at any month a contract starts in [GW]. Supply never
    shrinks in between (industry growth >= 1), so those months are the only binding ones."""
    lab, _ = online(book, n_signed, start)
    rivals, _ = online(rivals_book, n_rivals, start)
    free = supply_at(p, industry, start) - lab - rivals
    for k in range(n_signed + n_rivals):
        month = int(book[k, 0]) if k < n_signed else int(rivals_book[k - n_signed, 0])
        if start < month < end:
            lab, _ = online(book, n_signed, month)
            rivals, _ = online(rivals_book, n_rivals, month)
            free = min(free, supply_at(p, industry, month) - lab - rivals)
    return max(free, 0.0)


@njit(cache=True, _nrt=False)
def spill(own_unserved: float, room: float) -> float:
    """Run-rate of one firm's unserved customers the other firm serves from its idle
    inference capacity [USD/yr]."""
    return max(min(own_unserved, room), 0.0)


@njit(cache=True, _nrt=False)
def rivals_serve(
    demand: float, gw: float, rpg: float, training_share: float
) -> tuple[float, float]:
    """(run-rate rivals serve of their own customers [USD/yr], inference room left [USD/yr])."""
    limit = (1.0 - training_share) * gw * rpg
    served = min(demand, limit)
    return served, limit - served


@njit(cache=True, _nrt=False)
def overflow(
    market_demand: float, demand: float, capacity: float, rpg: float, rpg_lab: float,
    rivals_gw: float, min_training: float, rivals_training: float,
) -> tuple[float, float, float]:  # fmt: skip
    """Availability in one month: (the rivals' customers the lab serves from its idle
    inference, the lab's customers the rivals serve from theirs, all the rivals serve)
    [USD/yr], given the lab's own ``demand``; what the lab serves of it before it takes
    any of theirs is :func:`.allocation.allocate`'s (the loop allocates once, after)."""
    limit = inference_limit(capacity, rpg_lab, min_training)
    served = min(demand, limit)
    r_served, r_room = rivals_serve(market_demand - demand, rivals_gw, rpg, rivals_training)
    to_rivals = spill(demand - served, r_room)
    won = spill(market_demand - demand - r_served, limit - served)
    return won, to_rivals, r_served + to_rivals


@njit(cache=True, _nrt=False)
def rivals_order(
    kind: int, p_rivals: np.ndarray, seen: np.ndarray, t: int, due: int, to_ceiling: bool,
    fit_beta: np.ndarray, fit_resid: np.ndarray, rpg_due: float, book: np.ndarray, n: int,
    training_share: float, factor: float,
) -> float:  # fmt: skip
    """GW the rivals order at a review in month ``t`` for ``due``: what their policy plans
    to serve of the demand they ``seen``, at ``rpg_due`` per GW of inference, less what
    they hold then [GW] (before rationing); ``factor`` is :func:`.procurement.planned_factor`
    of their parameters over ``due - t`` months (a path's lead is fixed: one pow a path)."""
    plan = plan_demand(kind, p_rivals, seen, t, due, to_ceiling, 0, 0, fit_beta, fit_resid,
                       factor)  # fmt: skip
    have, _cost = online(book, n, due)
    return max(plan / (rpg_due * (1.0 - training_share)) - have, 0.0)


_NEVER = 2**62


@njit(cache=True, _nrt=False)
def next_change(book: np.ndarray, n_signed: int, month: int) -> int:
    """First month after ``month`` in which a contract of ``book`` starts or ends, so that
    what :func:`online` sums changes (a huge number when none does): the loop re-sums a
    book only then, or when a contract is signed or cut."""
    change = _NEVER
    for k in range(n_signed):
        start, end = int(book[k, 0]), int(book[k, 1])
        if start > month:
            change = min(change, start)
        elif end > month:
            change = min(change, end)
    return change
