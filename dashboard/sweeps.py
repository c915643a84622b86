"""Background tables of the dashboard (heatmap, frontier, decision, tornado): thin calls into
:mod:`sim.analysis`, keyed by what they depend on (the swept values made canonical, so moving
that slider recomputes nothing) and cached on disk; a failing table is a message (not cached).
:class:`BackgroundWork`, the Explorer's mixin, restarts them debounced after every change
(one for other settings is kept, flagged ``stale``) and runs the compare and "What ruins us"."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.analysis.compare import compare_results
from sim.analysis.recommend import plan_set, recommend
from sim.analysis.sweep import apply_cell, grid, run_sweep
from sim.model.scenario import Scenario

from . import jobs
from .cache import DiskCache, cache_key, scenario_key

PLANNED_AXIS = [1.5, 2.0, 3.0, 4.0, 6.0, 10.0]  # heatmap's planned growth values [x/yr]
TRUE_AXIS = [1.5, 2.0, 3.0, 5.0, 7.0, 10.0]  # heatmap's true growth values [x/yr]
QUANTILE_AXIS = [0.1, 0.25, 0.5, 0.75, 0.9]  # heatmap's demand quantiles [0-1]
# policy kind -> the key swept on the heatmap's policy axis, and by the frontier's family
POLICY_AXIS_KEY = {"planned_growth": "policy.planned_growth", "adaptive": "policy.prior_growth",
                   "demand_quantile": "policy.q"}  # fmt: skip
FAMILY_KEY = {"planned_growth": "policy.planned_growth", "adaptive": "policy.haircut",
              "demand_quantile": "policy.q"}  # fmt: skip
TABLES = ("frontier", "decision", "heatmap", "tornado")  # in order (decision needs the frontier)
CELLS = {"heatmap": 36, "frontier": 25, "decision": 8, "tornado": 70}  # ~runs per table
Check = Callable[[int, int], None]  # progress(done, total); raises jobs.StaleJobError to stop
DISK = DiskCache()  # the cross-session cache of every table


def policy_axis(scenario: Scenario) -> tuple[str, list[float]] | None:
    """Dotted key and values of the heatmap's policy axis, or None (fixed schedules)."""
    key = POLICY_AXIS_KEY.get(scenario.policy.kind)
    return None if key is None else (key, QUANTILE_AXIS if key == "policy.q" else PLANNED_AXIS)


def table_scenario(name: str, scenario: Scenario) -> Scenario | None:
    """The scenario a table depends on (swept values made canonical); None if not applicable."""
    if name == "heatmap":
        axis = policy_axis(scenario)
        cell = None if axis is None else {axis[0]: axis[1][0], "demand.growth": TRUE_AXIS[0]}
        return None if cell is None else apply_cell(scenario, cell, "dashboard")
    # the decision searches the frontier's plans, on the frontier's worlds
    key = FAMILY_KEY.get(scenario.policy.kind) if name in ("frontier", "decision") else None
    if key is None:
        return scenario
    return apply_cell(scenario, {key: 1.0 if key == "policy.planned_growth" else 0.5}, "dashboard")


@dataclass(frozen=True)
class Spec:
    """One table to compute: its name, the scenario it depends on, paths, budget, key."""

    name: str
    scenario: Scenario | None
    paths: int
    budget: float
    key: str


def specs(scenario: Scenario, paths: int, budget: float) -> dict[str, Spec]:
    """The four tables for the current settings (paths lowered to fit the work budget; heatmap,
    frontier and decision share one count so their numbers compare)."""
    shared = min(jobs.table_paths(scenario, paths, CELLS[n]) for n in ("heatmap", "frontier"))
    out = {}
    for name in TABLES:
        s = table_scenario(name, scenario)
        n = jobs.table_paths(scenario, paths, CELLS["tornado"]) if name == "tornado" else shared
        extra = (round(budget, 6),) if name == "decision" else ()
        key = cache_key(name, scenario_key(s) if s is not None else "none", n, *extra)
        out[name] = Spec(name, s, n, budget, key)
    return out


def heatmap_data(spec: Spec, check: Check) -> Any:
    """Sweep (policy axis x true growth); a DataFrame, or a message."""
    if spec.scenario is None:
        return ("The heatmap varies the growth a plan assumes; this scenario uses a fixed "
                "purchase schedule. Pick another purchase policy to see it.")  # fmt: skip
    key, values = policy_axis(spec.scenario)
    cells = grid({key: values, "demand.growth": TRUE_AXIS})
    df = run_sweep(spec.scenario, cells, paths=spec.paths, progress=check)
    df.attrs["policy_key"] = key
    return df


