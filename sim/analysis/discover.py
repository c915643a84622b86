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
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from sim.model.results import Results
from sim.model.scenario import Scenario, month_index
from sim.outputs import usd

MIN_DENSITY = 0.8
"""Density the first box must reach [share of worlds in the box that are target worlds]."""
MASS_MIN = 0.05
"""Smallest box PRIM and CART consider [share of all worlds]."""
PEEL_ALPHA = 0.05
"""Share of the worlds in a box PRIM peels off per step."""
MAX_BOXES = 3
"""Most boxes reported (PRIM runs on the worlds outside earlier boxes)."""
TARGETS = ("bankrupt", "low_revenue")
"""Outcomes that can be discovered."""
LOW_REVENUE_QUANTILE = 0.2
"""Default low-revenue cut: this quantile of cumulative revenue over the horizon."""
ESCAPE_SHARE = 0.5
"""When ruin happens in at least this share of worlds, the worlds that escape it are
described too (with ruin that common, its boxes cover nearly everything)."""
GROWTH = "demand.growth"
"""Name under which the per-path geometric-mean growth enters (``growth_mean``)."""
SIGNPOST_MONTHS = (12, 18, 24)
"""Months after the start at which signposts are read (2027-01, 2027-07, 2028-01 on base)."""
OBSERVED_GROWTH, OBSERVED_MARGIN = "growth so far", "margin"
"""Observables of a signpost: potential demand growth since the start [x/yr] and the
realized inference margin [0..1] at the signpost's date."""

ProgressFn = Callable[[int, int], None]


# --- inputs and targets -----------------------------------------------------------------------


def world_inputs(results: Results, window: int | None = None) -> pd.DataFrame:
    """Per-path inputs that vary across paths, one row per path, dotted names.

    ``demand.growth`` is the geometric-mean yearly growth multiplier of the path over the
    first ``window`` years (default: the whole horizon, ``growth_mean``); every other column
    is a per-path draw (``Results.draws``). Inputs that take one value on every path (plain
    numbers, fixed distributions) are left out.
    """
    if window is None or window >= results.scenario.simulation.years:
        growth = np.asarray(results.path["growth_mean"], dtype=float)
    else:
        growth = np.exp(np.log(yearly_growth(results)[:, :window]).mean(axis=1))
    cols: dict[str, np.ndarray] = {GROWTH: growth}
    for name, values in results.draws.items():
        cols[name] = np.asarray(values, dtype=float)
    return pd.DataFrame({k: v for k, v in cols.items() if _varies(v)})


def refuse_actuals(scenario: Scenario) -> None:
    """Growth re-drawn from the seed is the prior's: a posterior (a scenario with actuals)
    is not supported here yet (``BadInputError``, exit 2)."""
    if scenario.actuals is not None:
        from sim.errors import BadInputError

        raise BadInputError(
            f"scenario {scenario.name!r} has actuals: discover, signposts and voi re-draw each "
            "path's growth from the seed, which gives the prior's, not the posterior's; run "
            "them on the scenario without its actuals: section"
        )


def yearly_growth(results: Results) -> np.ndarray:
    """Each path's demand growth multiplier in each year of the horizon [x/yr], shape
    (paths, years), re-drawn from the run's seeded streams (common random numbers)."""
    from sim.model.rng import blocks
    from sim.model.sampling import sample_inputs

    s = results.scenario
    refuse_actuals(s)
    years = s.simulation.years
    out = np.empty((results.paths, years))
    for b, first, n in blocks(results.paths):
        g = sample_inputs(s, n, b, months=results.total_months).growth
        out[first : first + n] = g[:, :years]
    return out


def growth_window(results: Results, y: np.ndarray) -> int:
    """Years from the start over which demand growth best separates the target worlds.

    With growth persistence below 1 a path's growth changes from year to year, and what
    decides ruin is often the growth *before* commitments come due: the geometric mean over
    the whole horizon then blurs it. The window (1 .. horizon years) whose geometric-mean
    growth has the largest rank separation |AUC - 0.5| between target and other worlds is
    used; ties go to the longer window (with persistence 1 every window is the same).
    """
    years = results.scenario.simulation.years
    k, n = int(y.sum()), int((~y).sum())
    if k == 0 or n == 0 or years == 1:
        return years
    log_g = np.log(yearly_growth(results))
    best, best_score = years, -1.0
    for w in range(years, 0, -1):  # longest first: ties keep it
        ranks = pd.Series(log_g[:, :w].mean(axis=1)).rank().to_numpy()
        auc = (ranks[y].sum() - k * (k + 1) / 2) / (k * n)
        score = abs(auc - 0.5)
        if score > best_score + 1e-9:
            best, best_score = w, score
    return best


