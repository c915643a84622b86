"""Boxes over the per-path inputs: PRIM and CART searches (the EMA Workbench).

A :class:`Box` restricts a few inputs to intervals; its coverage, density and mass say how
well it describes the target worlds (rules in :mod:`sim.analysis.discover`).
:func:`prim_boxes` peels with PRIM, :func:`cart_box` is the CART cross-check. The EMA
Workbench is imported on first use (it pulls matplotlib, seaborn, scikit-learn and
statsmodels).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

MIN_DENSITY = 0.8
"""Density the first box must reach [share of worlds in the box that are target worlds]."""
MASS_MIN = 0.05
"""Smallest box PRIM and CART consider [share of all worlds]."""
PEEL_ALPHA = 0.05
"""Share of the worlds in a box PRIM peels off per step."""
MAX_BOXES = 3
"""Most boxes reported (PRIM runs on the worlds outside earlier boxes)."""


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
