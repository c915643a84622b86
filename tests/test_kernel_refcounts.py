"""Kernel helpers compiled without numba's reference counting (``_nrt=False``, see
:mod:`sim.model.kernel`): they may read and write the arrays they are given but never
return one (the caller would release a reference the helper never took) nor allocate one
(numba refuses to compile that)."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

from numba.core.dispatcher import Dispatcher

import sim.model.kernel as kernel

ROOT = Path(__file__).resolve().parents[1]


def _dispatchers() -> list[tuple[str, Dispatcher]]:
    found = []
    for info in pkgutil.iter_modules(kernel.__path__):
        module = importlib.import_module(f"{kernel.__name__}.{info.name}")
        for name, obj in vars(module).items():
            if isinstance(obj, Dispatcher) and obj.py_func.__module__ == module.__name__:
                found.append((f"{info.name}.{name}", obj))
    return found


def test_helpers_without_reference_counts_return_no_array() -> None:
    helpers = [(n, d) for n, d in _dispatchers() if d.targetoptions.get("_nrt") is False]
    assert len(helpers) > 50  # every small helper of the month loop
    for name, dispatcher in helpers:
        returns = inspect.signature(dispatcher.py_func).return_annotation
        assert returns is not inspect.Signature.empty, f"{name}: no return annotation"
        assert "ndarray" not in str(returns), f"{name} returns an array without refcounts"


CHECK_COMPILED = """
import json, importlib, pkgutil
from numba.core import types
from numba.core.dispatcher import Dispatcher
import sim.model.kernel as kernel
from sim.model.engine import run
from sim.model.io import load_scenario

def holds_array(ty):
    if isinstance(ty, types.Array):
        return True
    return isinstance(ty, types.BaseTuple) and any(holds_array(t) for t in ty.types)

run(load_scenario(None), paths=20, monthly_paths=20)
checked, arrays = 0, []
for info in pkgutil.iter_modules(kernel.__path__):
    module = importlib.import_module(f"{kernel.__name__}.{info.name}")
    for name, obj in vars(module).items():
        if (isinstance(obj, Dispatcher) and obj.py_func.__module__ == module.__name__
                and obj.targetoptions.get("_nrt") is False):
            for sig in obj.nopython_signatures:
                checked += 1
                if holds_array(sig.return_type):
                    arrays.append(f"{info.name}.{name} -> {sig.return_type}")
print(json.dumps([checked, arrays]))
"""


def test_compiled_helpers_without_reference_counts_return_no_array(tmp_path) -> None:
    """The compiled return types, not only the annotations. Kernels loaded from the disk
    cache do not compile their helpers in the loading process, so a fresh process with an
    empty ``NUMBA_CACHE_DIR`` compiles every kernel (~10 s) and runs the default scenario."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", CHECK_COMPILED], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    checked, arrays = json.loads(out.stdout.strip().splitlines()[-1])
    assert arrays == []
    assert checked > 30  # the helpers a run compiles (inlined ones have no signature)


def test_allocating_kernels_keep_reference_counts() -> None:
    kept = {n for n, d in _dispatchers() if d.targetoptions.get("_nrt") is not False}
    assert {"paths.simulate_paths", "demand.potential_demand_block"} <= kept
