"""What the month loop writes: month-by-month records, calendar-year aggregates and
per-path outcomes, in the columns :mod:`.layout` names (docs/model.md section 7).

The loop (:mod:`.paths`) sums a year's figures into a small accumulator and
:func:`flush_year` writes them when the calendar year ends; the month-by-month records of
the first ``keep`` paths are written by :func:`record_lab` and :func:`record_market`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .layout import OUT, M, R, Y

(_M_DEMAND, _M_CAP, _M_INF, _M_TRAIN, _M_IDLE, _M_REV, _M_UNS, _M_COST, _M_OTHER, _M_FIXED,
 _M_RAISED, _M_CASH, _M_ORDER, _M_ALIVE, _M_LOST, _M_COMPUTE, _M_RELATIVE, _M_SHARE,
 _M_SUBLEASED, _M_SUBLEASE_REV, _M_INTEREST, _M_BORROWED, _M_REPAID, _M_DEBT, _M_REFUSED,
 _M_FEES) = (
    M["demand"], M["capacity_gw"], M["inference_gw"], M["training_gw"], M["idle_gw"],
    M["revenue"], M["unserved"], M["compute_cost"], M["other_cost"], M["fixed_cost"],
    M["raised"], M["cash"], M["ordered_gw"], M["alive"], M["lost"], M["training_compute"],
    M["relative_capability"], M["demand_share"], M["subleased_gw"], M["sublease_revenue"],
    M["interest"], M["borrowed"], M["repaid"], M["debt"], M["refused_gw"],
    M["termination_fees"],
)  # fmt: skip
(_M_MARKET, _M_RIVALS, _M_INDUSTRY, _M_CPRICE, _M_SPOT, _M_TO_RIVALS, _M_NOBODY,
 _M_MSERVED) = (
    M["market_demand"], M["rivals_gw"], M["industry_gw"], M["contract_price"],
    M["spot_price"], M["lost_to_rivals"], M["unserved_by_market"], M["market_served"],
)  # fmt: skip
(_Y_REV, _Y_DEM, _Y_UNS, _Y_COST, _Y_OTHER, _Y_FIXED, _Y_RAISED, _Y_CAP_END, _Y_CASH,
 _Y_ALIVE, _Y_CAP, _Y_TRAIN, _Y_INF, _Y_IDLE, _Y_SHARE, _Y_MARGIN, _Y_LOST, _Y_COMPUTE,
 _Y_RELATIVE, _Y_DSHARE, _Y_SUBLEASE_REV, _Y_INTEREST, _Y_DEBT, _Y_REFUSED, _Y_FEES,
 _Y_BORROWED, _Y_REPAID) = (
    Y["revenue"], Y["demand"], Y["unserved"], Y["compute_cost"], Y["other_cost"],
    Y["fixed_cost"], Y["raised"], Y["capacity_gw_end"], Y["cash"], Y["alive"],
    Y["capacity_gw_mean"], Y["training_gw_mean"], Y["inference_gw_mean"], Y["idle_gw_mean"],
    Y["training_share"], Y["gross_margin"], Y["lost"], Y["training_compute_end"],
    Y["relative_capability_end"], Y["demand_share_end"], Y["sublease_revenue"], Y["interest"],
    Y["debt_end"], Y["refused_gw"], Y["termination_fees"], Y["borrowed"], Y["repaid"],
)  # fmt: skip
(_Y_MARKET, _Y_MSERVED, _Y_RIVALS, _Y_INDUSTRY, _Y_CPRICE, _Y_SPOT, _Y_TO_RIVALS,
 _Y_NOBODY) = (
    Y["market_demand"], Y["market_served"], Y["rivals_capacity_gw"],
    Y["industry_capacity_gw"], Y["contract_price"], Y["spot_price"], Y["lost_to_rivals"],
    Y["unserved_by_market"],
)  # fmt: skip
(_O_REV, _O_DEM, _O_UNS, _O_COST, _O_RAISED, _O_PEAK, _O_RATE, _O_CASH, _O_MIN_CASH,
 _O_DCF, _O_REFUSED, _O_SUBLEASE, _O_INTEREST, _O_FEES, _O_TO_RIVALS, _O_NOBODY,
 _O_RATIONED) = (
    OUT["cum_revenue"], OUT["cum_demand"], OUT["cum_unserved"], OUT["cum_compute_cost"],
    OUT["cum_raised"], OUT["peak_capacity_gw"], OUT["final_run_rate"], OUT["final_cash"],
    OUT["runoff_min_cash"], OUT["discounted_cash_flow"], OUT["cum_refused_gw"],
    OUT["cum_sublease_revenue"], OUT["cum_interest"], OUT["cum_termination_fees"],
    OUT["cum_lost_to_rivals"], OUT["cum_unserved_by_market"], OUT["cum_rationed_gw"],
)  # fmt: skip

_R_REV, _R_COST, _R_CAP_END, _R_CASH, _R_ALIVE = (
    R["revenue"], R["compute_cost"], R["capacity_gw_end"], R["cash"], R["alive"],
)  # fmt: skip

A_SHARE_MONTHS, A_INF_COST = len(Y), len(Y) + 1
N_ACC = len(Y) + 2
"""Year accumulator: the yearly stats, then months with capacity and inference cost."""

MATERIAL_GW = 1e-9
"""Smallest order [GW] that counts as a new commitment for bankruptcy attribution (orders
of float dust, 1e-18 GW, left by re-summing contracts, do not)."""


@njit(cache=True, _nrt=False)
def flush_year(yearly: np.ndarray, i: int, y: int, acc: np.ndarray, months_in_year: float) -> None:
    """Write one calendar year's aggregates: sums, year-end stocks, means over its months,
    training share over months with capacity (NaN without any), realized inference margin."""
    for s in range(N_ACC - 2):
        yearly[s, i, y] = acc[s]
    for s in (_Y_CAP, _Y_TRAIN, _Y_INF, _Y_IDLE, _Y_RIVALS, _Y_INDUSTRY, _Y_CPRICE, _Y_SPOT):
        yearly[s, i, y] = acc[s] / months_in_year
    share_months = acc[A_SHARE_MONTHS]
    yearly[_Y_SHARE, i, y] = acc[_Y_SHARE] / share_months if share_months > 0 else np.nan
    rev = acc[_Y_REV]
    yearly[_Y_MARGIN, i, y] = 1.0 - acc[A_INF_COST] / rev if rev > 0 else np.nan


@njit(cache=True, _nrt=False)
def add_month(
    acc: np.ndarray, revenue: float, demand: float, unserved: float, compute_cost: float,
    other: float, fixed: float, raised: float, capacity: float, cash: float, alive: bool,
    training: float, inference: float, idle: float, lost: float, compute: float,
    relative: float, share: float, sublease_rev: float, interest: float, debt: float,
    refused: float, fees: float, borrowed: float, repaid: float,
) -> None:  # fmt: skip
    """Add one horizon month of the lab to its calendar year's accumulator ``acc``: flows
    and GW summed, stocks at the month's end (``demand`` a run-rate [USD/yr])."""
    acc[_Y_REV] += revenue
    acc[_Y_DEM] += demand / 12.0
    acc[_Y_UNS] += unserved
    acc[_Y_COST] += compute_cost
    acc[_Y_OTHER] += other
    acc[_Y_FIXED] += fixed
    acc[_Y_RAISED] += raised
    acc[_Y_CAP_END] = capacity
    acc[_Y_CASH] = cash
    acc[_Y_ALIVE] = 1.0 if alive else 0.0
    acc[_Y_CAP] += capacity
    acc[_Y_TRAIN] += training
    acc[_Y_INF] += inference
    acc[_Y_IDLE] += idle
    acc[_Y_LOST] += lost
    acc[_Y_COMPUTE] = compute
    acc[_Y_RELATIVE] = relative
    acc[_Y_DSHARE] = share
    acc[_Y_SUBLEASE_REV] += sublease_rev
    acc[_Y_INTEREST] += interest
    acc[_Y_DEBT] = debt
    acc[_Y_REFUSED] += refused
    acc[_Y_FEES] += fees
    acc[_Y_BORROWED] += borrowed
    acc[_Y_REPAID] += repaid
    if capacity > 0:
        acc[_Y_SHARE] += training / capacity
        acc[A_SHARE_MONTHS] += 1.0
        acc[A_INF_COST] += inference * (compute_cost / capacity)


