"""The market in the SimPy reference (docs/model.md section 5d), written from the docs
independently of the kernel (sim/model/kernel/market.py), for the differential test.

Events within a month: the market's demand and the lab's share (``DEMAND_OFFSET``), deals,
the rivals' review (they say what they want), the lab's review (same-month orders are
rationed pro rata to their size), the rivals sign what they got, then the month's
accounting serves customers, clears the spot price and sets next month's contract price.
"""

from __future__ import annotations

import math
from typing import Any

from sim.model.scenario import Adaptive, FixedSchedule, Scenario

from .reference import DEMAND_OFFSET, REVIEW_OFFSET, _Path
from .reference_contracts import Firm, whole_month_slip
from .reference_plans import adaptive_plan, growth_plan, toward_ceiling

RIVALS_REVIEW_OFFSET = REVIEW_OFFSET - 0.01
"""The rivals decide what they want after the month's deals, before the lab's review."""
RIVALS_SIGN_OFFSET = REVIEW_OFFSET + 0.01
"""The rivals sign what rationing left them after the lab's review."""


def _review_months(first: int, every: int, horizon: int) -> list[int]:
    return [first] + [m for m in range(0, horizon, every) if m > first]


class MarketPath(_Path):
    """One path of a lab in a market it shares with an aggregate rival."""

    def __init__(self, scenario: Scenario, p: dict[str, float], *path_inputs: Any) -> None:
        """``path_inputs``: the demand, slip draws, slip table and pilot of the lone lab's path."""
        super().__init__(scenario, p, *path_inputs)
        self.rivals_firm = Firm(self.env, p["compute.price_per_gw_year"])
        self.market_demand: list[float] = []
        self.sigma: list[float] = []
        self.seen_rivals: list[float] = []
        self.contract_price = p["compute.price_per_gw_year"]
        self.spot = self.contract_price
        self.r_training = 0.0
        self.pending: dict[int, float] = {}  # rivals' orders of the month [GW]
        self.rationed: set[int] = set()  # months whose rivals' order was rationed
        self.lead = round(p["compute.lead_time_months"])
        self.length = max(1, round(12 * p["compute.contract_years"]))
        policy = scenario.policy
        self.lab_months: list[int] = (
            []
            if isinstance(policy, FixedSchedule)
            else _review_months(policy.first_review_months, policy.review_months, self.horizon)
        )
        gw0 = p["compute.initial_gw"] + p["market.rivals_initial_gw"]
        rpg0 = self.rev_per_gw(0)
        self.x0 = float(self.demand[0]) / rpg0 / (gw0 if gw0 > 0 else 1.0)

    # --- prices and supply ------------------------------------------------------------
    def price_at(self, log_x: float, slope: float) -> float:
        """Logistic in log tightness between floor and cap, the start's price at x = 1."""
        p = self.p
        ref = p["compute.price_per_gw_year"]
        if slope == 0:
            return ref
        floor, cap = p["market.price_floor_per_gw_year"], p["market.price_cap_per_gw_year"]
        return floor + (cap - floor) / (1 + (cap - ref) / (ref - floor) * math.exp(-slope * log_x))

    def free(self, start: int, end: int) -> float:
        """Least supply left free by both firms over every month of [start, end) [GW]."""
        left = [
            self.industry(m) - self.firm.committed_at(m) - self.rivals_firm.committed_at(m)
            for m in range(start, end)
        ]
        return max(0.0, min(left)) if left else math.inf

    def new_price(self) -> float:
        return self.contract_price

    def sublease_price(self) -> float:
        return self.spot

    @staticmethod
    def _pro_rata(lab: float, rivals: float, free: float) -> tuple[float, float]:
        total = lab + rivals
        if total <= free or total <= 0:
            return lab, rivals
        scale = max(free, 0.0) / total
        return lab * scale, rivals * scale

    def ration(self, t: int, start: int, due: int, length: int, gw: float) -> float:
        free = min(self.free(start, start + length), self.free(due, due + length))
        granted, self.pending[t] = self._pro_rata(gw, self.pending.get(t, 0.0), free)
        self.rationed.add(t)
        return granted

    # --- processes --------------------------------------------------------------------
    def initial_contracts(self) -> None:
        p = self.p
        self.rivals_firm.sign(
            p["market.rivals_initial_gw"], 0, round(12 * p["compute.initial_contract_years_left"])
        )
        super().initial_contracts()

    def facing(self):
        """Process: the market's demand (at most its ceiling) and the lab's share of it."""
        p = self.p
        s0, ceiling = p["competition.initial_share"], p["demand.ceiling"]
        for t in range(self.months):
            yield self.env.timeout(t + DEMAND_OFFSET - self.env.now)
            market = min(float(self.demand[t]), ceiling)
            if s0 >= 1:
                share = whole = 1.0
            else:  # odds: the lab's models against the rivals'
                attraction = s0 * math.exp(self.log_m)
                share = attraction * self.loss / (attraction * self.loss + (1 - s0))
                whole = attraction / (attraction + (1 - s0))
            lab = market * share
            self.market_demand.append(market)
            self.sigma.append(share)
            self.seen.append(lab)
            self.seen_rivals.append(market - lab)
            self.lost.append(market * (whole - share) / 12)

    def rivals_plan(self, t: int, d: int) -> float:
        """Market demand the rivals plan to serve at month d [USD/yr] (section 3 rules)."""
        pol, p, seen = self.s.market.rivals_policy, self.p, self.seen_rivals  # type: ignore[union-attr]
        key = "market.rivals_policy."
        now = seen[t]
        if now <= 0:
            return 0.0
        if isinstance(pol, Adaptive):
            planned = adaptive_plan(now, seen[0], t, d, p[key + "prior_growth"],
                                    p[key + "prior_weight_years"], p[key + "haircut"])  # fmt: skip
        else:
            planned = growth_plan(now, p[key + "planned_growth"], t, d)
        if not pol.plan_to_ceiling:
            return planned
        return toward_ceiling(planned, now, p["demand.ceiling"])

    def rivals_review(self):
        """Process: at each of their reviews the rivals want what their plan needs."""
        pol = self.s.market.rivals_policy  # type: ignore[union-attr]
        share = 1 - self.p["market.rivals_training_share"]
        for t in _review_months(pol.first_review_months, pol.review_months, self.horizon):
            yield self.env.timeout(t + RIVALS_REVIEW_OFFSET - self.env.now)
            d = t + self.lead
            want = self.rivals_plan(t, d) / (self.rev_per_gw(d) * share)
            self.pending[t] = max(want - self.rivals_firm.committed_at(d), 0.0)

    def rivals_sign(self):
        """Process: the rivals sign what rationing left them, at this month's price."""
        pol = self.s.market.rivals_policy  # type: ignore[union-attr]
        for t in _review_months(pol.first_review_months, pol.review_months, self.horizon):
            yield self.env.timeout(t + RIVALS_SIGN_OFFSET - self.env.now)
            q = self.pending.pop(t, 0.0)
            d = t + self.lead
            if t not in self.rationed:
                if t in self.lab_months:  # the lab's review month, the lab bankrupt: 0 GW
                    j = self.lab_months.index(t)
                    start = d + whole_month_slip(self.slips, float(self.slip_u[j]))
                    free = min(self.free(start, start + self.length),
                               self.free(d, d + self.length))  # fmt: skip
                    q = self._pro_rata(0.0, q, free)[1]
                else:  # first come, first served
                    q = min(q, self.free(d, d + self.length))
            if q > 0:
                self.rivals_firm.sign(q, d, self.length, self.contract_price)

    def market_month(self, t: int, dem: float) -> float:
        """Serve both firms' customers (overflow to the other's idle inference), record the
        market, clear the spot price; returns the demand the lab faced [USD/yr]."""
        p, rec = self.p, self.rec
        booked = self.firm.online_gw()
        cap = booked if self.firm.alive else 0.0
        r = self.rev_per_gw(t)
        self.premium = self.pricing_power()
        limit = (1 - p["allocation.min_training_share"]) * cap * r * self.premium
        own = min(dem, limit)
        market = self.market_demand[t]
        rivals_gw = self.rivals_firm.online_gw()
        rivals_limit = (1 - p["market.rivals_training_share"]) * rivals_gw * r
        rivals_served = min(market - dem, rivals_limit)
        to_rivals = max(min(dem - own, rivals_limit - rivals_served), 0.0)
        won = max(min(market - dem - rivals_served, limit - own), 0.0)
        if won > 0:
            dem += won
        served = min(dem, limit)
        rivals_served += to_rivals
        self.r_training = rivals_gw - rivals_served / r
        online = booked + rivals_gw
        if online <= 0:
            log_x = math.inf
        elif market <= 0:
            log_x = -math.inf
        else:
            log_x = math.log(market / r / online / self.x0)
        self.spot = self.price_at(log_x, p["market.spot_price_elasticity"])
        unserved = dem / 12 - served / 12
        values = {
            "market_demand": market, "rivals_gw": rivals_gw, "industry_gw": self.industry(t),
            "contract_price": self.contract_price, "spot_price": self.spot,
            "lost_to_rivals": to_rivals / 12, "unserved_by_market": unserved - to_rivals / 12,
            "market_served": served + rivals_served,
        }  # fmt: skip
        for name, value in values.items():
            rec[name][t] = value
        self.contract_price = self.price_at(log_x, p["market.contract_price_elasticity"])
        return dem

    def pricing_power(self) -> float:
        """The lab's revenue per GW over the market's: ((E/R)/(E0/R0))^k, within 1e6x either
        way (docs/model.md 5d), from the training stocks after last month."""
        p = self.p
        k = p["market.capability_price_exponent"]
        if k == 0 or p["competition.initial_share"] >= 1:  # alone: no rival to beat
            return 1.0
        bound = math.log(1e6)
        if self.lab <= 0 or self.rivals <= 0:
            return math.exp(bound if self.rivals <= 0 < self.lab else -bound)
        start = p["competition.lab_training_gw_years"] / p["competition.rivals_training_gw_years"]
        return math.exp(min(max(k * math.log(self.lab / self.rivals / start), -bound), bound))

    def lab_rev_per_gw(self, t: int) -> float:
        return self.rev_per_gw(t) * self.premium

    def rivals_training_gw(self, t: int) -> float:
        return self.r_training

    def record_position(self, t: int) -> None:
        super().record_position(t)
        self.rec["demand_share"][t] = self.sigma[t]

    def run(self) -> None:
        self.env.process(self.rivals_review())
        self.env.process(self.rivals_sign())
        super().run()
