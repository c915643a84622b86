"""The fused Monte Carlo kernel: one small jitted function per part of the model.

DOMAIN.md's parts, one module each, all working on one path at a time:

- :mod:`.demand`       potential demand (persistent growth, diffusion lag, ceiling, noise)
- :mod:`.procurement`  the contract book, supply cap, purchase policies and orders
- :mod:`.allocation`   inference first up to its cap, training gets the rest
- :mod:`.economics`    revenue served and the month's costs
- :mod:`.finance`      raises and bankruptcy
- :mod:`.competition`  training compute against rivals' moves the lab's demand
- :mod:`.market`       shared market demand, rivals, rationed supply, prices that clear
- :mod:`.signing`      the contracts a month signs: opening book, tranches, deals, orders
- :mod:`.records`      what the loop writes: monthly records, yearly and per-path outputs
- :mod:`.paths`        the month loop over a range of a block's paths

Randomness is drawn up front (:mod:`sim.model.sampling`) and passed in; paths never read
each other's state and nothing is summed across paths inside the parallel loop, so results
do not depend on the number of threads (:mod:`sim.model.workers` runs disjoint ranges of
paths on threads; each kernel has one compiled variant). :mod:`.layout` names the columns
of the packed arrays. Compiled code is cached on disk (``cache=True``);
``python -m sim warmup`` compiles it ahead (:mod:`sim.model.warmup`).

The helpers are compiled without numba's reference counting (``_nrt=False``): each array
they were passed cost two atomic updates per call (~7% of the month loop's time); they
never allocate an array (numba refuses to compile that) nor return one (tested). Only the
kernels that allocate (the month loop, the demand block) keep it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def drop_stale_cache(directory: Path) -> bool:
    """Delete numba's cached machine code in ``directory/__pycache__`` when any kernel source
    changed since it was written; return whether it did.

    Numba keys a cached function by its own file only: after an edit to ``finance.py``, the
    cached ``paths.simulate_paths`` would still run the old inlined ``growing``. A digest of
    every source in the package, kept beside the cache, catches that. Unwritable installs
    are left alone (numba then caches elsewhere or not at all).
    """
    sources = sorted(directory.glob("*.py"))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()
    cache = directory / "__pycache__"
    stamp = cache / "kernel-sources.sha256"
    try:
        if stamp.read_text() == digest:
            return False
    except OSError:
        pass
    try:
        cache.mkdir(exist_ok=True)
        for stale in (*cache.glob("*.nbi"), *cache.glob("*.nbc")):
            stale.unlink(missing_ok=True)
        tmp = cache / f".{stamp.name}.{os.getpid()}"
        tmp.write_text(digest)
        os.replace(tmp, stamp)  # atomic: a concurrent worker never reads half a digest
    except OSError:
        return False
    return True


def cache_is_cold(directory: Path | None = None) -> bool:
    """Whether the month loop has no machine code cached yet while the cache is writable:
    the next run compiles it (~7 s on 2 cores, once per install or kernel edit)."""
    cache = (Path(__file__).parent if directory is None else directory) / "__pycache__"
    if any(cache.glob("paths.simulate_path*-*.nbi")):  # the month loop (path or paths)
        return False
    return os.access(cache if cache.exists() else cache.parent, os.W_OK)


drop_stale_cache(Path(__file__).parent)
