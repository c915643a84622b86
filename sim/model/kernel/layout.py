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
)  # fmt: skip
"""Packed per-path parameters: units as in the scenario; ``lead``, ``contract_len`` and
``initial_len`` are whole months; ``fixed_monthly`` [USD/month]; ``industry_max`` is inf
without a hard limit; policy columns unused by the scenario's policy are 0; competition
columns (``elasticity`` .. ``rivals_share``; ``retention`` per month) are read only when
the scenario has a competition section; ``diffusion_a`` is the demand's monthly diffusion
step."""
P = {name: i for i, name in enumerate(PARAMS)}
N_PARAMS = len(PARAMS)

MONTHLY = (
    "demand", "capacity_gw", "inference_gw", "training_gw", "idle_gw", "revenue", "unserved",
    "compute_cost", "other_cost", "fixed_cost", "raised", "cash", "ordered_gw", "alive",
    "lost", "training_compute", "relative_capability", "demand_share",
)  # fmt: skip
"""Per path-month records: run-rates in [USD/yr], flows in [USD/month], GW in [GW];
``lost`` [USD/month] demand gone to rivals for good (churn), ``training_compute`` the lab's
effective training compute [GW-years], ``relative_capability`` log2 of it over rivals'
[doublings; NaN without competition], ``demand_share`` of frontier demand [0..1; NaN
without competition]."""
M = {name: i for i, name in enumerate(MONTHLY)}

YEARLY = (
    "revenue", "demand", "unserved", "compute_cost", "other_cost", "fixed_cost", "raised",
    "capacity_gw_end", "cash", "alive", "capacity_gw_mean", "training_gw_mean",
    "inference_gw_mean", "idle_gw_mean", "training_share", "gross_margin", "lost",
    "training_compute_end", "relative_capability_end", "demand_share_end",
)  # fmt: skip
"""Calendar-year aggregates of the horizon (see :func:`sim.model.results.aggregate_years`)."""
Y = {name: i for i, name in enumerate(YEARLY)}

RUNOFF_YEARLY = ("revenue", "compute_cost", "capacity_gw_end", "cash", "alive")
"""Calendar-year aggregates of the run-off."""
R = {name: i for i, name in enumerate(RUNOFF_YEARLY)}

PATH = (
    "cum_revenue", "cum_demand", "cum_unserved", "cum_compute_cost", "cum_raised",
    "peak_capacity_gw", "final_run_rate", "final_cash", "obligations_at_end", "truncated_gw",
    "runoff_min_cash", "cum_lost",
)  # fmt: skip
"""Per-path float outcomes written by the kernel (``bankrupt_month`` is a separate int array)."""
OUT = {name: i for i, name in enumerate(PATH)}

FIXED_SCHEDULE, PLANNED_GROWTH, DEMAND_QUANTILE, ADAPTIVE = 0, 1, 2, 3
"""Policy codes."""
