"""Cheaper first kernel load: numba's set-up without an import the kernels never use.

When numba first loads a compiled kernel it registers all its numpy implementations; one
of them, ``numba.np.arraymath``, probes for BLAS by importing ``scipy.linalg`` (0.1-0.2 s and
~15 MB per process, measured). No kernel here calls BLAS (no ``np.dot``, no linear
algebra), so :func:`prepare` lets that module load without the probe and records what the
probe would have found (scipy is a dependency); a later ``np.dot`` in jitted code still
imports ``scipy.linalg`` when it is compiled. Any numba internals not as expected: nothing
is changed.
"""

from __future__ import annotations

import importlib.util
import sys
import threading

_lock = threading.Lock()
_done = False


def _deferred() -> None:
    raise ImportError("BLAS probe deferred until a kernel needs it")


def prepare() -> None:
    """Import ``numba.np.arraymath`` without its ``scipy.linalg`` probe (once per process)."""
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        _done = True
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
