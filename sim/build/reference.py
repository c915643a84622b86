"""Event-driven SimPy reference of the monthly model, for differential tests of the engine.

Written from ``docs/model.md``, not from :mod:`sim.model.engine`: it loops over paths and, per path,
runs a SimPy environment in which contract starts and expiries, review orders and month-end
accounting are separate events. Time unit: **months**. Month ``t`` is the interval
``[t, t + 1)``; within it the events happen at fixed offsets so their order never depends
on SimPy's tie-breaking:

* ``t + 0``    contract starts and expiries (a contract online in ``[m, m + L)``);
* ``t + 0.1``  the demand the lab faces this month (rivals and churn, from its history);
* ``t + 0.25`` review: a solvent firm signs a contract for delivery at ``t + lead + slip``;
* ``t + 0.5``  accounting: allocation, revenue, costs, raise, cash, bankruptcy.

It consumes exactly the engine's random inputs (:func:`sim.model.sampling.sample_inputs`), the
exogenous potential demand (:func:`sim.model.demand.potential_demand`), the pilot fits of a
quantile policy (coefficients and residuals; the features are recomputed here) and the slip
table; everything else is recomputed here in plain Python scalars. Reviews happen inside the
horizon; the run-off after it ends, per path, when its last contract expires. Slow (about
1 ms per path-year): only for small cases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from sim.model.demand import potential_demand
from sim.model.engine import MONTHLY, max_slip, pilot_demand, slip_table
from sim.model.pilot import Pilot, residual_quantile
from sim.model.sampling import SampledInputs, sample_inputs
from sim.model.scenario import (
    Adaptive,
    DemandQuantile,
    FixedSchedule,
    PlannedGrowth,
    Scenario,
    month_index,
)
from sim.model.timeline import total_months

DEMAND_OFFSET = 0.1
"""Offset of the month's demand (after competition and churn) within its month [months]."""
REVIEW_OFFSET = 0.25
"""Offset of a review within its month [months]."""
ACCOUNT_OFFSET = 0.5
"""Offset of the month's accounting within its month [months]."""


@dataclass
class _Contract:
    gw: float
    start: int
    end: int  # exclusive [month]
    cost: float  # [USD/month]


@dataclass
class _Firm:
    """State of one path; ``book`` is every contract signed, ``online`` those running now."""

    env: simpy.Environment
    price: float
    book: list[_Contract] = field(default_factory=list)
    online: dict[int, _Contract] = field(default_factory=dict)
    alive: bool = True
    last_end: int = 0  # month the last contract with GW expires (exclusive)

    def committed_at(self, month: int) -> float:
        """GW under signed contracts in ``month`` (whether online yet or not)."""
        total = 0.0
        for c in self.book:
            if c.start <= month < c.end:
                total += c.gw
        return total

    def sign(self, gw: float, start: int, length: int) -> None:
        c = _Contract(gw, start, start + length, gw * self.price / 12.0)
        if gw > 0:
            self.last_end = max(self.last_end, c.end)
        self.book.append(c)
        self.env.process(_contract(self.env, self, len(self.book) - 1, c))

    def online_gw(self) -> float:
        return sum((self.online[k].gw for k in sorted(self.online)), 0.0)

    def online_cost(self) -> float:
        return sum((self.online[k].cost for k in sorted(self.online)), 0.0)


def _contract(env: simpy.Environment, firm: _Firm, key: int, c: _Contract):
    """Process: a contract comes online at its start month and expires at its end."""
    yield env.timeout(max(0.0, c.start - env.now))
    firm.online[key] = c
    yield env.timeout(c.end - env.now)
    del firm.online[key]


def _slip(table: np.ndarray | None, u: float) -> int:
    """Whole-month slip: empirical inverse CDF at ``u``, rounded up (docs: build section)."""
    if table is None:
        return 0
    k = min(math.floor(u * len(table)), len(table) - 1)
    return math.ceil(float(table[k]) - 1e-9)


