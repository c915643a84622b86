"""The month loop over a block of paths: demand -> procurement -> allocation -> economics ->
finance, horizon then run-off, with yearly and per-path aggregates accumulated in the loop
(written by :mod:`.records`; the market's part of a month in :mod:`.market`).

One path per iteration; threads run disjoint ranges of paths (:mod:`sim.model.workers`)
and each path writes only its own rows, so results do not depend on the number of threads
(docs/model.md sections 3-5d).

Work that cannot change a result is skipped, never approximated: a book is re-summed only
when a contract starts, ends, is signed or cut; without records or aggregates, spot prices
are cleared for a sublease only, contract prices for an order or a deal only; industry
supply by month is computed once per range of paths sharing it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .allocation import allocate, sublease
from .competition import accumulate, churn, doublings_from, effective_multiplier, follow_capability
from .economics import month_flows, powered, twelfth
from .finance import (
    annual_growth,
    at_least,
    debt_step,
    raise_amount,
    short_of_runway,
    solvent_to_end,
    valuation,
)
from .layout import FIXED_SCHEDULE, OUT, P
from .market import (
    capability_premium,
    clear_price,
    contract_price_of,
    free_supply,
    lab_shares,
    next_change,
    overflow,
    price_terms,
    rivals_order,
    start_tightness,
    supply_table,
    tightness,
)
from .procurement import (
    last_end,
    lead_slot,
    obligations_after,
    online,
    plan_demand,
    planned_factor,
    review_step,
    sign,
    signpost_trips,
)
from .records import (
    MATERIAL_GW,
    N_ACC,
    add_market_month,
    add_month,
    add_runoff_month,
    bankrupt_runoff,
    flush_year,
    forget_runoff,
    record_lab,
    record_market,
    record_path,
    total_cut,
)
from .signing import sign_deals, sign_opening, sign_order

# numba reads module-level ints as compile-time constants
(_PRICE, _MARGIN, _EFF, _PASS, _LEAD, _LEN, _GW0, _TRAIN, _MIN_TRAIN, _MAX_TRAIN,
 _OTHER, _FIXED, _CASH0, _VALUATION, _DILUTION, _MAX_RAISE, _RUNWAY, _MIN_GROWTH) = (
    P["price"], P["margin"], P["eff"], P["pass_through"], P["lead"], P["contract_len"],
    P["initial_gw"], P["training_share"], P["min_training"],
    P["max_training"], P["other_share"], P["fixed_monthly"], P["initial_cash"],
    P["valuation_multiple"], P["max_dilution"], P["max_raise_per_year"], P["runway_months"],
    P["min_growth_to_raise"],
)  # fmt: skip
(_ELASTICITY, _SHARE0, _LAB0, _RIVALS0, _RIVALS_SHARE, _RETENTION, _CHURN, _DIFFUSION) = (
    P["elasticity"], P["initial_share"], P["lab_training0"], P["rivals_training0"],
    P["rivals_share"], P["retention"], P["churn"], P["diffusion_a"],
)  # fmt: skip
(_SUBLEASE, _DEBT_LIMIT, _DEBT_RATE, _COVENANT, _VAL_ELASTICITY, _VAL_REFERENCE,
 _DISCOUNT) = (
    P["sublease_recovery"], P["debt_limit"], P["debt_rate"], P["debt_covenant"],
    P["valuation_elasticity"], P["valuation_reference_growth"], P["discount_monthly"],
)  # fmt: skip
_O_OWED, _O_TRUNC, _O_LOST, _O_DEBT, _O_BREAK, _O_FINAL_MARKET = (
    OUT["obligations_at_end"], OUT["truncated_gw"], OUT["cum_lost"], OUT["debt_at_end"],
    OUT["breaking_commitment_month"], OUT["final_market_demand"],
)  # fmt: skip

_FIRST_REVIEW, _SP_MONTH, _SP_CUT = P["first_review"], P["signpost_month"], P["signpost_cut"]
(_RIVALS_TRAIN, _CONTRACT_E, _SPOT_E, _FLOOR, _CAP, _CEILING, _PREMIUM_K) = (
    P["rivals_training"], P["contract_elasticity"], P["spot_elasticity"],
    P["price_floor"], P["price_cap"], P["ceiling"], P["capability_price"],
)  # fmt: skip


@njit(cache=True, nogil=True)
def simulate_paths(
    first: int, last: int, demand_all: np.ndarray, params: np.ndarray, slips: np.ndarray,
    tranches: tuple, deals: tuple, settings: tuple, fits: tuple, calendar: tuple, keep: int,
    outputs: tuple, books: np.ndarray, rivals: tuple,
) -> None:  # fmt: skip
    """Simulate paths ``first .. last - 1`` of a block over horizon and run-off, writing their
    rows of every output, on the calling thread without the GIL (threads run disjoint
    ranges of one block at once). One compiled variant only (no ``parallel=True`` twin).
    The loop over paths is inside: the tuples are unpacked once per range, not per path
    (each array taken from a tuple costs an atomic reference count).

    ``tranches`` (start, gw, length) of a fixed schedule; ``deals`` (signing month, start,
    gw, length, price; NaN price: the path's) on top of the policy; ``settings`` (policy
    code, review months, horizon, plan_to_ceiling, months between raises, index of the first
    January, whether the competition loop and the market are on, whether only outcomes are
    asked: no yearly or run-off records, no run-off after :func:`.solvent_to_end`);
    ``rivals_in`` (the rivals' packed parameters, their contract book, and their policy
    code, review months, first review month, plan_to_ceiling); ``fits`` (leads,
    coefficients, sorted residuals) of a quantile policy; ``calendar`` (year index per
    month, months per horizon year); ``outputs`` (monthly, yearly, run-off yearly, per-path
    floats, bankruptcy month, truncated GW of tranches and of deals, new commitments by
    calendar year of delivery), written in place; ``industry`` the supply by month [GW].
    """
    (kind, review_months, horizon, plan_to_ceiling, raise_gap, first_month_of_year, competing,
     market, outcomes_only) = settings  # fmt: skip
    aggregate = not outcomes_only  # calendar-year aggregates and the run-off's records
    rival_params, rival_books, (r_kind, r_review, r_first, r_to_ceiling) = rivals
    fit_leads, fit_beta, fit_resid = fits
    year_index, months_in_year = calendar
    (monthly, yearly, runoff_yearly, path_out, bankrupt_month, truncated, truncated_deals,
     commitments) = outputs  # fmt: skip
    deal_signed = deals[0]
    months = demand_all.shape[1]
    industry = np.empty(months)  # supply by month, shared by paths that agree on it
    table_of = np.full(3, np.nan)  # the parameters it was computed for (NaN: none yet)
    # per-path state, allocated once per range: each month writes before it reads
    acc = np.zeros(N_ACC)  # the current calendar year's aggregates (zeroed as a year starts)
    served_hist = np.zeros(16)  # ring of served run-rates; 16 slots, masks instead of modulo
    seen = np.empty(months)  # the demand the lab observes (what its policies see)
    seen_r = np.empty(months if market else 1)  # the rivals' (market)
    memo = np.full((67, 3), np.nan)  # pows paths share (powered): 3 factors, 64 due months
    for i in range(first, last):
        p, demand, book = params[i], demand_all[i], books[i]
        p_r, rbook = rival_params[i], rival_books[i]
        supply_table(p, industry, table_of)
        price = p[_PRICE]
        rpg0 = price / (1.0 - p[_MARGIN])
        eff = p[_EFF]
        keep_eff = 1.0 - p[_PASS]
        grows_eff = eff != 1.0 and keep_eff != 0.0
        rpg_step = powered(memo[0], eff, keep_eff / 12.0) if grows_eff else 1.0  # x a month
        rpg = rpg0
        lead = int(p[_LEAD])
        plan_factor = planned_factor(p, lead, memo[1])  # orders are due `lead` months ahead
        r_plan_factor = planned_factor(p_r, lead, memo[2]) if market else 1.0  # the rivals'
        r_due = rpg0  # revenue per GW in the month this month's orders are due
        contract_len = int(p[_LEN])
        plan_inference = 1.0 - p[_TRAIN]
        record = i < keep

        # --- procurement: contracts signed before the start, then fixed tranches --------------
        month0 = (12 - first_month_of_year) % 12  # calendar month index of the start, 0 = Jan
        path_out[_O_BREAK, i] = np.nan  # set to last_signed if the path goes bankrupt
        # revenue run-rate the credit check sees before the first month is served [USD/yr]
        opening_rate = min(demand[0], (1.0 - p[_MIN_TRAIN]) * p[_GW0] * rpg0)
        debt_on = p[_DEBT_LIMIT] >= 0.0
        # last_signed: month of the latest new commitment (-1: those signed before the start);
        # refused_at_start: GW of fixed tranches the credit check refused (month 0)
        n_signed, n_r, last_signed, refused_at_start = sign_opening(
            i, p, industry, slips, tranches, kind == FIXED_SCHEDULE, market, book, rbook,
            opening_rate, month0, truncated, commitments,
        )  # fmt: skip
        end_last = last_end(book, n_signed)
        debt = dcf = raised_year = 0.0
        discount = 1.0
        cum_refused = cum_sublease = cum_interest = cum_fees = 0.0
        fees_due = 0.0  # termination fees of this month's review, paid in its accounting

        year = -1  # no calendar year accumulated yet
        served_hist[:] = 0.0
        cash = p[_CASH0]
        alive, bankrupt = True, -1
        order_k, last_raise = 0, -(10**9)
        cum_rev = cum_dem = cum_uns = cum_cost = cum_raised = peak = final_rate = final_cash = 0.0
        min_cash = math.inf

        # competition: training compute buys demand; churn loses it (kernel/competition.py)
        churn_share = p[_CHURN]
        feedback = competing or churn_share > 0.0
        lab = p[_LAB0] if competing else 0.0
        rivals = p[_RIVALS0]
        premium = market and p[_PREMIUM_K] != 0.0  # pricing power (kernel/market.py)
        doubled = 0.0  # doublings of relative training compute since the start
        log_m, loss = 0.0, 1.0
        cap_mult = 1.0 / p[_SHARE0] if competing else math.inf
        log_elasticity = math.log(p[_ELASTICITY]) if competing else 0.0
        ratio0 = p[_LAB0] / p[_RIVALS0] if competing or premium else 1.0  # E0 / R0

        # market (kernel/market.py): rivals' observed demand, prices, the split of unserved
        r_until = until_review = 0  # months to the next calendar review (rivals', lab's)
        contract_price = price  # what orders signed this month pay [USD/GW-yr]
        spot = next_price = price
        odds, spot_n, contract_n = price_terms(price, p[_FLOOR], p[_CAP], p[_SPOT_E],
                                               p[_CONTRACT_E])  # fmt: skip
        x0 = start_tightness(p, demand[0], rpg0) if market else 1.0  # tightness relative to it
        cum_to_rivals = cum_nobody = cum_rationed = cum_lost = 0.0
        # the run-off reads prices only in a record or a sublease (deals and orders are signed
        # inside the horizon, yearly aggregates cover the horizon)
        priced_always = record or p[_SUBLEASE] > 0.0
        spot_read = priced_always or aggregate  # a record, aggregates or a sublease read it
        # next month's contract price is cleared every month for records or aggregates, else
        # only if an order or a deal signs at it (priced False: at the q_* kept; same bits)
        eager, priced = record or aggregate, True
        q_market = q_rpg = q_gw = 0.0
        tight = 1.0  # tightness: market demand per GW online over its value at the start
        # GW online re-summed only when it can change (next_change): the lab's, the rivals'
        booked = booked_cost = r_gw = 0.0
        lab_change = r_change = 0
        lab_n = r_n = -1  # contracts summed then (-1: sum again)

        month_of_year = (12 - first_month_of_year) % 12  # months since January (calendar)
        first_review = int(p[_FIRST_REVIEW])  # no order before it; then the usual calendar
        signpost_month = int(p[_SP_MONTH])  # -1: no signpost
        order_keep = 1.0  # share of each order placed; 1 - cut once a signpost has tripped
        for t in range(months):
            if t >= horizon and not alive and not record:  # nothing moves any more: write the
                if aggregate:  # rest of the run-off
                    bankrupt_runoff(runoff_yearly, i, year_index[t:], cash)
                    min_cash = min(min_cash, cash)
                break
            if (outcomes_only and not record and t >= horizon and alive and debt == 0.0
                    and fees_due == 0.0 and solvent_to_end(cash, book, n_signed, t, p[_FIXED],
                                                           end_last)):  # fmt: skip
                break  # no bankruptcy can follow, and nothing else of the run-off is read
            ordered = 0.0
            # --- the demand the lab faces this month (rivals and churn, from history to t - 1)
            d = demand[t]
            d_market = d
            sigma = np.nan
            lost = 0.0
            if market:  # the lab's share of market demand; churn lowers its attraction
                d_market = d = min(d, p[_CEILING])  # noise may not lift the market above it
                sigma, whole = lab_shares(log_m, loss, p[_SHARE0])
                lost = d * (whole - sigma) / 12.0 if whole != sigma else 0.0
                d = d_market * sigma
                seen_r[t] = d_market - d
            elif feedback:
                mult = effective_multiplier(log_m, loss, cap_mult)
                lost = d * (min(math.exp(log_m), cap_mult) - mult) / 12.0
                d = d * mult
            seen[t] = d
            refused = refused_at_start if t == 0 else 0.0
            if t == signpost_month and signpost_trips(p, seen, t):
                order_keep = 1.0 - p[_SP_CUT]
            # --- procurement: this month's reviews (the rivals' with a market, the lab's) order
            # inside the horizon for delivery after the lead, at revenue per GW r_due then
            r_review_now, r_until = review_step(t, r_until, r_review, r_first)
            r_reviews = market and t < horizon and r_review_now
            review, until_review = review_step(t, until_review, review_months, first_review)
            reviews = t < horizon and kind != FIXED_SCHEDULE and review
            due = t + lead
            if reviews or r_reviews:
                r_due = rpg0 * powered(memo[3 + (due & 63)], eff, keep_eff * (due / 12.0))
            if not priced and (reviews or r_reviews or (alive and deal_signed.shape[0] > 0)):
                contract_price = contract_price_of(q_market, q_rpg, q_gw, x0, price, odds, p,
                                                   contract_n)  # fmt: skip
                priced = True
            # --- procurement: deals signed this month (on top of the policy; supply- and credit-cut)
            if alive and deal_signed.shape[0] > 0:
                run_rate = served_hist[(t - 1) & 15] if t > 0 else opening_rate
                n_signed, refused, end_last, last_signed = sign_deals(
                    i, t, p, industry, deals, market, book, n_signed, rbook, n_r, contract_price,
                    run_rate, cash, month0, truncated_deals, commitments, refused, end_last,
                    last_signed,
                )  # fmt: skip
            # --- procurement: the rivals' review (rationed with the lab's order below)
            q_r = 0.0
            if r_reviews:
                q_r = rivals_order(r_kind, p_r, seen_r, t, due, r_to_ceiling, fit_beta, fit_resid,
                                   r_due, rbook, n_r, p[_RIVALS_TRAIN], r_plan_factor)  # fmt: skip
            rivals_rationed = False
            # --- procurement: the lab's review
            if reviews:
                index = (
                    0 if t == first_review else t // review_months - first_review // review_months
                )
                plan = plan_demand(
                    kind, p, seen, t, due, plan_to_ceiling, index,
                    lead_slot(fit_leads, lead), fit_beta, fit_resid, plan_factor,
                )  # fmt: skip
                run_rate = served_hist[(t - 1) & 15] if t > 0 else opening_rate
                start = due + slips[i, order_k]
                n_before = n_signed
                n_signed, q, q_r, cancelled, fee, cut_by_credit, rationed = sign_order(
                    i, t, due, start, plan / (r_due * plan_inference), p, industry, market, book,
                    n_signed, rbook, n_r, q_r, alive, order_keep, run_rate, cash, contract_price,
                    month0, commitments,
                )  # fmt: skip
                if cancelled:  # contracts cut: sum the book again; the last may end sooner
                    fees_due += fee
                    lab_n = -1
                    end_last = last_end(book, n_before)
                refused += cut_by_credit
                if market:
                    cum_rationed += rationed
                    rivals_rationed = True
                if q > MATERIAL_GW:
                    last_signed = t
                if q > 0 and start + contract_len > end_last:
                    end_last = start + contract_len
                ordered = q
                order_k += 1
            if q_r > 0.0:
                if not rivals_rationed:  # first come, first served
                    q_r = min(q_r, free_supply(p, industry, book, n_signed, rbook, n_r, due,
                                               due + contract_len))  # fmt: skip
                n_r = sign(rbook, n_r, q_r, due, contract_len, contract_price)

            # in run-off, a path is done once its last contract has expired
            was_alive = alive
            live = alive and (t < horizon or t < end_last)
            if (alive or market) and (t >= lab_change or n_signed != lab_n):
                booked, booked_cost = online(book, n_signed, t)  # GW under contract, its cost
                lab_change, lab_n = next_change(book, n_signed, t), n_signed
            # a bankrupt lab's contracts still count in the industry (with a market)
            capacity = booked if alive else 0.0
            compute_cost = booked_cost if alive else 0.0
            if t > 0:
                rpg *= rpg_step  # eff^(keep_eff / 12) a month: multiplied in, not re-powered

            # --- allocation and economics
            rpg_lab = rpg  # revenue per GW of the lab's inference: the market's, times its premium
            if premium:
                rpg_lab = rpg * capability_premium(doubled, lab, rivals, p[_PREMIUM_K],
                                                   p[_SHARE0] >= 1.0)  # fmt: skip
            to_rivals = r_served = supply = 0.0
            if market:  # availability: each firm's overflow goes to the other's idle inference
                if t >= r_change or n_r != r_n:
                    r_gw, _cost = online(rbook, n_r, t)
                    r_change, r_n = next_change(rbook, n_r, t), n_r
                won, to_rivals, r_served = overflow(d_market, d, capacity, rpg, rpg_lab, r_gw,
                                                    p[_MIN_TRAIN], p[_RIVALS_TRAIN])  # fmt: skip
                if won > 0.0:  # rivals' customers the lab serves join the demand it faces
                    d += won
                if t < horizon or priced_always:
                    supply = industry[t]
                    if spot_read:  # (eager implies spot_read)
                        tight = tightness(d_market, rpg, booked + r_gw, x0)
                        spot = clear_price(price, odds, tight, p[_SPOT_E], spot_n, p[_FLOOR],
                                           p[_CAP])  # fmt: skip
                    if eager:  # next month's orders pay this month's market
                        next_price = clear_price(price, odds, tight, p[_CONTRACT_E], contract_n,
                                                 p[_FLOOR], p[_CAP])  # fmt: skip
            served, inference, training = allocate(capacity, d, rpg_lab, p[_MIN_TRAIN],
                                                   p[_MAX_TRAIN])  # fmt: skip
            subleased = 0.0
            if p[_SUBLEASE] > 0.0:  # surplus GW resold at a discount instead of extra training
                training, subleased = sublease(capacity, inference, training, p[_TRAIN],
                                               p[_MIN_TRAIN], p[_MAX_TRAIN])  # fmt: skip
            idle = capacity - inference - training - subleased
            sublease_rev = twelfth(subleased * (spot if market else price) * p[_SUBLEASE])
            fixed = p[_FIXED] if live else 0.0
            revenue, other, net = month_flows(served, compute_cost, p[_OTHER], fixed)
            interest = twelfth(debt * p[_DEBT_RATE]) if alive else 0.0
            fees = fees_due if alive else 0.0
            fees_due = 0.0
            net += sublease_rev - interest - fees
            pre_cash = cash + net

            # --- finance
            back = max(0, t - 12)
            served_back = served_hist[back & 15]
            served_hist[t & 15] = served
            if t > 0 and month_of_year == 0:
                raised_year = 0.0
            month_of_year = month_of_year + 1 if month_of_year < 11 else 0
            raised = 0.0
            if live and t - last_raise >= raise_gap and short_of_runway(pre_cash, net, p[_RUNWAY]):
                # only a lab that may raise reads growth (a pow before month 12); month 0: none
                growth = (
                    annual_growth(served, served_back, t - back) if t > 0 else p[_VAL_REFERENCE]
                )
                grows = t == 0 or at_least(growth, p[_MIN_GROWTH])
                multiple = valuation(p[_VALUATION], growth, p[_VAL_REFERENCE], p[_VAL_ELASTICITY])
                raised = raise_amount(
                    pre_cash, net, served, p[_RUNWAY], grows, True, p[_DILUTION], multiple,
                    p[_MAX_RAISE] - raised_year,
                )  # fmt: skip
                if raised > 0:
                    raised_year += raised
                    last_raise = t
            borrowed = repaid = 0.0
            if alive:
                cash = pre_cash + raised
                if debt_on:
                    cash, debt, borrowed, repaid = debt_step(
                        cash, debt, served, net, p[_DEBT_LIMIT], p[_COVENANT]
                    )
                if cash < 0.0:
                    bankrupt = t
                    alive = False
                    path_out[_O_BREAK, i] = last_signed
            if was_alive:
                dcf += discount * net  # operating cash flow, discounted to the start
            discount *= p[_DISCOUNT]
            cum_refused += refused
            cum_sublease += sublease_rev
            cum_interest += interest
            cum_fees += fees

            # --- competition: this month's training and unserved demand shape what comes next
            if was_alive:  # a bankrupt lab's position is frozen where it failed
                lab = accumulate(lab, p[_RETENTION], training)
                if competing:
                    if market:  # rivals train on what their own inference leaves
                        rivals = accumulate(rivals, p[_RETENTION], r_gw - (r_served / rpg))
                    else:
                        rivals = accumulate(rivals, p[_RETENTION], p[_RIVALS_SHARE] * industry[t])
                if competing or premium:  # relative training compute: demand and pricing power
                    doubled = doublings_from(lab, rivals, ratio0)
                if competing:
                    log_m = follow_capability(log_m, doubled, log_elasticity, p[_DIFFUSION])
                if churn_share > 0.0:
                    loss = churn(loss, d - served, d, churn_share)
            year_end = t < horizon and (t == horizon - 1 or year_index[t + 1] != year_index[t])
            year_stock = record or (aggregate and year_end)  # a year's last month reads stocks
            relative = math.log2(lab / rivals) if competing and year_stock else np.nan
            share = (sigma if market else p[_SHARE0] * d / demand[t]
                     if competing and demand[t] > 0 else np.nan)  # fmt: skip
            cum_lost += lost

            # --- outputs
            unserved = d / 12.0 - revenue
            lost_to_rivals = twelfth(to_rivals)
            nobody = unserved - lost_to_rivals  # what no firm served
            if record:
                record_lab(monthly, i, t, d, capacity, inference, training, idle, revenue, unserved,
                           compute_cost, other, fixed, raised, cash, alive, ordered, lost, lab,
                           relative, share, subleased, sublease_rev, interest, borrowed, repaid,
                           debt, refused, fees)  # fmt: skip
                record_market(monthly, i, t, market, d_market, r_gw, supply, contract_price, spot,
                              lost_to_rivals, nobody, served + r_served)  # fmt: skip
            y = year_index[t]
            if t < horizon:
                if aggregate and y != year:
                    if year >= 0:
                        flush_year(yearly, i, year, acc, months_in_year[year])
                    acc[:] = 0.0
                    year = y
                if aggregate:
                    add_month(acc, revenue, d, unserved, compute_cost, other, fixed, raised,
                              capacity, cash, alive, training, inference, idle, lost, lab, relative,
                              share, sublease_rev, interest, debt, refused, fees, borrowed,
                              repaid)  # fmt: skip
                if market:
                    if aggregate:
                        add_market_month(acc, d_market, served + r_served, r_gw, supply,
                                         contract_price, spot, lost_to_rivals, nobody)  # fmt: skip
                    cum_to_rivals += lost_to_rivals
                    cum_nobody += nobody
                cum_rev += revenue
                cum_dem += d / 12.0
                cum_uns += unserved
                cum_cost += compute_cost
                cum_raised += raised
                peak = max(peak, capacity)
                if t == horizon - 1:
                    path_out[_O_LOST, i] = cum_lost
                    final_rate = revenue * 12.0
                    final_cash = cash
                    path_out[_O_FINAL_MARKET, i] = d_market
                    path_out[_O_DEBT, i] = debt
                    if aggregate:
                        flush_year(yearly, i, year, acc, months_in_year[year])
            elif aggregate:
                add_runoff_month(runoff_yearly, i, y, revenue, compute_cost, capacity, cash, alive)
                min_cash = min(min_cash, cash)
            if market and (t + 1 < horizon or priced_always):
                if eager:
                    contract_price = next_price
                else:  # cleared if next month signs at it (this month's market state)
                    priced = False
                    q_market, q_rpg, q_gw = d_market, rpg, booked + r_gw

        bankrupt_month[i] = bankrupt
        path_out[_O_OWED, i] = obligations_after(book, n_signed, horizon)
        path_out[_O_TRUNC, i] = total_cut(truncated, truncated_deals, i)
        sums = (cum_rev, cum_dem, cum_uns, cum_cost, cum_raised, cum_refused, cum_sublease,
                cum_interest, cum_fees, cum_to_rivals, cum_nobody, cum_rationed)  # fmt: skip
        record_path(path_out, i, sums, final_rate, final_cash, peak,
                    min_cash if months > horizon else final_cash, dcf)  # fmt: skip
        if outcomes_only:  # sums over the run-off were not (all) taken: not numbers
            forget_runoff(path_out, i)
