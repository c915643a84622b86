"""Output directories (issue 16): bad --out refused before any work with exit 2, outputs
replaced as one unit with a manifest, stale outputs removed and reported, scratch left by
killed runs cleaned up; resource budgets; no inf/NaN in JSON or Parquet."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from sim.cli import main
from sim.outputs import MANIFEST, atomic_output_dir

ROOT = Path(__file__).resolve().parents[1]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def no_engine(monkeypatch):
    """Fail the test if a simulation starts: bad --out must be caught before it."""
    import sim.cli.cmd_run as cmd_run

    def boom(*a, **k):
        raise AssertionError("the simulation ran before --out was checked")

    monkeypatch.setattr(cmd_run, "run", boom)


# --- bad --out -------------------------------------------------------------------------


def test_out_is_an_existing_file(tmp_path, capsys, no_engine):
    f = tmp_path / "results"
    f.write_text("not a directory")
    assert main(["run", "--paths", "50", "--out", str(f), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"output directory {f}: exists and is not a directory" in err
    assert f.read_text() == "not a directory"


def test_out_under_a_file(tmp_path, capsys, no_engine):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["run", "--paths", "50", "--out", str(f / "sub" / "dir"), "--quiet"]) == 2
    assert f"{f} is a file, not a directory" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.mark.parametrize("where", ["/proc/compute-sim-out", "/proc/self/compute-sim-out"])
def test_out_under_proc(where, capsys, no_engine):
    assert main(["run", "--paths", "50", "--out", where, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"output directory {os.path.realpath(where)}: cannot write there" in err


def test_out_on_a_read_only_file_system(capsys, no_engine):
    assert main(["run", "--paths", "50", "--out", "/sys/compute-sim-out", "--quiet"]) == 2
    assert "output directory /sys/compute-sim-out: cannot write there" in capsys.readouterr().err


def test_other_commands_check_out_before_running(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    sweep = ROOT / "scenarios" / "sweeps" / "lead_time.yaml"
    for argv in (
        ["sweep", str(sweep), "--out", str(f)],
        ["compare", "scenarios/base.yaml", "scenarios/yolo.yaml", "--out", str(f / "x")],
        ["frontier", "--out", str(f)],
        ["sensitivity", "--out", str(f)],
        ["optimize", "--out", str(f)],
        ["slip", "scenarios/build_slip.yaml", "--out", str(f)],
    ):
        t0 = time.perf_counter()
        assert main(argv) == 2, argv
        assert time.perf_counter() - t0 < 20, argv  # refused before any simulation (~0.1 s)
        assert "output directory" in capsys.readouterr().err


# --- one unit, manifest, stale outputs, leftovers --------------------------------------


def test_json_run_replaces_an_earlier_full_run_and_says_so(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--paths", "200", "--out", str(out), "--quiet"]) == 0
    full = sorted(p.name for p in out.iterdir())
    assert {"report.html", "paths.parquet", "summary.json", MANIFEST} <= set(full)
    capsys.readouterr()
    assert main(["run", "--paths", "100", "--out", str(out), "--format", "json", "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "summary.json"]
    err = capsys.readouterr().err
    assert "removed" in err
    assert "report.html" in err
    assert "paths.parquet" in err
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["command"] == "run"
    assert [f["name"] for f in manifest["files"]] == ["summary.json"]
    assert json.loads((out / "summary.json").read_text())["paths"] == 100


def test_foreign_files_are_kept(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "frontier").mkdir()  # another command's output directory inside
    assert main(["run", "--paths", "60", "--out", str(out), "--format", "json", "--quiet"]) == 0
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "frontier").is_dir()
    assert [f["name"] for f in json.loads((out / MANIFEST).read_text())["files"]] == ["summary.json"]  # fmt: skip
    assert main(["run", "--paths", "60", "--out", str(out), "--format", "csv", "--quiet"]) == 0
    assert not (out / "summary.json").exists()  # listed by the earlier manifest: stale
    assert (out / "notes.txt").exists()
    assert "removed 1 output(s) of an earlier run" in capsys.readouterr().err


def test_leftovers_of_killed_runs_are_removed(tmp_path, capsys):
    out = tmp_path / "out"
    pid = _dead_pid()
    leftover = tmp_path / f".out.tmp-{pid}-abcd"
    leftover.mkdir()
    (leftover / "summary.json").write_text("{half")
    alive = tmp_path / f".out.tmp-{os.getpid()}-live"  # a run still going: kept
    alive.mkdir()
    assert main(["run", "--paths", "50", "--out", str(out), "--format", "json", "--quiet"]) == 0
    assert not leftover.exists()
    assert alive.exists()
    assert f"left in {tmp_path} by an interrupted run" in capsys.readouterr().err


def test_spill_directories_of_killed_runs_are_removed(tmp_path):
    from sim.model.store import SpillWriter

    dead = tmp_path / f"sim-spill-{_dead_pid()}-xyz"
    dead.mkdir()
    (dead / "path").mkdir()
    writer = SpillWriter(tmp_path)
    assert not dead.exists()
    assert writer.dir.name.startswith(f"sim-spill-{os.getpid()}-")


def test_interrupt_while_moving_files_is_held_until_the_set_is_complete(tmp_path, monkeypatch):
    import signal

    import sim.outputs as outputs

    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("old")
    (out / "report.html").write_text("old")
    real = outputs._exchange

    def exchange_with_ctrl_c(a, b):
        os.kill(os.getpid(), signal.SIGINT)  # arrives in the middle of the swap
        return real(a, b)

    monkeypatch.setattr(outputs, "_exchange", exchange_with_ctrl_c)
    with pytest.raises(KeyboardInterrupt), atomic_output_dir(out) as tmp:  # noqa: PT012
        (tmp / "summary.json").write_text("new")
        (tmp / "paths.csv").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "paths.csv", "summary.json"]
    assert (out / "summary.json").read_text() == "new"
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def test_failure_keeps_the_earlier_set_whole(tmp_path):
    out = tmp_path / "out"
    with atomic_output_dir(out) as tmp:
        (tmp / "summary.json").write_text("first")
    before = {p.name: p.read_text() for p in out.iterdir()}
    with pytest.raises(RuntimeError), atomic_output_dir(out) as tmp:  # noqa: PT012
        (tmp / "summary.json").write_text("second")
        raise RuntimeError("crash")
    assert {p.name: p.read_text() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# --- resource budgets ------------------------------------------------------------------


def test_hundred_million_paths_refused_before_running(tmp_path):
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", "--paths", "100000000", "--out", str(tmp_path / "o")],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "100,000,000 paths x 138 months" in proc.stderr
    assert "--max-path-months" in proc.stderr
    assert time.perf_counter() - t0 < 15
    assert not (tmp_path / "o").exists()


def test_memory_budget_and_flag(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", "--paths", "100", "--max-memory", "100M", "--out", str(out)]) == 2
    assert "pass --max-memory 1G" in capsys.readouterr().err
    assert main(["run", "--paths", "100", "--max-memory", "lots", "--out", str(out)]) == 2
    assert main(["run", "--paths", "100", "--max-path-months", "-3", "--out", str(out)]) == 2
    assert not out.exists()
    argv = ["run", "--paths", "100", "--max-path-months", "1e4", "--out", str(out), "--quiet"]
    assert main(argv) == 2  # 100 x 138 > 1e4
    argv[4] = "2e4"
    assert main([*argv[:-1], "--format", "json", "--quiet"]) == 0


def test_run_size_estimates_are_on_the_safe_side():
    from sim import load_scenario
    from sim.budget import run_size

    base = load_scenario()
    assert run_size(base, 2000).memory > 387 << 20  # measured peaks (docstring of budget)
    assert run_size(base, 1_000_000).memory > 440 << 20
    assert run_size(base, 1_000_000).scratch_disk >= 1_000_000 * 1400
    y50 = base.replace(**{"simulation.years": 50})
    assert run_size(y50, 50_000).memory > 973 << 20
    assert run_size(base, 100_000_000).work == 100_000_000 * 138


def test_huge_sweep_grid_refused_before_expanding(tmp_path):
    axes = {
        "policy.planned_growth": [1 + i / 1000 for i in range(1000)],
        "demand.growth": [3 + i / 1000 for i in range(1000)],
    }
    f = tmp_path / "grid.yaml"
    f.write_text(yaml.safe_dump({"name": "huge", "axes": axes}))
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "sweep", str(f), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "the 1,000 x 1,000 grid has 1,000,000 cells; at most 10,000" in proc.stderr
    assert time.perf_counter() - t0 < 15


def test_max_cells_flag(tmp_path, capsys):
    f = tmp_path / "s.yaml"
    f.write_text("name: s\npaths: 50\naxes: {policy.planned_growth: [1, 2], demand.growth: [3, 4]}\n")  # fmt: skip
    assert main(["sweep", str(f), "--max-cells", "3", "--out", str(tmp_path / "o")]) == 2
    assert "has 4 cells; at most 3" in capsys.readouterr().err
    assert main(["sweep", str(f), "--max-cells", "4", "--out", str(tmp_path / "o"), "--quiet"]) == 0  # fmt: skip


def test_unreachable_scheduler_is_exit_2_fast(tmp_path):
    sweep = ROOT / "scenarios" / "sweeps" / "lead_time.yaml"
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "sweep", str(sweep), "--scheduler", "tcp://127.0.0.1:9",
         "--out", str(tmp_path / "o")],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "--scheduler tcp://127.0.0.1:9: cannot reach a dask scheduler there" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert time.perf_counter() - t0 < 15
    assert not (tmp_path / "o").exists()


# --- no inf/NaN in JSON or Parquet -----------------------------------------------------


def _strict_json(path: Path):
    def refuse(token):
        raise ValueError(f"{path.name} contains {token}")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_all_bankrupt_years_are_null_not_nan(tmp_path):
    data = yaml.safe_load((ROOT / "scenarios" / "base.yaml").read_text())
    data["finance"].update(initial_cash=0, max_raise_per_year=0)
    data["economics"]["fixed_costs_per_year"] = 1e12  # every path bankrupt in month 0
    f = tmp_path / "doomed.yaml"
    f.write_text(yaml.safe_dump(data))
    out = tmp_path / "o"
    assert main(["run", str(f), "--paths", "300", "--out", str(out), "--format", "json,parquet,csv"]) == 0  # fmt: skip
    summary = _strict_json(out / "summary.json")
    assert summary["p_bankrupt"] == 1.0
    last = summary["by_year"][-1]
    assert last["training_share_p50"] is None
    assert last["unserved_share_mean"] is None
    for name in ("by_year.parquet", "paths.parquet", "yearly_by_path.parquet"):
        table = pq.read_table(out / name)
        for column in table.column_names:
            values = table.column(column).to_numpy(zero_copy_only=False)
            if values.dtype.kind == "f":
                present = values[~np.isnan(values)] if table.column(column).null_count else values
                assert np.isfinite(present).all(), f"{name}.{column}"
                nulls = table.column(column).null_count
                assert np.isnan(values).sum() == nulls, f"{name}.{column} holds NaN, not null"
    assert pq.read_table(out / "by_year.parquet").column("training_share_p50").null_count > 0


def test_json_writer_never_writes_non_finite(tmp_path):
    from sim.outputs import write_json

    write_json(tmp_path / "x.json", {"a": math.inf, "b": [np.float64("nan"), -math.inf], "c": 1})
    assert _strict_json(tmp_path / "x.json") == {"a": None, "b": [None, None], "c": 1}


def _as_nobody(args: list[str], home: Path) -> subprocess.CompletedProcess:
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *args]
    env = {**os.environ, "HOME": str(home), "NUMBA_CACHE_DIR": str(home / "numba")}
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_out_under_a_directory_the_user_cannot_enter_is_refused_with_exit_2(tmp_path_factory):
    """`--out D/x` where D is another user's 0700 directory: Path.exists() itself raises
    PermissionError; the run must say so (exit 2, the path named), not print a traceback."""
    if os.geteuid() != 0 or not Path("/usr/bin/setpriv").exists():
        pytest.skip("needs root and setpriv to run the command as an unprivileged user")
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="compute-sim-perm-", dir="/tmp"))
    try:
        base.chmod(0o755)
        home = base / "home"
        home.mkdir()
        home.chmod(0o777)
        probe = _as_nobody([sys.executable, "-c", "import sim.cli"], home)
        if probe.returncode != 0:
            pytest.skip(f"user nobody cannot import the checkout here: {probe.stderr[-200:]}")
        private = base / "private"
        private.mkdir(mode=0o700)  # root's, not enterable by nobody
        out = private / "x"
        proc = _as_nobody(
            [sys.executable, "-m", "sim", "run", "--paths", "10", "--out", str(out)], home
        )
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert str(out) in proc.stderr
        assert f"cannot enter {private}" in proc.stderr
        assert "Permission denied" in proc.stderr
        assert list(private.iterdir()) == []  # nothing left behind
    finally:
        import shutil

        shutil.rmtree(base, ignore_errors=True)
