"""Caches of the dashboard, bounded in bytes: runs in memory, tables on disk (shared across
sessions and restarts). ``COMPUTE_SIM_CACHE_DIR`` moves the disk cache;
``COMPUTE_SIM_CACHE_MB`` and ``COMPUTE_SIM_MEMORY_CACHE_MB`` set the budgets [MiB]."""

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
import platformdirs

import sim
from sim.model.engine import run
from sim.model.results import Results
from sim.model.scenario import Scenario
from sim.model.summary import summarize

DISK_BUDGET_BYTES = 256 * 2**20  # default size limit of the disk cache [bytes]
MEMORY_BUDGET_BYTES = 1024 * 2**20  # default size limit of the in-memory run cache [bytes]
RECENT_BYTES, RECENT_ITEMS = 64 * 2**20, 32  # values a DiskCache keeps in memory [bytes, count]


def env_number(name: str, default: int, unit: int = 1) -> int:
    """``$name`` x ``unit`` as a count (at least 0); ``default`` when unset or not a number."""
    raw = os.environ.get(name)
    try:
        return max(0, int(float(raw) * unit)) if raw else default
    except ValueError:
        return default


def cache_dir() -> Path:
    """Root of the on-disk cache (in the user's cache directory, never the repository)."""
    env = os.environ.get("COMPUTE_SIM_CACHE_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir("compute-sim")) / "dashboard"


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the version and model/analysis sources: a new model never reads old tables."""
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
        obj = list(obj.values())
    elif hasattr(obj, "__dataclass_fields__"):
        obj = [getattr(obj, f) for f in obj.__dataclass_fields__]
    return sum(nbytes(v, _depth + 1) for v in obj) if isinstance(obj, list | tuple) else 0


class MemoryLRU:
    """Thread-safe LRU of at most ``max_items`` objects and ``budget`` [bytes] of :func:`nbytes`."""

    def __init__(self, budget: int | None = None, max_items: int = 1_000_000) -> None:
        env = env_number("COMPUTE_SIM_MEMORY_CACHE_MB", MEMORY_BUDGET_BYTES, 2**20)
        self.budget = env if budget is None else budget
        self.max_items = max_items
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.used = 0

    def get(self, key: Any) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return None if item is None else item[0]

    def put(self, key: Any, value: Any) -> None:
        size = nbytes(value)
        with self._lock:
            self.used -= self._items.pop(key, (None, 0))[1]  # a value replaced
            if size > self.budget:
                return
            self._items[key] = (value, size)
            self.used += size
            while (self.used > self.budget or len(self._items) > self.max_items) and self._items:
                _, (_, s) = self._items.popitem(last=False)
                self.used -= s


class DiskCache:
    """Pickled values in files named by key, least recently used evicted beyond ``budget``
    [bytes]; atomic writes, unreadable files dropped, recent values shared in memory."""

    def __init__(self, root: Path | None = None, budget: int | None = None) -> None:
        self.root = cache_dir() if root is None else Path(root)
        env = env_number("COMPUTE_SIM_CACHE_MB", DISK_BUDGET_BYTES, 2**20)
        self.budget = env if budget is None else budget
        self._lock = threading.Lock()
        self.recent = MemoryLRU(RECENT_BYTES, max_items=RECENT_ITEMS)

    def get(self, key: str) -> Any:
        path = self.root / f"{key}.pkl"
        hit = self.recent.get(key)
        with contextlib.suppress(OSError):  # if still on disk: a read refreshes its age there
            if hit is not None:
                os.utime(path)
                return hit
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

    def evict(self) -> None:
        """Remove least recently used files until the total fits the budget."""
        with self._lock:
            files: list[tuple[float, int, Path]] = []  # (last used, bytes, path)
            with contextlib.suppress(OSError):
                for p in list(self.root.glob("*.pkl")):
                    with contextlib.suppress(OSError):
                        st = p.stat()
                        files.append((st.st_mtime, st.st_size, p))
            files.sort(key=lambda f: f[0])
            total = sum(size for _, size, _ in files)
            for _, size, path in files:
                if total <= self.budget:
                    break
                path.unlink(missing_ok=True)
                total -= size
            for tmp in self.root.glob(".*.tmp") if self.root.exists() else []:
                with contextlib.suppress(OSError):  # temp files of writers killed mid-write
                    if time.time() - tmp.stat().st_mtime > 3600:
                        tmp.unlink(missing_ok=True)


RUNS = MemoryLRU()  # runs of every session (COMPUTE_SIM_MEMORY_CACHE_MB)
_NUMBERS = MemoryLRU(max_items=16)  # id(results) -> (weak ref to results, key numbers)


def scenario_key(scenario: Scenario) -> str:
    """What a result depends on: the scenario (seed included) without name and description."""
    return scenario.model_dump_json(exclude={"name", "description"})


def is_cached(scenario: Scenario, paths: int) -> bool:
    """Whether :func:`run_cached` would answer from memory (no simulation)."""
    return RUNS.get((scenario_key(scenario), int(paths))) is not None


def run_cached(scenario: Scenario, paths: int) -> Results:
    """:func:`sim.run` cached by :func:`scenario_key` and paths (a hit gets the caller's name)."""
    key = (scenario_key(scenario), int(paths))
    if (hit := RUNS.get(key)) is None:
        hit = run(scenario, paths=int(paths), monthly_paths=2000)
        RUNS.put(key, hit)
    elif (hit.scenario.name, hit.scenario.description) != (scenario.name, scenario.description):
        hit = dataclasses.replace(hit, scenario=hit.scenario.model_copy(
            update={"name": scenario.name, "description": scenario.description}))  # fmt: skip
    return hit


def key_numbers(results: Results) -> dict[str, Any]:
    """The key numbers of a run, once per run object (shared: read-only): P(bankrupt) [0-1],
    final-year and cumulative median revenue [USD], unserved share [0-1]."""
    if (hit := _NUMBERS.get(id(results))) is not None and hit[0]() is results:
        return hit[1]
    s = summarize(results)
    last = s["by_year"][-1]
    numbers = {
        **{k: s[k] for k in ("p_bankrupt", "p_bankrupt_in_horizon", "runoff_months",
                             "cum_revenue_p50", "paths")},
        **{k: s.get(k) for k in ("lost_to_rivals_share", "unserved_by_market_share")},
        "p_bankrupt_ci95": tuple(s["p_bankrupt_ci95"]),
        "final_year": last["year"],
        "revenue_final_year_p50": last["revenue_p50"],
        "unserved_share": s["unserved_share_of_demand"],
    }  # fmt: skip
    _NUMBERS.put(id(results), (weakref.ref(results), numbers))
    return numbers
