"""Value of information for the purchase decision: what knowing a parameter, or waiting to
see demand, is worth.

The decision is which of a few candidate policies to run (e.g. plans for 2, 3, 4, 6 or 10x
growth). Every candidate runs on the same paths (common random numbers: path ``i`` is the
same world under each), giving a table ``V[c, i]`` of equity value net of obligations
(0 when bankrupt).

**EVPI of a parameter** (expected value of perfect information, here about one parameter:
the partial EVPI). Worlds are bucketed by the parameter's per-path value (quantile bins;
``demand.growth`` is the path's geometric-mean growth). *Without* information the lab runs
the single best candidate; *with* it, the best candidate of the world's bucket. Choosing
and judging on the same paths would make noise look like value (the maximum of noisy means
is biased up), so the choices are **cross-fitted**: paths are split in two halves, each
half's choices are made on the other half, and every path is judged once, under choices
it took no part in. ``EVPI = mean_i (V[with(i), i] - V[without(i), i])``, in USD of mean
equity value, with its standard error; ``evpi_share`` divides by the value without
information. A fixed parameter makes one bucket, so both choices coincide: EVPI is exactly
0. Bucketing coarsens the information (finer buckets approach perfect information but
leave fewer paths per choice).

**Value of waiting N months.** The same candidates with the first order ``N`` months later
(``policy.first_review_months``; later reviews keep their calendar): that order arrives ``N``
months later (the lead time runs from the later order) and is sized on the demand seen
then, the supply cap applies at the later delivery date, and the price per GW-year is
unchanged (the model has one price for all contracts). The waiting lab picks its candidate
from the demand growth it has seen after ``N`` months (bucketed, cross-fitted as above).
The value of waiting is its mean equity value minus that of the best candidate committed
now, split into the effect of the delay alone (the best single candidate, first order
later, choice not informed by what was seen) and the value of choosing by what was seen.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.model.scenario import Scenario
from sim.outputs import usd

from .discovery_inputs import GROWTH, varies
from .signposts import observed_growth

BUCKETS = 5
"""Quantile buckets of the parameter (or of the growth seen while waiting)."""
DEFAULT_CANDIDATES = {"policy.planned_growth": [2.0, 3.0, 4.0, 6.0, 10.0]}
"""Candidate policies when none are given: plans for 2-10x growth [x/yr]."""
KIND_OF_KEY = {
    "policy.planned_growth": "planned_growth", "policy.q": "demand_quantile",
    "policy.prior_growth": "adaptive", "policy.haircut": "adaptive",
    "policy.prior_weight_years": "adaptive",
}  # fmt: skip
"""Policy parameter -> the policy kind it belongs to (switched to when needed)."""

ProgressFn = Callable[[int, int], None]


# --- candidates ------------------------------------------------------------------------------


def parse_candidates(texts: list[str] | None) -> dict[str, list[Any]]:
    """``["policy.planned_growth=2,3,4"]`` -> ``{"policy.planned_growth": [2.0, 3.0, 4.0]}``;
    several keys form a grid. Values are numbers where they parse as numbers."""
    if not texts:
        return {k: list(v) for k, v in DEFAULT_CANDIDATES.items()}
    axes: dict[str, list[Any]] = {}
    for text in texts:
        key, sep, values = text.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            raise ValueError(
                f"expected KEY=V1,V2,... (e.g. policy.planned_growth=2,4,8), got {text!r}"
            )
        parsed: list[Any] = []
        for v in values.split(","):
            v = v.strip()
            try:
                parsed.append(float(v))
            except ValueError:
                parsed.append(v)
        if len(parsed) < 1:
            raise ValueError(f"no values in {text!r}")
        axes[key] = parsed
    return axes


def candidate_cells(scenario: Scenario, axes: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    """Label -> sweep cell of every candidate (a grid over ``axes``). A policy parameter of
    another policy kind switches the policy (``policy.planned_growth`` on a fixed schedule
    becomes a planned-growth policy)."""
    keys = list(axes)
    kinds = {KIND_OF_KEY[k] for k in keys if k in KIND_OF_KEY}
    switch = {}
    if "policy.kind" not in axes and len(kinds) == 1:
        kind = next(iter(kinds))
        if scenario.policy.kind != kind:
            switch = {"policy.kind": kind}
    cells = {}
    for combo in itertools.product(*axes.values()):
        cell = {**switch, **dict(zip(keys, combo, strict=True))}
        lbl = ", ".join(f"{k.removeprefix('policy.')}={_fmt(v)}" for k, v in cell.items()
                        if k != "policy.kind" or "policy.kind" in axes)  # fmt: skip
        cells[lbl] = cell
    return cells


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


# --- per-path outcomes --------------------------------------------------------------------------

SIGNED_PATHS = 2000
"""Paths with monthly records, on which the take-or-pay signed at reviews is summed."""


def voi_outcomes(scenario: Scenario) -> dict[str, np.ndarray]:
    """Per-path outcomes of one candidate (picklable task): ``equity_value`` [USD, net of
    obligations, 0 if bankrupt], ``bankrupt``, ``cum_revenue`` [USD], and ``signed`` [USD]:
    nominal take-or-pay of the contracts its reviews signed, for the first
    :data:`SIGNED_PATHS` paths."""
    from sim.model.engine import run

    keep = min(scenario.simulation.paths, SIGNED_PATHS)
    res = run(scenario, monthly_paths=keep)
    p = res.params
    length = np.maximum(1, np.rint(np.asarray(p["compute.contract_years"]) * 12.0))
    per_gw = np.asarray(p["compute.price_per_gw_year"]) / 12.0 * length  # [USD per GW signed]
    ordered = res.monthly["ordered_gw"].sum(axis=1)
    if res.runoff_monthly:
        ordered = ordered + res.runoff_monthly["ordered_gw"].sum(axis=1)
    return {
        "equity_value": np.asarray(res.path["equity_value"], dtype=float),
        "bankrupt": np.asarray(res.bankrupt, dtype=bool),
        "cum_revenue": np.asarray(res.path["cum_revenue"], dtype=float),
        "signed": ordered * per_gw,
        "growth_mean": np.asarray(res.path["growth_mean"], dtype=float),
        "draws": {k: np.asarray(v) for k, v in res.draws.items()},
    }


def _check_param(scenario: Scenario, name: str) -> None:
    """Raise KeyError (naming the choices) unless ``name`` is a per-path parameter."""
    from sim.model.sampling import numeric_fields

    known = [GROWTH, *numeric_fields(scenario)]
    if name not in known:
        import difflib

        hint = difflib.get_close_matches(name, known, n=1)
        raise KeyError(f"unknown parameter {name!r}" + (f"; did you mean {hint[0]!r}?" if hint
                       else f"; choose one of {', '.join(known)}"))  # fmt: skip


def param_values(outcome: dict[str, Any], name: str) -> np.ndarray:
    """Per-path value of ``name``: ``demand.growth`` is the geometric-mean growth, any other
    name a per-path draw. Raises KeyError naming the choices."""
    if name == GROWTH:
        return outcome["growth_mean"]
    return outcome["draws"][name]


# --- cross-fitted choices ------------------------------------------------------------------------


def buckets_of(x: np.ndarray, k: int = BUCKETS) -> tuple[np.ndarray, np.ndarray]:
    """(bucket index per path, bucket edges): ``k`` quantile bins of ``x``; fewer when ``x``
    takes fewer distinct values; one bucket when it does not vary."""
    x = np.asarray(x, dtype=float)
    if not varies(x):
        return np.zeros(len(x), dtype=int), np.array([x.min(), x.max()])
    edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, k + 1)))
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    return idx, edges


def halves(n: int) -> np.ndarray:
    """Half (0 or 1) of every path: even and odd paths (paths are independent worlds)."""
    return np.arange(n) % 2


def crossfit(values: np.ndarray, bucket: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate chosen for every path, with and without knowing its bucket, each chosen on
    the other half of the paths (``values``: (candidates, paths) of equity value).

    Ties go to the first candidate; a bucket empty in a half falls back to the single best.
    """
    n = values.shape[1]
    half = halves(n)
    with_info = np.empty(n, dtype=int)
    without = np.empty(n, dtype=int)
    for h in (0, 1):
        train, test = half == h, half != h
        single = int(np.argmax(values[:, train].mean(axis=1))) if train.any() else 0
        without[test] = single
        for b in np.unique(bucket):
            tr, te = train & (bucket == b), test & (bucket == b)
            with_info[te] = int(np.argmax(values[:, tr].mean(axis=1))) if tr.any() else single
    return with_info, without