def growth_years(results: Results, window: int) -> str:
    """Calendar years covered by the first ``window`` years from the start ("2026-2027")."""
    year, month = map(int, results.scenario.simulation.start.split("-"))
    last = year + (month - 1 + 12 * window - 1) // 12
    return f"{year}" if last == year else f"{year}-{last}"


def _varies(v: np.ndarray) -> bool:
    # a fixed input drawn by inverse CDF may differ in its last bit between paths
    lo, hi = float(np.min(v)), float(np.max(v))
    return hi - lo > 1e-9 * max(abs(lo), abs(hi), 1e-300)


def target_worlds(
    results: Results, target: str = "bankrupt", revenue_below: float | None = None
) -> tuple[np.ndarray, str, float | None]:
    """(target flag per path, words for it, low-revenue cut [USD] or None).

    ``bankrupt``: the path goes bankrupt in the horizon or in the run-off after it (the
    headline P(bankrupt)). ``low_revenue``: cumulative revenue over the horizon below
    ``revenue_below`` [USD] (default: its :data:`LOW_REVENUE_QUANTILE` quantile in this run).
    """
    if target == "bankrupt":
        return np.asarray(results.bankrupt, dtype=bool), "ruin", None
    if target == "low_revenue":
        rev = np.asarray(results.path["cum_revenue"], dtype=float)
        cut = (
            float(np.quantile(rev, LOW_REVENUE_QUANTILE))
            if revenue_below is None
            else revenue_below
        )
        return rev < cut, "low revenue", cut
    raise ValueError(f"unknown target {target!r}; expected one of {', '.join(TARGETS)}")


# --- boxes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """A box over the inputs and how well it describes the target worlds."""

    coverage: float
    """Share of all target worlds inside the box."""
    density: float
    """Share of the worlds inside the box that are target worlds."""
    mass: float
    """Share of all worlds inside the box."""
    limits: dict[str, tuple[float, float]]
    """Restricted inputs only: ``name -> (low, high)``, inclusive; an unrestricted side is
    the lowest/highest value drawn."""
    sides: dict[str, str]
    """Restricted inputs: ``"upper"`` (only the high end is cut), ``"lower"`` or ``"both"``."""
    n: int = 0
    """Worlds inside the box."""
    k: int = 0
    """Target worlds inside the box."""
    qp: dict[str, float] = field(default_factory=dict)
    """Quasi-p-value of each restriction (one-sided binomial test; small = significant)."""
    method: str = "prim"
    growth_years: str = ""
    """Calendar years over which ``demand.growth`` is the geometric mean ("2026-2027")."""

    def contains(self, x: pd.DataFrame) -> np.ndarray:
        """Which rows of ``x`` (a :func:`world_inputs` frame) lie inside the box."""
        inside = np.ones(len(x), dtype=bool)
        for name, (lo, hi) in self.limits.items():
            v = x[name].to_numpy()
            inside &= (v >= lo) & (v <= hi)
        return inside

    def to_json(self) -> dict[str, Any]:
        return {
            "coverage": self.coverage, "density": self.density, "mass": self.mass,
            "limits": {k: [lo, hi] for k, (lo, hi) in self.limits.items()},
            "sides": self.sides, "worlds": self.n, "target_worlds": self.k, "qp": self.qp,
        }  # fmt: skip


