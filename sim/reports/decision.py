"""The decision in words: the one place that words the recommendation, for every reader.

:func:`decision_text` turns a :class:`sim.analysis.recommend.Recommendation` and the current
plan's :class:`sim.analysis.recommend.Standing` into an order: a verdict sentence ("Sign
17.7 GW for 2028 ..."), a table by delivery year, what it gives up against the current plan,
how the current plan stands (dominated only on a paired test) and the meaning of the one-sided
bound. :func:`to_markdown` and :func:`to_html` render it for report.md, report.html and the
dashboard (which imports this module; nothing here imports panel or hvplot).

One number format everywhere: :func:`pct` (4.2%), :func:`times` (2.2x), :func:`sim.outputs.usd`
($4.54T), GW with one decimal.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.model.results import Results
from sim.outputs import usd

DECISION_PATHS = 2000
"""Most paths per evaluation of the search in the reports (same seed as the headline)."""
BUDGET = 0.05
"""Risk budget of the reports [P(bankrupt), 0..1]."""


def pct(p: float, digits: int = 1) -> str:
    """0.0415 -> '4.2%' (probabilities, shares and budgets)."""
    return "n/a" if p != p else f"{100 * p:.{digits}f}%"


def points(d: float) -> str:
    """A difference of probabilities in percentage points: 0.047 -> '4.7'."""
    return f"{100 * abs(d):.1f}"


def times(x: float) -> str:
    """Growth factor: 2.23 -> '2.2x', 10 -> '10x'."""
    return f"{x:.2g}x" if x < 10 else f"{x:.3g}x"


def gw(x: float) -> str:
    return f"{x:,.1f} GW"


def policy_words(row: dict[str, Any] | pd.Series) -> str:
    """Plain words of a policy cell (dotted ``policy.*`` keys), in the one number format."""
    kind = row.get("policy.kind", row.get("family", "planned_growth"))
    if kind == "planned_growth":
        return f"planned growth {times(float(row.get('policy.planned_growth')))}/yr"
    if kind == "demand_quantile":
        return f"demand quantile {pct(float(row.get('policy.q')), 0)}"
    if kind == "adaptive":
        h = row.get("policy.haircut", 0.0)
        return f"adaptive (haircut {pct(0.0 if h != h else float(h), 0)})"
    return "the fixed purchase schedule"


def scenario_policy_words(scenario: Any) -> str:
    return policy_words({f"policy.{k}": v for k, v in scenario.policy.model_dump().items()})


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass
class DecisionText:
    """The decision as plain text parts (render with :func:`to_markdown` / :func:`to_html`)."""

    verdict: str
    """The order in one sentence (shown in bold)."""
    table: pd.DataFrame
    """By delivery year, cells formatted (empty when nothing is signed)."""
    gives_up: str
    """What the recommendation gives up (or gains) against the current plan."""
    standing: str
    """How the current plan stands: the recommendation, dominated, indistinguishable."""
    bound_note: str
    """The one-sided bound in words."""
    attrs: dict[str, str] = field(default_factory=dict)
    """Machine-readable figures (the dashboard's ``data-*`` attributes)."""


def order_table(rec: Any) -> pd.DataFrame:
    """The recommendation by calendar year of delivery, formatted, with a total row."""
    from sim.analysis.recommend import by_year_table

    t = by_year_table(rec)
    row = rec.plan
    out = pd.DataFrame({
        "Delivery year": t["year"].astype(str),
        "New GW online (median)": [f"{x:,.1f}" for x in t["gw_p50"]],
        "Take-or-pay signed (median)": [usd(x) for x in t["take_or_pay_p50"]],
        "P(bankrupt) by year end": [
            pct(x) if x == x else "after horizon" for x in t["p_bankrupt_by_end"]],
    })  # fmt: skip
    total = pd.DataFrame([{
        "Delivery year": "Total (median)",
        "New GW online (median)": f"{row['new_gw_p50']:,.1f}",
        "Take-or-pay signed (median)": usd(row["commitment_usd_p50"]),
        "P(bankrupt) by year end": pct(row["p_bankrupt"]) + " with run-off",
    }])  # fmt: skip
    return pd.concat([out, total], ignore_index=True) if len(out) else total


def _signed(rec: Any) -> tuple[list[str], list[str]]:
    """GW and take-or-pay of the years the sentence names: years with at least 1 GW
    (median), at most three, else the largest year."""
    from sim.analysis.recommend import by_year_table

    t = by_year_table(rec)
    big = t[t["gw_p50"] >= 1.0].head(3)
    if big.empty and len(t):
        big = t.loc[[t["gw_p50"].idxmax()]]
    years = [f"{gw(r.gw_p50)} for {r.year}" for r in big.itertuples()]
    money = [usd(r.take_or_pay_p50) for r in big.itertuples()]
    return years, money


def verdict_sentence(rec: Any) -> str:
    """The order in one sentence (plain text)."""
    row, n = rec.plan, rec.paths
    words = policy_words(row)
    budget = pct(rec.budget, 0 if 100 * rec.budget == round(100 * rec.budget) else 1)
    years, money = _signed(rec)
    if not rec.feasible:
        order = (f" If that risk is acceptable: sign {_and(years)} (take-or-pay {_and(money)})."
                 if years else "")  # fmt: skip
        return (
            f"No plan of the frontier family keeps P(bankrupt) within the {budget} risk budget: "
            f"the least risky, {words}, has P(bankrupt) {pct(row['p_bankrupt'])} (one-sided 95% "
            f"bound {pct(row['p_bankrupt_upper'])}), median revenue {usd(row['cum_revenue_p50'])}, "
            f"P90 {usd(row['cum_revenue_p90'])} at {n:,} paths.{order}"
        )
    order = (f"Sign {_and(years)} (take-or-pay {_and(money)}) with {words}"
             if years else f"Follow {words} (it signs nothing new in the median world)")  # fmt: skip
    return (
        f"{order}; P(bankrupt) {pct(row['p_bankrupt'])} (one-sided 95% bound "
        f"{pct(row['p_bankrupt_upper'])}, within the {budget} budget); median revenue "
        f"{usd(row['cum_revenue_p50'])}, P90 {usd(row['cum_revenue_p90'])} ({n:,} paths)."
    )


def bound_note(rec: Any) -> str:
    return (
        f"One-sided 95% bound: given the {rec.paths:,} simulated worlds, the true P(bankrupt) is "
        "at most this with 95% confidence (Monte Carlo error only, not model error); a plan "
        "passes when the bound is within the budget. Searched across planned growth, demand "
        "quantile and adaptive plans on the same worlds: the highest median revenue that passes."
    )


def signed_usd(x: float) -> str:
    """+$41.9B / -$21B."""
    return ("+" if x >= 0 else "-") + usd(abs(x))


def _ci(lo: float, hi: float, fmt: Any) -> str:
    """'95% CI a-b' of magnitudes when both ends share a sign, else signed ends."""
    if lo * hi > 0:
        a, b = sorted((abs(lo), abs(hi)))
        return f"95% CI {fmt(a)}-{fmt(b)}"
    return f"95% CI {fmt(lo, True)} to {fmt(hi, True)}"


def _usd_fmt(x: float, signed: bool = False) -> str:
    return signed_usd(x) if signed else usd(x)


def _pp_fmt(x: float, signed: bool = False) -> str:
    """Points of P(bankrupt), one decimal; a nonzero bound that would round to 0.0 keeps one
    significant digit ("0.03"), so an interval that excludes 0 never reads as touching it."""
    v = 100 * x
    spec = ".1g" if 0 < abs(v) < 0.05 else ".1f"
    return f"{v:+{spec}}" if signed else f"{v:{spec}}"


def _revenue_words(d: float, lo: float, hi: float) -> str:
    word = "gives up" if d < 0 else "gains"
    return f"{word} {usd(abs(d))} of median revenue ({_ci(lo, hi, _usd_fmt)})"


def _risk_words(d: float, lo: float, hi: float) -> str:
    if round(100 * abs(d), 1) == 0:
        return f"the same P(bankrupt) ({_ci(lo, hi, _pp_fmt)} points)"
    more = "more" if d > 0 else "less"
    return f"{points(d)} points {more} P(bankrupt) ({_ci(lo, hi, _pp_fmt)})"


def gives_up_sentence(rec: Any, st: Any, current: str) -> str:
    """The recommendation against the current plan, paired on the same worlds."""
    if st.status == "recommended":
        return ""
    d = st.versus_recommendation
    risk = _risk_words(d.p_bankrupt, *d.p_bankrupt_ci)
    trade = "for" if (d.revenue < 0) == (d.p_bankrupt < 0) else "with"  # a trade-off, or not
    if risk.startswith("the same"):
        trade = "at"
    return (
        f"Against the current plan ({current}) it {_revenue_words(d.revenue, *d.revenue_ci)} "
        f"{trade} {risk}, paired on the same {d.paths:,} worlds."
    )


def standing_sentence(st: Any, current: str, feasible: bool = True) -> str:
    """How the current plan stands; ``feasible`` False when no plan passes the budget (the
    plan compared with is then the least risky one, not a recommendation)."""
    if st.status == "recommended" and not feasible:
        return (f"The current plan ({current}) is the least risky plan of the frontier family "
                "and on the frontier.")  # fmt: skip
    if st.status == "recommended":
        return (f"The current plan ({current}) is the recommendation and on the frontier: no "
                "evaluated plan has both a lower P(bankrupt) and a higher median revenue.")  # fmt: skip
    if st.status == "undominated":
        return ("No evaluated plan is less risky than the current plan without giving up "
                "median revenue.")  # fmt: skip
    other, d = policy_words(st.other), st.diff
    if d is st.versus_recommendation and feasible:  # the recommendation: its figures are above
        return (f"The current plan is {st.status} "
                f"{'by' if st.status == 'dominated' else 'from'} the recommendation on the same "
                "worlds (paired 95% intervals above).")  # fmt: skip
    diffs = (f"{_risk_words(d.p_bankrupt, *d.p_bankrupt_ci)}, median revenue "
             f"{signed_usd(d.revenue)} ({_ci(*d.revenue_ci, _usd_fmt)}) on the same worlds")  # fmt: skip
    if st.status == "dominated":
        return f"The current plan is dominated by {other}: {diffs}."
    return (f"The current plan is indistinguishable from {other} within Monte Carlo error: "
            f"{diffs}.")  # fmt: skip


def decision_text(rec: Any, st: Any, current: str) -> DecisionText:
    """Every part of the decision for a recommendation and the current plan's standing."""
    row = rec.plan
    attrs = {
        "state": "ready",
        "feasible": "yes" if rec.feasible else "no",
        "plan": policy_words(row) if rec.feasible else "none",
        "least-risky": "" if rec.feasible else policy_words(row),
        "p-bankrupt": repr(float(row["p_bankrupt"])),
        "p-bankrupt-upper": repr(float(row["p_bankrupt_upper"])),
        "revenue-p50": repr(float(row["cum_revenue_p50"])),
        "paths": str(int(rec.paths)),
        "current": st.status,
    }
    return DecisionText(
        verdict=verdict_sentence(rec),
        table=order_table(rec),  # infeasible: the least risky plan's order
        gives_up=gives_up_sentence(rec, st, current),
        standing=standing_sentence(st, current, rec.feasible),
        bound_note=bound_note(rec),
        attrs=attrs,
    )


def to_markdown(d: DecisionText) -> list[str]:
    """Lines of the decision in Markdown: the verdict in bold, the table, the sentences."""
    from .markdown import md_table

    lines = [f"**{d.verdict}**", ""]
    if not d.table.empty:
        lines += [md_table(d.table), ""]
    for text in (d.gives_up, d.standing):
        if text:
            lines += [text, ""]
    lines += [f"*{d.bound_note}*", ""]
    return lines


def table_html(df: pd.DataFrame) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(str(c))}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in r) + "</tr>"
        for r in df.itertuples(index=False)
    )
    return f'<table class="order"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def to_html(d: DecisionText, wide: bool = False) -> str:
    """The decision as HTML: the verdict in bold, the table, the sentences, the bound's
    meaning; ``wide`` puts the delivery years in columns (fewer lines on a dashboard)."""
    esc = html.escape
    parts = [f'<p class="verdict"><b>{esc(d.verdict)}</b></p>']
    if not d.table.empty:
        table = d.table
        if wide:
            table = table.set_index("Delivery year").T.reset_index(names="Delivery year")
        parts.append(table_html(table))
    sentences = " ".join(s for s in (d.gives_up, d.standing) if s)
    if sentences:
        parts.append(f'<p class="standing">{esc(sentences)}</p>')
    parts.append(f'<p class="note bound-note">{esc(d.bound_note)}</p>')
    return "".join(parts)


