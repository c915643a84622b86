"""Side-by-side comparison of scenarios with Monte Carlo confidence intervals.

Each metric of each scenario is reported with its difference against the first scenario
and a 95% confidence interval for that difference (Monte Carlo error only).

Which interval is used:

* **Paired** (same seed and same path count, the usual case with ``--seed``): path ``i``
  of every scenario uses the same random draws (common random numbers, see
  :mod:`sim.model.rng`), so pairs ``(a_i, b_i)`` are independent across ``i`` and the difference
  is estimated from the pairs. Proportions use Newcombe's (1998, method 10) score interval
  for paired proportions; medians, means and ratios use a paired percentile bootstrap
  (resampling path indices jointly). With CRN most of the noise cancels, so paired
  intervals are much tighter than unpaired ones.
* **Unpaired** (different seeds or path counts): Newcombe's hybrid score interval (method
  10 of the 1998 two-sample paper: two Wilson intervals combined) for proportions, and an
  independent percentile bootstrap for the other statistics.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.model.results import Results
from sim.model.rng import stream
from sim.model.summary import wilson_interval

Z95 = 1.959963984540054
BOOTSTRAP = 1000
"""Bootstrap resamples for non-proportion metrics [count]."""


@dataclass(frozen=True)
class Metric:
    """A number computed from per-path outcomes, with how to print it."""

    name: str
    label: str
    unit: str
    """``"pct"`` (a share), ``"usd"``, ``"gw"``."""
    stat: Callable[[dict[str, np.ndarray]], float] | None
    """Statistic of a dict of per-path arrays; None for the bankruptcy proportion."""
    keys: tuple[str, ...] = ()
    """Per-path arrays ``stat`` reads (only these are resampled)."""
    flag: str = "bankrupt"
    """Boolean per-path attribute of :class:`Results` a proportion (``stat`` None) counts."""


def _median(key: str) -> Callable[[dict[str, np.ndarray]], float]:
    return lambda p: float(np.median(p[key]))


METRICS = (
    Metric("p_bankrupt", "P(bankrupt by end)", "pct", None),
    Metric("p_bankrupt_in_horizon", "P(bankrupt) within the horizon", "pct", None,
           flag="bankrupt_in_horizon"),
    Metric("cum_revenue_p50", "Cumulative revenue, median", "usd", _median("cum_revenue"),
           ("cum_revenue",)),
    Metric("unserved_share", "Unserved share of potential demand", "pct",
           lambda p: float(p["cum_unserved"].sum() / p["cum_demand"].sum()),
           ("cum_unserved", "cum_demand")),
    Metric("equity_value_p50", "Equity value at end, median", "usd", _median("equity_value"),
           ("equity_value",)),
    Metric("equity_value_mean", "Equity value at end, mean", "usd",
           lambda p: float(p["equity_value"].mean()), ("equity_value",)),
    Metric("cum_compute_cost_p50", "Cumulative compute cost, median", "usd",
           _median("cum_compute_cost"), ("cum_compute_cost",)),
    Metric("peak_capacity_gw_p50", "Peak capacity [GW], median", "gw", _median("peak_capacity_gw"),
           ("peak_capacity_gw",)),
)  # fmt: skip
"""Metrics compared, in display order."""


def newcombe_unpaired(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """95% interval for ``k2/n2 - k1/n1`` from two independent samples (Newcombe 1998)."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, Z95)
    l2, u2 = wilson_interval(k2, n2, Z95)
    d = p2 - p1
    return (d - math.hypot(p2 - l2, u1 - p1), d + math.hypot(u2 - p2, p1 - l1))


