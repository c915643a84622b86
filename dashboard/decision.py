"""The decision at the top of the dashboard: the words of :mod:`sim.reports.decision` as HTML
with the figures it states as ``data-*`` attributes (a served page also carries it as static
HTML: :func:`dashboard.pages.serve_decision`)."""

from __future__ import annotations

import html
from typing import Any

from sim.analysis.dominance import outcomes_of, standing
from sim.reports.decision import decision_text, pct, to_html

from .cache import MemoryLRU

_STANDINGS = MemoryLRU(256 * 2**20, max_items=4)  # (id(rec), id(run's paths)) -> standing


def recommendation(opt: Any) -> Any:
    """The Recommendation inside a decision table, or None."""
    return opt.get("recommendation") if isinstance(opt, dict) else None


def _standing(rec: Any, results: Any) -> Any:
    key = (id(rec), id(results.path))
    if (hit := _STANDINGS.get(key)) is not None and hit[0] is rec and hit[1] is results.path:
        return hit[2]
    st = standing(rec, outcomes_of(results, rec.paths))
    _STANDINGS.put(key, (rec, results.path, st))
    return st


def sentence(opt: Any, numbers: dict[str, Any], current: str,
             results: Any) -> tuple[str, dict[str, str]]:  # fmt: skip
    """(HTML, data attributes) of the decision table ``opt`` (None or a message: pending); the
    current plan is judged on the shown run's first paths, the recommendation's worlds."""
    esc = html.escape
    p, (lo, hi), n = numbers["p_bankrupt"], numbers["p_bankrupt_ci95"], numbers["paths"]
    rec = recommendation(opt)
    if rec is None or results is None or results.paths < rec.paths:
        head = (f"<b>Current plan ({esc(current)}): P(bankrupt) {pct(p)}</b> (95% CI "
                f"{pct(lo)}-{pct(hi)}) at {n:,} paths. ")  # fmt: skip
        wait = esc(opt) if isinstance(opt, str) and opt else (
            "Finding the plan with the highest median revenue within the risk budget…")  # fmt: skip
        return head + wait, {"p-bankrupt": repr(float(p)), "paths": str(n), "state": "pending"}
    d = decision_text(rec, _standing(rec, results), current)
    attrs = {**d.attrs, "current-p-bankrupt": repr(float(p)), "current-paths": str(n)}
    return to_html(d, wide=True), attrs


# Explorer input, policy cell key, factor from the cell's value to the input's (% for shares)
POLICY_INPUTS = (("planned_growth", "policy.planned_growth", 1), ("quantile", "policy.q", 100),
                 ("haircut", "policy.haircut", 100))  # fmt: skip


def cell_updates(cell: dict[str, Any]) -> dict[str, Any]:
    """Explorer settings (its units) for a policy cell of the frontier."""
    out: dict[str, Any] = {"policy_kind": cell.get("policy.kind")}
    for name, key, unit in POLICY_INPUTS:
        if key in cell:
            v = float(cell[key])
            out[name] = v if unit == 1 else round(unit * v, 10)  # share -> %
    return out


def apply_updates(opt: Any) -> dict[str, Any]:
    """Explorer settings making the current plan exactly the recommended one ({}: none yet)."""
    rec = recommendation(opt)
    if rec is None:
        return {}
    pol = rec.policy
    out = cell_updates(rec.cell)
    if pol["kind"] == "adaptive" and isinstance(pol.get("prior_growth"), int | float):
        out["planned_growth"] = float(pol["prior_growth"])  # the Explorer's adaptive prior
    if pol["kind"] in ("planned_growth", "adaptive"):
        out["plan_to_ceiling"] = bool(pol.get("plan_to_ceiling", False))
    return out


def element(body: str, attrs: dict[str, str], testid: str = "decision") -> str:
    """The decision as one HTML element with its ``data-testid`` and ``data-*`` figures."""
    data = " ".join(f'data-{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
    return f'<div class="decision-text" data-testid="{testid}" {data}>{body}</div>'
