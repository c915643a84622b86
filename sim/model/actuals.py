"""Actuals: the lab's observed monthly numbers, the evidence the update conditions on.

A scenario's ``actuals:`` section is a list of ``{month, revenue_run_rate, gw_online?,
gross_margin?}``, or ``{file: PATH.csv}`` (read by :func:`read_actuals_csv`, path relative to
the scenario file), or a mapping ``{points: [...] | file: ..., noise: {...}, oversample,
min_ess}`` that also sets the observation noise and the size of the update. Validation is
strict (file, line and field named); the model itself is in :mod:`sim.model.condition`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, PrivateAttr, model_validator

from sim.errors import ScenarioError, short_repr
from sim.strict import Number, StrictModel, WholeNumber

MAX_ACTUALS = 10_000
"""Most actuals one scenario may carry [rows]."""
MAX_CSV_BYTES = 1 << 20
"""Largest actuals CSV [bytes]: the same limit as a YAML scenario (``MAX_YAML_BYTES``)."""
CSV_COLUMNS = ("month", "revenue_run_rate", "gw_online", "gross_margin")
"""Columns an actuals CSV may have; ``month`` and ``revenue_run_rate`` are required."""
DEFAULT_REVENUE_SIGMA = 0.10
"""Default log-scale noise of an observed revenue run-rate [-]: a run-rate is a short
window scaled up (one lab's is the last 28 days x 13), so a month's figure can sit ~10% off
the underlying rate."""
DEFAULT_GW_SIGMA = 0.10
"""Default log-scale noise of an observed GW online [-] (estimates from power filings)."""
DEFAULT_MARGIN_SD = 0.05
"""Default noise of an observed gross margin [share, absolute]."""
DEFAULT_MIN_ESS = 200.0
"""Effective sample size below which the update warns [paths]: the P5/P95 of fewer
independent paths are estimated to several percentile points."""

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_MAX_USD_RATE = 1.0e30


def _month(value: Any) -> str:
    text = value if isinstance(value, str) else None
    m = _MONTH_RE.match(text) if text is not None else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"expected a month 'YYYY-MM' such as 2026-01, got {short_repr(value)}")
    return text  # type: ignore[return-value]


class Actual(StrictModel):
    """One observed month."""

    month: Annotated[str, Field(description="'YYYY-MM'")]
    revenue_run_rate: Number = Field(
        gt=0.0, le=_MAX_USD_RATE, description="served revenue, annualized, in the month [USD/yr]"
    )
    gw_online: Number | None = Field(None, ge=0.0, le=1.0e5, description="GW online [GW]")
    gross_margin: Number | None = Field(
        None, gt=-1.0, lt=1.0, description="realized inference gross margin [share]"
    )

    @model_validator(mode="before")
    @classmethod
    def _check_month(cls, data: Any) -> Any:
        if isinstance(data, dict) and "month" in data:
            data = {**data, "month": _month(data["month"])}
        return data


class ObservationNoise(StrictModel):
    """Noise of each observed field around the model's value."""

    revenue_run_rate: Number = Field(
        DEFAULT_REVENUE_SIGMA, gt=0.0, le=5.0, description="lognormal sigma [-]"
    )
    gw_online: Number = Field(DEFAULT_GW_SIGMA, gt=0.0, le=5.0, description="lognormal sigma")
    gross_margin: Number = Field(DEFAULT_MARGIN_SD, gt=0.0, le=2.0, description="normal sd")


class Actuals(StrictModel):
    """Observed months and how the update uses them."""

    points: tuple[Actual, ...] = Field(min_length=1, max_length=MAX_ACTUALS)
    noise: ObservationNoise = Field(default_factory=ObservationNoise)
    source: str = Field("", max_length=1000, description="file the points were read from")
    oversample: WholeNumber = Field(
        8, ge=1, le=100, description="prior candidates per posterior path [x]"
    )
    min_ess: Number = Field(
        DEFAULT_MIN_ESS, ge=1.0, description="warn below this effective sample size [paths]"
    )
    _notes: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, data: Any) -> Any:
        if isinstance(data, list | tuple):
            return {"points": list(data)}
        if isinstance(data, dict) and "file" in data:
            raise ValueError(
                "actuals.file is read by the scenario loader (load_scenario / python -m sim); "
                "in Python, pass the rows as actuals: [{month, revenue_run_rate}, ...] or use "
                "sim.model.actuals.read_actuals_csv"
            )
        return data

    @model_validator(mode="after")
    def _sorted_unique(self) -> Actuals:
        months = [p.month for p in self.points]
        seen: dict[str, int] = {}
        for i, m in enumerate(months):
            if m in seen:
                raise ValueError(f"points[{i}].month: duplicate month {m} (also points[{seen[m]}])")
            seen[m] = i
        if months != sorted(months):
            object.__setattr__(self, "points", tuple(sorted(self.points, key=lambda p: p.month)))
            self._notes = (
                f"actuals{' in ' + self.source if self.source else ''}: months were not in "
                "order; sorted by month",
            )
        return self

    @property
    def notes(self) -> tuple[str, ...]:
        """Sentences for stderr (e.g. that the months were sorted)."""
        return self._notes

    def up_to(self, month: str) -> tuple[Actual, ...]:
        """The points observed in or before ``month``."""
        return tuple(p for p in self.points if p.month <= month)


