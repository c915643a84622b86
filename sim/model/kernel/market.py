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

from .procurement import industry_gw, online


@njit(cache=True)
def lab_share(log_m: float, loss: float, initial_share: float) -> float:
    """The lab's share of market demand [0..1] (1 exactly when it starts alone)."""
    if initial_share >= 1.0:
        return 1.0
    attraction = initial_share * math.exp(log_m) * loss
    return attraction / (attraction + (1.0 - initial_share))


@njit(cache=True)
def lab_shares(log_m: float, loss: float, initial_share: float) -> tuple[float, float]:
    """(share, share had churn lost nothing) [0..1]: :func:`lab_share` with one ``exp``."""
    if initial_share >= 1.0:
        return 1.0, 1.0
    attraction = initial_share * math.exp(log_m)
    rest = 1.0 - initial_share
    kept = attraction * loss
    return kept / (kept + rest), attraction / (attraction + rest)


# Numerical guard only: a premium beyond 1e6x either way (a rival with no training compute
# left) would overflow revenue; base's premium stays within 0.1-10x.
_MAX_LOG_PREMIUM = math.log(1.0e6)


@njit(cache=True)
def capability_premium(
    lab: float, rivals: float, lab0: float, rivals0: float, exponent: float, alone: bool
) -> float:
    """Revenue per GW of the lab's inference relative to the market's [x]: its training
    compute relative to the rivals', against that ratio at the start, to the power
    ``exponent`` (pricing power of a better model; 0 or a lab alone: exactly 1)."""
    if exponent == 0.0 or alone:
        return 1.0
    if lab <= 0.0 or rivals <= 0.0:
        return math.exp(_MAX_LOG_PREMIUM if rivals <= 0.0 < lab else -_MAX_LOG_PREMIUM)
    log_premium = exponent * math.log((lab / rivals) / (lab0 / rivals0))
    return math.exp(max(-_MAX_LOG_PREMIUM, min(_MAX_LOG_PREMIUM, log_premium)))


@njit(cache=True)
def clear_price(reference: float, log_tightness: float, elasticity: float, floor: float,
                cap: float) -> float:  # fmt: skip
    """Price that clears at tightness ``x = exp(log_tightness)`` [USD/GW-yr]: logistic in
    ``ln x`` between ``floor`` and ``cap``, ``reference`` at ``x = 1``: ``floor + (cap -
    floor) / (1 + o x^-e)`` with ``o = (cap - reference) / (reference - floor)``; within
    [floor, cap] and rising with tightness (elasticity 0: ``reference`` exactly)."""
    if elasticity == 0.0:
        return reference  # no response: exactly today's fixed price
    odds = (cap - reference) / (reference - floor)
    return floor + (cap - floor) / (1.0 + odds * math.exp(-elasticity * log_tightness))


@njit(cache=True)
def log_tightness(market_demand: float, rpg: float, gw_online: float, start: float) -> float:
    """ln of market demand per GW online [GW of inference needed per GW online] over its
    value at the start ``start``; +inf without GW online, -inf without demand."""
    if gw_online <= 0.0:
        return math.inf
    if market_demand <= 0.0:
        return -math.inf
    return math.log(market_demand / rpg / gw_online / start)


@njit(cache=True)
def ration(lab_gw: float, rivals_gw: float, free_gw: float) -> tuple[float, float]:
    """(lab GW, rivals GW) granted when both order for the same month: pro rata to the
    orders when together they exceed the free supply [GW]."""
    total = lab_gw + rivals_gw
    if total <= free_gw or total <= 0.0:
        return lab_gw, rivals_gw
    scale = max(free_gw, 0.0) / total
    return lab_gw * scale, rivals_gw * scale


@njit(cache=True)
def free_supply(
    p: np.ndarray, book: np.ndarray, n_signed: int, rivals_book: np.ndarray, n_rivals: int,
    start: int, end: int,
) -> float:  # fmt: skip
    """Industry supply not under contract to the lab or the rivals over months
    ``[start, end)``, the least of it at any month a contract starts in [GW]. Supply never
    shrinks in between (industry growth >= 1), so those months are the only binding ones."""
    lab, _ = online(book, n_signed, start)
    rivals, _ = online(rivals_book, n_rivals, start)
    free = industry_gw(p, start) - lab - rivals
    for k in range(n_signed + n_rivals):
        month = int(book[k, 0]) if k < n_signed else int(rivals_book[k - n_signed, 0])
        if start < month < end:
            lab, _ = online(book, n_signed, month)
            rivals, _ = online(rivals_book, n_rivals, month)
            free = min(free, industry_gw(p, month) - lab - rivals)
    return max(free, 0.0)


@njit(cache=True)
def spill(own_unserved: float, room: float) -> float:
    """Run-rate of one firm's unserved customers the other firm serves from its idle
    inference capacity [USD/yr]."""
    return max(min(own_unserved, room), 0.0)


@njit(cache=True)
def rivals_serve(
    demand: float, gw: float, rpg: float, training_share: float
) -> tuple[float, float]:
    """(run-rate rivals serve of their own customers [USD/yr], inference room left [USD/yr])."""
    limit = (1.0 - training_share) * gw * rpg
    served = min(demand, limit)
    return served, limit - served
