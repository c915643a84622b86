"""Vectorised Monte Carlo engine: monthly steps, paths along the leading axis.

Data flow: :func:`sim.model.sampling.sample_inputs` draws everything random for a block of paths,
:func:`simulate_block` is a pure function of those draws, :func:`run` loops over blocks and
assembles :class:`sim.model.results.Results`. Equations are documented in ``docs/model.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from .demand import potential_demand
from .pilot import Pilot
from .policies import ReviewContext, plan_demand, review_months
from .results import Accumulator, Results, aggregate_years, calendar_years
from .rng import blocks
from .sampling import SampledInputs, sample_inputs
from .scenario import DemandQuantile, FixedSchedule, Scenario, month_index
from .timeline import total_months

MONTHLY = (
    "demand", "capacity_gw", "inference_gw", "training_gw", "idle_gw", "revenue", "unserved",
    "compute_cost", "other_cost", "fixed_cost", "raised", "cash", "ordered_gw", "alive",
)  # fmt: skip
"""Per path-month records: run-rates in [USD/yr], flows in [USD/month], GW in [GW]."""

ProgressFn = Callable[[int, int], None]
MapFn = Callable[[Callable[..., "BlockResult"], list[tuple]], Iterable["BlockResult"]]


def add_contracts(
    gw_by_month: np.ndarray,
    cost_by_month: np.ndarray,
    start: np.ndarray,
    length: np.ndarray,
    gw: np.ndarray,
    price: np.ndarray,
) -> None:
    """Add take-or-pay contracts online in months ``[start, start + length)`` (in place).

    ``gw_by_month`` [GW] and ``cost_by_month`` [USD/month] have shape (n, months); the
    other arguments have shape (n,); ``price`` is [USD/GW-yr].
    """
    months = np.arange(gw_by_month.shape[1])
    active = (months >= start[:, None]) & (months < (start + length)[:, None])
    gw_by_month += gw[:, None] * active
    cost_by_month += (gw * price / 12.0)[:, None] * active


def revenue_per_gw(params: dict[str, np.ndarray], months: int) -> np.ndarray:
    """Revenue one inference GW serves, (n, months) [USD/yr].

    ``P / (1 - margin) * eff^((1 - pass_through) t/12)``: efficiency ``eff`` raises what a
    GW serves, and the share ``pass_through`` of it is passed on to customers as lower
    prices, so only the rest raises revenue per GW.
    """
    t = np.arange(months) / 12.0
    price = params["compute.price_per_gw_year"]
    keep = 1.0 - params.get("compute.price_pass_through", np.zeros_like(price))
    return (price / (1.0 - params["economics.gross_margin"]))[:, None] * params[
        "compute.revenue_per_gw_growth"
    ][:, None] ** (keep[:, None] * t)


def supply_cap_gw(params: dict[str, np.ndarray], months: int) -> np.ndarray:
    """Most GW one firm can hold, ``share * min(industry GW, hard limit)``, (n, months) [GW].

    Industry GW grow ``industry_growth``-fold a year from ``industry_gw_start`` until they
    reach ``industry_gw_max`` (wafers, power), if the scenario sets one.
    """
    share = params["compute.max_industry_share"]
    t = np.arange(months) / 12.0
    cap = (share * params["compute.industry_gw_start"])[:, None] * (
        params["compute.industry_growth"][:, None] ** t
    )
    limit = params.get("compute.industry_gw_max")
    if limit is None:
        return cap
    return np.minimum(cap, (share * limit)[:, None])


def _sample_slips(slip_table: np.ndarray | None, u: np.ndarray) -> np.ndarray:
    if slip_table is None:
        return np.zeros(u.shape, dtype=int)
    from sim.build import sample_slips

    return np.asarray(sample_slips(slip_table, u), dtype=int)


def simulate_block(
    scenario: Scenario,
    inputs: SampledInputs,
    pilot: Pilot | None = None,
    slip_table: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Simulate ``inputs.n`` paths month by month, horizon then run-off; a pure function.

    Returns the :data:`MONTHLY` records, shape (n, inputs.months), and per path:
    ``bankrupt_month`` (-1 = never; months >= the horizon are in run-off),
    ``obligations_at_end`` (take-or-pay still owed after the horizon [USD]) and
    ``truncated_gw`` (GW of fixed tranches cut by the supply cap [GW]).
    """
    p = inputs.params
    n, months, horizon = inputs.n, inputs.months, scenario.months
    rows = np.arange(n)
    demand = potential_demand(scenario, inputs)

    price = p["compute.price_per_gw_year"]
    rev_per_gw = revenue_per_gw(p, months)
    lead = np.rint(p["compute.lead_time_months"]).astype(int)
    contract = np.maximum(1, np.rint(p["compute.contract_years"] * 12.0)).astype(int)
    supply_cap = supply_cap_gw(p, months)
    plan_inference_share = 1.0 - p["allocation.training_share"]

    committed_gw = np.zeros((n, months))
    committed_cost = np.zeros((n, months))
    initial_months = np.rint(p["compute.initial_contract_years_left"] * 12.0).astype(int)
    add_contracts(
        committed_gw, committed_cost, np.zeros(n, dtype=int), initial_months,
        p["compute.initial_gw"], price,
    )  # fmt: skip
    # A path's run-off ends when its last contract expires.
    last_end = np.where(p["compute.initial_gw"] > 0, initial_months, 0)
    tranches = scenario.policy.tranches if isinstance(scenario.policy, FixedSchedule) else []
    truncated = np.zeros((n, len(tranches)))
    if tranches:
        for k, tr in enumerate(tranches):
            # signed at the start (open loop): a tranche online after the horizon still binds
            planned = month_index(tr.start, scenario.simulation.start)
            room = np.clip(supply_cap[:, planned] - committed_gw[:, planned], 0.0, None)
            gw = np.minimum(tr.gw, room)
            truncated[:, k] = tr.gw - gw
            start = planned + _sample_slips(slip_table, inputs.slip_u[:, k])
            length = np.full(n, max(1, round(tr.years * 12)))
            add_contracts(committed_gw, committed_cost, start, length, gw, price)
            last_end = np.where(gw > 0, np.maximum(last_end, start + length), last_end)

    rec = {name: np.zeros((months, n)) for name in MONTHLY}
    reviews = set(review_months(scenario))
    cash = p["finance.initial_cash"].copy()
    alive = np.ones(n, dtype=bool)
    bankrupt_month = np.full(n, -1)
    raised_this_year = np.zeros(n)
    last_raise = np.full(n, -(10**9))
    run_rate = np.zeros((months, n))
    first_month_of_year = (1 - int(scenario.simulation.start.split("-")[1])) % 12
    min_training = p["allocation.min_training_share"]
    max_training = p["allocation.max_training_share"]
    other_share = p["economics.other_costs_share"]
    fixed_monthly = p["economics.fixed_costs_per_year"] / 12.0
    f = {k.split(".", 1)[1]: v for k, v in p.items() if k.startswith("finance.")}
    raise_gap = scenario.finance.min_months_between_raises
    order_k = 0

    for t in range(months):
        if t in reviews:
            due = t + lead
            ctx = ReviewContext(t, demand[:, : t + 1], due, inputs, pilot)
            want_gw = plan_demand(scenario, ctx) / (rev_per_gw[rows, due] * plan_inference_share)
            have = committed_gw[rows, due]
            order = np.clip(np.minimum(want_gw, supply_cap[rows, due]) - have, 0.0, None)
            order = np.where(alive, order, 0.0)
            start = due + _sample_slips(slip_table, inputs.slip_u[:, order_k])
            add_contracts(committed_gw, committed_cost, start, contract, order, price)
            last_end = np.where(order > 0, np.maximum(last_end, start + contract), last_end)
            rec["ordered_gw"][t] = order
            order_k += 1

        # In run-off a path is done once its last contract has expired.
        live = alive & ((t < horizon) | (t < last_end))
        capacity = np.where(alive, committed_gw[:, t], 0.0)
        served_rate = np.minimum(demand[:, t], (1.0 - min_training) * capacity * rev_per_gw[:, t])
        inference = served_rate / rev_per_gw[:, t]
        training = np.minimum(capacity - inference, max_training * capacity)
        revenue = served_rate / 12.0

        compute_cost = np.where(alive, committed_cost[:, t], 0.0)
        other_cost = other_share * revenue
        fixed_cost = np.where(live, fixed_monthly, 0.0)
        net = revenue - compute_cost - other_cost - fixed_cost
        pre_cash = cash + net

        run_rate[t] = served_rate
        if t == 0:
            growth_ok = np.ones(n, dtype=bool)
        else:
            back = max(0, t - 12)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                ratio = served_rate / run_rate[back]
                ratio = np.where(run_rate[back] > 0, ratio, np.where(served_rate > 0, np.inf, 0.0))
                growth_ok = ratio ** (12.0 / (t - back)) >= f["min_growth_to_raise"]
        if t > 0 and t % 12 == first_month_of_year:
            raised_this_year[:] = 0.0
        burn = np.maximum(-net, 0.0)
        short = pre_cash < f["raise_when_runway_months_below"] * burn
        size = np.minimum(
            f["max_dilution_per_raise"] * f["valuation_multiple"] * served_rate,
            f["max_raise_per_year"] - raised_this_year,
        )
        do_raise = live & short & growth_ok & (t - last_raise >= raise_gap)
        do_raise &= size > 0
        raised = np.where(do_raise, size, 0.0)
        raised_this_year += raised
        last_raise = np.where(do_raise, t, last_raise)

        cash = np.where(alive, pre_cash + raised, cash)
        broke = alive & (cash < 0.0)
        bankrupt_month[broke] = t
        alive = alive & ~broke

        for name, value in (
            ("demand", demand[:, t]), ("capacity_gw", capacity), ("inference_gw", inference),
            ("training_gw", training), ("idle_gw", capacity - inference - training),
            ("revenue", revenue), ("unserved", demand[:, t] / 12.0 - revenue),
            ("compute_cost", compute_cost), ("other_cost", other_cost),
            ("fixed_cost", fixed_cost), ("raised", raised), ("cash", cash), ("alive", alive),
        ):  # fmt: skip
            rec[name][t] = value

    out = {name: np.ascontiguousarray(arr.T) for name, arr in rec.items()}
    out["bankrupt_month"] = bankrupt_month
    out["obligations_at_end"] = committed_cost[:, horizon:].sum(axis=1)
    out["truncated_gw"] = truncated.sum(axis=1)
    out["truncated_by_tranche"] = truncated
    return out


