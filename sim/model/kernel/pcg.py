"""numpy's PCG64 bit generator and its standard normal, inlined into numba code.

A numba ``Generator.standard_normal`` calls numpy's bit generator through a function
pointer for each 64-bit word (an indirect call the compiler cannot inline or overlap); here
the generator's 128-bit state lives in registers: ``state = state * MULT + inc`` in LLVM's
i128 arithmetic, output ``rotr64(hi ^ lo, hi >> 58)`` (XSL-RR), then numpy's ziggurat
``random_standard_normal`` operation for operation (tables from numba's copy of numpy's).
The numbers and the final state are bit-identical to numpy's (tests/test_pcg_normals.py).

A state is 4 uint64 words ``(state hi, state lo, inc hi, inc lo)``; :func:`seed_states`
derives it from a ``SeedSequence``'s assembled entropy as ``PCG64(SeedSequence(...))`` does,
without building the Python objects (~16 us each).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core.extending import intrinsic
from numba.np.random._constants import (
    fi_double,
    ki_double,
    wi_double,
    ziggurat_nor_inv_r,
    ziggurat_nor_r,
)

PCG64_MULT = 0x2360ED051FC65DA44385DF649FCCF645
"""numpy's PCG64 multiplier (PCG_DEFAULT_MULTIPLIER_128) [-]."""
_MULT_HI = np.uint64(PCG64_MULT >> 64)
_MULT_LO = np.uint64(PCG64_MULT & 0xFFFFFFFFFFFFFFFF)

_U64 = types.uint64
_I128 = ir.IntType(128)
_I64 = ir.IntType(64)


def _wide(builder: ir.IRBuilder, hi: ir.Value, lo: ir.Value) -> ir.Value:
    return builder.or_(
        builder.shl(builder.zext(hi, _I128), ir.Constant(_I128, 64)), builder.zext(lo, _I128)
    )


def _halves(builder: ir.IRBuilder, x: ir.Value) -> tuple[ir.Value, ir.Value]:
    return builder.trunc(builder.lshr(x, ir.Constant(_I128, 64)), _I64), builder.trunc(x, _I64)


@intrinsic
def muladd128(typingctx, a_hi, a_lo, b_hi, b_lo, c_hi, c_lo):
    """``a * b + c`` modulo 2**128 on (hi, lo) uint64 halves."""
    sig = types.UniTuple(_U64, 2)(_U64, _U64, _U64, _U64, _U64, _U64)

    def codegen(context, builder, signature, args):
        a, b, c = (_wide(builder, args[k], args[k + 1]) for k in (0, 2, 4))
        hi, lo = _halves(builder, builder.add(builder.mul(a, b), c))
        return context.make_tuple(builder, signature.return_type, (hi, lo))

    return sig, codegen


@intrinsic
def pcg64_next(typingctx, hi, lo, inc_hi, inc_lo):
    """One PCG64 step: (the 64-bit output, new state hi, new state lo), numpy's
    ``pcg64_next64``: the state steps first, the output is taken from the new state."""
    sig = types.UniTuple(_U64, 3)(_U64, _U64, _U64, _U64)

    def codegen(context, builder, signature, args):
        state = _wide(builder, args[0], args[1])
        state = builder.add(builder.mul(state, ir.Constant(_I128, PCG64_MULT)),
                            _wide(builder, args[2], args[3]))  # fmt: skip
        new_hi, new_lo = _halves(builder, state)
        rot = builder.lshr(new_hi, ir.Constant(_I64, 58))
        xored = builder.xor(new_hi, new_lo)
        left = builder.and_(builder.neg(rot), ir.Constant(_I64, 63))  # no shift by 64
        out = builder.or_(builder.lshr(xored, rot), builder.shl(xored, left))  # rotr (a ror)
        return context.make_tuple(builder, signature.return_type, (out, new_hi, new_lo))

    return sig, codegen


_TO_DOUBLE = 1.0 / 9007199254740992.0
"""2**-53: numpy's ``next_double`` is ``(next_uint64 >> 11) * 2**-53`` [-]."""
_SHIFT11 = np.uint64(11)


@njit(nogil=True, _nrt=False)
def _normal_slow(r: int, hi: int, lo: int, inc_hi: int, inc_lo: int) -> tuple[float, int, int]:
    """numpy's ``random_standard_normal`` from the word ``r`` on: the fast path, then the tail
    (idx 0) or the wedge's rejection test, drawing more words until one is accepted."""
    while True:
        idx = r & 0xFF
        sign = (r >> 8) & 0x1
        rabs = (r >> 9) & 0x000FFFFFFFFFFFFF
        x = rabs * wi_double[idx]
        if sign:
            x = -x
        if rabs < ki_double[idx]:
            return x, hi, lo
        if idx == 0:
            while True:
                u, hi, lo = pcg64_next(hi, lo, inc_hi, inc_lo)
                # numpy's 1.0 - U (log1p(-U)) so that log(0) never happens (numpy GH 13361)
                xx = -ziggurat_nor_inv_r * math.log1p(-((u >> _SHIFT11) * _TO_DOUBLE))
                u, hi, lo = pcg64_next(hi, lo, inc_hi, inc_lo)
                yy = -math.log1p(-((u >> _SHIFT11) * _TO_DOUBLE))
                if yy + yy > xx * xx:
                    if (rabs >> 8) & 0x1:
                        return -(ziggurat_nor_r + xx), hi, lo
                    return ziggurat_nor_r + xx, hi, lo
        else:
            u, hi, lo = pcg64_next(hi, lo, inc_hi, inc_lo)
            wedge = fi_double[idx - 1] - fi_double[idx]
            if wedge * ((u >> _SHIFT11) * _TO_DOUBLE) + fi_double[idx] < math.exp(-0.5 * x * x):
                return x, hi, lo
        r, hi, lo = pcg64_next(hi, lo, inc_hi, inc_lo)