def newcombe_paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """95% interval for ``mean(b) - mean(a)`` of paired booleans (Newcombe 1998, method 10).

    Combines the Wilson intervals of both proportions with the phi correlation of the
    pairs; it stays non-degenerate when no pair is discordant.
    """
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    n = a.size
    n11 = int((a & b).sum())
    n10 = int((a & ~b).sum())
    n01 = int((~a & b).sum())
    n00 = n - n11 - n10 - n01
    pa, pb = (n11 + n10) / n, (n11 + n01) / n
    la, ua = wilson_interval(n11 + n10, n, Z95)
    lb, ub = wilson_interval(n11 + n01, n, Z95)
    denom = (n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00)
    phi = (n11 * n00 - n10 * n01) / math.sqrt(denom) if denom > 0 else 0.0
    d = pb - pa
    lo = d - math.sqrt(max(0.0, (pb - lb) ** 2 - 2 * phi * (pb - lb) * (ua - pa) + (ua - pa) ** 2))
    hi = d + math.sqrt(max(0.0, (ub - pb) ** 2 - 2 * phi * (ub - pb) * (pa - la) + (pa - la) ** 2))
    return (max(-1.0, lo), min(1.0, hi))


def bootstrap_diff(
    stat: Callable[[dict[str, np.ndarray]], float],
    a: dict[str, np.ndarray],
    b: dict[str, np.ndarray],
    paired: bool,
    rng: np.random.Generator,
    resamples: int = BOOTSTRAP,
) -> tuple[float, float]:
    """Percentile-bootstrap 95% interval for ``stat(b) - stat(a)``.

    ``paired`` resamples one set of path indices for both (valid when path ``i`` of both
    scenarios shares its random draws); otherwise each scenario is resampled independently.
    """
    na, nb = len(next(iter(a.values()))), len(next(iter(b.values())))
    diffs = np.empty(resamples)
    for r in range(resamples):
        ia = rng.integers(0, na, na)
        ib = ia if paired else rng.integers(0, nb, nb)
        diffs[r] = stat({k: v[ib] for k, v in b.items()}) - stat({k: v[ia] for k, v in a.items()})
    lo, hi = np.quantile(diffs, [0.025, 0.975])
    return (float(lo), float(hi))


def is_paired(a: Results, b: Results) -> bool:
    """Same seed and path count: path ``i`` of both runs shares its random draws."""
    return a.scenario.simulation.seed == b.scenario.simulation.seed and a.paths == b.paths


def _value(metric: Metric, res: Results) -> tuple[float, tuple[float, float] | None]:
    if metric.stat is None:
        k = int(getattr(res, metric.flag).sum())
        return k / res.paths, wilson_interval(k, res.paths, Z95)
    return metric.stat(res.path), None


def compare_results(
    results: Sequence[Results], labels: Sequence[str] | None = None, resamples: int = BOOTSTRAP
) -> pd.DataFrame:
    """Tidy comparison table: one row per (metric, scenario).

    Columns: ``metric``, ``label``, ``unit``, ``scenario``, ``value`` (with ``value_lo`` /
    ``value_hi`` for proportions), ``diff`` against the first scenario with its 95% interval
    ``diff_lo`` / ``diff_hi`` (NaN for the first), and ``paired``.
    """
    if len(results) < 2:
        raise ValueError("compare needs at least two scenarios")
    labels = list(labels or [r.scenario.name for r in results])
    if len(set(labels)) != len(labels):
        raise ValueError(f"scenario labels must be unique, got {labels}")
    ref = results[0]
    rows: list[dict[str, Any]] = []
    for metric in METRICS:
        ref_value, _ = _value(metric, ref)
        for j, (res, label) in enumerate(zip(results, labels, strict=True)):
            value, ci = _value(metric, res)
            row: dict[str, Any] = {
                "metric": metric.name, "label": metric.label, "unit": metric.unit,
                "scenario": label, "value": value,
                "value_lo": ci[0] if ci else math.nan, "value_hi": ci[1] if ci else math.nan,
                "diff": math.nan, "diff_lo": math.nan, "diff_hi": math.nan,
                "paired": math.nan,
            }  # fmt: skip
            if j > 0:
                paired = is_paired(ref, res)
                if metric.stat is None:
                    fa, fb = getattr(ref, metric.flag), getattr(res, metric.flag)
                    lo, hi = (
                        newcombe_paired(fa, fb) if paired
                        else newcombe_unpaired(int(fa.sum()), ref.paths, int(fb.sum()), res.paths)
                    )  # fmt: skip
                else:
                    rng = stream(res.scenario.simulation.seed, j, f"compare:{metric.name}")
                    a = {k: ref.path[k] for k in metric.keys}
                    b = {k: res.path[k] for k in metric.keys}
                    lo, hi = bootstrap_diff(metric.stat, a, b, paired, rng, resamples)
                row.update(diff=value - ref_value, diff_lo=lo, diff_hi=hi, paired=paired)
            rows.append(row)
    return pd.DataFrame(rows)


