"""Scenario and sampled draws -> the arrays the fused kernel reads.

:func:`pack_params` packs every per-path parameter into one (paths, N_PARAMS) array (column
order in :mod:`sim.model.kernel.layout`); the other helpers lay out deals, build slips,
pilot fits for quantile policies and the calendar-year index of every month. Also
:func:`revenue_per_gw` and :func:`supply_cap_gw`, the per-path curves analyses reuse.
"""

from __future__ import annotations

import numpy as np

from .kernel.layout import ADAPTIVE, DEMAND_QUANTILE, FIXED_SCHEDULE, N_PARAMS, PLANNED_GROWTH, P
from .pilot import Pilot
from .scenario import Adaptive, DemandQuantile, FixedSchedule, PlannedGrowth, Scenario, month_index
from .timeline import review_months

__all__ = [
    "POLICY_CODES",
    "POLICY_LEVERS",
    "deal_arrays",
    "pack_params",
    "pilot_fits",
    "revenue_per_gw",
    "slip_months",
    "supply_cap_gw",
    "year_layout",
]

POLICY_LEVERS = {
    "policy.planned_growth": "planned_growth",
    "policy.q": "q",
    "policy.prior_growth": "prior_growth",
    "policy.prior_weight_years": "prior_weight",
    "policy.haircut": "haircut",
}
"""Policy parameters that reach the month loop only as a column of the packed parameters
(dotted name -> column): variants differing only in them share everything else
(:mod:`sim.model.variants`)."""

POLICY_CODES = {
    FixedSchedule: FIXED_SCHEDULE,
    PlannedGrowth: PLANNED_GROWTH,
    DemandQuantile: DEMAND_QUANTILE,
    Adaptive: ADAPTIVE,
}


def revenue_per_gw(params: dict[str, np.ndarray], months: int) -> np.ndarray:
    """Revenue one inference GW serves, (n, months) [USD/yr].

    ``P / (1 - margin) * eff^((1 - pass_through) t/12)``: efficiency ``eff`` raises what a
    GW serves, and the share ``pass_through`` of it is passed on to customers as lower
    prices, so only the rest raises revenue per GW.
    """
    t = np.arange(months) / 12.0
    price = params["compute.price_per_gw_year"]
    keep = 1.0 - params.get("compute.price_pass_through", np.zeros_like(price))
    return (price / (1.0 - params["economics.gross_margin"]))[:, None] * params[
        "compute.revenue_per_gw_growth"
    ][:, None] ** (keep[:, None] * t)


def supply_cap_gw(params: dict[str, np.ndarray], months: int) -> np.ndarray:
    """Most GW one firm can hold, ``share * min(industry GW, hard limit)``, (n, months) [GW].

    Industry GW grow ``industry_growth``-fold a year from ``industry_gw_start`` until they
    reach ``industry_gw_max`` (wafers, power), if the scenario sets one.
    """
    share = params["compute.max_industry_share"]
    t = np.arange(months) / 12.0
    cap = (share * params["compute.industry_gw_start"])[:, None] * (
        params["compute.industry_growth"][:, None] ** t
    )
    limit = params.get("compute.industry_gw_max")
    if limit is None:
        return cap
    return np.minimum(cap, (share * limit)[:, None])


