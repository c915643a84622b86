"""Panel app: ``panel serve dashboard/app.py`` or ``python -m sim dashboard [SCENARIO]``: the
decision and key numbers on top, then the tabs; the inputs in the sidebar. A served page
shows the decision first and builds the rest once it has loaded."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if __name__.startswith("bokeh"):  # `panel serve dashboard/app.py` from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import hvplot.pandas  # noqa: F401  (the charts are hvplot declarations)
import pandas as pd
import panel as pn

from dashboard import charts, decision, pages, session, widgets
from dashboard.actuals import ActualsCard
from dashboard.explorer import INPUTS, PERCENT_INPUTS, POLICY_GROWTH_KEY, URL_PARAMS, Explorer
from dashboard.schema import MORE_FIELDS
from dashboard.session import frozen
from dashboard.widgets import CSS, MORE, SAVE, SIDEBAR, OtherTabs, make_input, wide
from sim.model.distributions import central
from sim.model.io import load_scenario
from sim.model.scenario import Scenario
from sim.outputs import usd

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
TABLE_CHARTS = {"heatmap": "cells", "frontier": "points", "tornado": "bars"}  # chart -> frame
# CSS flex of heatmap and frontier: side by side from ~940 px of main area, else stacked (in a
# wrapping pn.Row: a FlexBox inside Tabs lays Bokeh figures out at 0 px)
CHART_BASIS = "1 1 460px"
STALE_NOTE = "Updating: the charts below still show the previous settings (faded)."


class Dashboard(OtherTabs):
    """Widgets and panes of one browser session, wired to an :class:`Explorer`."""

    def __init__(self, explorer: Explorer, later: Any = None) -> None:
        """The decision and key numbers at once, the rest now or, on a served page (``later(fn)``
        runs ``fn`` after the key numbers have been sent), once the page has loaded."""
        self.x = x = explorer
        self.later = later or (lambda fn: fn())
        self.alert = wide(pn.pane.Alert, x.param.error, css="settings-alert", alert_type="danger",
                          visible=x.param.error.rx.bool())  # fmt: skip
        self.decision = wide(pn.pane.HTML, "", css="decision", stylesheets=[CSS])
        self.apply_button = pn.widgets.Button(label="Apply the recommended plan", color="primary",
                                              css_classes=["apply-plan"], visible=False)  # fmt: skip
        self.apply_button.on_click(lambda _e: self.apply_recommended())
        self.kpis = wide(pn.pane.HTML, "", css="kpis", stylesheets=[CSS])
        self.kpis.jscallback(text=charts.STAMP_JS.replace("[name]", "['kpis']"))
        self.kpi: dict[str, tuple[str, str]] = {}  # css class -> (label, shown value)
        self.decision_parts: tuple[str, dict[str, str]] | None = None
        self.on_decision: Any = None  # called with the decision's attributes on each draw
        self.caption = wide(pn.pane.Markdown, "", css="caption")
        self.progress = wide(pn.indicators.Progress, value=0, max=100, height=8, visible=False)
        self.status = wide(pn.pane.Markdown, "", css="sweep-status", margin=(0, 10))
        self.page = wide(pn.Column, self.alert, self.decision, self.apply_button, self.kpis,
                         self.progress, self.status, self.caption)  # fmt: skip
        self.side = wide(pn.Column, pn.pane.Markdown("Loading the settings…"))
        self.rows: dict[str, Any] = {}  # the inputs, built with the rest of the page
        self.ts: dict[str, charts.Chart] = {}  # built when the "Time series" tab is first opened
        self.tabs: Any = None
        self._drawn: dict[str, Any] = {}
        self._deferred = later is not None
        self.actuals = ActualsCard(explorer)
        x.param.watch(self._on_change, ["results", "numbers", "table_numbers", "tables"])
        x.param.watch(lambda *_: self._draw_series(), ["view_data"])
        x.param.watch(self._on_progress, ["analysis_progress", "analysis_status", "busy"])
        x.param.watch(lambda *_: self._on_kind(), ["policy_kind"])
        x.param.watch(lambda *_: self._deferred or self._draw("frontier"), ["budget"])
        self._on_results()
        if not self._deferred:
            self.build_rest()
        self._on_tables()  # served: the decision is in the first document sent

    def build_rest(self) -> None:
        """The inputs, the tabs and their (empty) charts, into :attr:`side` and :attr:`page`."""
        if self.rows:
            return
        x = self.x
        self.rows = {n: make_input(x, n) for n in (*SIDEBAR, *SAVE)}
        self.more = wide(pn.Column)  # filled when the card opens
        self.more_card = wide(pn.Card, self.more, title="More assumptions (every tornado input)",
                              collapsed=True, css="more-assumptions")  # fmt: skip
        self.more_card.param.watch(lambda e: self.build_more() if not e.new else None, "collapsed")
        self.series = wide(pn.Column, pn.pane.Markdown("Loading the time series…"))
        self.heat, self.torn = charts.heatmap_chart(), charts.tornado_chart()
        self.front, self.tap = charts.frontier_chart()
        self.charts = {"heatmap": self.heat, "frontier": self.front, "tornado": self.torn}
        self.tap.add_subscriber(self._on_tap)
        self.msgs = {n: wide(pn.pane.Alert, f"Computing the {n}…", alert_type="info",
                             css=f"msg-{n}") for n in TABLE_CHARTS}  # fmt: skip
        self.chart_state = pn.pane.HTML("", css_classes=["chart-state"], margin=0)
        self.stale_note = wide(pn.pane.Markdown, STALE_NOTE, visible=False, css="stale-note")
        self.drivers = wide(pn.pane.Markdown, "", css="drivers")
        self.init_other_tabs()
        self._on_kind()
        self.side.objects = [
            pn.pane.Markdown("### Settings"), *(self.rows[n] for n in SIDEBAR), self.more_card,
            pn.pane.Markdown("### Load, save, compare"),
            pn.pane.Markdown("Load a scenario file (YAML):", margin=(0, 10)), self.upload,
            self.actuals.panel, *(self.rows[n] for n in SAVE), self.save, self.csv, self.pin_button,
        ]  # fmt: skip
        for pane in (self.heat.pane, self.front.pane):
            pane.styles = {"flex": CHART_BASIS, "min-width": "0"}
        decision_tab = wide(
            pn.Column, self.msgs["heatmap"], self.msgs["frontier"], self.stale_note,
            wide(pn.Row, self.heat.pane, self.front.pane, styles={"flex-wrap": "wrap"}),
            self.msgs["tornado"], self.torn.pane, self.drivers, self.chart_state)  # fmt: skip
        self.tabs = wide(pn.Tabs, ("Decision", decision_tab), ("Time series", self.series),
                         ("Compare", wide(pn.Column, self.compare_pane)),
                         ("What ruins us", self.ruin_tab), dynamic=True)  # fmt: skip
        self.tabs.param.watch(self._on_tab, "active")
        self.page.append(self.tabs)

    def _on_kind(self) -> None:
        if not self.rows:
            return
        kind = self.x.policy_kind
        self.rows["planned_growth"].visible = kind in POLICY_GROWTH_KEY
        self.rows["quantile"].visible = kind == "demand_quantile"
        self.rows["haircut"].visible = kind == "adaptive"
        self.rows["plan_to_ceiling"].visible = kind in POLICY_GROWTH_KEY

    def _on_change(self, *events: Any) -> None:
        """One redraw per publish: the key numbers at once, the rest in the next message."""
        names = {e.name for e in events}
        if names & {"results", "numbers"}:
            self._on_results()
        self.later(self._on_tables if "tables" in names else self._on_plan)

    def _on_plan(self) -> None:
        """Same tables, another plan: move the plan's marks, restate the decision."""
        if not (self._deferred or self._hidden(0)):
            with frozen():
                self._draw("heatmap")
                self._draw("frontier")
        self._draw_decision()

    def _on_results(self) -> None:
        x, res, num = self.x, self.x.results, self.x.numbers
        if res is None or not num:
            return
        last = int(num["final_year"])
        p = 100 * num["p_bankrupt"]
        self.kpi = {
            "kpi-bankrupt": (f"P(bankrupt), run-off included · {num['paths']:,} paths", f"{p:.1f}%"),
            "kpi-bankrupt-horizon": (f"P(bankrupt) within the horizon (to {last})",
                                     f"{100 * num['p_bankrupt_in_horizon']:.1f}%"),
            "kpi-revenue": (f"Median revenue in {last}", usd(num["revenue_final_year_p50"])),
            "kpi-unserved": (widgets.unserved_label(num), f"{100 * num['unserved_share']:.1f}%"),
            "kpi-cumulative": (f"Median cumulative revenue {int(res.years[0])}-{last}",
                               usd(num["cum_revenue_p50"])),
        }  # fmt: skip
        color = "#2ca02c" if p < 5 else "#e6a100" if p < 20 else "#d62728"
        self.kpis.object = widgets.kpis_html(self.kpi, color)
        lo, hi = num["p_bankrupt_ci95"]
        self.caption.object = (f"Scenario **{res.scenario.name}** · {num['paths']:,} paths, seed "
            f"{res.scenario.simulation.seed} (every view uses this seed; tables state their "
            f"path count) · P(bankrupt) 95% CI {lo:.1%}-{hi:.1%}, counting bankruptcies in the "
            f"{num['runoff_months']}-month run-off after the horizon · updated in "
            f"{1000 * x.run_seconds:.0f} ms")  # fmt: skip
        if self.rows:
            self.save.filename = f"{res.scenario.name}.yaml"
            self._mark_ruin_stale()

    def build_more(self, order: list[str] | None = None) -> None:
        """The "More assumptions" inputs (built when opened), strongest tornado drivers first."""
        self.rows.update({n: make_input(self.x, n) for n in MORE if n not in self.rows})
        names = list(MORE)
        if order:
            rank = {n: i for i, n in enumerate(order)}
            names.sort(key=lambda n: rank.get(MORE_FIELDS[n].dotted, len(rank)))
        self.more.objects = [self.rows[n] for n in names]

    def _on_tab(self, event: Any) -> None:
        self.x.prepare = charts.series_data if event.new == 1 else None  # the series' frames
        if event.new == 0:  # only while their tab is shown
            self._on_tables()  # catch up with what changed while it was hidden
        elif event.new == 1:
            if not self.ts:  # built on first view of their tab
                self.ts = charts.time_series_charts()
                self.series.objects = [c.pane for c in self.ts.values()]
            self.x.ensure_view()
            self._draw_series()

    def _draw_series(self) -> None:
        if self.x.view_data is not None and not self._hidden(1):
            with frozen():
                for chart in self.ts.values():
                    chart.send(self.x.view_data)

    def show_rest(self) -> None:
        """A served page, once loaded: its inputs and tabs, then the decision tab's charts one
        per event-loop tick (other pages get served in between)."""
        self.build_rest()
        self._deferred = False
        self._drawn.clear()
        for name in TABLE_CHARTS:

            def one(name: str = name) -> None:
                if not self._hidden(0) and name not in self._drawn:
                    self._drawn[name] = self.x.table(name)
                    self._draw(name, data_changed=True)

            self.later(one)

    def _hidden(self, tab: int) -> bool:
        """Whether tab ``tab`` is not on screen (its charts are redrawn when it opens)."""
        return self.tabs is not None and self.tabs.active != tab

    def _on_tables(self, *_: Any) -> None:
        if not (self._deferred or self._hidden(0)):  # else drawn when shown
            changed = {n for n in TABLE_CHARTS if self._drawn.get(n) is not self.x.table(n)}
            self._drawn.update({n: self.x.table(n) for n in changed})
            with frozen():
                for name in TABLE_CHARTS:
                    self._draw(name, data_changed=name in changed)
        self._draw_decision()

    def _message(self, name: str) -> Any:
        """The table if it can be drawn, else None (its message pane says why)."""
        value = self.x.table(name)  # a DataFrame, a message or None (not computed yet)
        if isinstance(value, pd.DataFrame) and not len(value):
            value = "The sweep returned no rows."
        drawable = isinstance(value, pd.DataFrame)
        self.msgs[name].visible = not drawable
        if not drawable:
            self.msgs[name].object = str(value or f"Computing the {name}…")
        return value if drawable else None

    def _draw(self, name: str, data_changed: bool = False) -> None:
        """Send chart ``name`` its table's frame (when new), the plan's marks, its staleness."""
        chart, frame = self.charts[name], TABLE_CHARTS[name]
        value = self._message(name)
        if not self._deferred and (value is not None or chart.data):
            d = dict(chart.data or {})
            if value is not None and (data_changed or frame not in d):
                d[frame] = self._frame(name, value)
            chart.send({**d, **self._marks(name, d), "stale": self.x.stale(name)})
        self._chart_state()

    def _frame(self, name: str, value: Any) -> pd.DataFrame:
        """The tidy frame of chart ``name`` (the tornado also names the top drivers)."""
        if name != "tornado":
            return {"heatmap": charts.heatmap_frame, "frontier": charts.frontier_frame}[name](value)
        value.attrs["paths"] = self.x.tables["tornado"]["paths"]
        bars = charts.tornado_frame(value)
        if self.more.objects:
            self.build_more(list(value["parameter"]))
        self.drivers.object = ("**Top drivers of P(bankrupt):** " + ", ".join(bars.attrs["top5"])
                               + ". Each has a slider: the main ones above, the others under "
                               "**More assumptions** in the sidebar.")  # fmt: skip
        return bars

    def _marks(self, name: str, d: dict[str, Any]) -> dict[str, Any]:
        """The current plan on chart ``name``: box on the heatmap, star and budget on the frontier."""
        if name == "heatmap":
            a, pol = d["cells"].attrs, self.x.current_scenario().policy
            key = "q" if pol.kind == "demand_quantile" else POLICY_GROWTH_KEY.get(pol.kind)
            value = float(central(getattr(pol, key))) if key else None
            return {"box": charts.plan_marker(a["ys"], len(a["xs"]), value, not a["is_q"])}
        if name == "frontier":
            cur = self.x.table_numbers or {}
            current = pd.DataFrame({"risk": [cur.get("p_bankrupt")], "label": ["current plan"],
                                    "revenue": [cur.get("cum_revenue_p50")]}).dropna()  # fmt: skip
            return {"current": current, "budget": float(self.x.budget) / 100}  # % -> share
        return {}

    def _chart_state(self) -> None:
        """Machine-readable state of the decision tab's charts (for tests and tools)."""
        parts = []
        for name, frame in TABLE_CHARTS.items():
            chart = self.charts[name]
            n = len(chart.data[frame]) if chart.data else 0
            ready = bool(chart.data) and not self.x.stale(chart.name)
            parts.append(f'<span data-testid="{chart.name}-state" data-count="{n}" '
                         f'data-state="{"ready" if ready else "pending"}"></span>')  # fmt: skip
        self.chart_state.object = "".join(parts)
        self.stale_note.visible = any(c.data and c.data["stale"] for c in (self.heat, self.front))

    def _draw_decision(self) -> None:
        x = self.x
        if not x.numbers:
            return
        opt = None if x.stale("decision") else x.table("decision")
        body, attrs = decision.sentence(opt, x.numbers, x.policy_words(), x.results)
        self.decision.object = decision.element(body, attrs)
        self.decision_parts = body, attrs  # the served page's static copy (serve_decision)
        if self.on_decision is not None:
            self.on_decision(attrs)
        show = attrs.get("feasible") in ("yes", "no") and attrs.get("current") != "recommended"
        self.apply_button.visible = show
        if show:
            self.apply_button.label = (f"Apply {attrs['plan']}" if attrs["feasible"] == "yes"
                                       else f"Apply the least risky: {attrs['least-risky']}")  # fmt: skip

    def apply_recommended(self) -> None:
        """Make the recommended plan the current one (exactly the evaluated plan)."""
        self.x.param.update(**decision.apply_updates(self.x.table("decision")))  # {}: none yet

    def _on_tap(self, index: list[int]) -> None:
        if index and self.front.data:  # the clicked point's policy
            policies = self.front.data["points"].attrs["policies"]
            self.x.param.update(**decision.cell_updates(policies[index[0]]))

    def _on_progress(self, *_: Any) -> None:
        x = self.x
        self.progress.param.update(value=x.analysis_progress, visible=0 < x.analysis_progress < 100)
        busy = " · running the new settings…" if x.busy else ""
        self.status.object = (x.analysis_status or "") + busy


