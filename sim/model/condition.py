"""Bayesian update on actuals: sampling importance resampling (SIR) over whole paths.

The model is deterministic given each path's pre-drawn inputs (per-path parameters, yearly
growth innovations, monthly demand shocks, slip uniforms). So the update needs no kernel
change:

1. **Candidates.** ``oversample x paths`` prior paths are drawn and simulated up to
   ``as_of`` (the history scenario: policies order only after ``as_of``; before it the
   contract book is what was signed). Candidate ``i < paths`` is the prior's path ``i``.
2. **Weights.** Each candidate's log-likelihood of the actuals up to ``as_of``: served
   revenue run-rate (what capacity let the lab serve, not potential demand) with lognormal
   noise, and optionally GW online (lognormal) and realized gross margin (normal). A
   candidate bankrupt before an observed month cannot have produced it.
3. **Resampling.** Systematic resampling picks ``paths`` ancestors; the effective sample
   size is Kish's ``(sum w)^2 / sum w^2``.
4. **Posterior inputs.** Path ``i`` takes its ancestor's parameters, growth of every year
   that has a history month and shocks of every history month, and its own prior draws for
   the shocks after ``as_of`` (growth continues the ancestor's persistent AR(1) state with
   path ``i``'s innovations), so duplicated ancestors diverge in the forecast. The engine
   reruns these inputs from the start: each path reproduces its ancestor's history exactly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from .distributions import to_dist
from .engine import (
    MONTHLY_PATHS,
    block_result,
    pilot_demand,
    simulate_kernel,
    simulated_months,
    slip_table,
)
from .kernel.layout import MONTHLY
from .results import Accumulator, Results, calendar_years
from .rng import blocks, stream
from .sampling import SampledInputs, max_orders, ndtr, ndtri, sample_inputs
from .scenario import FixedSchedule, Scenario, month_index, numeric_fields
from .store import SPILL_PATHS

MAX_UPDATE_BYTES = 4 * 2**30
"""Most memory the candidates' kept draws and records may take [bytes]."""
MISFIT_P = 0.01
"""A conflict is also reported when even the best candidate's chi-square (the sum of its
squared standardized residuals) has a p-value below this on as many degrees of freedom as
observed values: a large ESS can come from many paths that all miss the actuals alike."""
GW_FLOOR = 1e-3
"""Added to observed and simulated GW before taking logs, so 0 GW is comparable [GW]."""
_M = {name: i for i, name in enumerate(MONTHLY)}

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class Update:
    """Outcome of conditioning a scenario on its actuals."""

    as_of: str
    """Last month of history, 'YYYY-MM'."""
    as_of_index: int
    """Months from ``simulation.start`` to ``as_of`` [months]."""
    ess: float
    """Kish effective sample size of the candidate weights [paths]."""
    candidates: int
    """Prior paths weighted [paths]."""
    observed: int
    """Actuals used (months up to ``as_of``)."""
    ancestors: np.ndarray
    """Candidate index of every posterior path, shape (paths,)."""
    log_likelihood: np.ndarray
    """Log-likelihood of the actuals for every candidate, shape (candidates,)."""
    warnings: tuple[str, ...] = ()
    """Sentences: low ESS (with the remedy), contract book against gw_online actuals."""
    history: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    """Candidates' records ``revenue_run_rate``, ``gw_online``, ``gross_margin``, ``alive``
    in the observed months (``month``: their indices), shape (candidates, observed months)."""
    draws: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    """Candidates' inputs the posterior reuses (parameters, history growth and noise)."""

    conflict: str | None = None
    """The sentence naming a conflict between actuals and prior (low ESS or a misfit even
    of the best candidate) and its remedy; None when the prior explains the actuals."""
    min_ess: float = 0.0
    """The scenario's ``actuals.min_ess`` [paths]."""

    @property
    def low_ess(self) -> bool:
        return self.ess < self.min_ess


def history_scenario(scenario: Scenario) -> Scenario:
    """The scenario whose policy orders only after ``as_of`` (review policies' first review
    moves to the first forecast month); without actuals the scenario itself."""
    as_of = scenario.as_of
    if as_of is None or isinstance(scenario.policy, FixedSchedule):
        return scenario
    first = month_index(as_of, scenario.simulation.start) + 1
    if scenario.policy.first_review_months >= first:
        return scenario
    return scenario.replace(**{"policy.first_review_months": first})


