"""The dashboard's model layer (no panel): :class:`Explorer`, one loaded scenario plus the
inputs (only touched inputs change it: a distribution stays a distribution) and its files
(picker, YAML save/upload, CSV download). ``runner(fn, done)`` runs a job, ``dispatch(fn)``
brings the result to the UI's thread (default: at once)."""

from __future__ import annotations

import functools
import glob
import io
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import param

from sim.errors import ScenarioError
from sim.model.distributions import central, support
from sim.model.io import load_scenario, parse_yaml, scenario_from_dict, scenario_to_yaml
from sim.model.scenario import Scenario, set_dotted
from sim.model.summary import by_year
from sim.outputs import usd
from sim.reports.decision import scenario_policy_words

from . import jobs, schema, sweeps
from .cache import is_cached, key_numbers, run_cached
from .schema import ALL_FIELDS, GROWTH, FieldSpec, friendly_name, param_kwargs
from .sweeps import BackgroundWork

POLICY_GROWTH_KEY = {"planned_growth": "planned_growth", "adaptive": "prior_growth"}
POLICY_LABELS = {"Plan for a growth rate": "planned_growth", "Adaptive (learns growth)": "adaptive",
                 "Demand quantile": "demand_quantile", "Fixed schedule": "fixed_schedule"}  # fmt: skip
# the inputs that define the scenario (the path count only sets precision)
INPUTS = ("growth_low", "growth_high", *ALL_FIELDS, "policy_kind", "planned_growth", "quantile",
          "haircut", "plan_to_ceiling", "years", "scenario_name", "scenario_description")  # fmt: skip
URL_PARAMS = (*INPUTS, "scenario_file", "paths", "budget")  # kept in the page's URL
PERCENT_INPUTS = ("budget", "quantile", "haircut",  # shares entered in percent
                  *(n for n, spec in ALL_FIELDS.items() if spec.scale == 0.01))  # fmt: skip
EMBEDDED = "base (embedded default)"
UPLOAD_MAX_BYTES = 1_000_000  # largest YAML file accepted by the upload button [bytes]


def scenario_files(directory: str | Path) -> dict[str, str]:
    """Scenario picker options: display name -> path (``""`` is the embedded default)."""
    paths = sorted(glob.glob(str(Path(directory) / "*.yaml")))
    return {EMBEDDED: "", **{Path(path).stem: path for path in paths}}


def round_floats(data: Any, digits: int = 10) -> Any:
    """Floats rounded to ``digits`` significant digits (3.5000000000000004 -> 3.5)."""
    if isinstance(data, float) and math.isfinite(data) and data != 0:
        return float(f"{data:.{digits}g}")
    if isinstance(data, dict):
        return {k: round_floats(v, digits) for k, v in data.items()}
    return [round_floats(v, digits) for v in data] if isinstance(data, list | tuple) else data


def _num(spec: FieldSpec, value: float, kind: str | None = None, **extra: Any) -> param.Number:
    return param.Number(value, **{**param_kwargs(spec, kind), **extra})