def _take(a: np.ndarray, choice: np.ndarray) -> np.ndarray:
    return a[choice, np.arange(a.shape[1])]


def _mean_se(d: np.ndarray) -> tuple[float, float]:
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else 0.0


# --- results ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Voi:
    """EVPI of one parameter for a set of candidate policies (see the module docstring)."""

    scenario: str
    param: str
    paths: int
    seed: int
    labels: list[str]
    cells: dict[str, dict[str, Any]]
    fixed: bool
    """The parameter takes one value on every path (nothing to learn: EVPI is 0)."""
    evpi: float
    evpi_se: float
    value_without: float
    value_with: float
    p_bankrupt_without: float
    p_bankrupt_with: float
    best_policy: str
    """Best single candidate on all paths (the policy without information)."""
    candidates: pd.DataFrame
    """Per candidate: mean equity value, P(bankrupt), median cumulative revenue."""
    buckets: pd.DataFrame
    """Per bucket: parameter range, worlds, best candidate (all paths), its mean equity value
    and P(bankrupt), the best single candidate's there, and whether both halves agree."""
    wait: dict[str, Any] | None = None
    elapsed_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def evpi_share(self) -> float:
        return self.evpi / self.value_without if self.value_without > 0 else float("nan")

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario, "param": self.param, "paths": self.paths,
            "seed": self.seed, "param_fixed": self.fixed,
            "evpi": self.evpi, "evpi_se": self.evpi_se, "evpi_share": self.evpi_share,
            "value_without_info": self.value_without, "value_with_info": self.value_with,
            "p_bankrupt_without_info": self.p_bankrupt_without,
            "p_bankrupt_with_info": self.p_bankrupt_with,
            "best_policy": self.best_policy,
            "best_policy_cell": self.cells[self.best_policy],
            "best_per_bucket": self.buckets.to_dict(orient="records"),
            "candidates": self.candidates.reset_index().to_dict(orient="records"),
            "method": "values: mean equity value net of obligations (0 if bankrupt) [USD]; "
                      "choices cross-fitted on two halves of the paths (even/odd), every path "
                      "judged once under choices made on the other half",
            "wait": self.wait, "notes": self.notes, "elapsed_s": self.elapsed_s,
        }  # fmt: skip


