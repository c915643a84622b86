"""Caches of the dashboard, bounded in bytes, and the runs and key numbers they hold.

- :class:`MemoryLRU`: runs (:func:`run_cached`) in this process, shared by every browser
  session, evicted least recently used once their arrays exceed a byte budget.
- :class:`DiskCache`: sweep, frontier, tornado and decision tables in the user's cache
  directory (``platformdirs.user_cache_dir("compute-sim")/dashboard``, never the
  repository), shared across sessions and server restarts, evicted oldest-used first once
  the files exceed a byte budget. Keys hash the scenario (which holds the seed), the path
  count, the kind of table and the package version, so a model change never serves stale
  numbers.

``COMPUTE_SIM_CACHE_DIR`` moves the disk cache; ``COMPUTE_SIM_CACHE_MB`` and
``COMPUTE_SIM_MEMORY_CACHE_MB`` set the budgets [MiB].
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import os
import pickle
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sim.model.engine import run
from sim.model.results import Results
from sim.model.scenario import Scenario
from sim.model.summary import summarize

DISK_BUDGET_BYTES = 256 * 2**20
"""Default size limit of the disk cache [bytes]."""
MEMORY_BUDGET_BYTES = 1024 * 2**20
"""Default size limit of the in-memory run cache [bytes]."""
RECENT_BYTES, RECENT_ITEMS = 64 * 2**20, 32
"""Limits of the values a :class:`DiskCache` keeps in memory [bytes, count]."""


def _env_bytes(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return max(0, int(float(raw) * 2**20))
    except ValueError:
        return default


def cache_dir() -> Path:
    """Root of the on-disk cache (created on first write)."""
    env = os.environ.get("COMPUTE_SIM_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("compute-sim")) / "dashboard"


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the package version and the model and analysis source files: a changed
    model never reads tables computed by the old one."""
    import sim

    root = Path(sim.__file__).resolve().parent
    h = hashlib.sha256(sim.__version__.encode())
    for sub in ("model", "analysis"):
        for path in sorted((root / sub).rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cache_key(kind: str, scenario_json: str, paths: int, *extra: Any) -> str:
    """Hex key of one cached table: kind, scenario (seed included), paths, model code."""
    text = "\x1f".join(map(str, (kind, code_fingerprint(), scenario_json, int(paths), *extra)))
    return hashlib.sha256(text.encode()).hexdigest()


def nbytes(obj: Any, _depth: int = 0) -> int:
    """Approximate memory held by an object's numpy arrays and frames [bytes]."""
    if _depth > 4:
        return 0
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if hasattr(obj, "memory_usage") and hasattr(obj, "columns"):  # DataFrame
        return int(obj.memory_usage(deep=False).sum())
    if isinstance(obj, Mapping):
        return sum(nbytes(v, _depth + 1) for v in obj.values())
    if isinstance(obj, list | tuple):
        return sum(nbytes(v, _depth + 1) for v in obj)
    if hasattr(obj, "__dataclass_fields__"):
        return sum(nbytes(getattr(obj, f), _depth + 1) for f in obj.__dataclass_fields__)
    return 0


class MemoryLRU:
    """Thread-safe LRU of at most ``max_items`` objects whose total :func:`nbytes` stays
    within ``budget``.

    An object larger than the whole budget is not kept (the caller still gets it).
    """

    def __init__(self, budget: int | None = None, max_items: int = 1_000_000) -> None:
        env = _env_bytes("COMPUTE_SIM_MEMORY_CACHE_MB", MEMORY_BUDGET_BYTES)
        self.budget = env if budget is None else budget
        self.max_items = max_items
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.used = 0

    def get(self, key: Any) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Any, value: Any) -> None:
        size = nbytes(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.used -= old[1]
            if size > self.budget:
                return
            self._items[key] = (value, size)
            self.used += size
            while (self.used > self.budget or len(self._items) > self.max_items) and self._items:
                _, (_, s) = self._items.popitem(last=False)
                self.used -= s


class DiskCache:
    """Pickled values in files named by key; total size kept under ``budget`` [bytes].

    Files are written to a temporary name and renamed (a reader never sees half a file);
    a file that cannot be read is treated as a miss and removed. Reads refresh the file's
    modification time, so eviction drops the least recently used first. The values last
    read or written stay in memory (:data:`RECENT_ITEMS`): ten sessions opening the same
    scenario unpickle each table once and share one object (read-only by convention).
    """

    def __init__(self, root: Path | None = None, budget: int | None = None) -> None:
        self.root = cache_dir() if root is None else Path(root)
        env = _env_bytes("COMPUTE_SIM_CACHE_MB", DISK_BUDGET_BYTES)
        self.budget = env if budget is None else budget
        self._lock = threading.Lock()
        self.recent = MemoryLRU(RECENT_BYTES, max_items=RECENT_ITEMS)

    def get(self, key: str) -> Any:
        path = self.root / f"{key}.pkl"
        hit = self.recent.get(key)
        if hit is not None:
            try:  # still on disk (not evicted meanwhile): a read refreshes its age there too
                os.utime(path)
                return hit
            except OSError:
                pass
        try:
            value = pickle.loads(path.read_bytes())  # our own files, in the user's cache dir
        except FileNotFoundError:
            return None
        except Exception:  # truncated or from an incompatible version: drop it
            path.unlink(missing_ok=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        self.recent.put(key, value)
        return value

    def put(self, key: str, value: Any) -> None:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self.recent.put(key, value)
        if len(data) > self.budget:
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = self.root / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, self.root / f"{key}.pkl")
        except OSError:  # a read-only or full disk must not break the dashboard
            return
        self.evict()

    def size(self) -> int:
        """Bytes held by the cache files."""
        return sum(size for _, size, _ in self._files())

    def _files(self) -> list[tuple[Path, int, float]]:
        out = []
        try:
            entries = list(self.root.glob("*.pkl"))
        except OSError:
            return []
        for p in entries:
            try:
                st = p.stat()
            except OSError:
                continue
            out.append((p, st.st_size, st.st_mtime))
        return out

    def evict(self) -> None:
        """Remove least recently used files until the total fits the budget."""
        with self._lock:
            files = sorted(self._files(), key=lambda f: f[2])
            total = sum(size for _, size, _ in files)
            for path, size, _ in files:
                if total <= self.budget:
                    break
                path.unlink(missing_ok=True)
                total -= size
            now = time.time()
            for tmp in self.root.glob(".*.tmp") if self.root.exists() else []:
                with contextlib.suppress(OSError):  # temp files of writers killed mid-write
                    if now - tmp.stat().st_mtime > 3600:
                        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------- runs and key numbers
RUNS = MemoryLRU()
"""Runs of every session, bounded in bytes (``COMPUTE_SIM_MEMORY_CACHE_MB``)."""


def scenario_key(scenario: Scenario) -> str:
    """What a result depends on: the scenario without its name and description (renaming
    a setting recomputes nothing); the seed is part of it."""
    return scenario.model_dump_json(exclude={"name", "description"})


def is_cached(scenario: Scenario, paths: int) -> bool:
    """Whether :func:`run_cached` would answer from memory (no simulation)."""
    return RUNS.get((scenario_key(scenario), int(paths))) is not None


def run_cached(scenario: Scenario, paths: int) -> Results:
    """:func:`sim.run` (2,000 monthly paths) cached by (scenario JSON, paths): revisiting a
    setting is instant.

    The scenario holds the seed, so the key is scenario hash + seed + paths; name and
    description are left out (a renamed setting is the same run, relabelled).
    """
    key = (scenario_key(scenario), int(paths))
    hit = RUNS.get(key)
    if hit is None:
        hit = run(scenario, paths=int(paths), monthly_paths=2000)
        RUNS.put(key, hit)
    elif (hit.scenario.name, hit.scenario.description) != (scenario.name, scenario.description):
        # same numbers, the caller's name and description
        hit = dataclasses.replace(hit, scenario=hit.scenario.model_copy(
            update={"name": scenario.name, "description": scenario.description}))  # fmt: skip
    return hit


_NUMBERS = MemoryLRU(max_items=16)
"""id(results) -> (weak reference to results, key numbers): sessions showing the same run
summarise it once (no run is kept alive for it)."""


def key_numbers(results: Results) -> dict[str, Any]:
    """The headline figures shown as big numbers (computed once per run object; the
    dict is shared: read-only).

    Returns p_bankrupt [0-1] (horizon and run-off) with its 95% CI, the same within the
    horizon only, the final calendar year and its median revenue [USD], the unserved share
    of potential demand [0-1] (with a market, split into what rivals served and what nobody
    served [0-1]) and the median cumulative revenue [USD].
    """
    hit = _NUMBERS.get(id(results))
    if hit is not None and hit[0]() is results:
        return hit[1]
    s = summarize(results)
    last = s["by_year"][-1]
    numbers = {
        "p_bankrupt": s["p_bankrupt"],
        "p_bankrupt_ci95": tuple(s["p_bankrupt_ci95"]),
        "p_bankrupt_in_horizon": s["p_bankrupt_in_horizon"],
        "runoff_months": s["runoff_months"],
        "final_year": last["year"],
        "revenue_final_year_p50": last["revenue_p50"],
        "unserved_share": s["unserved_share_of_demand"],
        # with a market: the unserved share split (None without one)
        "lost_to_rivals_share": s.get("lost_to_rivals_share"),
        "unserved_by_market_share": s.get("unserved_by_market_share"),
        "cum_revenue_p50": s["cum_revenue_p50"],
        "paths": s["paths"],
        "seed": results.scenario.simulation.seed,
        "gw_by_delivery_year": s.get("gw_by_delivery_year", {}),
        "commitment_usd_by_year": s.get("commitment_usd_by_year", {}),
    }
    _NUMBERS.put(id(results), (weakref.ref(results), numbers))
    return numbers