def _ema() -> tuple[Any, Any]:
    """The EMA Workbench's prim and cart modules (imported on first use: heavy)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optional extras (altair, ipyparallel) missing
        try:
            from ema_workbench.analysis import cart, prim
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise ImportError(
                "scenario discovery needs the EMA Workbench: pip install 'ema-workbench>=2.5'"
            ) from exc
    return prim, cart


def _box_from_limits(lims: pd.DataFrame, init: pd.DataFrame, **stats: Any) -> Box:
    limits, sides = {}, {}
    for name in init.columns:
        lo, hi = float(lims.loc[0, name]), float(lims.loc[1, name])
        lo0, hi0 = float(init.loc[0, name]), float(init.loc[1, name])
        cut_lo, cut_hi = lo > lo0, hi < hi0
        if cut_lo or cut_hi:
            limits[name] = (max(lo, lo0), min(hi, hi0))
            sides[name] = "both" if cut_lo and cut_hi else ("lower" if cut_lo else "upper")
    return Box(limits=limits, sides=sides, **stats)


def _qp(values: list[float]) -> float:
    """Quasi-p-value of a restriction: the smaller of its restricted sides' (EMA reports -1
    for a side that is not restricted)."""
    sides = [float(v) for v in values if v is not None and v >= 0]
    return min(sides) if sides else float("nan")


QP_MAX = 0.05
"""Restrictions whose quasi-p-value exceeds this are dropped when the box still reaches the
density threshold without them (Bryant & Lempert 2010)."""


def _drop_insignificant(found: Any, i: int, min_density: float) -> int:
    """Drop the box's restrictions that are not significant (quasi-p > :data:`QP_MAX`), the
    least significant first, as long as the box keeps ``min_density``; returns the index of
    the resulting box on the EMA trajectory (dropping appends a step to it)."""
    while True:
        qp = {k: _qp(v) for k, v in found.qp[i].items()}
        weak = sorted((v, k) for k, v in qp.items() if v > QP_MAX)
        if not weak or len(qp) == 1:
            return i
        for _, name in reversed(weak):
            found.drop_restriction(name, i)
            j = len(found.peeling_trajectory) - 1
            if found.peeling_trajectory["density"].iloc[j] >= min_density - 1e-12:
                i = j
                break
        else:
            return i


def pick(trajectory: pd.DataFrame, min_density: float) -> tuple[int, bool]:
    """Index of the trajectory step with the highest coverage among those with density >=
    ``min_density`` (ties: the smaller box), and whether any step reached it; otherwise the
    densest step (ties: the larger coverage)."""
    t = trajectory.reset_index(drop=True)
    ok = t[t["density"] >= min_density - 1e-12]
    if len(ok):
        best = ok.sort_values(["coverage", "mass"], ascending=[False, True], kind="stable")
        return int(best.index[0]), True
    best = t.sort_values(["density", "coverage"], ascending=[False, False], kind="stable")
    return int(best.index[0]), False


@dataclass(frozen=True)
class BoxSearch:
    """PRIM boxes of one target and the first box's peeling trajectory."""

    boxes: list[Box]
    trajectory: pd.DataFrame
    """Steps of the first PRIM run: coverage, density, mass, res_dim, and ``chosen``."""
    reached: bool
    """Whether the first box reaches the density threshold."""


def prim_boxes(
    x: pd.DataFrame,
    y: np.ndarray,
    min_density: float = MIN_DENSITY,
    max_boxes: int = MAX_BOXES,
    mass_min: float = MASS_MIN,
    peel_alpha: float = PEEL_ALPHA,
) -> BoxSearch:
    """PRIM boxes of the worlds where ``y`` holds (EMA Workbench, lenient objective).

    The first box is always returned (the rule of :func:`pick`); later boxes, found on the
    worlds outside earlier boxes, only when they reach ``min_density``.
    """
    prim, _ = _ema()
    y = np.asarray(y, dtype=int)
    x = x.reset_index(drop=True).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # threshold: any box with a target world is kept; the density rule is applied here
        p = prim.Prim(x, y, threshold=1e-9, peel_alpha=peel_alpha, paste_alpha=peel_alpha,
                      mass_min=mass_min)  # fmt: skip
        boxes: list[Box] = []
        trajectory = pd.DataFrame()
        reached = False
        for j in range(max_boxes):
            found = p.find_box()
            if found is None or found.peeling_trajectory["k"].iloc[0] == 0:
                break
            traj = found.peeling_trajectory.reset_index(drop=True)
            i, ok = pick(traj, min_density)
            if j > 0 and not ok:
                break
            peeled = traj
            i = _drop_insignificant(found, i, min_density if ok else 0.0)
            found.select(i)
            traj = found.peeling_trajectory.reset_index(drop=True)
            row = traj.iloc[i]
            qp = {k: _qp(v) for k, v in found.qp[i].items()}
            boxes.append(_box_from_limits(
                found.box_lims[i], p.box_init, coverage=float(row["coverage"]),
                density=float(row["density"]), mass=float(row["mass"]), n=int(row["n"]),
                k=int(row["k"]), qp=qp,
            ))  # fmt: skip
            if j == 0:
                trajectory = peeled[["coverage", "density", "mass", "res_dim", "n", "k"]].copy()
                trajectory["chosen"] = trajectory.index == i
                reached = ok
    return BoxSearch(boxes, trajectory, reached)


