"""The dashboard's Actuals card: paste the lab's monthly numbers (CSV) and every run becomes
the posterior given them (:mod:`sim.model.condition`); the saved YAML carries them."""

from __future__ import annotations

from typing import Any

import holoviews as hv
import pandas as pd
import panel as pn

from sim.errors import ScenarioError
from sim.model.actuals import parse_actuals_csv, replace_points
from sim.model.io import scenario_from_dict
from sim.model.scenario import Scenario

PLACEHOLDER = "month,revenue_run_rate,gw_online\n2026-01,10.0e9,1.9\n2026-02,11.1e9,\n"


def actuals_csv(scenario: Scenario) -> str:
    """The scenario's actuals as CSV text (empty without actuals)."""
    if scenario.actuals is None:
        return ""
    cols = ["month", "revenue_run_rate", "gw_online", "gross_margin"]
    pts = scenario.actuals.points
    used = [c for c in cols if c in cols[:2] or any(getattr(p, c) is not None for p in pts)]

    def cell(p: Any, c: str) -> str:
        v = getattr(p, c)
        return p.month if c == "month" else "" if v is None else f"{v:.10g}"

    rows = [",".join(used), *(",".join(cell(p, c) for c in used) for p in pts)]
    return "\n".join(rows) + "\n"


def with_actuals(scenario: Scenario, text: str) -> Scenario:
    """``scenario`` conditioned on the pasted CSV (``ScenarioError`` naming line and
    field); empty text removes the actuals."""
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    data.pop("actuals", None)
    data["simulation"].pop("as_of", None)
    if text.strip():
        rows = parse_actuals_csv(text, "pasted actuals", scenario.simulation.start)
        data = replace_points(data, rows, "pasted in the dashboard")
    return scenario_from_dict(data, "pasted actuals")


def conditioning_words(results: Any) -> str:
    """What the shown run is conditioned on, its ESS and any warning (Markdown)."""
    c = getattr(results, "conditioning", None)
    if not c:
        return "No actuals: the charts show the prior."
    text = (f"Posterior given the actuals up to **{c['as_of']}**: effective sample size "
            f"**{c['ess']:,.0f}** of {c['candidates']:,} weighted prior paths.")  # fmt: skip
    for w in c.get("warnings", []):
        text += f"\n\n⚠ {w}"
    return text


class ActualsCard:
    """Paste box, apply/remove buttons and the conditioning status of the shown run."""

    def __init__(self, explorer: Any) -> None:
        self.x = explorer
        base = explorer.current_scenario()
        self.text = pn.widgets.TextAreaInput(value=actuals_csv(base), placeholder=PLACEHOLDER,
                                             height=110, sizing_mode="stretch_width")  # fmt: skip
        self.apply = pn.widgets.Button(label="Condition on these actuals", color="primary")
        self.remove = pn.widgets.Button(label="Remove actuals")
        self.status = pn.pane.Markdown(conditioning_words(explorer.results))
        self.apply.on_click(lambda _e: self.set_text(self.text.value))
        self.remove.on_click(lambda _e: self.set_text(""))
        explorer.param.watch(self._on_results, "results")
        help_text = ("Paste `month,revenue_run_rate[,gw_online][,gross_margin]`: runs become "
                     "the posterior given them (the last month is today).")  # fmt: skip
        self.panel = pn.Card(
            pn.pane.Markdown(help_text), self.text, pn.Row(self.apply, self.remove),
            self.status, title="Actuals", collapsed=True, sizing_mode="stretch_width",
        )  # fmt: skip

    def set_text(self, text: str) -> bool:
        """Condition the current settings on ``text`` (CSV; empty: none); False with the
        problems shown when it is not valid."""
        try:
            scenario = with_actuals(self.x.current_scenario(), text)
        except ScenarioError as exc:
            self.status.object = "**Not applied:**\n" + "\n".join(
                f"- {f or 'file'}: {m[:300]}" for f, m in exc.problems[:10])  # fmt: skip
            return False
        self.x.load(scenario)
        return True

    def _on_results(self, *_: Any) -> None:
        self.status.object = conditioning_words(self.x.results)