def pack_params(scenario: Scenario, params: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Per-path parameters as the kernel's packed array, shape (n, N_PARAMS) (see layout)."""
    out = np.zeros((n, N_PARAMS))
    f = params

    def col(name: str, value: np.ndarray | float) -> None:
        out[:, P[name]] = value

    col("price", f["compute.price_per_gw_year"])
    col("margin", f["economics.gross_margin"])
    col("eff", f["compute.revenue_per_gw_growth"])
    col("pass_through", f["compute.price_pass_through"])
    col("lead", np.rint(f["compute.lead_time_months"]))
    col("contract_len", np.maximum(1, np.rint(f["compute.contract_years"] * 12.0)))
    col("initial_gw", f["compute.initial_gw"])
    col("initial_len", np.rint(f["compute.initial_contract_years_left"] * 12.0))
    col("industry_start", f["compute.industry_gw_start"])
    col("industry_growth", f["compute.industry_growth"])
    col("industry_max", f.get("compute.industry_gw_max", np.inf))
    col("max_share", f["compute.max_industry_share"])
    col("training_share", f["allocation.training_share"])
    col("min_training", f["allocation.min_training_share"])
    col("max_training", f["allocation.max_training_share"])
    col("other_share", f["economics.other_costs_share"])
    col("fixed_monthly", f["economics.fixed_costs_per_year"] / 12.0)
    col("initial_cash", f["finance.initial_cash"])
    col("valuation_multiple", f["finance.valuation_multiple"])
    col("max_dilution", f["finance.max_dilution_per_raise"])
    col("max_raise_per_year", f["finance.max_raise_per_year"])
    col("runway_months", f["finance.raise_when_runway_months_below"])
    col("min_growth_to_raise", f["finance.min_growth_to_raise"])
    col("ceiling", f["demand.ceiling"])
    lag = f["demand.diffusion_lag_years"]
    with np.errstate(divide="ignore"):
        col(
            "diffusion_a",
            np.where(lag > 0, -np.expm1(-1.0 / (12.0 * np.maximum(lag, 1e-300))), 1.0),
        )
    col("churn", f["demand.churn_of_unserved"])
    col("rivals_training0", 1.0)  # read only with a competition section
    col("initial_share", 1.0)
    col("retention", 1.0)
    if scenario.competition is not None:
        for name, key in (("elasticity", "elasticity"), ("initial_share", "initial_share"),
                          ("lab_training0", "lab_training_gw_years"),
                          ("rivals_training0", "rivals_training_gw_years"),
                          ("rivals_share", "rivals_share_of_industry")):  # fmt: skip
            col(name, f[f"competition.{key}"])
        half_life = f.get("competition.half_life_years")
        if half_life is not None:
            col("retention", 0.5 ** (1.0 / (12.0 * half_life)))
    col("sublease_recovery", f["compute.sublease_recovery"])
    col("termination_fee", f.get("compute.termination_fee", -1.0))
    col("valuation_elasticity", f["finance.valuation_growth_elasticity"])
    col("valuation_reference_growth", f["finance.valuation_reference_growth"])
    col("discount_monthly", (1.0 + f["finance.discount_rate"]) ** (-1.0 / 12.0))
    col("debt_limit", f.get("finance.debt.limit", -1.0))
    col("debt_rate", f.get("finance.debt.rate", 0.0))
    col("debt_covenant", f.get("finance.debt.covenant", np.inf))
    col("credit_revenue_multiple", f.get("finance.credit_limit.revenue_multiple", -1.0))
    col("credit_cash_multiple", f.get("finance.credit_limit.cash_multiple", 0.0))
    for key, name in POLICY_LEVERS.items():
        if key in f:
            col(name, f[key])
    policy = scenario.policy
    col("first_review", getattr(policy, "first_review_months", 0))
    signpost = getattr(policy, "signpost", None)
    col("signpost_month", -1 if signpost is None
        else month_index(signpost.by, scenario.simulation.start))  # fmt: skip
    for name, value in (("signpost_min_growth", getattr(signpost, "min_growth", None)),
                        ("signpost_min_margin", getattr(signpost, "min_margin", None))):  # fmt: skip
        col(name, np.inf if value is None else value)
    col("signpost_cut", 0.0 if signpost is None else signpost.cut)
    if scenario.market is not None:
        for name, key in (("rivals_gw0", "rivals_initial_gw"),
                          ("rivals_training", "rivals_training_share"),
                          ("contract_elasticity", "contract_price_elasticity"),
                          ("spot_elasticity", "spot_price_elasticity"),
                          ("price_floor", "price_floor_per_gw_year"),
                          ("price_cap", "price_cap_per_gw_year"),
                          ("capability_price", "capability_price_exponent")):  # fmt: skip
            col(name, f[f"market.{key}"])
    return out


def slip_months(slip_table: np.ndarray | None, u: np.ndarray) -> np.ndarray:
    """Whole-month build slip of each order from its uniform draw ``u`` [months] (0 without
    a build pipeline)."""
    if slip_table is None:
        return np.zeros(u.shape, dtype=np.int64)
    from sim.build import sample_slips

    return np.asarray(sample_slips(slip_table, u), dtype=np.int64)


def pilot_fits(
    scenario: Scenario, pilot: Pilot | None, leads: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Conditional-quantile fits for every review and every lead time in the block."""
    if pilot is None:
        return np.zeros(1, np.int64), np.zeros((1, 1, 3)), np.zeros((1, 1, 1))
    reviews = review_months(scenario)
    unique = np.unique(leads).astype(np.int64)
    beta = np.empty((len(reviews), len(unique), 3))
    resid = np.empty((len(reviews), len(unique), pilot.demand.shape[0]))
    for r, t in enumerate(reviews):
        for k, lead in enumerate(unique):
            beta[r, k], resid[r, k] = pilot.fit(t, t + int(lead))
    return unique, beta, resid


def year_layout(scenario: Scenario, months: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Calendar-year index of every month (horizon and run-off counted separately), the
    number of horizon months in each horizon year, and the number of run-off years."""
    horizon = scenario.months
    year, month = map(int, scenario.simulation.start.split("-"))
    cal = year + (month - 1 + np.arange(months)) // 12
    index = np.empty(months, dtype=np.int64)
    index[:horizon] = cal[:horizon] - cal[0]
    index[horizon:] = cal[horizon:] - (cal[horizon] if months > horizon else 0)
    counts = np.bincount(index[:horizon]).astype(float)
    runoff_years = int(index[horizon:].max()) + 1 if months > horizon else 0
    return index, counts, runoff_years


def deal_arrays(scenario: Scenario) -> tuple[np.ndarray, ...]:
    """Deals as the kernel reads them: signing month, start month, GW, length [months] and
    price [USD/GW-yr, NaN: the path's price]."""
    start = scenario.simulation.start
    deals = scenario.deals
    return (
        np.array([month_index(d.signed or start, start) for d in deals], dtype=np.int64),
        np.array([month_index(d.start, start) for d in deals], dtype=np.int64),
        np.array([d.gw for d in deals], dtype=float),
        np.array([max(1, round(d.years * 12)) for d in deals], dtype=np.int64),
        np.array([np.nan if d.price_per_gw_year is None else d.price_per_gw_year
                  for d in deals], dtype=float),
    )  # fmt: skip
