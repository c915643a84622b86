"""compute-sim: Monte Carlo simulator for buying datacenter compute ahead of uncertain demand.

Public API (data flows one way: scenario file -> Scenario -> sampled inputs -> engine ->
Results -> summaries/reports)::

    from sim import load_scenario, run, summarize
    res = run(load_scenario("scenarios/base.yaml"), paths=2000)
    summarize(res)["p_bankrupt"]
"""

from .engine import run, simulate_block
from .errors import ScenarioError
from .io import load_scenario, scenario_from_dict, scenario_to_yaml
from .results import Results
from .sampling import sample_inputs
from .scenario import Scenario
from .summary import by_year, summarize

__all__ = [
    "Results",
    "Scenario",
    "ScenarioError",
    "by_year",
    "load_scenario",
    "run",
    "sample_inputs",
    "scenario_from_dict",
    "scenario_to_yaml",
    "simulate_block",
    "summarize",
]
__version__ = "0.1.0"
