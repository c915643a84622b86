"""Column indices of the arrays the kernel reads and writes (plain Python, no JIT).

The kernel takes per-path parameters as one packed float array ``P`` of shape
(paths, :data:`N_PARAMS`) and writes outputs into preallocated arrays; these names map the
columns so Python code never depends on bare numbers.
"""

from __future__ import annotations

PARAMS = (
    "price", "margin", "eff", "pass_through", "lead", "contract_len", "initial_gw",
    "initial_len", "industry_start", "industry_growth", "industry_max", "max_share",
    "training_share", "min_training", "max_training", "other_share", "fixed_monthly",
    "initial_cash", "valuation_multiple", "max_dilution", "max_raise_per_year",
    "runway_months", "min_growth_to_raise", "planned_growth", "q", "prior_growth",
    "prior_weight", "haircut", "ceiling", "elasticity", "initial_share", "lab_training0",
    "rivals_training0", "rivals_share", "retention", "churn", "diffusion_a",
    "sublease_recovery", "termination_fee", "debt_limit", "debt_rate", "debt_covenant",
    "credit_revenue_multiple", "credit_cash_multiple", "valuation_elasticity",
    "valuation_reference_growth", "discount_monthly", "first_review", "signpost_month",
    "signpost_min_growth", "signpost_min_margin", "signpost_cut", "rivals_gw0",
    "rivals_training", "contract_elasticity", "spot_elasticity", "price_floor", "price_cap", "capability_price",
)  # fmt: skip
"""Packed per-path parameters: units as in the scenario; ``lead``, ``contract_len`` and
``initial_len`` are whole months; ``fixed_monthly`` [USD/month]; ``industry_max`` is inf
without a hard limit; policy columns unused by the scenario's policy are 0; competition
columns (``elasticity`` .. ``rivals_share``; ``retention`` per month) are read only when
the scenario has a competition section; ``diffusion_a`` is the demand's monthly diffusion
step; ``termination_fee``, ``debt_limit`` and ``credit_revenue_multiple`` are -1 when the
mechanism is off; ``discount_monthly`` is the one-month discount factor.
``first_review`` is the month of the first review; ``signpost_month`` the month a signpost
is read (-1: none), its thresholds inf when unset (a missing condition always holds).
Market columns (``rivals_gw0`` .. ``capability_price``) are read only with a market section; the
rivals' own policy columns sit in a second array of the same layout."""
P = {name: i for i, name in enumerate(PARAMS)}
N_PARAMS = len(PARAMS)

MONTHLY = (
    "demand", "capacity_gw", "inference_gw", "training_gw", "idle_gw", "revenue", "unserved",
    "compute_cost", "other_cost", "fixed_cost", "raised", "cash", "ordered_gw", "alive",
    "lost", "training_compute", "relative_capability", "demand_share", "subleased_gw",
    "sublease_revenue", "interest", "borrowed", "repaid", "debt", "refused_gw",
    "termination_fees", "market_demand", "rivals_gw", "industry_gw", "contract_price",
    "spot_price", "lost_to_rivals", "unserved_by_market", "market_served",
)  # fmt: skip
"""Per path-month records: run-rates in [USD/yr], flows in [USD/month], GW in [GW];
``lost`` [USD/month] demand gone to rivals for good (churn), ``training_compute`` the lab's
effective training compute [GW-years], ``relative_capability`` log2 of it over rivals'
[doublings; NaN without competition], ``demand_share`` of frontier demand [0..1; NaN
without competition]; ``subleased_gw`` idle GW resold, ``sublease_revenue`` [USD/month];
debt flows ``interest``, ``borrowed``, ``repaid`` [USD/month] and ``debt`` outstanding [USD];
``refused_gw`` GW a counterparty's credit check cut from an order; ``termination_fees``
[USD/month] paid to cancel contracts not yet online. Market records (NaN without a market):
``market_demand`` and ``market_served`` run-rates [USD/yr], ``rivals_gw`` online and
``industry_gw`` supply [GW], ``contract_price`` and ``spot_price`` [USD/GW-yr], and the
lab's unserved demand split into ``lost_to_rivals`` and ``unserved_by_market`` [USD/month]."""
M = {name: i for i, name in enumerate(MONTHLY)}

YEARLY = (
    "revenue", "demand", "unserved", "compute_cost", "other_cost", "fixed_cost", "raised",
    "capacity_gw_end", "cash", "alive", "capacity_gw_mean", "training_gw_mean",
    "inference_gw_mean", "idle_gw_mean", "training_share", "gross_margin", "lost",
    "training_compute_end", "relative_capability_end", "demand_share_end", "sublease_revenue",
    "interest", "debt_end", "refused_gw", "termination_fees", "borrowed", "repaid",
    "market_demand", "market_served", "rivals_capacity_gw", "industry_capacity_gw",
    "contract_price", "spot_price", "lost_to_rivals", "unserved_by_market",
)  # fmt: skip
"""Calendar-year aggregates of the horizon (see :func:`sim.model.results.aggregate_years`);
market columns: ``market_demand``, ``market_served`` and the split of unserved demand
[USD in the year], GW and prices means over the year's months."""
Y = {name: i for i, name in enumerate(YEARLY)}

RUNOFF_YEARLY = ("revenue", "compute_cost", "capacity_gw_end", "cash", "alive")
"""Calendar-year aggregates of the run-off."""
R = {name: i for i, name in enumerate(RUNOFF_YEARLY)}

PATH = (
    "cum_revenue", "cum_demand", "cum_unserved", "cum_compute_cost", "cum_raised",
    "peak_capacity_gw", "final_run_rate", "final_cash", "obligations_at_end", "truncated_gw",
    "runoff_min_cash", "cum_lost", "debt_at_end", "discounted_cash_flow",
    "breaking_commitment_month", "cum_refused_gw", "cum_sublease_revenue", "cum_interest",
    "cum_termination_fees", "cum_lost_to_rivals", "cum_unserved_by_market",
    "final_market_demand", "cum_rationed_gw",
)  # fmt: skip
"""Per-path float outcomes written by the kernel (``bankrupt_month`` is a separate int array)."""
OUT = {name: i for i, name in enumerate(PATH)}

FIXED_SCHEDULE, PLANNED_GROWTH, DEMAND_QUANTILE, ADAPTIVE = 0, 1, 2, 3
"""Policy codes."""
