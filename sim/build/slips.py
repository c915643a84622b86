"""Datacenter build-out pipeline as a SimPy model, and the slip distribution it implies.

An order of compute becomes one or more *projects* of at most ``project_gw`` each. Every
project goes through two stages, each holding a shared, limited resource while it runs:

1. **site & power**: holds one of ``interconnect_slots`` (grid interconnection / permits);
2. **construction**: holds one of ``build_slots`` (construction crews, equipment).

Projects queue FIFO for each resource (a tandem queue), so concurrent projects of one firm
delay each other. The time unit of the SimPy clock is **months** throughout this module.

The contract's lead time already assumes a build time of ``planned_months``. The *slip* of a
project is ``max(0, (online - order) - planned_months)`` [months]: a project that finishes early
does not come online before the contract date (the contract, and its payments, start then).

The SimPy processes live in :mod:`sim.build.pipeline`, the parameters in :mod:`sim.build.spec`. The Monte Carlo engine does not run SimPy
per path: :func:`slip_distribution` pools slips over
``replications`` SimPy runs of a representative order stream once per scenario, and
:func:`sample_slips` draws integer slip months from it by inverse CDF from uniforms.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from .spec import BuildSpec

__all__ = ["representative_orders", "sample_slips", "slip_distribution"]


def representative_orders(
    review_months: int, horizon_months: int, order_gw: float
) -> tuple[np.ndarray, np.ndarray]:
    """A stream of equal orders, one every ``review_months`` from month 0 to the horizon.

    Returns ``(order_months [months], order_gw [GW])`` for :func:`slip_distribution`.

    Examples
    --------
    >>> representative_orders(12, 36, 2.0)
    (array([ 0., 12., 24.]), array([2., 2., 2.]))
    """
    if review_months < 1 or horizon_months < 1 or not order_gw > 0:
        raise ValueError("need review_months >= 1, horizon_months >= 1 and order_gw > 0 [GW]")
    months = np.arange(0, horizon_months, review_months, dtype=float)
    return months, np.full(months.size, float(order_gw))


@lru_cache(maxsize=64)
def _slip_distribution_cached(
    spec: BuildSpec, seed: int, months: tuple[float, ...], gws: tuple[float, ...]
) -> np.ndarray:
    from .pipeline import simulate_pipeline  # SimPy and pandas only when a pipeline runs

    children = np.random.SeedSequence(seed).spawn(spec.replications)
    slips = [
        simulate_pipeline(spec, months, gws, np.random.default_rng(c))["slip_months"].to_numpy()
        for c in children
    ]
    out = np.sort(np.concatenate(slips))
    out.flags.writeable = False
    return out


def slip_distribution(
    spec: BuildSpec,
    seed: int,
    order_months: ArrayLike,
    order_gw: ArrayLike,
) -> np.ndarray:
    """Sorted project slips [months] pooled over ``spec.replications`` SimPy runs.

    Replication ``i`` uses ``default_rng(SeedSequence(seed).spawn(replications)[i])``, so the
    result is deterministic given ``seed`` (results are cached; the array is read-only).

    Parameters
    ----------
    spec : BuildSpec
        Pipeline parameters.
    seed : int
        Root seed.
    order_months, order_gw : array_like
        A representative order stream [months], [GW] (e.g. one order every review).

    Returns
    -------
    numpy.ndarray
        Sorted slips [months], >= 0, one per project per replication.
    """
    months = tuple(float(m) for m in np.asarray(order_months, dtype=float).reshape(-1))
    gws = tuple(float(g) for g in np.asarray(order_gw, dtype=float).reshape(-1))
    if not months:
        raise ValueError("slip_distribution needs at least one order")
    return _slip_distribution_cached(spec, int(seed), months, gws)


def sample_slips(sorted_slips: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw of whole-month slips from an empirical slip sample.

    ``F^-1(u) = x_(floor(u * n))`` (0-based order statistic), rounded up to whole months
    because contracts start on month boundaries (a 1e-9 tolerance absorbs float noise).

    Parameters
    ----------
    sorted_slips : numpy.ndarray
        Non-empty, ascending slip sample [months].
    u : numpy.ndarray
        Uniforms in [0, 1), any shape.

    Returns
    -------
    numpy.ndarray
        Integer slips [months], same shape as ``u``, dtype int64.

    Examples
    --------
    >>> sample_slips(np.array([0.0, 0.5, 2.0, 3.2]), np.array([0.0, 0.3, 0.5, 0.99]))
    array([0, 1, 2, 4])
    """
    xs = np.asarray(sorted_slips, dtype=float)
    if xs.ndim != 1 or xs.size == 0:
        raise ValueError("sorted_slips must be a non-empty 1-D array [months]")
    u = np.asarray(u, dtype=float)
    if np.any(~(u >= 0) | ~(u < 1)):
        raise ValueError("u must lie in [0, 1)")
    idx = np.minimum((u * xs.size).astype(np.int64), xs.size - 1)
    return np.ceil(xs[idx] - 1e-9).astype(np.int64)
