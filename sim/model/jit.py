"""Cheaper first kernel load: numba's set-up without the work a cached kernel never uses.

Two savings, both made by :func:`prepare` once per process before the first kernel loads;
with any numba internals not as expected, nothing is changed:

- **No compiler set-up for a cached kernel.** Before loading a kernel from its on-disk cache,
  numba "refreshes" its compiler: it imports every implementation module it has (numpy,
  typed containers, random, ...) and installs their typing and lowering registries
  (0.15-0.3 s per process, measured). A cached kernel is machine code: loading it needs the
  runtime's symbols (``rtsys.initialize``), not the compiler's registries. So a cache load
  only initialises the runtime; a kernel that must compile (a cache miss) still gets the
  full refresh, which numba's compiler does itself on every compile.
- **No BLAS probe.** ``numba.np.arraymath``, one of those modules, probes for BLAS by
  importing ``scipy.linalg`` (0.1-0.2 s and ~15 MB, measured). No kernel here calls BLAS (no
  ``np.dot``, no linear algebra), so that module loads without the probe and records what
  the probe would have found (scipy is a dependency); a later ``np.dot`` in jitted code
  still imports ``scipy.linalg`` when it is compiled.
"""

from __future__ import annotations

import importlib.util
import sys
import threading

_lock = threading.Lock()
_done = False


def _deferred() -> None:
    raise ImportError("BLAS probe deferred until a kernel needs it")


def _load_cached(self, sig, target_context):  # type: ignore[no-untyped-def]
    """numba's ``Cache.load_overload`` without the compiler refresh (see the module doc)."""
    from numba.core.runtime.nrt import rtsys

    rtsys.initialize(target_context)
    with self._guard_against_spurious_io_errors():
        return self._load_overload(sig, target_context)


def _light_cache_loads() -> None:
    """Make numba's cache loads skip the compiler refresh (if its internals are as expected)."""
    try:
        from numba.core import caching
        from numba.core.runtime.nrt import rtsys
    except ImportError:
        return
    cache = getattr(caching, "Cache", None)
    needed = ("load_overload", "_load_overload", "_guard_against_spurious_io_errors")
    if cache is None or not all(hasattr(cache, name) for name in needed):
        return
    if not hasattr(rtsys, "initialize"):
        return
    cache.load_overload = _load_cached


def _arraymath_without_probe() -> None:
    """Import ``numba.np.arraymath`` with its BLAS probe deferred (see the module doc)."""
    if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
        return  # already paid for (or loaded by someone else): nothing to save
    try:
        import numba.np.linalg as linalg
    except ImportError:
        return
    probe = getattr(linalg, "ensure_blas", None)
    if probe is None:
        return
    linalg.ensure_blas = _deferred
    try:
        import numba.np.arraymath as arraymath
    finally:
        linalg.ensure_blas = probe
    if getattr(arraymath, "ensure_blas", None) is _deferred:
        arraymath.ensure_blas = probe  # later BLAS users import scipy.linalg as usual
    if hasattr(arraymath, "_HAVE_BLAS"):
        arraymath._HAVE_BLAS = importlib.util.find_spec("scipy") is not None


def _defer_blas_probe() -> None:
    """Have numba's first compiler refresh import ``numba.np.arraymath`` without the probe."""
    try:
        from numba.core.cpu import CPUContext
    except ImportError:
        return
    registries = getattr(CPUContext, "load_additional_registries", None)
    if registries is None:
        return

    def load_additional_registries(self):  # type: ignore[no-untyped-def]
        with _lock:
            _arraymath_without_probe()
        return registries(self)

    CPUContext.load_additional_registries = load_additional_registries


def prepare() -> None:
    """Light cache loads, and the BLAS probe deferred (once per process)."""
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        _done = True
        _light_cache_loads()
        _defer_blas_probe()
