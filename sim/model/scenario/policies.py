"""Purchase policies, deals, correlations and backtest figures of a scenario."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from sim.strict import Number, WholeNumber

from .params import MAX_CEILING, MAX_GW, Growth, Month, Param, _Model


class Tranche(_Model):
    start: Month = Field(description="month the capacity comes online")
    gw: Number = Field(ge=0, le=MAX_GW, allow_inf_nan=False, description="[GW]")
    years: Number = Field(ge=1.0 / 12.0, le=30.0, description="contract length [years]")


class Deal(_Model):
    """A compute deal on top of any policy, with its own signing date, term and price."""

    signed: Month | None = Field(None, description="month signed; null: the scenario's start")
    start: Month = Field(description="month the capacity comes online")
    gw: Number = Field(ge=0, le=MAX_GW, allow_inf_nan=False, description="[GW]")
    years: Number = Field(ge=1.0 / 12.0, le=30.0, description="contract length [years]")
    price_per_gw_year: Number | None = Field(
        None,
        gt=0,
        le=1e13,
        allow_inf_nan=False,
        description="[USD/GW-yr]; null: compute.price_per_gw_year",
    )


class FixedSchedule(_Model):
    kind: Literal["fixed_schedule"]
    tranches: list[Tranche] = Field(default_factory=list)


class Signpost(_Model):
    """Cut orders once what the lab observes by a date says it is in a ruin-prone world.

    Read once, at month ``by``: the signpost *trips* when every threshold that is set is
    missed (potential demand growth observed since the start below ``min_growth``, realized
    inference margin below ``min_margin``); from then on every review order is cut by
    ``cut``. ``python -m sim discover`` prints thresholds that separate ruin from safety.
    """

    by: Month = Field(description="month the signpost is read, 'YYYY-MM', after the start")
    min_growth: Number | None = Field(
        None, gt=0.0, le=100.0,
        description="trips when demand growth observed from the start to `by` is below this "
        "[x/yr]; null: no growth condition",
    )  # fmt: skip
    min_margin: Number | None = Field(
        None, ge=-1.0, lt=1.0,
        description="trips when the realized inference margin at `by` is below this [0..1); "
        "null: no margin condition",
    )  # fmt: skip
    cut: Number = Field(
        0.5, ge=0.0, le=1.0,
        description="share of every order from `by` on that is not placed once tripped [0..1]",
    )  # fmt: skip

    @model_validator(mode="after")
    def _has_condition(self) -> Signpost:
        if self.min_growth is None and self.min_margin is None:
            raise ValueError("a signpost needs min_growth, min_margin or both")
        return self


def _first_review() -> Any:
    return Field(
        0, ge=0, le=600,
        description="months from the start to the first review (the first order); later "
        "reviews keep the calendar of review_months from the start; 0: order at the start",
    )  # fmt: skip


def _signpost() -> Any:
    return Field(None, description="optional signpost that cuts orders (see Signpost)")


class PlannedGrowth(_Model):
    kind: Literal["planned_growth"]
    planned_growth: Growth = Field(4.0, description="growth the plan assumes [x/yr]")
    review_months: WholeNumber = Field(12, ge=1, le=120, description="months between orders")
    plan_to_ceiling: bool = Field(
        True, description="bend the planned growth toward demand.ceiling (logistic)"
    )
    first_review_months: WholeNumber = _first_review()
    signpost: Signpost | None = _signpost()


class DemandQuantile(_Model):
    kind: Literal["demand_quantile"]
    q: Param(0.0, 1.0, lo_open=True, hi_open=True) = Field(0.5, description="quantile [0..1]")
    review_months: WholeNumber = Field(12, ge=1, le=120, description="months between orders")
    pilot_paths: WholeNumber = Field(
        4000, ge=100, le=1_000_000, description="paths for the quantile"
    )
    first_review_months: WholeNumber = _first_review()
    signpost: Signpost | None = _signpost()


class Adaptive(_Model):
    """Re-plans at each review from growth observed so far (shrinkage estimate)."""

    kind: Literal["adaptive"]
    prior_growth: Growth = Field(4.0, description="growth assumed before evidence [x/yr]")
    prior_weight_years: Param(0.0, 50.0) = Field(
        1.0, description="years of observation the prior is worth"
    )
    haircut: Param(0.0, 1.0) = Field(
        0.0, description="plan for this share less log-growth than estimated [0..1]"
    )
    review_months: WholeNumber = Field(12, ge=1, le=120, description="months between orders")
    plan_to_ceiling: bool = Field(
        True, description="bend the planned growth toward demand.ceiling (logistic)"
    )
    first_review_months: WholeNumber = _first_review()
    signpost: Signpost | None = _signpost()


Policy = Annotated[
    FixedSchedule | PlannedGrowth | DemandQuantile | Adaptive, Field(discriminator="kind")
]
POLICY_KINDS = ("fixed_schedule", "planned_growth", "demand_quantile", "adaptive")


MAX_TRANCHE_YEARS_AFTER_HORIZON = 30
"""Fixed tranches are signed at the start and may come online after the horizon (they run
off like any contract), but not absurdly late [years]."""


class Correlation(_Model):
    """Rank (Spearman) correlation between two per-path draws, via a Gaussian copula."""

    params: tuple[str, str] = Field(description="two dotted parameter names")
    rank: Number = Field(gt=-1.0, lt=1.0, description="rank correlation (-1..1)")


class Backtest(_Model):
    """Observed public figures a report plots the model against (not used by the model)."""

    source: str = Field("", max_length=500, description="where the figures come from")
    revenue_run_rate: dict[Month, Annotated[Number, Field(gt=0, le=MAX_CEILING)]] = Field(
        default_factory=dict, description="annualized revenue at the start of a month [USD/yr]"
    )
    capacity_gw: dict[Month, Annotated[Number, Field(ge=0, le=MAX_GW)]] = Field(
        default_factory=dict, description="GW online at the end of a month [GW]"
    )

    def __hash__(self) -> int:  # frozen models hash their fields; dicts need help
        return hash(
            (self.source, tuple(self.revenue_run_rate.items()), tuple(self.capacity_gw.items()))
        )