def cart_box(
    x: pd.DataFrame, y: np.ndarray, min_density: float = MIN_DENSITY, mass_min: float = MASS_MIN
) -> Box | None:
    """CART cross-check: the leaf with the highest coverage among those with density >=
    ``min_density`` (else the densest leaf), of a tree whose leaves hold >= ``mass_min`` of
    the worlds. EMA Workbench's CART; the tree is grown with a fixed random state."""
    _, cart = _ema()
    from sklearn.tree import DecisionTreeClassifier

    y = np.asarray(y, dtype=int)
    if y.sum() == 0:
        return None
    x = x.reset_index(drop=True).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = cart.CART(x, y, mass_min=mass_min)
        c.clf = DecisionTreeClassifier(min_samples_leaf=max(1, int(mass_min * len(x))),
                                       random_state=0).fit(c._x, y)  # fmt: skip
        stats = pd.DataFrame(c.stats)
        init = x.apply(lambda s: pd.Series([s.min(), s.max()]))
        i, _ = pick(stats.assign(mass=stats["mass"]), min_density)
        box = _box_from_limits(
            c.boxes[i], init, coverage=float(stats["coverage"].iloc[i]),
            density=float(stats["density"].iloc[i]), mass=float(stats["mass"].iloc[i]),
            method="cart",
        )  # fmt: skip
    inside = box.contains(x)
    return replace(box, n=int(inside.sum()), k=int(y[inside].sum()))


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


# --- words -----------------------------------------------------------------------------------------

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


# --- signposts -------------------------------------------------------------------------------------


def month_label(start: str, offset: int) -> str:
    """'YYYY-MM' of the month ``offset`` months after ``start``."""
    year, month = map(int, start.split("-"))
    k = month - 1 + offset
    return f"{year + k // 12:04d}-{k % 12 + 1:02d}"


def observed_growth(
    scenario: Scenario, paths: int, month: int, months: int | None = None
) -> np.ndarray:
    """Potential demand growth each path has shown from the start to ``month``, annualized,
    ``(D_m / D_0)^(12/m)`` [x/yr], for the first ``paths`` paths of ``scenario``'s seed.

    Re-draws demand from the run's seeded streams (common random numbers), so it is the
    demand the engine's paths saw, without keeping monthly records of every path.
    """
    from sim.model.demand import potential_demand
    from sim.model.engine import max_slip, slip_table
    from sim.model.rng import blocks
    from sim.model.sampling import sample_inputs
    from sim.model.timeline import total_months

    refuse_actuals(scenario)
    if month < 1:
        raise ValueError("growth can only be observed after the start (month >= 1)")
    months = total_months(scenario, max_slip(slip_table(scenario))) if months is None else months
    out = np.empty(paths)
    for b, first, n in blocks(paths):
        demand = potential_demand(scenario, sample_inputs(scenario, n, b, months=months))
        out[first : first + n] = (demand[:, month] / demand[:, 0]) ** (12.0 / month)
    return out


def realized_margin(draws: dict[str, np.ndarray] | Any, month: int) -> np.ndarray:
    """Realized inference margin in ``month``, ``1 - P / r_t`` with ``r_t`` the revenue one
    GW serves (docs/model.md section 4), per path [0..1]."""
    price = np.asarray(draws["compute.price_per_gw_year"], dtype=float)
    r_t = (
        price
        / (1.0 - np.asarray(draws["economics.gross_margin"], dtype=float))
        * np.asarray(draws["compute.revenue_per_gw_growth"], dtype=float)
        ** ((1.0 - np.asarray(draws["compute.price_pass_through"], dtype=float)) * (month / 12.0))
    )
    return 1.0 - price / r_t


