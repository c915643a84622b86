"""Scenario sections with numeric model parameters: simulation, demand, compute,
allocation, economics, finance and competition."""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.build.spec import BuildSpec
from sim.model.distributions import support
from sim.strict import WholeNumber

from .params import (
    MAX_CEILING,
    MAX_GW,
    MAX_GW_YEARS,
    MAX_RATIO,
    MAX_USD,
    MIN_PRICE,
    Growth,
    Month,
    Multiplier,
    Param,
    UnitClosed,
    UnitHalfOpen,
    UsdNonNeg,
    _Model,
)


class Simulation(_Model):
    start: Month = "2026-01"
    years: WholeNumber = Field(6, ge=1, le=50, description="horizon [years]; monthly steps")
    paths: WholeNumber = Field(10_000, ge=1, le=100_000_000, description="Monte Carlo paths")
    seed: WholeNumber = Field(2026, ge=0, le=2**63 - 1, description="root seed of all draws")
    as_of: Month | None = Field(
        None, description="'today' with actuals: later months are forecast; null: last actual"
    )


class CapabilityJump(_Model):
    """A one-off step in potential demand that diffuses into revenue with the lag."""

    at_year: Param(1900.0, 2200.0) = Field(description="decimal calendar year, e.g. 2027.5")
    multiplier: Param(0.001, 1000.0) = Field(description="step multiple of potential demand [x]")


class Demand(_Model):
    initial_revenue: Param(1.0, MAX_USD, cap=True) = Field(
        10.0e9, description="annualized run-rate at start [USD/yr]"
    )
    growth: Growth = Field(description="annual multiplier of potential demand [x/yr]")
    growth_persistence: UnitClosed = Field(0.8, description="year-to-year correlation [0..1]")
    volatility: Param(0.0, 2.0) = Field(0.10, description="annualized log-volatility [1/sqrt(yr)]")
    ceiling: Param(0.0, MAX_CEILING, lo_open=True, cap=True) = Field(
        10.0e12, description="saturation level [USD/yr]; 1e30 = no ceiling"
    )
    diffusion_lag_years: Param(0.0, 20.0) = Field(1.0, description="mean lag [years]")
    capability_jump: CapabilityJump | None = None
    churn_of_unserved: UnitHalfOpen = Field(
        0.0,
        description="share of unserved demand that leaves for rivals for good, per month "
        "[0..1); the rest waits",
    )

    @model_validator(mode="after")
    def _ceiling_above_start(self) -> Demand:
        if support(self.ceiling)[0] <= support(self.initial_revenue)[1]:
            raise ValueError(
                "ceiling must exceed initial_revenue for every path "
                f"(ceiling min {support(self.ceiling)[0]:g} <= initial_revenue max "
                f"{support(self.initial_revenue)[1]:g})"
            )
        return self


class Compute(_Model):
    initial_gw: Param(0.0, 100_000.0) = Field(
        1.0, description="GW online at start under signed contracts [GW]"
    )
    initial_contract_years_left: Param(0.0, 50.0) = Field(3.0, description="[years]")
    price_per_gw_year: Param(MIN_PRICE, MAX_USD, cap=True) = Field(
        12.0e9, description="take-or-pay price [USD/GW-yr]"
    )
    lead_time_months: Param(0.0, 120.0) = Field(18.0, description="order -> online [months]")
    contract_years: Param(1.0 / 12.0, 30.0) = Field(5.0, description="contract length [years]")
    industry_gw_start: Param(0.0, MAX_GW, lo_open=True, cap=True) = Field(
        12.0, description="industry AI capacity at start [GW]"
    )
    industry_gw_max: Param(0.0, MAX_GW, lo_open=True, cap=True) | None = Field(
        None, description="hard limit on industry AI capacity (wafers, power) [GW]; none if null"
    )
    industry_growth: Multiplier = Field(3.0, description="yearly multiplier of industry GW [x/yr]")
    max_industry_share: Param(0.0, 1.0, lo_open=True) = Field(0.2, description="[0..1]")
    revenue_per_gw_growth: Param(0.01, 100.0) = Field(
        1.0, description="efficiency: yearly multiplier of what one GW can serve [x/yr]"
    )
    price_pass_through: Param(0.0, 1.0) = Field(
        0.0,
        description="share of the efficiency gain passed on to customers as lower prices "
        "[0..1]; 0: revenue per GW grows with efficiency, 1: it stays constant",
    )
    build: BuildSpec | None = Field(
        None, description="optional build pipeline: delivery slips (see sim.build)"
    )
    sublease_recovery: Param(0.0, 1.0, hi_open=True) = Field(
        0.0,
        description="idle GW are subleased at this share of the price per GW-year "
        "[0..1); 0: no resale",
    )
    termination_fee: Param(0.0, 1.0) | None = Field(
        None,
        description="at a review, contracts not yet online beyond what the plan wants can be "
        "cancelled for this share of their value [0..1]; null: no exit",
    )

    @model_validator(mode="after")
    def _limit_above_start(self) -> Compute:
        if self.industry_gw_max is not None:
            limit_lo, start_hi = (
                support(self.industry_gw_max)[0],
                support(self.industry_gw_start)[1],
            )
            if limit_lo < start_hi:
                raise ValueError(
                    f"industry_gw_max must be at least industry_gw_start for every path "
                    f"(industry_gw_max min {limit_lo:g} < industry_gw_start max {start_hi:g})"
                )
        return self


