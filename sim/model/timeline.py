"""Decision horizon and run-off: how many months a scenario simulates.

``simulation.years`` is the decision horizon: reviews (and fixed tranches) sign contracts
only inside it. Take-or-pay contracts outlive it, so the model keeps simulating after the
horizon (the *run-off*: demand continues, no new orders, raises follow the same rules)
until the last contract that can be signed inside the horizon expires. A bankruptcy in
run-off counts in the headline P(bankrupt).
"""

from __future__ import annotations

import math

from .distributions import support
from .scenario import FixedSchedule, Scenario, month_index


def _max_months(value: object, scale: float = 1.0, floor: int = 0) -> int:
    """Largest whole-month value a parameter can take, rounded as the engine rounds."""
    hi = support(value)[1]  # type: ignore[arg-type]
    return max(floor, round(scale * hi))


def review_months(scenario: Scenario) -> list[int]:
    """Months at which the policy places orders (none for fixed schedules): the first at
    ``first_review_months`` (default 0), then every ``review_months`` from the start that
    falls after it, inside the horizon (waiting delays the first order only)."""
    policy = scenario.policy
    if isinstance(policy, FixedSchedule):
        return []
    first = policy.first_review_months
    return [first, *(m for m in range(0, scenario.months, policy.review_months) if m > first)]


def last_contract_end(scenario: Scenario, max_slip: int = 0) -> int:
    """Latest month (exclusive) any contract signed inside the horizon can still run [months].

    ``max_slip`` is the largest build-pipeline slip [months] (0 without a pipeline).
    """
    c = scenario.compute
    end = _max_months(c.initial_contract_years_left, 12.0)
    length = _max_months(c.contract_years, 12.0, floor=1)
    policy = scenario.policy
    if isinstance(policy, FixedSchedule):
        for tr in policy.tranches:  # signed at the start, even if online after the horizon
            start = month_index(tr.start, scenario.simulation.start)
            end = max(end, start + max_slip + max(1, round(tr.years * 12)))
    else:
        reviews = review_months(scenario)
        if reviews:
            lead = _max_months(c.lead_time_months)
            end = max(end, reviews[-1] + lead + max_slip + length)
    for deal in scenario.deals:  # deals are not built through the pipeline: no slip
        start = month_index(deal.start, scenario.simulation.start)
        end = max(end, start + max(1, round(deal.years * 12)))
    return end


def runoff_months(scenario: Scenario, max_slip: int = 0) -> int:
    """Months simulated after the horizon so that every contract runs off [months]."""
    return max(0, last_contract_end(scenario, max_slip) - scenario.months)


def total_months(scenario: Scenario, max_slip: int = 0) -> int:
    """Horizon plus run-off [months]."""
    return scenario.months + runoff_months(scenario, max_slip)


def total_years(months: int) -> int:
    """Simulation years needed to cover ``months`` [years]."""
    return math.ceil(months / 12)


def after_horizon_notes(scenario: Scenario) -> list[str]:
    """One sentence per fixed tranche or deal that comes online after the horizon (for
    stderr): it is simulated in the run-off, never dropped, but no horizon figure sees it."""
    start = scenario.simulation.start
    end = f"{scenario.simulation.years}-year horizon"
    out = []
    items = [
        (f"policy.tranches[{i}]", tr)
        for i, tr in enumerate(
            scenario.policy.tranches if isinstance(scenario.policy, FixedSchedule) else []
        )
    ]
    items += [(f"deals[{i}]", d) for i, d in enumerate(scenario.deals)]  # fmt: skip
    for name, item in items:
        if month_index(item.start, start) >= scenario.months:
            out.append(
                f"note: {name} ({item.gw:g} GW from {item.start}) comes online after the "
                f"{end} ends: it is paid for in the run-off and counts in P(bankrupt), but "
                "the by-year figures of the horizon do not include it (extend "
                "simulation.years to see it there)"
            )
    if scenario.actuals is not None:
        out += [f"note: {line}" for line in scenario.actuals.notes]
    return out
