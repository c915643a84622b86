"""Parameter distributions: validated specs with a vectorised inverse CDF.

Every distribution maps uniforms ``u`` in [0, 1) to values through ``ppf``. Sampling
through the inverse CDF (rather than a generator's own samplers) keeps common random
numbers across scenario variants: the same uniforms give monotonely related values when a
range changes, so differences between sweep cells come from the parameters, not noise.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.special import ndtri


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def support(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can produce."""
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF evaluated at uniforms ``u`` in [0, 1)."""
        raise NotImplementedError

    def median(self) -> float:
        return float(self.ppf(np.array([0.5]))[0])


class Fixed(_Dist):
    """A constant: ``{dist: fixed, value: x}``."""

    dist: Literal["fixed"] = "fixed"
    value: float

    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=float)


class Uniform(_Dist):
    """``{dist: uniform, low: a, high: b}`` with a <= b."""

    dist: Literal["uniform"] = "uniform"
    low: float
    high: float

    @model_validator(mode="after")
    def _check(self) -> Uniform:
        if not self.low <= self.high:
            raise ValueError(f"uniform needs low <= high (got low={self.low}, high={self.high})")
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)


class LogUniform(_Dist):
    """``{dist: loguniform, low: a, high: b}``: log of the value is uniform; 0 < a <= b."""

    dist: Literal["loguniform"] = "loguniform"
    low: float
    high: float

    @model_validator(mode="after")
    def _check(self) -> LogUniform:
        if not 0 < self.low <= self.high:
            raise ValueError(
                f"loguniform needs 0 < low <= high (got low={self.low}, high={self.high})"
            )
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        lo, hi = math.log(self.low), math.log(self.high)
        return np.exp(lo + (hi - lo) * np.asarray(u, dtype=float))


class Triangular(_Dist):
    """``{dist: triangular, low: a, mode: c, high: b}`` with a <= c <= b."""

    dist: Literal["triangular"] = "triangular"
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _check(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError(
                "triangular needs low <= mode <= high "
                f"(got low={self.low}, mode={self.mode}, high={self.high})"
            )
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        a, c, b = self.low, self.mode, self.high
        if b == a:
            return np.full(u.shape, a)
        fc = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
        return np.where(u < fc, left, right)


class LogNormal(_Dist):
    """``{dist: lognormal, median: m, sigma: s}``: log of the value is normal(log m, s)."""

    dist: Literal["lognormal"] = "lognormal"
    median_: float = Field(alias="median", gt=0)
    sigma: float = Field(ge=0)

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf) if self.sigma > 0 else (self.median_, self.median_)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.clip(np.asarray(u, dtype=float), 1e-12, 1 - 1e-12)
        return self.median_ * np.exp(self.sigma * ndtri(u))

    def median(self) -> float:
        return self.median_


Dist = Annotated[Fixed | Uniform | LogUniform | Triangular | LogNormal, Field(discriminator="dist")]
DIST_KINDS = ("fixed", "uniform", "loguniform", "triangular", "lognormal")


def to_dist(value: float | _Dist) -> _Dist:
    """Wrap a plain number as a :class:`Fixed` distribution."""
    return value if isinstance(value, _Dist) else Fixed(value=float(value))


def support(value: float | _Dist) -> tuple[float, float]:
    """Support of a plain number or distribution."""
    return to_dist(value).support()


def central(value: float | _Dist) -> float:
    """The median of a distribution, or the number itself."""
    return to_dist(value).median()
