"""Writing run outputs atomically: a crash or Ctrl-C never leaves a half-written file."""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np


@contextlib.contextmanager
def atomic_output_dir(out_dir: str | Path) -> Iterator[Path]:
    """Yield a scratch directory; on success move its files into ``out_dir``.

    Each file lands with ``os.replace`` (atomic on POSIX); on any exception, including
    KeyboardInterrupt, the scratch directory is removed and ``out_dir`` is left untouched.
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
        out.mkdir(parents=True, exist_ok=True)
        for src in sorted(tmp.rglob("*")):
            dst = out / src.relative_to(tmp)
            if src.is_dir():
                dst.mkdir(parents=True, exist_ok=True)
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
