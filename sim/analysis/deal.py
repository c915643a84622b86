"""Should we sign this deal? The scenario with and without one compute deal, path by path.

Both runs use the same seed and paths, so path ``i`` sees the same demand, prices and
finance draws with and without the deal (common random numbers): every difference is paired
and its Monte Carlo error is far smaller than that of two independent runs. The deal is
added on top of the scenario's policy (and any deals it already has); from its signing on,
the policy counts it as already committed (docs/model.md section 6b).

NPV of the deal [USD]: per path, the discounted difference in monthly operating net cash
flow with vs without it (revenue, sublease revenue, compute, other and fixed costs,
interest, termination fees; raises and debt principal are financing, not value), over the
horizon and the run-off, at ``finance.discount_rate``. A path that goes bankrupt stops
contributing from that month, so the flows a bankruptcy destroys count against the deal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.engine import run
from sim.model.results import Results
from sim.model.scenario import Deal, Scenario
from sim.model.summary import provenance, wilson_interval

from .compare import newcombe_paired

DEFAULT_BUDGET = 0.05
"""Risk budget of the verdict: most P(bankrupt) with the deal [0..1]."""


@dataclass(frozen=True)
class DealRuns:
    """The two runs of a deal comparison (same seed, same paths)."""

    without: Results
    with_deal: Results
    deal: Deal
    index: int
    """Position of the deal in ``with_deal.scenario.deals``."""


def with_deal(scenario: Scenario, deal: Deal | dict[str, Any]) -> Scenario:
    """The scenario with ``deal`` appended to its deals, re-validated; a bad deal raises
    :class:`sim.errors.ScenarioError` naming the field (``deals.N.gw``)."""
    from sim.model.io import scenario_from_dict

    item = deal.model_dump(exclude_none=True) if isinstance(deal, Deal) else dict(deal)
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    data["deals"] = [*data.get("deals", ()), item]
    return scenario_from_dict(data, "the deal")


def run_deal(
    scenario: Scenario,
    deal: Deal | dict[str, Any],
    *,
    discount_rate: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DealRuns:
    """Simulate the scenario without and with the deal on common random numbers.

    ``discount_rate`` [1/yr] overrides ``finance.discount_rate`` for the NPV; ``progress``
    is called as ``progress(paths_done, 2 * paths)`` over both runs.
    """
    if discount_rate is not None:
        scenario = scenario.replace(**{"finance.discount_rate": discount_rate})
    signed = with_deal(scenario, deal)
    n = scenario.simulation.paths

    def part(offset: int) -> Callable[[int, int], None] | None:
        if progress is None:
            return None
        return lambda done, _total: progress(offset + done, 2 * n)

    base = run(scenario, progress=part(0))
    other = run(signed, progress=part(n))
    return DealRuns(base, other, signed.deals[-1], len(signed.deals) - 1)


def _quantiles(x: np.ndarray, prefix: str) -> dict[str, float]:
    return {f"{prefix}_p{q}": float(np.quantile(x, q / 100)) for q in (10, 50, 90)}


def evaluate_deal(runs: DealRuns, budget: float = DEFAULT_BUDGET) -> dict[str, Any]:
    """JSON-ready comparison of a deal: risk, upside, NPV, regret and a verdict.

    Keys (USD unless noted): ``p_bankrupt_without``/``_with`` and their paired difference
    ``delta_p_bankrupt`` with a 95% Newcombe interval ``delta_p_bankrupt_ci95``;
    cumulative revenue over the horizon (P10/P50 each way; ``delta_cum_revenue_p50`` is the
    median of the per-path difference); unserved share of demand; equity value; ``npv_*``
    quantiles; ``regret`` (worlds where the deal was wrong, and how wrong); the GW the supply
    cap cut (``truncated_gw``, mean over paths) and the credit check refused; ``verdict``.
    """
    a, b = runs.without, runs.with_deal
    n = a.paths
    pa, pb = a.path, b.path
    fail_a, fail_b = a.bankrupt, b.bankrupt
    k_a, k_b = int(fail_a.sum()), int(fail_b.sum())
    lo, hi = newcombe_paired(fail_a, fail_b)
    npv = pb["discounted_cash_flow"] - pa["discounted_cash_flow"]
    revenue_gain = pb["cum_revenue"] - pa["cum_revenue"]
    equity_gain = pb["equity_value"] - pa["equity_value"]
    caused = fail_b & ~fail_a
    rescued = fail_a & ~fail_b
    wrong = npv < 0
    loss = -npv[wrong]
    deal = runs.deal
    scenario = b.scenario
    cut = b.truncation.get("deal_gw_sum")
    truncated = float(cut[runs.index] / n) if cut is not None else 0.0
    cut_paths = b.truncation.get("deal_paths_cut")
    price = deal.price_per_gw_year or float(np.median(b.draws["compute.price_per_gw_year"]))
    terms = {"signed": deal.signed or scenario.simulation.start, "start": deal.start,
             "gw": deal.gw, "years": deal.years, "price_per_gw_year": price,
             "nominal_value": deal.gw * deal.years * price}  # fmt: skip
    out: dict[str, Any] = {
        **provenance(b),
        "scenario": scenario.name,
        "deal": terms,
        "paths": n,
        "seed": scenario.simulation.seed,
        "risk_budget": budget,
        "discount_rate": scenario.finance.discount_rate,
        "p_bankrupt_without": k_a / n,
        "p_bankrupt_without_ci95": list(wilson_interval(k_a, n)),
        "p_bankrupt_with": k_b / n,
        "p_bankrupt_with_ci95": list(wilson_interval(k_b, n)),
        "delta_p_bankrupt": (k_b - k_a) / n,
        "delta_p_bankrupt_ci95": [lo, hi],
        "cum_revenue_p50_without": float(np.quantile(pa["cum_revenue"], 0.5)),
        "cum_revenue_p50_with": float(np.quantile(pb["cum_revenue"], 0.5)),
        "cum_revenue_p10_without": float(np.quantile(pa["cum_revenue"], 0.1)),
        "cum_revenue_p10_with": float(np.quantile(pb["cum_revenue"], 0.1)),
        "delta_cum_revenue_p50": float(np.quantile(revenue_gain, 0.5)),
        "delta_cum_revenue_mean": float(revenue_gain.mean()),
        "unserved_share_without": _unserved(pa),
        "unserved_share_with": _unserved(pb),
        "equity_value_p50_without": float(np.quantile(pa["equity_value"], 0.5)),
        "equity_value_p50_with": float(np.quantile(pb["equity_value"], 0.5)),
        "delta_equity_value_mean": float(equity_gain.mean()),
        **_quantiles(npv, "npv"),
        "npv_mean": float(npv.mean()),
        "regret": {
            "share_npv_negative": float(wrong.mean()),
            "loss_p50_when_negative": float(np.quantile(loss, 0.5)) if loss.size else 0.0,
            "loss_mean_when_negative": float(loss.mean()) if loss.size else 0.0,
            "loss_p90_when_negative": float(np.quantile(loss, 0.9)) if loss.size else 0.0,
            "expected_regret": float(np.maximum(-npv, 0.0).mean()),
            "share_bankrupt_only_with": float(caused.mean()),
            "share_bankrupt_only_without": float(rescued.mean()),
        },
        "truncated_gw": truncated,
        "truncated_share_of_paths": float(cut_paths[runs.index] / n)
        if cut_paths is not None
        else 0.0,
        "refused_gw_mean": float((pb["cum_refused_gw"] - pa["cum_refused_gw"]).mean()),
    }
    out["verdict"], out["decision"] = verdict(out, budget)
    return out


def _unserved(path: Any) -> float:
    return float(path["cum_unserved"].sum() / path["cum_demand"].sum())


def _usd(x: float) -> str:
    sign = "-" if x < 0 else "+"
    x = abs(x)
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
        if x >= scale:
            return f"{sign}${x / scale:.3g}{unit}"
    return f"{sign}${x:.3g}"


def verdict(result: dict[str, Any], budget: float) -> tuple[str, str]:
    """One line a board can read, and its code: ``sign``, ``decline`` or ``over_budget``
    (the lab is above the risk budget with or without the deal)."""
    p0, p1 = result["p_bankrupt_without"], result["p_bankrupt_with"]
    lo, hi = result["delta_p_bankrupt_ci95"]
    npv = result["npv_p50"]
    risk = f"P(bankrupt) {p0:.1%} -> {p1:.1%} (change {lo:+.1%} to {hi:+.1%}, 95% CI)"
    value = f"median NPV {_usd(npv)}"
    if p1 > budget and p0 > budget:
        tail = "lowers" if hi < 0 else "does not clearly change" if lo <= 0 else "raises"
        return (
            f"OVER BUDGET either way: {risk}; the lab is above the {budget:.0%} risk budget "
            f"without the deal, and the deal {tail} it; {value}.",
            "over_budget",
        )
    if p1 > budget:
        return (f"DECLINE: {risk} breaks the {budget:.0%} risk budget; {value}.", "decline")
    if npv <= 0:
        return (f"DECLINE: within the {budget:.0%} risk budget ({risk}), but {value}.", "decline")
    return (f"SIGN: {risk} stays within the {budget:.0%} risk budget; {value}.", "sign")


def deal_markdown(result: dict[str, Any]) -> str:
    """A short report section: the verdict, then the with/without table."""
    d = result["deal"]
    pct = "{:.1%}".format

    def usd(x: float) -> str:
        return _usd(x).lstrip("+")

    rows = [
        ("P(bankrupt), horizon + run-off", pct(result["p_bankrupt_without"]),
         pct(result["p_bankrupt_with"]),
         f"{result['delta_p_bankrupt']:+.1%} [{result['delta_p_bankrupt_ci95'][0]:+.1%}, "
         f"{result['delta_p_bankrupt_ci95'][1]:+.1%}]"),
        ("Cumulative revenue P50", usd(result["cum_revenue_p50_without"]),
         usd(result["cum_revenue_p50_with"]), _usd(result["delta_cum_revenue_p50"])),
        ("Cumulative revenue P10", usd(result["cum_revenue_p10_without"]),
         usd(result["cum_revenue_p10_with"]), ""),
        ("Unserved share of demand", pct(result["unserved_share_without"]),
         pct(result["unserved_share_with"]), ""),
        ("Equity value P50", usd(result["equity_value_p50_without"]),
         usd(result["equity_value_p50_with"]), ""),
    ]  # fmt: skip
    r = result["regret"]
    lines = [
        f"## Deal: {d['gw']:g} GW from {d['start']} for {d['years']:g} years at "
        f"{usd(d['price_per_gw_year'])}/GW-year (signed {d['signed']}; "
        f"{usd(d['nominal_value'])} take-or-pay)",
        "",
        f"**{result['verdict']}**",
        "",
        "| | without | with | paired difference |",
        "|---|---:|---:|---:|",
        *(f"| {a} | {b} | {c} | {e} |" for a, b, c, e in rows),
        "",
        f"NPV of the deal at {result['discount_rate']:.0%}/yr (discounted difference in monthly "
        f"net cash flow, run-off included): P10 {_usd(result['npv_p10'])}, "
        f"P50 {_usd(result['npv_p50'])}, P90 {_usd(result['npv_p90'])}.",
        "",
        f"Regret: the deal loses value in {r['share_npv_negative']:.0%} of worlds "
        f"(loss there: median {usd(r['loss_p50_when_negative'])}, P90 "
        f"{usd(r['loss_p90_when_negative'])}, mean {usd(r['loss_mean_when_negative'])}); "
        f"expected regret {usd(r['expected_regret'])}; it bankrupts the lab in "
        f"{r['share_bankrupt_only_with']:.1%} of worlds that survive without it and saves it in "
        f"{r['share_bankrupt_only_without']:.1%}.",
    ]
    if result["truncated_gw"] > 0:
        lines += ["", f"The supply cap cut the deal by {result['truncated_gw']:.3g} GW on average "
                  f"({result['truncated_share_of_paths']:.0%} of paths)."]  # fmt: skip
    if result["refused_gw_mean"] > 0:
        lines += ["", f"The credit check refused {result['refused_gw_mean']:.3g} GW more on "
                  "average with the deal than without it."]  # fmt: skip
    lines += ["", f"{result['paths']:,} paths, seed {result['seed']}, common random numbers."]
    return "\n".join(lines) + "\n"


def deal_warnings(result: dict[str, Any]) -> list[str]:
    """Plain sentences for stderr: the supply cap cut the deal."""
    if result["truncated_gw"] <= 0:
        return []
    d = result["deal"]
    return [
        f"warning: the deal ({d['gw']:g} GW from {d['start']}) exceeds what the industry "
        f"supply cap leaves for this lab: cut by {result['truncated_gw']:.3g} GW on average, "
        f"on {result['truncated_share_of_paths']:.0%} of paths; the comparison is for the "
        "GW that can actually be delivered (see compute.industry_gw_start, industry_growth, "
        "industry_gw_max, max_industry_share)"
    ]


__all__ = [
    "DEFAULT_BUDGET", "DealRuns", "deal_markdown", "deal_warnings", "evaluate_deal",
    "run_deal", "verdict", "with_deal",
]  # fmt: skip
