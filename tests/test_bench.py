"""Speed figures (deselected by default; run `pytest -m benchmark` or `python -m sim bench`)."""

from __future__ import annotations

import pytest

from sim import run


@pytest.mark.benchmark
def test_base_10k_paths_72_months(benchmark, base):
    res = benchmark.pedantic(run, args=(base,), rounds=5, warmup_rounds=1)
    mean_s = benchmark.stats.stats.mean
    print(f"\nbase: {res.paths * base.months / mean_s:,.0f} path-months/s ({mean_s:.3f} s/run)")
    assert res.paths == 10_000