def check_dates(actuals: Actuals | None, start: str, months: int, as_of: str | None) -> None:
    """Months before ``start`` or beyond the horizon, and ``as_of`` before the first actual
    or at the horizon's end, are refused (``ValueError`` naming the entry)."""
    from .scenario import month_index

    if actuals is None:
        if as_of is not None:
            raise ValueError("simulation.as_of needs an actuals: section (the observed months)")
        return
    for i, p in enumerate(actuals.points):
        idx = month_index(p.month, start)
        if idx < 0:
            raise ValueError(
                f"actuals.points[{i}].month {p.month} is before simulation.start {start}"
            )
        if idx >= months:
            raise ValueError(
                f"actuals.points[{i}].month {p.month} is beyond the {months // 12}-year horizon"
            )
    if as_of is not None:
        first = actuals.points[0].month
        if as_of < first:
            raise ValueError(f"simulation.as_of {as_of} is before the first actual ({first})")
        if month_index(as_of, start) >= months - 1:
            raise ValueError(
                f"simulation.as_of {as_of} leaves no month to forecast inside the horizon"
            )


def _cell(text: str, column: str, where: str, problems: list) -> float | None:
    text = text.strip()
    if text == "" and column in ("gw_online", "gross_margin"):
        return None
    try:
        value = float(text)
    except ValueError:
        problems.append((f"{where} {column}", f"expected a number, got {short_repr(text)}"))
        return None
    if not math.isfinite(value):
        problems.append((f"{where} {column}", f"expected a finite number, got {text!r}"))
        return None
    return value


