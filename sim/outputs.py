"""Writing outputs as one unit: a crash, Ctrl-C or SIGTERM never leaves a half-written
file or a mix of two runs' files; bad output paths are refused before any work."""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import OutputPathError
from sim.model.store import remove_dead_scratch

MANIFEST = "manifest.json"
"""Written last into every output directory: the command, the files (with sizes) and the
package version. A directory without it, or with files it does not list, is not one
complete output; readers should trust only what a manifest lists."""

KNOWN_OUTPUTS = frozenset({
    MANIFEST, "summary.json", "by_year.csv", "by_year.parquet", "runoff_by_year.csv",
    "paths.csv", "paths.parquet", "yearly_by_path.parquet", "report.html", "report.md",
    "figures", "compare.csv", "compare.json", "sweep.parquet", "sweep.csv",
    "frontier.parquet", "frontier.csv", "evaluations.csv", "tornado.csv", "tornado.parquet",
    "sobol.csv", "sobol.parquet", "slip.json", "slip_effect.csv",
})  # fmt: skip
"""Names compute-sim writes into an output directory (any command, any version)."""

_FS_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EFBIG,
              errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ENOENT, errno.EIO}  # fmt: skip

committed: list[Path] = []
"""Output directories completed in this process (the CLI's interrupt message uses it)."""


def _note(msg: str) -> None:
    print(f"note: {msg}", file=sys.stderr)


def clean_leftovers(directory: Path, prefixes: tuple[str, ...], say: bool = True) -> list[Path]:
    """Remove scratch directories ``PREFIX<pid>-*`` in ``directory`` whose process is gone
    (a run killed by SIGKILL or a power cut); returns those removed."""
    removed = remove_dead_scratch(directory, prefixes)
    if removed and say:
        plural = "directory" if len(removed) == 1 else "directories"
        names = ", ".join(p.name for p in removed)
        _note(f"removed {len(removed)} scratch {plural} left in {directory} by an interrupted run: {names}")  # fmt: skip
    return removed


def _fail(out: Path, why: str) -> OutputPathError:
    return OutputPathError(f"output directory {out}: {why}")


def _os_reason(exc: OSError) -> str:
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    return f"{exc.strerror or exc}{where}"


@contextlib.contextmanager
def _deferred_signals() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while the outputs are moved into place; re-raise after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    sigs = [signal.SIGINT, signal.SIGTERM]
    old = {sig: signal.signal(sig, lambda n, _f: got.append(n)) for sig in sigs}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        if got:
            raise KeyboardInterrupt


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False
    where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False  # a file system without the flag: fall back to two renames
    raise OSError(err, os.strerror(err), str(b))


def _read_manifest(out: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), list) else None


def _top(names: list[str]) -> set[str]:
    return {n.split("/", 1)[0] for n in names}


def _first_untraversable(path: Path) -> Path | None:
    """The topmost existing ancestor of ``path`` that the user may not enter (no x bit)."""
    for parent in reversed(path.parents):
        try:
            if parent.is_dir() and not os.access(parent, os.X_OK):
                return parent
        except OSError:
            return parent
    return None


