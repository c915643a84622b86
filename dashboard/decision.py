"""The decision at the top of the dashboard: the words of :mod:`sim.reports.decision` in HTML.

Inputs are the decision table (:func:`dashboard.sweeps.decision_data`, holding a
:class:`sim.analysis.recommend.Recommendation`), the current run's key numbers and the
current run itself (its first paths are the recommendation's worlds, so the current plan is
judged on them without a new run). Output is HTML plus the figures it states, so the page
can carry them as ``data-*`` attributes.

A served page (:func:`serve_decision`) carries the decision as plain HTML, readable before
BokehJS has run, with its scripts deferred and the unused bundles left out.
"""

from __future__ import annotations

import functools
import html
from typing import Any

from sim.reports.decision import decision_text, pct, to_html

from .cache import MemoryLRU

__all__ = [
    "apply_updates",
    "cell_updates",
    "element",
    "recommendation",
    "sentence",
    "serve_decision",
]

_STANDINGS = MemoryLRU(256 * 2**20, max_items=4)
"""(id of recommendation, id of run's per-path arrays) -> (both, standing): redraws and
sessions showing the same run and recommendation (one object each: the caches share them)
compute it once."""


def recommendation(opt: Any) -> Any:
    """The Recommendation inside a decision table, or None."""
    return opt.get("recommendation") if isinstance(opt, dict) else None


def _standing(rec: Any, results: Any) -> Any:
    from sim.analysis.dominance import outcomes_of, standing

    key = (id(rec), id(results.path))
    hit = _STANDINGS.get(key)
    if hit is not None and hit[0] is rec and hit[1] is results.path:
        return hit[2]
    st = standing(rec, outcomes_of(results, rec.paths))
    _STANDINGS.put(key, (rec, results.path, st))
    return st


def sentence(
    opt: Any, numbers: dict[str, Any], current: str, results: Any
) -> tuple[str, dict[str, str]]:
    """(HTML, data attributes) of the decision.

    ``opt`` is the decision table (dict) or None/a message while it computes; ``numbers``
    the key numbers of the shown run; ``current`` the current policy in words; ``results``
    the shown run (at least as many paths as the recommendation's worlds).
    """
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


POLICY_INPUTS = (("planned_growth", "policy.planned_growth", 1), ("quantile", "policy.q", 100),
                 ("haircut", "policy.haircut", 100))  # fmt: skip
"""Explorer input, policy cell key, and the factor from the cell's share to the input's
unit (quantile and haircut are entered in %)."""


def cell_updates(cell: dict[str, Any]) -> dict[str, Any]:
    """Explorer settings for a policy cell of the frontier (``policy.kind`` and its family's
    parameter), in the Explorer's units."""
    out: dict[str, Any] = {"policy_kind": cell.get("policy.kind")}
    for name, key, unit in POLICY_INPUTS:
        if key in cell:
            v = float(cell[key])
            out[name] = v if unit == 1 else round(unit * v, 10)  # share -> %
    return out


def apply_updates(opt: Any) -> dict[str, Any]:
    """Explorer settings that make the current plan exactly the recommended one (when no
    plan passes the budget, the least risky one; {} before the search is done): its policy
    kind, its family's parameter and the fields the Explorer writes for that kind."""
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
    """The decision as one HTML element with ``data-testid="decision"`` (the live pane;
    the page's static copy says ``decision-static``)."""
    data = " ".join(f'data-{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
    return f'<div class="decision-text" data-testid="{testid}" {data}>{body}</div>'


# ------------------------------------------------------------------ the served page
PAGE = """{% extends layout %}
{% block js_resources %}{% endblock %}
{% block contents %}{{ super() | replace('id="main">', 'id="main">' ~ decision_static, 1) }}
{% endblock %}
{% block css_resources %}{{ inline_css(super()) }}{% endblock %}
{% block postamble %}{{ inline_css(super()) }}{% endblock %}
{% block inner_body %}{{ self.contents() }}
{{ scripts_after_paint(bokeh_js, plot_script, skip) }}{% endblock %}
"""
"""Panel's page (``layout``) with the static decision first in ``#main``, the style sheets in
the page and the scripts loaded once it is painted (:mod:`dashboard.pages`)."""
UNUSED_BUNDLES = ("bokeh-mathjax", "bokeh-gl")
"""BokehJS bundles every page would parse for nothing: MathJax (1.8 MB; Panel loads it for
any HTML pane, and no text of the dashboard is TeX) and WebGL (the charts draw on canvas)."""
REMOVE = "document.querySelectorAll('.decision-static').forEach((e) => e.remove())"


@functools.cache
def _page(layout: Any) -> Any:
    from .pages import inline_css, scripts_after_paint

    names = {"layout": layout, "skip": UNUSED_BUNDLES}
    names |= {"inline_css": inline_css, "scripts_after_paint": scripts_after_paint}
    return layout.environment.from_string(PAGE, globals=names)


def timed(body: str) -> str:
    """``body`` with its verdict marked for the browser's Element Timing (when the decision
    was painted: ``PerformanceObserver`` type ``element``, identifier ``decision``)."""
    return body.replace('<p class="verdict">', '<p class="verdict" elementtiming="decision">', 1)


def serve_decision(template: Any, doc: Any, body: str, attrs: dict[str, str]) -> None:
    """Make ``doc``'s page (Panel ``template``) carry the decision ``body``/``attrs`` (of
    :func:`sentence`) as static HTML (:func:`element`, ``data-testid="decision-static"``)
    until the live pane has rendered (then a ``document_ready`` callback removes it)."""
    from bokeh.models import CustomJS

    from .widgets import CSS  # panel: imported by a served page only

    template.template = _page(template.template)
    doc.template_variables["decision_static"] = (
        f'<style>{CSS}</style><div class="decision-static" style="margin: 5px 10px">'
        f"{element(timed(body), attrs, testid='decision-static')}</div>"
    )
    doc.js_on_event("document_ready", CustomJS(code=REMOVE))