def read_actuals_csv(path: str | Path, start: str | None = None) -> list[dict[str, Any]]:
    """Rows of an actuals CSV as dicts, checked cell by cell; every problem is a
    :class:`ScenarioError` naming the file, the line and the column. ``start``
    ('YYYY-MM', optional) refuses months before it."""
    p = Path(path)
    src = str(p)
    try:
        if not p.is_file():
            raise ScenarioError(src, [("", "file not found" if not p.exists() else "not a file")],
                                what="actuals CSV")  # fmt: skip
        with p.open("rb") as fh:
            data = fh.read(MAX_CSV_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(src, [("", f"cannot read file: {exc.strerror or exc}")],
                            what="actuals CSV") from None  # fmt: skip
    return parse_actuals_csv(data, src, start)


def parse_actuals_csv(
    data: bytes | str, src: str = "<actuals CSV>", start: str | None = None
) -> list[dict[str, Any]]:
    """Rows of actuals CSV text or bytes (an upload, a paste), checked as
    :func:`read_actuals_csv` checks a file; ``src`` names it in errors."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_CSV_BYTES:
        raise ScenarioError(src, [("", f"more than {MAX_CSV_BYTES:,} bytes; an actuals CSV is "
                                       "limited like a YAML scenario")], what="actuals CSV")  # fmt: skip
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(src, [(f"line {line}", f"not UTF-8 text (byte 0x{data[exc.start]:02x}"
                                   f" at offset {exc.start}); save the CSV as UTF-8")],
                            what="actuals CSV") from None  # fmt: skip
    if "\x00" in text:
        raise ScenarioError(src, [("", "contains NUL characters: not a CSV text file")],
                            what="actuals CSV")  # fmt: skip
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:  # a stray quote, a field beyond csv's size limit, ...
        raise ScenarioError(src, [(f"line {reader.line_num}", f"not CSV: {exc}")],
                            what="actuals CSV") from None  # fmt: skip
    header = [h.strip() for h in rows[0]] if rows else []
    allowed = "month,revenue_run_rate[,gw_online][,gross_margin]"
    if header[:2] != ["month", "revenue_run_rate"] or len(set(header)) != len(header):
        raise ScenarioError(src, [("line 1", f"header must be {allowed}, got "
                                             f"{short_repr(','.join(header))}")],
                            what="actuals CSV")  # fmt: skip
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise ScenarioError(src, [("line 1", f"unknown column {unknown[0]!r}; allowed: {allowed}")],
                            what="actuals CSV")  # fmt: skip
    body = [(n + 2, r) for n, r in enumerate(rows[1:]) if any(c.strip() for c in r)]
    if len(body) > MAX_ACTUALS:
        raise ScenarioError(src, [(f"line {body[MAX_ACTUALS][0]}", f"more than {MAX_ACTUALS:,} "
                                   "rows of actuals")], what="actuals CSV")  # fmt: skip
    out: list[dict[str, Any]] = []
    problems: list[tuple[str, str]] = []
    first_line: dict[str, int] = {}
    for line, row in body:
        where = f"line {line}"
        if len(row) != len(header):
            problems.append((where, f"{len(row)} cells, the header has {len(header)}"))
            continue
        month = row[0].strip()
        try:
            _month(month)
        except ValueError as exc:
            problems.append((f"{where} month", str(exc)))
            continue
        if month in first_line:
            problems.append((f"{where} month", f"duplicate month {month} (also line "
                                               f"{first_line[month]})"))  # fmt: skip
            continue
        first_line[month] = line
        if start is not None and month < start:
            problems.append((f"{where} month", f"{month} is before simulation.start {start}"))
        item: dict[str, Any] = {"month": month}
        for column, cell in zip(header[1:], row[1:], strict=True):
            value = _cell(cell, column, where, problems)
            if value is not None:
                item[column] = value
        rev = item.get("revenue_run_rate")
        if rev is not None and rev <= 0:
            problems.append((f"{where} revenue_run_rate", f"must be > 0 [USD/yr], got {rev:g}"))
        gw = item.get("gw_online")
        if gw is not None and gw < 0:
            problems.append((f"{where} gw_online", f"must be >= 0 [GW], got {gw:g}"))
        gm = item.get("gross_margin")
        if gm is not None and not -1 < gm < 1:
            problems.append((f"{where} gross_margin", f"must lie in (-1, 1), got {gm:g}"))
        out.append(item)
        if len(problems) >= 20:
            break
    if problems:
        raise ScenarioError(src, problems, what="actuals CSV")
    if not out:
        raise ScenarioError(src, [("", "no rows of actuals after the header")], what="actuals CSV")
    return out


def resolve_file(data: Any, base: Path, source: str) -> Any:
    """Replace ``actuals: {file: PATH}`` in raw scenario data by the CSV's rows (path relative
    to ``base``, the scenario's folder); other data is returned as is."""
    if not isinstance(data, dict) or not isinstance(data.get("actuals"), dict):
        return data
    spec = data["actuals"]
    if "file" not in spec:
        return data
    name = spec["file"]
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(
            source, [("actuals.file", f"expected a CSV path, got {short_repr(name)}")]
        )
    if "points" in spec:
        raise ScenarioError(source, [("actuals", "give points or file, not both")])
    path = Path(name) if Path(name).is_absolute() else base / name
    sim = data.get("simulation")
    start = sim.get("start", "2026-01") if isinstance(sim, dict) else "2026-01"
    start = start if isinstance(start, str) and _MONTH_RE.match(start) else None
    rows = read_actuals_csv(path, start)
    rest = {k: v for k, v in spec.items() if k != "file"}
    return {**data, "actuals": {**rest, "points": rows, "source": str(path)}}


def replace_points(data: dict[str, Any], rows: list[dict[str, Any]], source: str) -> dict[str, Any]:
    """Raw scenario data with its actuals' points replaced by ``rows`` (``--actuals FILE``)."""
    spec = data.get("actuals")
    rest = {k: v for k, v in spec.items() if k not in ("points", "file")} if isinstance(
        spec, dict) else {}  # fmt: skip
    return {**data, "actuals": {**rest, "points": rows, "source": source}}


def yaml_path(field: str, msg: str, list_form: bool) -> str:
    """Where in the YAML an actuals problem lies: ``actuals.points[3]`` is ``actuals[3]``
    when the section is a plain list; an entry named in the message is located too."""
    m = re.search(r"points\[(\d+)\]", msg)
    if field in ("actuals", "actuals.points") and m:
        field = f"actuals.points[{m.group(1)}]"
    if list_form:
        field = field.replace("actuals.points[", "actuals[")
    return field
