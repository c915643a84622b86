"""Which assumptions drive risk and upside: tornado (one at a time) and Sobol indices.

Ranges of the inputs (:func:`input_range`):

- a parameter given as a distribution: its P10 and P90 (``demand.growth`` fixed at that
  multiplier in every year);
- a plain number with a documented range (:data:`PLAIN_RANGES`): lead time 12-24 months
  (compute is reserved 1-2 years ahead), gross margin 0.5-0.75 (stylized >50% up to the
  top of reported margins), industry growth 2.25-3.4x/yr (public forecasts of AI compute
  growth), revenue per GW drifting 0.9-1.1x/yr (x0.8/x1.2 would compound to 3x over six
  years);
- any other plain number: x0.8 and x1.2, pulled back towards the scenario value as far as
  needed to stay valid (e.g. a share capped at 1).

Tornado: each input in turn is fixed at its low and high value while every other input
keeps its scenario value or distribution; all runs share the seed (common random numbers)
so swings are due to the input. Policy parameters are decisions, not assumptions, and are
left out unless asked for. Sobol: inputs vary uniformly over the same ranges, sampled
with Saltelli's scheme (``SALib.sample.sobol``), one engine run per sample on common
random numbers, analysed with ``SALib.analyze.sobol`` (first-order S1 and total ST).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.model.distributions import to_dist
from sim.model.sampling import numeric_fields
from sim.model.scenario import Scenario

from .sweep import ProgressFn, apply_cell, run_sweep

QUANTILES = (0.1, 0.9)
"""Low/high quantiles of a distribution parameter."""
RELATIVE = (0.8, 1.2)
"""Low/high multipliers of a plain-number parameter."""
PLAIN_RANGES = {
    "compute.lead_time_months": (12.0, 24.0),
    "economics.gross_margin": (0.5, 0.75),
    "compute.industry_growth": (2.25, 3.4),
    "compute.revenue_per_gw_growth": (0.9, 1.1),
}
"""Documented low/high values of plain-number parameters, overriding :data:`RELATIVE`."""
SOBOL_PARAMS = (
    "demand.growth", "demand.diffusion_lag_years", "demand.volatility",
    "compute.lead_time_months", "compute.price_per_gw_year", "compute.max_industry_share",
    "economics.gross_margin", "finance.initial_cash", "finance.max_raise_per_year",
)  # fmt: skip
"""Default inputs of the Sobol analysis."""


NOT_ASSUMPTIONS = frozenset({
    "finance.discount_rate",  # prices the deal NPV only; changes no path
    "finance.valuation_reference_growth",  # acts only with a growth elasticity
})  # fmt: skip
"""Inputs that are not assumptions about the world (the tornado and Sobol leave them out)."""


def assumptions(scenario: Scenario) -> dict[str, Any]:
    """Dotted name -> number or distribution of every non-policy model input, leaving out
    :data:`NOT_ASSUMPTIONS` and switches that are off (a plain 0: a share of churn, of
    sublease recovery, a growth elasticity; x0.8/x1.2 of 0 is no range)."""
    fields = {"demand.growth": scenario.demand.growth}
    fields.update(numeric_fields(scenario))
    return {
        k: v for k, v in fields.items()
        if not k.startswith("policy.") and k not in NOT_ASSUMPTIONS
        and not (isinstance(v, int | float) and v == 0 and k not in PLAIN_RANGES)
    }  # fmt: skip


def _current(scenario: Scenario, name: str) -> Any:
    node: Any = scenario
    for part in name.split("."):
        node = getattr(node, part)
    return node


def _valid(scenario: Scenario, name: str, base: float, target: float) -> float:
    """``target``, or the valid value closest to it between ``base`` and ``target``."""

    def ok(x: float) -> bool:
        try:
            apply_cell(scenario, {name: x})
        except ScenarioError:
            return False
        return True

    if ok(target):
        return target
    good, bad = base, target
    for _ in range(30):
        mid = 0.5 * (good + bad)
        good, bad = (mid, bad) if ok(mid) else (good, mid)
    return good


def input_range(scenario: Scenario, name: str) -> tuple[float, float, str]:
    """Low and high value of an input, and how they were chosen (see module docstring)."""
    value = _current(scenario, name)
    dist = to_dist(value)
    lo_s, hi_s = dist.support()
    if lo_s < hi_s:
        lo, hi = (float(x) for x in dist.ppf(np.array(QUANTILES)))
        return lo, hi, f"P{QUANTILES[0] * 100:g}/P{QUANTILES[1] * 100:g}"
    base = float(lo_s)
    if name in PLAIN_RANGES:
        lo, hi = PLAIN_RANGES[name]
        how = "documented range"
    else:
        lo, hi = base * RELATIVE[0], base * RELATIVE[1]
        how = f"x{RELATIVE[0]:g}/x{RELATIVE[1]:g}"
    return _valid(scenario, name, base, lo), _valid(scenario, name, base, hi), how


def tornado(
    scenario: Scenario,
    *,
    paths: int = 2000,
    metric: str = "p_bankrupt",
    params: list[str] | None = None,
    seed: int | None = None,
    progress: ProgressFn | None = None,
    client: Any = None,
) -> pd.DataFrame:
    """One-at-a-time swings of ``metric`` (a :func:`sim.analysis.sweep.metrics` key).

    Returns one row per input: parameter, how (range rule), low_value, high_value,
    metric_low, metric_high, base (metric of the scenario as is), swing
    (abs(metric_high - metric_low)); sorted by swing, largest first. Every run uses the
    same seed.

    Examples
    --------
    >>> from sim import load_scenario
    >>> t = tornado(load_scenario(), paths=300, params=["compute.lead_time_months"])
    >>> t[["low_value", "high_value"]].values.tolist()
    [[12.0, 24.0]]
    """
    names = list(params) if params is not None else list(assumptions(scenario))
    ranges = {name: input_range(scenario, name) for name in names}
    cells: list[dict[str, Any]] = [{}]
    for name, (lo, hi, _) in ranges.items():
        cells += [{name: lo}, {name: hi}]
    df = run_sweep(scenario, cells, paths=paths, seed=seed, progress=progress, client=client)
    values = df[metric].to_numpy()
    rows = []
    for i, (name, (lo, hi, how)) in enumerate(ranges.items()):
        m_lo, m_hi = float(values[1 + 2 * i]), float(values[2 + 2 * i])
        rows.append(
            {
                "parameter": name, "how": how, "low_value": lo, "high_value": hi,
                "metric_low": m_lo, "metric_high": m_hi, "base": float(values[0]),
                "swing": abs(m_hi - m_lo),
            }
        )  # fmt: skip
    out = pd.DataFrame(rows)
    out = out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs["metric"] = metric
    return out


def sobol(
    scenario: Scenario,
    *,
    n_base: int = 64,
    paths: int = 500,
    params: list[str] | None = None,
    metrics: tuple[str, ...] = ("p_bankrupt", "cum_revenue_p50", "equity_value_mean"),
    seed: int = 0,
    progress: ProgressFn | None = None,
    client: Any = None,
) -> pd.DataFrame:
    """Sobol first-order (S1) and total (ST) indices of ``metrics`` over the inputs.

    Runs ``n_base * (len(params) + 2)`` cells of ``paths`` paths (``n_base`` should be a
    power of two). Confidence half-widths (``*_conf``, 95%) come from SALib's bootstrap;
    Monte Carlo noise of each cell adds to them, and common random numbers keep it small.
    Returns one row per metric and input, sorted by metric then ST, largest first, with a
    ``resolved`` column (:func:`resolved`); ``attrs["unresolved"]`` lists the metrics whose
    ranking the sample cannot support.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    names = (
        list(params)
        if params is not None
        else [p for p in SOBOL_PARAMS if p in assumptions(scenario)]
    )
    bounds = [input_range(scenario, name)[:2] for name in names]
    problem = {"num_vars": len(names), "names": names, "bounds": [list(b) for b in bounds]}
    x = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    cells = [{name: float(v) for name, v in zip(names, row, strict=True)} for row in x]
    df = run_sweep(scenario, cells, paths=paths, progress=progress, client=client)
    rows = []
    for metric in metrics:
        y = df[metric].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            si = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
        for j, name in enumerate(names):
            rows.append(
                {
                    "metric": metric, "parameter": name, "low": bounds[j][0],
                    "high": bounds[j][1], "S1": float(si["S1"][j]),
                    "S1_conf": float(si["S1_conf"][j]), "ST": float(si["ST"][j]),
                    "ST_conf": float(si["ST_conf"][j]),
                }
            )  # fmt: skip
    out = pd.DataFrame(rows)
    order = {m: i for i, m in enumerate(metrics)}
    out = out.sort_values(
        ["metric", "ST"], key=lambda s: s.map(order) if s.name == "metric" else -s
    ).reset_index(drop=True)
    out["resolved"] = resolved(out["ST"].to_numpy(), out["ST_conf"].to_numpy())
    out.attrs["cells"] = len(cells)
    out.attrs["elapsed_s"] = df.attrs.get("elapsed_s")
    out.attrs["unresolved"] = [
        m for m in metrics if not out.loc[out["metric"] == m, "resolved"].all()
    ]
    return out


