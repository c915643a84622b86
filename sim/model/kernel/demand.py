"""Potential demand [USD/yr]: persistent uncertain growth, diffusion lag, ceiling, noise.

``s_t = s_{t-1} + a (c_t - s_{t-1})`` with ``a = 1 - exp(-1 / (12 L))`` lags revenue growth
behind capability growth ``c`` (``ln g_y / 12`` plus a one-off jump) by ``L`` years on
average; ``ln D_{t+1} = ln D_t + s_t (1 - D_t / K) + sigma / sqrt(12) eps_t`` (saturation
damps positive growth only). See docs/model.md section 2.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


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


@njit(cache=True, nogil=True)
def potential_demand_block(
    first: int,
    last: int,
    out: np.ndarray,
    d0: np.ndarray,
    growth: np.ndarray,
    noise: np.ndarray,
    a: np.ndarray,
    ceiling: np.ndarray,
    shock_scale: np.ndarray,
    jump_month: np.ndarray,
    jump_log: np.ndarray,
) -> None:
    """Potential demand of paths ``first .. last - 1`` into ``out`` (n, months) [USD/yr], on
    the calling thread without the GIL (threads fill disjoint ranges of one block)."""
    for i in range(first, last):
        demand_path(
            out[i], d0[i], np.log(growth[i]), noise[i], a[i], ceiling[i], shock_scale[i],
            jump_month[i], jump_log[i],
        )  # fmt: skip
