"""Competition: training compute buys future demand, unserved customers may leave.

State of one path (docs/model.md section 5b):

- ``E`` and ``R``: the lab's and rivals' effective training compute [GW-years], each month
  ``E <- rho E + T / 12`` with the lab's realized training GW ``T`` and
  ``R <- rho R + share_rivals * industry GW / 12`` (rivals train on the same industry supply
  the lab buys from), ``rho = 0.5^(1 / (12 half_life))`` (1 without decay);
- ``m``: the demand multiplier from relative capability, capability being log-linear in
  training compute: the target ``ln m* = ln(elasticity) * log2((E/R) / (E0/R0))`` (each
  doubling of relative training compute multiplies demand by ``elasticity``), which ``ln m``
  follows with the demand's diffusion speed ``a``;
- ``L``: the share of demand not yet lost to churn, ``L <- L (1 - churn * unserved / D)``.

The lab's potential demand is ``D_t * min(m L, 1 / initial_share)`` (its share of frontier
demand never exceeds 1).
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True, _nrt=False)
def effective_multiplier(log_m: float, loss: float, cap: float) -> float:
    """Potential demand relative to the exogenous path, with churn, within the cap [x]."""
    return min(math.exp(log_m) * loss, cap)


@njit(cache=True, _nrt=False)
def accumulate(stock: float, retention: float, gw: float) -> float:
    """Effective training compute after one month at ``gw`` GW [GW-years]."""
    return retention * stock + gw / 12.0


@njit(cache=True, _nrt=False)
def doublings(lab: float, rivals: float, lab0: float, rivals0: float) -> float:
    """Doublings of relative training compute since the start: ``log2((E/R) / (E0/R0))``."""
    return doublings_from(lab, rivals, lab0 / rivals0)


@njit(cache=True, _nrt=False)
def doublings_from(lab: float, rivals: float, ratio0: float) -> float:
    """:func:`doublings` given ``ratio0 = lab0 / rivals0`` (a path's loop divides once, not
    every month): ``log2((E/R) / ratio0)``."""
    return math.log2((lab / rivals) / ratio0)


@njit(cache=True, _nrt=False)
def follow_capability(log_m: float, doubled: float, log_elasticity: float, a: float) -> float:
    """Next ``ln m``: a step ``a`` toward ``ln(elasticity) * doubled``, ``doubled`` the
    :func:`doublings` of relative training compute (``log_elasticity`` is taken once per
    path, not each month)."""
    return log_m + a * (log_elasticity * doubled - log_m)


@njit(cache=True, _nrt=False)
def churn(loss: float, unserved_rate: float, demand_rate: float, share: float) -> float:
    """Share of demand not yet lost after ``share`` of this month's unserved demand left."""
    if demand_rate <= 0.0:
        return loss
    return loss * (1.0 - share * unserved_rate / demand_rate)
