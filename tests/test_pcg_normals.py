"""The inlined PCG64 and ziggurat (sim/model/kernel/pcg.py) against numpy itself: seeding,
every branch of the ziggurat, the state left behind, and the sampling functions using them."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from numba.np.random._constants import (
    fi_double,
    ki_double,
    wi_double,
    ziggurat_nor_inv_r,
    ziggurat_nor_r,
)

from sim.model.kernel.draws import fill_normals, fill_uniforms, fill_year_normals
from sim.model.rng import generator_state, pcg64_states, stream
from sim.model.sampling import _growth_normals, _noise, _uniform_rows, shared_draws

MASK52 = 0x000FFFFFFFFFFFFF


def _bits(a: np.ndarray) -> list[int]:
    return np.ascontiguousarray(a).view(np.int64).ravel().tolist()


@pytest.mark.parametrize("seed", [0, 1, 2026, 2**32 - 1, 2**32, 2**64 + 5, 2**130 + 77])
def test_seed_states_are_pcg64_of_the_seed_sequence(seed):
    """pcg64_states (SeedSequence's hashing and PCG64's seeding in numba) gives the state of
    stream(seed, block, purpose)'s generator, for seeds and blocks of one and more 32-bit
    words (pool padding, multi-word spawn keys) and purposes whose crc32 is anything."""
    purposes = ["noise:0", "growth:11", "", "ns/noise:3", "param:demand.volatility"]
    for block in (0, 1, 7, 2**32 - 1, 2**32 + 3):
        states = pcg64_states(seed, block, purposes)
        for row, purpose in zip(states, purposes, strict=True):
            want = stream(seed, block, purpose) if block < 2**32 else np.random.Generator(
                np.random.PCG64(np.random.SeedSequence(
                    seed, spawn_key=(block, zlib.crc32(purpose.encode()))))
            )  # fmt: skip
            assert row.tolist() == generator_state(want).tolist(), (seed, block, purpose)


def test_negative_seed_is_refused_like_numpy():
    with pytest.raises(ValueError, match="non-negative"):
        np.random.SeedSequence(-1)
    with pytest.raises(ValueError, match="non-negative"):
        pcg64_states(-1, 0, ["noise:0"])


def _reference_normals(words: np.ndarray, n: int) -> tuple[np.ndarray, int, dict[str, int]]:
    """numpy's ``random_standard_normal`` written again in Python over raw PCG64 words: the
    first ``n`` normals, the words they used, and how often each branch ran. Single-word
    draws (99%) are done at once with numpy; the rest word by word."""
    idx = (words & 0xFF).astype(np.intp)
    rabs = (words >> 9) & MASK52
    quick = rabs < ki_double[idx]
    quick_x = np.where((words >> 8) & 1 == 1, -1.0, 1.0) * (rabs.astype(float) * wi_double[idx])
    slow = np.flatnonzero(~quick)
    hits = {"tail": 0, "tail retry": 0, "wedge accept": 0, "wedge reject": 0}
    out = np.empty(n)
    k = pos = 0
    while k < n:
        stop = int(slow[np.searchsorted(slow, pos)])
        m = min(stop - pos, n - k)
        out[k : k + m] = quick_x[pos : pos + m]
        k, pos = k + m, pos + m
        if k == n:
            break
        while True:  # one draw starting with a slow word
            r = int(words[pos])
            pos += 1
            i, ra = r & 0xFF, (r >> 9) & MASK52
            x = -(ra * wi_double[i]) if (r >> 8) & 1 else ra * wi_double[i]
            if ra < ki_double[i]:
                break
            if i == 0:
                hits["tail"] += 1
                while True:
                    xx = -ziggurat_nor_inv_r * math.log1p(-(int(words[pos]) >> 11) * 2.0**-53)
                    yy = -math.log1p(-(int(words[pos + 1]) >> 11) * 2.0**-53)
                    pos += 2
                    if yy + yy > xx * xx:
                        break
                    hits["tail retry"] += 1
                x = -(ziggurat_nor_r + xx) if (ra >> 8) & 1 else ziggurat_nor_r + xx
                break
            u = (int(words[pos]) >> 11) * 2.0**-53
            pos += 1
            if (fi_double[i - 1] - fi_double[i]) * u + fi_double[i] < math.exp(-0.5 * x * x):
                hits["wedge accept"] += 1
                break
            hits["wedge reject"] += 1
        out[k] = x
        k += 1
    return out, pos, hits


@pytest.mark.parametrize("seed", [3, 2026])
def test_long_fill_is_numpys_through_every_branch(seed):
    """3 million normals: bit for bit numpy's, and the state after them is numpy's. A
    Python rewrite of numpy's ziggurat over the same raw words (agreeing with numpy) counts
    the branches those draws took: the tail (idx 0, |z| > r), its retry loop, and the
    wedge's accepted and rejected tests all ran (seen: ~750, ~50, ~24,000 and ~20,000
    times), so each of the kernel's branches produced numpy's bits here."""
    n = 3_000_000
    seq = np.random.SeedSequence(seed, spawn_key=(1, 99))
    numpy_gen = np.random.Generator(np.random.PCG64(seq))
    state = generator_state(numpy_gen)
    mine = np.empty(n)
    fill_normals(state, mine)
    theirs = numpy_gen.standard_normal(n)
    assert _bits(mine) == _bits(theirs)
    assert state.tolist() == generator_state(numpy_gen).tolist()

    words = np.random.PCG64(seq).random_raw(n + n // 20)
    again, used, hits = _reference_normals(words, n)
    assert _bits(again) == _bits(theirs)
    assert min(hits.values()) > 0, hits
    assert hits["tail"] == int(np.sum(np.abs(theirs) > ziggurat_nor_r))  # only the tail gets there
    bits = np.random.PCG64(seq)
    bits.advance(int(used))  # the kernel consumed exactly the words numpy did
    assert state.tolist() == generator_state(np.random.Generator(bits)).tolist()


@pytest.mark.parametrize("months", [36, 31, 25])
def test_year_blocks_keep_numpys_c_order_and_states(months):
    """fill_year_normals: year y's generator draws an (n, 12) C-order block for columns
    12y..12y+11 (a partial last year drawn whole, its first columns stored); each state
    ends where numpy's generator does after n * 12 draws, whatever is stored."""
    gens = [np.random.default_rng(s) for s in (11, 12, 13)]
    states = np.stack([generator_state(g) for g in gens])
    out = np.full((5000, months), np.nan)
    fill_year_normals(states, out)
    want = np.hstack([g.standard_normal((5000, 12)) for g in gens])[:, :months]
    assert _bits(out) == _bits(want)
    assert states.tolist() == [generator_state(g).tolist() for g in gens]


