"""Speed figures (deselected by default; run `pytest -m benchmark -s` or `python -m sim bench`)."""

from __future__ import annotations

import pytest

from sim import run
from sim.analysis.bench import kernel_seconds


@pytest.mark.benchmark
def test_base_10k_paths(benchmark, base):
    res = benchmark.pedantic(run, args=(base,), rounds=5, warmup_rounds=1)
    mean_s = benchmark.stats.stats.mean
    path_months = res.paths * res.total_months  # run-off months included
    kernel = kernel_seconds(base)
    benchmark.extra_info.update(path_months_per_s=path_months / mean_s,
                                kernel_path_months_per_s=path_months / kernel)  # fmt: skip
    print(f"\nbase: {path_months / mean_s:,.0f} path-months/s ({mean_s:.3f} s/run); "
          f"kernel only {path_months / kernel:,.0f} path-months/s")  # fmt: skip
    assert res.paths == 10_000
