"""The dashboard's model layer: a ``param.Parameterized`` over the public ``sim`` API.

:class:`Explorer` holds one loaded scenario plus the sidebar inputs. Inputs the user has
not touched leave the scenario as loaded (so a distribution such as a uniform diffusion lag
stays a distribution); touched inputs become dotted-path updates validated by
:func:`sim.model.io.scenario_from_dict`. Runs are cached by scenario hash and path count. Heavy
sweeps (heatmap, frontier, tornado) run in a background thread with progress. No panel
import here: this layer is unit-tested without a browser.
"""

from __future__ import annotations

import glob
import io
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import param

from sim.errors import ScenarioError
from sim.model.distributions import central, support
from sim.model.io import load_scenario, scenario_from_dict, scenario_to_yaml
from sim.model.scenario import Scenario, set_dotted
from sim.model.summary import by_year

from . import sweeps
from .schema import FIELDS, GROWTH, PLANNED, QUANTILE, param_kwargs, schema_bounds, schema_doc
from .state import key_numbers, run_cached

EMBEDDED = "base (embedded default)"
POLICY_GROWTH_KEY = {"planned_growth": "planned_growth", "adaptive": "prior_growth"}
"""Policy kind -> name of its growth-plan field."""
POLICY_LABELS = {
    "Plan for a growth rate": "planned_growth",
    "Adaptive (learns growth)": "adaptive",
    "Demand quantile": "demand_quantile",
    "Fixed schedule": "fixed_schedule",
}
"""Display name -> policy kind."""
INPUTS = (
    "growth_low", "growth_high", *FIELDS, "policy_kind", "planned_growth", "quantile",
    "plan_to_ceiling", "years", "scenario_name",
)  # fmt: skip
"""Sidebar parameters that define the scenario (the path count only sets precision)."""


def scenario_files(directory: str | Path) -> dict[str, str]:
    """Scenario picker options: display name -> path (``""`` is the embedded default)."""
    files = {EMBEDDED: ""}
    for path in sorted(glob.glob(str(Path(directory) / "*.yaml"))):
        files[Path(path).stem] = path
    return files


def _num(name: str, value: float, kind: str | None = None, **extra: Any) -> param.Number:
    spec = {**FIELDS, "growth": GROWTH, "planned": PLANNED, "quantile": QUANTILE}[name]
    return param.Number(value, **{**param_kwargs(spec, kind), **extra})