def compare_to_json(table: pd.DataFrame, results: Sequence[Results]) -> dict[str, Any]:
    """JSON-ready form of :func:`compare_results`: scenarios, then metrics by scenario."""
    scen = []
    for label, res in zip(table["scenario"].unique(), results, strict=True):
        s = res.scenario
        scen.append({"label": str(label), "name": s.name, "seed": s.simulation.seed,
                     "paths": res.paths, "months": s.months})  # fmt: skip
    metrics: dict[str, Any] = {}
    for name, grp in table.groupby("metric", sort=False):
        metrics[str(name)] = {
            "label": grp["label"].iloc[0],
            "unit": grp["unit"].iloc[0],
            "by_scenario": [
                {k: (None if isinstance(v, float) and math.isnan(v) else v)
                 for k, v in r.items() if k not in {"metric", "label", "unit"}}
                for r in grp.to_dict(orient="records")
            ],
        }  # fmt: skip
    return {
        "reference": scen[0]["label"],
        "interval": "95% Monte Carlo CI of the difference vs the reference; paired (common "
        "random numbers) when seed and paths match, see sim.analysis.compare",
        "scenarios": scen,
        "metrics": metrics,
    }


def format_value(x: float, unit: str, signed: bool = False) -> str:
    """One value of a :func:`compare` table as people read it ("4.2%", "$4.54T", "12.5" GW;
    ``signed``: a difference, "+0.8%"); "n/a" for NaN."""
    from sim.outputs import usd

    if x != x:
        return "n/a"
    if unit == "pct":
        return f"{x:+.1%}" if signed else f"{x:.1%}"
    if unit == "gw":
        return f"{x:+,.1f}" if signed else f"{x:,.1f}"
    text = usd(x)
    return "+" + text if signed and x >= 0 else text


def format_table(table: pd.DataFrame) -> str:
    """A readable fixed-width table: metrics as rows, scenarios as columns."""
    fmt = format_value
    labels = list(table["scenario"].unique())
    cells: list[list[str]] = [["metric", *labels]]
    for _name, grp in table.groupby("metric", sort=False):
        unit = grp["unit"].iloc[0]
        line = [grp["label"].iloc[0]]
        diff_line = ["  diff vs " + labels[0] + " [95% CI]"]
        for r in grp.itertuples(index=False):
            line.append(fmt(r.value, unit))
            if r.diff != r.diff:
                diff_line.append("")
            else:
                mark = "" if r.paired else " (unpaired)"
                diff_line.append(
                    f"{fmt(r.diff, unit, True)} [{fmt(r.diff_lo, unit, True)}, "
                    f"{fmt(r.diff_hi, unit, True)}]{mark}"
                )
        cells += [line, diff_line]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    out = []
    for i, row in enumerate(cells):
        out.append("  ".join(c.ljust(w) if k == 0 else c.rjust(w)
                             for k, (c, w) in enumerate(zip(row, widths, strict=True))))  # fmt: skip
        if i == 0:
            out.append("-" * len(out[0]))
    return "\n".join(out)
