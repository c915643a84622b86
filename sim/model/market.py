"""The market's Python side (docs/model.md section 5d): the rivals' packed parameters for
the kernel, the market's yearly and per-path outputs, and the valuation with a market."""

from __future__ import annotations

import numpy as np

from .kernel.layout import ADAPTIVE, PLANNED_GROWTH, P
from .scenario import Adaptive, Scenario


def pack_rivals(
    scenario: Scenario, params: dict[str, np.ndarray], packed: np.ndarray
) -> tuple[np.ndarray, tuple[int, int, int, bool]]:
    """The rivals' packed parameters (the lab's, with the rivals' policy columns) and their
    policy settings (code, review months, first review, plan_to_ceiling); a (n, 1) dummy
    and code -1 without a market."""
    market = scenario.market
    if market is None:
        return np.zeros((packed.shape[0], 1)), (-1, 1, 0, False)
    out = packed.copy()
    policy = market.rivals_policy
    for name in ("planned_growth", "prior_growth", "haircut"):
        key = f"market.rivals_policy.{name}"
        if key in params:
            out[:, P[name]] = params[key]
    if "market.rivals_policy.prior_weight_years" in params:
        out[:, P["prior_weight"]] = params["market.rivals_policy.prior_weight_years"]
    code = ADAPTIVE if isinstance(policy, Adaptive) else PLANNED_GROWTH
    settings = (code, policy.review_months, policy.first_review_months,
                bool(policy.plan_to_ceiling))  # fmt: skip
    return out, settings


MARKET_YEARLY = (
    "market_demand", "market_served", "rivals_capacity_gw", "industry_capacity_gw",
    "contract_price", "spot_price", "lost_to_rivals", "unserved_by_market",
)  # fmt: skip
"""Yearly columns that only a market fills (NaN without one)."""


def market_years(scenario: Scenario, yearly: dict[str, np.ndarray]) -> None:
    """Fill in place: market columns NaN without a market; ``market_share``, the lab's
    served revenue over the market's [0..1] (NaN without a market or market revenue)."""
    if scenario.market is None:
        for name in MARKET_YEARLY:
            yearly[name] = np.full_like(yearly[name], np.nan)
        yearly["market_share"] = np.full_like(yearly["revenue"], np.nan)
        return
    served = yearly["market_served"]
    with np.errstate(invalid="ignore", divide="ignore"):
        yearly["market_share"] = np.where(served > 0, yearly["revenue"] / served, np.nan)


def market_paths(scenario: Scenario, path: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-path market outcomes [USD in the horizon; GW], NaN without a market."""
    keys = ("cum_lost_to_rivals", "cum_unserved_by_market", "final_market_demand",
            "cum_rationed_gw")  # fmt: skip
    if scenario.market is None:
        return {k: np.full_like(path[k], np.nan) for k in keys}
    return {k: path[k] for k in keys}


def terminal_multiple(
    scenario: Scenario, draws: dict[str, np.ndarray], path: dict[str, np.ndarray]
) -> np.ndarray:
    """Multiple of the final revenue run-rate in ``equity_value`` [x], per path.

    Without a market: ``finance.valuation_multiple``. With one, it falls linearly from that
    multiple (a market with all its growth ahead) to ``market.mature_multiple`` (a market at
    its ceiling) with the share of the ceiling market demand has reached at the horizon:
    ``mature + (multiple - mature) x max(0, 1 - D_T / ceiling)``.
    """
    multiple = draws["finance.valuation_multiple"]
    if scenario.market is None:
        return multiple
    mature = draws["market.mature_multiple"]
    headroom = np.clip(1.0 - path["final_market_demand"] / draws["demand.ceiling"], 0.0, 1.0)
    return mature + (multiple - mature) * headroom
