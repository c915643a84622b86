"""Validated scenario: the user-facing contract, as frozen pydantic models.

No file IO lives here (see :mod:`sim.model.io`). Any numeric model parameter is a ``Param``:
either a plain number or a distribution ``{dist: ...}`` sampled once per path. Ranges are
checked against the whole support of a distribution, so a margin drawn from
``uniform(0.5, 1.2)`` is rejected instead of being silently clamped.

The schema is split by section into modules of this package (``params``: value types and
limits; ``sections``: numeric sections; ``policies``: purchase policies, deals,
correlations, backtest; ``market``: the shared market); every name stays importable from
``sim.model.scenario``.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field, model_validator

from sim.model.actuals import Actuals, check_dates
from sim.model.distributions import support

from .market import Market, RivalsPolicy  # noqa: F401 (re-exported)
from .params import (  # noqa: F401 (re-exported)
    _DIST_ADAPTER,
    _DIST_KIND_TAGS,
    _MONTH_RE,
    MAX_CEILING,
    MAX_GW,
    MAX_GW_YEARS,
    MAX_RATIO,
    MAX_TOTAL_MONTHS,
    MAX_USD,
    MIN_GROWTH,
    MIN_PRICE,
    Growth,
    Month,
    Multiplier,
    NonNeg,
    Param,
    Positive,
    UnitClosed,
    UnitHalfOpen,
    UsdNonNeg,
    _in_range,
    _largest_draw,
    _Model,
    _parse_month,
    _parse_param,
    month_index,
)
from .policies import (  # noqa: F401 (re-exported)
    MAX_TRANCHE_YEARS_AFTER_HORIZON,
    POLICY_KINDS,
    Adaptive,
    Backtest,
    Correlation,
    Deal,
    DemandQuantile,
    FixedSchedule,
    PlannedGrowth,
    Policy,
    Signpost,
    Tranche,
    _first_review,
    _signpost,
)
from .sections import (
    Allocation,
    CapabilityJump,
    Competition,
    Compute,
    CreditLimit,
    Debt,
    Demand,
    Economics,
    Finance,
    Simulation,
)

SECTIONS = (
    "demand", "compute", "allocation", "economics", "finance", "policy", "competition", "market",
)  # fmt: skip
"""Scenario sections holding numeric model parameters."""


_last_fields: tuple[Scenario, dict[str, object]] | None = None
"""The last scenario :func:`numeric_fields` read, and what it found (scenarios are frozen)."""


def numeric_fields(scenario: Scenario) -> dict[str, object]:
    """Dotted name -> number or distribution, for every numeric model parameter drawn once
    per path (``demand.growth`` is drawn per year and is not included).

    A run asks this of the same scenario several times per block of paths (~0.2 ms each):
    the last answer is kept and a copy handed out."""
    global _last_fields
    last = _last_fields
    if last is not None and last[0] is scenario:
        return dict(last[1])
    out = _numeric_fields(scenario)
    _last_fields = (scenario, out)
    return dict(out)


def _numeric_fields(scenario: Scenario) -> dict[str, object]:
    out: dict[str, object] = {}
    for section in SECTIONS:
        model = getattr(scenario, section)
        if model is None:
            continue
        for name in type(model).model_fields:
            value = getattr(model, name)
            if section == "demand" and name == "growth":
                continue  # drawn per year
            if isinstance(value, CapabilityJump):
                for sub in ("at_year", "multiplier"):
                    out[f"demand.capability_jump.{sub}"] = getattr(value, sub)
            elif isinstance(value, Debt | CreditLimit):
                for sub in type(value).model_fields:
                    out[f"{section}.{name}.{sub}"] = getattr(value, sub)
            elif isinstance(value, PlannedGrowth | Adaptive):  # market.rivals_policy
                for sub in type(value).model_fields:
                    number = getattr(value, sub)
                    if isinstance(number, float) or hasattr(number, "ppf"):
                        out[f"{section}.{name}.{sub}"] = number
            elif isinstance(value, float) or hasattr(value, "ppf"):
                out[f"{section}.{name}"] = value
    return out


def _is_random(scenario: Scenario, name: str) -> bool:
    value = scenario.demand.growth if name == "demand.growth" else numeric_fields(scenario)[name]
    lo, hi = support(value)  # type: ignore[arg-type]
    return lo < hi


def correlation_matrix(
    scenario: Scenario, only_random: bool = True
) -> tuple[list[str], list[list[float]]]:
    """Names (in order of first mention) and the matrix of Gaussian-copula correlations
    ``2 sin(pi r / 6)`` that gives rank correlation ``r`` between each listed pair.

    A parameter set to a plain number has no rank to correlate: with ``only_random`` such
    parameters (and their pairs) are left out, so a sweep may fix any of them.
    """
    names: list[str] = []
    for c in scenario.correlations:
        names += [p for p in c.params if p not in names]
    if only_random:
        names = [p for p in names if _is_random(scenario, p)]
    pairs = [c for c in scenario.correlations if all(p in names for p in c.params)]
    k = len(names)
    mat = [[1.0 if i == j else 0.0 for j in range(k)] for i in range(k)]
    for c in pairs:
        i, j = names.index(c.params[0]), names.index(c.params[1])
        mat[i][j] = mat[j][i] = 2.0 * math.sin(math.pi * c.rank / 6.0)
    return names, mat


def _positive_definite(mat: list[list[float]], tol: float = 1e-9) -> bool:
    """Cholesky in plain Python (a few parameters; the schema loads without numpy)."""
    k = len(mat)
    low = [[0.0] * k for _ in range(k)]
    for i in range(k):
        for j in range(i + 1):
            acc = mat[i][j] - sum(low[i][m] * low[j][m] for m in range(j))
            if i == j:
                if acc <= tol:
                    return False
                low[i][i] = math.sqrt(acc)
            else:
                low[i][j] = acc / low[j][j]
    return True


class Scenario(_Model):
    """A complete, validated scenario."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    simulation: Simulation = Field(default_factory=Simulation)
    demand: Demand
    compute: Compute = Field(default_factory=Compute)
    allocation: Allocation = Field(default_factory=Allocation)
    economics: Economics = Field(default_factory=Economics)
    finance: Finance = Field(default_factory=Finance)
    policy: Policy
    correlations: tuple[Correlation, ...] = Field(
        default=(), max_length=50, description="rank correlations between draws"
    )
    competition: Competition | None = Field(
        None, description="rivals and the returns to training compute; null: no feedback"
    )
    deals: tuple[Deal, ...] = Field(
        default=(), max_length=100, description="compute deals on top of the policy's orders"
    )
    backtest: Backtest | None = Field(None, description="observed figures for the report")
    market: Market | None = Field(
        None, description="a market shared with rivals, prices that clear; null: a lone lab"
    )
    actuals: Actuals | None = Field(None, description="observed months the run conditions on")

    @property
    def as_of(self) -> str | None:
        """Last month of history ('YYYY-MM'): ``simulation.as_of`` or the last actual's."""
        if self.actuals is None:
            return None
        return self.simulation.as_of or self.actuals.points[-1].month

    @property
    def months(self) -> int:
        """Decision horizon [months]: reviews happen inside it (run-off follows)."""
        return 12 * self.simulation.years

    @model_validator(mode="after")
    def _tranches_in_horizon(self) -> Scenario:
        if isinstance(self.policy, FixedSchedule):
            for i, tr in enumerate(self.policy.tranches):
                idx = month_index(tr.start, self.simulation.start)
                if idx < 0:
                    raise ValueError(
                        f"policy.tranches[{i}].start {tr.start} is before simulation.start "
                        f"{self.simulation.start}; capacity signed earlier belongs in "
                        "compute.initial_gw"
                    )
                if idx >= self.months + 12 * MAX_TRANCHE_YEARS_AFTER_HORIZON:
                    raise ValueError(
                        f"policy.tranches[{i}].start {tr.start} is more than "
                        f"{MAX_TRANCHE_YEARS_AFTER_HORIZON} years after the horizon ends; "
                        "extend simulation.years or move the tranche"
                    )
        return self

    @model_validator(mode="after")
    def _deals_dated(self) -> Scenario:
        for i, d in enumerate(self.deals):
            signed = month_index(d.signed or self.simulation.start, self.simulation.start)
            start = month_index(d.start, self.simulation.start)
            if not 0 <= signed < self.months:
                raise ValueError(
                    f"deals[{i}].signed {d.signed} must lie inside the horizon "
                    f"({self.simulation.start} + {self.simulation.years} years)"
                )
            if start < signed:
                raise ValueError(
                    f"deals[{i}].start {d.start} is before it is signed "
                    f"({d.signed or self.simulation.start})"
                )
            if start >= self.months + 12 * MAX_TRANCHE_YEARS_AFTER_HORIZON:
                raise ValueError(
                    f"deals[{i}].start {d.start} is more than {MAX_TRANCHE_YEARS_AFTER_HORIZON} "
                    "years after the horizon ends"
                )
        return self

    @model_validator(mode="after")
    def _reviews_in_horizon(self) -> Scenario:
        first = getattr(self.policy, "first_review_months", 0)
        if first >= self.months:
            raise ValueError(
                f"policy.first_review_months {first} is not inside the horizon of "
                f"{self.months} months: the policy would never order"
            )
        signpost = getattr(self.policy, "signpost", None)
        if signpost is not None:
            idx = month_index(signpost.by, self.simulation.start)
            if not 0 < idx < self.months:
                raise ValueError(
                    f"policy.signpost.by {signpost.by} must lie after simulation.start "
                    f"{self.simulation.start} and inside the {self.simulation.years}-year horizon"
                )
        return self

    @model_validator(mode="after")
    def _market_consistent(self) -> Scenario:
        m = self.market
        if m is None:
            return self
        if self.competition is None:
            raise ValueError(
                "market needs a competition section: competition.initial_share is the lab's "
                "share of market demand at the start and competition.elasticity moves it"
            )
        price = support(self.compute.price_per_gw_year)
        if price[0] <= support(m.price_floor_per_gw_year)[1]:
            raise ValueError(
                "market.price_floor_per_gw_year must lie below compute.price_per_gw_year "
                "(the price at the start's tightness) for every path"
            )
        if price[1] >= support(m.price_cap_per_gw_year)[0]:
            raise ValueError(
                "market.price_cap_per_gw_year must lie above compute.price_per_gw_year "
                "for every path"
            )
        if support(self.compute.industry_growth)[0] < 1.0:
            raise ValueError(
                "compute.industry_growth must be at least 1 with a market (supply that "
                "shrinks would break contracts already rationed against it)"
            )
        first = m.rivals_policy.first_review_months
        if first >= self.months:
            raise ValueError(
                f"market.rivals_policy.first_review_months {first} is not inside the horizon "
                f"of {self.months} months: rivals would never order"
            )
        return self

    @model_validator(mode="after")
    def _build_work_bounded(self) -> Scenario:
        """The SimPy slip model splits orders into projects: bound its work."""
        spec = self.compute.build
        if spec is None:
            return self
        from sim.build.spec import MAX_BUILD_PROJECTS, MAX_PROJECTS_PER_ORDER

        order_gw = max(1.0, support(self.compute.initial_gw)[1])  # the representative order
        per_order = spec.n_projects(order_gw)
        if per_order > MAX_PROJECTS_PER_ORDER:
            raise ValueError(
                f"compute.build.project_gw {spec.project_gw:g} GW splits an order of "
                f"{order_gw:g} GW into {per_order:,} projects; at most "
                f"{MAX_PROJECTS_PER_ORDER:,} are allowed (raise project_gw to at least "
                f"{order_gw / MAX_PROJECTS_PER_ORDER:.3g} GW)"
            )
        orders = (
            1
            if isinstance(self.policy, FixedSchedule)
            else len(range(0, self.months, self.policy.review_months))
        )
        total = spec.replications * orders * per_order
        if total > MAX_BUILD_PROJECTS:
            raise ValueError(
                f"compute.build: the slip model would simulate {total:,} projects "
                f"(replications {spec.replications:,} x {orders} orders x {per_order:,} "
                f"projects per order); at most {MAX_BUILD_PROJECTS:,}: lower "
                "compute.build.replications or raise compute.build.project_gw"
            )
        return self

    @model_validator(mode="after")
    def _correlations_valid(self) -> Scenario:
        if not self.correlations:
            return self
        fields = {"demand.growth": self.demand.growth, **numeric_fields(self)}
        seen: set[frozenset[str]] = set()
        for i, c in enumerate(self.correlations):
            where = f"correlations[{i}]"
            for name in c.params:
                if name not in fields:
                    import difflib

                    hint = difflib.get_close_matches(name, sorted(fields), n=1)
                    did = f"; did you mean '{hint[0]}'?" if hint else ""
                    raise ValueError(f"{where}: unknown parameter '{name}'{did}")
            if c.params[0] == c.params[1]:
                raise ValueError(f"{where}: a parameter cannot be correlated with itself")
            pair = frozenset(c.params)
            if pair in seen:
                raise ValueError(f"{where}: the pair {list(c.params)} is listed twice")
            seen.add(pair)
        names, mat = correlation_matrix(self, only_random=False)
        if not _positive_definite(mat):
            raise ValueError(
                "correlations: these rank correlations cannot hold together (the correlation "
                f"matrix of {names} is not positive definite); weaken some of them"
            )
        return self

    @model_validator(mode="after")
    def _backtest_in_horizon(self) -> Scenario:
        if self.backtest is None:
            return self
        for series in ("revenue_run_rate", "capacity_gw"):
            for month in getattr(self.backtest, series):
                idx = month_index(month, self.simulation.start)
                if not 0 <= idx < self.months:
                    raise ValueError(
                        f"backtest.{series}: month {month} lies outside the horizon "
                        f"{self.simulation.start} + {self.simulation.years} years"
                    )
        return self

    @model_validator(mode="after")
    def _actuals_dated(self) -> Scenario:
        check_dates(self.actuals, self.simulation.start, self.months, self.simulation.as_of)
        return self

    def replace(self, **updates: Any) -> Scenario:
        """Copy with dotted-path updates, re-validated: ``s.replace(**{"policy.q": 0.9})``."""
        data = self.model_dump(by_alias=True, exclude_none=True)
        for dotted, value in updates.items():
            set_dotted(data, dotted, value)
        return Scenario.model_validate(data)