def create_app(scenario: Scenario | str | Path | None = None) -> pn.template.BaseTemplate:
    """One session's dashboard (a Panel template) for a scenario or scenario file."""
    pn.extension(notifications=False)
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    x = Explorer(scenario, scenarios_dir=SCENARIOS_DIR, **session.session_hooks())
    doc = session.session_doc()
    if doc is not None:
        pages.local_styles(doc)  # before any model is built
    dash = Dashboard(x, later=doc.add_next_tick_callback if doc is not None else None)
    template = pn.template.BootstrapTemplate(  # no external fonts/CDN: works offline
        title="compute-sim: how much compute to buy",
        sidebar=[dash.side],  # one root each: a root costs a pass over every model
        main=[dash.page],
        sidebar_width=320,
        header_background="#1f5fa8",
        busy_indicator=None,  # Panel sets every page's indicator on any page's event,
    )  # outside the other pages' document locks (a slider change was lost in a test)
    if doc is not None:
        loc = pn.state.location
        if dash.decision_parts and not (loc and loc.query_params):  # a link with no settings
            pages.serve_decision(template, doc, *dash.decision_parts)
            dash.on_decision = lambda attrs: pages.mark_static(doc, attrs.get("state") == "ready")
            dash.on_decision(dash.decision_parts[1])
        if loc is not None:
            session.share_links(loc, PERCENT_INPUTS)
            loc.sync(x, {n: n for n in URL_PARAMS if n in x.param})
            loc.sync(dash.actuals, {"url": "actuals"})  # after the settings
        if not pages.prerendering():  # no browser loads that one: others need not wait
            pn.state.onload(session.after_first_loads(doc, dash.show_rest))
        doc.on_session_destroyed(session.when_closed(x))  # this page's document, not curdoc
    template.dashboard = dash  # type: ignore[attr-defined]  (handy in tests)
    return template


if __name__.startswith("bokeh"):
    _args = [a for a in sys.argv[1:] if a.endswith((".yaml", ".yml"))]
    create_app(_args[0] if _args else None).servable()

__all__ = ["INPUTS", "Dashboard", "create_app"]
