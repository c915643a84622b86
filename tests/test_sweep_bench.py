"""Benchmark of a 20 x 20 grid x 2,000 paths sweep (deselected by default).

Run with ``python -m pytest -m benchmark tests/test_sweep_bench.py -s`` or
``python -m sim bench-sweep``.
"""

from __future__ import annotations

import pytest

from sim import load_scenario
from sim.cli.cmd_bench_sweep import bench_sweep


@pytest.mark.benchmark
def test_bench_sweep_20x20(benchmark):
    scenario = load_scenario()
    result = benchmark.pedantic(bench_sweep, args=(scenario, 20, 2000), rounds=1, iterations=1)
    benchmark.extra_info.update({k: result[k] for k in ("wall_s", "cpu_s", "cores_busy")})
    print(f"\n{result['cells_per_s']:.1f} cells/s, {result['path_months_per_s']:.3g} path-months/s, "
          f"{result['cores_busy']:.2f} cores busy")  # fmt: skip
    assert result["cells"] == 400
