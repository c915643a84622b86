"""Scenario discovery: which worlds ruin us, described as boxes over the per-path inputs.

One run of a scenario is a sample of worlds: every path has its own draws of every
uncertain input (``Results.draws``, dotted names) and its own demand growth. Scenario
discovery (Bryant & Lempert 2010) looks for a *box* (an interval on a few inputs) in which
the outcome of interest (ruin, or low revenue) is concentrated:

- **coverage**: share of all target worlds that fall in the box (how much of the ruin it
  explains);
- **density**: share of the worlds in the box that are target worlds (how sure ruin is
  inside it);
- **mass**: share of all worlds in the box.

PRIM (the EMA Workbench's implementation, :mod:`ema_workbench.analysis.prim`) peels the
input space step by step; every step is a candidate box on its *peeling trajectory*. The
box reported first is the one with the highest coverage among those with density
>= :data:`MIN_DENSITY` (when none reaches it, the densest one, and the result says so).
Further boxes come from PRIM runs on the worlds left outside the earlier boxes. CART (a
shallow decision tree, EMA's :mod:`ema_workbench.analysis.cart`) is a cross-check: its best
leaf by the same rule.

Only inputs that vary across paths enter. ``demand.growth`` is the path's geometric-mean
yearly growth multiplier over the first years of the horizon that best separate the target
worlds (:func:`growth_window`; the whole horizon, ``growth_mean`` in ``paths.parquet``, when
growth persists fully).

**Signposts** (:func:`find_signposts`) turn the first box into what a lab can *observe* by a
date: potential demand growth seen since the start and the realized inference margin.
PRIM on those observables gives thresholds ("growth so far below 2.9x/yr and margin below
45%") that can be pasted into a policy as ``policy.signpost``; :func:`signpost_effect`
measures what cutting orders when it trips does to P(bankrupt) and upside, on fresh paths.

The EMA Workbench is imported lazily (it pulls matplotlib, seaborn, scikit-learn and
statsmodels), only when boxes are computed.

Parts: :mod:`sim.analysis.discovery_inputs` (worlds and targets),
:mod:`sim.analysis.discovery_boxes` (PRIM, CART), :mod:`sim.analysis.discovery_words`
(sentences), :mod:`sim.analysis.signposts`; their names are importable from here too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from sim.model.results import Results

from .discovery_boxes import (
    MASS_MIN,
    MAX_BOXES,
    MIN_DENSITY,
    PEEL_ALPHA,
    QP_MAX,
    Box,
    BoxSearch,
    cart_box,
    pick,
    prim_boxes,
)
from .discovery_inputs import (
    GROWTH,
    LOW_REVENUE_QUANTILE,
    OBSERVED_GROWTH,
    OBSERVED_MARGIN,
    TARGETS,
    growth_window,
    growth_years,
    refuse_actuals,
    target_worlds,
    world_inputs,
    yearly_growth,
)
from .discovery_words import all_of, describe, fmt_value, label, restriction
from .signposts import (
    SIGNPOST_CUTS,
    SIGNPOST_MONTHS,
    ProgressFn,
    Signpost,
    find_signposts,
    month_label,
    observables,
    observed_growth,
    path_outcomes,
    realized_margin,
    recommended,
    signpost_cells,
    signpost_effect,
)

__all__ = [  # the names of the parts stay importable from here
    "ESCAPE_SHARE",
    "GROWTH",
    "LOW_REVENUE_QUANTILE",
    "MASS_MIN",
    "MAX_BOXES",
    "MIN_DENSITY",
    "OBSERVED_GROWTH",
    "OBSERVED_MARGIN",
    "PEEL_ALPHA",
    "QP_MAX",
    "SIGNPOST_CUTS",
    "SIGNPOST_MONTHS",
    "TARGETS",
    "Box",
    "BoxSearch",
    "Discovery",
    "ProgressFn",
    "Signpost",
    "all_of",
    "cart_box",
    "describe",
    "discover",
    "find_signposts",
    "fmt_value",
    "growth_window",
    "growth_years",
    "growth_years_label",
    "label",
    "month_label",
    "observables",
    "observed_growth",
    "path_outcomes",
    "pick",
    "prim_boxes",
    "realized_margin",
    "recommended",
    "refuse_actuals",
    "restriction",
    "signpost_cells",
    "signpost_effect",
    "target_worlds",
    "world_inputs",
    "yearly_growth",
]

ESCAPE_SHARE = 0.5
"""When ruin happens in at least this share of worlds, the worlds that escape it are
described too (with ruin that common, its boxes cover nearly everything)."""

# --- discovery -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discovery:
    """Boxes of the worlds where a target outcome happens, for one run."""

    scenario: str
    target: str
    target_words: str
    """How the target reads in sentences ("ruin", "low revenue", "survival")."""
    p_target: float
    paths: int
    seed: int
    inputs: list[str]
    """Inputs that vary across paths and entered the search."""
    fixed: list[str]
    """Inputs that take one value on every path (left out)."""
    min_density: float
    boxes: list[Box]
    trajectory: pd.DataFrame
    reached: bool
    cart: Box | None
    revenue_below: float | None = None
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Lowest and highest value drawn of every input that entered."""
    escape: Discovery | None = None
    """When ruin happens in at least half of the worlds (:data:`ESCAPE_SHARE`): the same
    search for the complement, the worlds that escape it (the rarer, telling outcome)."""
    elapsed_s: float = 0.0
    note: str = ""
    """Why there are no boxes, when there are none."""
    growth_window_years: int = 0
    """Years from the start over which ``demand.growth`` is averaged (:func:`growth_window`)."""

    @property
    def first(self) -> Box | None:
        return self.boxes[0] if self.boxes else None

    def sentences(self) -> list[str]:
        """Each box as a plain sentence (the first box first)."""
        return [describe(b, self.target_words) for b in self.boxes]

    def to_json(self) -> dict[str, Any]:
        out = {
            "target": self.target, "target_words": self.target_words, "p_target": self.p_target,
            "scenario": self.scenario, "paths": self.paths, "seed": self.seed,
            "min_density": self.min_density, "first_box_reaches_min_density": self.reached,
            "inputs": self.inputs, "fixed_inputs": self.fixed,
            "ranges": {k: list(v) for k, v in self.ranges.items()},
            "boxes": [b.to_json() for b in self.boxes],
            "sentences": self.sentences(),
            "cart": None if self.cart is None else self.cart.to_json(),
            "cart_sentence": None if self.cart is None else describe(self.cart, self.target_words),
            "note": self.note,
            "growth_window_years": self.growth_window_years,
            "growth_years": growth_years_label(self),
            "trajectory": self.trajectory.to_dict(orient="records"),
        }  # fmt: skip
        if self.revenue_below is not None:
            out["revenue_below"] = self.revenue_below
        if self.escape is not None:
            out["escape"] = self.escape.to_json()
        return out