def _immediately(fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
    try:
        out = fn()
    except Exception as exc:
        out = exc
    done(out)


class Explorer(BackgroundWork, param.Parameterized):
    """Sidebar inputs mapped onto Scenario fields, with cached results, tables and files."""

    scenario_file = param.Selector(
        objects=[EMBEDDED], default=EMBEDDED, label="Scenario",
        doc="A shipped scenario (scenarios/*.yaml); every input below starts from its values.")  # fmt: skip
    scenario_name = param.String("base", label="Name (for saving)",
                                 doc="name: the scenario's name in the saved YAML")  # fmt: skip
    scenario_description = param.String("", label="Description (for saving)",
                                        doc="description: one line saved with the YAML")  # fmt: skip
    growth_low = _num(GROWTH, 3.0, label="True growth, low [x/yr]")
    growth_high = _num(GROWTH, 10.0, label="True growth, high [x/yr]")
    for _name, _spec in ALL_FIELDS.items():  # set from the scenario when it is loaded
        locals()[_name] = _num(_spec, _spec.soft[0])
    del _name, _spec
    policy_kind = param.Selector(
        objects=POLICY_LABELS, default="planned_growth", label="Purchase policy",
        doc="policy.kind: how orders are sized at each review (plan for a growth rate, a "
        "quantile of demand, adaptive learning of growth, or a fixed schedule)")  # fmt: skip
    planned_growth = _num(schema.PLANNED, 4.0, "planned_growth")
    quantile = _num(schema.QUANTILE, 50.0, "demand_quantile")
    haircut = _num(schema.HAIRCUT, 0.0, "adaptive")
    plan_to_ceiling = param.Boolean(False, label="Plan bends toward the demand ceiling",
        doc="policy.plan_to_ceiling: "
        + schema.schema_doc("policy.plan_to_ceiling", "planned_growth"))  # fmt: skip
    years = param.Integer(
        6, bounds=tuple(int(b) for b in schema.schema_bounds("simulation.years")[:2]),
        softbounds=(1, 15), step=1, label="Horizon [years]",
        doc="simulation.years: " + schema.schema_doc("simulation.years"))  # fmt: skip
    paths = param.Integer(2000, bounds=(200, 50_000), softbounds=(500, 10_000), step=500,
        label="Paths (interactive)",
        doc="Monte Carlo paths of the shown run; more paths, narrower confidence intervals. "
        "The background tables use the same count up to 4,000 (and fewer for very long "
        "horizons); each states its own.")  # fmt: skip
    budget = param.Number(5.0, bounds=(0.1, 50.0), softbounds=(1.0, 20.0), step=0.5,
        label="Risk budget: P(bankrupt) at most [%]",
        doc="The decision recommends the plan with the highest median revenue whose "
        "P(bankrupt) is within this budget with 95% confidence (its one-sided 95% bound, the "
        "highest risk the simulated worlds are still consistent with, is at most the budget).")  # fmt: skip

    # outputs (not widgets)
    error = param.String("", precedence=-1, doc="message when the inputs are invalid")
    results = param.Parameter(None, precedence=-1, doc="Results of the current scenario")
    numbers = param.Dict({}, precedence=-1, doc="key_numbers of the current results")
    table_numbers = param.Dict({}, precedence=-1, doc="key_numbers at the tables' path count")
    view_data = param.Parameter(None, precedence=-1, doc="chart data of the current results")
    run_seconds = param.Number(0.0, precedence=-1, doc="time of the last update [s]")
    busy = param.Boolean(False, precedence=-1, doc="a run for newer settings is under way")
    tables = param.Dict({}, precedence=-1, doc="table name -> {key, value, paths}")
    analysis_progress = param.Integer(0, bounds=(0, 100), precedence=-1)
    analysis_status = param.String("", precedence=-1)
    pinned = param.Parameter(None, precedence=-1, doc="(label, Results) pinned for compare")
    compare = param.Parameter(None, precedence=-1, doc="compare_results table, or a message")
    ruin_status = param.String("Press 'Find what ruins us' to compute.", precedence=-1)
    ruin_results = param.Dict({}, precedence=-1, doc="discovery of the shown run, or message")

    def __init__(self, scenario: Scenario | None = None, scenarios_dir: str | Path = "scenarios", *,
                 runner: Callable[[Callable[[], Any], Callable[[Any], None]], None] | None = None,
                 dispatch: Callable[[Callable[[], None]], None] | None = None,
                 prepare: Callable[[Any], Any] | None = None, auto_analysis: bool = False,
                 **params: Any) -> None:  # fmt: skip
        super().__init__(**params)
        self.runner = runner or _immediately
        self.dispatch = dispatch or (lambda fn: fn())
        self.prepare = prepare  # results -> chart data (view_data), or None
        self.view_of: Any = None  # the results view_data was prepared from
        self._preparing: Any = None  # the results whose chart data is being prepared
        self.auto_analysis = auto_analysis
        self._files = scenario_files(scenarios_dir)
        self.param.scenario_file.objects = list(self._files)
        self._base: Scenario = scenario or load_scenario()
        self._snapshot: dict[str, Any] = {}
        self._loading = False
        self._lock = threading.Lock()
        self._gen = self._agen = 0  # generations: a job of an older one is dropped
        self._timer: threading.Timer | None = None
        self._specs: dict[str, sweeps.Spec] = {}
        self._ruin_thread: threading.Thread | None = None
        self._ruin_cache: dict[tuple[str, int], dict[str, Any]] = {}
        if is_cached(self._base, int(self.paths)):  # a page with its numbers at once: no
            self.runner = _immediately  # second round trip for a run already in memory
        try:
            self.load(self._base)
        finally:
            self.runner = runner or _immediately

    def close(self) -> None:
        """Stop this session's pending work (the browser tab has closed)."""
        self._gen += 1
        self.stop_analysis()

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
        (lo, hi), pol, kind = support(s.demand.growth), s.policy, s.policy.kind
        values: dict[str, Any] = {"growth_low": lo, "growth_high": hi, "scenario_name": s.name,
                                  "scenario_description": s.description, "policy_kind": kind,
                                  "years": int(s.simulation.years)}  # fmt: skip
        for name, spec in ALL_FIELDS.items():
            node = functools.reduce(getattr, spec.dotted.split("."), s)
            values[name] = spec.soft[1] if node is None else round(central(node) / spec.scale, 10)
        key = POLICY_GROWTH_KEY.get(kind)
        values["planned_growth"] = central(getattr(pol, key)) if key else 4.0
        values["quantile"] = round(100 * central(pol.q), 10) if kind == "demand_quantile" else 50.0
        values["haircut"] = round(100 * central(pol.haircut), 10) if kind == "adaptive" else 0.0
        values["plan_to_ceiling"] = bool(getattr(pol, "plan_to_ceiling", False))
        return values

    def changed(self) -> set[str]:
        """Inputs whose value differs from the loaded scenario's."""
        return {n for n, v in self._snapshot.items() if getattr(self, n) != v}

    def updates(self) -> dict[str, Any]:
        """Dotted-path updates for the inputs changed since the scenario was loaded."""
        changed = self.changed()
        out: dict[str, Any] = {}
        if changed & {"growth_low", "growth_high"}:
            out[GROWTH.dotted] = schema.rescaled_growth(self._base.demand.growth, self.growth_low,
                                                 self.growth_high)  # fmt: skip
        for name, spec in ALL_FIELDS.items():
            if name in changed:
                out[spec.dotted] = round(float(getattr(self, name)) * spec.scale, 12)
        if changed & {"policy_kind", "planned_growth", "quantile", "haircut"}:
            out["policy"] = self._policy_dict()
        elif "plan_to_ceiling" in changed and self.policy_kind in POLICY_GROWTH_KEY:
            out["policy.plan_to_ceiling"] = bool(self.plan_to_ceiling)
        if "years" in changed:
            out["simulation.years"] = int(self.years)
        if "scenario_name" in changed and self.scenario_name.strip():
            out["name"] = self.scenario_name.strip()
        if "scenario_description" in changed:
            out["description"] = self.scenario_description.strip()
        return out

    def _policy_dict(self) -> dict[str, Any]:
        kind = self.policy_kind
        base = self._base.policy.model_dump(by_alias=True, exclude_none=True)
        if kind == base["kind"]:
            pol = dict(base)
        elif kind == "fixed_schedule":
            pol = {"kind": kind, "tranches": []}
        else:
            pol = {"kind": kind, "review_months": base.get("review_months", 12)}
        if kind in POLICY_GROWTH_KEY:
            pol[POLICY_GROWTH_KEY[kind]] = self.planned_growth
            pol["plan_to_ceiling"] = bool(self.plan_to_ceiling)
        else:
            pol.pop("plan_to_ceiling", None)
        if kind == "demand_quantile":
            pol["q"] = round(self.quantile / 100, 12)  # % -> share
        if kind == "adaptive":
            pol["haircut"] = round(self.haircut / 100, 12)
        return pol

    def scenario(self) -> Scenario:
        """The scenario the inputs describe; raises :class:`ScenarioError` if invalid."""
        if not (updates := self.updates()):  # as loaded (already validated)
            return self._base
        data = self._base.model_dump(by_alias=True, exclude_none=True)
        for dotted, value in updates.items():
            set_dotted(data, dotted, value)
        return scenario_from_dict(data, "dashboard settings")

    def describe_error(self, exc: ScenarioError) -> str:
        """Markdown naming each bad field, the widget(s) behind it and what is allowed."""
        labels = {spec.dotted: self.param[n].label for n, spec in ALL_FIELDS.items()}
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

    def policy_words(self) -> str:
        """The current policy in words (as in the decision sentence)."""
        return scenario_policy_words(self.current_scenario())

    @param.depends(*INPUTS, "paths", watch=True)
    def _on_input(self) -> None:
        if not self._loading:
            self.recompute()

    @param.depends("budget", watch=True)
    def _on_budget(self) -> None:
        if not self._loading and self.results is not None:
            self.schedule_analysis()

    @param.depends("scenario_file", watch=True)
    def _on_file(self) -> None:
        if self._loading:
            return
        try:
            scenario = load_scenario(self._files.get(self.scenario_file) or None)
        except ScenarioError as exc:
            self.error = self.describe_error(exc)
            return
        self.load(scenario)

    def recompute(self) -> None:
        """Validate the inputs, run and publish; bad or too heavy settings set ``error``."""
        t0 = time.perf_counter()
        try:
            scenario = self.scenario()
        except ScenarioError as exc:
            self.error = self.describe_error(exc)
            return
        paths = int(self.paths)
        if too_heavy := jobs.cost_error(scenario, paths):
            self.error = too_heavy
            return
        self._gen += 1
        gen = self._gen
        specs = sweeps.specs(scenario, paths, float(self.budget) / 100)  # % -> share
        table_paths = specs["frontier"].paths
        heavy = jobs.path_months(scenario, paths) > jobs.HEAVY_PATH_MONTHS
        self.busy = True

        def job() -> dict[str, Any]:
            if self.runner is not _immediately:
                jobs.set_threads(heavy)
            results = run_cached(scenario, paths)
            numbers = key_numbers(results)
            same = table_paths == paths
            at_table = numbers if same else key_numbers(run_cached(scenario, table_paths))
            return {"results": results, "numbers": numbers, "table_numbers": at_table}

        def done(out: Any) -> None:
            self.dispatch(lambda: self._publish(gen, specs, out, t0))
            if not isinstance(out, BaseException):  # the charts' frames on this worker while
                self._prepare(gen, out["results"])  # the event loop sends the key numbers

        self.runner(job, done)

    def _publish(self, gen: int, specs: dict[str, sweeps.Spec], out: Any, t0: float) -> None:
        if gen != self._gen:
            return  # the user has moved on; a newer run will publish
        if isinstance(out, BaseException):
            self.param.update(busy=False, error=f"The run failed: {type(out).__name__}: {out}")
            return
        self._specs = specs
        tables, missing = self._lookup(specs)
        self.param.update(error="", results=out["results"], numbers=out["numbers"],
                          table_numbers=out["table_numbers"], run_seconds=time.perf_counter() - t0,
                          busy=False, tables=tables)  # fmt: skip
        self._after_lookup(missing)
        self.ensure_view()  # the worker skipped them if their tab opened after it finished

    def ensure_view(self) -> None:
        """Prepare the shown results' chart data in a job, unless it is there or on its way."""
        results, gen = self.results, self._gen
        if self.prepare is None or results is None or results is self.view_of:
            return
        if results is not self._preparing:
            self._preparing = results
            self.runner(lambda: self._prepare(gen, results), lambda _out: None)

    def _prepare(self, gen: int, results: Any) -> None:
        """``prepare(results)`` as ``view_data``, unless newer settings have come in."""
        if self.prepare is None or gen != self._gen:
            return
        self._preparing = results
        try:
            view = self.prepare(results)
        except Exception:  # the charts keep the last frames; the key numbers say the rest
            return
        if gen == self._gen:
            self.dispatch(lambda: self._show_view(results, view))

    def _show_view(self, results: Any, view: Any) -> None:
        self.view_of = results
        self.view_data = view

    def current_scenario(self) -> Scenario:
        """The scenario of the shown results (the last valid settings)."""
        return self.results.scenario if self.results is not None else self._base

    @param.depends("results", "pinned", watch=True)
    def _on_results_compare(self) -> None:
        self.update_compare()

    def scenario_yaml(self) -> str:
        """YAML of the current settings with the loaded path count; edits are named in the name
        and description (unless those were edited too)."""
        s = self.current_scenario().replace(**{"simulation.paths": self._base.simulation.paths})
        data = s.model_dump(by_alias=True, exclude_none=True, mode="json")
        changed = self.changed() - {"scenario_name", "scenario_description"}
        if changed and "scenario_name" not in self.changed():
            data["name"] = f"{self._base.name} (edited)"[:200]
        if changed and "scenario_description" not in self.changed():
            edits = "; ".join(self.change_words())
            data["description"] = (f"{self._base.description} Changed in the dashboard: "
                                   f"{edits}.").strip()  # fmt: skip
        text = scenario_to_yaml(scenario_from_dict(round_floats(data), "dashboard settings"))
        return "# Saved from the compute-sim dashboard.\n" + text

    def change_words(self) -> list[str]:
        """The changed inputs in words, e.g. 'Initial cash $40B', 'policy: planned growth 5x/yr'."""
        changed, out = self.changed(), []
        if changed & {"growth_low", "growth_high"}:
            out.append(f"true growth {self.growth_low:g}-{self.growth_high:g}x/yr")
        for name, spec in ALL_FIELDS.items():
            if name in changed:
                v = float(getattr(self, name))  # in display units
                shown = usd(v * spec.scale) if spec.scale >= 1e9 else f"{v:g}"
                out.append(f"{friendly_name(spec.dotted)} {shown}{'%' * (spec.scale == 0.01)}")
        if changed & {"policy_kind", "planned_growth", "quantile", "haircut", "plan_to_ceiling"}:
            out.append(f"policy: {self.policy_words()}")
        if "years" in changed:
            out.append(f"horizon {self.years} years")
        return out

    def by_year_csv(self) -> io.StringIO:
        """Per-year table of the current results as CSV."""
        return io.StringIO(by_year(self.results).to_csv(index=False))

    def load_yaml(self, data: bytes | str, filename: str = "upload.yaml") -> bool:
        """Load an uploaded scenario file; False with ``error`` set when it is not valid."""
        if isinstance(data, bytes):
            if len(data) > UPLOAD_MAX_BYTES:
                self.error = (f"**{filename}** is {len(data):,} bytes; the dashboard accepts "
                              f"scenario files up to {UPLOAD_MAX_BYTES:,} bytes.")  # fmt: skip
                return False
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError:
                self.error = f"**{filename}** is not UTF-8 text."
                return False
        try:
            scenario = scenario_from_dict(parse_yaml(data, filename), filename)
        except ScenarioError as exc:
            self.error = f"**{filename} is not a valid scenario:**\n" + "\n".join(
                f"- `{f or 'file'}`: {m[:300]}" for f, m in exc.problems[:10])  # fmt: skip
            return False
        self.error = ""
        self.load(scenario)
        return True


__all__ = ["EMBEDDED", "Explorer", "key_numbers", "run_cached"]
