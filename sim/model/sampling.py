"""Draw every random input of a block of paths up front (pure given the seed).

Streams are split by purpose *and by period*: each simulation year has its own growth and
noise stream, each order its own slip stream. So the draws of a month do not depend on how
long the simulation runs: changing the horizon, or the run-off that follows it, leaves the
draws of every month both runs share unchanged (common random numbers across horizons).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

import numpy as np

from .distributions import Fixed, to_dist
from .scenario import FixedSchedule, Scenario, correlation_matrix, numeric_fields
from .timeline import total_months, total_years

__all__ = [
    "SampledInputs", "max_orders", "numeric_fields", "sample_inputs", "shared", "shared_draws",
]  # fmt: skip

T = TypeVar("T")

_U_EPS = 1e-16
"""Uniforms are kept inside [eps, 1 - eps] before the copula's normal transform [-]."""


@dataclass(frozen=True)
class SampledInputs:
    """Random inputs of ``n`` paths; every array has a leading path axis."""

    params: dict[str, np.ndarray]
    """Per-path value of every numeric parameter, keyed by dotted name, shape (n,)."""
    growth: np.ndarray
    """Annual multiplier of potential demand per simulation year, shape (n, years) [x/yr]."""
    noise: np.ndarray
    """Standard normal monthly demand shocks, shape (n, months) (horizon + run-off)."""
    slip_u: np.ndarray
    """Uniforms for build-pipeline slips, one per possible order, shape (n, max_orders)."""
    key: tuple = ()
    """(seed, block, namespace, n, months): identifies the draws (for shared caches)."""

    @property
    def n(self) -> int:
        return self.noise.shape[0]

    @property
    def months(self) -> int:
        """Months simulated: horizon plus run-off [months]."""
        return self.noise.shape[1]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.params[name]


def max_orders(scenario: Scenario) -> int:
    """Upper bound on orders one path can place over the horizon."""
    if isinstance(scenario.policy, FixedSchedule):
        return max(1, len(scenario.policy.tranches))
    return scenario.months // scenario.policy.review_months + 1