class OutputDir:
    """An output directory written as one unit (see :func:`atomic_output_dir`)."""

    def __init__(self, out_dir: str | Path, command: str, need_bytes: int = 0) -> None:
        self.out = out = Path(os.path.realpath(out_dir))
        self.command = command
        self.created: Path | None = None  # topmost parent directory this run created
        self.tmp: Path | None = None
        try:
            if out.exists() and not out.is_dir():
                raise _fail(out, "exists and is not a directory; choose another --out")
            if out.is_dir() and not os.access(out, os.W_OK | os.X_OK):
                raise _fail(out, "not writable (permission denied)")
            missing = []
            probe = out.parent
            while not probe.exists():
                missing.append(probe)
                probe = probe.parent
            if not probe.is_dir():
                raise _fail(out, f"{probe} is a file, not a directory")
        except OSError as exc:  # a parent the user may not enter: stat() itself fails
            blocked = _first_untraversable(out)
            where = f"cannot enter {blocked}" if blocked else "cannot look at it"
            raise _fail(out, f"{where}: {_os_reason(exc)}; choose another --out") from None
        self.created = missing[-1] if missing else None  # set first: an interrupt may come
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            clean_leftovers(out.parent, (f".{out.name}.tmp-", f".{out.name}.old-"))
            prefix = f".{out.name}.tmp-{os.getpid()}-"
            self.tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=out.parent))
        except OSError as exc:
            self._remove_created()
            raise _fail(out, f"cannot write there: {_os_reason(exc)}") from None
        except BaseException:  # Ctrl-C or SIGTERM while setting up: leave nothing behind
            self.discard()
            self._remove_created()
            raise
        if need_bytes:
            free = shutil.disk_usage(out.parent).free
            if need_bytes > free:
                self.discard()
                raise _fail(
                    out,
                    f"needs about {need_bytes / 1e9:,.1f} GB of disk, {free / 1e9:,.1f} GB "
                    "free there; choose another --out or fewer paths or formats",
                )

    def _remove_created(self) -> None:
        """Remove the parent directories this run created, if they are (still) empty."""
        if self.created is None:
            return
        path = self.out.parent
        while True:
            try:
                path.rmdir()
            except OSError:
                break
            if path == self.created:
                break
            path = path.parent
        self.created = None

    def discard(self) -> None:
        """Remove the scratch directory (and parents this run created, if nothing landed)."""
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
            if not self.out.exists():
                self._remove_created()

    def _manifest(self, tmp: Path) -> list[str]:
        from sim import __version__

        files = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        manifest = {
            "command": self.command,
            "package_version": __version__,
            "complete": True,
            "files": [{"name": f, "bytes": (tmp / f).stat().st_size} for f in files],
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        return [*files, MANIFEST]

    def commit(self) -> None:
        """Put the scratch directory's files in place as one unit; say what it replaced."""
        assert self.tmp is not None
        tmp, out = self.tmp, self.out
        with _deferred_signals():
            new = self._manifest(tmp)
            if not out.exists():
                os.rename(tmp, out)
                self.tmp = None
                committed.append(out)
                return
            old = _read_manifest(out)
            entries = {e.name for e in os.scandir(out)}
            ours = (_top([str(f.get("name")) for f in old["files"]]) | {MANIFEST}) if old else set(KNOWN_OUTPUTS)  # fmt: skip
            foreign = sorted(entries - ours)
            stale = sorted((entries & ours) - _top(new))
            if not foreign:
                self._swap()
            else:
                self._merge(new, set(stale) if old else set())
            committed.append(out)
        if stale and (old or not foreign):
            _note(f"removed {len(stale)} output(s) of an earlier run from {out}: {', '.join(stale)}")  # fmt: skip
        elif stale:
            _note(
                f"{out} also holds {', '.join(stale)}, not written by this run (no manifest "
                "says which run wrote them): they may be outputs of an earlier run"
            )

    def _swap(self) -> None:
        tmp, out = self.tmp, self.out
        assert tmp is not None
        if _exchange(tmp, out):  # tmp now holds the earlier outputs
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            aside = tmp.with_name(tmp.name.replace(".tmp-", ".old-", 1))
            os.rename(out, aside)
            os.rename(tmp, out)
            shutil.rmtree(aside, ignore_errors=True)
        self.tmp = None

    def _merge(self, new: list[str], stale: set[str]) -> None:
        """``out`` holds files of others: move ours in file by file. The old manifest goes
        first and the new one last, so no manifest ever lists a mixed set."""
        tmp, out = self.tmp, self.out
        assert tmp is not None
        (out / MANIFEST).unlink(missing_ok=True)
        for name in stale:
            target = out / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink()
        for name in new:
            if name != MANIFEST:
                (out / name).parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp / name, out / name)
        os.replace(tmp / MANIFEST, out / MANIFEST)
        shutil.rmtree(tmp, ignore_errors=True)
        self.tmp = None


