"""Draw every random input of a block of paths up front (pure given the seed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from .distributions import to_dist
from .rng import stream
from .scenario import CapabilityJump, FixedSchedule, Scenario

SECTIONS = ("demand", "compute", "allocation", "economics", "finance", "policy")


@dataclass(frozen=True)
class SampledInputs:
    """Random inputs of ``n`` paths; every array has a leading path axis."""

    params: dict[str, np.ndarray]
    """Per-path value of every numeric parameter, keyed by dotted name, shape (n,)."""
    growth: np.ndarray
    """Annual multiplier of potential demand per simulation year, shape (n, years) [x/yr]."""
    noise: np.ndarray
    """Standard normal monthly demand shocks, shape (n, months)."""
    slip_u: np.ndarray
    """Uniforms for build-pipeline slips, one per possible order, shape (n, max_orders)."""

    @property
    def n(self) -> int:
        return self.noise.shape[0]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.params[name]


def numeric_fields(scenario: Scenario) -> dict[str, object]:
    """Dotted name -> number or distribution, for every numeric model parameter."""
    out: dict[str, object] = {}
    for section in SECTIONS:
        model = getattr(scenario, section)
        for name in type(model).model_fields:
            value = getattr(model, name)
            if section == "demand" and name == "growth":
                continue  # drawn per year below
            if isinstance(value, CapabilityJump):
                for sub in ("at_year", "multiplier"):
                    out[f"demand.capability_jump.{sub}"] = getattr(value, sub)
            elif isinstance(value, float) or hasattr(value, "ppf"):
                out[f"{section}.{name}"] = value
    return out


def max_orders(scenario: Scenario) -> int:
    """Upper bound on orders one path can place over the horizon."""
    if isinstance(scenario.policy, FixedSchedule):
        return max(1, len(scenario.policy.tranches))
    return scenario.months // scenario.policy.review_months + 1


def sample_inputs(scenario: Scenario, n: int, block: int, namespace: str = "") -> SampledInputs:
    """Draw the inputs of paths ``block * BLOCK_PATHS + [0, n)``.

    ``namespace`` separates auxiliary simulations (e.g. a policy's pilot run) from the
    main paths while keeping them reproducible.
    """
    seed = scenario.simulation.seed
    months, years = scenario.months, scenario.simulation.years

    params = {}
    for name, value in numeric_fields(scenario).items():
        u = stream(seed, block, f"{namespace}param:{name}").random(n)
        params[name] = to_dist(value).ppf(u)  # type: ignore[arg-type]

    # Gaussian copula AR(1): persistent log-growth with the exact marginal the user asked for.
    rho = params["demand.growth_persistence"][:, None]
    eps = stream(seed, block, f"{namespace}growth").standard_normal((n, years))
    z = np.empty_like(eps)
    z[:, 0] = eps[:, 0]
    for y in range(1, years):
        z[:, y] = rho[:, 0] * z[:, y - 1] + np.sqrt(1.0 - rho[:, 0] ** 2) * eps[:, y]
    growth = to_dist(scenario.demand.growth).ppf(ndtr(z))  # type: ignore[arg-type]

    noise = stream(seed, block, f"{namespace}noise").standard_normal((n, months))
    slip_u = stream(seed, block, f"{namespace}slip").random((n, max_orders(scenario)))
    return SampledInputs(params=params, growth=growth, noise=noise, slip_u=slip_u)