# ------------------------------------------------------------------------ report side
def report_decision(results: Results, budget: float = BUDGET) -> DecisionText:
    """The decision for a run's scenario: the search on at most :data:`DECISION_PATHS`
    worlds of the run's seed, the current plan judged on the same worlds (the first paths of
    the run itself: no extra run)."""
    from sim.analysis.dominance import outcomes_of, standing
    from sim.analysis.recommend import recommend

    s = results.scenario
    n = min(int(results.paths), DECISION_PATHS)
    rec = recommend(s, budget=budget, paths=n)
    st = standing(rec, outcomes_of(results, n))
    return decision_text(rec, st, scenario_policy_words(s))


def units_words(gw_by: dict[str, Any], money: dict[str, Any], years: int = 3) -> str:
    """'2027: 2.1 GW ($120B of take-or-pay); 2028: ...' (medians), or ''."""
    parts = [
        f"{y}: {gw_by[y]['p50']:.1f} GW ({usd(money[y]['p50'])} of take-or-pay)"
        for y in [y for y in sorted(gw_by) if gw_by[y]["p50"] >= 0.05 and y in money][:years]
    ]
    return "; ".join(parts)


def executive_summary(results: Results, summary: dict[str, Any]) -> list[str]:
    """Sentences about the current plan (plain text); the decision comes before them."""
    from .summary_tables import month_date

    current = scenario_policy_words(results.scenario)
    lo, hi = summary["p_bankrupt_ci95"]
    p = summary["p_bankrupt"]
    head = (f"Current plan ({current}): P(bankrupt) {pct(p)} (95% CI {pct(lo)}-{pct(hi)}) at "
            f"{summary['paths']:,} paths, counting bankruptcies in the run-off after the "
            "horizon")  # fmt: skip
    mtb = summary.get("median_months_to_bankruptcy")
    if mtb is not None and p > 0:
        head += f"; the median bankruptcy within the horizon comes in {month_date(summary['start'], mtb)}"
    lines = [head + "."]
    units = units_words(summary.get("gw_by_delivery_year", {}),
                        summary.get("commitment_usd_by_year", {}))  # fmt: skip
    if units:
        lines.append(f"It commits to new capacity by delivery year (medians): {units}.")
    lines.append(
        f"Median cumulative revenue {usd(summary['cum_revenue_p50'])} (P90 "
        f"{usd(summary['cum_revenue_p90'])}); {pct(summary['unserved_share_of_demand'], 0)} of "
        "potential demand goes unserved."
    )
    return lines
