"""The jitted engine: thread-count independence, spilling to disk, numba's normal draws."""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd
import pytest

from sim import run, summarize
from sim.model.kernel.draws import fill_normals, fill_year_normals
from sim.model.rng import generator_state
from sim.model.sampling import ndtr, ndtri


def _same(a, b) -> None:
    sa, sb = summarize(a), summarize(b)
    sa.pop("elapsed_s"), sb.pop("elapsed_s")
    assert sa == sb
    for k in a.path:
        np.testing.assert_array_equal(np.asarray(a.path[k]), np.asarray(b.path[k]), err_msg=k)


def test_results_do_not_depend_on_the_number_of_threads(base):
    """One thread (kernel in the caller) vs the pool of block threads: bit-identical."""
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run(base, paths=9000, seed=11)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = run(base, paths=9000, seed=11)
    finally:
        numba.set_num_threads(before)
    _same(one, many)
    for k in one.monthly:
        np.testing.assert_array_equal(one.monthly[k], many.monthly[k], err_msg=k)


def test_spilled_run_equals_in_memory_run(base, tmp_path):
    """Large runs stream per-path outputs to disk; every number and file is the same."""
    mem = run(base, paths=6000, seed=3, spill=False)
    disk = run(base, paths=6000, seed=3, spill=True)
    assert mem.spill_dir is None
    assert disk.spill_dir is not None
    assert disk.spill_dir.is_dir()
    _same(mem, disk)
    for fmt in ("parquet", "csv"):
        mem.write_paths(tmp_path / f"m.{fmt}", fmt)
        disk.write_paths(tmp_path / f"d.{fmt}", fmt)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "m.parquet"),
                                  pd.read_parquet(tmp_path / "d.parquet"))  # fmt: skip
    # (pandas writes 0.0 where pyarrow writes 0: same values, read back as float vs int)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "m.csv"), pd.read_csv(tmp_path / "d.csv"),
                                  check_dtype=False)  # fmt: skip
    mem.write_yearly(tmp_path / "my.parquet")
    disk.write_yearly(tmp_path / "dy.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "my.parquet"),
                                  pd.read_parquet(tmp_path / "dy.parquet"), check_dtype=False)  # fmt: skip
    # plain encoding (store.PARQUET_OPTIONS), the same table as in memory
    import pyarrow.parquet as pq

    for name in ("m.parquet", "d.parquet", "my.parquet", "dy.parquet"):
        meta = pq.ParquetFile(tmp_path / name).metadata
        encodings = {e for g in range(meta.num_row_groups) for c in range(meta.num_columns)
                     for e in meta.row_group(g).column(c).encodings}  # fmt: skip
        assert "PLAIN" in encodings, name
        assert not {"PLAIN_DICTIONARY", "RLE_DICTIONARY"} & encodings, name
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "m.parquet"), mem.path_frame(),
                                  check_dtype=False)  # fmt: skip
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "my.parquet"), mem.yearly_frame(),
                                  check_dtype=False)  # fmt: skip
    spill = disk.spill_dir
    del disk
    import gc

    gc.collect()
    assert not spill.exists()  # the scratch files go with the Results


def test_paths_frame_carries_every_draw(base):
    res = run(base, paths=300)
    frame = res.path_frame()
    assert frame["path"].tolist() == list(range(300))
    for name in ("demand.initial_revenue", "economics.gross_margin", "finance.max_raise_per_year",
                 "compute.lead_time_months"):  # fmt: skip
        assert name in frame.columns
    assert frame["economics.gross_margin"].nunique() > 100  # drawn per path


@pytest.mark.parametrize("shape", [(7, 12), (4096, 12)])
def test_numba_normals_are_numpys(shape):
    """The kernels repeat Generator.standard_normal's algorithm on its PCG64 state: same
    numbers, and the state is left where numpy leaves it (the second fill goes on from it)."""
    a, b = generator_state(np.random.default_rng(42)), np.random.default_rng(42)
    out = np.empty(shape)
    fill_year_normals(a.reshape(1, 4), out)  # one year's stream (a view: a advances)
    np.testing.assert_array_equal(out, b.standard_normal(shape))
    flat = np.empty(1000)
    fill_normals(a, flat)
    np.testing.assert_array_equal(flat, b.standard_normal(1000))
    assert a.tolist() == generator_state(b).tolist()