# ------------------------------------------------------------------ charts: dots and prior
PRIOR_COLOR = "#7f7f7f"
DOT_COLOR = "#111111"
DOT_CHARTS = {"money": ("revenue", "revenue_run_rate"), "capacity": ("capacity_gw", "gw_online")}
"""Fan chart -> (its frame of the prior, the actuals' field drawn as dots)."""
NO_ACTUALS: dict[str, Any] = {}
"""Chart data without actuals: one shared object, so the pipes of the empty layers never
resend and a scenario without actuals draws exactly what it drew before."""
PRIOR_RUNS: dict[tuple[str, int], Any] = {}
"""Prior runs by (scenario JSON, paths): revisiting the same actuals is instant."""
_EMPTY_DOTS = pd.DataFrame({"month": pd.to_datetime([]), "value": [], "field": []})
_EMPTY_FAN = pd.DataFrame({"month": pd.to_datetime([]), "p5": [], "p50": [], "p95": []})


def prior_results(results: Any) -> Any:
    """The prior of conditioned ``results``: the same scenario (same paths and seed) without
    the actuals' weights (:func:`sim.model.condition.run_prior`, as ``sim update`` does)."""
    from sim.model.condition import run_prior

    s = results.scenario
    key = (s.model_dump_json(exclude={"name", "description"}), int(results.paths))
    if key not in PRIOR_RUNS:
        PRIOR_RUNS.clear()  # one prior at a time: it is only needed for the shown results
        PRIOR_RUNS[key] = run_prior(s, monthly_paths=2000)[0]
    return PRIOR_RUNS[key]


def actuals_data(results: Any) -> dict[str, Any]:
    """``{"actuals": {chart: {"dots": month/value frame, "prior": P5/P50/P95 frame}}}`` for
    the revenue and capacity fan charts; ``NO_ACTUALS`` without actuals."""
    s = results.scenario
    if getattr(results, "conditioning", None) is None or s.actuals is None:
        return {"actuals": NO_ACTUALS}
    from sim.reports.charts import LOG_FLOOR
    from sim.reports.frames import chart_frames

    frames = chart_frames(prior_results(results))
    out: dict[str, Any] = {}
    for chart, (frame, field) in DOT_CHARTS.items():
        pts = [(p.month, getattr(p, field)) for p in s.actuals.points]
        pts = [(m, v) for m, v in pts if v is not None]
        dots = pd.DataFrame({"month": pd.to_datetime([m + "-01" for m, _ in pts]),
                             "value": [float(v) for _, v in pts], "field": field})  # fmt: skip
        prior = frames[frame].reset_index()[["month", "p5", "p50", "p95"]]
        floor = LOG_FLOOR.get("revenue" if chart == "money" else "demand_gw")
        if floor is not None:  # drawn on a log axis: a bankrupt path at the axis floor
            prior[["p5", "p50", "p95"]] = (
                prior[["p5", "p50", "p95"]].clip(lower=floor).fillna(floor)
            )
        out[chart] = {"dots": dots.astype({"field": object}), "prior": prior}
    return {"actuals": out}


def actuals_layers(chart: str, log: bool) -> list[tuple[Any, tuple[str, ...]]]:
    """Layers of the fan chart ``chart``: the prior's P5-P95 band and median (grey, dashed)
    and the actuals as dots; empty (nothing drawn) without actuals or on other charts."""
    if chart not in DOT_CHARTS:
        return []

    def part(d: dict[str, Any], key: str, empty: pd.DataFrame) -> pd.DataFrame:
        return d["actuals"].get(chart, {}).get(key, empty)

    def band(d: dict[str, Any]) -> Any:
        return hv.Area(part(d, "prior", _EMPTY_FAN), "month", ["p5", "p95"]).opts(
            color=PRIOR_COLOR, alpha=0.12, line_alpha=0, logy=log)  # fmt: skip

    def median(d: dict[str, Any]) -> Any:
        return hv.Curve(part(d, "prior", _EMPTY_FAN), "month", ["p50", "p5", "p95"]).opts(
            color=PRIOR_COLOR, line_dash="dashed", line_width=2, logy=log, tools=["hover"])  # fmt: skip

    def dots(d: dict[str, Any]) -> Any:
        return hv.Scatter(part(d, "dots", _EMPTY_DOTS), "month", ["value", "field"]).opts(
            color=DOT_COLOR, size=8, marker="circle", logy=log, tools=["hover"])  # fmt: skip

    keys = ("actuals",)
    return [(band, keys), (median, keys), (dots, keys)]