class _Path:
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
        self.firm = _Firm(self.env, p["compute.price_per_gw_year"])
        self.rec = {name: [0.0] * self.months for name in MONTHLY}
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

    # --- parameters as docs/model.md defines them ---------------------------------------
    def rev_per_gw(self, t: int) -> float:
        p = self.p
        g = p["compute.revenue_per_gw_growth"]
        keep = 1.0 - p["compute.price_pass_through"]
        base = p["compute.price_per_gw_year"] / (1.0 - p["economics.gross_margin"])
        return base * g ** (keep * (t / 12))

    def supply(self, t: int) -> float:
        p = self.p
        share = p["compute.max_industry_share"]
        cap = share * p["compute.industry_gw_start"] * p["compute.industry_growth"] ** (t / 12)
        if "compute.industry_gw_max" in p:
            cap = min(cap, share * p["compute.industry_gw_max"])
        return cap

    def planned_demand(self, t: int, d: int) -> float:
        pol, p, seen = self.s.policy, self.p, self.seen
        if isinstance(pol, PlannedGrowth | Adaptive) and pol.plan_to_ceiling:
            multiple = self.unsaturated_plan(t, d) / seen[t]
            ceiling = p["demand.ceiling"]
            return ceiling / (1 + (ceiling / seen[t] - 1) / multiple)
        return self.unsaturated_plan(t, d)

    def unsaturated_plan(self, t: int, d: int) -> float:
        pol, p, seen = self.s.policy, self.p, self.seen
        if isinstance(pol, PlannedGrowth):
            return seen[t] * p["policy.planned_growth"] ** ((d - t) / 12)
        if isinstance(pol, Adaptive):
            prior = math.log(p["policy.prior_growth"])
            tau = t / 12
            if t == 0:
                mu = prior
            else:
                w = p["policy.prior_weight_years"]
                mu = (w * prior + tau * (math.log(seen[t] / seen[0]) / tau)) / (w + tau)
            return seen[t] * math.exp(mu * (1 - p["policy.haircut"]) * (d - t) / 12)
        assert isinstance(pol, DemandQuantile)
        assert self.pilot is not None
        beta, resid = self.pilot.fit(t, d)
        k = min(t, 12)
        trailing = 0.0 if k == 0 else math.log(seen[t] / seen[t - k]) * 12 / k
        x = (1.0, trailing, math.log(seen[t] / p["demand.ceiling"]))
        y = sum(b * xi for b, xi in zip(beta, x, strict=True))
        y += float(residual_quantile(resid, np.array([p["policy.q"]]))[0])
        return seen[t] * math.exp(y)

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
                self.truncated += float(tr.gw) - gw
                slip = _slip(self.slips, float(self.slip_u[k]))
                self.firm.sign(gw, m + slip, max(1, round(12 * float(tr.years))))

    def reviews(self):
        """Process: at each review a solvent firm orders for delivery after the lead time."""
        s, p, firm = self.s, self.p, self.firm
        if isinstance(s.policy, FixedSchedule):
            return
        lead = round(p["compute.lead_time_months"])
        length = max(1, round(12 * p["compute.contract_years"]))
        share = 1 - p["allocation.training_share"]
        for j, t in enumerate(range(0, self.horizon, s.policy.review_months)):
            yield self.env.timeout(t + REVIEW_OFFSET - self.env.now)
            d = t + lead
            if not firm.alive:
                continue
            want = self.planned_demand(t, d) / (self.rev_per_gw(d) * share)
            gw = max(0.0, min(want, self.supply(d)) - firm.committed_at(d))
            self.rec["ordered_gw"][t] = gw
            firm.sign(gw, d + _slip(self.slips, float(self.slip_u[j])), length)

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
            rivals_gw = p[c + "rivals_share_of_industry"] * self.industry(t)
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
            dem = self.seen[t]
            rec["demand"][t] = dem
            rec["unserved"][t] = dem / 12
            rec["cash"][t] = self.cash
            rec["lost"][t] = self.lost[t]
            self.record_position(t)
            if (start_month - 1 + t) % 12 == 0:
                raised_year = 0.0  # a new calendar year starts this month
            if not self.firm.alive:
                self.served.append(0.0)
                continue
            # after the horizon, a path whose last contract has expired is done: no flows
            live = t < self.horizon or t < self.firm.last_end
            cap, r = self.firm.online_gw(), self.rev_per_gw(t)
            v = min(dem, (1 - p["allocation.min_training_share"]) * cap * r)
            self.served.append(v)
            inf = v / r
            train = min(cap - inf, p["allocation.max_training_share"] * cap)
            revenue = v / 12
            compute = self.firm.online_cost()
            other = p["economics.other_costs_share"] * revenue
            fixed = p["economics.fixed_costs_per_year"] / 12 if live else 0.0
            net = revenue - compute - other - fixed
            pre = self.cash + net

            k = min(t, 12)
            if t == 0:
                growing = True
            else:
                before = self.served[t - k]
                ratio = v / before if before > 0 else (math.inf if v > 0 else 0.0)
                try:
                    annual = ratio ** (12 / k)
                except OverflowError:  # revenue grew from almost nothing
                    annual = math.inf
                growing = annual >= p["finance.min_growth_to_raise"]
            short = pre < p["finance.raise_when_runway_months_below"] * max(0.0, -net)
            spaced = last_raise is None or t - last_raise >= f.min_months_between_raises
            size = min(
                p["finance.max_dilution_per_raise"] * p["finance.valuation_multiple"] * v,
                p["finance.max_raise_per_year"] - raised_year,
            )
            raised = size if (live and short and growing and spaced and size > 0) else 0.0
            if raised > 0:
                raised_year += raised
                last_raise = t
            self.cash = pre + raised

            values = {
                "capacity_gw": cap, "inference_gw": inf, "training_gw": train,
                "idle_gw": cap - inf - train, "revenue": revenue, "unserved": dem / 12 - revenue,
                "compute_cost": compute, "other_cost": other, "fixed_cost": fixed,
                "raised": raised, "cash": self.cash, "alive": 1.0,
            }  # fmt: skip
            for name, value in values.items():
                rec[name][t] = value
            if self.cash < 0:
                self.firm.alive = False
                self.bankrupt_month = t
                rec["alive"][t] = 0.0
            self.compete(t, train, dem, v)
            self.record_position(t)

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
    slips = slip_table(scenario)
    if inputs is None:
        months = total_months(scenario, max_slip(slips))
        inputs = sample_inputs(scenario, n or scenario.simulation.paths, 0, months=months)
    demand = potential_demand(scenario, inputs)
    pilot = pilot_demand(scenario, inputs.months)
    out: dict[str, list[list[float]]] = {name: [] for name in MONTHLY}
    bankrupt, owed, truncated = [], [], []
    for i in range(inputs.n):
        params = {k: float(v[i]) for k, v in inputs.params.items()}
        path = _Path(scenario, params, demand[i], inputs.slip_u[i], slips, pilot)
        path.run()
        for name in MONTHLY:
            out[name].append(path.rec[name])
        bankrupt.append(path.bankrupt_month)
        owed.append(path.obligations_at_end())
        truncated.append(path.truncated)
    res = {name: np.array(rows, dtype=float) for name, rows in out.items()}
    res["bankrupt_month"] = np.array(bankrupt, dtype=int)
    res["obligations_at_end"] = np.array(owed)
    res["truncated_gw"] = np.array(truncated)
    return res
