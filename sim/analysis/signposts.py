"""Signposts: what a lab can observe by a date that tells it is in the worlds that ruin it.

:func:`find_signposts` runs PRIM on the observables (potential demand growth seen since
the start [x/yr] and the realized inference margin [0..1]) against the target of a
:class:`sim.analysis.discover.Discovery`; a :class:`Signpost` reads as a
``policy.signpost`` snippet, and :func:`signpost_effect` measures what cutting orders when
it trips does to P(bankrupt) and upside, on fresh paths.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.model.results import Results
from sim.model.scenario import Scenario, month_index

from .discovery_boxes import prim_boxes
from .discovery_inputs import (
    OBSERVED_GROWTH,
    OBSERVED_MARGIN,
    refuse_actuals,
    target_worlds,
    varies,
    world_inputs,
)
from .discovery_words import all_of, fmt_value, label

if TYPE_CHECKING:
    from .discover import Discovery

SIGNPOST_MONTHS = (12, 18, 24)
"""Months after the start at which signposts are read (2027-01, 2027-07, 2028-01 on base)."""

ProgressFn = Callable[[int, int], None]


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
    return pd.DataFrame({k: v for k, v in cols.items() if varies(v)})


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
