"""The dashboard's Actuals card: paste the lab's monthly numbers (CSV) and every run becomes
the posterior given them (:mod:`sim.model.condition`); the saved YAML carries them."""

from __future__ import annotations

from typing import Any

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