def pilot_demand(scenario: Scenario, months: int | None = None) -> Pilot | None:
    """Pilot demand paths and conditional fits for quantile policies, or None."""
    if not isinstance(scenario.policy, DemandQuantile):
        return None
    parts, ceilings = [], []
    for b, _, n in blocks(scenario.policy.pilot_paths):
        inputs = sample_inputs(scenario, n, b, namespace="pilot/", months=months)
        parts.append(potential_demand(scenario, inputs))
        ceilings.append(inputs["demand.ceiling"])
    return Pilot(np.concatenate(parts), np.concatenate(ceilings))


def slip_table(scenario: Scenario) -> np.ndarray | None:
    """Sorted build-slip samples [months], or None when no build pipeline is modelled."""
    spec = scenario.compute.build
    if spec is None:
        return None
    from sim.build import slip_distribution

    reviews = review_months(scenario) or [0]
    order_gw = max(1.0, float(np.median(sample_inputs(scenario, 256, 0)["compute.initial_gw"])))
    return np.asarray(
        slip_distribution(spec, scenario.simulation.seed, reviews, [order_gw] * len(reviews))
    )


def max_slip(slips: np.ndarray | None) -> int:
    """Largest whole-month slip the table can produce [months] (0 without a pipeline)."""
    if slips is None or len(slips) == 0:
        return 0
    return int(np.ceil(float(np.max(slips)) - 1e-9))


