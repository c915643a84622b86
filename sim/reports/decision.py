"""The executive summary that opens the reports: the answer first, in words and numbers.

The current plan's risk with its CI and dates, what it commits to per delivery year, the
most aggressive planned growth within a risk budget (:func:`sim.analysis.optimize.max_commitment`,
one-sided test) and whether a policy of the frontier family beats the current plan on
both risk and revenue on the same worlds. The search runs on at most
:data:`DECISION_PATHS` paths (same seed); every figure states its path count.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.model.results import Results
from sim.outputs import usd

DECISION_PATHS = 2000
"""Most paths per evaluation of the optimizer and the frontier in the summary."""
BUDGET = 0.05
"""Risk budget of the summary [P(bankrupt)]."""


def policy_words(row: dict[str, Any] | pd.Series) -> str:
    """Plain words of a policy cell (dotted ``policy.*`` keys)."""
    kind = row.get("policy.kind", "planned_growth")
    if kind == "planned_growth":
        return f"planned growth {row.get('policy.planned_growth'):g}x/yr"
    if kind == "demand_quantile":
        return f"demand quantile q={row.get('policy.q'):g}"
    if kind == "adaptive":
        h = row.get("policy.haircut", 0.0)
        return f"adaptive (haircut {0.0 if h != h else h:g})"
    return "the fixed purchase schedule"


def scenario_policy_words(scenario: Any) -> str:
    return policy_words({f"policy.{k}": v for k, v in scenario.policy.model_dump().items()})


def dominator(front: pd.DataFrame, p: float, rev: float, current: str) -> pd.Series | None:
    """The least risky policy of the family with P(bankrupt) <= ``p`` and median
    cumulative revenue >= ``rev`` (one strictly), other than ``current``; or None."""
    if not isinstance(front, pd.DataFrame) or front.empty:
        return None
    r, u = front["p_bankrupt"], front["cum_revenue_p50"]
    better = (r <= p) & (u >= rev) & ((r < p) | (u > rev))
    labels = front.apply(policy_words, axis=1)
    cand = front[better & (labels != current)]
    if cand.empty:
        return None
    return cand.sort_values(["p_bankrupt", "cum_revenue_p50"], ascending=[True, False]).iloc[0]


def units_words(gw: dict[str, Any], money: dict[str, Any], years: int = 3) -> str:
    """'2027: 2.1 GW ($120B of take-or-pay); 2028: ...' (medians), or ''."""
    parts = [
        f"{y}: {gw[y]['p50']:.1f} GW ({usd(money[y]['p50'])} of take-or-pay)"
        for y in [y for y in sorted(gw) if gw[y]["p50"] >= 0.05 and y in money][:years]
    ]
    return "; ".join(parts)


def executive_summary(
    results: Results, summary: dict[str, Any], budget: float = BUDGET
) -> list[str]:
    """Sentences of the executive summary (plain text)."""
    from sim.model.sampling import shared_draws

    with shared_draws():  # the search, the frontier and the current plan draw the same worlds
        return _summary_lines(results, summary, budget)


def _summary_lines(results: Results, summary: dict[str, Any], budget: float) -> list[str]:
    from sim.analysis.frontier import frontier
    from sim.analysis.optimize import decision_units_for, max_commitment
    from sim.analysis.sweep import apply_cell, run_sweep

    from .frames import month_date

    s = results.scenario
    current = scenario_policy_words(s)
    lo, hi = summary["p_bankrupt_ci95"]
    p = summary["p_bankrupt"]
    lines = []
    head = (f"Current plan ({current}): P(bankrupt) {p:.1%} (95% CI {lo:.1%}-{hi:.1%}) at "
            f"{summary['paths']:,} paths, counting bankruptcies in the run-off after the "
            "horizon")  # fmt: skip
    mtb = summary.get("median_months_to_bankruptcy")
    if mtb is not None and p > 0:
        head += f"; the median bankruptcy within the horizon comes in {month_date(summary['start'], mtb)}"
    lines.append(head + ".")
    units = units_words(summary.get("gw_by_delivery_year", {}),
                        summary.get("commitment_usd_by_year", {}))  # fmt: skip
    if units:
        lines.append(f"It commits to new capacity by delivery year (medians): {units}.")
    lines.append(
        f"Median cumulative revenue {usd(summary['cum_revenue_p50'])} (P90 "
        f"{usd(summary['cum_revenue_p90'])}); {summary['unserved_share_of_demand']:.0%} of "
        "potential demand goes unserved."
    )
    n = min(int(results.paths), DECISION_PATHS)
    planned = apply_cell(s, {"policy.kind": "planned_growth", "policy.planned_growth": 1.0})
    opt = max_commitment(planned, budget=budget, paths=n)
    if opt.feasible:
        chosen = decision_units_for(planned, {"policy.planned_growth": opt.value}, n)
        units = units_words(chosen["gw_by_delivery_year"], chosen["commitment_usd_by_year"])
        lines.append(
            f"Most aggressive plan within the {budget:.0%} risk budget: planned growth "
            f"{opt.value:.2g}x/yr, P(bankrupt) {opt.p_bankrupt:.1%} (95% CI "
            f"{opt.ci95[0]:.1%}-{opt.ci95[1]:.1%}) at {n:,} paths, median cumulative revenue "
            f"{usd(opt.metrics['cum_revenue_p50'])}"
            + (f"; new capacity {units}" if units else "")
            + "."
        )
    else:
        lines.append(
            f"No planned growth between 1x and 10x/yr keeps P(bankrupt) credibly within the "
            f"{budget:.0%} risk budget (1x/yr: {opt.p_bankrupt:.1%} at {n:,} paths)."
        )
    front = frontier(s, paths=n)
    cur = run_sweep(s, [{}], paths=n).iloc[0]
    dom = dominator(front, float(cur["p_bankrupt"]), float(cur["cum_revenue_p50"]), current)
    if dom is not None:
        lines.append(
            f"The current plan is dominated by {policy_words(dom)}: {dom['p_bankrupt']:.1%} "
            f"risk and {usd(dom['cum_revenue_p50'])} median revenue vs "
            f"{cur['p_bankrupt']:.1%} and {usd(cur['cum_revenue_p50'])} on the same {n:,} worlds."
        )
    else:
        lines.append(f"No policy of the frontier family beats the current plan on both risk "
                     f"and revenue ({n:,} worlds).")  # fmt: skip
    if apply_cell(s, {"simulation.paths": n}) != s and n != results.paths:
        lines.append(f"(The search and the frontier use {n:,} paths with the same seed; "
                     "compare their CIs with the headline's.)")  # fmt: skip
    return lines
