"""The kernel's on-disk cache of compiled code: dropped when any kernel source changes,
and known to be cold before the first run compiles it."""

from __future__ import annotations

from pathlib import Path

from sim.model.kernel import cache_is_cold, drop_stale_cache


def test_stale_kernel_cache_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "finance.py").write_text("A = 1\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    (cache / "paths.simulate_path-1.py311.nbi").write_text("old")
    assert drop_stale_cache(tmp_path)  # no stamp yet: whatever is there is suspect
    assert not list(cache.glob("*.nbi"))
    (cache / "paths.simulate_path-1.py311.nbc").write_text("compiled")
    assert not drop_stale_cache(tmp_path)  # sources unchanged: the cache stays
    assert (cache / "paths.simulate_path-1.py311.nbc").exists()
    (tmp_path / "finance.py").write_text("A = 2\n")  # a callee edited
    assert drop_stale_cache(tmp_path)
    assert not list(cache.glob("*.nb[ic]"))


def test_cold_cache_is_detected(tmp_path: Path) -> None:
    assert cache_is_cold(tmp_path)  # no cache yet, writable: the next run compiles
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    (cache / "paths.simulate_path-132.py311.nbi").write_text("index")
    assert not cache_is_cold(tmp_path)


def test_warmup_command_readies_every_kernel(capsys) -> None:
    """`python -m sim warmup` runs each kernel a run calls (draws, demand, month loop) and
    shows each step; afterwards the cache is warm, so the first run compiles nothing."""
    import numba.core.dispatcher as dispatcher

    from sim.cli import main
    from sim.model.kernel import demand as demand_kernel
    from sim.model.kernel import draws, paths, pcg

    assert main(["warmup", "scenarios/base.yaml", "scenarios/responsible.yaml"]) == 0
    err = capsys.readouterr().err
    for step in ("random draws", "demand", "month loop"):
        assert f"base: {step} ..." in err
        assert f"responsible: {step} ..." in err
    assert "kernels ready in" in err
    assert not cache_is_cold()
    kernels = (draws.fill_normals, draws.fill_year_normals, pcg.seed_states,
               demand_kernel.potential_demand_block, paths.simulate_paths)  # fmt: skip
    assert all(isinstance(k, dispatcher.Dispatcher) and k.signatures for k in kernels)