def discover(
    results: Results,
    target: str = "bankrupt",
    *,
    min_density: float = MIN_DENSITY,
    max_boxes: int = MAX_BOXES,
    mass_min: float = MASS_MIN,
    revenue_below: float | None = None,
) -> Discovery:
    """PRIM boxes (and the CART cross-check) of the worlds of ``results`` where ``target``
    happens; see the module docstring for the rules.

    Examples
    --------
    >>> from sim import load_scenario, run
    >>> d = discover(run(load_scenario(), paths=2000))
    >>> d.first.limits["demand.growth"][1] < 3.0   # ruin sits in slow worlds
    True
    """
    t0 = time.perf_counter()
    y, words, cut = target_worlds(results, target, revenue_below)
    window = growth_window(results, y)
    x = world_inputs(results, window)
    fixed = [k for k in (GROWTH, *results.draws) if k not in x.columns]
    s = results.scenario
    base = {
        "scenario": s.name, "target": target, "target_words": words, "p_target": float(y.mean()),
        "paths": results.paths, "seed": s.simulation.seed, "inputs": list(x.columns),
        "fixed": fixed, "min_density": min_density, "revenue_below": cut,
        "ranges": {k: (float(x[k].min()), float(x[k].max())) for k in x.columns},
        "growth_window_years": window,
    }  # fmt: skip
    years = growth_years(results, window)
    empty = {"boxes": [], "trajectory": pd.DataFrame(), "reached": False, "cart": None}
    if x.shape[1] == 0:
        return Discovery(**base, **empty, note="every input is fixed: all worlds are the same "
                         "but for demand noise, so there is no box to find")  # fmt: skip
    if not y.any():
        return Discovery(**base, **empty, note=f"no world has {words}: nothing to discover")
    if y.all():
        return Discovery(**base, **empty, note=f"every world has {words}: no box separates them")

    def tag(box: Box | None) -> Box | None:
        return None if box is None else replace(box, growth_years=years)

    found = prim_boxes(x, y, min_density, max_boxes, mass_min)
    escape = None
    if y.mean() >= ESCAPE_SHARE and target == "bankrupt":
        safe = prim_boxes(x, ~y, min_density, max_boxes, mass_min)
        escape = Discovery(
            **{**base, "target": "survival", "target_words": "survival",
               "p_target": float(1 - y.mean())},
            boxes=[tag(b) for b in safe.boxes], trajectory=safe.trajectory,
            reached=safe.reached, cart=tag(cart_box(x, ~y, min_density, mass_min)),
        )  # fmt: skip
    return Discovery(
        **base, boxes=[tag(b) for b in found.boxes], trajectory=found.trajectory,
        reached=found.reached, cart=tag(cart_box(x, y, min_density, mass_min)), escape=escape,
        elapsed_s=time.perf_counter() - t0,
    )  # fmt: skip


def growth_years_label(d: Discovery) -> str:
    """Calendar years of ``demand.growth`` in a discovery ("" when it has no window)."""
    for box in [*d.boxes, d.cart]:
        if box is not None and box.growth_years:
            return box.growth_years
    return ""
