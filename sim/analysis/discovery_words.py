"""Boxes and restrictions of scenario discovery as plain words, in each input's unit."""

from __future__ import annotations

from sim.outputs import usd

from .discovery_boxes import Box
from .discovery_inputs import GROWTH, OBSERVED_GROWTH, OBSERVED_MARGIN

_LABELS = {
    GROWTH: "demand growth",
    "economics.gross_margin": "gross margin",
    "finance.max_raise_per_year": "capital raisable per year",
    "demand.diffusion_lag_years": "diffusion lag",
    "compute.initial_contract_years_left": "years left on pre-start contracts",
    "economics.fixed_costs_per_year": "fixed costs",
    "demand.volatility": "demand volatility",
    "demand.initial_revenue": "starting revenue",
    "compute.price_per_gw_year": "price per GW-year",
    "compute.lead_time_months": "lead time",
    OBSERVED_GROWTH: "demand growth seen so far",
    OBSERVED_MARGIN: "realized margin",
}
_MULTIPLIERS = ("growth", "industry_growth", "revenue_per_gw_growth", "min_growth_to_raise",
                "planned_growth", "prior_growth")  # fmt: skip
_SHARES = ("margin", "share", "volatility", "pass_through", "dilution", "persistence", "haircut")
_MONEY = ("revenue", "price", "cash", "ceiling", "costs", "raise")


def label(name: str) -> str:
    """Readable name of an input: ``economics.gross_margin`` -> ``gross margin``."""
    return _LABELS.get(name, name.rsplit(".", 1)[-1].replace("_", " "))


def fmt_value(name: str, value: float) -> str:
    """A value in the input's unit: growth as 3.6x/yr, shares as 45%, money as $82B."""
    last = name.rsplit(".", 1)[-1]
    if name in (GROWTH, OBSERVED_GROWTH) or last in _MULTIPLIERS:
        return f"{value:.3g}x/yr"
    if name in (OBSERVED_MARGIN, "policy.q") or any(s in last for s in _SHARES):
        return f"{100 * value:.3g}%"
    if any(s in last for s in _MONEY):
        per_year = last.endswith("per_year") or last in ("initial_revenue", "ceiling")
        return usd(value) + ("/yr" if per_year else "")
    if last.endswith(("_years", "_years_left")):
        return f"{value:.2g} years"
    if last.endswith("_months"):
        return f"{value:.3g} months"
    if last.endswith(("_gw", "gw_start", "gw_max")):
        return f"{value:.3g} GW"
    return f"{value:.4g}"


def restriction(name: str, limits: tuple[float, float], side: str, growth_years: str = "") -> str:
    """``demand growth < 3.6x/yr``, ``gross margin > 45%``, ``diffusion lag 0.8-1.5 years``;
    with ``growth_years``: ``demand growth < 3.6x/yr (over 2026-2027)``."""
    lo, hi = limits
    if name == GROWTH and growth_years:  # the years the geometric mean is taken over
        text = restriction(name, limits, side)
        return f"{text} ({'in' if '-' not in growth_years else 'over'} {growth_years})"
    if side == "upper":
        return f"{label(name)} < {fmt_value(name, hi)}"
    if side == "lower":
        return f"{label(name)} > {fmt_value(name, lo)}"
    return f"{label(name)} between {fmt_value(name, lo)} and {fmt_value(name, hi)}"


def describe(box: Box, target_words: str = "ruin") -> str:
    """A box as a sentence: "ruin in 91% of worlds where demand growth < 3.6x/yr and gross
    margin < 45%; these worlds hold 83% of all ruin (22% of all worlds)"."""
    pct = lambda v: f"{100 * v:.0f}%"  # noqa: E731
    if not box.limits:
        return (f"{target_words} in {pct(box.density)} of all worlds, whatever the inputs: "
                "no restriction is needed to reach that density")  # fmt: skip
    where = " and ".join(
        restriction(k, v, box.sides[k], box.growth_years) for k, v in box.limits.items()
    )
    return (f"{target_words} in {pct(box.density)} of worlds where {where}; these worlds hold "
            f"{pct(box.coverage)} of {all_of(target_words)} ({pct(box.mass)} of all worlds)")  # fmt: skip


def all_of(target_words: str) -> str:
    """ "all ruin", "all survival", "all low-revenue worlds"."""
    if target_words in ("ruin", "survival"):
        return f"all {target_words}"
    return f"all {target_words.replace(' ', '-')} worlds"
