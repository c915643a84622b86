"""Resource budgets: memory, work and disk of a command, estimated before it runs.

A run that would not fit is refused with exit code 2 and a message naming the flag that
raises the budget, instead of dying hours later of an out-of-memory error or a full disk.
The estimates are deliberately on the safe side; they are calibrated on measured peaks
(``/usr/bin/time``, 2 cores): base scenario 2,000 paths 387 MB, 300,000 paths (spilled to
disk) 393 MB, 1,000,000 paths ~440 MB; a 50-year horizon 2,000 paths 445 MB, 50,000 paths
973 MB.

* **work** = paths x simulated months (horizon + run-off, :func:`sim.model.timeline.total_months`)
  summed over every run of a command; the default budget :data:`DEFAULT_MAX_PATH_MONTHS`
  is a few minutes on one machine (``--max-path-months`` raises it; ``--scheduler`` spreads
  it over the cluster's worker threads);
* **memory** of the process (:func:`run_memory`): interpreter and libraries, the monthly
  records kept for charts, the blocks in flight, and per path either all its yearly
  aggregates (runs of up to 100,000 paths) or ~80 bytes (larger runs stream per-path
  outputs to disk); default budget :func:`default_max_memory` (``--max-memory``);
* **disk** for the per-path scratch store of runs above 100,000 paths, checked against the
  free space of the temporary directory (``TMPDIR``).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass

from sim.errors import BadInputError

DEFAULT_MAX_PATH_MONTHS = 5.0e9
"""Default work budget of one command [path-months]: ~5-8 minutes on 2 cores."""
PATH_MONTHS_PER_SECOND = 1.2e7
"""Rough engine throughput on 2 cores [path-months/s] (``python -m sim bench``), used
only to say how long a refused run would take."""
DEFAULT_MAX_CELLS = 10_000
"""Default most cells of one sweep [cells] (``--max-cells``)."""
MAX_DEFAULT_MEMORY = 8 << 30
"""Upper end of the default memory budget [bytes] (8 GiB)."""
BASE_BYTES = 420 << 20
"""Interpreter, numpy/numba/pandas/pyarrow and the compiled kernels [bytes]."""
SPILLED_BYTES_PER_PATH = 80
"""Memory per path of a run spilled to disk: the summaries read one column at a time [B]."""
MONTHLY_PATHS = 2000
"""Paths whose month-by-month records are kept for charts [paths] (engine default)."""
_BLOCK = 4096
_YEARLY, _RUNOFF, _PATH = 17, 5, 14  # values per path and year / run-off year / path


def default_max_memory() -> int:
    """Half the machine's memory, at most :data:`MAX_DEFAULT_MEMORY` [bytes]."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return MAX_DEFAULT_MEMORY
    return int(min(MAX_DEFAULT_MEMORY, total // 2))


def parse_size(text: str) -> int:
    """Bytes from ``"8G"``, ``"500M"``, ``"2.5GB"``, ``"1e9"`` (binary units)."""
    m = re.fullmatch(r"\s*([0-9.]+(?:e[+-]?[0-9]+)?)\s*([kmgt]?)i?b?\s*", str(text).lower())
    if not m:
        raise BadInputError(f"--max-memory: expected a size such as 8G or 500M, got {text!r}")
    value = float(m.group(1)) * 1024 ** "_kmgt".index(m.group(2) or "_")
    if not math.isfinite(value) or value <= 0:
        raise BadInputError(f"--max-memory: expected a positive size, got {text!r}")
    return int(value)


def parse_count(text: str, flag: str) -> float:
    """A positive count from ``"5e9"`` or ``"20000000000"``."""
    try:
        value = float(str(text).replace("_", "").replace(",", ""))
    except ValueError:
        raise BadInputError(f"{flag}: expected a number such as 2e10, got {text!r}") from None
    if not math.isfinite(value) or value < 1:
        raise BadInputError(f"{flag}: expected a positive number, got {text!r}")
    return value


def _gb(n: float) -> str:
    return f"{n / (1 << 30):,.1f} GiB"


@dataclass(frozen=True)
class RunSize:
    """Estimated size of one engine run."""

    paths: int
    months: int  # horizon + run-off
    memory: int  # peak bytes of the process
    scratch_disk: int  # bytes of the on-disk per-path store (0 when held in memory)
    output_bytes: int  # bytes of per-path output files (paths.*, yearly_by_path.parquet)

    @property
    def work(self) -> int:
        return self.paths * self.months


def run_size(scenario: object, paths: int | None = None, threads: int = 2) -> RunSize:
    """Memory, disk and work of ``sim.model.engine.run(scenario, paths)`` (estimates)."""
    from sim.model.scenario import numeric_fields
    from sim.model.store import SPILL_PATHS
    from sim.model.timeline import total_months

    paths = int(paths if paths is not None else scenario.simulation.paths)  # type: ignore[attr-defined]
    months = total_months(scenario)  # type: ignore[arg-type]
    horizon = scenario.months  # type: ignore[attr-defined]
    years_h = math.ceil(horizon / 12) + 1
    years_r = math.ceil(max(0, months - horizon) / 12) + 1
    per_path = 8 * (_YEARLY * years_h + _RUNOFF * years_r + _PATH + len(numeric_fields(scenario)) + 2)  # fmt: skip
    spilled = paths > SPILL_PATHS
    memory = BASE_BYTES
    memory += min(paths, MONTHLY_PATHS) * months * 14 * 8  # monthly records for charts
    memory += min(paths, 2 * max(1, threads) * _BLOCK) * months * 16  # blocks in flight
    memory += paths * (SPILLED_BYTES_PER_PATH if spilled else int(1.5 * per_path))
    return RunSize(paths, months, memory, per_path * paths if spilled else 0, per_path * paths)


def check_budget(
    runs: list[RunSize],
    *,
    max_memory: int | None = None,
    max_path_months: float | None = None,
    spread: int = 1,
    parallel_memory: int = 1,
    what: str = "this run",
) -> None:
    """Refuse (:class:`BadInputError`, exit 2) work above ``max_path_months`` x ``spread`` or a
    peak memory above ``max_memory`` (``parallel_memory`` runs at once on this machine), or
    a scratch store larger than the temporary directory's free space."""
    max_memory = default_max_memory() if max_memory is None else max_memory
    max_work = DEFAULT_MAX_PATH_MONTHS if max_path_months is None else max_path_months
    work = sum(r.work for r in runs)
    if work > max_work * spread:
        minutes = work / spread / PATH_MONTHS_PER_SECOND / 60
        biggest = max(runs, key=lambda r: r.work)
        detail = (f"{biggest.paths:,} paths x {biggest.months:,} months" if len(runs) == 1
                  else f"{len(runs):,} runs, the largest {biggest.paths:,} paths x "
                  f"{biggest.months:,} months")  # fmt: skip
        raise BadInputError(
            f"{what} is {work:.3g} path-months ({detail}), above the budget of "
            f"{max_work * spread:.3g} (roughly {minutes:,.0f} minutes at "
            f"~{PATH_MONTHS_PER_SECOND:.2g} path-months/s); use fewer paths, or pass "
            f"--max-path-months {work / spread:.2g} to run it anyway"
        )
    peak = max(r.memory for r in runs)
    if parallel_memory > 1:
        peak = BASE_BYTES + parallel_memory * (peak - BASE_BYTES // 2)
    if peak > max_memory:
        raise BadInputError(
            f"{what} needs about {_gb(peak)} of memory, above the budget of {_gb(max_memory)}; "
            f"use fewer paths, or pass --max-memory {math.ceil(peak / (1 << 30))}G to run it "
            "anyway"
        )
    scratch = max(r.scratch_disk for r in runs)
    if scratch:
        tmp = tempfile.gettempdir()
        try:
            free = shutil.disk_usage(tmp).free
        except OSError as exc:
            raise BadInputError(f"temporary directory {tmp}: {exc.strerror or exc}") from None
        if scratch > free:
            raise BadInputError(
                f"{what} streams about {_gb(scratch)} of per-path outputs to the temporary "
                f"directory {tmp}, which has {_gb(free)} free; use fewer paths or set TMPDIR "
                "to a larger disk"
            )


def count_cells(lengths: list[int]) -> int:
    """Cells of a full grid: the product of the axis lengths (exact, however large)."""
    return math.prod(lengths)
