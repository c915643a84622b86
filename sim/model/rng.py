"""One seed path: root seed -> (block, purpose) -> independent Generator.

Paths are simulated in fixed blocks of :data:`BLOCK_PATHS`. Each block and each purpose
("noise", "growth", "param:demand.volatility", ...) gets its own stream derived from the
root seed, so results do not depend on how many workers run the blocks, on the order they
run in, or on which other parameters of the scenario are random (common random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np

BLOCK_PATHS = 4096
"""Paths per block [paths]. Part of the reproducibility contract: changing it changes draws."""


def stream(seed: int, block: int, purpose: str) -> np.random.Generator:
    """Generator for one block of paths and one purpose."""
    key = zlib.crc32(purpose.encode("utf-8"))
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block, key)))
    )


def blocks(paths: int) -> list[tuple[int, int, int]]:
    """Split ``paths`` into ``(block, first_path, n_paths)`` triples."""
    out = []
    for b, first in enumerate(range(0, paths, BLOCK_PATHS)):
        out.append((b, first, min(BLOCK_PATHS, paths - first)))
    return out