@njit(cache=True, _nrt=False)
def add_market_month(
    acc: np.ndarray, market_demand: float, market_served: float, rivals_gw: float,
    industry_gw: float, contract_price: float, spot: float, lost_to_rivals: float,
    nobody: float,
) -> None:  # fmt: skip
    """Add one horizon month of the market to the year's accumulator (run-rates [USD/yr])."""
    acc[_Y_MARKET] += market_demand / 12.0
    acc[_Y_MSERVED] += market_served / 12.0
    acc[_Y_RIVALS] += rivals_gw
    acc[_Y_INDUSTRY] += industry_gw
    acc[_Y_CPRICE] += contract_price
    acc[_Y_SPOT] += spot
    acc[_Y_TO_RIVALS] += lost_to_rivals
    acc[_Y_NOBODY] += nobody


@njit(cache=True, _nrt=False)
def commit(commitments: np.ndarray, i: int, year: int, gw: float, value: float) -> None:
    """New GW and take-or-pay value [USD] by the calendar year a contract comes online."""
    if gw > 0 and 0 <= year < commitments.shape[2]:
        commitments[0, i, year] += gw
        commitments[1, i, year] += value


@njit(cache=True, _nrt=False)
def record_lab(
    monthly: np.ndarray, i: int, t: int, demand: float, capacity: float, inference: float,
    training: float, idle: float, revenue: float, unserved: float, compute_cost: float,
    other: float, fixed: float, raised: float, cash: float, alive: bool, ordered: float,
    lost: float, compute: float, relative: float, share: float, subleased: float,
    sublease_rev: float, interest: float, borrowed: float, repaid: float, debt: float,
    refused: float, fees: float,
) -> None:  # fmt: skip
    """The lab's record of path ``i``, month ``t`` (units as in :data:`.layout.MONTHLY`)."""
    monthly[_M_DEMAND, i, t] = demand
    monthly[_M_CAP, i, t] = capacity
    monthly[_M_INF, i, t] = inference
    monthly[_M_TRAIN, i, t] = training
    monthly[_M_IDLE, i, t] = idle
    monthly[_M_REV, i, t] = revenue
    monthly[_M_UNS, i, t] = unserved
    monthly[_M_COST, i, t] = compute_cost
    monthly[_M_OTHER, i, t] = other
    monthly[_M_FIXED, i, t] = fixed
    monthly[_M_RAISED, i, t] = raised
    monthly[_M_CASH, i, t] = cash
    monthly[_M_ALIVE, i, t] = 1.0 if alive else 0.0
    monthly[_M_ORDER, i, t] = ordered
    monthly[_M_LOST, i, t] = lost
    monthly[_M_COMPUTE, i, t] = compute
    monthly[_M_RELATIVE, i, t] = relative
    monthly[_M_SHARE, i, t] = share
    monthly[_M_SUBLEASED, i, t] = subleased
    monthly[_M_SUBLEASE_REV, i, t] = sublease_rev
    monthly[_M_INTEREST, i, t] = interest
    monthly[_M_BORROWED, i, t] = borrowed
    monthly[_M_REPAID, i, t] = repaid
    monthly[_M_DEBT, i, t] = debt
    monthly[_M_REFUSED, i, t] = refused
    monthly[_M_FEES, i, t] = fees


