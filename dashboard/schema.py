"""Dashboard inputs, each bound to one dotted Scenario field: hard bounds and help text come
from the pydantic schema (:mod:`sim.model.scenario`); label, display unit and soft range here."""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel

from sim.model.distributions import support
from sim.model.scenario import Scenario


@dataclass(frozen=True)
class FieldSpec:
    """One scalar dashboard input bound to a dotted Scenario field."""

    dotted: str  # path in the scenario, e.g. "compute.lead_time_months"
    label: str  # widget label, display unit in brackets
    soft: tuple[float, float]  # slider range [display units]; the schema's bounds are hard
    step: float  # slider step [display units]
    scale: float = 1.0  # model units per display unit (1e9: USD billions, 0.01: shares in %)

    @property
    def name(self) -> str:
        """The input's name: the field's own (``"lead_time_months"``)."""
        return self.dotted.rsplit(".", 1)[-1]


# main scalar inputs (growth range and policy are handled separately)
FIELDS: dict[str, FieldSpec] = {spec.name: spec for spec in (
    FieldSpec("demand.growth_persistence", "Growth persistence [0-1]", (0.0, 1.0), 0.05),
    FieldSpec("demand.diffusion_lag_years", "Diffusion lag [years]", (0.0, 5.0), 0.25),
    FieldSpec("compute.lead_time_months", "Lead time [months]", (0.0, 36.0), 1.0),
    FieldSpec("compute.contract_years", "Contract length [years]", (1.0, 10.0), 0.5),
    FieldSpec("compute.price_per_gw_year", "Price [USD B per GW-year]", (5.0, 25.0), 0.5, 1e9),
    FieldSpec("allocation.training_share", "Training share [%]", (5, 95), 5, 0.01),
    FieldSpec("allocation.min_training_share", "Min training share [%]", (0, 90), 5, 0.01),
    FieldSpec("economics.gross_margin", "Gross margin [%]", (20, 90), 5, 0.01),
    FieldSpec("finance.initial_cash", "Initial cash [USD B]", (0.0, 200.0), 5.0, 1e9),
)}  # fmt: skip

# every other assumption the tornado varies ("More assumptions"): each driver has a slider
MORE_FIELDS: dict[str, FieldSpec] = {spec.name: spec for spec in (
    FieldSpec("demand.initial_revenue",
              "Revenue run-rate at start [USD B/yr]", (1.0, 100.0), 1.0, 1e9),
    FieldSpec("demand.volatility", "Demand volatility [1/sqrt(yr)]", (0.0, 0.5), 0.02),
    FieldSpec("demand.ceiling", "Demand ceiling [USD T/yr]", (1.0, 100.0), 1.0, 1e12),
    FieldSpec("demand.churn_of_unserved", "Churn of unserved demand [%/month]", (0, 20), 1, 0.01),
    FieldSpec("compute.initial_gw", "GW online at start [GW]", (0.0, 20.0), 0.1),
    FieldSpec("compute.initial_contract_years_left",
              "Contract years left at start [years]", (0.0, 10.0), 0.5),
    FieldSpec("compute.industry_gw_start", "Industry capacity at start [GW]", (1.0, 50.0), 1.0),
    FieldSpec("compute.industry_growth", "Industry capacity growth [x/yr]", (1.0, 6.0), 0.1),
    FieldSpec("compute.industry_gw_max", "Industry capacity hard limit [GW]", (20.0, 2000.0), 10.0),
    FieldSpec("compute.max_industry_share", "Max share of industry supply [%]", (5, 100), 5, 0.01),
    FieldSpec("compute.revenue_per_gw_growth", "Efficiency gain per GW [x/yr]", (0.5, 6.0), 0.1),
    FieldSpec("compute.price_pass_through",
              "Efficiency passed on as lower prices [%]", (0, 100), 5, 0.01),
    FieldSpec("compute.sublease_recovery", "Sublease recovery of idle GW [%]", (0, 95), 5, 0.01),
    FieldSpec("allocation.max_training_share", "Max training share [%]", (5, 100), 5, 0.01),
    FieldSpec("economics.other_costs_share", "Other costs [% of revenue]", (0, 50), 1, 0.01),
    FieldSpec("economics.fixed_costs_per_year", "Fixed costs [USD B/yr]", (0.0, 20.0), 0.5, 1e9),
    FieldSpec("finance.valuation_multiple",
              "Valuation multiple [x revenue run-rate]", (1.0, 60.0), 1.0),
    FieldSpec("finance.max_dilution_per_raise", "Max dilution per raise [%]", (0, 50), 1, 0.01),
    FieldSpec("finance.max_raise_per_year",
              "Capital raisable per year [USD B]", (0.0, 500.0), 5.0, 1e9),
    FieldSpec("finance.raise_when_runway_months_below",
              "Raise when runway below [months]", (0.0, 36.0), 1.0),
    FieldSpec("finance.min_growth_to_raise", "Growth needed to raise [x/yr]", (0.5, 4.0), 0.1),
    FieldSpec("finance.valuation_growth_elasticity",
              "Valuation growth elasticity", (0.0, 2.0), 0.1),
)}  # fmt: skip
ALL_FIELDS: dict[str, FieldSpec] = {**FIELDS, **MORE_FIELDS}

