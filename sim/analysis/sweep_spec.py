"""Sweep files: a validated YAML description of which scenario variants to run.

Format (keys map by name; unknown keys are rejected with a did-you-mean)::

    name: plan_vs_world
    description: planned growth against the world's true growth
    scenario: ../base.yaml        # relative to the sweep file; omit for the embedded base
    paths: 2000                   # per cell (default: the scenario's simulation.paths)
    method: grid                  # grid: every combination; lhs: Latin hypercube
    fixed: {demand.volatility: 0.1}          # applied to every cell
    axes:
      policy.planned_growth: [1, 2, 3, 4, 5, 6, 8, 10]
      demand.growth: [3, 4, 5, 6, 8, 10]    # a plain number = the same growth every year

With ``method: lhs`` each axis is ``[low, high]`` and ``samples: N`` (and optionally
``seed:``, the design's seed) are required. Every cell uses the scenario's seed
(``fixed: {simulation.seed: 7}`` changes it): common random numbers across cells.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.budget import DEFAULT_MAX_CELLS
from sim.errors import ScenarioError, short_repr
from sim.model.io import load_scenario, load_yaml_mapping
from sim.model.scenario import Scenario
from sim.strict import WholeNumber

from .sweep import apply_cell, grid, latin_hypercube


def _numbers(values: Any) -> Any:
    if not isinstance(values, list):
        return values
    out = []
    for v in values:
        try:
            out.append(float(v) if isinstance(v, str) else v)
        except ValueError:
            out.append(v)
    return out


class SweepSpec(BaseModel):
    """Contents of a sweep file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    scenario: str | None = Field(None, description="scenario file, relative to the sweep file")
    paths: WholeNumber | None = Field(None, ge=1, le=10_000_000, description="paths per cell")
    method: Literal["grid", "lhs"] = "grid"
    samples: WholeNumber | None = Field(
        None, ge=1, le=100_000, description="cells of an lhs design"
    )
    seed: WholeNumber = Field(
        0, ge=0, le=2**32 - 1, description="seed of the lhs design (not of the simulation)"
    )
    fixed: dict[str, Any] = Field(default_factory=dict, description="updates for every cell")
    axes: dict[str, list[Any]] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = sorted(cls.model_fields)
            for key in data:
                if key not in allowed:
                    hint = difflib.get_close_matches(str(key), allowed, n=1)
                    did = f"; did you mean '{hint[0]}'?" if hint else ""
                    raise ValueError(f"unknown key '{key}'{did} (allowed: {', '.join(allowed)})")
            if isinstance(data.get("axes"), dict):
                # YAML 1.1 reads 10.0e9 (no exponent sign) as a string: accept it as a number.
                data = {**data, "axes": {k: _numbers(v) for k, v in data["axes"].items()}}
        return data

    @model_validator(mode="after")
    def _check_axes(self) -> SweepSpec:
        for key, values in self.axes.items():
            if not values:
                raise ValueError(f"axes.{key}: needs at least one value")
            if self.method == "lhs":
                ok = len(values) == 2 and all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in values
                )
                if not ok or values[0] >= values[1]:
                    raise ValueError(
                        f"axes.{key}: method lhs needs [low, high] numbers with low < high, "
                        f"got {short_repr(values)}"
                    )
        if self.method == "lhs" and self.samples is None:
            raise ValueError("samples: required with method lhs (number of cells)")
        if self.method == "grid" and self.samples is not None:
            raise ValueError("samples: only used with method lhs")
        return self

    def n_cells(self) -> int:
        """Number of cells of the design, computed without expanding it."""
        if self.method == "grid":
            return math.prod(len(v) for v in self.axes.values())
        return int(self.samples or 0)

    def cells(self) -> list[dict[str, Any]]:
        """The design: one dict of axis values per cell (``fixed`` is applied separately)."""
        if self.method == "grid":
            design = grid(self.axes)
        else:
            ranges = {k: (float(v[0]), float(v[1])) for k, v in self.axes.items()}
            design = latin_hypercube(ranges, int(self.samples or 0), self.seed)
        return design


@dataclass(frozen=True)
class Sweep:
    """A loaded sweep: its spec, the base scenario with ``fixed`` applied, the validated cells."""

    spec: SweepSpec
    scenario: Scenario
    cells: list[dict[str, Any]]
    source: str


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required key is missing"
        out.append((field, msg))
    return out


def sweep_from_dict(
    data: dict[str, Any],
    source: str,
    base_dir: Path | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> Sweep:
    """Validate a sweep mapping and every cell it expands to.

    Raises :class:`sim.errors.ScenarioError` naming ``source``, the field (``axes.KEY``)
    and the offending value; a design of more than ``max_cells`` cells is refused before
    it is expanded.
    """
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, _problems(exc), what="sweep file") from None
    n = spec.n_cells()
    if n > max_cells:
        shape = " x ".join(f"{len(v):,}" for v in spec.axes.values())
        design = f"{shape} grid" if spec.method == "grid" else "lhs design"
        raise ScenarioError(
            source,
            [("axes" if spec.method == "grid" else "samples",
              f"the {design} has {n:,} cells; at most {max_cells:,} are allowed "
              "(--max-cells raises the limit)")],
            what="sweep file",
        )  # fmt: skip
    if spec.scenario is None:
        scenario = load_scenario()
    else:
        path = (base_dir or Path.cwd()) / spec.scenario
        if not path.is_file():
            raise ScenarioError(
                source,
                [("scenario", f"file not found: {path} (paths are relative to the sweep file)")],
                what="sweep file",
            )
        scenario = load_scenario(path)
    if spec.paths is not None:
        scenario = scenario.replace(**{"simulation.paths": spec.paths})
    cells = spec.cells()
    problems: list[tuple[str, str]] = []

    def add(where: str, exc: ScenarioError, key: str | None = None) -> None:
        for field, msg in exc.problems:
            item = (where, msg if field == key else f"{field}: {msg}")
            if item not in problems:
                problems.append(item)

    try:
        scenario = apply_cell(scenario, spec.fixed, source)
    except ScenarioError as exc:
        add("fixed", exc)
        raise ScenarioError(source, problems, what="sweep file") from None
    alone: dict[tuple[str, str, Any], ScenarioError | None] = {}
    for cell in cells:
        try:
            apply_cell(scenario, cell)
            continue
        except ScenarioError as exc:
            failure = exc
        # Blame the axes whose value fails on its own; otherwise the combination.
        blamed = False
        for key in spec.axes:
            tag = (key, repr(cell[key]), cell.get("policy.kind"))
            if tag not in alone:
                kind = {"policy.kind": cell["policy.kind"]} if "policy.kind" in cell else {}
                try:
                    apply_cell(scenario, {**kind, key: cell[key]})
                    alone[tag] = None
                except ScenarioError as exc:
                    alone[tag] = exc
            if alone[tag] is not None:
                add(f"axes.{key}", alone[tag], key)  # type: ignore[arg-type]
                blamed = True
        if not blamed:
            combo = ", ".join(f"{k}={short_repr(cell[k])}" for k in spec.axes)
            add(f"axes (combination {combo})", failure)
        if len(problems) >= 10:
            break
    if problems:
        raise ScenarioError(source, problems, what="sweep file")
    return Sweep(spec=spec, scenario=scenario, cells=cells, source=source)


def load_sweep(path: str | Path, max_cells: int = DEFAULT_MAX_CELLS) -> Sweep:
    """Read and validate a sweep file (see the module docstring for its format)."""
    p = Path(path)
    return sweep_from_dict(load_yaml_mapping(p, "sweep file"), str(p), p.parent, max_cells)