class Explorer(param.Parameterized):
    """Sidebar inputs mapped onto Scenario fields, with cached results and sweeps."""

    scenario_file = param.Selector(objects=[EMBEDDED], default=EMBEDDED, label="Scenario")
    scenario_name = param.String("base", label="Scenario name (for saving)")
    growth_low = _num("growth", 3.0, label="True growth, low [x/yr]")
    growth_high = _num("growth", 10.0, label="True growth, high [x/yr]")
    growth_persistence = _num("growth_persistence", 0.8)
    diffusion_lag_years = _num("diffusion_lag_years", 1.25)
    lead_time_months = _num("lead_time_months", 18.0)
    contract_years = _num("contract_years", 5.0)
    price_per_gw_year = _num("price_per_gw_year", 12.0)
    training_share = _num("training_share", 0.5)
    min_training_share = _num("min_training_share", 0.25)
    gross_margin = _num("gross_margin", 0.6667)
    initial_cash = _num("initial_cash", 30.0)
    policy_kind = param.Selector(
        objects=POLICY_LABELS, default="planned_growth", label="Purchase policy",
        doc="policy.kind: how orders are sized at each review",
    )  # fmt: skip
    planned_growth = _num("planned", 4.0, "planned_growth")
    quantile = _num("quantile", 0.5, "demand_quantile")
    plan_to_ceiling = param.Boolean(
        False, label="Plan bends toward the demand ceiling",
        doc="policy.plan_to_ceiling: " + schema_doc("policy.plan_to_ceiling", "planned_growth"),
    )  # fmt: skip
    years = param.Integer(
        6, bounds=tuple(int(b) for b in schema_bounds("simulation.years")[:2]),
        softbounds=(1, 15), step=1, label="Horizon [years]",
        doc="simulation.years: " + schema_doc("simulation.years"),
    )  # fmt: skip
    paths = param.Integer(
        2000, bounds=(200, 50_000), softbounds=(500, 10_000), step=500,
        label="Paths (interactive)", doc="Monte Carlo paths per interactive run",
    )  # fmt: skip
    sweep_paths = param.Integer(
        500, bounds=(100, 20_000), label="Paths per sweep cell",
        doc="paths per cell of the heatmap/frontier and per tornado run",
    )  # fmt: skip

    # outputs (not widgets)
    error = param.String("", precedence=-1, doc="message when the inputs are invalid")
    results = param.Parameter(None, precedence=-1, doc="Results of the current scenario")
    numbers = param.Dict({}, precedence=-1, doc="key_numbers of the current results")
    run_seconds = param.Number(0.0, precedence=-1, doc="time of the last update [s]")
    sweep_progress = param.Integer(0, bounds=(0, 100), precedence=-1)
    sweep_status = param.String("Press 'Run sweeps' to compute.", precedence=-1)
    sweep_results = param.Dict({}, precedence=-1, doc="name -> DataFrame or message")
    ruin_status = param.String("Press 'Find what ruins us' to compute.", precedence=-1)
    ruin_results = param.Dict(
        {}, precedence=-1, doc="scenario, discovery and signposts of the shown run, or message"
    )

    def __init__(
        self,
        scenario: Scenario | None = None,
        scenarios_dir: str | Path = "scenarios",
        **params: Any,
    ) -> None:
        super().__init__(**params)
        self._files = scenario_files(scenarios_dir)
        self.param.scenario_file.objects = list(self._files)
        self._base: Scenario = scenario or load_scenario()
        self._snapshot: dict[str, Any] = {}
        self._loading = False
        self._lock = threading.Lock()
        self._sweep_thread: threading.Thread | None = None
        self._sweep_cache: dict[tuple[str, int], dict[str, Any]] = {}
        self._ruin_thread: threading.Thread | None = None
        self._ruin_cache: dict[tuple[str, int], dict[str, Any]] = {}
        self.load(self._base)

    # ----------------------------------------------------------------- scenario <-> inputs
    def load(self, scenario: Scenario) -> None:
        """Make ``scenario`` the base and set every input from it."""
        self._base = scenario
        values = self._values_from(scenario)
        for name, value in values.items():
            p = self.param[name]
            soft = getattr(p, "softbounds", None)
            if soft is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
                p.softbounds = (min(soft[0], value), max(soft[1], value))
        self._loading = True
        try:
            self.param.update(**values)
        finally:
            self._loading = False
        self._snapshot = dict(values)
        self.recompute()

    @staticmethod
    def _values_from(s: Scenario) -> dict[str, Any]:
        lo, hi = support(s.demand.growth)
        values: dict[str, Any] = {"growth_low": lo, "growth_high": hi, "scenario_name": s.name}
        for name, spec in FIELDS.items():
            node: Any = s
            for key in spec.dotted.split("."):
                node = getattr(node, key)
            values[name] = round(central(node) / spec.scale, 10)
        pol = s.policy
        values["policy_kind"] = pol.kind
        key = POLICY_GROWTH_KEY.get(pol.kind)
        values["planned_growth"] = central(getattr(pol, key)) if key else 4.0
        values["quantile"] = central(pol.q) if pol.kind == "demand_quantile" else 0.5
        values["plan_to_ceiling"] = bool(getattr(pol, "plan_to_ceiling", False))
        values["years"] = int(s.simulation.years)
        return values

    def updates(self) -> dict[str, Any]:
        """Dotted-path updates for the inputs changed since the scenario was loaded."""
        changed = {n for n, v in self._snapshot.items() if getattr(self, n) != v}
        out: dict[str, Any] = {}
        if changed & {"growth_low", "growth_high"}:
            out[GROWTH.dotted] = {"dist": "loguniform", "low": self.growth_low,
                                  "high": self.growth_high}  # fmt: skip
            if self.growth_low == self.growth_high:
                out[GROWTH.dotted] = self.growth_low
        for name, spec in FIELDS.items():
            if name in changed:
                out[spec.dotted] = float(getattr(self, name)) * spec.scale
        if changed & {"policy_kind", "planned_growth", "quantile"}:
            out["policy"] = self._policy_dict()
        elif "plan_to_ceiling" in changed and self.policy_kind in POLICY_GROWTH_KEY:
            out["policy.plan_to_ceiling"] = bool(self.plan_to_ceiling)
        if "years" in changed:
            out["simulation.years"] = int(self.years)
        if "scenario_name" in changed and self.scenario_name.strip():
            out["name"] = self.scenario_name.strip()
        return out

    def _policy_dict(self) -> dict[str, Any]:
        kind = self.policy_kind
        base = self._base.policy.model_dump(by_alias=True, exclude_none=True)
        review = base.get("review_months", 12)
        if kind == base["kind"]:
            pol = dict(base)
        elif kind == "fixed_schedule":
            pol = {"kind": kind, "tranches": []}
        else:
            pol = {"kind": kind, "review_months": review}
        if kind in POLICY_GROWTH_KEY:
            pol[POLICY_GROWTH_KEY[kind]] = self.planned_growth
            pol["plan_to_ceiling"] = bool(self.plan_to_ceiling)
        else:
            pol.pop("plan_to_ceiling", None)
        if kind == "demand_quantile":
            pol["q"] = self.quantile
        return pol

    def scenario(self) -> Scenario:
        """The scenario the inputs describe; raises :class:`ScenarioError` if invalid."""
        data = self._base.model_dump(by_alias=True, exclude_none=True)
        for dotted, value in self.updates().items():
            set_dotted(data, dotted, value)
        return scenario_from_dict(data, "dashboard settings")

    def describe_error(self, exc: ScenarioError) -> str:
        """Markdown naming each bad field, the widget(s) behind it and what is allowed."""
        labels = {spec.dotted: self.param[n].label for n, spec in FIELDS.items()}
        labels[GROWTH.dotted] = "True growth, low/high"
        lines = ["**These settings do not make a valid scenario:**"]
        for field, msg in exc.problems:
            msg = msg.replace("bad distribution: ", "").replace("Value error, ", "")
            msg = msg.split(" (allowed dist:")[0]
            widgets = [lab for dotted, lab in labels.items()
                       if dotted == field or dotted.rsplit(".", 1)[1] in msg]  # fmt: skip
            where = f" (widgets: {', '.join(widgets)})" if widgets else ""
            lines.append(f"- `{field or 'scenario'}`: {msg}{where}")
        lines.append("\nThe charts still show the last valid settings.")
        return "\n".join(lines)

    # ----------------------------------------------------------------------- computation
    @param.depends(*INPUTS, "paths", watch=True)
    def _on_input(self) -> None:
        if not self._loading:
            self.recompute()

    @param.depends("scenario_file", watch=True)
    def _on_file(self) -> None:
        if self._loading:
            return
        path = self._files.get(self.scenario_file, "")
        try:
            scenario = load_scenario(path or None)
        except ScenarioError as exc:
            self.error = self.describe_error(exc)
            return
        self.load(scenario)

    def recompute(self) -> None:
        """Validate the inputs, run (cached) and publish results and key numbers."""
        t0 = time.perf_counter()
        try:
            scenario = self.scenario()
        except ScenarioError as exc:
            self.error = self.describe_error(exc)
            return
        results = run_cached(scenario, self.paths)
        numbers = key_numbers(results)
        self.param.update(error="", results=results, numbers=numbers,
                          run_seconds=time.perf_counter() - t0)  # fmt: skip

    def current_scenario(self) -> Scenario:
        """The scenario of the shown results (the last valid settings)."""
        return self.results.scenario if self.results is not None else self._base

    # --------------------------------------------------------------------------- exports
    def scenario_yaml(self) -> str:
        """YAML of the current settings, loadable by ``python -m sim validate``.

        Keeps the loaded scenario's path count (the interactive count is for speed only).
        """
        s = self.current_scenario().replace(**{"simulation.paths": self._base.simulation.paths})
        header = "# Saved from the compute-sim dashboard.\n"
        return header + scenario_to_yaml(s)

    def yaml_file(self) -> io.StringIO:
        """File-like YAML for a download button."""
        return io.StringIO(self.scenario_yaml())

    def by_year_csv(self) -> io.StringIO:
        """Per-year table of the current results as CSV."""
        buf = io.StringIO()
        by_year(self.results).to_csv(buf, index=False)
        buf.seek(0)
        return buf

    # ---------------------------------------------------------------------------- sweeps
    def sweep_key(self) -> tuple[str, int]:
        return (self.current_scenario().model_dump_json(), int(self.sweep_paths))

    def run_sweeps(self, background: bool = True) -> None:
        """Compute heatmap, frontier and tornado for the shown scenario (cached).

        With ``background`` the work runs in a daemon thread and ``sweep_progress`` /
        ``sweep_status`` report on it; a second call while running is ignored.
        """
        key = self.sweep_key()
        if key in self._sweep_cache:
            self.param.update(sweep_results=self._sweep_cache[key], sweep_progress=100,
                              sweep_status="Sweeps done (cached).")  # fmt: skip
            return
        with self._lock:
            if self._sweep_thread is not None and self._sweep_thread.is_alive():
                return
            scenario = self.current_scenario()
            paths = int(self.sweep_paths)
            if background:
                self._sweep_thread = threading.Thread(
                    target=self._sweep_job, args=(key, scenario, paths), daemon=True
                )
                self._sweep_thread.start()
                return
        self._sweep_job(key, scenario, paths)

    def wait_sweeps(self, timeout: float | None = None) -> None:
        """Block until a background sweep finishes (for tests and scripts)."""
        thread = self._sweep_thread
        if thread is not None:
            thread.join(timeout)

    def _sweep_job(self, key: tuple[str, int], scenario: Scenario, paths: int) -> None:
        t0 = time.perf_counter()

        def report(stage: str) -> Callable[[float], None]:
            def update(frac: float) -> None:
                pct = round(100 * frac)
                if pct != self.sweep_progress:
                    self.param.update(sweep_progress=min(100, max(0, pct)),
                                      sweep_status=f"Running {stage}...")  # fmt: skip

            return update

        try:
            out = sweeps.run_all(scenario, paths, report)
        except Exception as exc:  # the UI must show a message, never a traceback
            self.param.update(sweep_status=f"Sweeps failed: {type(exc).__name__}: {exc}",
                              sweep_progress=0)  # fmt: skip
            return
        if all(isinstance(out.get(k), pd.DataFrame) for k in ("heatmap", "frontier", "tornado")):
            self._sweep_cache[key] = out
        self.param.update(
            sweep_results=out,
            sweep_progress=100,
            sweep_status=f"Sweeps done in {time.perf_counter() - t0:.1f} s "
            f"({paths:,} paths per cell).",
        )

    # ----------------------------------------------------------------- what ruins us
    def run_discovery(self, background: bool = True) -> None:
        """Scenario discovery on the shown run (its paths are the worlds): PRIM boxes of
        ruin and signposts (cached per scenario and path count; in a daemon thread with
        ``background``; a second call while running is ignored)."""
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
                self._ruin_thread = threading.Thread(
                    target=self._ruin_job, args=(key, results), daemon=True
                )
                self._ruin_thread.start()
                return
        self._ruin_job(key, results)

    def wait_discovery(self, timeout: float | None = None) -> None:
        """Block until a background discovery finishes (for tests and scripts)."""
        thread = self._ruin_thread
        if thread is not None:
            thread.join(timeout)

    def _ruin_job(self, key: tuple[str, int], results: Any) -> None:
        t0 = time.perf_counter()
        try:
            out = sweeps.ruin_data(results)
        except Exception as exc:  # the UI must show a message, never a traceback
            self.param.update(ruin_status=f"Failed: {type(exc).__name__}: {exc}")
            return
        if isinstance(out, dict):
            self._ruin_cache[key] = out
            status = (f"Done in {time.perf_counter() - t0:.1f} s ({results.paths:,} worlds of "
                      "the shown run).")  # fmt: skip
        else:
            status, out = out, {"message": out}
        self.param.update(ruin_results=out, ruin_status=status)


def numbers_text(numbers: dict[str, Any]) -> str:
    """One-line text version of the key numbers (for logs and the CLI)."""
    from sim.outputs import usd

    if not numbers:
        return ""
    lo, hi = numbers["p_bankrupt_ci95"]
    return (
        f"P(bankrupt) {numbers['p_bankrupt']:.1%} (95% CI {lo:.1%}-{hi:.1%}); "
        f"median revenue {numbers['final_year']} {usd(numbers['revenue_final_year_p50'])}; "
        f"unserved {numbers['unserved_share']:.1%}"
    )


__all__ = ["EMBEDDED", "Explorer", "key_numbers", "numbers_text", "run_cached"]
