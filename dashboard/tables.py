"""Background work of an Explorer session (a mixin using its parameters): the tables, which
restart debounced after every change (one for other settings is kept, flagged ``stale``),
the pinned compare and "What ruins us".
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sim.analysis.compare import compare_results

from . import jobs, sweeps

DEBOUNCE_S = 0.4  # quiet time after the last change before the tables restart [s]
PROGRESS_EVERY_S = 0.3  # least time between two progress updates sent to the page [s]


def _entry(spec: sweeps.Spec, value: Any) -> dict[str, Any]:
    """A shown table: its value and the key and path count it was computed for."""
    return {"key": spec.key, "value": value, "paths": spec.paths}


def _current(entry: dict[str, Any] | None, spec: sweeps.Spec) -> bool:
    """Whether a shown table was computed for ``spec``'s settings."""
    return entry is not None and entry["key"] == spec.key


class BackgroundWork:
    """Tables, compare and scenario discovery of one session (mixed into the Explorer)."""

    tables: dict[str, Any]
    _specs: dict[str, sweeps.Spec]

    def stale(self, name: str) -> bool:
        """Whether the shown table was computed for other settings (or not yet at all)."""
        spec = self._specs.get(name)
        return spec is None or not _current(self.tables.get(name), spec)

    def table(self, name: str) -> Any:
        """The shown value of a table (DataFrame, dict or message), or None."""
        entry = self.tables.get(name)
        return None if entry is None else entry["value"]

    def _lookup(self, specs: dict[str, sweeps.Spec]) -> tuple[dict[str, Any], list[str]]:
        """Tables for ``specs`` (current or disk-cached) and the names of those to compute."""
        tables, missing = dict(self.tables), []
        for name in sweeps.TABLES:
            spec = specs.get(name)
            if spec is None or _current(tables.get(name), spec):
                continue
            hit = sweeps.DISK.get(spec.key)
            if hit is not None:
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
            self.run_analysis(background=True, delay=DEBOUNCE_S)

    def schedule_analysis(self) -> None:
        """Serve the disk cache's tables; (re)start the rest, debounced (``auto_analysis``)."""
        if self.results is not None:
            self._specs = sweeps.specs(
                self.current_scenario(), int(self.results.paths), float(self.budget) / 100
            )  # fmt: skip  (% -> share)
        tables, missing = self._lookup(self._specs)
        self.tables = tables  # views re-check which tables are stale
        self._after_lookup(missing)

    def run_analysis(self, background: bool = True, delay: float = 0.0) -> None:
        """Compute the missing tables (in the background or here), cancelling an older job."""
        agen = self.stop_analysis()
        specs = dict(self._specs)
        if not background:
            self._analysis_job(agen, specs)
            return

        def start() -> None:
            self._analysis_future = jobs.BACKGROUND.submit(self._analysis_job, agen, specs)

        if delay > 0:
            with self._lock:
                self._timer = threading.Timer(delay, start)
                self._timer.daemon = True
                self._timer.start()
        else:
            start()

    def stop_analysis(self) -> int:
        """Stop the running or pending (debounced) tables job; the new job generation."""
        with self._lock:
            self._agen += 1
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            return self._agen

    def _analysis_job(self, agen: int, specs: dict[str, sweeps.Spec]) -> None:
        weights = {"frontier": 0.25, "decision": 0.2, "heatmap": 0.3, "tornado": 0.25}
        done_w, last, t0 = 0.0, [-1, 0.0], time.perf_counter()  # last: sent percent and time
        for name in sweeps.TABLES:
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

            value = sweeps.DISK.get(spec.key)
            if value is None:
                try:
                    value = sweeps.compute(spec, check)
                except jobs.StaleJobError:
                    return
            done_w += weights[name]
            self.dispatch(lambda s=spec, v=value: self._table_done(agen, s, v))
        elapsed = time.perf_counter() - t0
        self.dispatch(lambda: self._progress(agen, 100, f"Tables done in {elapsed:.1f} s."))

    def _progress(self, agen: int, pct: int, status: str) -> None:
        if agen == self._agen:
            self.param.update(analysis_progress=pct, analysis_status=status)

    def _table_done(self, agen: int, spec: sweeps.Spec, value: Any) -> None:
        cur = self._specs.get(spec.name)
        if cur is not None and cur.key == spec.key:  # else: settings already left (the
            self.tables = {**self.tables, spec.name: _entry(spec, value)}  # disk cache has it)

    def pin(self) -> None:
        """Pin the shown run as the reference of the side-by-side compare."""
        if self.results is not None:
            self.pinned = (self.current_scenario().name + " (pinned)", self.results)
            self.update_compare()

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
            out = sweeps.ruin_data(results)
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