def test_ndtr_kernel_is_scipys_bit_for_bit():
    """The numba normal CDF (which spares a run importing scipy.special) repeats cephes'
    operations in order with libm's exp: every bit equals scipy's, on normals of several
    scales, the far tails, both sides of each branch point (|x| = 1 and 8 after scaling by
    1/sqrt 2, exp underflow) and the special values; layouts and shapes are kept."""
    from scipy.special import ndtr as scipy_ndtr

    rng = np.random.default_rng(3)
    edges = np.array([0.0, -0.0, 1e-300, 5e-324, np.sqrt(2), 8 * np.sqrt(2), 37.5, 38.5,
                      39.0, 1e300, np.inf, 0.5, 1.0, 3.0])  # fmt: skip
    edges = np.concatenate([edges, -edges])
    edges = np.concatenate([edges, np.nextafter(edges, np.inf), np.nextafter(edges, -np.inf)])
    x = np.concatenate([rng.standard_normal(200_000) * s for s in (0.3, 1.0, 3.0, 12.0)]
                       + [rng.uniform(-45, 45, 200_000), edges, [np.nan]])  # fmt: skip
    with np.errstate(all="ignore"):
        mine, theirs = ndtr(x), scipy_ndtr(x)
    assert mine.view(np.int64)[:-1].tolist() == theirs.view(np.int64)[:-1].tolist()
    assert np.isnan(mine[-1])
    grid = np.asfortranarray(rng.standard_normal((50, 7)))  # sampling's z is F-ordered
    out = ndtr(grid)
    assert out.flags.f_contiguous
    assert out.shape == grid.shape
    np.testing.assert_array_equal(out, scipy_ndtr(grid))
    np.testing.assert_array_equal(ndtr(grid[::2, 1:4]), scipy_ndtr(grid[::2, 1:4]))


def test_ndtri_kernel_is_scipys_bit_for_bit():
    """Likewise the inverse normal CDF: uniforms at several scales of each tail, the branch
    points (exp(-2), 1 - exp(-2), the second tail piece below exp(-32)), 0, 1 and outside."""
    from scipy.special import ndtri as scipy_ndtri

    rng = np.random.default_rng(4)
    u = rng.random(400_000)
    edges = np.array([0.0, 1.0, 0.5, 0.13533528323661269189, 1 - 0.13533528323661269189,
                      np.exp(-32.0), 1e-16, 5e-324, 1e-300, 0.5 - 1e-17])  # fmt: skip
    edges = np.concatenate([edges, np.nextafter(edges, 2.0), np.nextafter(edges, -1.0)])
    p = np.concatenate([u, u * 1e-6, u * 1e-20, 1 - u * 1e-9, 10.0 ** -rng.uniform(0, 300, 50_000),
                        edges, [np.nan]])  # fmt: skip
    with np.errstate(all="ignore"):
        mine, theirs = ndtri(p), scipy_ndtri(p)
    assert mine.view(np.int64)[:-1].tolist() == theirs.view(np.int64)[:-1].tolist()
    assert np.isnan(mine[-1])  # a NaN's payload bits are not part of the contract


def test_one_block_split_over_threads_is_identical(base, monkeypatch):
    """A run of one block splits its paths over threads (:mod:`sim.model.workers`, pieces
    taken in turn): any number of threads gives the numbers of one thread, bit for bit."""
    from sim.model import workers

    monkeypatch.setattr(workers, "threads", lambda: 1)
    one = run(base, paths=3000, seed=7)
    monkeypatch.setattr(workers, "threads", lambda: 3)  # 11 pieces of ~270 paths
    split = run(base, paths=3000, seed=7)
    _same(one, split)
    for k in one.monthly:
        np.testing.assert_array_equal(one.monthly[k], split.monthly[k], err_msg=k)


@pytest.mark.parametrize("n", [0, 1, 511, 512, 4096, 5000])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_over_paths_covers_every_path_once(monkeypatch, n, threads):
    from sim.model import workers

    monkeypatch.setattr(workers, "threads", lambda: threads)
    seen = np.zeros(n, dtype=int)
    lock = __import__("threading").Lock()

    def call(first: int, last: int) -> None:
        with lock:
            seen[first:last] += 1

    workers.over_paths(call, n)
    assert (seen == 1).all()