@njit(nogil=True, inline="always", _nrt=False)
def standard_normal(hi: int, lo: int, inc_hi: int, inc_lo: int) -> tuple[float, int, int]:
    """One standard normal from the PCG64 state (hi, lo; inc): (z, new hi, new lo), numpy's
    ``Generator.standard_normal`` bit for bit. The common case (99%) is inlined."""
    r, hi, lo = pcg64_next(hi, lo, inc_hi, inc_lo)
    idx = r & 0xFF
    rabs = (r >> 9) & 0x000FFFFFFFFFFFFF
    if rabs < ki_double[idx]:
        # The sign bit by a multiply, not a branch: it is a coin flip, and mispredicting
        # half of them took half the time of a draw. x * -1.0 is -x exactly (x >= 0).
        return rabs * wi_double[idx] * (1.0 - 2.0 * ((r >> 8) & 0x1)), hi, lo
    return _normal_slow(r, hi, lo, inc_hi, inc_lo)


# numpy's SeedSequence (bit_generator.pyx): 32-bit hash constants and its pool of 4 words.
_INIT_A = np.uint64(0x43B0D7E5)
_MULT_A = np.uint64(0x931E8875)
_INIT_B = np.uint64(0x8B51F9DD)
_MULT_B = np.uint64(0x58F38DED)
_MIX_MULT_L = np.uint64(0xCA01F9DD)
_MIX_MULT_R = np.uint64(0x4973F715)
_MASK32 = np.uint64(0xFFFFFFFF)
_XSHIFT = np.uint64(16)
_SHIFT32 = np.uint64(32)
_POOL = 4


@njit(nogil=True, inline="always", _nrt=False)
def _hashmix(value: int, hash_const: int) -> tuple[int, int]:
    """SeedSequence's ``hashmix``: (hashed value, next hash constant), 32-bit words."""
    value ^= hash_const
    hash_const = (hash_const * _MULT_A) & _MASK32
    value = (value * hash_const) & _MASK32
    return value ^ (value >> _XSHIFT), hash_const


@njit(nogil=True, inline="always", _nrt=False)
def _mix(x: int, y: int) -> int:
    result = (_MIX_MULT_L * x - _MIX_MULT_R * y) & _MASK32
    return result ^ (result >> _XSHIFT)


@njit(cache=True, nogil=True)
def seed_states(entropy: np.ndarray, out: np.ndarray) -> None:
    """PCG64 states (k, 4) of ``PCG64(SeedSequence(...))`` from the k rows of assembled
    entropy (k, m) (SeedSequence's 32-bit words, one per uint64): its pool mixing,
    ``generate_state(4, np.uint64)`` and PCG64's seeding (numpy's ``pcg64_set_seed``)."""
    pool = np.empty(_POOL, dtype=np.uint64)
    words = np.empty(2 * _POOL, dtype=np.uint64)
    m = entropy.shape[1]
    for row in range(entropy.shape[0]):
        h = _INIT_A
        for i in range(_POOL):
            pool[i], h = _hashmix(entropy[row, i] if i < m else np.uint64(0), h)
        for i_src in range(_POOL):
            for i_dst in range(_POOL):
                if i_src != i_dst:
                    hashed, h = _hashmix(pool[i_src], h)
                    pool[i_dst] = _mix(pool[i_dst], hashed)
        for i_src in range(_POOL, m):
            for i_dst in range(_POOL):
                hashed, h = _hashmix(entropy[row, i_src], h)
                pool[i_dst] = _mix(pool[i_dst], hashed)
        h = _INIT_B
        for i in range(2 * _POOL):
            value = pool[i % _POOL] ^ h
            h = (h * _MULT_B) & _MASK32
            value = (value * h) & _MASK32
            words[i] = value ^ (value >> _XSHIFT)
        # generate_state's 32-bit words read as little-endian 64-bit ones
        seed_hi, seed_lo = words[0] | (words[1] << _SHIFT32), words[2] | (words[3] << _SHIFT32)
        seq_hi, seq_lo = words[4] | (words[5] << _SHIFT32), words[6] | (words[7] << _SHIFT32)
        # pcg_setseq_128_srandom_r: state 0, inc = seq << 1 | 1, step, state += seed, step
        inc_hi = (seq_hi << np.uint64(1)) | (seq_lo >> np.uint64(63))
        inc_lo = (seq_lo << np.uint64(1)) | np.uint64(1)
        hi, lo = muladd128(np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0), inc_hi, inc_lo)
        hi, lo = muladd128(hi, lo, np.uint64(0), np.uint64(1), seed_hi, seed_lo)
        hi, lo = muladd128(hi, lo, _MULT_HI, _MULT_LO, inc_hi, inc_lo)
        out[row, 0], out[row, 1], out[row, 2], out[row, 3] = hi, lo, inc_hi, inc_lo