@dataclass(frozen=True)
class BlockResult:
    """Outputs of one block: yearly aggregates, per-path values, optional monthly records."""

    block: int
    yearly: dict[str, np.ndarray]
    path: dict[str, np.ndarray]
    monthly: dict[str, np.ndarray] | None
    params: dict[str, np.ndarray] | None = None
    """Sampled per-path parameters of the paths with monthly records."""
    runoff_yearly: dict[str, np.ndarray] | None = None
    """Calendar-year aggregates of the run-off months (see :data:`RUNOFF_YEARLY`)."""
    runoff_monthly: dict[str, np.ndarray] | None = None
    """Monthly records of the run-off months for the paths with monthly records."""
    truncation: dict[str, np.ndarray] | None = None
    """Per fixed tranche: ``gw_sum`` GW cut by the supply cap summed over the block's paths
    and ``paths_cut`` how many of its paths were cut, shape (tranches,)."""


RUNOFF_YEARLY = ("revenue", "compute_cost", "capacity_gw_end", "cash", "alive")
"""Run-off aggregates kept for every path (see :func:`sim.model.results.aggregate_years`)."""


def path_outcomes(
    scenario: Scenario, inputs: SampledInputs, out: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Per-path outcomes of a simulated block (horizon figures unless named otherwise)."""
    horizon = scenario.months
    f = inputs.params
    final_rate = out["revenue"][:, horizon - 1] * 12.0
    final_cash = out["cash"][:, horizon - 1]
    survived = out["bankrupt_month"] < 0
    value = f["finance.valuation_multiple"] * final_rate + final_cash - out["obligations_at_end"]
    cut = np.s_[:, :horizon]
    return {
        "bankrupt_month": out["bankrupt_month"],
        "growth_mean": np.exp(np.log(inputs.growth[:, : scenario.simulation.years]).mean(axis=1)),
        "final_run_rate": final_rate,
        "final_cash": final_cash,
        "cum_revenue": out["revenue"][cut].sum(axis=1),
        "cum_demand": out["demand"][cut].sum(axis=1) / 12.0,
        "cum_unserved": out["unserved"][cut].sum(axis=1),
        "cum_compute_cost": out["compute_cost"][cut].sum(axis=1),
        "cum_raised": out["raised"][cut].sum(axis=1),
        "peak_capacity_gw": out["capacity_gw"][cut].max(axis=1),
        # Net of take-or-pay still owed; limited liability floors it at 0, and a path
        # that goes bankrupt, in the horizon or in run-off, is worth 0.
        "equity_value": np.where(survived, np.maximum(value, 0.0), 0.0),
        "obligations_at_end": out["obligations_at_end"],
        "truncated_gw": out["truncated_gw"],
        "runoff_min_cash": (
            out["cash"][:, horizon:].min(axis=1) if out["cash"].shape[1] > horizon else final_cash
        ),
    }


def run_block(
    scenario: Scenario,
    block: int,
    n: int,
    keep_monthly: int,
    pilot: Pilot | None,
    slips: np.ndarray | None,
    months: int | None = None,
) -> BlockResult:
    """Sample and simulate one block; keep monthly records for its first ``keep_monthly``."""
    months = total_months(scenario, max_slip(slips)) if months is None else months
    horizon = scenario.months
    inputs = sample_inputs(scenario, n, block, months=months)
    out = simulate_block(scenario, inputs, pilot, slips)
    inside = {k: out[k][:, :horizon] for k in MONTHLY}
    yearly = aggregate_years(inside, scenario.simulation.start)
    path = path_outcomes(scenario, inputs, out)
    cut = out["truncated_by_tranche"]
    truncation = {"gw_sum": cut.sum(axis=0), "paths_cut": (cut > 1e-12).sum(axis=0)}
    runoff_yearly = None
    if months > horizon:
        after = {k: out[k][:, horizon:] for k in MONTHLY}
        agg = aggregate_years(after, month_label(scenario.simulation.start, horizon))
        runoff_yearly = {k: agg[k] for k in RUNOFF_YEARLY}
    if keep_monthly > 0:
        monthly = {k: inside[k][:keep_monthly] for k in MONTHLY}
        params = {k: v[:keep_monthly] for k, v in inputs.params.items()}
        runoff_monthly = (
            {k: out[k][:keep_monthly, horizon:] for k in MONTHLY} if months > horizon else None
        )
        return BlockResult(
            block, yearly, path, monthly, params, runoff_yearly, runoff_monthly, truncation
        )
    return BlockResult(block, yearly, path, None, None, runoff_yearly, None, truncation)


def month_label(start: str, offset: int) -> str:
    """'YYYY-MM' of the month ``offset`` months after ``start``."""
    year, month = map(int, start.split("-"))
    k = (month - 1) + offset
    return f"{year + k // 12:04d}-{k % 12 + 1:02d}"


def run(
    scenario: Scenario,
    paths: int | None = None,
    seed: int | None = None,
    *,
    monthly_paths: int = 20_000,
    progress: ProgressFn | None = None,
    map_blocks: MapFn | None = None,
) -> Results:
    """Run the Monte Carlo simulation of a scenario (horizon, then run-off).

    Parameters
    ----------
    scenario : validated scenario; ``paths``/``seed`` override its simulation settings.
    monthly_paths : keep month-by-month records of the first this-many paths (fan charts);
        yearly aggregates and per-path values are kept for every path.
    progress : called as ``progress(paths_done, paths_total)`` after each block.
    map_blocks : optional parallel map ``(func, list_of_arg_tuples) -> results`` (e.g. a
        dask client); results are identical to the serial run.

    Examples
    --------
    >>> from sim import load_scenario, run
    >>> res = run(load_scenario(), paths=500)
    >>> res.paths
    500
    """
    updates = {}
    if paths is not None:
        updates["simulation.paths"] = paths
    if seed is not None:
        updates["simulation.seed"] = seed
    if updates:
        scenario = scenario.replace(**updates)
    t0 = time.perf_counter()
    slips = slip_table(scenario)
    months = total_months(scenario, max_slip(slips))
    pilot = pilot_demand(scenario, months)
    tasks = [
        (scenario, b, n, max(0, min(n, monthly_paths - first)), pilot, slips, months)
        for b, first, n in blocks(scenario.simulation.paths)
    ]
    acc = Accumulator(scenario.simulation.paths)
    done = 0
    mapper = map_blocks or (lambda fn, args: (fn(*a) for a in args))
    for res in mapper(run_block, tasks):
        acc.add(res)
        done += len(res.path["bankrupt_month"])
        if progress is not None:
            progress(done, scenario.simulation.paths)
    return acc.finish(scenario, calendar_years(scenario), time.perf_counter() - t0, months)
