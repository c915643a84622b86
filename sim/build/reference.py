"""Event-driven SimPy reference of the monthly model, for differential tests of the engine.

Written from ``docs/model.md``, not from :mod:`sim.model.engine`: it loops over paths and, per path,
runs a SimPy environment in which contract starts and expiries, review orders and month-end
accounting are separate events. Time unit: **months**. Month ``t`` is the interval
``[t, t + 1)``; within it the events happen at fixed offsets so their order never depends
on SimPy's tie-breaking:

* ``t + 0``    contract starts and expiries (a contract online in ``[m, m + L)``);
* ``t + 0.1``  the demand the lab faces this month (rivals and churn, from its history);
* ``t + 0.2``  deals signed this month (supply cap, then credit check);
* ``t + 0.25`` review: a solvent firm cancels what it no longer wants (if it may) and signs
  a contract for delivery at ``t + lead + slip`` (within its credit, if checked);
* ``t + 0.5``  accounting: allocation, revenue, costs, raise, cash, bankruptcy.

It consumes exactly the engine's random inputs (:func:`sim.model.sampling.sample_inputs`), the
exogenous potential demand (:func:`sim.model.demand.potential_demand`), the pilot fits of a
quantile policy (coefficients and residuals; the features are recomputed here) and the slip
table; everything else is recomputed here in plain Python scalars. Reviews happen inside the
horizon; the run-off after it ends, per path, when its last contract expires. Slow (about
1 ms per path-year): only for small cases. The contract book is in
:mod:`sim.build.reference_contracts`, the policies' plans in :mod:`sim.build.reference_plans`,
the market in :mod:`sim.build.reference_market`.
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from sim.model.demand import potential_demand
from sim.model.engine import MONTHLY, max_slip, pilot_demand, slip_table
from sim.model.kernel.finance import GROWTH_TIE
from sim.model.pilot import Pilot
from sim.model.sampling import SampledInputs, sample_inputs
from sim.model.scenario import FixedSchedule, Scenario, month_index
from sim.model.timeline import total_months

from .reference_contracts import Firm, whole_month_slip
from .reference_plans import PolicyPlans

MARKET_MONTHLY = (
    "market_demand", "rivals_gw", "industry_gw", "contract_price", "spot_price",
    "lost_to_rivals", "unserved_by_market", "market_served",
)  # fmt: skip
"""Records of the market (docs/model.md 5d): NaN for a lone lab."""

DEMAND_OFFSET = 0.1
"""Offset of the month's demand (after competition and churn) within its month [months]."""
DEAL_OFFSET = 0.2
"""Offset of deal signings within their month [months]."""
REVIEW_OFFSET = 0.25
"""Offset of a review within its month [months]."""
MATERIAL_GW = 1e-9
"""Smallest order [GW] that counts as a new commitment for bankruptcy attribution."""
ACCOUNT_OFFSET = 0.5
"""Offset of the month's accounting within its month [months]."""