class Allocation(_Model):
    training_share: UnitHalfOpen = Field(0.5, description="planned training share [0..1)")
    min_training_share: UnitHalfOpen = Field(0.25, description="research floor [0..1)")
    max_training_share: Param(0.0, 1.0, lo_open=True) = Field(
        1.0, description="training can use at most this share; the rest is idle [0..1]"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Allocation:
        if support(self.min_training_share)[1] > support(self.training_share)[0]:
            raise ValueError("min_training_share must not exceed training_share")
        if support(self.max_training_share)[0] < support(self.training_share)[1]:
            raise ValueError("max_training_share must be at least training_share")
        return self


class Economics(_Model):
    gross_margin: Param(-1.0, 1.0, hi_open=True) = Field(
        0.6667, description="inference gross margin (revenue - inference compute) / revenue"
    )
    other_costs_share: UnitHalfOpen = Field(0.15, description="other opex [share of revenue]")
    fixed_costs_per_year: UsdNonNeg = Field(2.0e9, description="[USD/yr]")


class Debt(_Model):
    """A revolving credit line: drawn when cash would go negative, repaid from positive
    operating cash flow, interest paid monthly; lenders call the excess over the covenant."""

    limit: Param(0.0, 100.0) = Field(
        1.0, description="most debt outstanding, as a multiple of the revenue run-rate [x]"
    )
    rate: Param(0.0, 1.0) = Field(0.08, description="interest rate [1/yr]")
    covenant: Param(0.0, 100.0) = Field(
        2.0,
        description="debt above this multiple of the revenue run-rate must be repaid at once, "
        "or the lab is bankrupt [x]",
    )

    @model_validator(mode="after")
    def _covenant_above_limit(self) -> Debt:
        # lenders who call debt below what they lend would be re-lent the called amount
        if support(self.covenant)[0] < support(self.limit)[1]:
            raise ValueError("finance.debt.covenant must be at least finance.debt.limit")
        return self


class CreditLimit(_Model):
    """Counterparties sign new take-or-pay only while all that is still owed stays within
    ``revenue_multiple`` x revenue run-rate + ``cash_multiple`` x cash; orders are cut to fit
    and the cut is recorded (``refused_gw``)."""

    revenue_multiple: Param(0.0, 1000.0) = Field(
        5.0, description="obligations allowed per USD/yr of revenue run-rate [x]"
    )
    cash_multiple: Param(0.0, 1000.0) = Field(
        1.0, description="obligations allowed per USD of cash [x]"
    )


class Finance(_Model):
    initial_cash: UsdNonNeg = Field(30.0e9, description="[USD]")
    valuation_multiple: Param(0.0, 1000.0) = Field(20.0, description="x served revenue run-rate")
    max_dilution_per_raise: UnitHalfOpen = Field(0.15, description="[share of valuation]")
    max_raise_per_year: UsdNonNeg = Field(100.0e9, description="per calendar year [USD]")
    raise_when_runway_months_below: Param(0.0, 1200.0) = Field(12.0, description="[months]")
    min_months_between_raises: WholeNumber = Field(6, ge=1, le=120, description="[months]")
    min_growth_to_raise: Param(0.0, MAX_RATIO, cap=True) = Field(
        1.5, description="trailing 12-month growth of served revenue needed to raise [x/yr]"
    )
    valuation_growth_elasticity: Param(0.0, 5.0) = Field(
        0.0,
        description="raises value the lab at valuation_multiple x (trailing growth / "
        "valuation_reference_growth)^this: markets pay for growth; 0: off",
    )
    valuation_reference_growth: Param(0.01, 100.0) = Field(
        3.0, description="trailing growth at which the valuation multiple applies as is [x/yr]"
    )
    discount_rate: Param(0.0, 1.0) = Field(
        0.10, description="discount rate of present values (deal NPV) [1/yr]"
    )
    debt: Debt | None = Field(None, description="a revolving credit line; null: no debt")
    credit_limit: CreditLimit | None = Field(
        None, description="counterparties sign new compute only within this; null: no check"
    )


class Competition(_Model):
    """Rivals, and the returns to training compute (off unless a scenario has this section).

    The lab's potential demand is multiplied by ``elasticity`` for every doubling of its
    effective training compute relative to rivals' (relative to the start), following with
    the demand's diffusion lag, and capped so the lab's share of frontier demand stays <= 1.
    """

    elasticity: Param(1.0, 10.0) = Field(
        1.3, description="potential demand multiplier per doubling of relative training compute [x]"
    )
    initial_share: Param(0.0, 1.0, lo_open=True) = Field(
        0.3, description="the lab's share of frontier demand at the start [0..1]"
    )
    lab_training_gw_years: Param(0.0, MAX_GW_YEARS, lo_open=True, cap=True) = Field(
        2.0, description="the lab's effective training compute at the start [GW-years]"
    )
    rivals_training_gw_years: Param(0.0, MAX_GW_YEARS, lo_open=True, cap=True) = Field(
        9.0, description="rivals' effective training compute at the start [GW-years]"
    )
    rivals_share_of_industry: UnitClosed = Field(
        0.35, description="share of industry GW rivals train frontier models on [0..1]"
    )
    half_life_years: Param(0.1, 50.0) | None = Field(
        None,
        description="training compute loses half its value in this many years (models go "
        "stale); null (default): cumulative [years]",
    )