def _correlate(scenario: Scenario, normals: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Gaussian copula: mix independent standard normals so their ranks correlate as asked.

    The Cholesky factor is lower triangular, so the first name listed keeps its own draws.
    Applied path by path: no path's draws depend on another's (common random numbers hold).
    """
    names, mat = correlation_matrix(scenario)
    chol = np.linalg.cholesky(np.array(mat))
    z = np.stack([normals[name] for name in names], axis=1)
    mixed = z @ chol.T
    return {name: mixed[:, j] for j, name in enumerate(names)}


def sample_inputs(
    scenario: Scenario,
    n: int,
    block: int,
    namespace: str = "",
    months: int | None = None,
) -> SampledInputs:
    """Draw the inputs of paths ``block * BLOCK_PATHS + [0, n)``.

    ``months`` is how many months to draw for (default: horizon plus run-off without
    build slips). ``namespace`` separates auxiliary simulations (e.g. a policy's pilot run)
    from the main paths while keeping them reproducible.
    """
    seed = scenario.simulation.seed
    months = total_months(scenario) if months is None else months
    key = (seed, block, namespace, n, months)
    values = numeric_fields(scenario)
    fields = {name: to_dist(value) for name, value in values.items()}
    cache = _shared
    if cache is None:
        drawn = _draw(scenario, key, fields)
    else:  # variants that differ only in constants (policy levers...) share what is drawn
        signature = _draw_signature(scenario, values, fields)
        drawn = cache.value((*key, "drawn", signature), lambda: _draw(scenario, key, fields))
    params = {
        name: np.full(n, dist.value, dtype=float) if isinstance(dist, Fixed) else drawn.params[name]
        for name, dist in fields.items()
    }  # fmt: skip
    return SampledInputs(params=params, growth=drawn.growth, noise=drawn.noise,
                         slip_u=drawn.slip_u, key=key)  # fmt: skip


class _Drawn(NamedTuple):
    """What :func:`sample_inputs` draws: the random parameters (constants left out), growth,
    noise and slip uniforms (see :class:`SampledInputs`)."""

    params: dict[str, np.ndarray]
    growth: np.ndarray
    noise: np.ndarray
    slip_u: np.ndarray

    def arrays(self) -> list[np.ndarray]:
        return [*self.params.values(), self.growth, self.noise, self.slip_u]

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays())

    def freeze(self) -> None:
        for a in self.arrays():
            a.flags.writeable = False


def _draw_signature(scenario: Scenario, values: dict[str, object], fields: dict) -> tuple:
    """Everything :func:`_draw` reads from a scenario besides the key: the random
    parameters' distributions, growth and its persistence, correlations, orders per path."""
    return (
        tuple((name, repr(values[name])) for name, dist in fields.items()
              if not isinstance(dist, Fixed)),
        repr(scenario.demand.growth), repr(values["demand.growth_persistence"]),
        repr(scenario.correlations), max_orders(scenario),
    )  # fmt: skip


def _draw(scenario: Scenario, key: tuple, fields: dict) -> _Drawn:
    """Draw the random inputs of the block ``key`` = (seed, block, namespace, n, months)."""
    seed, block, namespace, n, months = key
    years = total_years(months)
    # A constant ignores its uniforms, and each parameter has its own stream: drawing none
    # for it moves no other draw (correlations leave constants out), and saves ~0.1 ms each.
    random = [name for name, dist in fields.items() if not isinstance(dist, Fixed)]
    orders = max_orders(scenario)
    rows = _uniform_rows(key, [f"param:{name}" for name in random]
                         + [f"slip:{k}" for k in range(orders)])  # fmt: skip
    uniforms = {name: rows[f"param:{name}"] for name in random}
    eps = shared((*key, "growth"), lambda: _growth_normals(seed, block, namespace, n, years)).T

    names = correlation_matrix(scenario)[0] if scenario.correlations else []
    if len(names) > 1:
        normals = {
            name: eps[:, 0] if name == "demand.growth"
            else ndtri(np.clip(uniforms[name], _U_EPS, 1 - _U_EPS))
            for name in names
        }  # fmt: skip
        eps = eps.copy()  # the shared draws stay untouched
        for name, z in _correlate(scenario, normals).items():
            if name == "demand.growth":
                eps[:, 0] = z
            else:
                uniforms[name] = ndtr(z)

    params = {name: fields[name].ppf(u) for name, u in uniforms.items()}
    persistence = fields["demand.growth_persistence"]
    if isinstance(persistence, Fixed):
        params["demand.growth_persistence"] = np.full(n, persistence.value, dtype=float)

    # Gaussian copula AR(1): persistent log-growth with the exact marginal the user asked for.
    rho = params["demand.growth_persistence"]
    z = np.empty_like(eps)
    z[:, 0] = eps[:, 0]
    scale = np.sqrt(1.0 - rho**2)  # once, not once a year: the same numbers
    for y in range(1, years):
        z[:, y] = rho * z[:, y - 1] + scale * eps[:, y]
    growth = to_dist(scenario.demand.growth).ppf(ndtr(z))  # type: ignore[arg-type]

    noise = shared((*key, "noise"), lambda: _noise(seed, block, namespace, n, months))
    slip_u = np.empty((n, orders))
    for k in range(orders):
        slip_u[:, k] = rows[f"slip:{k}"]
    return _Drawn({name: params[name] for name in random}, growth, noise, slip_u)


def _uniform_rows(key: tuple, purposes: list[str]) -> dict[str, np.ndarray]:
    """``stream(seed, block, namespace + purpose).random(n)`` for each purpose of the block
    ``key`` = (seed, block, namespace, n, months), by one kernel call for all those not
    already shared (:func:`shared`; each keyed as it would be alone)."""
    from .kernel.draws import fill_uniforms
    from .rng import pcg64_states

    seed, block, namespace, n, _ = key
    cache = _shared
    rows = {} if cache is None else {p: cache.get((*key, p)) for p in purposes}
    missing = [p for p in purposes if rows.get(p) is None]
    if missing:
        states = pcg64_states(seed, block, [namespace + p for p in missing])
        drawn = np.empty((len(missing), n))
        fill_uniforms(states, drawn)
        for p, row in zip(missing, drawn, strict=True):
            rows[p] = row
            if cache is not None:
                cache.put((*key, p), row)
    return rows


def _elementwise(kernel_name: str, x: np.ndarray) -> np.ndarray:
    """``kernel(x)`` element by element, the result in ``x``'s memory layout (a kernel fed
    it later compiles one variant per layout)."""
    from .jit import prepare

    prepare()
    from .kernel import draws

    x = np.asarray(x, dtype=float)
    if not (x.flags.c_contiguous or x.flags.f_contiguous):
        x = np.ascontiguousarray(x)
    out = np.empty_like(x)  # same contiguity as x, so both ravel to views in one order
    getattr(draws, kernel_name)(x.ravel(order="K"), out.ravel(order="K"))
    return out


def ndtr(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF, bit-identical to ``scipy.special.ndtr`` but by a numba kernel:
    every run needs it, and importing scipy.special costs 0.25-0.45 s."""
    return _elementwise("fill_ndtr", x)


def ndtri(p: np.ndarray) -> np.ndarray:
    """Inverse standard normal CDF, bit-identical to ``scipy.special.ndtri`` (numba kernel;
    the correlations of every shipped scenario need it)."""
    return _elementwise("fill_ndtri", p)


def _growth_normals(seed: int, block: int, namespace: str, n: int, years: int) -> np.ndarray:
    """Growth innovations, one stream per year, shape (years, n)."""
    from .jit import prepare

    prepare()  # the first kernel a run loads
    from .kernel.draws import fill_normals
    from .rng import pcg64_states

    states = pcg64_states(seed, block, [f"{namespace}growth:{y}" for y in range(years)])
    eps = np.empty((years, n))
    for y in range(years):
        fill_normals(states[y], eps[y])  # stream(seed, block, purpose)'s normals, faster
    return eps


def _noise(seed: int, block: int, namespace: str, n: int, months: int) -> np.ndarray:
    """Monthly demand shocks, one stream per year, shape (n, months)."""
    from .jit import prepare

    prepare()
    from .kernel.draws import fill_year_normals
    from .rng import pcg64_states

    years = total_years(months)
    states = pcg64_states(seed, block, [f"{namespace}noise:{y}" for y in range(years)])
    noise = np.empty((n, months))
    fill_year_normals(states, noise)  # a full year is drawn, a partial last one stored in part
    return noise


# --- draws shared between scenario variants (sweeps) -----------------------------------------

SHARED_BYTES = 256 * 2**20
"""Most memory the shared draws may hold; the oldest are dropped beyond it [bytes]."""


class _Shared:
    """Arrays keyed by what they were drawn for, least recently used dropped first."""

    def __init__(self) -> None:
        self.items: OrderedDict[tuple, Any] = OrderedDict()
        self.bytes = 0
        self.lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        with self.lock:
            hit = self.items.get(key)
            if hit is not None:
                self.items.move_to_end(key)
            return hit

    def put(self, key: tuple, value: Any) -> None:
        """Keep ``value``: an array or an object with ``freeze`` read-only, anything else
        (e.g. a :class:`sim.model.pilot.Pilot`) as it is."""
        if isinstance(value, np.ndarray):
            value.flags.writeable = False  # shared: no variant may modify it
        elif hasattr(value, "freeze"):
            value.freeze()
        with self.lock:
            if key in self.items:
                return
            self.items[key] = value
            self.bytes += _nbytes(value)
            while self.bytes > SHARED_BYTES and len(self.items) > 1:
                _, old = self.items.popitem(last=False)
                self.bytes -= _nbytes(old)

    def value(self, key: tuple, make: Callable[[], Any]) -> Any:
        """The value kept under ``key``, made and kept first if there is none."""
        hit = self.get(key)
        if hit is None:
            hit = make()
            self.put(key, hit)
        return hit


def _nbytes(value: Any) -> int:
    """Memory of a shared value [bytes]: an array's, or the ``nbytes`` an object states."""
    return int(getattr(value, "nbytes", 0))


_shared: _Shared | None = None


def shared(key: tuple, make: Callable[[], T]) -> T:
    """``make()``, or the array an earlier call with the same key made while
    :func:`shared_draws` is active (read-only then: variants may not modify it). Other
    values (e.g. a policy's :class:`sim.model.pilot.Pilot`) are shared as they are: their
    ``make`` must depend on nothing but the key."""
    cache = _shared
    return make() if cache is None else cache.value(key, make)


@contextmanager
def shared_draws() -> Iterator[None]:
    """Within the block, identical draw requests are computed once and shared.

    The draws of a (seed, block, purpose) never depend on the scenario's parameters, so
    sweep cells that share a seed can share them (and the demand they imply, see
    :func:`sim.model.demand.potential_demand`); results are unchanged.
    """
    global _shared
    outer = _shared
    if outer is None:
        _shared = _Shared()
    try:
        yield
    finally:
        _shared = outer
