"""What the SimPy reference's purchase policies plan for (docs/model.md section 3).

The planning rules are plain functions of the demand a firm has seen, shared by the lab
(:class:`PolicyPlans`) and the market's rivals (:mod:`sim.build.reference_market`).
Demands in [USD/yr], months counted from the start.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sim.model.pilot import Pilot, residual_quantile
from sim.model.scenario import Adaptive, DemandQuantile, PlannedGrowth, Scenario, month_index


def growth_plan(now: float, growth: float, t: int, d: int) -> float:
    """Demand at month ``d`` when the demand ``now`` of month ``t`` grows ``growth``-fold a
    year [USD/yr]."""
    return now * growth ** ((d - t) / 12)


def adaptive_plan(
    now: float, first: float, t: int, d: int, prior_growth: float, weight_years: float,
    haircut: float,
) -> float:  # fmt: skip
    """Demand at month ``d`` grown at the posterior log-growth ``mu`` from month ``t``:
    the prior ``ln(prior_growth)`` worth ``weight_years`` blended with the growth observed
    from ``first`` (month 0) to ``now``, cut by ``haircut`` [USD/yr]."""
    prior = math.log(prior_growth)
    tau = t / 12
    if t == 0:
        mu = prior
    else:
        mu = (weight_years * prior + tau * (math.log(now / first) / tau)) / (weight_years + tau)
    return now * math.exp(mu * (1 - haircut) * (d - t) / 12)


def toward_ceiling(planned: float, now: float, ceiling: float) -> float:
    """The plan's growth multiple ``planned / now`` applied to the odds of the demand
    against its ceiling, so the plan approaches the ceiling but never exceeds it [USD/yr]."""
    return ceiling / (1 + (ceiling / now - 1) / (planned / now))


class PolicyPlans:
    """The lab's planning rules, mixed into the reference's path.

    Reads the path's scenario ``s``, parameters ``p``, the demand ``seen`` month by month,
    the quantile policy's ``pilot`` fits and its ``rev_per_gw(t)``.
    """

    s: Scenario
    p: dict[str, float]
    seen: list[float]
    pilot: Pilot | None
    rev_per_gw: Callable[[int], float]

    def planned_demand(self, t: int, d: int) -> float:
        """Demand the policy plans to serve at delivery month ``d``, reviewed at ``t``."""
        pol, p, seen = self.s.policy, self.p, self.seen
        if isinstance(pol, PlannedGrowth | Adaptive) and pol.plan_to_ceiling:
            return toward_ceiling(self.unsaturated_plan(t, d), seen[t], p["demand.ceiling"])
        return self.unsaturated_plan(t, d)

    def signpost_tripped(self, t: int) -> bool:
        """Whether the policy's signpost, read at its month ``b <= t``, has tripped: growth
        observed from the start to ``b`` and the realized inference margin at ``b`` both
        below the thresholds that are set (docs/model.md, signposts)."""
        sp = getattr(self.s.policy, "signpost", None)
        if sp is None:
            return False
        b = month_index(sp.by, self.s.simulation.start)
        if t < b:
            return False
        growth = (self.seen[b] / self.seen[0]) ** (12 / b)  # the demand the lab observes
        margin = 1 - self.p["compute.price_per_gw_year"] / self.rev_per_gw(b)
        return (sp.min_growth is None or growth < sp.min_growth) and (
            sp.min_margin is None or margin < sp.min_margin
        )

    def unsaturated_plan(self, t: int, d: int) -> float:
        """The policy's plan for month ``d`` before any approach to the ceiling."""
        pol, p, seen = self.s.policy, self.p, self.seen
        if isinstance(pol, PlannedGrowth):
            return growth_plan(seen[t], p["policy.planned_growth"], t, d)
        if isinstance(pol, Adaptive):
            return adaptive_plan(seen[t], seen[0], t, d, p["policy.prior_growth"],
                                 p["policy.prior_weight_years"], p["policy.haircut"])  # fmt: skip
        assert isinstance(pol, DemandQuantile)
        assert self.pilot is not None
        beta, resid = self.pilot.fit(t, d)
        k = min(t, 12)
        trailing = 0.0 if k == 0 else math.log(seen[t] / seen[t - k]) * 12 / k
        x = (1.0, trailing, math.log(seen[t] / p["demand.ceiling"]))
        y = sum(b * xi for b, xi in zip(beta, x, strict=True))
        y += float(residual_quantile(resid, np.array([p["policy.q"]]))[0])
        return seen[t] * math.exp(y)