def plans_data(spec: Spec, check: Check) -> Any:
    """The frontier's plans with their per-path outcomes (disk-cached: the decision reuses it)."""
    key = cache_key("plans", scenario_key(spec.scenario), spec.paths)
    plans = DISK.get(key)
    if plans is None:
        plans = plan_set(spec.scenario, paths=spec.paths, progress=check)
        DISK.put(key, plans)
    return plans


def frontier_data(spec: Spec, check: Check) -> Any:
    """Risk/upside of the policy families with ``policy``, ``family`` and ``efficient``."""
    return plans_data(spec, check).table.copy()


def decision_data(spec: Spec, check: Check) -> Any:
    """The recommended plan among the frontier's plans, on its worlds (a dict)."""
    plans = plans_data(spec, check)  # computed by the frontier table just before
    rec = recommend(spec.scenario, budget=spec.budget, plans=plans)
    return {"recommendation": rec, "feasible": rec.feasible, "budget": spec.budget,
            "paths": rec.paths}  # fmt: skip


def tornado_data(spec: Spec, check: Check) -> Any:
    """One-at-a-time sensitivity of P(bankrupt) (a DataFrame)."""
    from sim.analysis.sensitivity import tornado  # late: tests replace it

    return tornado(spec.scenario, paths=spec.paths, metric="p_bankrupt", progress=check)


FUNCS = {"heatmap": heatmap_data, "frontier": frontier_data, "decision": decision_data,
         "tornado": tornado_data}  # fmt: skip


def compute(spec: Spec, check: Check) -> Any:
    """Compute one table (here, on one numba thread); cache it on disk unless a message."""
    jobs.set_threads(heavy=True)
    try:
        value = FUNCS[spec.name](spec, check)
    except jobs.StaleJobError:
        raise
    except Exception as exc:  # one failing table must not hide the others
        return f"{spec.name} failed: {type(exc).__name__}: {exc}"
    if isinstance(value, pd.DataFrame | dict):
        DISK.put(spec.key, value)
    return value


def ruin_data(results: Any) -> dict[str, Any] | str:
    """Scenario discovery of ruin on a run (:mod:`sim.analysis.discover`), or a message."""
    try:
        from sim.analysis.discover import discover, find_signposts, recommended
    except ImportError as exc:
        return f"Not available: {exc}"
    d = discover(results)
    return {"scenario": results.scenario, "discovery": d,
            "recommended": recommended(find_signposts(results, d))}  # fmt: skip


DEBOUNCE_S = 0.4  # quiet time after the last change before the tables restart [s]
PROGRESS_EVERY_S = 0.3  # least time between two progress updates sent to the page [s]


def _entry(spec: Spec, value: Any) -> dict[str, Any]:
    """A shown table: its value and the key and path count it was computed for."""
    return {"key": spec.key, "value": value, "paths": spec.paths}


def _current(entry: dict[str, Any] | None, spec: Spec) -> bool:
    """Whether a shown table was computed for ``spec``'s settings."""
    return entry is not None and entry["key"] == spec.key


