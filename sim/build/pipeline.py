"""SimPy model of one firm's build-out pipeline (see :mod:`sim.build` for the parameters).

Time unit of the SimPy clock: **months**. Projects queue FIFO for a shared
``interconnect_slots`` resource during site & power, then for ``build_slots`` during
construction; monitoring appends one record per project, turned into a DataFrame at the end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import simpy
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from .spec import BuildSpec

__all__ = ["simulate_pipeline"]


class _Pipeline:
    """Shared resources of one firm's build-out, with per-project monitoring lists."""

    def __init__(self, env: simpy.Environment, spec: BuildSpec) -> None:
        self.env = env
        self.interconnect = simpy.Resource(env, capacity=spec.interconnect_slots)
        self.build = simpy.Resource(env, capacity=spec.build_slots)
        self.records: list[dict[str, float]] = []


def _project(
    env: simpy.Environment, pipe: _Pipeline, rec: dict[str, float], site: float, build: float
):
    """Process: released at its order month, a project queues for and runs site & power,
    then construction. Started at time 0, so ``timeout(order_month)`` lands exactly on it."""
    yield env.timeout(rec["order_month"])
    with pipe.interconnect.request() as req:
        yield req
        rec["site_start"] = env.now
        yield env.timeout(site)
        rec["site_end"] = env.now
    with pipe.build.request() as req:
        yield req
        rec["build_start"] = env.now
        yield env.timeout(build)
        rec["build_end"] = env.now


def simulate_pipeline(
    spec: BuildSpec,
    order_months: ArrayLike,
    order_gw: ArrayLike,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Run one SimPy replication of the build-out of a stream of orders.

    Parameters
    ----------
    spec : BuildSpec
        Pipeline parameters.
    order_months : array_like
        Month each order is placed [months], >= 0.
    order_gw : array_like
        Size of each order [GW], > 0; split into ``spec.n_projects(gw)`` equal projects.
    rng : numpy.random.Generator
        Source of the stage durations (all drawn before the simulation runs).

    Returns
    -------
    pandas.DataFrame
        One row per project, in release order: ``order``, ``gw`` [GW], ``order_month``,
        ``site_start``, ``site_end``, ``build_start``, ``build_end`` (= actual online) [months],
        ``site_wait``, ``build_wait`` (queue waits) [months], ``build_months`` (order to actual
        online) [months], ``online_month`` (not before order + planned) [months] and
        ``slip_months`` [months].

    Examples
    --------
    >>> from sim.build import BuildSpec, StageDuration
    >>> fixed = StageDuration(dist="fixed", value=6)
    >>> spec = BuildSpec(site_power_months=StageDuration(value=0), construction_months=fixed,
    ...                  build_slots=1, planned_months=6)
    >>> simulate_pipeline(spec, [0, 0, 0], [1, 1, 1], np.random.default_rng(0))["slip_months"].tolist()
    [0.0, 6.0, 12.0]
    """
    months = np.asarray(order_months, dtype=float).reshape(-1)
    gws = np.asarray(order_gw, dtype=float).reshape(-1)
    if months.shape != gws.shape:
        raise ValueError(f"order_months and order_gw differ in length: {months.size} vs {gws.size}")
    if np.any(~np.isfinite(months)) or np.any(months < 0):
        raise ValueError("order_months must be finite and >= 0 [months]")
    if np.any(~np.isfinite(gws)) or np.any(gws <= 0):
        raise ValueError("order_gw must be finite and > 0 [GW]")
    order_idx = np.argsort(months, kind="stable")
    counts = np.array([spec.n_projects(g) for g in gws[order_idx]], dtype=int)
    proj_order = np.repeat(order_idx, counts)
    n = int(counts.sum())
    site = spec.site_power_months.sample(rng, n)
    build = spec.construction_months.sample(rng, n)

    env = simpy.Environment()
    pipe = _Pipeline(env, spec)
    projects = list(zip(months[proj_order].tolist(), site.tolist(), build.tolist(), strict=True))
    for i, (month, site_i, build_i) in enumerate(projects):  # ties released in this order
        rec = {"project": i, "order_month": month}
        pipe.records.append(rec)
        env.process(_project(env, pipe, rec, site_i, build_i))
    env.run()

    df = pd.DataFrame.from_records(pipe.records, index="project").sort_index()
    df.insert(0, "order", proj_order)
    df.insert(1, "gw", gws[proj_order] / counts.repeat(counts))
    df["site_wait"] = df["site_start"] - df["order_month"]
    df["build_wait"] = df["build_start"] - df["site_end"]
    df["build_months"] = df["build_end"] - df["order_month"]
    df["slip_months"] = np.maximum(df["build_months"] - spec.planned_months, 0.0)
    df["online_month"] = df["order_month"] + spec.planned_months + df["slip_months"]
    return df
