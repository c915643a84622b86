"""The ``market:`` section: the lab in a market it shares with rivals (off when absent).

With a market, ``demand`` describes the whole market's potential revenue (its ceiling is
the market's), the lab's potential demand is its share of it, rivals buy from the same
industry supply, and compute prices clear on industry tightness (docs/model.md section 5d).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sim.model.distributions import support

from .params import MAX_GW, MAX_USD, MIN_PRICE, Param, UnitHalfOpen, _Model
from .policies import Adaptive, PlannedGrowth

RivalsPolicy = Annotated[PlannedGrowth | Adaptive, Field(discriminator="kind")]
"""Rivals buy by one of the lab's review policies that read observed demand."""


def _default_rivals_policy() -> PlannedGrowth:
    return PlannedGrowth(kind="planned_growth", planned_growth=3.0)


class Market(_Model):
    """Rivals (one aggregate firm), their purchases, and prices that clear.

    Needs a ``competition:`` section: its ``initial_share`` is the lab's share of market
    demand at the start and its ``elasticity``, training stocks and half-life move that
    share with the lab's training compute relative to the rivals' (the rivals train on the
    training share of their own capacity; ``rivals_share_of_industry`` is not used).
    """

    rivals_initial_gw: Param(0.0, MAX_GW, cap=True) = Field(
        4.0, description="rivals' GW under contract at the start [GW]"
    )
    rivals_training_share: UnitHalfOpen = Field(
        0.5,
        description="research share of their compute rivals plan for and protect: their "
        "inference never takes more than 1 - this [0..1)",
    )
    rivals_policy: RivalsPolicy = Field(
        default_factory=_default_rivals_policy,
        description="how rivals order: planned_growth or adaptive, on the market demand "
        "they observe (their share of it); lead time and contract length are the lab's",
    )
    contract_price_elasticity: Param(0.0, 10.0) = Field(
        0.5,
        description="slope of the contract price in log tightness (market demand per GW "
        "online, relative to the start); 0: contracts keep compute.price_per_gw_year [-]",
    )
    spot_price_elasticity: Param(0.0, 10.0) = Field(
        1.5, description="slope of the spot price in log tightness; 0: fixed spot price [-]"
    )
    price_floor_per_gw_year: Param(MIN_PRICE, MAX_USD, cap=True) = Field(
        2.5e9, description="lowest contract and spot price: the operating cost [USD/GW-yr]"
    )
    price_cap_per_gw_year: Param(MIN_PRICE, MAX_USD, cap=True) = Field(
        20.0e9, description="highest contract and spot price [USD/GW-yr]"
    )
    capability_price_exponent: Param(0.0, 3.0) = Field(
        0.0,
        description="pricing power: each GW of the lab's inference earns the market's "
        "revenue per GW times ((E/R)/(E0/R0))^this, E and R the lab's and rivals' effective "
        "training compute (competition:); 0: no premium [-]",
    )
    mature_multiple: Param(0.0, 1000.0) = Field(
        8.0,
        description="valuation multiple of a market at its ceiling; equity_value's multiple "
        "falls from finance.valuation_multiple to this as market demand nears "
        "demand.ceiling [x revenue run-rate]",
    )

    @model_validator(mode="after")
    def _prices_ordered(self) -> Market:
        if support(self.price_floor_per_gw_year)[1] > support(self.price_cap_per_gw_year)[0]:
            raise ValueError(
                "market.price_floor_per_gw_year must not exceed market.price_cap_per_gw_year "
                "for any path"
            )
        if self.rivals_policy.signpost is not None:
            raise ValueError("market.rivals_policy.signpost: rivals read no signpost")
        return self


__all__ = ["Market", "RivalsPolicy"]
