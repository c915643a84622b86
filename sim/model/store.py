"""Per-path outputs of large runs, streamed to disk instead of held in memory.

A run of more than :data:`SPILL_PATHS` paths appends each block's per-path outcomes and
draws (``path``), per-path calendar-year aggregates (``yearly``) and run-off aggregates
(``runoff``) to one raw binary file per column (per column and year for
per-year aggregates) in a scratch directory, in path order, so memory stays O(block). :class:`DiskColumns` reads one column back on demand (exactly its
size in memory: the summaries need one statistic at a time), and :func:`write_parquet`
turns a store into the Parquet output files chunk by chunk.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

SPILL_PATHS = 100_000
"""Runs with more paths than this stream per-path outputs to disk [paths]."""
CHUNK_PATHS = 65_536
"""Paths per row group when a spilled store is written as Parquet or CSV [paths]."""


class DiskColumns(Mapping[str, np.ndarray]):
    """Columns of a spilled store, each read from its file when accessed (the last two are
    kept). ``width`` values per path (years) turn a column into shape (paths, width)."""

    def __init__(self, directory: Path, dtypes: dict[str, np.dtype], width: int = 0) -> None:
        self.dir, self.dtypes, self.width = Path(directory), dict(dtypes), width
        self._cache: dict[str, np.ndarray] = {}

    def subset(self, names: list[str]) -> DiskColumns:
        return DiskColumns(self.dir, {k: self.dtypes[k] for k in names}, self.width)

    def read(self, name: str, first: int = 0, count: int = -1) -> np.ndarray:
        """Rows ``[first, first + count)`` of a column (all by default), uncached; shape
        (rows,), or (rows, width) for per-year columns."""
        if not self.width:
            return self._file(f"{name}.bin", name, first, count)
        return np.column_stack(
            [self._file(f"{name}.{j}.bin", name, first, count) for j in range(self.width)]
        )

    def year(self, name: str, j: int) -> np.ndarray:
        """Column ``j`` (the ``j``-th year) of a per-year column, shape (paths,)."""
        return self._file(f"{name}.{j}.bin", name, 0, -1)

    def _file(self, file: str, name: str, first: int, count: int) -> np.ndarray:
        dtype = self.dtypes[name]
        return np.fromfile(self.dir / file, dtype=dtype, count=count,
                           offset=first * dtype.itemsize)  # fmt: skip

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.dtypes:
            raise KeyError(name)
        if name not in self._cache:
            if len(self._cache) >= 2:
                self._cache.pop(next(iter(self._cache)))
            self._cache[name] = self.read(name)
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.dtypes)

    def __len__(self) -> int:
        return len(self.dtypes)

    def rows(self) -> int:
        """Paths in the store."""
        name = next(iter(self.dtypes))
        file = f"{name}.0.bin" if self.width else f"{name}.bin"
        return (self.dir / file).stat().st_size // self.dtypes[name].itemsize


SPILL_PREFIX = "sim-spill-"
"""Scratch directories are named ``sim-spill-<pid>-XXXX`` in the temporary directory."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_dead_scratch(parent: Path, prefixes: tuple[str, ...]) -> list[Path]:
    """Remove scratch directories ``PREFIX<pid>-*`` in ``parent`` whose process is gone (runs
    killed by SIGKILL or a power cut leave them behind; they can be large); the removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        for prefix in prefixes:
            pid = entry.name[len(prefix) :].split("-", 1)[0]
            if not entry.name.startswith(prefix) or not pid.isdigit():
                continue
            if int(pid) != os.getpid() and not _pid_alive(int(pid)):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
    return removed


def remove_stale_spills(parent: Path) -> list[Path]:
    """Remove spill directories of processes that no longer exist."""
    return remove_dead_scratch(parent, (SPILL_PREFIX,))


class SpillWriter:
    """Appends blocks, in path order, to one file per column and kind of store."""

    def __init__(self, directory: Path | None = None) -> None:
        parent = Path(directory or tempfile.gettempdir())
        remove_stale_spills(parent)
        prefix = f"{SPILL_PREFIX}{os.getpid()}-"
        self.dir = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        self.dtypes: dict[str, dict[str, np.dtype]] = {}
        self.widths: dict[str, int] = {}
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.dir, True)

    def write(self, kind: str, columns: dict[str, np.ndarray], width: int = 0) -> None:
        """Append one block's columns: (paths,) arrays, or (paths, width) with ``width``."""
        folder = self.dir / kind
        if kind not in self.dtypes:
            folder.mkdir()
            self.dtypes[kind] = {k: np.asarray(v).dtype for k, v in columns.items()}
            self.widths[kind] = width
        for name, values in columns.items():
            values = np.asarray(values, dtype=self.dtypes[kind][name])
            # per-year columns: one file per year, so a year reads back as one (paths,) array
            parts = [(f"{name}.{j}.bin", values[:, j]) for j in range(width)] if width else [
                (f"{name}.bin", values)
            ]  # fmt: skip
            for file, part in parts:
                with open(folder / file, "ab") as fh:
                    np.ascontiguousarray(part).tofile(fh)

    def close(self) -> dict[str, DiskColumns]:
        """A lazy column store per kind written."""
        return {k: DiskColumns(self.dir / k, self.dtypes[k], self.widths[k]) for k in self.dtypes}

    def keep_alive(self, owner: object) -> None:
        """Delete the scratch directory when ``owner`` (the Results) is garbage collected."""
        self._finalizer.detach()
        weakref.finalize(owner, shutil.rmtree, self.dir, True)


def arrow_column(values: np.ndarray):  # type: ignore[no-untyped-def]
    """A pyarrow array with NaN and +-inf as null: an undefined statistic (a training share
    in a year without capacity, a margin without revenue) is missing, not a number."""
    import pyarrow as pa

    values = np.asarray(values)
    if values.dtype.kind == "f":
        bad = ~np.isfinite(values)
        if bad.any():
            return pa.array(values, mask=bad)
    return pa.array(values)


PARQUET_OPTIONS = {"use_dictionary": False}
"""How the per-path tables are written to Parquet: plain encoding, no dictionary. Their
columns are mostly floats that rarely repeat, so pyarrow's dictionary attempt only cost
time: paths.parquet and yearly_by_path.parquet of 10,000 paths wrote in 0.065 s instead of
0.140 s, and came out smaller (7.3 MB instead of 8.4 MB). Readers see the same table."""


def write_table(
    stores: list[DiskColumns],
    dst: Path,
    fmt: str,
    index_years: np.ndarray | None = None,
) -> None:
    """Write the columns of ``stores`` (same paths, same width) as one Parquet or CSV file,
    ``CHUNK_PATHS`` paths at a time: a ``path`` column first, then ``year`` for per-year
    stores (``index_years``, tidy: one row per path and year)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    total = stores[0].rows()
    writer = None
    try:
        for first in range(0, total, CHUNK_PATHS):
            count = min(CHUNK_PATHS, total - first)
            paths = np.arange(first, first + count)
            cols: dict[str, np.ndarray] = {}
            if index_years is not None:
                cols["path"] = np.repeat(paths, len(index_years))
                cols["year"] = np.tile(index_years, count)
            else:
                cols["path"] = paths
            for store in stores:
                for name in store:
                    cols[name] = store.read(name, first, count).reshape(-1)
            table = pa.table({k: arrow_column(v) for k, v in cols.items()})
            if writer is None:
                writer = (pq.ParquetWriter(dst, table.schema, **PARQUET_OPTIONS) if fmt == "parquet"
                          else pacsv.CSVWriter(dst, table.schema))  # fmt: skip
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
