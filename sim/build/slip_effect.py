"""Effect of build-out slip on risk: the same scenario and draws with the pipeline off and on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.engine import run, slip_table
from sim.model.scenario import Scenario
from sim.model.summary import wilson_interval

from .spec import BuildSpec

__all__ = ["slip_effect"]


def slip_effect(
    scenario: Scenario, paths: int, seed: int, build: BuildSpec | None = None
) -> pd.DataFrame:
    """Compare bankruptcy risk and unserved demand without and with build slip.

    Both runs use the same seed, hence the same demand, parameter and slip uniforms (common
    random numbers); only ``compute.build`` differs.

    Parameters
    ----------
    scenario : Scenario
        Scenario to study; its ``compute.build`` is used unless ``build`` is given, and
        :class:`BuildSpec` defaults if neither is set.
    paths : int
        Monte Carlo paths per run.
    seed : int
        Root seed of both runs.
    build : BuildSpec, optional
        Pipeline to switch on.

    Returns
    -------
    pandas.DataFrame
        Index ``["off", "on"]``; columns ``p_bankrupt`` [-] with Wilson 95% bounds
        ``p_bankrupt_lo``/``p_bankrupt_hi``, ``bankrupt_only_here`` (share of paths bankrupt
        in this run but not the other) [-], ``unserved_share`` (unserved / potential demand
        over all paths and months) [-], ``cum_revenue_p50`` [USD], ``mean_capacity_gw`` [GW]
        (mean over paths of yearly means) and ``mean_slip_months`` (of the whole-month slip a new
        contract draws) [months].
    """
    spec = build or scenario.compute.build or BuildSpec()
    base = scenario.replace(**{"simulation.paths": paths, "simulation.seed": seed})
    cases = {
        "off": base.replace(**{"compute.build": None}),
        "on": base.replace(**{"compute.build": spec.model_dump(exclude_none=True)}),
    }
    res = {name: run(s, monthly_paths=0) for name, s in cases.items()}
    broke = {name: r.bankrupt for name, r in res.items()}
    rows = {}
    for name, r in res.items():
        other = broke["on" if name == "off" else "off"]
        k = int(broke[name].sum())
        lo, hi = wilson_interval(k, r.paths)
        table = slip_table(cases[name])
        gw_mean = r.yearly["capacity_gw_mean"]
        rows[name] = {
            "p_bankrupt": k / r.paths,
            "p_bankrupt_lo": lo,
            "p_bankrupt_hi": hi,
            "bankrupt_only_here": float((broke[name] & ~other).mean()),
            "unserved_share": float(r.path["cum_unserved"].sum() / r.path["cum_demand"].sum()),
            "cum_revenue_p50": float(np.median(r.path["cum_revenue"])),
            "mean_capacity_gw": float(gw_mean.mean()),
            "mean_slip_months": 0.0 if table is None else float(np.ceil(table - 1e-9).mean()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")