GROWTH = FieldSpec("demand.growth", "True growth range [x/yr]", (1.0, 20.0), 0.5)
PLANNED = FieldSpec("policy.planned_growth", "Planned growth [x/yr]", (1.0, 20.0), 0.5)
QUANTILE = FieldSpec("policy.q", "Demand quantile [%]", (5, 95), 5, 0.01)
HAIRCUT = FieldSpec("policy.haircut", "Haircut of estimated growth [%]", (0.0, 60.0), 5.0, 0.01)


def friendly_name(dotted: str) -> str:
    """A reader's name of a dotted scenario field: its widget label without the unit."""
    if dotted == GROWTH.dotted:
        return "True demand growth"
    for spec in (*ALL_FIELDS.values(), PLANNED, QUANTILE):
        if spec.dotted == dotted:
            return spec.label.split(" [")[0]
    words = dotted.rsplit(".", 1)[-1].replace("_", " ")
    return words[:1].upper() + words[1:]


def model_field(dotted: str, kind: str | None = None) -> Any:
    """The ``FieldInfo`` of a dotted Scenario field (``kind``: the policy kind's model)."""
    model: type[BaseModel] = Scenario
    *parents, last = dotted.split(".")
    for key in parents:
        model = _submodel(model.model_fields[key].annotation, kind)
    return model.model_fields[last]


def _submodel(annotation: Any, kind: str | None) -> type[BaseModel]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        sub = _submodel(arg, kind) if get_args(arg) else arg
        if not (isinstance(sub, type) and issubclass(sub, BaseModel)):
            continue
        kind_field = sub.model_fields.get("kind")
        if kind is None or kind_field is None or kind in get_args(kind_field.annotation):
            return sub
    raise TypeError(f"no sub-model in {annotation!r} for kind {kind!r}")


def schema_bounds(dotted: str, kind: str | None = None) -> tuple[float, float, bool, bool]:
    """Hard range ``(lo, hi, lo_inclusive, hi_inclusive)`` of a numeric Scenario field, from
    its ``Param(lo, hi)`` validator or ``Field(ge=..., le=...)`` (unbounded: ``-inf``/``inf``)."""
    info = model_field(dotted, kind)
    for meta in info.metadata:
        func = getattr(meta, "func", None)
        if func is None or func.__name__ != "check":
            continue
        nl = inspect.getclosurevars(func).nonlocals  # Param's lo, hi, lo_open, hi_open
        if {"lo", "hi"} <= nl.keys():
            return (float(nl["lo"]), float(nl["hi"]),
                    not nl.get("lo_open", False), not nl.get("hi_open", False))  # fmt: skip
    lo, hi, lo_inc, hi_inc = -math.inf, math.inf, True, True
    for meta in info.metadata:
        for name, inclusive in (("ge", True), ("gt", False), ("le", True), ("lt", False)):
            value = getattr(meta, name, None)
            if value is not None and name[0] == "g":
                lo, lo_inc = float(value), inclusive
            elif value is not None:
                hi, hi_inc = float(value), inclusive
    return lo, hi, lo_inc, hi_inc


def schema_doc(dotted: str, kind: str | None = None) -> str:
    """Help text of a Scenario field (its ``Field(description=...)``), or ''."""
    return model_field(dotted, kind).description or ""


def param_kwargs(spec: FieldSpec, kind: str | None = None) -> dict[str, Any]:
    """Keyword arguments of a ``param.Number`` for a spec: hard bounds, soft range, doc."""
    lo, hi, lo_inc, hi_inc = schema_bounds(spec.dotted, kind)
    bounds = tuple(None if math.isinf(b) else b / spec.scale for b in (lo, hi))
    doc = schema_doc(spec.dotted, kind)
    return {"bounds": bounds, "inclusive_bounds": (lo_inc, hi_inc), "softbounds": spec.soft,
            "step": spec.step, "label": spec.label,
            "doc": f"{spec.dotted}: {doc}" if doc else spec.dotted}  # fmt: skip


_LOG_MAPPED = ("low", "high", "mode", "value", "median")  # moved by rescaled_growth's map


def rescaled_growth(growth: Any, lo: float, hi: float) -> Any:
    """The growth distribution moved onto [lo, hi] [x/yr] by a log-linear map of its support,
    so its shape survives (base's 15% weight on slow worlds stays 15%); a loguniform when
    it cannot be mapped (no spread, a normal, lo > hi), a number when lo == hi."""
    if lo == hi:
        return lo
    plain = {"dist": "loguniform", "low": lo, "high": hi}
    if isinstance(growth, int | float) or lo <= 0 or lo > hi:
        return plain
    old_lo, old_hi = support(growth)
    dumped = growth.model_dump(by_alias=True, exclude_none=True)
    if not 0 < old_lo < old_hi or "normal" in _dists(dumped):
        return plain
    slope = math.log(hi / lo) / math.log(old_hi / old_lo)

    def move(node: dict[str, Any]) -> dict[str, Any]:
        out = dict(node)
        for key in _LOG_MAPPED:
            if key in out:
                x = lo * (out[key] / old_lo) ** slope
                out[key] = hi if math.isclose(x, hi, rel_tol=1e-9) else min(hi, max(lo, x))
        if "sigma" in out:
            out["sigma"] = out["sigma"] * slope
        if "components" in out:
            out["components"] = [move(c) for c in out["components"]]
        return out

    return move(dumped)


def _dists(node: dict[str, Any]) -> set[str]:
    return {node.get("dist", ""), *(d for c in node.get("components", []) for d in _dists(c))}
