"""Uniform and standard normal draws, numpy's bit for bit, and the normal CDF and its inverse.

The uniforms are those of ``np.random.Generator(PCG64(...)).random(n)``, the normals those
of ``...standard_normal(shape)`` in C order, drawn by :mod:`.pcg` (numpy's PCG64 and
ziggurat inlined: ~3 ns a normal against numpy's ~12) from a PCG64 state of 4 uint64 words
(state hi, state lo, inc hi, inc lo), which is left where numpy's generator would be after
the same draws (checked in the tests).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .pcg import _SHIFT11, _TO_DOUBLE, pcg64_next, standard_normal


@njit(cache=True, nogil=True)
def fill_year_normals(states: np.ndarray, out: np.ndarray) -> None:
    """Monthly normals (n, months) from one PCG64 state per year (years, 4): year ``y``'s
    stream draws an (n, 12) C-order block for ``out[:, 12 y : 12 y + 12]`` (a partial last
    year still consumes 12 per row, stores its first columns); ``states`` advance.

    Row by row through the years (the streams are independent, so the order in which they
    are advanced does not change their numbers): ``out`` is written in its own order, not
    12 columns at a time down 4.5 MB 12 times (~30% faster for a 4096-path block)."""
    n, months = out.shape
    for i in range(n):
        for y in range(states.shape[0]):
            hi, lo, inc_hi, inc_lo = states[y, 0], states[y, 1], states[y, 2], states[y, 3]
            col0 = 12 * y
            cols = min(12, months - col0)
            for j in range(12):
                z, hi, lo = standard_normal(hi, lo, inc_hi, inc_lo)
                if j < cols:
                    out[i, col0 + j] = z
            states[y, 0], states[y, 1] = hi, lo


@njit(cache=True, nogil=True)
def fill_normals(state: np.ndarray, out: np.ndarray) -> None:
    """Fill a 1-D array with standard normals, as ``gen.standard_normal(out.size)``."""
    hi, lo, inc_hi, inc_lo = state[0], state[1], state[2], state[3]
    for i in range(out.shape[0]):
        out[i], hi, lo = standard_normal(hi, lo, inc_hi, inc_lo)
    state[0], state[1] = hi, lo


@njit(cache=True, nogil=True)
def fill_uniforms(states: np.ndarray, out: np.ndarray) -> None:
    """Row ``k`` of ``out`` (streams, n) gets ``gen.random(n)`` of the generator in
    ``states[k]`` (numpy's ``next_double``: ``(next_uint64 >> 11) * 2**-53``); ``states``
    advance."""
    for k in range(out.shape[0]):
        hi, lo, inc_hi, inc_lo = states[k, 0], states[k, 1], states[k, 2], states[k, 3]
        for i in range(out.shape[1]):
            r, hi, lo = pcg64_next(hi, lo, inc_hi, inc_lo)
            out[k, i] = (r >> _SHIFT11) * _TO_DOUBLE
        states[k, 0], states[k, 1] = hi, lo


# Cephes' rational approximations (Moshier, as in scipy.special's ``ndtr``), so that
# :func:`fill_ndtr` gives scipy's bits without importing scipy.special (0.25-0.45 s).
_ERFC_P = np.array([2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
                    4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
                    9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2])  # fmt: skip
_ERFC_Q = np.array([1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
                    9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
                    1.65666309194161350182e3, 5.57535340817727675546e2])  # fmt: skip
_ERFC_R = np.array([5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
                    6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0])  # fmt: skip
_ERFC_S = np.array([2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
                    1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0])  # fmt: skip
_ERF_T = np.array([9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
                   7.00332514112805075473e3, 5.55923013010394962768e4])  # fmt: skip
_ERF_U = np.array([3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
                   2.26290000613890934246e4, 4.92673942608635921086e4])  # fmt: skip
_MAXLOG = 7.09782712893383996843e2
"""log(largest double): exp(-x*x) below -this is 0 [-]."""
_SQRT1_2 = 0.70710678118654752440


@njit(cache=True, nogil=True)
def _polevl(x: float, coef: np.ndarray) -> float:
    """coef[0] x^N + ... + coef[N] by Horner's rule, in cephes' order of operations."""
    ans = coef[0]
    for k in range(1, coef.shape[0]):
        ans = ans * x + coef[k]
    return ans


@njit(cache=True, nogil=True)
def _p1evl(x: float, coef: np.ndarray) -> float:
    """As :func:`_polevl` with an implied leading coefficient 1."""
    ans = x + coef[0]
    for k in range(1, coef.shape[0]):
        ans = ans * x + coef[k]
    return ans


_T0, _T1, _T2, _T3, _T4 = (float(c) for c in _ERF_T)
_U0, _U1, _U2, _U3, _U4 = (float(c) for c in _ERF_U)


@njit(cache=True, nogil=True, error_model="numpy")  # no ZeroDivisionError check: SIMD
def fill_ndtr(a: np.ndarray, out: np.ndarray) -> None:
    """Standard normal CDF of each element of the 1-D ``a`` into ``out``: cephes' ``ndtr``
    step for step (``erf`` within |x| < 1, ``erfc`` outside, libm's ``exp``), bit-identical
    to ``scipy.special.ndtr`` (checked in the tests).

    Two passes: the ``erf`` branch (~84% of standard normals) for every element, without a
    branch so that it runs on SIMD lanes (the same IEEE operations in the same order, so
    the same bits; numba's check for a zero divisor, which would keep it scalar, is left
    out: the divisors are polynomials with positive coefficients in x**2 or |x|, never 0),
    then the ``erfc`` branch over it where |x| >= 1 or x is NaN."""
    for i in range(a.shape[0]):
        x = a[i] * _SQRT1_2
        zz = x * x
        num = (((_T0 * zz + _T1) * zz + _T2) * zz + _T3) * zz + _T4  # _polevl(zz, _ERF_T)
        den = ((((zz + _U0) * zz + _U1) * zz + _U2) * zz + _U3) * zz + _U4  # _p1evl(zz, _ERF_U)
        out[i] = 0.5 + 0.5 * (x * num / den)
    for i in range(a.shape[0]):
        v = a[i]
        x = v * _SQRT1_2
        z = abs(x)
        if z < 1.0:
            continue
        if np.isnan(v):
            out[i] = np.nan
            continue
        e = -z * z
        if e < -_MAXLOG:
            y = 0.0
        else:
            e = math.exp(e)
            if z < 8.0:
                y = 0.5 * ((e * _polevl(z, _ERFC_P)) / _p1evl(z, _ERFC_Q))
            else:
                y = 0.5 * ((e * _polevl(z, _ERFC_R)) / _p1evl(z, _ERFC_S))
        out[i] = 1.0 - y if x > 0 else y


_NDTRI_P0 = np.array([-5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1,
                      1.39312609387279679503e1, -1.23916583867381258016e0])  # fmt: skip
_NDTRI_Q0 = np.array([1.95448858338141759834e0, 4.67627912898881538453e0, 8.63602421390890590575e1,
                      -2.25462687854119370527e2, 2.00260212380060660359e2, -8.20372256168333339912e1,
                      1.59056225126211695515e1, -1.18331621121330003142e0])  # fmt: skip
_NDTRI_P1 = np.array([4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1,
                      4.40805073893200834700e1, 1.46849561928858024014e1, 2.18663306850790267539e0,
                      -1.40256079171354495875e-1, -3.50424626827848203418e-2,
                      -8.57456785154685413611e-4])  # fmt: skip
_NDTRI_Q1 = np.array([1.57799883256466749731e1, 4.53907635128879210584e1, 4.13172038254672030440e1,
                      1.50425385692907503408e1, 2.50464946208309415979e0, -1.42182922854787788574e-1,
                      -3.80806407691578277194e-2, -9.33259480895457427372e-4])  # fmt: skip
_NDTRI_P2 = np.array([3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0,
                      1.33303460815807542389e0, 2.01485389549179081538e-1, 1.23716634817820021358e-2,
                      3.01581553508235416007e-4, 2.65806974686737550832e-6,
                      6.23974539184983293730e-9])  # fmt: skip
_NDTRI_Q2 = np.array([6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0,
                      2.16236993594496635890e-1, 1.34204006088543189037e-2, 3.28014464682127739104e-4,
                      2.89247864745380683936e-6, 6.79019408009981274425e-9])  # fmt: skip
_EXP_M2 = 0.13533528323661269189
"""exp(-2): the tails (rational in 1/sqrt(-2 log p)) begin below it [-]."""
_SQRT2PI = 2.50662827463100050242


@njit(cache=True, nogil=True)
def fill_ndtri(p: np.ndarray, out: np.ndarray) -> None:
    """Inverse standard normal CDF of each element of the 1-D ``p`` into ``out``: cephes'
    ``ndtri`` step for step (libm's ``log``), bit-identical to ``scipy.special.ndtri``."""
    for i in range(p.shape[0]):
        y = p[i]
        if y == 0.0:
            out[i] = -np.inf
            continue
        if y == 1.0:
            out[i] = np.inf
            continue
        if y < 0.0 or y > 1.0 or np.isnan(y):
            out[i] = np.nan
            continue
        upper = y > 1.0 - _EXP_M2
        if upper:
            y = 1.0 - y
        if y > _EXP_M2:
            y = y - 0.5
            y2 = y * y
            x = y + y * (y2 * _polevl(y2, _NDTRI_P0) / _p1evl(y2, _NDTRI_Q0))
            out[i] = x * _SQRT2PI
            continue
        x = math.sqrt(-2.0 * math.log(y))
        x0 = x - math.log(x) / x
        z = 1.0 / x
        if x < 8.0:
            x1 = z * _polevl(z, _NDTRI_P1) / _p1evl(z, _NDTRI_Q1)
        else:
            x1 = z * _polevl(z, _NDTRI_P2) / _p1evl(z, _NDTRI_Q2)
        out[i] = x0 - x1 if upper else -(x0 - x1)  # not x1 - x0: the sign of a zero
