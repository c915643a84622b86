"""Monte Carlo engine: blocks of paths -> sampled inputs -> fused kernel -> Results.

Data flow: :func:`sim.model.sampling.sample_inputs` draws everything random for a block of
paths (numpy, seeded streams), :func:`sim.model.demand.potential_demand` and
:func:`sim.model.kernel.paths.simulate_paths` (JIT-compiled, parallel over paths) turn the
draws into outcomes, and :func:`run` assembles blocks into :class:`sim.model.results.Results`.
Equations are documented in ``docs/model.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .demand import demand_signature, potential_demand
from .kernel.layout import MONTHLY, PATH, RUNOFF_YEARLY, YEARLY, P
from .kernel_inputs import (  # pack_params etc. re-exported: analyses import them from here
    POLICY_CODES,
    deal_arrays,
    pack_params,
    pilot_fits,
    revenue_per_gw,
    slip_months,
    supply_cap_gw,
    year_layout,
)
from .market import market_paths, market_years, pack_rivals, terminal_multiple
from .memory import tune_allocator
from .pilot import Pilot
from .results import BlockResult, Results, accumulator, aggregate_arrays, calendar_years, loop_view
from .rng import blocks
from .sampling import SampledInputs, sample_inputs, shared
from .scenario import MAX_TOTAL_MONTHS, DemandQuantile, FixedSchedule, Scenario, month_index
from .store import SPILL_PATHS
from .timeline import review_months, total_months
from .workers import over_paths, read_only, threads

__all__ = [
    "MONTHLY",
    "deal_arrays",
    "pack_params",
    "revenue_per_gw",
    "run",
    "run_block",
    "simulate_block",
    "supply_cap_gw",
    "threads",
]

MONTHLY_PATHS = 2000
"""Default number of paths with month-by-month records (fan charts) [paths]: enough for
P5/P95 bands (the P5 of 2,000 paths is estimated to about +/- 1 percentile point)."""

ProgressFn = Callable[[int, int], None]
MapFn = Callable[[Callable[..., BlockResult], list[tuple]], Iterable[BlockResult]]


def simulate_kernel(
    scenario: Scenario,
    inputs: SampledInputs,
    pilot: Pilot | None = None,
    slip_table: np.ndarray | None = None,
    keep: int | None = None,
    parallel: bool = True,
    outcomes_only: bool = False,
    into: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Run the fused kernel on one block; raw outputs keyed by name (see layout).

    ``parallel`` splits the block's paths over :func:`threads` threads; without it the block
    runs on the calling thread (without the GIL), for a pool of threads running one block
    each. ``outcomes_only``: see :func:`run`. ``into``: zeroed yearly and run-off aggregates
    to write, (len(YEARLY), n, years) and (len(RUNOFF_YEARLY), n, run-off years), rows of
    larger arrays (:func:`aggregate_arrays`; the run's own, so no block is copied).
    """
    setup = KernelSetup(scenario, inputs, pilot, slip_table, keep, outcomes_only, parallel)
    return setup.simulate(setup.params, parallel, into)


