"""The SimPy reference's contract book: take-or-pay contracts, the firm that holds them and
the whole-month build slip of a new contract (docs/model.md sections 3 and 6b).

Time unit: months; a contract is online in ``[start, end)`` and costs ``cost`` [USD/month]
in each of those months, used or not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy


@dataclass
class Contract:
    gw: float
    start: int
    end: int  # exclusive [month]
    cost: float  # [USD/month]


@dataclass
class Firm:
    """State of one path; ``book`` is every contract signed, ``online`` those running now."""

    env: simpy.Environment
    price: float
    book: list[Contract] = field(default_factory=list)
    online: dict[int, Contract] = field(default_factory=dict)
    alive: bool = True
    last_end: int = 0  # month the last contract with GW expires (exclusive)

    def committed_at(self, month: int) -> float:
        """GW under signed contracts in ``month`` (whether online yet or not)."""
        total = 0.0
        for c in self.book:
            if c.start <= month < c.end:
                total += c.gw
        return total

    def sign(self, gw: float, start: int, length: int, price: float | None = None) -> None:
        c = Contract(gw, start, start + length, gw * (price or self.price) / 12.0)
        if gw > 0:
            self.last_end = max(self.last_end, c.end)
        self.book.append(c)
        self.env.process(run_contract(self.env, self, len(self.book) - 1, c))

    def owed_from(self, month: int) -> float:
        """Take-or-pay still owed from ``month`` on, nominal [USD]."""
        return sum(c.cost * max(0, c.end - max(c.start, month)) for c in self.book)

    def cancel(self, now: int, due: int, excess: float, fee_share: float) -> tuple[float, float]:
        """Cancel up to ``excess`` GW of contracts covering ``due`` that are not online yet,
        latest signed first; the fee is ``fee_share`` of their cancelled value.
        Returns (GW cancelled, fee [USD])."""
        done, fee = 0.0, 0.0
        for c in reversed(self.book):
            if excess - done <= 0:
                break
            if now < c.start <= due < c.end and c.gw > 0:
                cut = min(c.gw, excess - done)
                per_gw_month = c.cost / c.gw
                fee += fee_share * cut * per_gw_month * (c.end - c.start)
                c.cost -= cut * per_gw_month
                c.gw -= cut
                done += cut
        self.last_end = max((c.end for c in self.book if c.gw > 0), default=0)
        return done, fee

    def online_gw(self) -> float:
        return sum((self.online[k].gw for k in sorted(self.online)), 0.0)

    def online_cost(self) -> float:
        return sum((self.online[k].cost for k in sorted(self.online)), 0.0)


def run_contract(env: simpy.Environment, firm: Firm, key: int, c: Contract):
    """Process: a contract comes online at its start month and expires at its end."""
    yield env.timeout(max(0.0, c.start - env.now))
    firm.online[key] = c
    yield env.timeout(c.end - env.now)
    del firm.online[key]


def whole_month_slip(table: np.ndarray | None, u: float) -> int:
    """Whole-month slip: empirical inverse CDF at ``u``, rounded up (docs: build section)."""
    if table is None:
        return 0
    k = min(math.floor(u * len(table)), len(table) - 1)
    return math.ceil(float(table[k]) - 1e-9)