class BackgroundWork:
    """Tables, compare and scenario discovery of one session (mixed into the Explorer)."""

    tables: dict[str, Any]
    _specs: dict[str, Spec]

    def stale(self, name: str) -> bool:
        """Whether the shown table was computed for other settings (or not yet at all)."""
        spec = self._specs.get(name)
        return spec is None or not _current(self.tables.get(name), spec)

    def table(self, name: str) -> Any:
        """The shown value of a table (DataFrame, dict or message), or None."""
        return (self.tables.get(name) or {}).get("value")

    def _lookup(self, specs: dict[str, Spec]) -> tuple[dict[str, Any], list[str]]:
        """Tables for ``specs`` (current or disk-cached) and the names of those to compute."""
        tables, missing = dict(self.tables), []
        for name in TABLES:
            spec = specs.get(name)
            if spec is None or _current(tables.get(name), spec):
                continue
            if (hit := DISK.get(spec.key)) is not None:
                tables[name] = _entry(spec, hit)
            else:
                missing.append(name)
        return tables, missing

    def _after_lookup(self, missing: list[str]) -> None:
        if not missing:
            self._agen += 1  # nothing to compute: stop an older job
            self.param.update(analysis_progress=100, analysis_status="Tables up to date.")
            return
        self.analysis_status = f"Updating {', '.join(missing)}…"
        if self.auto_analysis:
            self.run_analysis()

    def schedule_analysis(self) -> None:
        """Serve the disk cache's tables; (re)start the rest, debounced (``auto_analysis``)."""
        if self.results is not None:
            share = self.budget / 100  # the budget is entered in percent
            self._specs = specs(self.current_scenario(), int(self.results.paths), share)
        tables, missing = self._lookup(self._specs)
        self.tables = tables  # views re-check which tables are stale
        self._after_lookup(missing)

    def run_analysis(self, background: bool = True) -> None:
        """Compute the missing tables here, or (``background``) on the tables' thread after
        :data:`DEBOUNCE_S` without a newer change; an older job is cancelled."""
        agen = self.stop_analysis()
        specs = dict(self._specs)
        if not background:
            self._analysis_job(agen, specs)
            return
        start = functools.partial(jobs.BACKGROUND.submit, self._analysis_job, agen, specs)
        with self._lock:
            self._timer = threading.Timer(DEBOUNCE_S, start)
            self._timer.daemon = True
            self._timer.start()

    def stop_analysis(self) -> int:
        """Stop the running or pending (debounced) tables job; the new job generation."""
        with self._lock:
            self._agen += 1
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            return self._agen

    def _analysis_job(self, agen: int, specs: dict[str, Spec]) -> None:
        weights = {"frontier": 0.25, "decision": 0.2, "heatmap": 0.3, "tornado": 0.25}
        done_w, last, t0 = 0.0, [-1, 0.0], time.perf_counter()  # last: sent percent and time
        computed = False  # every table from the disk cache: say so, not "done in 0.0 s"
        for name in TABLES:
            spec = specs.get(name)
            if agen != self._agen or spec is None:
                return
            if _current(self.tables.get(name), spec):
                done_w += weights[name]
                continue

            def check(done: int, total: int, name: str = name, base: float = done_w) -> None:
                if agen != self._agen:
                    raise jobs.StaleJobError
                jobs.yield_to_interactive()
                if agen != self._agen:
                    raise jobs.StaleJobError
                pct = int(100 * (base + weights[name] * (min(1.0, done / total) if total else 1)))
                if pct != last[0] and time.perf_counter() - last[1] > PROGRESS_EVERY_S:
                    last[:] = pct, time.perf_counter()
                    self.dispatch(lambda: self._progress(agen, pct, f"Computing {name}…"))

            value = DISK.get(spec.key)
            if value is None:
                computed = True
                try:
                    value = compute(spec, check)
                except jobs.StaleJobError:
                    return
            done_w += weights[name]
            self.dispatch(lambda s=spec, v=value: self._table_done(agen, s, v))
        elapsed = time.perf_counter() - t0
        status = f"Tables done in {elapsed:.1f} s." if computed else "Tables from the cache."
        self.dispatch(lambda: self._progress(agen, 100, status))

    def _progress(self, agen: int, pct: int, status: str) -> None:
        if agen == self._agen:
            self.param.update(analysis_progress=pct, analysis_status=status)

    def _table_done(self, agen: int, spec: Spec, value: Any) -> None:
        cur = self._specs.get(spec.name)
        if cur is not None and cur.key == spec.key:  # else: settings already left (the
            self.tables = {**self.tables, spec.name: _entry(spec, value)}  # disk cache has it)

    def pin(self) -> None:
        """Pin the shown run as the reference of the side-by-side compare."""
        if self.results is not None:
            self.pinned = (self.current_scenario().name + " (pinned)", self.results)

    def update_compare(self) -> None:
        """Compare the pinned run with the shown one (paired CIs on the same seed and paths)."""
        if self.pinned is None or self.results is None:
            return
        (label, ref), cur = self.pinned, self.results
        self.runner(lambda: compare_results([ref, cur], [label, "current"], resamples=400),
                    lambda out: self.dispatch(lambda: setattr(self, "compare", out)))  # fmt: skip

    def run_discovery(self, background: bool = True) -> None:
        """Scenario discovery of ruin on the shown run (cached; a thread with ``background``)."""
        results = self.results
        if results is None:
            return
        key = (results.scenario.model_dump_json(), results.paths)
        if key in self._ruin_cache:
            self.param.update(ruin_results=self._ruin_cache[key], ruin_status="Done (cached).")
            return
        with self._lock:
            if self._ruin_thread is not None and self._ruin_thread.is_alive():
                return
            self.ruin_status = f"Searching {results.paths:,} worlds for what ruins them..."
            if background:
                self._ruin_thread = threading.Thread(target=self._ruin_job, args=(key, results),
                                                     daemon=True)  # fmt: skip
                self._ruin_thread.start()
                return
        self._ruin_job(key, results)

    def _ruin_job(self, key: tuple[str, int], results: Any) -> None:
        t0 = time.perf_counter()
        try:
            out = ruin_data(results)
        except Exception as exc:  # the UI must show a message, never a traceback
            msg = f"Failed: {type(exc).__name__}: {exc}"
            self.dispatch(lambda: setattr(self, "ruin_status", msg))
            return
        if isinstance(out, dict):
            self._ruin_cache[key] = out
            status = (f"Done in {time.perf_counter() - t0:.1f} s ({results.paths:,} worlds of "
                      "the shown run).")  # fmt: skip
        else:
            status, out = out, {"message": out}
        self.dispatch(lambda: self.param.update(ruin_results=out, ruin_status=status))