def _fresh_process(code: str) -> list[str]:
    """What a fresh interpreter running ``code`` from the checkout prints, split in words."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, check=True)  # fmt: skip
    return out.stdout.split()


_RUN_DIGEST = (
    "import hashlib, sys, numpy as np; from sim import run, load_scenario\n"
    "r = run(load_scenario(), paths=300)\n"
    "digest = hashlib.sha256(b''.join(np.ascontiguousarray(m[k]).tobytes()\n"
    "    for m in (r.path, r.yearly) for k in sorted(m)))\n"
)


def test_cached_kernels_load_without_the_compiler_refresh_and_compiling_still_works():
    """With the kernels in numba's cache, a fresh process loads them without numba's
    compiler refresh (sim.model.jit: none of numba's numpy implementation modules is
    imported), gets the same numbers as a process that loads them the full way, and can
    still compile a new jitted function (a cache miss refreshes as usual), BLAS included."""
    _fresh_process(_RUN_DIGEST + "print(digest.hexdigest())")  # fills the cache if cold
    light = _fresh_process(
        _RUN_DIGEST + "loaded_light = 'numba.np.arraymath' not in sys.modules\n"
        "from numba import njit\n"
        "dot = njit(lambda a, b: np.dot(a, b))\n"
        "print(digest.hexdigest(), loaded_light, dot(np.ones((2, 3)), np.ones((3, 2)))[0, 0])\n"
    )
    full = _fresh_process(
        "import numba.core.caching as c; full = c.Cache.load_overload\n"
        "import sim.model.jit as j; j._light_cache_loads = lambda: None\n"
        + _RUN_DIGEST
        + "print(digest.hexdigest(), c.Cache.load_overload is full)\n"
    )
    assert light[1:] == ["True", "3.0"]
    assert full[1] == "True"  # the control really loaded the full way
    assert light[0] == full[0]


def test_first_compile_skips_the_blas_probe_and_blas_still_works():
    """The first compile of a process (numba's refresh) does not import scipy.linalg
    (numba's BLAS probe, 0.1-0.2 s, is deferred: sim.model.jit); jitted BLAS code
    compiled later still works."""
    out = _fresh_process(
        "import sys, numpy as np; from numba import njit; from sim.model.jit import prepare\n"
        "prepare()\n"
        "inc = njit(lambda x: x + 1)\n"
        "inc(1)\n"
        "refreshed = 'numba.np.arraymath' in sys.modules\n"
        "before = 'scipy.linalg' in sys.modules\n"
        "import numba.np.arraymath as am\n"
        "dot = njit(lambda a, b: np.dot(a, b))\n"
        "print(refreshed, before, am._HAVE_BLAS, dot(np.ones((2, 3)), np.ones((3, 2)))[0, 0])\n"
    )
    assert out == ["True", "False", "True", "3.0"]


def test_aggregates_written_in_place_equal_copied_blocks_and_one_loop_variant():
    """A multi-block run's kernels write the yearly and run-off aggregates straight into the
    run's arrays (Accumulator.write_in_place); a map_blocks run copies each block's own
    arrays as before: the same bits. Every way of running (in place, per block, one block,
    outcomes only, lever variants, the bench's kernel passes) uses the one compiled variant
    of the month loop (aggregate_arrays: always strided)."""
    out = _fresh_process(
        "import numpy as np; from sim import run, load_scenario\n"
        "from sim.model.kernel import paths\n"
        "from sim.model.variants import run_levers\n"
        "from sim.analysis.bench import kernel_seconds\n"
        "s = load_scenario('scenarios/lone_lab.yaml').replace(**{'simulation.paths': 9000})\n"
        "a = run(s)\n"
        "b = run(s, map_blocks=lambda f, tasks: [f(*t) for t in tasks])\n"
        "same = all(np.array_equal(x[k], y[k], equal_nan=True) and x[k].dtype == y[k].dtype\n"
        "           for x, y in ((a.yearly, b.yearly), (a.runoff_yearly, b.runoff_yearly),\n"
        "                        (a.path, b.path)) for k in x) and a.yearly.keys() == b.yearly.keys()\n"
        "shared = a.yearly['revenue'].base is a.yearly['compute_cost'].base is not None\n"
        "run(s, paths=300); run(s, outcomes_only=True)\n"
        "run_levers([s.replace(**{'simulation.paths': 500}), s.replace(**{'simulation.paths': 500, 'policy.planned_growth': 2.5})])\n"
        "kernel_seconds(s, repeat=1)\n"
        "print(same, shared, len(a.yearly['revenue']), len(paths.simulate_paths.signatures))\n"
    )
    assert out == ["True", "True", "9000", "1"]


def test_runs_that_share_draws_use_the_same_compiled_kernels(tmp_path):
    """Inside shared_draws (sweeps, the reports' plan search) the draws and demand shared
    between runs are read-only arrays, a type of their own to numba: every kernel input is
    passed read-only (workers.read_only), so a plain run, a second run reusing the shared
    arrays, a sweep and the reports' decision all call the one variant of the month loop and
    of the demand kernel that the warm-up compiles. So do runs without run-off years (the
    candidates of an update), whose empty run-off aggregates numpy flags contiguous."""
    out = str(tmp_path / "update")
    printed = _fresh_process(
        "from sim import run, load_scenario\n"
        "from sim.model.kernel import demand, paths\n"
        "from sim.model import sampling\n"
        "from sim.analysis.sweep import run_sweep\n"
        "from sim.reports.decision import report_decision\n"
        "s = load_scenario('scenarios/lone_lab.yaml').replace(**{'simulation.paths': 600})\n"
        "r = run(s, monthly_paths=100)\n"
        "with sampling.shared_draws():\n"
        "    run(s); run(s.replace(**{'policy.planned_growth': 2.0}))\n"
        "    kept = [x for v in sampling._shared.items.values()\n"
        "            for x in (v.arrays() if hasattr(v, 'arrays') else [v])]\n"
        "    shared = any(hasattr(x, 'flags') and not x.flags.writeable for x in kept)\n"
        "run_sweep(s, [{'policy.planned_growth': g} for g in (1.5, 3.0)], paths=300)\n"
        "report_decision(r)\n"
        "from sim.cli import main\n"  # actuals: candidate runs without run-off years
        f"code = main(['update', 'scenarios/backtest_2023.yaml', '--paths', '200',\n"
        f"             '--out', {out!r}, '--quiet'])\n"
        "print(shared, code, len(paths.simulate_paths.signatures),\n"
        "      len(demand.potential_demand_block.signatures))\n"
    )
    assert printed == ["True", "0", "1", "1"]
