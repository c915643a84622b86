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

The SimPy processes live in :mod:`sim.build_queue`. The Monte Carlo engine does not run SimPy
per path: :func:`slip_distribution` pools slips over
``replications`` SimPy runs of a representative order stream once per scenario, and
:func:`sample_slips` draws integer slip months from it by inverse CDF from uniforms.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from pydantic import Field, model_validator

from .build_queue import simulate_pipeline
from .strict import StrictModel

__all__ = [
    "BuildSpec",
    "StageDuration",
    "representative_orders",
    "sample_slips",
    "simulate_pipeline",
    "slip_distribution",
]

DistName = Literal["fixed", "triangular", "uniform", "lognormal", "exponential"]

# Parameters each distribution requires; any other parameter must be left unset (None).
_REQUIRED: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "triangular": ("low", "mode", "high"),
    "uniform": ("low", "high"),
    "lognormal": ("median", "sigma"),
    "exponential": ("mean",),
}


class StageDuration(StrictModel):
    """Distribution of one pipeline stage's duration [months].

    Examples
    --------
    >>> StageDuration(dist="triangular", low=3, mode=6, high=12).mean_months()
    7.0
    """

    dist: DistName = Field("fixed", description="distribution family")
    value: float | None = Field(None, description="fixed duration [months]")
    low: float | None = Field(None, description="minimum (triangular, uniform) [months]")
    mode: float | None = Field(None, description="most likely (triangular) [months]")
    high: float | None = Field(None, description="maximum (triangular, uniform) [months]")
    median: float | None = Field(None, description="median (lognormal) [months]")
    sigma: float | None = Field(None, description="log-space std dev (lognormal) [-]")
    mean: float | None = Field(None, description="mean (exponential) [months]")

    @model_validator(mode="after")
    def _check(self) -> StageDuration:
        need = _REQUIRED[self.dist]
        allowed = ", ".join(need)
        for name in ("value", "low", "mode", "high", "median", "sigma", "mean"):
            val = getattr(self, name)
            if name in need and val is None:
                raise ValueError(f"dist={self.dist!r} requires {name!r} (needs: {allowed})")
            if name not in need and val is not None:
                raise ValueError(f"dist={self.dist!r} does not use {name!r} (needs: {allowed})")
            if val is not None and not (math.isfinite(val) and val >= 0):
                raise ValueError(f"{name} must be finite and >= 0 months, got {val}")
        if self.dist == "triangular" and not (self.low <= self.mode <= self.high):  # type: ignore[operator]
            raise ValueError(
                f"triangular needs low <= mode <= high, got {self.low}, {self.mode}, {self.high}"
            )
        if self.dist == "uniform" and not self.low <= self.high:  # type: ignore[operator]
            raise ValueError(f"uniform needs low <= high, got {self.low}, {self.high}")
        if self.dist in ("lognormal", "exponential") and not (self.median or self.mean):
            raise ValueError(f"{self.dist} needs median/mean > 0 months")
        return self

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` durations [months]."""
        p = self
        if p.dist == "fixed":
            return np.full(size, float(p.value))  # type: ignore[arg-type]
        if p.dist == "triangular":
            if p.low == p.high:
                return np.full(size, float(p.low))  # type: ignore[arg-type]
            return rng.triangular(p.low, p.mode, p.high, size)  # type: ignore[arg-type]
        if p.dist == "uniform":
            return rng.uniform(p.low, p.high, size)  # type: ignore[arg-type]
        if p.dist == "lognormal":
            return p.median * np.exp(p.sigma * rng.standard_normal(size))  # type: ignore[operator]
        return rng.exponential(p.mean, size)  # type: ignore[arg-type]

    def mean_months(self) -> float:
        """Analytic mean duration [months]."""
        p = self
        means = {
            "fixed": lambda: p.value,
            "triangular": lambda: (p.low + p.mode + p.high) / 3.0,  # type: ignore[operator]
            "uniform": lambda: (p.low + p.high) / 2.0,  # type: ignore[operator]
            "lognormal": lambda: p.median * math.exp(p.sigma**2 / 2.0),  # type: ignore[operator]
            "exponential": lambda: p.mean,
        }
        return float(means[p.dist]())  # type: ignore[arg-type]


class BuildSpec(StrictModel):
    """Build-out pipeline parameters (``compute.build`` in a scenario; null = no slip).

    Examples
    --------
    >>> spec = BuildSpec()
    >>> spec.planned_months, spec.build_slots
    (18.0, 4)
    """

    project_gw: float = Field(
        1.0,
        gt=0,
        allow_inf_nan=False,
        description="orders are split into equal projects of at most this size [GW]",
    )
    site_power_months: StageDuration = Field(
        StageDuration(dist="triangular", low=3.0, mode=5.0, high=12.0),
        description="site, permits & power interconnection stage duration [months]",
    )
    construction_months: StageDuration = Field(
        StageDuration(dist="triangular", low=9.0, mode=12.0, high=20.0),
        description="construction & fit-out stage duration [months]",
    )
    interconnect_slots: int = Field(
        3, ge=1, description="projects in the site & power stage at once [-]"
    )
    build_slots: int = Field(4, ge=1, description="projects under construction at once [-]")
    planned_months: float = Field(
        18.0,
        ge=0,
        allow_inf_nan=False,
        description="build time the contract lead time already assumes; slip is beyond it [months]",
    )
    replications: int = Field(
        400, ge=1, le=100_000, description="SimPy replications for the slip distribution [-]"
    )

    def n_projects(self, gw: float) -> int:
        """Number of equal projects an order of ``gw`` [GW] is split into."""
        return max(1, math.ceil(gw / self.project_gw - 1e-9))


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
