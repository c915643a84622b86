"""Parameter distributions: validated specs with a vectorised inverse CDF.

Every distribution maps uniforms ``u`` in [0, 1) to values through ``ppf``. Sampling
through the inverse CDF (rather than a generator's own samplers) keeps common random
numbers across scenario variants: the same uniforms give monotonely related values when a
range changes, so differences between sweep cells come from the parameters, not noise. It
also lets a Gaussian copula correlate parameters (``sim.model.sampling``): ``ppf`` is monotone.

Unbounded distributions (``normal``, ``lognormal``) take optional truncation bounds
``low``/``high``; a parameter whose allowed range is bounded accepts them only truncated.
"""

from __future__ import annotations

import itertools
import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim._lazy import lazy

np = lazy("numpy")  # the schema loads without numpy (fast validate/--help)


def ndtr(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF: :func:`sim.model.sampling.ndtr`, the kernel the draws use
    (imported on first use: the schema loads without numpy or numba)."""
    from .sampling import ndtr as f

    return f(x)


def ndtri(p: np.ndarray) -> np.ndarray:
    """Inverse standard normal CDF: :func:`sim.model.sampling.ndtri` (imported on first use)."""
    from .sampling import ndtri as f

    return f(p)


BISECTION_STEPS = 64
"""Halvings of the support when inverting a mixture's CDF numerically (float64 exact)."""


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def support(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can produce."""
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF evaluated at uniforms ``u`` in [0, 1)."""
        raise NotImplementedError

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(X <= x)."""
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

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=float) >= self.value).astype(float)


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

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.high == self.low:
            return (x >= self.low).astype(float)
        return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)


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

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.high == self.low:
            return (x >= self.low).astype(float)
        lo, hi = math.log(self.low), math.log(self.high)
        with np.errstate(divide="ignore", invalid="ignore"):
            logx = np.log(np.where(x > 0, x, np.nan))
        return np.where(x > 0, np.clip((logx - lo) / (hi - lo), 0.0, 1.0), 0.0)


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

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        a, c, b = self.low, self.mode, self.high
        if b == a:
            return (x >= a).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            left = (x - a) ** 2 / ((b - a) * (c - a)) if c > a else np.ones_like(x)
            right = 1.0 - (b - x) ** 2 / ((b - a) * (b - c)) if b > c else np.ones_like(x)
        out = np.where(x <= c, left, right)
        return np.where(x <= a, 0.0, np.where(x >= b, 1.0, out))


class _Truncatable(_Dist):
    """A location-scale normal family, optionally truncated to ``[low, high]``."""

    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _check_bounds(self) -> _Truncatable:
        lo = -math.inf if self.low is None else self.low
        hi = math.inf if self.high is None else self.high
        if not lo < hi:
            raise ValueError(f"{self.dist} needs low < high (got low={lo:g}, high={hi:g})")  # type: ignore[attr-defined]
        p_lo, p_hi = self._probabilities()
        if not p_hi - p_lo > 1e-12:
            raise ValueError(
                f"{self.dist} truncated to [{lo:g}, {hi:g}] keeps no probability mass"  # type: ignore[attr-defined]
            )
        return self

    # standardised coordinate of x and back
    def _z(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _x(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _natural(self) -> tuple[float, float]:
        raise NotImplementedError

    def _probabilities(self) -> tuple[float, float]:
        """Normal CDF of the truncation bounds (0 and 1 when untruncated)."""
        nat_lo, nat_hi = self._natural()
        lo = nat_lo if self.low is None else max(self.low, nat_lo)
        hi = nat_hi if self.high is None else min(self.high, nat_hi)
        with np.errstate(divide="ignore"):
            p_lo = 0.0 if lo <= nat_lo else float(ndtr(self._z(np.array(lo))))
            p_hi = 1.0 if hi >= nat_hi else float(ndtr(self._z(np.array(hi))))
        return p_lo, p_hi

    def _degenerate(self) -> bool:
        return False

    def support(self) -> tuple[float, float]:
        if self._degenerate():
            v = float(self._x(np.array(0.0)))
            return (v, v)
        nat_lo, nat_hi = self._natural()
        lo = nat_lo if self.low is None else max(self.low, nat_lo)
        hi = nat_hi if self.high is None else min(self.high, nat_hi)
        return (lo, hi)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        if self._degenerate():
            return np.full(u.shape, float(self._x(np.array(0.0))))
        p_lo, p_hi = self._probabilities()
        if p_lo == 0.0 and p_hi == 1.0:
            # untruncated: clip away the infinite tails (kept as in earlier releases)
            return self._x(ndtri(np.clip(u, 1e-12, 1 - 1e-12)))
        x = self._x(ndtri(p_lo + u * (p_hi - p_lo)))
        lo, hi = self.support()
        return np.clip(x, lo, hi)  # only float dust at the bounds

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        lo, hi = self.support()
        if self._degenerate():
            return (x >= lo).astype(float)
        p_lo, p_hi = self._probabilities()
        inside = np.clip(x, lo if math.isfinite(lo) else -np.inf, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = (ndtr(self._z(inside)) - p_lo) / (p_hi - p_lo)
        return np.where(x < lo, 0.0, np.where(x >= hi, 1.0, np.clip(p, 0.0, 1.0)))


class LogNormal(_Truncatable):
    """``{dist: lognormal, median: m, sigma: s}``: log of the value is normal(log m, s);
    optional ``low``/``high`` truncate it."""

    dist: Literal["lognormal"] = "lognormal"
    median_: float = Field(alias="median", gt=0)
    sigma: float = Field(ge=0)

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

    def _natural(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def _degenerate(self) -> bool:
        return self.sigma == 0

    def _z(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return (np.log(x) - math.log(self.median_)) / self.sigma

    def _x(self, z: np.ndarray) -> np.ndarray:
        return self.median_ * np.exp(self.sigma * z)

    def median(self) -> float:
        if self.low is None and self.high is None:
            return self.median_
        return super().median()


class Normal(_Truncatable):
    """``{dist: normal, mean: m, sd: s, low: a, high: b}``; ``low``/``high`` truncate it."""

    dist: Literal["normal"] = "normal"
    mean: float
    sd: float = Field(ge=0)

    def _natural(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    def _degenerate(self) -> bool:
        return self.sd == 0

    def _z(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean) / self.sd

    def _x(self, z: np.ndarray) -> np.ndarray:
        return self.mean + self.sd * z


Component = Annotated[
    Fixed | Uniform | LogUniform | Triangular | LogNormal | Normal, Field(discriminator="dist")
]


class Mixture(_Dist):
    """``{dist: mixture, weights: [w1, ...], components: [dist1, ...]}``.

    Draws component ``k`` with probability ``w_k``. The inverse CDF of the whole mixture is
    used (exact piecewise when the components' supports do not overlap, bisection on the
    mixture CDF otherwise), so a mixture stays monotone in its uniform like any other
    distribution. Components must have finite support (truncate unbounded ones).
    """

    dist: Literal["mixture"] = "mixture"
    weights: tuple[float, ...] = Field(min_length=1, max_length=20)
    components: tuple[Component, ...] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _check(self) -> Mixture:
        if len(self.weights) != len(self.components):
            raise ValueError(
                f"mixture needs one weight per component (got {len(self.weights)} weights, "
                f"{len(self.components)} components)"
            )
        if any(not w > 0 for w in self.weights):
            raise ValueError(f"mixture weights must be > 0 (got {list(self.weights)})")
        if abs(sum(self.weights) - 1.0) > 1e-6:
            raise ValueError(f"mixture weights must sum to 1 (got {sum(self.weights):.6g})")
        for k, c in enumerate(self.components):
            lo, hi = c.support()
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise ValueError(
                    f"mixture component {k} ({c.dist}) is unbounded: give it low and high"
                )
        return self

    def _normalised(self) -> np.ndarray:
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    def _disjoint_order(self) -> list[int] | None:
        """Components sorted by support when their supports do not overlap, else None."""
        order = sorted(range(len(self.components)), key=lambda k: self.components[k].support())
        for a, b in itertools.pairwise(order):
            if self.components[a].support()[1] > self.components[b].support()[0]:
                return None
        return order

    def support(self) -> tuple[float, float]:
        sups = [c.support() for c in self.components]
        return (min(s[0] for s in sups), max(s[1] for s in sups))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        w = self._normalised()
        return sum((wk * c.cdf(x) for wk, c in zip(w, self.components, strict=True)),
                   np.zeros(x.shape))  # fmt: skip

    def ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        w = self._normalised()
        order = self._disjoint_order()
        if order is not None:
            edges = np.concatenate([[0.0], np.cumsum(w[order])])
            edges[-1] = 1.0
            out = np.empty(u.shape)
            rest = np.ones(u.shape, dtype=bool)  # not yet assigned to a component
            for rank in range(len(order) - 1, -1, -1):  # top component first
                sel = rest & (u >= edges[rank]) if rank else rest
                local = (u[sel] - edges[rank]) / (edges[rank + 1] - edges[rank])
                out[sel] = self.components[order[rank]].ppf(np.clip(local, 0.0, 1.0))
                rest &= ~sel
            return out
        lo_s, hi_s = self.support()
        lo, hi = np.full(u.shape, lo_s), np.full(u.shape, hi_s)
        for _ in range(BISECTION_STEPS):
            mid = 0.5 * (lo + hi)
            above = self.cdf(mid) >= u
            hi = np.where(above, mid, hi)
            lo = np.where(above, lo, mid)
        return hi


Dist = Annotated[
    Fixed | Uniform | LogUniform | Triangular | LogNormal | Normal | Mixture,
    Field(discriminator="dist"),
]
DIST_KINDS = ("fixed", "uniform", "loguniform", "triangular", "lognormal", "normal", "mixture")


def to_dist(value: float | _Dist) -> _Dist:
    """Wrap a plain number as a :class:`Fixed` distribution."""
    return value if isinstance(value, _Dist) else Fixed(value=float(value))


def support(value: float | _Dist) -> tuple[float, float]:
    """Support of a plain number or distribution."""
    return to_dist(value).support()


def central(value: float | _Dist) -> float:
    """The median of a distribution, or the number itself."""
    return to_dist(value).median()
