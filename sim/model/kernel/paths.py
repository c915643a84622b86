"""The month loop over a block of paths: demand -> procurement -> allocation -> economics ->
finance, horizon then run-off, with yearly and per-path aggregates accumulated in the loop.

One path per iteration of a parallel loop; each path writes only its own rows, so results
do not depend on the number of threads. docs/model.md sections 3-5a.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .allocation import allocate
from .competition import accumulate, churn, effective_multiplier, follow_capability
from .economics import month_flows
from .finance import growing, raise_amount
from .layout import FIXED_SCHEDULE, OUT, M, P, R, Y
from .procurement import (
    industry_gw,
    last_end,
    obligations_after,
    online,
    order_gw,
    plan_demand,
    sign,
    supply_cap,
)

# numba reads module-level ints as compile-time constants
(_PRICE, _MARGIN, _EFF, _PASS, _LEAD, _LEN, _GW0, _LEN0, _TRAIN, _MIN_TRAIN, _MAX_TRAIN,
 _OTHER, _FIXED, _CASH0, _VALUATION, _DILUTION, _MAX_RAISE, _RUNWAY, _MIN_GROWTH) = (
    P["price"], P["margin"], P["eff"], P["pass_through"], P["lead"], P["contract_len"],
    P["initial_gw"], P["initial_len"], P["training_share"], P["min_training"],
    P["max_training"], P["other_share"], P["fixed_monthly"], P["initial_cash"],
    P["valuation_multiple"], P["max_dilution"], P["max_raise_per_year"], P["runway_months"],
    P["min_growth_to_raise"],
)  # fmt: skip
(_ELASTICITY, _SHARE0, _LAB0, _RIVALS0, _RIVALS_SHARE, _RETENTION, _CHURN, _DIFFUSION) = (
    P["elasticity"], P["initial_share"], P["lab_training0"], P["rivals_training0"],
    P["rivals_share"], P["retention"], P["churn"], P["diffusion_a"],
)  # fmt: skip
(_M_DEMAND, _M_CAP, _M_INF, _M_TRAIN, _M_IDLE, _M_REV, _M_UNS, _M_COST, _M_OTHER, _M_FIXED,
 _M_RAISED, _M_CASH, _M_ORDER, _M_ALIVE, _M_LOST, _M_COMPUTE, _M_RELATIVE, _M_SHARE) = (
    M["demand"], M["capacity_gw"], M["inference_gw"], M["training_gw"], M["idle_gw"],
    M["revenue"], M["unserved"], M["compute_cost"], M["other_cost"], M["fixed_cost"],
    M["raised"], M["cash"], M["ordered_gw"], M["alive"], M["lost"], M["training_compute"],
    M["relative_capability"], M["demand_share"],
)  # fmt: skip
(_Y_REV, _Y_DEM, _Y_UNS, _Y_COST, _Y_OTHER, _Y_FIXED, _Y_RAISED, _Y_CAP_END, _Y_CASH,
 _Y_ALIVE, _Y_CAP, _Y_TRAIN, _Y_INF, _Y_IDLE, _Y_SHARE, _Y_MARGIN, _Y_LOST, _Y_COMPUTE,
 _Y_RELATIVE, _Y_DSHARE) = (
    Y["revenue"], Y["demand"], Y["unserved"], Y["compute_cost"], Y["other_cost"],
    Y["fixed_cost"], Y["raised"], Y["capacity_gw_end"], Y["cash"], Y["alive"],
    Y["capacity_gw_mean"], Y["training_gw_mean"], Y["inference_gw_mean"], Y["idle_gw_mean"],
    Y["training_share"], Y["gross_margin"], Y["lost"], Y["training_compute_end"],
    Y["relative_capability_end"], Y["demand_share_end"],
)  # fmt: skip
_R_REV, _R_COST, _R_CAP_END, _R_CASH, _R_ALIVE = (
    R["revenue"], R["compute_cost"], R["capacity_gw_end"], R["cash"], R["alive"],
)  # fmt: skip
(_O_REV, _O_DEM, _O_UNS, _O_COST, _O_RAISED, _O_PEAK, _O_RATE, _O_CASH, _O_OWED, _O_TRUNC,
 _O_MIN_CASH, _O_LOST) = (
    OUT["cum_revenue"], OUT["cum_demand"], OUT["cum_unserved"], OUT["cum_compute_cost"],
    OUT["cum_raised"], OUT["peak_capacity_gw"], OUT["final_run_rate"], OUT["final_cash"],
    OUT["obligations_at_end"], OUT["truncated_gw"], OUT["runoff_min_cash"], OUT["cum_lost"],
)  # fmt: skip


_A_SHARE_MONTHS, _A_INF_COST = len(Y), len(Y) + 1
_N_ACC = len(Y) + 2
"""Year accumulator: the yearly stats, then months with capacity and inference cost."""


@njit(cache=True)
def _flush_year(yearly: np.ndarray, i: int, y: int, acc: np.ndarray, months_in_year: float) -> None:
    """Write one calendar year's aggregates: sums, year-end stocks, means over its months,
    training share over months with capacity (NaN without any), realized inference margin."""
    for s in range(_N_ACC - 2):
        yearly[s, i, y] = acc[s]
    for s in (_Y_CAP, _Y_TRAIN, _Y_INF, _Y_IDLE):
        yearly[s, i, y] = acc[s] / months_in_year
    share_months = acc[_A_SHARE_MONTHS]
    yearly[_Y_SHARE, i, y] = acc[_Y_SHARE] / share_months if share_months > 0 else np.nan
    rev = acc[_Y_REV]
    yearly[_Y_MARGIN, i, y] = 1.0 - acc[_A_INF_COST] / rev if rev > 0 else np.nan


@njit(cache=True)
def _lead_slot(leads: np.ndarray, lead: int) -> int:
    for k in range(leads.shape[0]):
        if leads[k] == lead:
            return k
    return 0


@njit(cache=True)
def simulate_path(
    i: int,
    demand: np.ndarray,
    p: np.ndarray,
    slips: np.ndarray,
    tranches: tuple,
    settings: tuple,
    fits: tuple,
    calendar: tuple,
    keep: int,
    outputs: tuple,
    book: np.ndarray,
) -> None:
    """Simulate path ``i`` over horizon and run-off, writing its rows of every output.

    ``tranches`` (start, gw, length) of a fixed schedule; ``settings`` (policy code, review
    months, horizon, plan_to_ceiling, months between raises, index of the first January,
    whether the competition loop is on);
    ``fits`` (leads, coefficients, sorted residuals) of a quantile policy; ``calendar``
    (year index per month, months per horizon year); ``outputs`` (monthly, yearly, run-off
    yearly, per-path floats, bankruptcy month, truncated GW), written in place.
    """
    tranche_start, tranche_gw, tranche_len = tranches
    (kind, review_months, horizon, plan_to_ceiling, raise_gap, first_month_of_year, competing) = (
        settings
    )
    fit_leads, fit_beta, fit_resid = fits
    year_index, months_in_year = calendar
    monthly, yearly, runoff_yearly, path_out, bankrupt_month, truncated = outputs
    months = demand.shape[0]
    price = p[_PRICE]
    rpg0 = price / (1.0 - p[_MARGIN])
    eff = p[_EFF]
    keep_eff = 1.0 - p[_PASS]
    grows_eff = eff != 1.0 and keep_eff != 0.0
    # revenue per GW grows eff^(keep_eff / 12) a month: multiplied in, not re-powered
    rpg_step = eff ** (keep_eff / 12.0) if grows_eff else 1.0
    rpg = rpg0
    lead = int(p[_LEAD])
    contract_len = int(p[_LEN])
    plan_inference = 1.0 - p[_TRAIN]
    record = i < keep

    # --- procurement: contracts signed before the start, then fixed tranches --------------
    n_signed = sign(book, 0, p[_GW0], 0, int(p[_LEN0]), price)
    if kind == FIXED_SCHEDULE:
        for k in range(tranche_start.shape[0]):
            planned = tranche_start[k]
            have, _cost = online(book, n_signed, planned)
            room = max(supply_cap(p, planned) - have, 0.0)
            gw = min(tranche_gw[k], room)
            truncated[i, k] = tranche_gw[k] - gw
            n_signed = sign(book, n_signed, gw, planned + slips[i, k], tranche_len[k], price)
    end_last = last_end(book, n_signed)

    acc = np.zeros(_N_ACC)  # the current calendar year's aggregates
    year = -1
    served_hist = np.zeros(16)  # ring of served run-rates; 16 slots, masks instead of modulo
    cash = p[_CASH0]
    alive = True
    bankrupt = -1
    raised_year = 0.0
    last_raise = -(10**9)
    order_k = 0
    cum_rev = cum_dem = cum_uns = cum_cost = cum_raised = peak = 0.0
    final_rate = final_cash = 0.0
    min_cash = math.inf

    # competition: training compute buys demand; churn loses it (kernel/competition.py)
    churn_share = p[_CHURN]
    feedback = competing or churn_share > 0.0
    seen = np.empty(months)  # the demand the lab observes (what its policies see)
    lab = p[_LAB0] if competing else 0.0
    rivals = p[_RIVALS0]
    log_m = 0.0
    loss = 1.0
    cap_mult = 1.0 / p[_SHARE0] if competing else math.inf
    cum_lost = 0.0

    month_of_year = (12 - first_month_of_year) % 12  # months since January (calendar)
    until_review = 0
    for t in range(months):
        ordered = 0.0
        # --- the demand the lab faces this month (rivals and churn, from history to t - 1)
        d = demand[t]
        lost = 0.0
        if feedback:
            mult = effective_multiplier(log_m, loss, cap_mult)
            lost = d * (min(math.exp(log_m), cap_mult) - mult) / 12.0
            d = d * mult
        seen[t] = d
        # --- procurement: a review inside the horizon orders for delivery after the lead
        review = until_review == 0
        until_review = review_months - 1 if review else until_review - 1
        if t < horizon and kind != FIXED_SCHEDULE and review:
            due = t + lead
            plan = plan_demand(
                kind, p, seen, t, due, plan_to_ceiling, t // review_months,
                _lead_slot(fit_leads, lead), fit_beta, fit_resid,
            )  # fmt: skip
            r_due = rpg0 * eff ** (keep_eff * (due / 12.0)) if grows_eff else rpg0
            have, _cost = online(book, n_signed, due)
            q = order_gw(plan / (r_due * plan_inference), have, supply_cap(p, due), alive)
            start = due + slips[i, order_k]
            n_signed = sign(book, n_signed, q, start, contract_len, price)
            if q > 0 and start + contract_len > end_last:
                end_last = start + contract_len
            ordered = q
            order_k += 1

        # in run-off, a path is done once its last contract has expired
        was_alive = alive
        live = alive and (t < horizon or t < end_last)
        if alive:
            capacity, compute_cost = online(book, n_signed, t)
        else:
            capacity, compute_cost = 0.0, 0.0
        if t > 0:
            rpg *= rpg_step

        # --- allocation and economics
        served, inference, training = allocate(capacity, d, rpg, p[_MIN_TRAIN], p[_MAX_TRAIN])
        fixed = p[_FIXED] if live else 0.0
        revenue, other, net = month_flows(served, compute_cost, p[_OTHER], fixed)
        pre_cash = cash + net

        # --- finance
        back = max(0, t - 12)
        grows = growing(served, served_hist[back & 15], t - back, p[_MIN_GROWTH])
        served_hist[t & 15] = served
        if t > 0 and month_of_year == 0:
            raised_year = 0.0
        month_of_year = month_of_year + 1 if month_of_year < 11 else 0
        raised = 0.0
        if live:
            raised = raise_amount(
                pre_cash, net, served, p[_RUNWAY], grows, t - last_raise >= raise_gap,
                p[_DILUTION], p[_VALUATION], p[_MAX_RAISE] - raised_year,
            )  # fmt: skip
            if raised > 0:
                raised_year += raised
                last_raise = t
        if alive:
            cash = pre_cash + raised
            if cash < 0.0:
                bankrupt = t
                alive = False

        # --- competition: this month's training and unserved demand shape what comes next
        if was_alive:  # a bankrupt lab's position is frozen where it failed
            lab = accumulate(lab, p[_RETENTION], training)
            if competing:
                rivals = accumulate(rivals, p[_RETENTION], p[_RIVALS_SHARE] * industry_gw(p, t))
                log_m = follow_capability(log_m, lab, rivals, p[_LAB0], p[_RIVALS0],
                                          p[_ELASTICITY], p[_DIFFUSION])  # fmt: skip
            if churn_share > 0.0:
                loss = churn(loss, d - served, d, churn_share)
        relative = math.log2(lab / rivals) if competing else np.nan
        share = p[_SHARE0] * d / demand[t] if competing and demand[t] > 0 else np.nan
        cum_lost += lost

        # --- outputs
        unserved = d / 12.0 - revenue
        idle = capacity - inference - training
        if record:
            monthly[_M_DEMAND, i, t] = d
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
            monthly[_M_COMPUTE, i, t] = lab
            monthly[_M_RELATIVE, i, t] = relative
            monthly[_M_SHARE, i, t] = share
        y = year_index[t]
        if t < horizon:
            if y != year:
                if year >= 0:
                    _flush_year(yearly, i, year, acc, months_in_year[year])
                acc[:] = 0.0
                year = y
            acc[_Y_REV] += revenue
            acc[_Y_DEM] += d / 12.0
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
            acc[_Y_COMPUTE] = lab
            acc[_Y_RELATIVE] = relative
            acc[_Y_DSHARE] = share
            if capacity > 0:
                acc[_Y_SHARE] += training / capacity
                acc[_A_SHARE_MONTHS] += 1.0
                acc[_A_INF_COST] += inference * (compute_cost / capacity)
            cum_rev += revenue
            cum_dem += d / 12.0
            cum_uns += unserved
            cum_cost += compute_cost
            cum_raised += raised
            peak = max(peak, capacity)
            path_out[_O_LOST, i] = cum_lost
            if t == horizon - 1:
                final_rate = revenue * 12.0
                final_cash = cash
                _flush_year(yearly, i, year, acc, months_in_year[year])
        else:
            runoff_yearly[_R_REV, i, y] += revenue
            runoff_yearly[_R_COST, i, y] += compute_cost
            runoff_yearly[_R_CAP_END, i, y] = capacity
            runoff_yearly[_R_CASH, i, y] = cash
            runoff_yearly[_R_ALIVE, i, y] = 1.0 if alive else 0.0
            min_cash = min(min_cash, cash)

    bankrupt_month[i] = bankrupt
    path_out[_O_REV, i] = cum_rev
    path_out[_O_DEM, i] = cum_dem
    path_out[_O_UNS, i] = cum_uns
    path_out[_O_COST, i] = cum_cost
    path_out[_O_RAISED, i] = cum_raised
    path_out[_O_PEAK, i] = peak
    path_out[_O_RATE, i] = final_rate
    path_out[_O_CASH, i] = final_cash
    path_out[_O_OWED, i] = obligations_after(book, n_signed, horizon)
    total_cut = 0.0
    for k in range(truncated.shape[1]):
        total_cut += truncated[i, k]
    path_out[_O_TRUNC, i] = total_cut
    path_out[_O_MIN_CASH, i] = min_cash if months > horizon else final_cash


def _paths_block(parallel: bool, name: str):  # type: ignore[no-untyped-def]
    """Jit the loop over a block's paths with or without its own thread pool (one Python
    body, two compiled variants with distinct names so their on-disk caches never mix)."""

    def block(
        demand: np.ndarray,
        params: np.ndarray,
        slips: np.ndarray,
        tranches: tuple,
        settings: tuple,
        fits: tuple,
        calendar: tuple,
        keep: int,
        outputs: tuple,
        books: np.ndarray,
    ) -> None:
        for i in prange(demand.shape[0]):  # a plain range when not parallel
            simulate_path(i, demand[i], params[i], slips, tranches, settings, fits, calendar,
                          keep, outputs, books[i])  # fmt: skip

    block.__name__ = block.__qualname__ = name
    return njit(cache=True, parallel=parallel, nogil=True)(block)


simulate_paths = _paths_block(True, "simulate_paths")
"""Simulate every path of a block, parallel over paths (outputs written in place)."""
simulate_paths_serial = _paths_block(False, "simulate_paths_serial")
"""The same on the calling thread only (for a pool of threads running one block each)."""
