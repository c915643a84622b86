"""The decision in words: the sentence at the top of the dashboard (pure functions).

Inputs are the optimizer table (:func:`dashboard.sweeps.decision_data`), the frontier table
and the current run's key numbers; output is HTML plus the figures it states, so the page
can carry them as ``data-*`` attributes.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from sim.outputs import usd
from sim.reports.decision import dominator, policy_words

__all__ = ["dominator", "element", "policy_words", "sentence", "units_words"]


def pct(p: float) -> str:
    """0.0415 -> '4.2%' (the one format of P(bankrupt) on the page)."""
    return f"{p:.1%}"


def ci(lo: float, hi: float) -> str:
    return f"95% CI {lo:.1%}-{hi:.1%}"


def units_words(units: dict[str, Any] | None, years: int = 3) -> str:
    """'new capacity online: 2027 2.1 GW ($120B take-or-pay), 2028 ...' (medians)."""
    if not units:
        return ""
    gw, money = units.get("gw_by_delivery_year", {}), units.get("commitment_usd_by_year", {})
    parts = [
        f"{y}: {gw[y]['p50']:.1f} GW ({usd(money[y]['p50'])} of take-or-pay)"
        for y in [y for y in sorted(gw) if gw[y]["p50"] >= 0.05 and y in money][:years]
    ]
    return "new capacity online by delivery year (medians) " + "; ".join(parts) if parts else ""


def sentence(
    opt: Any, numbers: dict[str, Any], current: str, front: Any, front_numbers: dict[str, Any]
) -> tuple[str, dict[str, str]]:
    """(HTML, data attributes) of the decision.

    ``opt`` is the decision table (dict) or None while it computes; ``numbers`` the key
    numbers of the shown run; ``current`` the current policy in words; ``front`` the frontier
    table (or None) and ``front_numbers`` the current policy's key numbers at the frontier's
    path count (same seed).
    """
    esc = html.escape
    p, (lo, hi), n = numbers["p_bankrupt"], numbers["p_bankrupt_ci95"], numbers["paths"]
    cur = (f"The current plan ({esc(current)}) has P(bankrupt) <b>{pct(p)}</b> ({ci(lo, hi)}) "
           f"at {n:,} paths and a median cumulative revenue of {usd(numbers['cum_revenue_p50'])}.")  # fmt: skip
    if not isinstance(opt, dict):
        head = (f"<b>Current plan ({esc(current)}): P(bankrupt) {pct(p)}</b> ({ci(lo, hi)}) at "
                f"{n:,} paths. ")  # fmt: skip
        wait = esc(str(opt)) if isinstance(opt, str) and opt else (
            "Finding the most aggressive plan within the risk budget…")  # fmt: skip
        return head + wait, {"p-bankrupt": repr(float(p)), "paths": str(n), "state": "pending"}
    budget = opt["budget"]
    if not opt["feasible"]:
        head = (
            f"<b>No planned growth between {opt['lo']:g}x and {opt['hi']:g}x/yr keeps "
            f"P(bankrupt) credibly within the {budget:.0%} risk budget</b>: even "
            f"{opt['lo']:g}x/yr has P(bankrupt) <b>{pct(opt['p_bankrupt'])}</b> "
            f"({ci(*opt['ci95'])}) at {opt['paths']:,} paths."
        )
    else:
        units = units_words(opt.get("units"))
        head = (
            f"<b>Most aggressive plan within the {budget:.0%} risk budget: planned growth "
            f"{opt['value']:.2g}x/yr</b>{' → ' + esc(units) if units else ''}. P(bankrupt) "
            f"<b>{pct(opt['p_bankrupt'])}</b> ({ci(*opt['ci95'])}) at {opt['paths']:,} paths; "
            f"median cumulative revenue {usd(opt['cum_revenue_p50'])}."
        )
    parts = [head, cur]
    if opt["feasible"] and math.isfinite(opt["cum_revenue_p50"]):
        gap = numbers["cum_revenue_p50"] - opt["cum_revenue_p50"]
        dp = p - opt["p_bankrupt"]
        if gap > 0 and dp > 0:
            parts.append(
                f"Staying within the budget gives up {usd(gap)} of median revenue "
                f"({gap / numbers['cum_revenue_p50']:.0%}) for {100 * dp:.1f} points less risk."
            )
        elif dp <= 0:
            parts.append("The current plan is already within the risk budget's figure.")
    dom = None
    if isinstance(front, pd.DataFrame) and front_numbers:
        dom = dominator(front, front_numbers["p_bankrupt"], front_numbers["cum_revenue_p50"],
                        current)  # fmt: skip
    if dom is not None:
        parts.append(
            f"The current plan is <b>dominated</b> by {esc(policy_words(dom))}: "
            f"{pct(dom['p_bankrupt'])} risk and {usd(dom['cum_revenue_p50'])} median revenue "
            f"vs {pct(front_numbers['p_bankrupt'])} and {usd(front_numbers['cum_revenue_p50'])} "
            f"on the same {int(dom['paths']):,} worlds (click it on the frontier to apply it)."
        )
    elif isinstance(front, pd.DataFrame):
        parts.append("No policy of the frontier family beats the current plan on both risk "
                     "and revenue.")  # fmt: skip
    attrs = {
        "p-bankrupt": repr(float(opt["p_bankrupt"])),
        "paths": str(int(opt["paths"])),
        "state": "ready",
        "plan": f"{opt['value']:.4g}" if opt["feasible"] else "none",
        "current-p-bankrupt": repr(float(p)),
        "current-paths": str(n),
        "dominated": "yes" if dom is not None else "no",
    }
    return " ".join(parts), attrs


def element(body: str, attrs: dict[str, str]) -> str:
    """The decision as one HTML element with ``data-testid="decision"``."""
    data = " ".join(f'data-{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
    return f'<div class="decision-text" data-testid="decision" {data}>{body}</div>'
