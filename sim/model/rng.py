"""One seed path: root seed -> (block, purpose) -> independent Generator.

Paths are simulated in fixed blocks of :data:`BLOCK_PATHS`. Each block and each purpose
("noise", "growth", "param:demand.volatility", ...) gets its own stream derived from the
root seed, so results do not depend on how many workers run the blocks, on the order they
run in, or on which other parameters of the scenario are random (common random numbers).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

BLOCK_PATHS = 4096
"""Paths per block [paths]. Part of the reproducibility contract: changing it changes draws."""


_MASK64 = 2**64 - 1
SEED_POOL = 4
"""Words in numpy's SeedSequence pool (its default ``pool_size``) [-]."""


def stream(seed: int, block: int, purpose: str) -> np.random.Generator:
    """Generator for one block of paths and one purpose."""
    key = zlib.crc32(purpose.encode("utf-8"))
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block, key)))
    )


def _words(n: int) -> list[int]:
    """A non-negative integer as SeedSequence's little-endian 32-bit words (0 is one word)."""
    if n < 0:
        raise ValueError(f"seed and block must be non-negative, got {n}")
    words = [] if n else [0]
    while n:
        words.append(n & 0xFFFFFFFF)
        n >>= 32
    return words


def pcg64_states(seed: int, block: int, purposes: Sequence[str]) -> np.ndarray:
    """The PCG64 states :func:`stream` starts from, one row (state hi, state lo, inc hi,
    inc lo) [uint64] per purpose, for :mod:`sim.model.kernel.pcg`: the same numbers without
    building the SeedSequence, PCG64 and Generator objects (~16 us a stream)."""
    from .jit import prepare

    prepare()  # before the first kernel loads (see sim.model.jit)
    from .kernel.pcg import seed_states

    run = _words(seed)
    run += [0] * (SEED_POOL - len(run))  # SeedSequence pads the seed to its pool before a spawn key
    head = run + _words(block)
    entropy = np.array([head + _words(zlib.crc32(p.encode("utf-8"))) for p in purposes],
                       dtype=np.uint64).reshape(len(purposes), -1)  # fmt: skip
    states = np.empty((len(purposes), 4), dtype=np.uint64)
    seed_states(entropy, states)
    return states


def generator_state(gen: np.random.Generator) -> np.ndarray:
    """The 4-word PCG64 state [uint64] of a PCG64 ``gen`` (what :mod:`.kernel.pcg` reads)."""
    bits = gen.bit_generator.state
    if bits["bit_generator"] != "PCG64":
        raise TypeError(f"a PCG64 generator is needed, not {bits['bit_generator']}")
    state, inc = bits["state"]["state"], bits["state"]["inc"]
    return np.array([state >> 64, state & _MASK64, inc >> 64, inc & _MASK64], dtype=np.uint64)


def blocks(paths: int) -> list[tuple[int, int, int]]:
    """Split ``paths`` into ``(block, first_path, n_paths)`` triples."""
    out = []
    for b, first in enumerate(range(0, paths, BLOCK_PATHS)):
        out.append((b, first, min(BLOCK_PATHS, paths - first)))
    return out