class _Path(PolicyPlans):
    """All processes and records of one Monte Carlo path."""

    def __init__(
        self,
        scenario: Scenario,
        p: dict[str, float],
        demand: np.ndarray,
        slip_u: np.ndarray,
        slips: np.ndarray | None,
        pilot: Pilot | None,
    ) -> None:
        self.s, self.p, self.demand = scenario, p, demand
        self.slip_u, self.slips, self.pilot = slip_u, slips, pilot
        self.months = len(demand)  # horizon + run-off
        self.horizon = scenario.months
        self.truncated = 0.0
        self.env = simpy.Environment()
        self.firm = Firm(self.env, p["compute.price_per_gw_year"])
        self.rec = {name: [0.0] * self.months for name in MONTHLY}
        for name in MARKET_MONTHLY:  # the lone lab: no market to record
            self.rec[name] = [math.nan] * self.months
        self.bankrupt_month = -1
        self.cash = p["finance.initial_cash"]
        self.served: list[float] = []
        # competition (docs/model.md 5b): training compute buys demand, churn loses it
        comp = scenario.competition
        self.competing = comp is not None
        self.lab = p["competition.lab_training_gw_years"] if comp else 0.0
        self.rivals = p["competition.rivals_training_gw_years"] if comp else 1.0
        self.log_m, self.loss = 0.0, 1.0
        self.cap = 1.0 / p["competition.initial_share"] if comp else math.inf
        half_life = p.get("competition.half_life_years")
        self.retention = 0.5 ** (1.0 / (12.0 * half_life)) if comp and half_life else 1.0
        lag = p["demand.diffusion_lag_years"]
        self.a = 1.0 - math.exp(-1.0 / (12.0 * lag)) if lag > 0 else 1.0
        self.seen: list[float] = []  # the demand the lab faced, month by month
        self.lost: list[float] = []
        # deals, credit, debt, sublease, termination (docs/model.md section 6b)
        self.truncated_deals = [0.0] * len(scenario.deals)
        self.debt = 0.0
        self.fees_due = 0.0
        self.last_signed = -1  # month of the latest new commitment (-1: before the start)
        self.breaking = math.nan
        self.dcf = 0.0

    # --- parameters as docs/model.md defines them ---------------------------------------
    def rev_per_gw(self, t: int) -> float:
        p = self.p
        g = p["compute.revenue_per_gw_growth"]
        keep = 1.0 - p["compute.price_pass_through"]
        base = p["compute.price_per_gw_year"] / (1.0 - p["economics.gross_margin"])
        return base * g ** (keep * (t / 12))

    def credit_allows(self, t: int, gw: float, price: float, length: int) -> float:
        """GW of an order that counterparties sign: all still owed must stay within
        revenue_multiple x last month's run-rate + cash_multiple x cash."""
        p = self.p
        if "finance.credit_limit.revenue_multiple" not in p or gw <= 0:
            return gw
        if t > 0:
            run_rate = self.served[t - 1]
        else:  # before the first month is served (tranches are checked before it starts)
            cap = (1 - p["allocation.min_training_share"]) * p["compute.initial_gw"]
            run_rate = min(float(self.demand[0]), cap * self.rev_per_gw(0))
        limit = p["finance.credit_limit.revenue_multiple"] * run_rate
        limit += p["finance.credit_limit.cash_multiple"] * max(self.cash, 0.0)
        room = max(0.0, limit - self.firm.owed_from(t))
        allowed = room / (price * length / 12)
        if gw > allowed:
            self.rec["refused_gw"][t] += gw - allowed
            return allowed
        return gw

    def supply(self, t: int) -> float:
        p = self.p
        share = p["compute.max_industry_share"]
        cap = share * p["compute.industry_gw_start"] * p["compute.industry_growth"] ** (t / 12)
        if "compute.industry_gw_max" in p:
            cap = min(cap, share * p["compute.industry_gw_max"])
        return cap

    # --- processes -------------------------------------------------------------------------
    def initial_contracts(self) -> None:
        p, s = self.p, self.s
        self.firm.sign(
            p["compute.initial_gw"], 0, round(12 * p["compute.initial_contract_years_left"])
        )
        if isinstance(s.policy, FixedSchedule):
            for k, tr in enumerate(s.policy.tranches):
                m = month_index(tr.start, s.simulation.start)
                gw = min(float(tr.gw), max(0.0, self.supply(m) - self.firm.committed_at(m)))
                slip = whole_month_slip(self.slips, float(self.slip_u[k]))
                length = max(1, round(12 * float(tr.years)))
                gw = min(gw, self.free(m + slip, m + slip + length))
                self.truncated += float(tr.gw) - gw
                gw = self.credit_allows(0, gw, self.firm.price, length)  # signed at the start
                self.firm.sign(gw, m + slip, length)
                if gw > MATERIAL_GW:
                    self.last_signed = 0

    def deals(self):
        """Process: deals signed in month t, cut to the supply cap, then to the credit."""
        s = self.s
        for t in range(self.months):
            yield self.env.timeout(t + DEAL_OFFSET - self.env.now)
            for k, deal in enumerate(s.deals):
                signed = month_index(deal.signed or s.simulation.start, s.simulation.start)
                if signed != t or not self.firm.alive:
                    continue
                start = month_index(deal.start, s.simulation.start)
                length = max(1, round(12 * deal.years))
                price = deal.price_per_gw_year or self.new_price()
                room = max(0.0, self.supply(start) - self.firm.committed_at(start))
                gw = min(deal.gw, room, self.free(start, start + length))
                self.truncated_deals[k] = deal.gw - gw
                gw = self.credit_allows(t, gw, price, length)
                self.firm.sign(gw, start, length, price)
                if gw > MATERIAL_GW:
                    self.last_signed = t

    def reviews(self):
        """Process: at each review a solvent firm orders for delivery after the lead time."""
        s, p, firm = self.s, self.p, self.firm
        if isinstance(s.policy, FixedSchedule):
            return
        lead = round(p["compute.lead_time_months"])
        length = max(1, round(12 * p["compute.contract_years"]))
        share = 1 - p["allocation.training_share"]
        # the first review at first_review_months, then the usual calendar after it
        first, every = s.policy.first_review_months, s.policy.review_months
        months = [first] + [m for m in range(0, self.horizon, every) if m > first]
        for j, t in enumerate(months):
            yield self.env.timeout(t + REVIEW_OFFSET - self.env.now)
            d = t + lead
            if not firm.alive:
                continue
            want = self.planned_demand(t, d) / (self.rev_per_gw(d) * share)
            have = firm.committed_at(d)
            if "compute.termination_fee" in p and have > want:
                cut, fee = firm.cancel(t, d, have - want, p["compute.termination_fee"])
                self.fees_due += fee
                have -= cut
            gw = max(0.0, min(want, self.supply(d)) - have)
            if self.signpost_tripped(t):
                gw *= 1.0 - s.policy.signpost.cut
            gw = self.credit_allows(t, gw, self.new_price(), length)
            start = d + whole_month_slip(self.slips, float(self.slip_u[j]))
            gw = self.ration(t, start, d, length, gw)
            self.rec["ordered_gw"][t] = gw
            firm.sign(gw, start, length, self.new_price())
            if gw > MATERIAL_GW:
                self.last_signed = t

    def industry(self, t: int) -> float:
        p = self.p
        cap = p["compute.industry_gw_start"] * p["compute.industry_growth"] ** (t / 12)
        return min(cap, p.get("compute.industry_gw_max", math.inf))

    def facing(self):
        """Process: each month, the demand the lab faces: the exogenous path times the
        multiplier from relative training compute and the share not lost to churn."""
        for t in range(self.months):
            yield self.env.timeout(t + DEMAND_OFFSET - self.env.now)
            base = float(self.demand[t])
            capped = min(math.exp(self.log_m), self.cap)
            mult = min(math.exp(self.log_m) * self.loss, self.cap)
            self.seen.append(base * mult)
            self.lost.append(base * (capped - mult) / 12)

    def compete(self, t: int, training: float, dem: float, served: float) -> None:
        """After a solvent month: update training stocks, the multiplier and churn."""
        p = self.p
        self.lab = self.retention * self.lab + training / 12
        if self.competing:
            c = "competition."
            rivals_gw = self.rivals_training_gw(t)
            self.rivals = self.retention * self.rivals + rivals_gw / 12
            start = p[c + "lab_training_gw_years"] / p[c + "rivals_training_gw_years"]
            target = math.log(p[c + "elasticity"]) * math.log2((self.lab / self.rivals) / start)
            self.log_m += self.a * (target - self.log_m)
        churn = p["demand.churn_of_unserved"]
        if churn > 0 and dem > 0:
            self.loss *= 1 - churn * (dem - served) / dem

    def accounting(self):
        """Process: month-end allocation, cash flows, raises and bankruptcy."""
        p, f, rec = self.p, self.s.finance, self.rec
        start_month = int(self.s.simulation.start.split("-")[1])
        last_raise: int | None = None
        raised_year = 0.0
        for t in range(self.months):
            yield self.env.timeout(t + ACCOUNT_OFFSET - self.env.now)
            dem = self.market_month(t, self.seen[t])  # the lone lab: its own demand
            rec["demand"][t] = dem
            rec["unserved"][t] = dem / 12
            rec["cash"][t] = self.cash
            rec["lost"][t] = self.lost[t]
            rec["debt"][t] = self.debt
            self.record_position(t)
            if (start_month - 1 + t) % 12 == 0:
                raised_year = 0.0  # a new calendar year starts this month
            if not self.firm.alive:
                self.served.append(0.0)
                continue
            # after the horizon, a path whose last contract has expired is done: no flows
            live = t < self.horizon or t < self.firm.last_end
            cap, r = self.firm.online_gw(), self.lab_rev_per_gw(t)
            v = min(dem, (1 - p["allocation.min_training_share"]) * cap * r)
            self.served.append(v)
            inf = v / r
            train = min(cap - inf, p["allocation.max_training_share"] * cap)
            subleased = 0.0
            recovery = p["compute.sublease_recovery"]
            if recovery > 0:  # surplus beyond inference and the planned training share
                share = max(p["allocation.training_share"], p["allocation.min_training_share"])
                train = min(train, min(share, p["allocation.max_training_share"]) * cap)
                subleased = cap - inf - train
            sublease_revenue = subleased * self.sublease_price() * recovery / 12
            revenue = v / 12
            compute = self.firm.online_cost()
            other = p["economics.other_costs_share"] * revenue
            fixed = p["economics.fixed_costs_per_year"] / 12 if live else 0.0
            interest = self.debt * p.get("finance.debt.rate", 0.0) / 12
            fees, self.fees_due = self.fees_due, 0.0
            net = revenue - compute - other - fixed + sublease_revenue - interest - fees
            pre = self.cash + net

            k = min(t, 12)
            annual = p["finance.valuation_reference_growth"]
            if t == 0:
                growing = True
            else:
                before = self.served[t - k]
                ratio = v / before if before > 0 else (math.inf if v > 0 else 0.0)
                try:
                    annual = ratio ** (12 / k)
                except OverflowError:  # revenue grew from almost nothing
                    annual = math.inf
                growing = annual >= p["finance.min_growth_to_raise"] * (1 - GROWTH_TIE)
            short = pre < p["finance.raise_when_runway_months_below"] * max(0.0, -net)
            spaced = last_raise is None or t - last_raise >= f.min_months_between_raises
            multiple = p["finance.valuation_multiple"]
            if p["finance.valuation_growth_elasticity"] > 0:  # markets pay for growth
                ratio = annual / p["finance.valuation_reference_growth"]
                multiple *= ratio ** p["finance.valuation_growth_elasticity"]
            size = min(
                p["finance.max_dilution_per_raise"] * multiple * v,
                p["finance.max_raise_per_year"] - raised_year,
            )
            raised = size if (live and short and growing and spaced and size > 0) else 0.0
            if raised > 0:
                raised_year += raised
                last_raise = t
            self.cash = pre + raised
            borrowed = repaid = 0.0
            if "finance.debt.limit" in p:
                borrowed, repaid = self.borrow(v, net)
            self.dcf += net / (1 + p["finance.discount_rate"]) ** (t / 12)

            values = {
                "capacity_gw": cap, "inference_gw": inf, "training_gw": train,
                "idle_gw": cap - inf - train - subleased, "revenue": revenue,
                "unserved": dem / 12 - revenue, "compute_cost": compute, "other_cost": other,
                "fixed_cost": fixed, "raised": raised, "cash": self.cash, "alive": 1.0,
                "subleased_gw": subleased, "sublease_revenue": sublease_revenue,
                "interest": interest, "borrowed": borrowed, "repaid": repaid, "debt": self.debt,
                "termination_fees": fees,
            }  # fmt: skip
            for name, value in values.items():
                rec[name][t] = value
            if self.cash < 0:
                self.firm.alive = False
                self.bankrupt_month = t
                self.breaking = self.last_signed
                rec["alive"][t] = 0.0
            self.compete(t, train, dem, v)
            self.record_position(t)

    def borrow(self, served: float, net: float) -> tuple[float, float]:
        """The credit line after this month's raise: lenders call debt above the covenant,
        a shortfall is borrowed up to the limit, positive net cash flow repays. Returns
        (borrowed, repaid) [USD]."""
        p = self.p
        repaid = max(0.0, self.debt - p["finance.debt.covenant"] * served)
        self.debt -= repaid
        self.cash -= repaid
        borrowed = 0.0
        if self.cash < 0:
            borrowed = min(-self.cash, max(0.0, p["finance.debt.limit"] * served - self.debt))
        elif net > 0 and self.debt > 0:
            pay = min(self.debt, net, self.cash)
            repaid += pay
            self.debt -= pay
            self.cash -= pay
        self.debt += borrowed
        self.cash += borrowed
        return borrowed, repaid

    def record_position(self, t: int) -> None:
        """Training compute, relative capability and demand share at the end of month t."""
        rec = self.rec
        rec["training_compute"][t] = self.lab
        if self.competing:
            rec["relative_capability"][t] = math.log2(self.lab / self.rivals)
            base = float(self.demand[t])
            share = (
                self.p["competition.initial_share"] * self.seen[t] / base if base > 0 else math.nan
            )
            rec["demand_share"][t] = share
        else:
            rec["relative_capability"][t] = math.nan
            rec["demand_share"][t] = math.nan

    # --- hooks the market overrides (sim/build/reference_market.py) ----------------------
    def free(self, start: int, end: int) -> float:
        """Industry supply left free over [start, end) [GW]: unlimited for a lone lab."""
        return math.inf

    def new_price(self) -> float:
        """Price of a contract signed now [USD/GW-yr]."""
        return self.firm.price

    def sublease_price(self) -> float:
        """Price a subleased GW-year recovers before the recovery share [USD/GW-yr]."""
        return self.firm.price

    def ration(self, t: int, start: int, due: int, length: int, gw: float) -> float:
        """GW of the lab's review order granted against the rivals' [GW]."""
        return gw

    def market_month(self, t: int, dem: float) -> float:
        """The demand the lab faces in month t [USD/yr] (the market adds rivals' overflow)."""
        return dem

    def lab_rev_per_gw(self, t: int) -> float:
        """Revenue one GW of the lab's inference earns in month t [USD/GW-yr]."""
        return self.rev_per_gw(t)

    def rivals_training_gw(self, t: int) -> float:
        """GW the rivals train on in month t: a share of industry supply [GW]."""
        return self.p["competition.rivals_share_of_industry"] * self.industry(t)

    def obligations_at_end(self) -> float:
        """Take-or-pay still owed after the horizon, nominal [USD]."""
        total = 0.0
        for c in self.firm.book:
            months_left = max(0, c.end - max(c.start, self.horizon))
            total += c.cost * months_left
        return total

    def run(self) -> None:
        self.initial_contracts()
        self.env.process(self.facing())
        self.env.process(self.deals())
        self.env.process(self.reviews())
        self.env.process(self.accounting())
        self.env.run(until=self.months)


