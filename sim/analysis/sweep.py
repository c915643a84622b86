"""Parameter sweeps: many scenario variants on common random numbers (CRN).

Every cell of a sweep is one :func:`sim.model.engine.run` of the base scenario with some dotted
parameters replaced (``{"policy.planned_growth": 4, "demand.growth": 5}``), all with the
same seed. Draws are made per purpose and block from that seed (see :mod:`sim.model.rng`), so
two cells see the same worlds and their differences are due to the parameters alone.

A cell may switch the purchase policy with ``"policy.kind"``: the policy section is then
rebuilt from scratch (keeping ``review_months``) before the other ``policy.*`` keys are
applied. A value of ``None``/NaN means "not applicable" and leaves the field as it is.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.model.engine import run
from sim.model.io import scenario_from_dict
from sim.model.results import Results
from sim.model.scenario import Scenario, set_dotted
from sim.model.summary import wilson_interval

from .parallel import map_tasks

ProgressFn = Callable[[int, int], None]

METRICS = (
    "p_bankrupt", "p_bankrupt_lo", "p_bankrupt_hi", "cum_revenue_p50", "cum_revenue_p90",
    "cum_revenue_mean", "unserved_share", "equity_value_mean", "equity_value_p50",
    "final_run_rate_p50", "peak_capacity_gw_p50", "new_gw_p50", "new_gw_p90",
    "commitment_usd_p50", "commitment_usd_p90", "obligations_at_end_p50", "cum_unserved_p50",
    "cum_unserved_mean", "cum_lost_mean", "paths", "lost_to_rivals_share",
    "unserved_by_market_share",
)  # fmt: skip
"""Columns :func:`metrics` returns (see its docstring for units); then one
``p_bankrupt_by_end_<YEAR>`` column per calendar year of the horizon (:data:`BY_YEAR_PREFIX`)."""
BY_YEAR_PREFIX = "p_bankrupt_by_end_"
"""Prefix of the per-year columns: share of paths bankrupt by the end of that calendar year."""


def is_metric(column: str) -> bool:
    """Whether a sweep-table column is an outcome (not a swept key)."""
    return column in METRICS or column.startswith(BY_YEAR_PREFIX)


def grid(axes: dict[str, list]) -> list[dict[str, Any]]:
    """Full factorial design: one cell per combination, the last axis varying fastest.

    Examples
    --------
    >>> grid({"a": [1, 2], "b": [3]})
    [{'a': 1, 'b': 3}, {'a': 2, 'b': 3}]
    """
    keys = list(axes)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes.values())]


def latin_hypercube(
    ranges: dict[str, tuple[float, float]], n: int, seed: int
) -> list[dict[str, Any]]:
    """``n`` cells of a Latin hypercube over ``{key: (low, high)}``, uniform in each range.

    Examples
    --------
    >>> cells = latin_hypercube({"x": (0.0, 1.0)}, 4, seed=1)
    >>> sorted(int(c["x"] * 4) for c in cells)
    [0, 1, 2, 3]
    """
    from scipy.stats import qmc

    keys = list(ranges)
    u = qmc.LatinHypercube(d=len(keys), seed=seed).random(n)
    lo = np.array([float(ranges[k][0]) for k in keys])
    hi = np.array([float(ranges[k][1]) for k in keys])
    x = lo + u * (hi - lo)
    return [{k: float(x[i, j]) for j, k in enumerate(keys)} for i in range(n)]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def apply_cell(scenario: Scenario, cell: dict[str, Any], source: str = "<sweep cell>") -> Scenario:
    """The scenario with a cell's dotted updates applied, re-validated.

    Raises :class:`sim.errors.ScenarioError` naming the dotted key when a key does not
    exist or a value is out of range.

    Only the top-level sections a cell touches are dumped and validated again; the others
    are handed to the validator as the already-validated models they are (pydantic keeps
    a model instance as is), and every scenario-level check runs as before. The scenario
    and any error are the same as re-validating the whole dump (tested), in about half the time
    (most of a sweep cell's Python work was this validation).
    """
    updates = {k: v for k, v in cell.items() if not _missing(v)}
    kind = updates.pop("policy.kind", None)
    switch = kind is not None and kind != scenario.policy.kind
    touched = {key.split(".", 1)[0] for key in updates} | ({"policy"} if switch else set())
    return apply_to_dump(_top_level(scenario, touched), updates, kind if switch else None, source)


def apply_to_dump(
    data: dict[str, Any], updates: dict[str, Any], kind: str | None, source: str
) -> Scenario:
    """Validate a scenario dump ``data`` with dotted ``updates`` applied, after switching
    its policy to ``kind`` (None: keep it; the review period carries over)."""
    if kind is not None:
        review = data["policy"].get("review_months", 12)
        data["policy"] = {"kind": kind}
        if kind != "fixed_schedule":
            data["policy"]["review_months"] = review
    for key, value in updates.items():
        try:
            set_dotted(data, key, copy.deepcopy(value))  # never alias the caller's dicts
        except KeyError as exc:
            raise ScenarioError(source, [(key, str(exc).strip("\"'"))]) from None
    return scenario_from_dict(data, source)


def _top_level(scenario: Scenario, touched: set[str]) -> dict[str, Any]:
    """``scenario.model_dump(by_alias=True, exclude_none=True)`` for the ``touched``
    top-level keys; the other keys keep their validated values (None values left out, as
    the dump leaves them out)."""
    fields = type(scenario).model_fields
    names = {name for name, f in fields.items() if (f.alias or name) in touched or name in touched}
    dumped = scenario.model_dump(by_alias=True, exclude_none=True, include=names) if names else {}
    data: dict[str, Any] = {}
    for name, f in fields.items():  # in the dump's order
        key = f.alias or name
        if key in dumped:
            data[key] = dumped[key]
        elif name not in names and getattr(scenario, name) is not None:
            data[key] = getattr(scenario, name)
    return data


def metrics(results: Results) -> dict[str, float]:
    """Risk and upside of one run.

    ``p_bankrupt`` share of paths bankrupt by the end, with ``p_bankrupt_lo``/``_hi`` its
    Wilson 95% interval; ``cum_revenue_*`` revenue served over the horizon [USD];
    ``unserved_share`` unserved / potential demand pooled over paths (bankrupt paths serve
    nothing after bankruptcy); ``equity_value_*`` terminal value, 0 for bankrupt paths
    [USD]; ``final_run_rate_p50`` served revenue run-rate in the last month [USD/yr];
    ``peak_capacity_gw_p50`` median over paths of peak GW online [GW]; ``new_gw_*`` and
    ``commitment_usd_*`` new GW [GW] and nominal take-or-pay [USD] signed over the horizon;
    ``obligations_at_end_p50`` take-or-pay still owed when the horizon ends [USD];
    ``cum_unserved_*`` demand the lab could not serve over the horizon, the revenue left on
    the table [USD]; ``cum_lost_mean`` demand lost to rivals for good (churn) [USD];
    ``lost_to_rivals_share``, ``unserved_by_market_share`` the split of ``unserved_share``
    with a market (NaN without); ``p_bankrupt_by_end_<YEAR>`` share of paths bankrupt by the end of each calendar year of
    the horizon (within the horizon; ``p_bankrupt`` adds the run-off).
    """
    p = results.path
    n = results.paths
    k = int(results.bankrupt.sum())
    lo, hi = wilson_interval(k, n)
    demand = float(p["cum_demand"].sum())
    # One quantile call for every column (one partition per row): the same bits as a call
    # per column, ~0.3 ms less a cell.
    columns = [np.asarray(p[name], dtype=float) for name in _QUANTILE_COLUMNS]
    c = results.commitments
    columns.extend(  # new GW and take-or-pay [USD] signed over the horizon, per path
        np.asarray(c[key]).sum(axis=1) if c else np.zeros(results.paths)
        for key in ("new_gw", "new_commitment_usd")
    )
    names = (*_QUANTILE_COLUMNS, "new_gw", "commitment_usd")
    q50, q90 = np.quantile(np.stack(columns), [0.5, 0.9], axis=1)
    p50 = dict(zip(names, q50.tolist(), strict=True))
    p90 = dict(zip(names, q90.tolist(), strict=True))
    return {
        "p_bankrupt": k / n,
        "p_bankrupt_lo": lo,
        "p_bankrupt_hi": hi,
        "cum_revenue_p50": p50["cum_revenue"],
        "cum_revenue_p90": p90["cum_revenue"],
        "cum_revenue_mean": float(p["cum_revenue"].mean()),
        "unserved_share": float(p["cum_unserved"].sum()) / demand if demand > 0 else 0.0,
        "equity_value_mean": float(p["equity_value"].mean()),
        "equity_value_p50": p50["equity_value"],
        "final_run_rate_p50": p50["final_run_rate"],
        "peak_capacity_gw_p50": p50["peak_capacity_gw"],
        "new_gw_p50": p50["new_gw"],
        "new_gw_p90": p90["new_gw"],
        "commitment_usd_p50": p50["commitment_usd"],
        "commitment_usd_p90": p90["commitment_usd"],
        "obligations_at_end_p50": p50["obligations_at_end"],
        "cum_unserved_p50": p50["cum_unserved"],
        "cum_unserved_mean": float(p["cum_unserved"].mean()),
        "cum_lost_mean": float(p["cum_lost"].mean()),
        "paths": float(n),
        **_market_split(results, demand),
        **_bankrupt_by_year(results),
    }


_QUANTILE_COLUMNS = ("cum_revenue", "equity_value", "final_run_rate", "peak_capacity_gw",
                     "obligations_at_end", "cum_unserved")  # fmt: skip


def _market_split(results: Results, demand: float) -> dict[str, float]:
    """With a market, the lab's unserved demand split into what rivals served and what
    nobody served, shares of its potential demand (they sum to ``unserved_share``); NaN
    without a market."""
    if results.scenario.market is None or demand <= 0:
        return {"lost_to_rivals_share": np.nan, "unserved_by_market_share": np.nan}
    p = results.path
    return {
        "lost_to_rivals_share": float(p["cum_lost_to_rivals"].sum()) / demand,
        "unserved_by_market_share": float(p["cum_unserved_by_market"].sum()) / demand,
    }


def _bankrupt_by_year(results: Results) -> dict[str, float]:
    """Share of paths bankrupt by the end of each calendar year of the horizon."""
    from sim.model.results import calendar_years

    bm = np.sort(results.path["bankrupt_month"])
    cal = calendar_years(results.scenario)
    never = np.searchsorted(bm, 0)  # paths that never go bankrupt (month -1)
    out = {}
    for year in results.years:
        last = int(np.flatnonzero(cal == year)[-1])
        count = np.searchsorted(bm, last, side="right") - never
        out[f"{BY_YEAR_PREFIX}{int(year)}"] = float(count / len(bm))  # as a bool array's mean
    return out


def run_scenario_metrics(scenario: Scenario) -> dict[str, float]:
    """Run one (already validated) cell and return its :func:`metrics`; picklable task.

    The run computes only the outcomes :func:`metrics` reads (``outcomes_only``): the same
    numbers as a full run, without yearly aggregates or the run-off of paths that can no
    longer go bankrupt.
    """
    return metrics(run(scenario, monthly_paths=0, outcomes_only=True))


def run_group_metrics(scenarios: list[Scenario]) -> list[dict[str, float]]:
    """:func:`run_scenario_metrics` of each scenario, variants that differ only in policy
    levers sharing one set-up (:func:`sim.model.variants.run_levers`; the same numbers)."""
    from sim.model.variants import run_levers

    return [metrics(r) for r in run_levers(scenarios, monthly_paths=0, outcomes_only=True)]


GROUP_CELLS = 8
"""Most cells run as one group (:func:`run_group_metrics`): enough to share the set-up
(~1 ms a cell), few enough that the groups keep both cores busy to the end [cells]."""
PROGRESS_STEPS = 16
"""Fewest progress reports of a sweep that groups its cells: groups shrink for small
sweeps (progress is reported as each group ends)."""


def lever_groups(cells: list[dict[str, Any]], size: int = GROUP_CELLS) -> list[list[int]]:
    """Indexes of the cells that set the same keys to the same values except plain-number
    policy levers (:data:`sim.model.kernel_inputs.POLICY_LEVERS`), split evenly into
    groups of at most ``size``, in the order of their first cells.

    Examples
    --------
    >>> lever_groups([{"policy.planned_growth": g, "demand.growth": d}
    ...               for g in (2, 4) for d in (3, 5)])
    [[0, 2], [1, 3]]
    """
    from sim.model.kernel_inputs import POLICY_LEVERS

    def is_lever(key: str, value: Any) -> bool:
        return (
            key in POLICY_LEVERS and isinstance(value, int | float) and not isinstance(value, bool)
        )

    same: dict[tuple, list[int]] = {}
    for i, cell in enumerate(cells):
        key = tuple(sorted((k, json.dumps(v, sort_keys=True, default=str)) for k, v in cell.items()
                           if not _missing(v) and not is_lever(k, v)))  # fmt: skip
        same.setdefault(key, []).append(i)
    groups = []
    for members in same.values():
        parts = -(-len(members) // size)
        groups += [members[len(members) * k // parts : len(members) * (k + 1) // parts]
                   for k in range(parts)]  # fmt: skip
    return sorted(groups, key=lambda g: g[0])


def _run_lever_groups(
    cells: list[dict[str, Any]], variants: Any, progress: ProgressFn | None, small: bool
) -> list[dict[str, float]]:
    """Metrics of every cell, in cell order, run in this process by :func:`lever_groups`
    (validated as the groups are handed out when ``variants`` is a generator)."""
    groups = lever_groups(cells, max(1, min(GROUP_CELLS, len(cells) // PROGRESS_STEPS)))
    validated: dict[int, Scenario] = {}
    made = enumerate(variants)

    def variant(i: int) -> Scenario:  # cells are validated in order, as far as needed
        while i not in validated:
            k, scenario = next(made)
            validated[k] = scenario
        return validated.pop(i)

    sizes = [len(g) for g in groups]
    report = None
    if progress is not None:
        done = np.cumsum(sizes).tolist()

        def report(k: int, _total: int) -> None:
            progress(done[k - 1], len(cells))

    parts = map_tasks(run_group_metrics, ([variant(i) for i in g] for g in groups),
                      progress=report, small=small, total=len(groups))  # fmt: skip
    rows: list[dict[str, float]] = [{}] * len(cells)
    for group, part in zip(groups, parts, strict=True):
        for i, row in zip(group, part, strict=True):
            rows[i] = row
    return rows


def with_overrides(scenario: Scenario, paths: int | None, seed: int | None) -> Scenario:
    """The scenario with ``simulation.paths``/``simulation.seed`` replaced when given."""
    updates: dict[str, Any] = {}
    if paths is not None:
        updates["simulation.paths"] = paths
    if seed is not None:
        updates["simulation.seed"] = seed
    return apply_cell(scenario, updates, "command-line options") if updates else scenario


def _column_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def run_sweep(
    scenario: Scenario,
    cells: list[dict[str, Any]],
    *,
    paths: int | None = None,
    seed: int | None = None,
    progress: ProgressFn | None = None,
    client: Any = None,
    cells_at_once: bool = False,
) -> pd.DataFrame:
    """Run every cell on the same seed (CRN) and tabulate the results.

    Parameters
    ----------
    scenario : base scenario; ``paths``/``seed`` override its simulation settings.
    cells : dotted-key updates, one dict per cell (see :func:`grid`, :func:`latin_hypercube`).
    progress : called as ``progress(cells_done, cells_total)``.
    client : optional :class:`sim.analysis.parallel.LocalPool` (local worker processes) or
        ``dask.distributed.Client``; results are identical to the serial run.
    cells_at_once : without a client, run cells of one block (<= 4,096 paths) one per core
        at a time, each on one thread, so the Python work of one overlaps the kernel of
        another (a few % faster on a loaded 2-core machine; the same CPU time; each extra
        cell in flight keeps its own working set, ~10-50 MB). Results are identical.

    Returns
    -------
    One row per cell, in cell order: a column per dotted key (NaN where a cell does not
    set it) and the :data:`METRICS` columns. ``df.attrs["elapsed_s"]`` is the wall time [s].

    Examples
    --------
    >>> from sim import load_scenario
    >>> df = run_sweep(load_scenario(), grid({"policy.planned_growth": [2, 8]}), paths=300)
    >>> bool(df["p_bankrupt"].iloc[0] <= df["p_bankrupt"].iloc[1])
    True
    """
    t0 = time.perf_counter()
    base = with_overrides(scenario, paths, seed)
    from sim.model.rng import BLOCK_PATHS

    variants: Any
    small = cells_at_once and base.simulation.paths <= BLOCK_PATHS
    lazy = small and client is None and not any("simulation.paths" in cell for cell in cells)
    if lazy:
        # Cells are validated as they are handed to the threads: validating all 400 of a
        # 20 x 20 grid first took ~0.2 s of one core while the other waited. A bad cell
        # still stops the sweep before any result is returned (the rest is cancelled).
        variants = (apply_cell(base, cell) for cell in cells)
    else:  # every cell validated before any compute: bad input fails fast
        variants = [apply_cell(base, cell) for cell in cells]
        small = cells_at_once and all(v.simulation.paths <= BLOCK_PATHS for v in variants)
    if client is None:  # cells that differ only in policy levers share their set-up
        rows = _run_lever_groups(cells, variants if lazy else iter(variants), progress, small)
    else:  # cells share their random draws and, where equal, demand (within a chunk)
        rows = map_tasks(run_scenario_metrics, variants, client=client, progress=progress,
                         chunks_per_worker=4, small=small, total=len(cells))  # fmt: skip
    keys: list[str] = []
    for cell in cells:
        keys += [k for k in cell if k not in keys]
    table = {k: [_column_value(cell.get(k, math.nan)) for cell in cells] for k in keys}
    for k, col in table.items():
        if any(isinstance(v, str) for v in col):  # mixed text/numbers: one type for Parquet
            table[k] = [v if isinstance(v, str) or _missing(v) else str(v) for v in col]
    table.update({m: [row[m] for row in rows] for m in METRICS})
    years = sorted({k for row in rows for k in row if k.startswith(BY_YEAR_PREFIX)})
    table.update({y: [row.get(y, math.nan) for row in rows] for y in years})
    df = pd.DataFrame(table)
    df.attrs["elapsed_s"] = time.perf_counter() - t0
    return df