@njit(cache=True, _nrt=False)
def record_market(
    monthly: np.ndarray, i: int, t: int, market: bool, market_demand: float, rivals_gw: float,
    industry_gw: float, contract_price: float, spot: float, lost_to_rivals: float,
    nobody: float, market_served: float,
) -> None:  # fmt: skip
    """The market's record of path ``i``, month ``t``; NaN without a market."""
    if not market:
        for s in (_M_MARKET, _M_RIVALS, _M_INDUSTRY, _M_CPRICE, _M_SPOT, _M_TO_RIVALS,
                  _M_NOBODY, _M_MSERVED):  # fmt: skip
            monthly[s, i, t] = np.nan
        return
    monthly[_M_MARKET, i, t] = market_demand
    monthly[_M_RIVALS, i, t] = rivals_gw
    monthly[_M_INDUSTRY, i, t] = industry_gw
    monthly[_M_CPRICE, i, t] = contract_price
    monthly[_M_SPOT, i, t] = spot
    monthly[_M_TO_RIVALS, i, t] = lost_to_rivals
    monthly[_M_NOBODY, i, t] = nobody
    monthly[_M_MSERVED, i, t] = market_served


@njit(cache=True, _nrt=False)
def record_path(
    path_out: np.ndarray, i: int, sums: tuple, final_rate: float, final_cash: float,
    peak: float, min_cash: float, dcf: float,
) -> None:  # fmt: skip
    """Per-path outcomes of path ``i``: ``sums`` are the horizon's cumulative revenue,
    demand, unserved, compute cost, raised, then (horizon and run-off) refused GW, sublease
    revenue, interest, termination fees, then the market's lost to rivals, unserved by the
    market and rationed GW."""
    (rev, dem, uns, cost, raised, refused, sublease, interest, fees, to_rivals, nobody,
     rationed) = sums  # fmt: skip
    path_out[_O_REV, i] = rev
    path_out[_O_DEM, i] = dem
    path_out[_O_UNS, i] = uns
    path_out[_O_COST, i] = cost
    path_out[_O_RAISED, i] = raised
    path_out[_O_PEAK, i] = peak
    path_out[_O_RATE, i] = final_rate
    path_out[_O_CASH, i] = final_cash
    path_out[_O_MIN_CASH, i] = min_cash
    path_out[_O_DCF, i] = dcf
    path_out[_O_REFUSED, i] = refused
    path_out[_O_SUBLEASE, i] = sublease
    path_out[_O_INTEREST, i] = interest
    path_out[_O_FEES, i] = fees
    path_out[_O_TO_RIVALS, i] = to_rivals
    path_out[_O_NOBODY, i] = nobody
    path_out[_O_RATIONED, i] = rationed


