"""Scenario value types: numbers or distributions within a range (``Param``), months, and
the magnitude limits that keep every figure of the model finite."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    TypeAdapter,
    ValidationError,
)

from sim.errors import short_repr
from sim.model.distributions import Dist, _Dist, support
from sim.strict import StrictModel

_DIST_ADAPTER: TypeAdapter[Any] = TypeAdapter(Dist)
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


_Model = StrictModel


def _parse_param(value: Any) -> Any:
    if isinstance(value, _Dist):  # already validated (Python API)
        return value
    if isinstance(value, bool):
        raise ValueError(f"expected a number or a distribution, got {value!r}")
    if isinstance(value, int | float | str):
        if isinstance(value, str) and len(value) > 100:
            raise ValueError(f"expected a number or a distribution, got {short_repr(value)}")
        try:
            number = float(value)
        except OverflowError:  # an integer beyond float64 (e.g. 10**400)
            raise ValueError(f"expected a finite number, got {short_repr(value)}") from None
        except ValueError:
            raise ValueError(
                f"expected a number or a distribution {{dist: ...}}, got {short_repr(value)}"
            ) from None
        if not math.isfinite(number):
            raise ValueError(f"expected a finite number, got {short_repr(value)}")
        return number
    if isinstance(value, dict):
        try:
            return _DIST_ADAPTER.validate_python(value)
        except ValidationError as exc:
            msgs = []
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"] if p not in _DIST_KIND_TAGS)
                msg = err["msg"].removeprefix("Value error, ")
                msgs.append(f"{loc + ': ' if loc else ''}{msg}")
            raise ValueError(
                "bad distribution: "
                + "; ".join(msgs)[:500]
                + " (allowed dist: fixed{value}, uniform{low,high}, loguniform{low,high}, "
                "triangular{low,mode,high}, lognormal{median,sigma,[low],[high]}, "
                "normal{mean,sd,[low],[high]}, mixture{weights,components})"
            ) from None
    raise ValueError(f"expected a number or a distribution {{dist: ...}}, got {short_repr(value)}")


_DIST_KIND_TAGS = {
    "fixed", "uniform", "loguniform", "triangular", "lognormal", "normal", "mixture",
}  # fmt: skip


def _largest_draw(value: Any) -> float:
    """Largest value the engine can draw from a distribution unbounded above: draws are
    inverse CDFs of uniforms clipped to [1e-12, 1 - 1e-12] (see ``_Truncatable.ppf``)."""
    import numpy as np

    return float(np.asarray(value.ppf(np.asarray([1.0 - 1e-12])))[0])


def _in_range(
    lo: float, hi: float, lo_open: bool = False, hi_open: bool = False, cap: bool = False
):
    def check(value: Any) -> Any:
        s_lo, s_hi = support(value)
        if cap and math.isinf(s_hi) and hasattr(value, "ppf"):
            s_hi = _largest_draw(value)  # a magnitude cap: what can actually be drawn
        ok_lo = s_lo > lo if lo_open else s_lo >= lo
        ok_hi = s_hi < hi if hi_open else s_hi <= hi
        if not (ok_lo and ok_hi) or math.isnan(s_lo) or math.isnan(s_hi):
            if math.isinf(hi):
                allowed = f"be {'>' if lo_open else '>='} {lo:g}"
            else:
                allowed = f"lie in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
            got = f"{s_lo:g}" if s_lo == s_hi else f"values in [{s_lo:g}, {s_hi:g}]"
            hint = ""
            if math.isinf(s_lo) or math.isinf(s_hi):
                hint = " (an unbounded distribution needs truncation bounds: add low/high)"
            raise ValueError(f"must {allowed}, got {got}{hint}")
        return value

    return check


def Param(  # noqa: N802
    lo: float,
    hi: float = math.inf,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    cap: bool = False,
):
    """Type of a numeric model parameter: a number or a distribution within a range.

    ``cap=True`` marks ``hi`` as a magnitude cap that only keeps float64 finite, not a
    limit of the domain: a distribution unbounded above (lognormal, normal) passes when its
    largest drawable value (quantile 1 - 1e-12) lies within it. The before-validator parses
    numbers and ``{dist: ...}`` itself, so the field's own type is ``Any``: pydantic then
    builds no union schema per field (the schema loads fast)."""
    return Annotated[
        Any,
        BeforeValidator(_parse_param),
        AfterValidator(_in_range(lo, hi, lo_open, hi_open, cap)),
    ]


Positive = Param(0.0, lo_open=True)
NonNeg = Param(0.0)
UnitClosed = Param(0.0, 1.0)
UnitHalfOpen = Param(0.0, 1.0, hi_open=True)
# Yearly multipliers above 100x (and a few other absurd magnitudes) are refused: compounded
# over a horizon they overflow float64 and would turn results into inf/NaN silently.
Multiplier = Param(0.0, 100.0, lo_open=True)
MIN_GROWTH = 0.01
"""Smallest yearly growth multiplier of demand and of plans [x/yr] (a 99% fall a year):
below it, potential demand underflows to 0 within a horizon and plans divide by it."""
Growth = Param(MIN_GROWTH, 100.0)

MAX_USD = 1.0e18
"""Largest amount of money a scenario may state [USD or USD/yr]: revenue, cash, costs,
raises, price per GW-year (10,000 times world GDP). With the other bounds it keeps every
figure of the model finite in float64 over the longest horizon and run-off
(:data:`MAX_TOTAL_MONTHS`); tested at the bounds in ``tests/test_hostile_input.py``."""
MAX_CEILING = 1.0e30
"""Largest ``demand.ceiling`` [USD/yr]: 1e30 is how tests and users say "no ceiling"."""
MAX_GW = 1.0e5
"""Largest capacity a scenario may state [GW] (100 TW, ~30 times world electricity)."""
MAX_GW_YEARS = 1.0e7
"""Largest stock of training compute a scenario may state [GW-years] (100 years at
:data:`MAX_GW`)."""
MIN_PRICE = 1.0
"""Smallest ``price_per_gw_year`` [USD/GW-yr]: revenue per GW stays above zero (orders
divide by it) even after a century of efficiency change."""
MAX_TOTAL_MONTHS = 1440
"""Longest simulation, horizon plus run-off [months] (120 years): 100x a year compounded
over it stays within float64. Without a build pipeline the schema's own limits give at most
1,320 months; a build pipeline whose slips push the run-off beyond this is refused."""
MAX_RATIO = 1.0e6
"""Largest plain threshold ratio (``min_growth_to_raise``) [x/yr]."""
UsdNonNeg = Param(0.0, MAX_USD, cap=True)


def _parse_month(value: Any) -> str:
    if isinstance(value, list | dict | tuple | set):  # never str() a (shared, huge) container
        raise ValueError(f"expected a month 'YYYY-MM' such as 2026-01, got {short_repr(value)}")
    text = str(value)
    m = _MONTH_RE.match(text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"expected a month 'YYYY-MM' such as 2026-01, got {short_repr(value)}")
    return text


Month = Annotated[str, BeforeValidator(_parse_month)]


def month_index(month: str, start: str) -> int:
    """Months from ``start`` to ``month`` (both 'YYYY-MM')."""
    y1, m1 = map(int, month.split("-"))
    y0, m0 = map(int, start.split("-"))
    return (y1 - y0) * 12 + (m1 - m0)