NEGLIGIBLE = 0.05
"""Total index below which an input counts as not driving the metric [0..1]."""


def resolved(st: np.ndarray, conf: np.ndarray) -> np.ndarray:
    """Whether a total index is estimated well enough to rank: its 95% interval is narrower
    than the index itself (``2 * conf < ST``), or the whole interval lies below
    :data:`NEGLIGIBLE` (the input clearly does not matter)."""
    st, conf = np.asarray(st, dtype=float), np.asarray(conf, dtype=float)
    ok = np.isfinite(st) & np.isfinite(conf)
    return ok & ((2.0 * conf < st) | (st + conf < NEGLIGIBLE))


def unresolved_warning(table: pd.DataFrame, n_base: int) -> str | None:
    """A plain warning naming the metrics whose Sobol ranking is noise, or None."""
    bad = table.attrs.get("unresolved") or []
    if not bad:
        return None
    parts = []
    for m in bad:
        rows = table[(table["metric"] == m) & ~table["resolved"]]
        names = ", ".join(f"{r.parameter} (ST {r.ST:.2f} +/- {r.ST_conf:.2f})"
                          for r in rows.itertuples())  # fmt: skip
        parts.append(f"{m}: {names}")
    return (
        "warning: the Sobol sample is too small to rank these inputs (95% interval wider than "
        "the index): " + "; ".join(parts) + f". Raise --sobol-n (now {n_base}) and/or "
        "--sobol-paths; the tornado above is the reliable ranking for them."
    )