@njit(cache=True, _nrt=False)
def total_cut(truncated: np.ndarray, truncated_deals: np.ndarray, i: int) -> float:
    """GW the supply cap cut from path ``i``'s tranches and deals [GW]."""
    total = 0.0
    for k in range(truncated.shape[1]):
        total += truncated[i, k]
    for k in range(truncated_deals.shape[1]):
        total += truncated_deals[i, k]
    return total


RUNOFF_SUMS = (_O_MIN_CASH, _O_DCF, _O_REFUSED, _O_SUBLEASE, _O_INTEREST, _O_FEES)
"""Per-path outcomes that sum or scan the run-off too (NaN when only outcomes are asked)."""


@njit(cache=True, _nrt=False)
def forget_runoff(path_out: np.ndarray, i: int) -> None:
    """NaN in path ``i``'s outcomes that need the whole run-off (:data:`RUNOFF_SUMS`): a run
    of outcomes only stops a path's run-off once it can no longer go bankrupt."""
    for s in RUNOFF_SUMS:
        path_out[s, i] = np.nan


@njit(cache=True, _nrt=False)
def add_runoff_month(
    runoff_yearly: np.ndarray, i: int, y: int, revenue: float, compute_cost: float,
    capacity: float, cash: float, alive: bool,
) -> None:  # fmt: skip
    """Add one run-off month of path ``i`` to its run-off year ``y``: flows summed [USD],
    stocks at the month's end."""
    runoff_yearly[_R_REV, i, y] += revenue
    runoff_yearly[_R_COST, i, y] += compute_cost
    runoff_yearly[_R_CAP_END, i, y] = capacity
    runoff_yearly[_R_CASH, i, y] = cash
    runoff_yearly[_R_ALIVE, i, y] = 1.0 if alive else 0.0


@njit(cache=True, _nrt=False)
def bankrupt_runoff(runoff_yearly: np.ndarray, i: int, years: np.ndarray, cash: float) -> None:
    """Run-off years ``years`` (one entry a month) of a lab that is already bankrupt: no
    capacity, its cash frozen, not alive; revenue and compute cost add nothing."""
    for y in years:
        runoff_yearly[_R_CAP_END, i, y] = 0.0
        runoff_yearly[_R_CASH, i, y] = cash
        runoff_yearly[_R_ALIVE, i, y] = 0.0