def simulate_reference(
    scenario: Scenario, inputs: SampledInputs | None = None, n: int | None = None
) -> dict[str, np.ndarray]:
    """Simulate paths one by one with SimPy events; same outputs as ``simulate_block``.

    Parameters
    ----------
    scenario : Scenario
        Validated scenario.
    inputs : SampledInputs, optional
        The engine's random inputs; default: block 0 of ``scenario.simulation.paths``
        (or ``n``) paths.

    Returns
    -------
    dict of numpy.ndarray
        :data:`sim.model.engine.MONTHLY` records, shape (n, months) ([GW], [USD/month],
        [USD/yr] as in the engine) over the horizon and run-off, ``bankrupt_month`` (n,),
        -1 if never bankrupt, ``obligations_at_end`` [USD] and ``truncated_gw`` [GW].
    """
    from .reference_market import MarketPath

    kind = _Path if scenario.market is None else MarketPath
    slips = slip_table(scenario)
    if inputs is None:
        months = total_months(scenario, max_slip(slips))
        inputs = sample_inputs(scenario, n or scenario.simulation.paths, 0, months=months)
    demand = potential_demand(scenario, inputs)
    pilot = pilot_demand(scenario, inputs.months)
    out: dict[str, list[list[float]]] = {name: [] for name in MONTHLY}
    bankrupt, owed, truncated, deals_cut, debt, dcf, breaking = [], [], [], [], [], [], []
    for i in range(inputs.n):
        params = {k: float(v[i]) for k, v in inputs.params.items()}
        path = kind(scenario, params, demand[i], inputs.slip_u[i], slips, pilot)
        path.run()
        for name in MONTHLY:
            out[name].append(path.rec[name])
        bankrupt.append(path.bankrupt_month)
        owed.append(path.obligations_at_end())
        truncated.append(path.truncated + sum(path.truncated_deals))
        deals_cut.append(path.truncated_deals)
        debt.append(path.rec["debt"][scenario.months - 1])
        dcf.append(path.dcf)
        breaking.append(path.breaking)
    res = {name: np.array(rows, dtype=float) for name, rows in out.items()}
    res["bankrupt_month"] = np.array(bankrupt, dtype=int)
    res["obligations_at_end"] = np.array(owed)
    res["truncated_gw"] = np.array(truncated)
    res["truncated_by_deal"] = np.array(deals_cut, dtype=float).reshape(
        inputs.n, len(scenario.deals)
    )
    res["debt_at_end"] = np.array(debt)
    res["discounted_cash_flow"] = np.array(dcf)
    res["breaking_commitment_month"] = np.array(breaking)
    return res
