"""Validated scenario: the user-facing contract, as frozen pydantic models.

No file IO lives here (see :mod:`sim.model.io`). Any numeric model parameter is a ``Param``:
either a plain number or a distribution ``{dist: ...}`` sampled once per path. Ranges are
checked against the whole support of a distribution, so a margin drawn from
``uniform(0.5, 1.2)`` is rejected instead of being silently clamped.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from sim.build.spec import BuildSpec
from sim.errors import short_repr
from sim.strict import Number, StrictModel, WholeNumber

from .actuals import Actuals, check_dates
from .distributions import Dist, _Dist, support

_DIST_ADAPTER: TypeAdapter[Any] = TypeAdapter(Dist)
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


_Model = StrictModel


def _parse_param(value: Any) -> Any:
    if isinstance(value, _Dist):  # already validated (Python API)
        return value
    if isinstance(value, bool):
        raise ValueError(f"expected a number or a distribution, got {value!r}")
    if isinstance(value, int | float | str):
        if isinstance(value, str) and len(value) > 100:
            raise ValueError(f"expected a number or a distribution, got {short_repr(value)}")
        try:
            number = float(value)
        except OverflowError:  # an integer beyond float64 (e.g. 10**400)
            raise ValueError(f"expected a finite number, got {short_repr(value)}") from None
        except ValueError:
            raise ValueError(
                f"expected a number or a distribution {{dist: ...}}, got {short_repr(value)}"
            ) from None
        if not math.isfinite(number):
            raise ValueError(f"expected a finite number, got {short_repr(value)}")
        return number
    if isinstance(value, dict):
        try:
            return _DIST_ADAPTER.validate_python(value)
        except ValidationError as exc:
            msgs = []
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"] if p not in _DIST_KIND_TAGS)
                msg = err["msg"].removeprefix("Value error, ")
                msgs.append(f"{loc + ': ' if loc else ''}{msg}")
            raise ValueError(
                "bad distribution: "
                + "; ".join(msgs)[:500]
                + " (allowed dist: fixed{value}, uniform{low,high}, loguniform{low,high}, "
                "triangular{low,mode,high}, lognormal{median,sigma,[low],[high]}, "
                "normal{mean,sd,[low],[high]}, mixture{weights,components})"
            ) from None
    raise ValueError(f"expected a number or a distribution {{dist: ...}}, got {short_repr(value)}")


_DIST_KIND_TAGS = {
    "fixed", "uniform", "loguniform", "triangular", "lognormal", "normal", "mixture",
}  # fmt: skip


def _largest_draw(value: Any) -> float:
    """Largest value the engine can draw from a distribution unbounded above: draws are
    inverse CDFs of uniforms clipped to [1e-12, 1 - 1e-12] (see ``_Truncatable.ppf``)."""
    import numpy as np

    return float(np.asarray(value.ppf(np.asarray([1.0 - 1e-12])))[0])


def _in_range(
    lo: float, hi: float, lo_open: bool = False, hi_open: bool = False, cap: bool = False
):
    def check(value: Any) -> Any:
        s_lo, s_hi = support(value)
        if cap and math.isinf(s_hi) and hasattr(value, "ppf"):
            s_hi = _largest_draw(value)  # a magnitude cap: what can actually be drawn
        ok_lo = s_lo > lo if lo_open else s_lo >= lo
        ok_hi = s_hi < hi if hi_open else s_hi <= hi
        if not (ok_lo and ok_hi) or math.isnan(s_lo) or math.isnan(s_hi):
            if math.isinf(hi):
                allowed = f"be {'>' if lo_open else '>='} {lo:g}"
            else:
                allowed = f"lie in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
            got = f"{s_lo:g}" if s_lo == s_hi else f"values in [{s_lo:g}, {s_hi:g}]"
            hint = ""
            if math.isinf(s_lo) or math.isinf(s_hi):
                hint = " (an unbounded distribution needs truncation bounds: add low/high)"
            raise ValueError(f"must {allowed}, got {got}{hint}")
        return value

    return check


def Param(  # noqa: N802
    lo: float,
    hi: float = math.inf,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    cap: bool = False,
):
    """Type of a numeric model parameter: a number or a distribution within a range.

    ``cap=True`` marks ``hi`` as a magnitude cap that only keeps float64 finite, not a
    limit of the domain: a distribution unbounded above (lognormal, normal) passes when its
    largest drawable value (quantile 1 - 1e-12) lies within it. The before-validator parses
    numbers and ``{dist: ...}`` itself, so the field's own type is ``Any``: pydantic then
    builds no union schema per field (the schema loads fast)."""
    return Annotated[
        Any,
        BeforeValidator(_parse_param),
        AfterValidator(_in_range(lo, hi, lo_open, hi_open, cap)),
    ]


Positive = Param(0.0, lo_open=True)
NonNeg = Param(0.0)
UnitClosed = Param(0.0, 1.0)
UnitHalfOpen = Param(0.0, 1.0, hi_open=True)
# Yearly multipliers above 100x (and a few other absurd magnitudes) are refused: compounded
# over a horizon they overflow float64 and would turn results into inf/NaN silently.
Multiplier = Param(0.0, 100.0, lo_open=True)
MIN_GROWTH = 0.01
"""Smallest yearly growth multiplier of demand and of plans [x/yr] (a 99% fall a year):
below it, potential demand underflows to 0 within a horizon and plans divide by it."""
Growth = Param(MIN_GROWTH, 100.0)

MAX_USD = 1.0e18
"""Largest amount of money a scenario may state [USD or USD/yr]: revenue, cash, costs,
raises, price per GW-year (10,000 times world GDP). With the other bounds it keeps every
figure of the model finite in float64 over the longest horizon and run-off
(:data:`MAX_TOTAL_MONTHS`); tested at the bounds in ``tests/test_hostile_input.py``."""
MAX_CEILING = 1.0e30
"""Largest ``demand.ceiling`` [USD/yr]: 1e30 is how tests and users say "no ceiling"."""
MAX_GW = 1.0e5
"""Largest capacity a scenario may state [GW] (100 TW, ~30 times world electricity)."""
MAX_GW_YEARS = 1.0e7
"""Largest stock of training compute a scenario may state [GW-years] (100 years at
:data:`MAX_GW`)."""
MIN_PRICE = 1.0
"""Smallest ``price_per_gw_year`` [USD/GW-yr]: revenue per GW stays above zero (orders
divide by it) even after a century of efficiency change."""
MAX_TOTAL_MONTHS = 1440
"""Longest simulation, horizon plus run-off [months] (120 years): 100x a year compounded
over it stays within float64. Without a build pipeline the schema's own limits give at most
1,320 months; a build pipeline whose slips push the run-off beyond this is refused."""
MAX_RATIO = 1.0e6
"""Largest plain threshold ratio (``min_growth_to_raise``) [x/yr]."""
UsdNonNeg = Param(0.0, MAX_USD, cap=True)


def _parse_month(value: Any) -> str:
    if isinstance(value, list | dict | tuple | set):  # never str() a (shared, huge) container
        raise ValueError(f"expected a month 'YYYY-MM' such as 2026-01, got {short_repr(value)}")
    text = str(value)
    m = _MONTH_RE.match(text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"expected a month 'YYYY-MM' such as 2026-01, got {short_repr(value)}")
    return text


Month = Annotated[str, BeforeValidator(_parse_month)]


def month_index(month: str, start: str) -> int:
    """Months from ``start`` to ``month`` (both 'YYYY-MM')."""
    y1, m1 = map(int, month.split("-"))
    y0, m0 = map(int, start.split("-"))
    return (y1 - y0) * 12 + (m1 - m0)


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


SECTIONS = ("demand", "compute", "allocation", "economics", "finance", "policy", "competition")
"""Scenario sections holding numeric model parameters."""


def numeric_fields(scenario: Scenario) -> dict[str, object]:
    """Dotted name -> number or distribution, for every numeric model parameter drawn once
    per path (``demand.growth`` is drawn per year and is not included)."""
    out: dict[str, object] = {}
    for section in SECTIONS:
        model = getattr(scenario, section)
        if model is None:
            continue
        for name in type(model).model_fields:
            value = getattr(model, name)
            if section == "demand" and name == "growth":
                continue  # drawn per year
            if isinstance(value, CapabilityJump):
                for sub in ("at_year", "multiplier"):
                    out[f"demand.capability_jump.{sub}"] = getattr(value, sub)
            elif isinstance(value, Debt | CreditLimit):
                for sub in type(value).model_fields:
                    out[f"{section}.{name}.{sub}"] = getattr(value, sub)
            elif isinstance(value, float) or hasattr(value, "ppf"):
                out[f"{section}.{name}"] = value
    return out


def _is_random(scenario: Scenario, name: str) -> bool:
    value = scenario.demand.growth if name == "demand.growth" else numeric_fields(scenario)[name]
    lo, hi = support(value)  # type: ignore[arg-type]
    return lo < hi


def correlation_matrix(
    scenario: Scenario, only_random: bool = True
) -> tuple[list[str], list[list[float]]]:
    """Names (in order of first mention) and the matrix of Gaussian-copula correlations
    ``2 sin(pi r / 6)`` that gives rank correlation ``r`` between each listed pair.

    A parameter set to a plain number has no rank to correlate: with ``only_random`` such
    parameters (and their pairs) are left out, so a sweep may fix any of them.
    """
    names: list[str] = []
    for c in scenario.correlations:
        names += [p for p in c.params if p not in names]
    if only_random:
        names = [p for p in names if _is_random(scenario, p)]
    pairs = [c for c in scenario.correlations if all(p in names for p in c.params)]
    k = len(names)
    mat = [[1.0 if i == j else 0.0 for j in range(k)] for i in range(k)]
    for c in pairs:
        i, j = names.index(c.params[0]), names.index(c.params[1])
        mat[i][j] = mat[j][i] = 2.0 * math.sin(math.pi * c.rank / 6.0)
    return names, mat


def _positive_definite(mat: list[list[float]], tol: float = 1e-9) -> bool:
    """Cholesky in plain Python (a few parameters; the schema loads without numpy)."""
    k = len(mat)
    low = [[0.0] * k for _ in range(k)]
    for i in range(k):
        for j in range(i + 1):
            acc = mat[i][j] - sum(low[i][m] * low[j][m] for m in range(j))
            if i == j:
                if acc <= tol:
                    return False
                low[i][i] = math.sqrt(acc)
            else:
                low[i][j] = acc / low[j][j]
    return True


class Scenario(_Model):
    """A complete, validated scenario."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    simulation: Simulation = Field(default_factory=Simulation)
    demand: Demand
    compute: Compute = Field(default_factory=Compute)
    allocation: Allocation = Field(default_factory=Allocation)
    economics: Economics = Field(default_factory=Economics)
    finance: Finance = Field(default_factory=Finance)
    policy: Policy
    correlations: tuple[Correlation, ...] = Field(
        default=(), max_length=50, description="rank correlations between draws"
    )
    competition: Competition | None = Field(
        None, description="rivals and the returns to training compute; null: no feedback"
    )
    deals: tuple[Deal, ...] = Field(
        default=(), max_length=100, description="compute deals on top of the policy's orders"
    )
    backtest: Backtest | None = Field(None, description="observed figures for the report")
    actuals: Actuals | None = Field(None, description="observed months the run conditions on")

    @property
    def as_of(self) -> str | None:
        """Last month of history ('YYYY-MM'): ``simulation.as_of`` or the last actual's."""
        if self.actuals is None:
            return None
        return self.simulation.as_of or self.actuals.points[-1].month

    @property
    def months(self) -> int:
        """Decision horizon [months]: reviews happen inside it (run-off follows)."""
        return 12 * self.simulation.years

    @model_validator(mode="after")
    def _tranches_in_horizon(self) -> Scenario:
        if isinstance(self.policy, FixedSchedule):
            for i, tr in enumerate(self.policy.tranches):
                idx = month_index(tr.start, self.simulation.start)
                if idx < 0:
                    raise ValueError(
                        f"policy.tranches[{i}].start {tr.start} is before simulation.start "
                        f"{self.simulation.start}; capacity signed earlier belongs in "
                        "compute.initial_gw"
                    )
                if idx >= self.months + 12 * MAX_TRANCHE_YEARS_AFTER_HORIZON:
                    raise ValueError(
                        f"policy.tranches[{i}].start {tr.start} is more than "
                        f"{MAX_TRANCHE_YEARS_AFTER_HORIZON} years after the horizon ends; "
                        "extend simulation.years or move the tranche"
                    )
        return self

    @model_validator(mode="after")
    def _deals_dated(self) -> Scenario:
        for i, d in enumerate(self.deals):
            signed = month_index(d.signed or self.simulation.start, self.simulation.start)
            start = month_index(d.start, self.simulation.start)
            if not 0 <= signed < self.months:
                raise ValueError(
                    f"deals[{i}].signed {d.signed} must lie inside the horizon "
                    f"({self.simulation.start} + {self.simulation.years} years)"
                )
            if start < signed:
                raise ValueError(
                    f"deals[{i}].start {d.start} is before it is signed "
                    f"({d.signed or self.simulation.start})"
                )
            if start >= self.months + 12 * MAX_TRANCHE_YEARS_AFTER_HORIZON:
                raise ValueError(
                    f"deals[{i}].start {d.start} is more than {MAX_TRANCHE_YEARS_AFTER_HORIZON} "
                    "years after the horizon ends"
                )
        return self

    @model_validator(mode="after")
    def _reviews_in_horizon(self) -> Scenario:
        first = getattr(self.policy, "first_review_months", 0)
        if first >= self.months:
            raise ValueError(
                f"policy.first_review_months {first} is not inside the horizon of "
                f"{self.months} months: the policy would never order"
            )
        signpost = getattr(self.policy, "signpost", None)
        if signpost is not None:
            idx = month_index(signpost.by, self.simulation.start)
            if not 0 < idx < self.months:
                raise ValueError(
                    f"policy.signpost.by {signpost.by} must lie after simulation.start "
                    f"{self.simulation.start} and inside the {self.simulation.years}-year horizon"
                )
        return self

    @model_validator(mode="after")
    def _build_work_bounded(self) -> Scenario:
        """The SimPy slip model splits orders into projects: bound its work."""
        spec = self.compute.build
        if spec is None:
            return self
        from sim.build.spec import MAX_BUILD_PROJECTS, MAX_PROJECTS_PER_ORDER

        order_gw = max(1.0, support(self.compute.initial_gw)[1])  # the representative order
        per_order = spec.n_projects(order_gw)
        if per_order > MAX_PROJECTS_PER_ORDER:
            raise ValueError(
                f"compute.build.project_gw {spec.project_gw:g} GW splits an order of "
                f"{order_gw:g} GW into {per_order:,} projects; at most "
                f"{MAX_PROJECTS_PER_ORDER:,} are allowed (raise project_gw to at least "
                f"{order_gw / MAX_PROJECTS_PER_ORDER:.3g} GW)"
            )
        orders = (
            1
            if isinstance(self.policy, FixedSchedule)
            else len(range(0, self.months, self.policy.review_months))
        )
        total = spec.replications * orders * per_order
        if total > MAX_BUILD_PROJECTS:
            raise ValueError(
                f"compute.build: the slip model would simulate {total:,} projects "
                f"(replications {spec.replications:,} x {orders} orders x {per_order:,} "
                f"projects per order); at most {MAX_BUILD_PROJECTS:,}: lower "
                "compute.build.replications or raise compute.build.project_gw"
            )
        return self

    @model_validator(mode="after")
    def _correlations_valid(self) -> Scenario:
        if not self.correlations:
            return self
        fields = {"demand.growth": self.demand.growth, **numeric_fields(self)}
        seen: set[frozenset[str]] = set()
        for i, c in enumerate(self.correlations):
            where = f"correlations[{i}]"
            for name in c.params:
                if name not in fields:
                    import difflib

                    hint = difflib.get_close_matches(name, sorted(fields), n=1)
                    did = f"; did you mean '{hint[0]}'?" if hint else ""
                    raise ValueError(f"{where}: unknown parameter '{name}'{did}")
            if c.params[0] == c.params[1]:
                raise ValueError(f"{where}: a parameter cannot be correlated with itself")
            pair = frozenset(c.params)
            if pair in seen:
                raise ValueError(f"{where}: the pair {list(c.params)} is listed twice")
            seen.add(pair)
        names, mat = correlation_matrix(self, only_random=False)
        if not _positive_definite(mat):
            raise ValueError(
                "correlations: these rank correlations cannot hold together (the correlation "
                f"matrix of {names} is not positive definite); weaken some of them"
            )
        return self

    @model_validator(mode="after")
    def _backtest_in_horizon(self) -> Scenario:
        if self.backtest is None:
            return self
        for series in ("revenue_run_rate", "capacity_gw"):
            for month in getattr(self.backtest, series):
                idx = month_index(month, self.simulation.start)
                if not 0 <= idx < self.months:
                    raise ValueError(
                        f"backtest.{series}: month {month} lies outside the horizon "
                        f"{self.simulation.start} + {self.simulation.years} years"
                    )
        return self

    @model_validator(mode="after")
    def _actuals_dated(self) -> Scenario:
        check_dates(self.actuals, self.simulation.start, self.months, self.simulation.as_of)
        return self

    def replace(self, **updates: Any) -> Scenario:
        """Copy with dotted-path updates, re-validated: ``s.replace(**{"policy.q": 0.9})``."""
        data = self.model_dump(by_alias=True, exclude_none=True)
        for dotted, value in updates.items():
            set_dotted(data, dotted, value)
        return Scenario.model_validate(data)


def set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``data['a']['b'] = value`` for ``dotted='a.b'``, creating no new sections; a
    number addresses a list item (``deals.0.gw``, ``policy.tranches.1.gw``)."""
    keys = dotted.split(".")
    node: Any = data
    for key in keys[:-1]:
        if isinstance(node, list):
            node = node[_index(node, key, dotted)]
            continue
        child = node.get(key) if isinstance(node, dict) else None
        if isinstance(child, tuple):  # model_dump gives tuples for tuple fields
            child = node[key] = list(child)
        if not isinstance(child, dict | list):
            raise KeyError(f"no section '{key}' in '{dotted}'")
        node = child
    if isinstance(node, list):
        node[_index(node, keys[-1], dotted)] = value
    else:
        node[keys[-1]] = value


def _index(items: list, key: str, dotted: str) -> int:
    if not key.isdigit() or int(key) >= len(items):
        raise KeyError(f"no item '{key}' in '{dotted}' (it has {len(items)})")
    return int(key)