@dataclass(frozen=True)
class Signpost:
    """Thresholds on what a lab observes by a date that separate ruin from safety."""

    by: str
    """Month the signpost is read, 'YYYY-MM'."""
    month: int
    """Months after the start."""
    min_growth: float | None
    """Trips when demand growth seen so far is below this [x/yr] (None: no condition)."""
    min_margin: float | None
    """... and the realized margin is below this [0..1] (None: no condition)."""
    density: float
    """Share of the worlds where it trips that end in the target outcome (ruin)."""
    coverage: float
    """Share of all target worlds in which it trips."""
    trips: float
    """Share of all worlds in which it trips."""
    false_alarm: float
    """Share of the worlds without the target outcome in which it trips."""
    box_recall: float
    """Share of the first box's worlds in which it trips."""
    reached: bool
    """Whether the density threshold was reached."""

    def policy(self, cut: float = 0.5) -> dict[str, Any]:
        """The ``policy.signpost`` value for a scenario."""
        out: dict[str, Any] = {"by": self.by}
        if self.min_growth is not None:
            out["min_growth"] = round(self.min_growth, 3)
        if self.min_margin is not None:
            out["min_margin"] = round(self.min_margin, 3)
        out["cut"] = cut
        return out

    def yaml(self, cut: float = 0.5) -> str:
        """A YAML snippet for the scenario's policy section."""
        body = ", ".join(f"{k}: {v}" for k, v in self.policy(cut).items())
        return f"policy:\n  signpost: {{{body}}}"

    def sentence(self, target_words: str = "ruin") -> str:
        conds = []
        if self.min_growth is not None:
            conds.append(
                f"{label(OBSERVED_GROWTH)} < {fmt_value(OBSERVED_GROWTH, self.min_growth)}"
            )
        if self.min_margin is not None:
            conds.append(
                f"{label(OBSERVED_MARGIN)} < {fmt_value(OBSERVED_MARGIN, self.min_margin)}"
            )
        pct = lambda v: f"{100 * v:.0f}%"  # noqa: E731
        return (f"by {self.by}: {' and '.join(conds)} -> {target_words} in {pct(self.density)} "
                f"of the worlds where it trips ({pct(self.trips)} of all worlds); it trips in "
                f"{pct(self.coverage)} of {all_of(target_words)} and {pct(self.false_alarm)} of the "
                "other worlds")  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("by", "month", "min_growth", "min_margin", "density",
                                             "coverage", "trips", "false_alarm", "box_recall",
                                             "reached")}  # fmt: skip
        out["policy"] = self.policy()
        out["sentence"] = self.sentence()
        return out


def observables(results: Results, month: int) -> pd.DataFrame:
    """What each path's lab has seen by ``month``: demand growth so far [x/yr] and the
    realized inference margin [0..1]; a column is left out when it does not vary."""
    s = results.scenario
    cols = {
        OBSERVED_GROWTH: observed_growth(s, results.paths, month, results.total_months),
        OBSERVED_MARGIN: realized_margin(results.draws, month),
    }
    return pd.DataFrame({k: v for k, v in cols.items() if _varies(v)})


def find_signposts(
    results: Results,
    discovery: Discovery,
    months: tuple[int, ...] = SIGNPOST_MONTHS,
    min_density: float | None = None,
) -> list[Signpost]:
    """A signpost per date: PRIM on the observables with the target of ``discovery``.

    Only upper thresholds become signposts (a signpost trips when growth or margin is
    *low*); the statistics are those of the resulting rule, computed directly. Dates on or
    after the end of the horizon are skipped.
    """
    if not discovery.boxes:
        return []
    y, _, _ = target_worlds(results, discovery.target, discovery.revenue_below)
    x_in = world_inputs(results, discovery.growth_window_years or None)
    in_box = discovery.boxes[0].contains(x_in)
    density = discovery.min_density if min_density is None else min_density
    out = []
    for m in months:
        if not 0 < m < results.horizon_months:
            continue
        obs = observables(results, m)
        if obs.shape[1] == 0:
            continue
        box = prim_boxes(obs, y, density, max_boxes=1).boxes
        if not box:
            continue
        lim = {k: v[1] for k, v in box[0].limits.items() if box[0].sides[k] in ("upper", "both")}
        if not lim:
            continue
        trip = np.ones(len(obs), dtype=bool)
        for k, hi in lim.items():
            trip &= obs[k].to_numpy() < hi
        k_hit = int((trip & y).sum())
        out.append(Signpost(
            by=month_label(results.scenario.simulation.start, m), month=m,
            min_growth=lim.get(OBSERVED_GROWTH), min_margin=lim.get(OBSERVED_MARGIN),
            density=k_hit / max(1, int(trip.sum())), coverage=k_hit / max(1, int(y.sum())),
            trips=float(trip.mean()),
            false_alarm=float((trip & ~y).sum() / max(1, int((~y).sum()))),
            box_recall=float((trip & in_box).sum() / max(1, int(in_box.sum()))),
            reached=k_hit / max(1, int(trip.sum())) >= density - 1e-12,
        ))  # fmt: skip
    return out


def recommended(signposts: list[Signpost]) -> Signpost | None:
    """The earliest signpost that reaches the density threshold, else the densest one."""
    if not signposts:
        return None
    ok = [s for s in signposts if s.reached]
    return min(ok, key=lambda s: s.month) if ok else max(signposts, key=lambda s: s.density)


