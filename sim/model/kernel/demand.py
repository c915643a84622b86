"""Potential demand [USD/yr]: persistent uncertain growth, diffusion lag, ceiling, noise.

``s_t = s_{t-1} + a (c_t - s_{t-1})`` with ``a = 1 - exp(-1 / (12 L))`` lags revenue growth
behind capability growth ``c`` (``ln g_y / 12`` plus a one-off jump) by ``L`` years on
average; ``ln D_{t+1} = ln D_t + s_t (1 - D_t / K) + sigma / sqrt(12) eps_t`` (saturation
damps positive growth only). See docs/model.md section 2.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(cache=True)
def demand_path(
    out: np.ndarray,
    d0: float,
    log_growth: np.ndarray,
    noise: np.ndarray,
    a: float,
    ceiling: float,
    shock_scale: float,
    jump_month: int,
    jump_log: float,
) -> None:
    """Fill ``out`` (months,) with one path's potential demand [USD/yr]."""
    months = out.shape[0]
    d = d0
    log_d = math.log(d0)
    s = log_growth[0] / 12.0  # steady state before the start: no jump yet
    out[0] = d
    for t in range(months - 1):
        c = log_growth[t // 12] / 12.0
        if t == jump_month:
            c += jump_log
        s += a * (c - s)
        drift = s * (1.0 - d / ceiling) if s > 0 else s
        log_d += drift + shock_scale * noise[t]
        d = math.exp(log_d)
        out[t + 1] = d


def _demand_block(parallel: bool, name: str):  # type: ignore[no-untyped-def]
    """Jit the block loop with or without its own thread pool (one Python body, two
    compiled variants with distinct names so their on-disk caches never mix)."""

    def block(
        d0: np.ndarray,
        growth: np.ndarray,
        noise: np.ndarray,
        a: np.ndarray,
        ceiling: np.ndarray,
        shock_scale: np.ndarray,
        jump_month: np.ndarray,
        jump_log: np.ndarray,
    ) -> np.ndarray:
        n, months = noise.shape
        out = np.empty((n, months))
        for i in prange(n):  # a plain range when not parallel
            demand_path(
                out[i], d0[i], np.log(growth[i]), noise[i], a[i], ceiling[i], shock_scale[i],
                jump_month[i], jump_log[i],
            )  # fmt: skip
        return out

    block.__name__ = block.__qualname__ = name
    return njit(cache=True, parallel=parallel, nogil=True)(block)


potential_demand_block = _demand_block(True, "potential_demand_block")
"""Potential demand of every path, shape (n, months) [USD/yr], parallel over paths."""
potential_demand_block_serial = _demand_block(False, "potential_demand_block_serial")
"""The same on the calling thread only (for a pool of threads running one block each)."""
