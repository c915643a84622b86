"""Results of a run: yearly aggregates for every path, monthly records for a prefix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .rng import BLOCK_PATHS
from .store import DiskColumns, SpillWriter, write_table

if TYPE_CHECKING:
    import pandas as pd

    from .scenario import Scenario

YEAR_SUMS = (
    "revenue", "demand", "unserved", "compute_cost", "other_cost", "fixed_cost", "raised",
    "sublease_revenue", "interest", "refused_gw", "termination_fees", "borrowed", "repaid",
)  # fmt: skip
YEAR_ENDS = ("capacity_gw", "cash", "alive", "debt")
YEAR_MEANS = ("capacity_gw", "training_gw", "inference_gw", "idle_gw")


def calendar_years(scenario: Scenario, months: int | None = None, first: int = 0) -> np.ndarray:
    """Calendar year of the simulated months ``first .. first + months - 1`` (default: the
    horizon's), shape (months,)."""
    year, month = map(int, scenario.simulation.start.split("-"))
    count = scenario.months if months is None else months
    return year + (month - 1 + first + np.arange(count)) // 12


def aggregate_years(out: dict[str, np.ndarray], start: str) -> dict[str, np.ndarray]:
    """Calendar-year aggregates of monthly records, each shape (n, years).

    Flows are summed [USD in the year] (``demand`` is converted from a run-rate to USD),
    stocks are taken at the last month of the year, GW are also averaged over the year
    (``*_mean``), and ``training_share`` is the mean over months with capacity of
    training GW / capacity GW (NaN when no capacity was online); ``gross_margin`` is the
    realized inference margin, 1 - (inference GW x average price of GW online) / revenue
    (NaN without revenue).
    """
    months = out["revenue"].shape[1]
    year, month = map(int, start.split("-"))
    cal = year + (month - 1 + np.arange(months)) // 12
    _, first = np.unique(cal, return_index=True)
    last = np.append(first[1:], months) - 1
    counts = np.diff(np.append(first, months))
    yearly: dict[str, np.ndarray] = {}
    for name in YEAR_SUMS:
        scale = 1.0 / 12.0 if name == "demand" else 1.0
        yearly[name] = np.add.reduceat(out[name], first, axis=1) * scale
    for name in YEAR_ENDS:
        yearly[name + ("_end" if name in ("capacity_gw", "debt") else "")] = out[name][:, last]
    for name in YEAR_MEANS:
        yearly[name + "_mean"] = np.add.reduceat(out[name], first, axis=1) / counts
    cap = out["capacity_gw"]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(cap > 0, out["training_gw"] / cap, np.nan)
        online = np.add.reduceat(cap > 0, first, axis=1)
        yearly["training_share"] = np.add.reduceat(np.nan_to_num(share), first, axis=1) / online
        # realized inference gross margin: revenue vs the compute cost of inference GW
        unit_cost = np.where(cap > 0, out["compute_cost"] / cap, 0.0)
        inference_cost = np.add.reduceat(out["inference_gw"] * unit_cost, first, axis=1)
        yearly["gross_margin"] = np.where(
            yearly["revenue"] > 0, 1.0 - inference_cost / yearly["revenue"], np.nan
        )
    yearly["profit"] = (
        yearly["revenue"] + yearly["sublease_revenue"]
        - (yearly["compute_cost"] + yearly["other_cost"] + yearly["fixed_cost"])
        - (yearly["interest"] + yearly["termination_fees"])
    )  # fmt: skip
    return yearly


@dataclass(frozen=True)
class BlockResult:
    """Outputs of one block: yearly aggregates, per-path values, optional monthly records."""

    block: int
    yearly: dict[str, np.ndarray]
    path: dict[str, np.ndarray]
    monthly: dict[str, np.ndarray] | None
    params: dict[str, np.ndarray] | None = None
    """Sampled per-path parameters of the paths with monthly records."""
    runoff_yearly: dict[str, np.ndarray] | None = None
    """Calendar-year aggregates of the run-off months (revenue, compute cost, GW, cash, alive)."""
    runoff_monthly: dict[str, np.ndarray] | None = None
    """Monthly records of the run-off months for the paths with monthly records."""
    truncation: dict[str, np.ndarray] | None = None
    """Per fixed tranche: ``gw_sum`` GW cut by the supply cap summed over the block's paths
    and ``paths_cut`` how many of its paths were cut, shape (tranches,)."""
    draws: dict[str, np.ndarray] | None = None
    """Sampled per-path parameters of every path of the block, keyed by dotted name."""
    commitments: dict[str, np.ndarray] | None = None
    """``new_gw`` [GW] and ``new_commitment_usd`` [USD] of new take-or-pay by calendar year
    the capacity comes online, shape (paths, calendar years from the start year)."""


@dataclass(frozen=True)
class Results:
    """Outcome of :func:`sim.model.engine.run`."""

    scenario: Scenario
    """The scenario as run (with any path/seed overrides applied)."""
    years: np.ndarray
    """Calendar years covered, shape (years,)."""
    yearly: Mapping[str, np.ndarray]
    """Calendar-year aggregates for every path, shape (paths, years); see aggregate_years."""
    path: Mapping[str, np.ndarray]
    """Per-path outcomes, shape (paths,): bankrupt_month (-1 = never), equity_value [USD], ..."""
    monthly: dict[str, np.ndarray]
    """Monthly records of the first ``monthly_paths`` paths, shape (m, months)."""
    elapsed_s: float
    """Wall-clock time of the run [s]."""
    params: dict[str, np.ndarray] = field(default_factory=dict)
    """Sampled per-path parameters of the paths with monthly records, shape (m,)."""
    runoff_count: int = 0
    """Months simulated after the horizon (run-off) [months]."""
    runoff_years: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    """Calendar years the run-off touches, shape (runoff years,)."""
    runoff_yearly: Mapping[str, np.ndarray] = field(default_factory=dict)
    """Run-off calendar-year aggregates for every path, shape (paths, runoff years)."""
    runoff_monthly: dict[str, np.ndarray] = field(default_factory=dict)
    """Run-off monthly records of the first ``monthly_paths`` paths, shape (m, runoff)."""
    truncation: dict[str, np.ndarray] = field(default_factory=dict)
    """Per fixed tranche, cut by the supply cap: ``gw_sum`` [GW summed over paths] and
    ``paths_cut`` [paths], shape (tranches,)."""
    draws: Mapping[str, np.ndarray] = field(default_factory=dict)
    """Sampled per-path parameters of every path, keyed by dotted name, shape (paths,)."""
    commitments: Mapping[str, np.ndarray] = field(default_factory=dict)
    """New contracts by calendar year of delivery (``commitment_years``): ``new_gw`` [GW] and
    ``new_commitment_usd`` (nominal take-or-pay value) [USD], shape (paths, years); contracts
    signed before the start are not included."""
    commitment_years: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    """Calendar year of each column of ``commitments``."""
    spill_dir: Path | None = None
    """Where a large run streamed its per-path Parquet files (None: all in memory); the
    mappings above then read columns from them on demand (:mod:`sim.model.store`)."""
    conditioning: dict | None = None
    """With actuals: ``as_of``, ``ess``, ``candidates`` and ``warnings`` of the update the
    run is the posterior of (:mod:`sim.model.condition`); None for a plain run."""

    @classmethod
    def from_blocks(
        cls,
        scenario: Scenario,
        parts: list[BlockResult],
        cal: np.ndarray,
        elapsed_s: float,
        total_months: int | None = None,
    ) -> Results:
        """Assemble block outputs (in block order) into one Results."""
        acc = Accumulator(scenario.simulation.paths)
        for part in parts:
            acc.add(part)
        return acc.finish(scenario, cal, elapsed_s, total_months)

    @property
    def paths(self) -> int:
        return self.scenario.simulation.paths

    # pandas is imported only when a table or chart asks for these (a json run never does)
    @cached_property
    def months(self) -> pd.PeriodIndex:
        """Calendar month of each step of the horizon."""
        import pandas as pd

        return pd.period_range(self.scenario.simulation.start, periods=self.horizon_months,
                               freq="M")  # fmt: skip

    @cached_property
    def runoff_months(self) -> pd.PeriodIndex | None:
        """Calendar month of each run-off step (after the horizon), or None without run-off."""
        if not self.runoff_count:
            return None
        import pandas as pd

        start = pd.Period(self.scenario.simulation.start, freq="M") + self.horizon_months
        return pd.period_range(start, periods=self.runoff_count, freq="M")

    @property
    def horizon_months(self) -> int:
        """Decision horizon [months]."""
        return self.scenario.months

    @property
    def total_months(self) -> int:
        """Months simulated: horizon plus run-off [months]."""
        return self.horizon_months + self.runoff_count

    @property
    def bankrupt(self) -> np.ndarray:
        """Whether each path goes bankrupt, in the horizon or in run-off, shape (paths,)."""
        return self.path["bankrupt_month"] >= 0

    @property
    def bankrupt_in_horizon(self) -> np.ndarray:
        """Whether each path goes bankrupt within the decision horizon, shape (paths,)."""
        bm = self.path["bankrupt_month"]
        return (bm >= 0) & (bm < self.horizon_months)

    def p_bankrupt_by_month(self, runoff: bool = False) -> np.ndarray:
        """Cumulative probability of bankruptcy at the end of each month, shape (months,):
        the horizon's months, or horizon and run-off months with ``runoff=True``."""
        bm = self.path["bankrupt_month"]
        months = self.total_months if runoff else self.horizon_months
        counts = np.bincount(bm[(bm >= 0) & (bm < months)], minlength=months)
        return np.cumsum(counts) / self.paths

    def monthly_all(self, name: str) -> np.ndarray:
        """Monthly record over horizon and run-off, shape (m, total_months)."""
        if not self.runoff_monthly:
            return self.monthly[name]
        return np.concatenate([self.monthly[name], self.runoff_monthly[name]], axis=1)

    def monthly_frame(
        self, name: str, quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)
    ) -> pd.DataFrame:
        """Quantiles across paths of a monthly record, one row per month."""
        import pandas as pd

        arr = self.monthly[name]
        q = np.quantile(arr, quantiles, axis=0)
        return pd.DataFrame(
            {f"p{round(x * 100)}": q[i] for i, x in enumerate(quantiles)},
            index=self.months.to_timestamp(),
        )

    def path_frame(self) -> pd.DataFrame:
        """Per-path outcomes and sampled parameters (dotted names), one row per path."""
        import pandas as pd

        data = {"path": np.arange(self.paths), **self.path, **self.draws}
        return pd.DataFrame(data)

    def yearly_frame(self) -> pd.DataFrame:
        """Tidy per-path, per-year table (path, year, variable columns)."""
        import pandas as pd

        return pd.DataFrame(tidy_years(np.arange(self.paths), self.years, self.yearly))

    def write_paths(self, dst: Path, fmt: str = "parquet") -> None:
        """Write :meth:`path_frame` (``fmt`` parquet or csv); spilled runs stream it."""
        if isinstance(self.path, DiskColumns) and isinstance(self.draws, DiskColumns):
            write_table([self.path, self.draws], dst, fmt)
        else:
            _write_arrow({"path": np.arange(self.paths), **self.path, **self.draws}, dst, fmt)

    def write_yearly(self, dst: Path) -> None:
        """Write :meth:`yearly_frame` as Parquet; spilled runs stream it."""
        if isinstance(self.yearly, DiskColumns):
            write_table([self.yearly], dst, "parquet", index_years=self.years)
        else:
            _write_arrow(tidy_years(np.arange(self.paths), self.years, self.yearly), dst, "parquet")