SIGNPOST_CUTS = (0.5, 1.0)
"""Order cuts whose effect is measured [share of each order not placed]."""


def signpost_cells(scenario: Scenario, signposts: list[Signpost],
                   cuts: tuple[float, ...] = SIGNPOST_CUTS) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Label -> sweep cell of the scenario with each signpost and cut (first: no signpost)."""
    cells: dict[str, dict[str, Any]] = {"no signpost": {}}
    for sp in signposts:
        for cut in cuts:
            cells[f"by {sp.by}, cut {cut:.0%}"] = {"policy.signpost": sp.policy(cut)}
    return cells


def signpost_effect(
    scenario: Scenario,
    signposts: list[Signpost],
    *,
    paths: int,
    seed: int,
    cuts: tuple[float, ...] = SIGNPOST_CUTS,
    client: Any = None,
    progress: ProgressFn | None = None,
) -> pd.DataFrame | str:
    """P(bankrupt), median cumulative revenue and mean equity value with and without each
    signpost, on ``paths`` paths of ``seed`` (common random numbers across the rows).

    Use a seed other than the one the signposts were found on: the effect is then measured
    out of sample. Returns a message instead when the policy cannot take a signpost (a
    fixed schedule signs everything at the start).
    """
    from sim.analysis.compare import newcombe_paired

    from .parallel import map_tasks
    from .sweep import apply_cell

    if scenario.policy.kind == "fixed_schedule":
        return ("the policy is a fixed schedule: every tranche is signed at the start, so no "
                "signpost can cut it; put the signpost on a review policy (planned_growth, "
                "demand_quantile, adaptive)")  # fmt: skip
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    own = data["policy"].pop("signpost", None)  # the reference row has no signpost
    data["simulation"].update(seed=seed, paths=paths)
    base = Scenario.model_validate(data)
    cells = signpost_cells(scenario, signposts, cuts)
    if own is not None:
        cells = {"no signpost": {}, "the scenario's signpost": {"policy.signpost": own},
                 **{k: v for k, v in cells.items() if k != "no signpost"}}  # fmt: skip
    variants = [apply_cell(base, cell) for cell in cells.values()]
    outs = map_tasks(path_outcomes, variants, client=client, progress=progress)
    ref = outs[0]
    rows = []
    for lbl, o in zip(cells, outs, strict=True):
        lo, hi = newcombe_paired(ref["bankrupt"], o["bankrupt"])
        rows.append({
            "policy": lbl,
            "p_bankrupt": float(o["bankrupt"].mean()),
            "d_p_bankrupt": float(o["bankrupt"].mean() - ref["bankrupt"].mean()),
            "d_p_bankrupt_lo": lo, "d_p_bankrupt_hi": hi,
            "cum_revenue_p50": float(np.median(o["cum_revenue"])),
            "d_cum_revenue_p50": float(np.median(o["cum_revenue"]) - np.median(ref["cum_revenue"])),
            "equity_value_mean": float(o["equity_value"].mean()),
            "d_equity_value_mean": float((o["equity_value"] - ref["equity_value"]).mean()),
            "tripped": float(o["tripped"].mean()),
        })  # fmt: skip
    df = pd.DataFrame(rows).set_index("policy")
    df.attrs.update(paths=paths, seed=seed)
    return df


def path_outcomes(scenario: Scenario) -> dict[str, np.ndarray]:
    """Per-path outcomes of one run (picklable task): ``bankrupt`` (horizon or run-off),
    ``equity_value`` [USD, net of obligations], ``cum_revenue`` [USD], ``tripped`` (whether
    the policy's signpost tripped)."""
    from sim.model.engine import run

    res = run(scenario, monthly_paths=0)
    sp = getattr(scenario.policy, "signpost", None)
    if sp is None:
        tripped = np.zeros(res.paths, dtype=bool)
    else:
        m = month_index(sp.by, scenario.simulation.start)
        g = observed_growth(scenario, res.paths, m, res.total_months)
        mg = realized_margin(res.draws, m)
        tripped = (g < (math.inf if sp.min_growth is None else sp.min_growth)) & (
            mg < (math.inf if sp.min_margin is None else sp.min_margin)
        )
    return {
        "bankrupt": np.asarray(res.bankrupt, dtype=bool),
        "equity_value": np.asarray(res.path["equity_value"], dtype=float),
        "cum_revenue": np.asarray(res.path["cum_revenue"], dtype=float),
        "tripped": tripped,
    }
