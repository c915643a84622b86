"""Ctrl-C and SIGTERM on a real ``python -m sim`` process (issue 16): exit 130, no
traceback, no output directory, no scratch or spill directory left, at any moment:
during the imports, before the simulation, while simulating a run spilled to disk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _start(tmp_path: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for(predicate, timeout: float = 60.0) -> None:
    t0 = time.perf_counter()
    while not predicate():
        if time.perf_counter() - t0 > timeout:
            raise AssertionError("timed out waiting")
        time.sleep(0.005)


def _loaded(proc: subprocess.Popen, name: str) -> bool:
    try:
        return name in Path(f"/proc/{proc.pid}/maps").read_text()
    except OSError:
        return False


def _finish(proc: subprocess.Popen) -> tuple[int, str]:
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def _assert_clean(tmp_path: Path, out: Path) -> None:
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name or ".old-" in p.name]
    assert list((tmp_path / "tmp").iterdir()) == []  # no spill directory either


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_while_simulating_a_spilled_run(tmp_path, sig):
    out = tmp_path / "out"
    proc = _start(tmp_path, "run", "--paths", "400000", "--format", "json", "--out", str(out))
    # the spill directory exists once blocks are being simulated and streamed to disk
    _wait_for(lambda: any((tmp_path / "tmp").glob("sim-spill-*/path")))
    proc.send_signal(sig)
    code, err = _finish(proc)
    assert code == 130, err
    assert "interrupted; no partial output was written" in err
    assert "Traceback" not in err
    _assert_clean(tmp_path, out)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_during_heavy_imports(tmp_path, sig):
    out = tmp_path / "out"
    proc = _start(tmp_path, "run", "--paths", "50", "--format", "json", "--out", str(out))
    _wait_for(lambda: _loaded(proc, "numpy") or proc.poll() is not None)
    proc.send_signal(sig)
    code, err = _finish(proc)
    assert code == 130, err
    assert "Traceback" not in err
    _assert_clean(tmp_path, out)


def test_sigterm_between_check_and_simulation_removes_created_parents(tmp_path):
    out = tmp_path / "new" / "deeper" / "out"
    proc = _start(tmp_path, "run", "--paths", "400000", "--format", "json", "--out", str(out))
    _wait_for(lambda: (tmp_path / "new" / "deeper").exists())
    proc.send_signal(signal.SIGTERM)
    code, err = _finish(proc)
    assert code == 130, err
    assert not (tmp_path / "new").exists()  # parents this run created go too


def test_sigkill_leftovers_are_cleaned_by_the_next_run(tmp_path):
    out = tmp_path / "out"
    proc = _start(tmp_path, "run", "--paths", "400000", "--format", "json", "--out", str(out))
    _wait_for(lambda: any((tmp_path / "tmp").glob("sim-spill-*/path")))
    proc.kill()
    proc.communicate(timeout=60)
    assert [p for p in tmp_path.iterdir() if ".tmp-" in p.name]  # what SIGKILL leaves
    assert list((tmp_path / "tmp").iterdir())
    nxt = _start(tmp_path, "run", "--paths", "101000", "--format", "json", "--out", str(out))
    code, err = _finish(nxt)
    assert code == 0, err
    assert "left in" in err
    assert "by an interrupted run" in err
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    assert list((tmp_path / "tmp").iterdir()) == []
    assert tempfile.gettempdir() != str(tmp_path / "tmp")  # the child's TMPDIR, not ours
