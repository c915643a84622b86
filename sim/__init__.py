"""compute-sim: Monte Carlo simulator for buying datacenter compute ahead of uncertain demand.

Public API (data flows one way: scenario file -> Scenario -> sampled inputs -> engine ->
Results -> summaries/reports)::

    from sim import load_scenario, run, summarize
    res = run(load_scenario("scenarios/base.yaml"), paths=2000)
    summarize(res)["p_bankrupt"]

Layout (imports point down only)::

    sim.model     scenario, io, distributions, rng, timeline, sampling, pilot, demand,
                  policies, kernel (JIT; jit, warmup, workers: loading, compiling ahead,
                  threads), engine, results, summary
    sim.build     build-pipeline spec, SimPy pipeline and slips, SimPy reference model
    sim.analysis  sweep, sweep_spec, frontier, optimize, sensitivity, flexibility, compare,
                  parallel, bench, discover (scenario discovery), voi (value of information)
    sim.reports   HTML / Markdown reports;  sim.cli  one thin file per command

Modules used to sit side by side as ``sim.<name>`` (``sim.engine``, ``sim.sweep``, ...);
those names still import (see :data:`_MOVED`).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

__version__ = "0.2.0"

_MOVED = {
    **{f"sim.{m}": f"sim.model.{m}" for m in (
        "scenario", "io", "distributions", "rng", "timeline", "sampling", "pilot", "demand",
        "policies", "engine", "results", "summary",
    )},
    **{f"sim.{m}": f"sim.analysis.{m}" for m in (
        "sweep", "sweep_spec", "frontier", "optimize", "sensitivity", "flexibility", "compare",
        "parallel", "bench",
    )},
    "sim.build_queue": "sim.build.pipeline",
    "sim.reference": "sim.build.reference",
    "sim.slip_effect": "sim.build.slip_effect",
}  # fmt: skip
"""Old module path -> new one: both names give the same module object."""


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolve the old flat module names to the modules' new homes (same object)."""

    def find_spec(self, name, path=None, target=None):  # type: ignore[no-untyped-def]
        if name in _MOVED:
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):  # type: ignore[no-untyped-def]
        return importlib.import_module(_MOVED[spec.name])

    def exec_module(self, module):  # type: ignore[no-untyped-def]
        sys.modules[module.__spec__.name] = module  # the alias is the real module


if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
    sys.meta_path.append(_MovedFinder())

_PUBLIC = {
    "run": "sim.model.engine",
    "simulate_block": "sim.model.engine",
    "ScenarioError": "sim.errors",
    "load_scenario": "sim.model.io",
    "scenario_from_dict": "sim.model.io",
    "scenario_to_yaml": "sim.model.io",
    "Results": "sim.model.results",
    "sample_inputs": "sim.model.sampling",
    "Scenario": "sim.model.scenario",
    "by_year": "sim.model.summary",
    "summarize": "sim.model.summary",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):  # lazy: `import sim` (e.g. for --help) loads no numpy/pandas
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