def _candidate_table(labels: list[str], outs: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame({
        "policy": labels,
        "equity_value_mean": [float(o["equity_value"].mean()) for o in outs],
        "p_bankrupt": [float(o["bankrupt"].mean()) for o in outs],
        "cum_revenue_p50": [float(np.median(o["cum_revenue"])) for o in outs],
    }).set_index("policy")  # fmt: skip


def _bucket_table(labels: list[str], values: np.ndarray, bankrupt: np.ndarray, x: np.ndarray,
                  bucket: np.ndarray, best: int) -> pd.DataFrame:  # fmt: skip
    half = halves(values.shape[1])
    rows = []
    for b in np.unique(bucket):
        m = bucket == b
        means = values[:, m].mean(axis=1)
        c = int(np.argmax(means))
        picks = {int(np.argmax(values[:, m & (half == h)].mean(axis=1)))
                 for h in (0, 1) if (m & (half == h)).any()}  # fmt: skip
        rows.append({
            "bucket": int(b), "lo": float(x[m].min()), "hi": float(x[m].max()),
            "worlds": int(m.sum()), "best": labels[c],
            "equity_value_mean": float(means[c]), "p_bankrupt": float(bankrupt[c, m].mean()),
            "single_best_equity_value_mean": float(means[best]),
            "single_best_p_bankrupt": float(bankrupt[best, m].mean()),
            "halves_agree": len(picks) == 1,
        })  # fmt: skip
    return pd.DataFrame(rows)


def evpi_from(
    labels: list[str], outs: list[dict[str, Any]], x: np.ndarray, buckets: int = BUCKETS
) -> dict[str, Any]:
    """EVPI numbers from per-candidate outcomes and the per-path parameter ``x``."""
    values = np.stack([o["equity_value"] for o in outs])
    bankrupt = np.stack([o["bankrupt"] for o in outs])
    bucket, _ = buckets_of(x, buckets)
    with_info, without = crossfit(values, bucket)
    gain, se = _mean_se(_take(values, with_info) - _take(values, without))
    best = int(np.argmax(values.mean(axis=1)))
    return {
        "fixed": not varies(x),
        "evpi": gain, "evpi_se": se,
        "value_without": float(_take(values, without).mean()),
        "value_with": float(_take(values, with_info).mean()),
        "p_bankrupt_without": float(_take(bankrupt, without).mean()),
        "p_bankrupt_with": float(_take(bankrupt, with_info).mean()),
        "best_policy": labels[best],
        "buckets": _bucket_table(labels, values, bankrupt, x, bucket, best),
    }  # fmt: skip


def value_of_information(
    scenario: Scenario,
    param: str = GROWTH,
    candidates: dict[str, list[Any]] | None = None,
    *,
    paths: int | None = None,
    seed: int | None = None,
    buckets: int = BUCKETS,
    wait_months: int | None = None,
    client: Any = None,
    progress: ProgressFn | None = None,
) -> Voi:
    """EVPI of ``param`` for the candidate policies, and optionally the value of waiting.

    Examples
    --------
    >>> from sim import load_scenario
    >>> v = value_of_information(load_scenario(), "economics.other_costs_share", paths=400,
    ...                          candidates={"policy.planned_growth": [2.0, 4.0]})
    >>> v.evpi   # a plain number in base: nothing to learn
    0.0
    """
    from .parallel import map_tasks
    from .sweep import apply_cell

    t0 = time.perf_counter()
    updates: dict[str, Any] = {}
    if paths is not None:
        updates["simulation.paths"] = paths
    if seed is not None:
        updates["simulation.seed"] = seed
    base = scenario.replace(**updates) if updates else scenario
    _check_param(base, param)
    cells = candidate_cells(base, DEFAULT_CANDIDATES if candidates is None else candidates)
    labels = list(cells)
    variants = [apply_cell(base, c) for c in cells.values()]
    wait_variants: list[Scenario] = []
    if wait_months:
        wait_variants = [_waiting(v, wait_months) for v in variants]
    total = len(variants) + len(wait_variants)
    done = [0]

    def step(k: int, _n: int) -> None:
        if progress is not None:
            progress(done[0] + k, total)

    outs = map_tasks(voi_outcomes, variants, client=client, progress=step)
    done[0] = len(variants)
    x = param_values(outs[0], param)  # raises KeyError for an unknown name
    ev = evpi_from(labels, outs, x, buckets)
    notes = []
    if ev["fixed"]:
        notes.append(f"{param} takes one value on every path: there is nothing to learn "
                     "about it, so EVPI is 0")  # fmt: skip
    wait = None
    if wait_variants:
        wait_outs = map_tasks(voi_outcomes, wait_variants, client=client, progress=step)
        wait = waiting_value(base, labels, outs, wait_outs, wait_months or 0, buckets)
    return Voi(
        scenario=base.name, param=param, paths=base.simulation.paths,
        seed=base.simulation.seed, labels=labels, cells=cells,
        candidates=_candidate_table(labels, outs), wait=wait,
        elapsed_s=time.perf_counter() - t0, notes=notes, **ev,
    )  # fmt: skip


def _waiting(scenario: Scenario, months: int) -> Scenario:
    if scenario.policy.kind == "fixed_schedule":
        raise ValueError("--wait needs review policies (a fixed schedule signs at the start)")
    first = scenario.policy.first_review_months + months
    if first >= scenario.months:
        raise ValueError(f"waiting {months} months leaves no review inside the "
                         f"{scenario.simulation.years}-year horizon")  # fmt: skip
    return scenario.replace(**{"policy.first_review_months": first})


def waiting_value(
    scenario: Scenario,
    labels: list[str],
    now: list[dict[str, Any]],
    later: list[dict[str, Any]],
    months: int,
    buckets: int = BUCKETS,
) -> dict[str, Any]:
    """Value of waiting ``months`` before the first order (module docstring), with what
    ordering late costs stated plainly."""
    from sim.model.distributions import central
    from sim.model.engine import supply_cap_gw
    from sim.model.sampling import numeric_fields

    v_now = np.stack([o["equity_value"] for o in now])
    b_now = np.stack([o["bankrupt"] for o in now])
    v_late = np.stack([o["equity_value"] for o in later])
    b_late = np.stack([o["bankrupt"] for o in later])
    n = v_now.shape[1]
    seen = observed_growth(scenario, n, months)
    bucket, _ = buckets_of(seen, buckets)
    one = np.zeros(n, dtype=int)
    _, commit_now = crossfit(v_now, one)
    _, blind = crossfit(v_late, one)
    informed, _ = crossfit(v_late, bucket)
    now_v, blind_v, inf_v = _take(v_now, commit_now), _take(v_late, blind), _take(v_late, informed)
    value, value_se = _mean_se(inf_v - now_v)
    delay, delay_se = _mean_se(blind_v - now_v)
    info, info_se = _mean_se(inf_v - blind_v)
    # what ordering later means, at central values of the scenario's parameters
    med = {k: np.array([central(v)]) for k, v in numeric_fields(scenario).items()}
    lead = round(central(scenario.compute.lead_time_months))
    first = scenario.policy.first_review_months if scenario.policy.kind != "fixed_schedule" else 0
    d_now, d_late = first + lead, first + months + lead
    cap = supply_cap_gw(med, d_late + 1)[0]
    price = central(scenario.compute.price_per_gw_year)
    keep = min(n, SIGNED_PATHS)
    signed = _take(np.stack([o["signed"] for o in later]), informed[:keep]).mean()
    start = scenario.simulation.start
    from .signposts import month_label

    costs = [
        f"delivery: with a {lead}-month lead time the first order arrives in "
        f"{month_label(start, d_late)} instead of {month_label(start, d_now)}; demand meanwhile "
        "is served by capacity already signed; the order is sized on the demand seen then",
        f"supply: the cap at delivery is the one of the later date, {cap[d_late]:.3g} GW instead "
        f"of {cap[d_now]:.3g} GW for this lab (industry supply keeps growing in the model; no "
        "competitor takes it first)",
        f"price: unchanged at {usd(price)} per GW-year (the model has one price for all "
        "contracts; a late-order premium is not modelled)",
    ]
    breakeven = value / signed if signed > 0 else float("nan")
    if value > 0 and signed > 0:
        costs.append(
            f"break-even premium: waiting stays worth it unless contracts signed after waiting "
            f"cost more than {breakeven:.1%} more (value of waiting / mean take-or-pay they "
            f"sign, {usd(signed)}; first order, ignores knock-on effects on bankruptcy)"
        )
    return {
        "months": months, "observed": f"demand growth seen over the first {months} months",
        "value_of_waiting": value, "value_of_waiting_se": value_se,
        "delay_effect": delay, "delay_effect_se": delay_se,
        "value_of_information_seen": info, "value_of_information_seen_se": info_se,
        "value_commit_now": float(now_v.mean()), "value_wait_blind": float(blind_v.mean()),
        "value_wait_informed": float(inf_v.mean()),
        "p_bankrupt_commit_now": float(_take(b_now, commit_now).mean()),
        "p_bankrupt_wait_blind": float(_take(b_late, blind).mean()),
        "p_bankrupt_wait_informed": float(_take(b_late, informed).mean()),
        "best_now": labels[int(np.argmax(v_now.mean(axis=1)))],
        "best_wait_blind": labels[int(np.argmax(v_late.mean(axis=1)))],
        "best_per_bucket": _bucket_table(labels, v_late, b_late, seen, bucket,
                                         int(np.argmax(v_late.mean(axis=1)))
                                         ).to_dict(orient="records"),
        "signed_take_or_pay_mean": float(signed), "breakeven_premium": breakeven,
        "costs": costs,
    }  # fmt: skip