def _write_arrow(columns: Mapping[str, np.ndarray], dst: Path, fmt: str) -> None:
    """Columns to Parquet or CSV with pyarrow (several times faster than through pandas)."""
    import pyarrow as pa

    from .store import PARQUET_OPTIONS, arrow_column

    table = pa.table({k: arrow_column(v) for k, v in columns.items()})
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, dst, **PARQUET_OPTIONS)
    else:
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, dst)


def tidy_years(
    path_index: np.ndarray, years: np.ndarray, stats: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Columns of a tidy (path, year) table from (paths, years) arrays, path-major."""
    n, ny = len(path_index), len(years)
    data = {"path": np.repeat(path_index, ny), "year": np.tile(years, n)}
    data.update({k: np.asarray(v).reshape(-1) for k, v in stats.items()})
    return data


class Accumulator:
    """Collects block outputs: preallocated arrays (one copy in memory), or, for large
    runs, Parquet files written block by block in path order (:mod:`sim.model.store`)."""

    def __init__(
        self,
        paths: int,
        spill: bool = False,
        years: np.ndarray | None = None,
        runoff_years: np.ndarray | None = None,
        spill_parent: Path | None = None,
    ) -> None:
        self.paths = paths
        self.yearly: dict[str, np.ndarray] = {}
        self.path: dict[str, np.ndarray] = {}
        self.draws: dict[str, np.ndarray] = {}
        self.monthly: dict[int, dict[str, np.ndarray]] = {}
        self.params: dict[int, dict[str, np.ndarray]] = {}
        self.runoff_yearly: dict[str, np.ndarray] = {}
        self.runoff_monthly: dict[int, dict[str, np.ndarray]] = {}
        self.truncation: dict[str, np.ndarray] = {}
        self.commitments: dict[str, np.ndarray] = {}
        self.years = years
        self.runoff_years = runoff_years
        self.spill = SpillWriter(spill_parent) if spill else None
        self._pending: dict[int, BlockResult] = {}
        self._next = 0
        self._aggregates: tuple[np.ndarray, np.ndarray] | None = None
        self._in_place: set[str] = set()

    def write_in_place(
        self, yearly: Sequence[str], runoff: Sequence[str], years: int, runoff_years: int
    ) -> None:
        """Hold the ``yearly`` and ``runoff`` aggregates of every path in two arrays that the
        blocks' kernels write themselves (:meth:`aggregates_of`): :meth:`add` then copies
        nothing of them. Shapes (fields, paths, years), rows of arrays with one spare path
        (:func:`aggregate_arrays`)."""
        arrays = (aggregate_arrays(len(yearly), self.paths, years),
                  aggregate_arrays(len(runoff), self.paths, runoff_years))  # fmt: skip
        self._aggregates = arrays
        for store, names, array in zip((self.yearly, self.runoff_yearly), (yearly, runoff),
                                       arrays, strict=True):  # fmt: skip
            for j, name in enumerate(names):
                store[name] = array[j]
                self._in_place.add(name)

    def aggregates_of(self, first: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows of paths ``first .. first + n - 1`` of the in-place aggregates."""
        assert self._aggregates is not None, "write_in_place first"
        yearly, runoff = self._aggregates
        return yearly[:, first : first + n], runoff[:, first : first + n]

    def add(self, part: BlockResult) -> None:
        if part.monthly is not None:
            self.monthly[part.block] = part.monthly
        if part.params is not None:
            self.params[part.block] = part.params
        if part.runoff_monthly is not None:
            self.runoff_monthly[part.block] = part.runoff_monthly
        if part.truncation is not None:
            for k, v in part.truncation.items():
                self.truncation[k] = self.truncation.get(k, 0) + v
        if self.spill is not None:
            self._pending[part.block] = part
            while self._next in self._pending:  # blocks may finish out of order
                self._write(self._pending.pop(self._next))
                self._next += 1
            return
        first = part.block * BLOCK_PATHS
        stores = [(self.yearly, part.yearly), (self.path, part.path)]
        if part.runoff_yearly is not None:
            stores.append((self.runoff_yearly, part.runoff_yearly))
        if part.draws is not None:
            stores.append((self.draws, part.draws))
        if part.commitments is not None:
            stores.append((self.commitments, part.commitments))
        owners = [a.base for a in self._aggregates or ()]
        for store, src in stores:
            for k, v in src.items():
                if k in self._in_place and any(v.base is owner for owner in owners):
                    continue  # the kernel wrote it there (write_in_place), not replaced since
                if k not in store and len(v) == self.paths:  # one block holds every path:
                    store[k] = v  # keep its fresh array (a copy cost ~1 ms per sweep cell)
                    continue
                if k not in store:
                    store[k] = np.empty((self.paths, *v.shape[1:]), dtype=v.dtype)
                store[k][first : first + len(v)] = v

    def _write(self, part: BlockResult) -> None:
        assert self.spill is not None
        assert self.years is not None
        self.spill.write("path", part.path)
        self.spill.write("draws", part.draws or {})
        self.spill.write("yearly", part.yearly, width=len(self.years))
        if part.runoff_yearly is not None and self.runoff_years is not None:
            self.spill.write("runoff", part.runoff_yearly, width=len(self.runoff_years))
        if part.commitments is not None:
            width = next(iter(part.commitments.values())).shape[1]
            self.spill.write("commitments", part.commitments, width=width)

    def finish(
        self,
        scenario: Scenario,
        cal: np.ndarray,
        elapsed_s: float,
        total_months: int | None = None,
    ) -> Results:
        def cat(parts: dict[int, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
            ordered = [parts[b] for b in sorted(parts)]
            if len(ordered) == 1:  # the usual case (monthly records of the first block only)
                return dict(ordered[0])
            return (
                {k: np.concatenate([p[k] for p in ordered]) for k in ordered[0]} if ordered else {}
            )

        runoff = (total_months or scenario.months) - scenario.months
        yearly, path, runoff_yearly, draws, commitments = (
            self.yearly, self.path, self.runoff_yearly, self.draws, self.commitments,
        )  # fmt: skip
        spill_dir = None
        if self.spill is not None:
            stores = self.spill.close()
            yearly, path, draws = stores["yearly"], stores["path"], stores["draws"]
            runoff_yearly = stores.get("runoff", {})
            commitments = stores.get("commitments", {})
            spill_dir = self.spill.dir
        results = Results(
            scenario=scenario,
            years=np.unique(cal),
            yearly=yearly,
            path=path,
            monthly=cat(self.monthly),
            elapsed_s=elapsed_s,
            params=cat(self.params),
            runoff_count=runoff,
            runoff_years=(
                np.unique(calendar_years(scenario, runoff, scenario.months))
                if runoff
                else np.zeros(0, dtype=int)
            ),
            runoff_yearly=runoff_yearly,
            runoff_monthly=cat(self.runoff_monthly),
            truncation=self.truncation,
            draws=draws,
            commitments=commitments,
            commitment_years=int(scenario.simulation.start[:4])
            + np.arange(
                next(iter(commitments.values())).shape[1]
                if commitments and not isinstance(commitments, DiskColumns)
                else getattr(commitments, "width", 0)
            ),
            spill_dir=spill_dir,
        )
        if self.spill is not None:
            self.spill.keep_alive(results)
        return results


def aggregate_arrays(fields: int, paths: int, years: int, fill: float = 0.0) -> np.ndarray:
    """A (fields, paths, years) array of ``fill`` for the month loop's yearly or run-off
    aggregates: always a strided view (one spare path row), never a contiguous array, so
    the loop compiles once for a block's own arrays and for rows of a whole run's (an
    empty one, with no years, numpy flags contiguous all the same: see :func:`loop_view`)."""
    shape = (fields, paths + 1, years)
    return (np.zeros(shape) if fill == 0 else np.full(shape, fill))[:, :paths]


def loop_view(aggregates: np.ndarray) -> np.ndarray:
    """``aggregates`` as the month loop takes them: a strided array. A run without run-off
    years has (fields, paths, 0) run-off aggregates, which numpy flags contiguous (as every
    empty array) and numba would compile a second loop for; the loop writes nothing of
    them, so it gets a strided stand-in with one year."""
    if aggregates.size:
        return aggregates
    return aggregate_arrays(aggregates.shape[0], max(aggregates.shape[1], 1), 1)


def accumulator(scenario: Scenario, months: int, spill: bool) -> Accumulator:
    """An empty :class:`Accumulator` for the scenario's paths over ``months`` months."""
    year, month = map(int, scenario.simulation.start.split("-"))
    cal = year + (month - 1 + np.arange(months)) // 12
    return Accumulator(
        scenario.simulation.paths, spill=spill, years=np.unique(cal[: scenario.months]),
        runoff_years=np.unique(cal[scenario.months :]) if months > scenario.months else None,
    )  # fmt: skip