def _history_records(raw: dict[str, np.ndarray], months: int) -> dict[str, np.ndarray]:
    mo = raw["monthly"][:, :, :months]
    revenue = mo[_M["revenue"]]
    cap = mo[_M["capacity_gw"]]
    with np.errstate(invalid="ignore", divide="ignore"):
        price = np.where(cap > 0, mo[_M["compute_cost"]] / cap, 0.0)  # [USD/GW-month]
        margin = 1.0 - mo[_M["inference_gw"]] * price / revenue
    return {
        "revenue_run_rate": 12.0 * revenue,
        "gw_online": cap.copy(),
        "gross_margin": np.where(revenue > 0, margin, np.nan),
        "alive": mo[_M["alive"]] > 0.5,
    }


def log_likelihood(scenario: Scenario, history: dict[str, np.ndarray]) -> tuple[np.ndarray, int]:
    """Log-likelihood (up to a constant) of the actuals up to ``as_of`` for every path of
    ``history`` (records in the months ``history["month"]``), and how many were used."""
    actuals = scenario.actuals
    assert actuals is not None
    assert scenario.as_of is not None
    noise = actuals.noise
    start = scenario.simulation.start
    points = actuals.up_to(scenario.as_of)
    ll = np.zeros(history["alive"].shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        for p in points:
            t = int(np.searchsorted(history["month"], month_index(p.month, start)))
            alive = history["alive"][:, t]
            rate = history["revenue_run_rate"][:, t]
            z = (np.log(p.revenue_run_rate) - np.log(rate)) / noise.revenue_run_rate
            ll += np.where(alive & (rate > 0), -0.5 * z * z, -np.inf)
            if p.gw_online is not None:
                gw = history["gw_online"][:, t]
                z = (np.log(p.gw_online + GW_FLOOR) - np.log(gw + GW_FLOOR)) / noise.gw_online
                ll += -0.5 * z * z
            if p.gross_margin is not None:
                z = (p.gross_margin - history["gross_margin"][:, t]) / noise.gross_margin
                ll += np.where(np.isfinite(z), -0.5 * z * z, -np.inf)
    return ll, len(points)


def normalized_weights(log_lik: np.ndarray) -> np.ndarray:
    """Weights summing to 1; uniform when no candidate explains the actuals at all."""
    top = np.max(log_lik) if log_lik.size else -np.inf
    if not np.isfinite(top):
        return np.full(log_lik.shape, 1.0 / max(1, log_lik.size))
    w = np.exp(log_lik - top)
    return w / w.sum()


def kish_ess(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` [paths]."""
    return float(weights.sum() ** 2 / np.sum(weights * weights))


def systematic_resample(weights: np.ndarray, n: int, u0: float) -> np.ndarray:
    """``n`` ancestor indices, candidate ``j`` drawn ``n w_j`` times up to rounding
    (systematic resampling: one uniform ``u0`` in [0, 1), strata ``(u0 + k) / n``)."""
    cum = np.cumsum(weights)
    cum[-1] = 1.0  # rounding: the last stratum always lands
    return np.searchsorted(cum, (u0 + np.arange(n)) / n, side="right").astype(np.int64)


def condition(scenario: Scenario, progress: ProgressFn | None = None) -> Update:
    """Weight ``oversample x paths`` prior candidates by the actuals and resample."""
    actuals, as_of = scenario.actuals, scenario.as_of
    if actuals is None or as_of is None:
        raise ValueError("the scenario has no actuals to condition on")
    hist = history_scenario(scenario)
    n_paths = scenario.simulation.paths
    total = actuals.oversample * n_paths
    idx = month_index(as_of, scenario.simulation.start)
    months = idx + 1
    start = scenario.simulation.start
    seen = np.array(sorted({month_index(p.month, start) for p in actuals.up_to(as_of)}))
    per_path = 8 * (len(numeric_fields(scenario)) + months + 4 * len(seen) + max_orders(hist) + 8)
    if total * per_path > MAX_UPDATE_BYTES:
        from sim.errors import BadInputError

        raise BadInputError(
            f"the update would keep {total * per_path / 2**30:.1f} GiB of draws for "
            f"{total:,} candidate paths (actuals.oversample {actuals.oversample} x "
            f"simulation.paths {n_paths:,}, {months} history months); at most "
            f"{MAX_UPDATE_BYTES / 2**30:.0f} GiB: lower simulation.paths or actuals.oversample"
        )
    slips = slip_table(hist)
    history: dict[str, list[np.ndarray]] = {}
    draws: dict[str, list[np.ndarray]] = {}
    for b, first, n in blocks(total):
        inputs = sample_inputs(hist, n, b, months=months)
        raw = simulate_kernel(hist, inputs, None, slips, keep=n)
        for k, v in _history_records({"monthly": raw["monthly"][:, :, seen]}, len(seen)).items():
            history.setdefault(k, []).append(v)
        for k, v in inputs.params.items():
            draws.setdefault("param:" + k, []).append(np.asarray(v, dtype=float))
        draws.setdefault("growth", []).append(np.array(inputs.growth))
        draws.setdefault("noise", []).append(np.array(inputs.noise))
        draws.setdefault("slip_u", []).append(np.array(inputs.slip_u))
        if progress is not None:
            progress(first + n, total)
    hist_arr = {k: np.concatenate(v) for k, v in history.items()}
    hist_arr["month"] = seen
    draw_arr = {k: np.concatenate(v) for k, v in draws.items()}
    ll, observed = log_likelihood(scenario, hist_arr)
    w = normalized_weights(ll)
    ess = kish_ess(w) if np.isfinite(ll).any() else 0.0
    u0 = float(stream(scenario.simulation.seed, 0, "update:resample").random())
    # resampled ancestors come sorted: shuffle them so any prefix of the posterior's paths
    # (a smaller run of the same update) is a fair subsample
    order = stream(scenario.simulation.seed, 0, "update:order").permutation(n_paths)
    ancestors = systematic_resample(w, n_paths, u0)[order]
    n_values = sum(1 + (p.gw_online is not None) + (p.gross_margin is not None)
                   for p in actuals.up_to(as_of))  # fmt: skip
    best_chi2 = float(-2.0 * np.max(ll)) if np.isfinite(ll).any() else np.inf
    from scipy.special import chdtrc  # only conditioned runs need the chi-square tail

    misfit = float(chdtrc(n_values, best_chi2))
    conflict = None
    if ess < actuals.min_ess or misfit < MISFIT_P:
        conflict = conflict_warning(scenario, ess, (best_chi2, n_values, misfit), draw_arr, total)
    warnings = ([conflict] if conflict else []) + book_warnings(scenario, hist_arr)
    return Update(as_of, idx, ess, total, observed, ancestors, ll, tuple(warnings),
                  hist_arr, draw_arr, conflict, actuals.min_ess)  # fmt: skip


def _observed_growth(scenario: Scenario) -> tuple[float, str, str] | None:
    """Yearly growth of the observed revenue run-rate between the first and last actual up
    to ``as_of`` [x/yr], with those months; None with fewer than two months."""
    pts = scenario.actuals.up_to(scenario.as_of)  # type: ignore[union-attr,arg-type]
    if len(pts) < 2:
        return None
    a, b = pts[0], pts[-1]
    span = month_index(b.month, a.month)
    return (b.revenue_run_rate / a.revenue_run_rate) ** (12.0 / span), a.month, b.month


def conflict_warning(
    scenario: Scenario,
    ess: float,
    fit: tuple[float, int, float],
    draws: dict[str, np.ndarray],
    total: int,
) -> str:
    """The sentence naming the conflict between actuals and prior, and the remedy; ``fit``
    is the best candidate's chi-square, the number of observed values and its p-value."""
    actuals = scenario.actuals
    assert actuals is not None
    chi2, n_values, p = fit
    heads = []
    if ess < actuals.min_ess:
        heads.append(f"low effective sample size: {ess:.1f} of {total:,} weighted prior paths "
                     f"(threshold actuals.min_ess {actuals.min_ess:g})")  # fmt: skip
    if p < MISFIT_P:
        heads.append(f"the actuals conflict with the prior: even the best-fitting of {total:,} "
                     f"prior paths misses them by chi-square {chi2:.3g} on {n_values} observed "
                     f"values (p = {p:.2g} < {MISFIT_P:g})")  # fmt: skip
    head = "; ".join(heads)
    conflict = "the actuals lie in the far tail of what the prior produces"
    obs = _observed_growth(scenario)
    if obs is not None:
        g, m0, m1 = obs
        top = float(np.max(draws["growth"]))
        low = float(np.min(draws["growth"]))
        if g > top:
            conflict = (f"revenue grew {g:.3g}x a year from {m0} to {m1}, faster than the "
                        f"prior's highest growth ({top:.3g}x a year)")  # fmt: skip
        elif g < low:
            conflict = (f"revenue grew {g:.3g}x a year from {m0} to {m1}, slower than the "
                        f"prior's lowest growth ({low:.3g}x a year)")  # fmt: skip
        else:
            conflict = (f"revenue grew {g:.3g}x a year from {m0} to {m1}, a path few prior "
                        "paths follow within the observation noise")  # fmt: skip
    return (f"{head}: {conflict}. The posterior is not to be trusted as it stands; widen the prior "
            "(demand.growth, demand.initial_revenue) or the noise "
            "(actuals.noise.revenue_run_rate), or raise simulation.paths or "
            "actuals.oversample.")  # fmt: skip


def book_warnings(scenario: Scenario, history: dict[str, np.ndarray]) -> list[str]:
    """A sentence per ``gw_online`` actual the contract book misses by more than twice the
    noise (median over the candidates of GW online in that month)."""
    actuals = scenario.actuals
    assert actuals is not None
    assert scenario.as_of is not None
    sigma = actuals.noise.gw_online
    out = []
    for p in actuals.up_to(scenario.as_of):
        if p.gw_online is None:
            continue
        t = int(np.searchsorted(history["month"], month_index(p.month, scenario.simulation.start)))
        book = float(np.median(history["gw_online"][:, t]))
        gap = abs(np.log(p.gw_online + GW_FLOOR) - np.log(book + GW_FLOOR))
        if gap > 2.0 * sigma:
            out.append(
                f"gw_online {p.month}: {p.gw_online:g} GW observed, the contract book "
                f"(compute.initial_gw, deals, tranches) has {book:.3g} GW online (log gap "
                f"{gap:.2f} > 2 x actuals.noise.gw_online {sigma:g}); add the missing "
                "contracts to the scenario"
            )
    return out


def posterior_inputs(
    scenario: Scenario, update: Update, block: int, first: int, n: int, months: int
) -> SampledInputs:
    """Inputs of posterior paths ``first + [0, n)`` (block ``block``): the ancestors'
    parameters and history draws, each path's own prior draws after ``as_of``."""
    own = sample_inputs(scenario, n, block, months=months)
    anc = update.ancestors[first : first + n]
    d = update.draws
    # the policy acts only after as_of: its parameters are the scenario's (a plan search
    # reruns one update under many plans), everything else is the ancestor's
    params = {
        k: v if k.startswith("policy.") or "param:" + k not in d else d["param:" + k][anc]
        for k, v in own.params.items()
    }
    hist_years = update.as_of_index // 12 + 1
    growth = np.array(own.growth)
    growth[:, :hist_years] = d["growth"][anc, :hist_years]
    years = growth.shape[1]
    if years > hist_years:
        from .sampling import _growth_normals

        dist = to_dist(scenario.demand.growth)  # type: ignore[arg-type]
        eps = _growth_normals(scenario.simulation.seed, block, "", n, years).T
        rho = params["demand.growth_persistence"]
        u = np.clip(dist.cdf(growth[:, hist_years - 1]), 1e-12, 1.0 - 1e-12)
        z = ndtri(u)
        for y in range(hist_years, years):
            z = rho * z + np.sqrt(1.0 - rho**2) * eps[:, y]
            growth[:, y] = dist.ppf(ndtr(z))
    h = update.as_of_index + 1
    noise = np.array(own.noise)
    noise[:, :h] = d["noise"][anc, :h]
    slip_u = np.array(own.slip_u)
    if isinstance(scenario.policy, FixedSchedule):  # tranches were signed at the start
        slip_u = d["slip_u"][anc]
    return SampledInputs(params=params, growth=growth, noise=noise, slip_u=slip_u)


InputsFn = Callable[[int, int, int, int], SampledInputs]


@dataclass
class PathFigures:
    """Per-path figures an update reports, over every path of a run."""

    growth_12m: np.ndarray
    """Potential demand 12 months after ``as_of`` over its value at ``as_of`` [x/yr]."""
    revenue_12m: np.ndarray
    """Served revenue run-rate 12 months after ``as_of`` [USD/yr]; 0 when bankrupt."""
    history_revenue: np.ndarray
    """Served revenue run-rate in the history months, shape (paths, as_of_index + 1)."""
    tracked: dict[str, np.ndarray] = field(default_factory=dict)
    """Records ``revenue_run_rate``, ``gw_online``, ``gross_margin`` and ``alive`` at the
    months asked for (``track``), shape (paths, len(track))."""


def run_inputs(
    scenario: Scenario,
    inputs_fn: InputsFn,
    as_of_index: int,
    *,
    monthly_paths: int = MONTHLY_PATHS,
    progress: ProgressFn | None = None,
    track: tuple[int, ...] = (),
) -> tuple[Results, PathFigures]:
    """Run the engine on the inputs ``inputs_fn(block, first, n, months)`` gives, block by
    block (the kernel is parallel over a block's paths: results do not depend on threads)."""
    t0 = time.perf_counter()
    slips = slip_table(scenario)
    months = simulated_months(scenario, slips)
    pilot = pilot_demand(scenario, months)
    cal = calendar_years(scenario)
    year, month = map(int, scenario.simulation.start.split("-"))
    cal_all = year + (month - 1 + np.arange(months)) // 12
    paths = scenario.simulation.paths
    acc = Accumulator(
        paths, spill=paths > SPILL_PATHS, years=np.unique(cal),
        runoff_years=np.unique(cal_all[scenario.months :]) if months > scenario.months else None,
    )  # fmt: skip
    t12 = min(as_of_index + 12, months - 1)
    growth, revenue, hist = [], [], []
    tracked: dict[str, list[np.ndarray]] = {}
    cols = np.asarray(track, dtype=np.int64)
    for b, first, n in blocks(paths):
        inputs = inputs_fn(b, first, n, months)
        keep = max(0, min(n, monthly_paths - first))
        raw = simulate_kernel(scenario, inputs, pilot, slips, keep=n)
        mo = raw["monthly"]
        demand = mo[_M["demand"]]
        with np.errstate(divide="ignore", invalid="ignore"):
            growth.append((demand[:, t12] / demand[:, as_of_index]) ** (12.0 / (t12 - as_of_index)))
        revenue.append(12.0 * mo[_M["revenue"], :, t12])
        hist.append(12.0 * mo[_M["revenue"], :, : as_of_index + 1].copy())
        for k, v in _history_records({"monthly": mo[:, :, cols]}, len(cols)).items():
            tracked.setdefault(k, []).append(v)
        raw["monthly"] = mo[:, :keep]
        acc.add(block_result(scenario, b, inputs, raw, keep))
        if progress is not None:
            progress(first + n, paths)
    res = acc.finish(scenario, cal, time.perf_counter() - t0, months)
    figures = PathFigures(
        np.concatenate(growth), np.concatenate(revenue), np.concatenate(hist),
        {k: np.concatenate(v) for k, v in tracked.items()},
    )  # fmt: skip
    return res, figures


def run_prior(
    scenario: Scenario, *, monthly_paths: int = MONTHLY_PATHS, progress: ProgressFn | None = None
) -> tuple[Results, PathFigures]:
    """The prior of an update: the history scenario (ordering after ``as_of``), unweighted."""
    hist = history_scenario(scenario)
    idx = month_index(scenario.as_of or scenario.simulation.start, scenario.simulation.start)
    return run_inputs(
        hist, lambda b, first, n, months: sample_inputs(hist, n, b, months=months), idx,
        monthly_paths=monthly_paths, progress=progress,
    )  # fmt: skip


def run_posterior(
    scenario: Scenario,
    update: Update,
    *,
    monthly_paths: int = MONTHLY_PATHS,
    progress: ProgressFn | None = None,
    track: tuple[int, ...] = (),
) -> tuple[Results, PathFigures]:
    """The posterior: resampled ancestors rerun from the start and forecast after ``as_of``.
    ``scenario`` may differ from the conditioned one after ``as_of`` only (another policy)."""
    hist = history_scenario(scenario)
    return run_inputs(
        hist,
        lambda b, first, n, months: posterior_inputs(hist, update, b, first, n, months),
        update.as_of_index, monthly_paths=monthly_paths, progress=progress, track=track,
    )  # fmt: skip


def run_conditioned(
    scenario: Scenario, *, monthly_paths: int = MONTHLY_PATHS, progress: ProgressFn | None = None
) -> Results:
    """Condition a scenario with actuals and run its posterior: what
    :func:`sim.model.engine.run` does for a scenario with actuals. ``Results.conditioning``
    holds the update's ``as_of``, ``ess``, ``candidates`` and ``warnings``."""
    t0 = time.perf_counter()
    update = condition(scenario)
    res, _ = run_posterior(scenario, update, monthly_paths=monthly_paths, progress=progress)
    # the scenario as given (its policy's orders after as_of are implied by its actuals, and
    # a rerun of it conditions again), the weighting's time included
    res = replace(res, scenario=scenario, elapsed_s=time.perf_counter() - t0)
    info = {"as_of": update.as_of, "ess": update.ess, "candidates": update.candidates,
            "warnings": list(update.warnings)}  # fmt: skip
    return replace(res, conditioning=info)