def lone_lab(scenario: Scenario) -> Scenario:
    """The same lab alone: without ``market`` and ``competition``, its potential demand the
    lab's share of the market's (``demand.initial_revenue`` x ``competition.initial_share``).
    A scenario without a market is returned as is."""
    if scenario.market is None:
        return scenario
    share = scenario.competition.initial_share  # type: ignore[union-attr]
    if not isinstance(share, float):
        raise ValueError("lone_lab needs a plain number for competition.initial_share")
    revenue = scenario.demand.initial_revenue
    if not isinstance(revenue, float):
        raise ValueError("lone_lab needs a plain number for demand.initial_revenue")
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    data.pop("market")
    data.pop("competition")
    data["demand"]["initial_revenue"] = revenue * share
    return Scenario.model_validate(data)


def set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``data['a']['b'] = value`` for ``dotted='a.b'``, creating no new sections; a
    number addresses a list item (``deals.0.gw``, ``policy.tranches.1.gw``)."""
    keys = dotted.split(".")
    node: Any = data
    for key in keys[:-1]:
        if isinstance(node, list):
            node = node[_index(node, key, dotted)]
            continue
        child = node.get(key) if isinstance(node, dict) else None
        if isinstance(child, tuple):  # model_dump gives tuples for tuple fields
            child = node[key] = list(child)
        if not isinstance(child, dict | list):
            raise KeyError(f"no section '{key}' in '{dotted}'")
        node = child
    if isinstance(node, list):
        node[_index(node, keys[-1], dotted)] = value
    else:
        node[keys[-1]] = value


def _index(items: list, key: str, dotted: str) -> int:
    if not key.isdigit() or int(key) >= len(items):
        raise KeyError(f"no item '{key}' in '{dotted}' (it has {len(items)})")
    return int(key)
