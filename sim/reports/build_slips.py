"""Tables of the build pipeline's slips and of their effect (scenarios with ``compute.build``).

:func:`slip_frames` describes the SimPy slip distribution the engine draws from;
:func:`slip_effect_frame` compares the same paths with the pipeline off and on.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from sim.model.results import Results
from sim.model.scenario import Scenario

SLIP_EFFECT_MAX_PATHS = 4000
"""Paths of the pipeline off/on comparison in reports: ``min(run paths, this)``."""

SLIP_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def whole_month_slips(table: np.ndarray) -> np.ndarray:
    """Each simulated slip as the engine draws it: :func:`sim.build.sample_slips` at the
    uniform that selects that order statistic (``u = (i + 0.5) / N``), so whole months [months]."""
    from sim.build import sample_slips

    return sample_slips(table, (np.arange(table.size) + 0.5) / table.size)


def slip_frames(scenario: Scenario) -> dict[str, pd.DataFrame] | None:
    """Tables of the slip distribution, or None when the scenario has no ``compute.build``.

    ``slip_months``: index whole-month slip [months] 0..max, ``projects`` (count), ``share``
    of projects and ``cum_share`` (P(slip <= m)) as the engine draws them; ``slip_cdf``: the
    empirical CDF ``cdf`` of the simulated (continuous) slips, index ``slip`` [months],
    starting at (0, 0); ``slip_quantiles``: see :func:`slip_quantiles`.
    """
    from sim.model.engine import slip_table

    table = slip_table(scenario)
    if table is None:
        return None
    whole = whole_month_slips(table)
    counts = np.bincount(whole)
    months = pd.Index(np.arange(counts.size), name="slip_months")
    pmf = pd.DataFrame(
        {
            "projects": counts,
            "share": counts / table.size,
            "cum_share": np.cumsum(counts) / table.size,
        },
        index=months,
    )
    xs, n_at = np.unique(table, return_counts=True)
    cdf = pd.DataFrame(
        {"cdf": np.concatenate([[0.0], np.cumsum(n_at) / table.size])},
        index=pd.Index(np.concatenate([[0.0], xs]), name="slip"),
    )
    return {"slip_months": pmf, "slip_cdf": cdf, "slip_quantiles": slip_quantiles(table)}


def slip_quantiles(table: np.ndarray) -> pd.DataFrame:
    """q05..q95, mean and P(slip > 0) [months, -] of the simulated slips and of the
    whole-month slips the engine draws from them; index ``statistic``, one column each."""
    whole = whole_month_slips(table).astype(float)
    stats = {}
    for name, x in (("simulated", table), ("whole_months", whole)):
        q = np.quantile(x, SLIP_QUANTILES)
        col = {f"q{round(100 * p):02d}": float(v) for p, v in zip(SLIP_QUANTILES, q, strict=True)}
        col |= {"mean": float(x.mean()), "p_slip_positive": float((x > 0).mean())}
        stats[name] = col
    return pd.DataFrame(stats).rename_axis("statistic")


def slip_quantiles_display(quantiles: pd.DataFrame) -> pd.DataFrame:
    """:func:`slip_quantiles` with readable headers and formatted cells."""
    labels = {"simulated": "Simulated (SimPy) [months]", "whole_months": "As drawn [whole months]"}
    rows = []
    for stat, r in quantiles.iterrows():
        label = "P(slip > 0)" if stat == "p_slip_positive" else str(stat)
        fmt = (lambda v: f"{v:.1%}") if stat == "p_slip_positive" else (lambda v: f"{v:.2f}")
        rows.append({"Statistic": label, **{labels[c]: fmt(r[c]) for c in quantiles.columns}})
    return pd.DataFrame(rows, columns=["Statistic", *(labels[c] for c in quantiles.columns)])


def slip_effect_paths(results: Results) -> int:
    """Paths of the off/on comparison shown in reports."""
    return min(results.paths, SLIP_EFFECT_MAX_PATHS)


@lru_cache(maxsize=8)
def _slip_effect(scenario: Scenario, paths: int, seed: int) -> pd.DataFrame:
    from sim.build.slip_effect import slip_effect

    return slip_effect(scenario, paths, seed)


def slip_effect_frame(scenario: Scenario, paths: int, seed: int) -> pd.DataFrame:
    """:func:`sim.build.slip_effect.slip_effect` (cached, so the HTML and Markdown reports of one
    run share one computation; a copy is returned)."""
    return _slip_effect(scenario, paths, seed).copy()


SLIP_EFFECT_COLUMNS = {
    "p_bankrupt": ("P(bankrupt by end)", "pct"),
    "p_bankrupt_ci": ("P(bankrupt) 95% CI", "ci"),
    "bankrupt_only_here": ("Bankrupt only in this case", "pct"),
    "unserved_share": ("Unserved share of potential demand", "pct"),
    "cum_revenue_p50": ("Cumulative revenue, median", "usd"),
    "mean_capacity_gw": ("Mean capacity [GW]", "gw"),
    "mean_slip_months": ("Mean slip of a new contract [months]", "months"),
}


def slip_effect_display(effect: pd.DataFrame) -> pd.DataFrame:
    """The off/on table of :func:`sim.build.slip_effect.slip_effect` with readable cells."""
    from sim.outputs import usd

    names = {"off": "off (no slip)", "on": "on (compute.build)"}
    fmt = {
        "pct": lambda r, c: f"{r[c]:.1%}",
        "ci": lambda r, _c: f"{r['p_bankrupt_lo']:.1%} - {r['p_bankrupt_hi']:.1%}",
        "usd": lambda r, c: usd(r[c]),
        "gw": lambda r, c: f"{r[c]:,.1f}",
        "months": lambda r, c: f"{r[c]:.2f}",
    }
    rows = [
        {"Build pipeline": names.get(str(case), str(case))}
        | {label: fmt[kind](r, col) for col, (label, kind) in SLIP_EFFECT_COLUMNS.items()}
        for case, r in effect.iterrows()
    ]
    return pd.DataFrame(
        rows, columns=["Build pipeline", *(label for label, _ in SLIP_EFFECT_COLUMNS.values())]
    )


def slip_effect_note(effect: pd.DataFrame, paths: int) -> str:
    """One sentence stating the comparison's path count and the change in P(bankrupt)."""
    d = effect.loc["on", "p_bankrupt"] - effect.loc["off", "p_bankrupt"]
    return (
        f"The same {paths:,} paths with the pipeline off and on (the run's first {paths:,}, "
        f"same seed and draws; at most {SLIP_EFFECT_MAX_PATHS:,} to keep reports quick). Slip "
        f"changes P(bankrupt by end) by {100 * d:+.1f} percentage points. A slipped contract "
        "is also paid from its later start, so slip delays commitments as well as capacity: "
        "it raises unserved demand but can lower P(bankrupt) by the horizon."
    )
