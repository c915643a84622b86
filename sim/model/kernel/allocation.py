"""Allocation: inference takes what demand needs up to its cap, training gets the rest.

``V = min(D, (1 - min_training) C r)``, ``I = V / r``, ``T = min(C - I, max_training C)``,
idle ``C - I - T`` (docs/model.md section 4). With sublease on, training keeps its planned
share and everything beyond inference and that share is resold (:func:`sublease`).
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, _nrt=False)
def inference_limit(capacity: float, rpg: float, min_training: float) -> float:
    """The most run-rate ``capacity`` GW can serve while training keeps ``min_training`` of
    it: ``(1 - min_training) C r`` [USD/yr]."""
    return (1.0 - min_training) * capacity * rpg


@njit(cache=True, _nrt=False)
def allocate(
    capacity: float, demand: float, rpg: float, min_training: float, max_training: float
) -> tuple[float, float, float]:
    """(served run-rate [USD/yr], inference GW, training GW) of one month."""
    served = min(demand, inference_limit(capacity, rpg, min_training))
    inference = served / rpg
    training = min(capacity - inference, max_training * capacity)
    return served, inference, training


@njit(cache=True, _nrt=False)
def sublease(
    capacity: float,
    inference: float,
    training: float,
    training_share: float,
    min_training: float,
    max_training: float,
) -> tuple[float, float]:
    """(training GW, subleased GW) when surplus capacity is resold: training keeps
    ``max(training_share, min_training)`` of capacity (at most ``max_training``) and every
    GW beyond inference and that is subleased."""
    keep = min(max(training_share, min_training), max_training) * capacity
    kept = min(training, keep)
    return kept, capacity - inference - kept
