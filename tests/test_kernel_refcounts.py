"""Kernel helpers compiled without numba's reference counting (``_nrt=False``, see
:mod:`sim.model.kernel`): they may read and write the arrays they are given but never
return one (the caller would release a reference the helper never took) nor allocate one
(numba refuses to compile that)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from numba.core import types
from numba.core.dispatcher import Dispatcher

import sim.model.kernel as kernel


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


def _holds_array(ty: types.Type) -> bool:
    if isinstance(ty, types.Array):
        return True
    return isinstance(ty, types.BaseTuple) and any(_holds_array(t) for t in ty.types)


def test_compiled_helpers_without_reference_counts_return_no_array() -> None:
    """The compiled return types, not only the annotations: after a run of the default scenario
    (every helper a run reaches is compiled), none of them returns an array."""
    from sim.model.engine import run
    from sim.model.io import load_scenario

    run(load_scenario(None), paths=20, monthly_paths=20)
    checked = 0
    for name, dispatcher in _dispatchers():
        if dispatcher.targetoptions.get("_nrt") is not False:
            continue
        for sig in dispatcher.nopython_signatures:
            checked += 1
            assert not _holds_array(sig.return_type), f"{name} returns {sig.return_type}"
    assert checked > 30  # the helpers a run compiles (inlined ones have no signature)


def test_allocating_kernels_keep_reference_counts() -> None:
    kept = {n for n, d in _dispatchers() if d.targetoptions.get("_nrt") is not False}
    assert {"paths.simulate_paths", "demand.potential_demand_block"} <= kept