@contextlib.contextmanager
def atomic_output_dir(
    out_dir: str | Path, command: str = "run", need_bytes: int = 0
) -> Iterator[Path]:
    """Check ``out_dir`` now and yield a fresh scratch directory beside it; on success the
    scratch directory becomes ``out_dir`` as one unit. Wrap the whole computation in it.

    Entering checks the path (an existing file, a parent that is a file, no permission, a
    read-only or pseudo file system such as /proc, less free disk than ``need_bytes``) and
    raises :class:`sim.errors.OutputPathError` (exit 2) before any work; it also removes
    scratch directories that killed runs left beside ``out_dir``. On success
    :data:`MANIFEST` is written last and the scratch directory replaces ``out_dir`` by an
    atomic exchange of the two directories (a missing ``out_dir``: one rename); outputs of
    an earlier run that this run does not write go with it, and a note on stderr says so.
    When ``out_dir`` also holds files compute-sim did not write, those stay: the new files
    are moved in one by one, and the manifest, removed first and written last, marks the
    set complete. Ctrl-C and SIGTERM are held while files move. On any exception,
    KeyboardInterrupt included, the scratch directory is removed and ``out_dir`` is left
    as it was.
    """
    target = OutputDir(out_dir, command, need_bytes)
    try:
        assert target.tmp is not None
        yield target.tmp
        try:
            target.commit()
        except OSError as exc:
            if exc.errno in _FS_ERRNOS:
                raise _fail(target.out, f"cannot write there: {_os_reason(exc)}") from None
            raise
    except OSError as exc:  # while writing into the scratch directory
        scratch = str(target.tmp or "\0")
        if exc.errno in _FS_ERRNOS and scratch in str(exc.filename or ""):
            raise _fail(target.out, f"cannot write there: {exc.strerror}") from None
        raise
    finally:
        target.discard()


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def json_safe(data: Any) -> Any:
    """``data`` with every non-finite number (NaN: an undefined statistic; inf) as ``None``,
    numpy scalars and arrays as plain Python: what :func:`write_json` writes."""
    if isinstance(data, dict):
        return {k: json_safe(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [json_safe(v) for v in data]
    if isinstance(data, np.ndarray):
        return json_safe(data.tolist())
    if isinstance(data, np.generic):
        data = data.item()
    if isinstance(data, float) and not math.isfinite(data):
        return None
    return data


def finite_frame(df: Any) -> Any:
    """A DataFrame with +-inf as NaN, which Parquet stores as null and CSV as empty."""
    numeric = df.select_dtypes("number").columns
    if len(numeric) == 0:
        return df
    out = df.copy()
    out[numeric] = out[numeric].where(np.isfinite(out[numeric].astype(float)))
    return out


def write_json(path: Path, data: Any) -> None:
    """Write strict JSON: undefined statistics (NaN) and any non-finite number as null."""
    text = json.dumps(json_safe(data), indent=2, default=_json_default, allow_nan=False)
    path.write_text(text + "\n")


def usd(x: float) -> str:
    """Human-readable dollars with 3 significant digits: 1.23e10 -> '$12.3B', 999.6e9 -> '$1T'."""
    if x != x:
        return "n/a"
    sign = "-" if x < 0 else ""
    x = float(f"{abs(x):.3g}")  # round first, so 999.6e9 becomes 1e12 and picks the T unit
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
        if x >= scale:
            return (
                f"{sign}${x / scale:,.3g}{unit}"
                if x < 1000 * 1e12
                else f"{sign}${x / scale:,.0f}{unit}"
            )
    return f"{sign}${x:,.0f}"
