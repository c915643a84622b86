"""Procurement steps of the month loop that sign the lab's contracts: the opening book
(and, with a market, the rivals'), a fixed schedule's tranches, deals, and a review's
order. Each is cut by the lab's supply cap, by the supply the lab and the rivals leave free
(market: same-month orders rationed pro rata) and by the lab's credit (docs/model.md
sections 3, 5c and 5d).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .layout import P
from .market import free_supply, ration, supply_cap_at
from .procurement import (
    cancel_pending,
    credit_room,
    online,
    order_gw,
    sign,
)
from .records import MATERIAL_GW, commit

_PRICE, _GW0, _LEN0, _RIVALS_GW0, _CASH0, _CREDIT_REV, _CREDIT_CASH, _TERM_FEE, _LEN = (
    P["price"], P["initial_gw"], P["initial_len"], P["rivals_gw0"], P["initial_cash"],
    P["credit_revenue_multiple"], P["credit_cash_multiple"], P["termination_fee"],
    P["contract_len"],
)  # fmt: skip


@njit(cache=True, _nrt=False)
def sign_opening(
    i: int, p: np.ndarray, industry: np.ndarray, slips: np.ndarray, tranches: tuple,
    fixed: bool, market: bool, book: np.ndarray, rivals_book: np.ndarray,
    opening_rate: float, month0: int, truncated: np.ndarray, commitments: np.ndarray,
) -> tuple[int, int, int, float]:  # fmt: skip
    """Sign path ``i``'s opening contracts into ``book`` and ``rivals_book``; ``fixed``: a
    fixed schedule whose ``tranches`` (start, GW, length) are signed now, their cut GW
    written to ``truncated`` and their new commitments by calendar year (``month0`` the
    calendar month of the start) to ``commitments``; ``opening_rate`` the revenue run-rate
    the credit check sees [USD/yr].

    Returns (the lab's contracts, the rivals', the month of the latest material commitment
    (-1: only those signed before the start), GW the credit check refused).
    """
    tranche_start, tranche_gw, tranche_len = tranches
    price = p[_PRICE]
    n_signed = sign(book, 0, p[_GW0], 0, int(p[_LEN0]), price)
    # market: the rivals' contracts signed before the start run like the lab's
    n_r = sign(rivals_book, 0, p[_RIVALS_GW0], 0, int(p[_LEN0]), price) if market else 0
    last_signed = -1
    refused = 0.0
    if not fixed:
        return n_signed, n_r, last_signed, refused
    credit_on = p[_CREDIT_REV] >= 0.0
    for k in range(tranche_start.shape[0]):
        planned = tranche_start[k]
        have, _cost = online(book, n_signed, planned)
        room = max(supply_cap_at(p, industry, planned) - have, 0.0)
        gw = min(tranche_gw[k], room)
        if market:  # what the lab and the rivals hold already leaves less
            begin = planned + slips[i, k]
            gw = min(gw, free_supply(p, industry, book, n_signed, rivals_book, n_r, begin,
                                     begin + tranche_len[k]))  # fmt: skip
        truncated[i, k] = tranche_gw[k] - gw
        if credit_on and gw > 0:  # tranches are signed at the start: checked then
            room = credit_room(book, n_signed, 0, opening_rate, p[_CASH0], p[_CREDIT_REV],
                               p[_CREDIT_CASH])  # fmt: skip
            allowed = room / (price * tranche_len[k] / 12.0)
            if gw > allowed:
                refused += gw - allowed
                gw = allowed
        start = planned + slips[i, k]
        n_signed = sign(book, n_signed, gw, start, tranche_len[k], price)
        commit(commitments, i, (month0 + start) // 12, gw, gw * price * tranche_len[k] / 12.0)
        if gw > MATERIAL_GW:
            last_signed = 0
    return n_signed, n_r, last_signed, refused


@njit(cache=True, _nrt=False)
def sign_deals(
    i: int, t: int, p: np.ndarray, industry: np.ndarray, deals: tuple, market: bool,
    book: np.ndarray, n_signed: int, rivals_book: np.ndarray, n_r: int,
    contract_price: float, run_rate: float, cash: float, month0: int,
    truncated_deals: np.ndarray, commitments: np.ndarray, refused: float, end_last: int,
    last_signed: int,
) -> tuple[int, float, int, int]:  # fmt: skip
    """Sign the deals of month ``t`` (``deals``: signing month, start, GW, length, price;
    NaN price: this month's contract price), each cut by supply and credit; ``run_rate``
    what the credit check sees [USD/yr]. Returns the contracts now in ``book``, ``refused``
    plus the GW credit refused, and ``end_last``, ``last_signed`` updated."""
    deal_signed, deal_start, deal_gw, deal_len, deal_price = deals
    credit_on = p[_CREDIT_REV] >= 0.0
    for k in range(deal_signed.shape[0]):
        if deal_signed[k] != t:
            continue
        d_price = contract_price if math.isnan(deal_price[k]) else deal_price[k]
        start = deal_start[k]
        have, _cost = online(book, n_signed, start)
        gw = min(deal_gw[k], max(supply_cap_at(p, industry, start) - have, 0.0))
        if market:
            gw = min(gw, free_supply(p, industry, book, n_signed, rivals_book, n_r, start,
                                     start + deal_len[k]))  # fmt: skip
        truncated_deals[i, k] = deal_gw[k] - gw
        if credit_on and gw > 0:
            room = credit_room(book, n_signed, t, run_rate, cash, p[_CREDIT_REV],
                               p[_CREDIT_CASH])  # fmt: skip
            allowed = room / (d_price * deal_len[k] / 12.0)
            if gw > allowed:
                refused += gw - allowed
                gw = allowed
        n_signed = sign(book, n_signed, gw, start, deal_len[k], d_price)
        commit(commitments, i, (month0 + start) // 12, gw, gw * d_price * deal_len[k] / 12.0)
        if gw > 0:
            end_last = max(end_last, start + deal_len[k])
        if gw > MATERIAL_GW:
            last_signed = t
    return n_signed, refused, end_last, last_signed


@njit(cache=True, _nrt=False)
def sign_order(
    i: int, t: int, due: int, start: int, want: float, p: np.ndarray, industry: np.ndarray,
    market: bool, book: np.ndarray, n_signed: int, rivals_book: np.ndarray, n_r: int,
    rivals_gw: float, alive: bool, keep: float, run_rate: float, cash: float,
    contract_price: float, month0: int, commitments: np.ndarray,
) -> tuple[int, float, float, bool, float, float, float]:  # fmt: skip
    """A review in month ``t`` orders what the lab ``want`` s online at ``due`` [GW] less
    what it holds then, within its supply cap, times ``keep`` (a tripped signpost's cut);
    over-committed, it first cancels contracts not yet online (with a termination fee).
    Credit cuts the order; with a market it shares the supply left free from ``start``
    (``due`` plus the build's slip) pro rata with the rivals' ``rivals_gw`` ordered this
    month. The order is signed at ``contract_price``, starting at ``start``.

    Returns (contracts in ``book``, GW ordered, the rivals' GW granted, whether contracts
    were cancelled, the termination fee [USD], GW credit refused, GW rationing cut).
    """
    contract_len = int(p[_LEN])
    have, _cost = online(book, n_signed, due)
    cancelled, fee, refused, rationed = False, 0.0, 0.0, 0.0
    if p[_TERM_FEE] >= 0.0 and alive and have > want:  # exit what is not online yet
        cut, fee = cancel_pending(book, n_signed, t, due, have - want, p[_TERM_FEE])
        cancelled = True
        have -= cut
    q = order_gw(want, have, supply_cap_at(p, industry, due), alive) * keep
    if p[_CREDIT_REV] >= 0.0 and q > 0:  # counterparties sign only within the lab's credit
        room = credit_room(book, n_signed, t, run_rate, cash, p[_CREDIT_REV], p[_CREDIT_CASH])
        allowed = room / (contract_price * contract_len / 12.0)
        if q > allowed:
            refused = q - allowed
            q = allowed
    if market:  # same-month orders share what supply leaves free, pro rata
        free = free_supply(p, industry, book, n_signed, rivals_book, n_r, start,
                           start + contract_len)  # fmt: skip
        if start != due:  # a slipped build: supply must be free from the due month too
            free = min(free, free_supply(p, industry, book, n_signed, rivals_book, n_r, due,
                                         due + contract_len))  # fmt: skip
        granted, rivals_gw = ration(q, rivals_gw, free)
        rationed = q - granted
        q = granted
    n_signed = sign(book, n_signed, q, start, contract_len, contract_price)
    commit(commitments, i, (month0 + start) // 12, q, q * contract_price * contract_len / 12.0)
    return n_signed, q, rivals_gw, cancelled, fee, refused, rationed
