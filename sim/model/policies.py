"""Purchase policies: what demand each review plans for at the delivery date.

A policy returns the potential demand [USD/yr] it wants to be able to serve at delivery;
the engine turns that into GW (see :func:`sim.model.engine.simulate_block`). Policies are looked
up by ``kind`` in :data:`POLICIES`; fixed schedules place no review orders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .pilot import Pilot
from .sampling import SampledInputs
from .scenario import Adaptive, DemandQuantile, PlannedGrowth, Scenario
from .timeline import review_months

__all__ = ["POLICIES", "ReviewContext", "bend_to_ceiling", "plan_demand", "review_months"]


@dataclass(frozen=True)
class ReviewContext:
    """What a policy may look at when it orders in month ``t``."""

    t: int
    """Review month (0 = simulation start)."""
    demand_seen: np.ndarray
    """Potential demand observed so far, shape (n, t + 1) [USD/yr]."""
    delivery: np.ndarray
    """Planned delivery month per path, shape (n,)."""
    inputs: SampledInputs
    pilot: Pilot | None
    """Pilot paths and conditional fits of a quantile policy."""


PlanFn = Callable[[object, ReviewContext], np.ndarray]


def _planned_growth(policy: object, ctx: ReviewContext) -> np.ndarray:
    g = ctx.inputs["policy.planned_growth"]
    return ctx.demand_seen[:, -1] * g ** ((ctx.delivery - ctx.t) / 12.0)


def _demand_quantile(policy: object, ctx: ReviewContext) -> np.ndarray:
    assert ctx.pilot is not None
    return ctx.pilot.plan(
        ctx.t, ctx.delivery, ctx.demand_seen, ctx.inputs["demand.ceiling"], ctx.inputs["policy.q"]
    )


def _adaptive(policy: object, ctx: ReviewContext) -> np.ndarray:
    """Shrinkage estimate of log-growth: prior worth ``prior_weight_years`` of evidence."""
    years_seen = ctx.t / 12.0
    prior = np.log(ctx.inputs["policy.prior_growth"])
    w0 = ctx.inputs["policy.prior_weight_years"]
    if ctx.t == 0:
        mu = prior
    else:
        observed = np.log(ctx.demand_seen[:, -1] / ctx.demand_seen[:, 0]) / years_seen
        mu = (w0 * prior + years_seen * observed) / (w0 + years_seen)
    mu = mu * (1.0 - ctx.inputs["policy.haircut"])
    return ctx.demand_seen[:, -1] * np.exp(mu * (ctx.delivery - ctx.t) / 12.0)


POLICIES: dict[type, PlanFn] = {
    PlannedGrowth: _planned_growth,
    DemandQuantile: _demand_quantile,
    Adaptive: _adaptive,
}


def bend_to_ceiling(now: np.ndarray, planned: np.ndarray, ceiling: np.ndarray) -> np.ndarray:
    """Logistic version of a plan: the same multiple ``planned / now`` far below the ceiling,
    bending toward ``ceiling`` near it: ``K / (1 + (K / D_t - 1) / M)`` [USD/yr]."""
    return ceiling / (1.0 + (ceiling / now - 1.0) * now / planned)


def plan_demand(scenario: Scenario, ctx: ReviewContext) -> np.ndarray:
    """Potential demand [USD/yr] the policy plans to serve at delivery, shape (n,)."""
    policy = scenario.policy
    planned = POLICIES[type(policy)](policy, ctx)
    if getattr(policy, "plan_to_ceiling", False):
        return bend_to_ceiling(ctx.demand_seen[:, -1], planned, ctx.inputs["demand.ceiling"])
    return planned