def test_generator_state_reads_pcg64_only():
    with pytest.raises(TypeError, match="PCG64"):
        generator_state(np.random.Generator(np.random.MT19937(1)))


@pytest.mark.parametrize(("seed", "block", "namespace", "n", "months"),
                         [(2026, 0, "", 4096, 138), (7, 2, "v1/", 1808, 17), (1, 5, "", 3, 12)])  # fmt: skip
def test_sampling_draws_are_the_streams_normals(seed, block, namespace, n, months):
    """_noise and _growth_normals give exactly the normals of the stream() generators they
    stand for: one per year, a year's (n, 12) block in C order (a partial last year drawn
    whole, stored in part), growth one (n,) vector per year."""
    years = -(-months // 12)
    noise = _noise(seed, block, namespace, n, months)
    want = np.hstack([stream(seed, block, f"{namespace}noise:{y}").standard_normal((n, 12))
                      for y in range(years)])[:, :months]  # fmt: skip
    assert noise.shape == (n, months)
    assert _bits(noise) == _bits(want)
    growth = _growth_normals(seed, block, namespace, n, years)
    want = np.stack([stream(seed, block, f"{namespace}growth:{y}").standard_normal(n)
                     for y in range(years)])  # fmt: skip
    assert _bits(growth) == _bits(want)


def test_uniform_fill_is_numpys_random_and_leaves_its_state():
    """fill_uniforms: row k is gen.random(n) of stream k, bit for bit, in [0, 1), and each
    state ends where numpy's does."""
    gens = [np.random.default_rng(s) for s in (5, 6, 7, 8)]
    states = np.stack([generator_state(g) for g in gens])
    out = np.full((4, 100_003), np.nan)
    fill_uniforms(states, out)
    want = np.stack([g.random(100_003) for g in gens])
    assert _bits(out) == _bits(want)
    assert states.tolist() == [generator_state(g).tolist() for g in gens]
    assert float(np.min(out)) >= 0.0
    assert float(np.max(out)) < 1.0


@pytest.mark.parametrize(("namespace", "n"), [("", 4096), ("pilot/", 17)])
def test_uniform_rows_are_the_streams_uniforms_shared_or_not(namespace, n):
    """_uniform_rows gives stream(seed, block, namespace + purpose).random(n) per purpose;
    inside shared_draws a second request reuses what is kept and draws only what is
    missing, with the same numbers."""
    key = (2026, 3, namespace, n, 60)
    purposes = ["param:demand.volatility", "slip:0", "slip:1"]
    plain = _uniform_rows(key, purposes)
    for p in purposes:
        assert _bits(plain[p]) == _bits(stream(2026, 3, namespace + p).random(n))
    with shared_draws():
        first = _uniform_rows(key, purposes[:2])
        second = _uniform_rows(key, purposes)
        assert second[purposes[0]] is first[purposes[0]]  # kept, not drawn again
        assert not second[purposes[2]].flags.writeable  # shared: read-only
        for p in purposes:
            assert _bits(second[p]) == _bits(plain[p])
