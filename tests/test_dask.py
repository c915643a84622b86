"""Scale-out: dask runs give exactly the serial numbers; clusters are always closed."""

from __future__ import annotations

import os

import dask
import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, run
from sim.analysis.parallel import (
    TRIM_VAR,
    WORKER_MALLOC_ENV,
    configure_dask,
    dask_map_blocks,
    local_client,
)
from sim.analysis.sweep import grid, run_sweep


@pytest.fixture(scope="module")
def base():
    return load_scenario()


@pytest.fixture(scope="module")
def threads_client():
    with local_client(2, processes=False) as client:
        yield client


def test_sweep_on_dask_equals_serial(base, threads_client):
    cells = grid({"policy.planned_growth": [2.0, 4.0, 8.0], "demand.growth": [3.0, 6.0]})
    cells.append({"policy.kind": "adaptive", "policy.haircut": 0.2})
    serial = run_sweep(base, cells, paths=600)
    calls = []
    par = run_sweep(base, cells, paths=600, client=threads_client,
                    progress=lambda d, t: calls.append((d, t)))  # fmt: skip
    pd.testing.assert_frame_equal(serial, par, check_exact=True)
    assert calls[-1] == (len(cells), len(cells))


def test_engine_blocks_on_dask_equal_serial(base, threads_client):
    # 9,000 paths = 3 blocks of up to 4,096 paths, run as separate dask tasks.
    serial = run(base, paths=9000, monthly_paths=100)
    par = run(base, paths=9000, monthly_paths=100, map_blocks=dask_map_blocks(threads_client))
    for key, arr in serial.path.items():
        np.testing.assert_array_equal(arr, par.path[key], err_msg=key)
    for key, arr in serial.monthly.items():
        np.testing.assert_array_equal(arr, par.monthly[key], err_msg=key)


def test_configure_dask_replaces_malloc_trim():
    with dask.config.set({"distributed.nanny.pre-spawn-environ": {TRIM_VAR: 65536, "X": 1}}):
        configure_dask()
        env = dask.config.get("distributed.nanny.pre-spawn-environ")
        assert env[TRIM_VAR] == WORKER_MALLOC_ENV[TRIM_VAR] != "65536"
        assert env["X"] == 1  # other settings kept


def test_configure_dask_undoes_a_leaked_nanny_setting(monkeypatch):
    # A nanny started with dask's defaults copies MALLOC_TRIM_THRESHOLD_=65536 into this
    # process's os.environ; later workers would inherit it unless it is removed.
    monkeypatch.setenv(TRIM_VAR, "65536")
    with dask.config.set({"distributed.nanny.pre-spawn-environ": {TRIM_VAR: 65536}}):
        configure_dask()
    assert TRIM_VAR not in os.environ
    monkeypatch.setenv(TRIM_VAR, "131072")  # a user's own choice is left alone
    with dask.config.set({"distributed.nanny.pre-spawn-environ": {TRIM_VAR: 65536}}):
        configure_dask()
    assert os.environ[TRIM_VAR] == "131072"


def test_process_workers_without_trim_and_identical(base):
    """Two real worker processes: glibc settings of WORKER_MALLOC_ENV, not dask's 64 kB
    trim threshold, and the same numbers as the serial run."""
    cells = grid({"policy.planned_growth": [3.0, 5.0]})
    with local_client(2, processes=True) as client:
        envs = client.run(lambda: {k: os.environ.get(k) for k in WORKER_MALLOC_ENV})
        assert len(envs) == 2
        assert all(v == WORKER_MALLOC_ENV for v in envs.values())
        par = run_sweep(base, cells, paths=500, client=client)
    pd.testing.assert_frame_equal(run_sweep(base, cells, paths=500), par, check_exact=True)


def test_cli_sweep_on_scheduler_address_matches_serial(threads_client, tmp_path):
    from sim.cli import main as cli_main

    f = tmp_path / "s.yaml"
    f.write_text("name: s\npaths: 300\naxes: {policy.planned_growth: [2, 4, 8]}\n")
    addr = threads_client.scheduler.address
    assert (
        cli_main(["sweep", str(f), "--scheduler", addr, "--out", str(tmp_path / "d"), "--quiet"])
        == 0
    )
    assert cli_main(["sweep", str(f), "--out", str(tmp_path / "s"), "--quiet"]) == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "d" / "sweep.parquet"),
        pd.read_parquet(tmp_path / "s" / "sweep.parquet"),
        check_exact=True,
    )


def test_sweep_on_local_worker_processes_equals_serial(base):
    """--workers N: spawned worker processes, one kernel thread each, chunks sharing draws."""
    from sim.analysis.parallel import LocalPool, client_for

    cells = grid({"policy.planned_growth": [2.0, 4.0, 8.0], "demand.growth": [3.0, 6.0]})
    serial = run_sweep(base, cells, paths=600)
    with client_for(workers=2) as pool:
        assert isinstance(pool, LocalPool)
        parallel = run_sweep(base, cells, paths=600, client=pool)
    pd.testing.assert_frame_equal(serial, parallel)


def test_voi_and_signpost_runs_on_dask_equal_serial(base, threads_client):
    from sim.analysis.discover import path_outcomes
    from sim.analysis.parallel import map_tasks
    from sim.analysis.voi import value_of_information

    cands = {"policy.planned_growth": [2.0, 4.0, 8.0]}
    serial = value_of_information(base, paths=800, candidates=cands, wait_months=6)
    par = value_of_information(base, paths=800, candidates=cands, wait_months=6,
                               client=threads_client)  # fmt: skip
    assert par.evpi == serial.evpi
    assert par.wait["value_of_waiting"] == serial.wait["value_of_waiting"]
    variants = [base.replace(**{"simulation.paths": 500, "policy.signpost":
                                {"by": "2027-07", "min_growth": g}}) for g in (2.0, 4.0)]  # fmt: skip
    calls = []
    a = map_tasks(path_outcomes, variants)
    b = map_tasks(path_outcomes, variants, client=threads_client,
                  progress=lambda d, t: calls.append((d, t)))  # fmt: skip
    for x, y in zip(a, b, strict=True):
        for k in x:
            np.testing.assert_array_equal(x[k], y[k], err_msg=k)
    assert calls[-1] == (2, 2)
