"""Build pipeline parameters: the ``compute.build`` section of a scenario (pure pydantic).

The SimPy model that uses them is :mod:`sim.build.pipeline`; the slip distribution it
implies, and how the engine draws from it, are in :mod:`sim.build.slips`.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from sim._lazy import lazy
from sim.strict import Number, StrictModel, WholeNumber

np = lazy("numpy")  # the schema loads without numpy (fast validate/--help)

__all__ = [
    "MAX_BUILD_PROJECTS", "MAX_PROJECTS_PER_ORDER", "MAX_STAGE_MONTHS", "MIN_PROJECT_GW",
    "BuildSpec", "StageDuration",
]  # fmt: skip

MIN_PROJECT_GW = 0.001
"""Smallest ``project_gw`` [GW] (1 MW: smaller is not a datacenter project)."""
MAX_PROJECTS_PER_ORDER = 10_000
"""Most projects one order may be split into [projects] (order GW / ``project_gw``)."""
MAX_BUILD_PROJECTS = 1_000_000
"""Most projects the SimPy slip model may simulate for one scenario [projects]:
replications x orders x projects per order (~27,000 projects/s, so ~40 s at most)."""
MAX_STAGE_MONTHS = 600.0
"""Longest stage duration or planned build time a scenario may state [months] (50 years)."""

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
    value: Number | None = Field(None, description="fixed duration [months]")
    low: Number | None = Field(None, description="minimum (triangular, uniform) [months]")
    mode: Number | None = Field(None, description="most likely (triangular) [months]")
    high: Number | None = Field(None, description="maximum (triangular, uniform) [months]")
    median: Number | None = Field(None, description="median (lognormal) [months]")
    sigma: Number | None = Field(None, description="log-space std dev (lognormal) [-]")
    mean: Number | None = Field(None, description="mean (exponential) [months]")

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
            if val is None:
                continue
            top = 5.0 if name == "sigma" else MAX_STAGE_MONTHS
            if not (math.isfinite(val) and 0 <= val <= top):
                unit = "" if name == "sigma" else " months"
                raise ValueError(
                    f"{name} must be finite, >= 0{unit} and <= {top:g}{unit}, got {val:g}"
                )
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

    project_gw: Number = Field(
        1.0,
        ge=MIN_PROJECT_GW,
        le=100_000.0,
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
    interconnect_slots: WholeNumber = Field(
        3, ge=1, le=10_000, description="projects in the site & power stage at once [-]"
    )
    build_slots: WholeNumber = Field(
        4, ge=1, le=10_000, description="projects under construction at once [-]"
    )
    planned_months: Number = Field(
        18.0,
        ge=0,
        le=MAX_STAGE_MONTHS,
        allow_inf_nan=False,
        description="build time the contract lead time already assumes; slip is beyond it [months]",
    )
    replications: WholeNumber = Field(
        400, ge=1, le=100_000, description="SimPy replications for the slip distribution [-]"
    )

    def n_projects(self, gw: float) -> int:
        """Number of equal projects an order of ``gw`` [GW] is split into."""
        return max(1, math.ceil(gw / self.project_gw - 1e-9))