class KernelSetup:
    """Everything one block's month loop reads besides its packed parameters: potential
    demand, slips, tranches, deals, policy settings, pilot fits, the calendar. Scenario
    variants that differ only in policy levers (:mod:`sim.model.variants`) share one and
    call :meth:`simulate` with their own parameters."""

    def __init__(
        self,
        scenario: Scenario,
        inputs: SampledInputs,
        pilot: Pilot | None,
        slip_table: np.ndarray | None,
        keep: int | None,
        outcomes_only: bool,
        parallel: bool = True,
    ) -> None:
        self.scenario, self.inputs, self.outcomes_only = scenario, inputs, outcomes_only
        self._unset: tuple[np.ndarray, np.ndarray] | None = None
        n, months = inputs.n, inputs.months
        self.keep = n if keep is None else keep
        self.demand = potential_demand(scenario, inputs, parallel)
        self.params = pack_params(scenario, inputs.params, n)
        """The scenario's own packed parameters, (n, N_PARAMS)."""
        policy = scenario.policy
        tranches = policy.tranches if isinstance(policy, FixedSchedule) else []
        self.tranches = (
            np.array([month_index(tr.start, scenario.simulation.start) for tr in tranches],
                     dtype=np.int64),
            np.array([tr.gw for tr in tranches], dtype=float),
            np.array([max(1, round(tr.years * 12)) for tr in tranches], dtype=np.int64),
        )  # fmt: skip
        self.deals = deal_arrays(scenario)
        self.fits = pilot_fits(scenario, pilot, self.params[:, P["lead"]])
        year_index, months_in_year, self.runoff_years = year_layout(scenario, months)
        self.calendar = (year_index, months_in_year)
        self.book_rows = 1 + max(len(review_months(scenario)), len(tranches)) + len(scenario.deals)
        self.slips = slip_months(slip_table, inputs.slip_u)
        self.settings = (
            POLICY_CODES[type(policy)], getattr(policy, "review_months", 1), scenario.months,
            bool(getattr(policy, "plan_to_ceiling", False)),
            scenario.finance.min_months_between_raises,
            (1 - int(scenario.simulation.start.split("-")[1])) % 12,
            scenario.competition is not None, scenario.market is not None, outcomes_only,
        )  # fmt: skip

    def _aggregates(self, into: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, ...]:
        """``into`` (checked: the kernel does not check bounds), or fresh zeroed yearly and
        run-off aggregates; with outcomes only, NaN arrays the loop never writes, made once
        and shared by every variant (read-only views of them go into the outputs)."""
        n = self.inputs.n
        shapes = ((len(YEARLY), n, len(self.calendar[1])),
                  (len(RUNOFF_YEARLY), n, self.runoff_years))  # fmt: skip
        if into is not None and not self.outcomes_only:
            if tuple(a.shape for a in into) != shapes:
                raise ValueError(f"aggregates of shapes {[a.shape for a in into]}; need {shapes}")
            return into
        if not self.outcomes_only:
            return aggregate_arrays(*shapes[0]), aggregate_arrays(*shapes[1])
        if self._unset is None:
            self._unset = (aggregate_arrays(*shapes[0], np.nan),
                           aggregate_arrays(*shapes[1], np.nan))  # fmt: skip
        return self._unset

    def simulate(
        self,
        params: np.ndarray,
        parallel: bool = True,
        into: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> dict[str, np.ndarray]:
        """Run the month loop on packed ``params`` (the set-up's or a lever variant's);
        fresh outputs keyed by name, the aggregates in ``into`` if given (see
        :func:`simulate_kernel`)."""
        from .jit import prepare

        prepare()
        from .kernel.paths import simulate_paths

        scenario, inputs, keep = self.scenario, self.inputs, self.keep
        n, months = inputs.n, inputs.months
        yearly, runoff_yearly = self._aggregates(into)
        out = {
            "monthly": np.empty((len(MONTHLY), keep, months)),  # every cell is written
            "yearly": yearly,
            "runoff_yearly": runoff_yearly,
            "path": np.zeros((len(PATH), n)),
            "bankrupt_month": np.empty(n, dtype=np.int64),
            "truncated_by_tranche": np.zeros((n, len(self.tranches[0]))),
            "truncated_by_deal": np.zeros((n, len(scenario.deals))),
            "commitments": np.zeros((2, n, (months + 11) // 12 + 1)),
        }
        books = np.zeros((n, self.book_rows, 4))
        rival_params, rival_settings = pack_rivals(scenario, inputs.params, params)
        rival_reviews = 0 if scenario.market is None else scenario.months // rival_settings[1] + 1
        rival_books = np.zeros((n, 1 + rival_reviews, 4))
        outputs = (out["monthly"], out["yearly"], loop_view(out["runoff_yearly"]), out["path"],
                   out["bankrupt_month"], out["truncated_by_tranche"], out["truncated_by_deal"],
                   out["commitments"])  # fmt: skip
        args = (
            *map(read_only, (self.demand, params, self.slips)), self.tranches, self.deals,
            self.settings, self.fits, self.calendar, keep, outputs, books,
            (rival_params, rival_books, rival_settings),
        )  # fmt: skip
        over_paths(lambda first, last: simulate_paths(first, last, *args), n, parallel)
        if self.outcomes_only:  # shared by the variants: nobody may write them
            for name in ("yearly", "runoff_yearly"):
                out[name] = read_only(out[name])
        return out


def simulate_block(
    scenario: Scenario,
    inputs: SampledInputs,
    pilot: Pilot | None = None,
    slip_table: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Simulate ``inputs.n`` paths month by month, horizon then run-off; a pure function.

    Returns the :data:`MONTHLY` records, shape (n, inputs.months), and per path:
    ``bankrupt_month`` (-1 = never; months >= the horizon are in run-off),
    ``obligations_at_end`` (take-or-pay still owed after the horizon [USD]),
    ``truncated_gw`` (GW of fixed tranches cut by the supply cap [GW]) and
    ``truncated_by_tranche`` (n, tranches).
    """
    raw = simulate_kernel(scenario, inputs, pilot, slip_table)
    out = {name: raw["monthly"][j] for j, name in enumerate(MONTHLY)}
    out["bankrupt_month"] = raw["bankrupt_month"]
    out["obligations_at_end"] = raw["path"][PATH.index("obligations_at_end")]
    out["truncated_gw"] = raw["path"][PATH.index("truncated_gw")]
    out["truncated_by_tranche"] = raw["truncated_by_tranche"]
    out["truncated_by_deal"] = raw["truncated_by_deal"]
    for name in ("debt_at_end", "discounted_cash_flow", "breaking_commitment_month"):
        out[name] = raw["path"][PATH.index(name)]
    return out


def pilot_demand(scenario: Scenario, months: int | None = None) -> Pilot | None:
    """Pilot demand paths and conditional fits for quantile policies, or None.

    Inside :func:`sim.model.sampling.shared_draws`, plans with the same seed, pilot size,
    months and demand model share one pilot and its fits (a search's quantile plans)."""
    if not isinstance(scenario.policy, DemandQuantile):
        return None
    months = total_months(scenario) if months is None else months
    key = ("pilot", scenario.simulation.seed, scenario.policy.pilot_paths, months,
           demand_signature(scenario))  # fmt: skip
    return shared(key, lambda: _pilot(scenario, months))


def _pilot(scenario: Scenario, months: int) -> Pilot:
    assert isinstance(scenario.policy, DemandQuantile)
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


def simulated_months(scenario: Scenario, slips: np.ndarray | None) -> int:
    """Horizon plus run-off [months] given the slip table; refuses (``ScenarioError``) a
    build pipeline whose slips would stretch the run-off past :data:`MAX_TOTAL_MONTHS`."""
    months = total_months(scenario, max_slip(slips))
    if months > MAX_TOTAL_MONTHS:
        from sim.errors import ScenarioError

        raise ScenarioError(
            f"scenario {scenario.name!r}",
            [("compute.build", f"the build pipeline slips projects by up to {max_slip(slips):,} "
              f"months, so the run-off would last to month {months:,}; at most "
              f"{MAX_TOTAL_MONTHS:,} months are simulated: add slots "
              "(interconnect_slots, build_slots), shorten the stages or raise project_gw")],
        )  # fmt: skip
    return months


def max_slip(slips: np.ndarray | None) -> int:
    """Largest whole-month slip the table can produce [months] (0 without a pipeline)."""
    if slips is None or len(slips) == 0:
        return 0
    return int(np.ceil(float(np.max(slips)) - 1e-9))


def block_result(
    scenario: Scenario,
    block: int,
    inputs: SampledInputs,
    raw: dict[str, np.ndarray],
    keep: int,
) -> BlockResult:
    """Per-path outcomes, yearly aggregates and the monthly prefix of one simulated block."""
    horizon = scenario.months
    f = inputs.params
    yearly = {name: raw["yearly"][j] for j, name in enumerate(YEARLY)}
    yearly["profit"] = (
        yearly["revenue"] + yearly["sublease_revenue"]
        - (yearly["compute_cost"] + yearly["other_cost"] + yearly["fixed_cost"])
        - (yearly["interest"] + yearly["termination_fees"])
    )  # fmt: skip
    market_years(scenario, yearly)
    path = {name: raw["path"][j] for j, name in enumerate(PATH)}
    bm = raw["bankrupt_month"]
    # Net of take-or-pay still owed; limited liability floors it at 0, and a path that goes
    # bankrupt, in the horizon or in run-off, is worth 0.
    value = terminal_multiple(scenario, f, path) * path["final_run_rate"] + path["final_cash"]
    value -= path["obligations_at_end"] + path["debt_at_end"]
    path = {
        "bankrupt_month": bm,
        "growth_mean": np.exp(np.log(inputs.growth[:, : scenario.simulation.years]).mean(axis=1)),
        **{k: path[k] for k in ("final_run_rate", "final_cash", "cum_revenue", "cum_demand",
                                "cum_unserved", "cum_compute_cost", "cum_raised",
                                "peak_capacity_gw")},
        "equity_value": np.where(bm < 0, np.maximum(value, 0.0), 0.0),
        **{k: path[k] for k in ("obligations_at_end", "truncated_gw", "runoff_min_cash",
                                "cum_lost", "debt_at_end", "discounted_cash_flow",
                                "breaking_commitment_month", "cum_refused_gw",
                                "cum_sublease_revenue", "cum_interest", "cum_termination_fees")},
        **market_paths(scenario, path),
    }  # fmt: skip
    cut = raw["truncated_by_tranche"]
    deal_cut = raw["truncated_by_deal"]
    truncation = {
        "gw_sum": cut.sum(axis=0), "paths_cut": (cut > 1e-12).sum(axis=0),
        "deal_gw_sum": deal_cut.sum(axis=0), "deal_paths_cut": (deal_cut > 1e-12).sum(axis=0),
    }  # fmt: skip
    commitments = {"new_gw": raw["commitments"][0], "new_commitment_usd": raw["commitments"][1]}
    months = inputs.months
    runoff_yearly = (
        {name: raw["runoff_yearly"][j] for j, name in enumerate(RUNOFF_YEARLY)}
        if months > horizon
        else None
    )
    if keep <= 0:
        return BlockResult(block, yearly, path, None, None, runoff_yearly, None, truncation, f,
                           commitments)  # fmt: skip
    mo = raw["monthly"]
    monthly = {name: mo[j, :, :horizon] for j, name in enumerate(MONTHLY)}
    runoff_monthly = (
        {name: mo[j, :, horizon:] for j, name in enumerate(MONTHLY)} if months > horizon else None
    )
    params = {k: v[:keep] for k, v in f.items()}
    return BlockResult(
        block,
        yearly,
        path,
        monthly,
        params,
        runoff_yearly,
        runoff_monthly,
        truncation,
        f,
        commitments,
    )


def run_block(
    scenario: Scenario,
    block: int,
    n: int,
    keep_monthly: int,
    pilot: Pilot | None,
    slips: np.ndarray | None,
    months: int | None = None,
    parallel: bool = True,
    outcomes_only: bool = False,
    into: tuple[np.ndarray, np.ndarray] | None = None,
) -> BlockResult:
    """Sample and simulate one block; keep monthly records for its first ``keep_monthly``;
    ``into``: see :func:`simulate_kernel`."""
    months = total_months(scenario, max_slip(slips)) if months is None else months
    inputs = sample_inputs(scenario, n, block, months=months)
    raw = simulate_kernel(scenario, inputs, pilot, slips, keep=keep_monthly, parallel=parallel,
                          outcomes_only=outcomes_only, into=into)  # fmt: skip
    return block_result(scenario, block, inputs, raw, keep_monthly)


def month_label(start: str, offset: int) -> str:
    """'YYYY-MM' of the month ``offset`` months after ``start``."""
    year, month = map(int, start.split("-"))
    k = (month - 1) + offset
    return f"{year + k // 12:04d}-{k % 12 + 1:02d}"


def _bounded_map(executor: Any, fn: Callable[..., Any], tasks: list[tuple], window: int):  # type: ignore[no-untyped-def]
    """``executor.map`` in order, with at most ``window`` blocks in flight: finished blocks
    wait for the consumer, so memory stays O(window x block), not O(paths)."""
    from collections import deque

    pending: deque = deque()
    it = iter(tasks)
    for args in it:
        pending.append(executor.submit(fn, *args))
        if len(pending) >= window:
            break
    while pending:
        yield pending.popleft().result()
        nxt = next(it, None)
        if nxt is not None:
            pending.append(executor.submit(fn, *nxt))


def run(
    scenario: Scenario,
    paths: int | None = None,
    seed: int | None = None,
    *,
    monthly_paths: int = MONTHLY_PATHS,
    progress: ProgressFn | None = None,
    map_blocks: MapFn | None = None,
    spill: bool | None = None,
    outcomes_only: bool = False,
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
    spill : stream per-path outputs to Parquet instead of memory; default: above
        :data:`sim.model.store.SPILL_PATHS` paths (memory then stays O(block)).
    outcomes_only : compute only the per-path outcomes of the horizon and each path's
        bankruptcy (the numbers :func:`sim.analysis.sweep.metrics` reads; the same bits):
        yearly aggregates, run-off records and the per-path sums over the run-off are NaN,
        and a path's run-off stops once it can no longer go bankrupt. For sweeps.

    Blocks run on a pool of :func:`threads` threads, one block each (sampling and the
    jitted kernel release the GIL), and each block's kernels split its paths over the
    threads of :func:`sim.model.workers.over_paths`, so the last, shorter block does not
    leave a core idle. Results are identical whatever the number of threads.

    A scenario with ``actuals:`` runs its posterior given them
    (:func:`sim.model.condition.run_conditioned`: blocks in turn, each on the kernel's
    thread pool; ``map_blocks`` and ``spill`` are not used) and ``Results.conditioning``
    says ``as_of`` and the effective sample size.

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
    if scenario.actuals is not None:  # the posterior given the actuals (serial over blocks)
        from .condition import run_conditioned

        return run_conditioned(scenario, monthly_paths=monthly_paths, progress=progress)
    tune_allocator()
    t0 = time.perf_counter()
    slips = slip_table(scenario)
    months = simulated_months(scenario, slips)
    pilot = pilot_demand(scenario, months)
    parts = blocks(scenario.simulation.paths)
    pool = min(threads(), len(parts)) if map_blocks is None else 1
    # Every block's kernels split its paths over the threads (pieces taken in turn), also
    # when several blocks run at once: a short last block (10,000 paths = 4096 + 4096 +
    # 1808) then keeps both cores busy instead of one. The block threads only overlap the
    # next block's draws with the current kernels. Blocks keep their draws (rng.blocks).
    tasks = [
        (scenario, b, n, max(0, min(n, monthly_paths - first)), pilot, slips, months, True,
         outcomes_only)
        for b, first, n in parts
    ]  # fmt: skip
    if spill is None:
        spill = scenario.simulation.paths > SPILL_PATHS
    acc = accumulator(scenario, months, spill)
    if map_blocks is None and not spill and not outcomes_only and len(parts) > 1:
        # The loop writes the aggregates straight into the run's arrays: no copy per block
        # (~17 MB for 10,000 paths). One block keeps its own arrays, also without a copy.
        _, months_in_year, runoff_years = year_layout(scenario, months)
        acc.write_in_place(YEARLY, RUNOFF_YEARLY, len(months_in_year), runoff_years)
        tasks = [(*task, acc.aggregates_of(first, n))
                 for task, (_, first, n) in zip(tasks, parts, strict=True)]  # fmt: skip
    done = 0
    if map_blocks is not None:
        results: Iterable[BlockResult] = map_blocks(run_block, tasks)
    elif pool > 1:
        from concurrent.futures import ThreadPoolExecutor

        executor = ThreadPoolExecutor(pool, thread_name_prefix="sim-block")
        results = _bounded_map(executor, run_block, tasks, window=2 * pool)
    else:
        results = (run_block(*a) for a in tasks)
    try:
        for res in results:
            acc.add(res)
            done += len(res.path["bankrupt_month"])
            if progress is not None:
                progress(done, scenario.simulation.paths)
    finally:
        if pool > 1 and map_blocks is None:
            executor.shutdown(wait=True, cancel_futures=True)
    return acc.finish(scenario, calendar_years(scenario), time.perf_counter() - t0, months)
