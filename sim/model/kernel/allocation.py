"""Allocation: inference takes what demand needs up to its cap, training gets the rest.

``V = min(D, (1 - min_training) C r)``, ``I = V / r``, ``T = min(C - I, max_training C)``,
idle ``C - I - T`` (docs/model.md section 4).
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def allocate(
    capacity: float, demand: float, rpg: float, min_training: float, max_training: float
) -> tuple[float, float, float]:
    """(served run-rate [USD/yr], inference GW, training GW) of one month."""
    served = min(demand, (1.0 - min_training) * capacity * rpg)
    inference = served / rpg
    training = min(capacity - inference, max_training * capacity)
    return served, inference, training
