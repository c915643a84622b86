"""Panel app: ``panel serve dashboard/app.py`` or ``python -m sim dashboard [SCENARIO]``.

Layout: the decision in words at the top (``data-testid="decision"``), key numbers, then a
"Decision" tab with the risk-upside heatmap and the policy frontier side by side and the
tornado below, a "Time series" tab, a "Compare" tab and "What ruins us". The sidebar holds
the inputs (each with its schema description as a tooltip), YAML upload and downloads.

Every session gets its own :class:`Explorer`; runs and background tables are cached across
sessions (:mod:`dashboard.cache`). Work runs on :mod:`dashboard.jobs`'s thread pools and
results come back onto the session's event loop, where charts are updated in place.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path
from typing import Any, ClassVar

if __name__.startswith("bokeh"):  # `panel serve dashboard/app.py` from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd
import panel as pn
import param
from bokeh.core.property.validation import validate

from dashboard import decision, jobs, views
from dashboard.explorer import INPUTS, POLICY_GROWTH_KEY, URL_PARAMS, Explorer
from dashboard.schema import FIELDS, MORE_FIELDS
from sim.model.distributions import central
from sim.model.io import load_scenario
from sim.model.scenario import Scenario
from sim.outputs import usd

REPO = Path(__file__).resolve().parent.parent
SCENARIOS_DIR = REPO / "scenarios"
SIDEBAR = (
    "scenario_file", "budget", "policy_kind", "planned_growth", "quantile", "haircut",
    "plan_to_ceiling", "growth_low", "growth_high", "growth_persistence", "diffusion_lag_years",
    "lead_time_months", "contract_years", "price_per_gw_year", "training_share",
    "min_training_share", "gross_margin", "initial_cash", "years", "paths",
)  # fmt: skip
"""Explorer parameters shown as widgets in the sidebar, in order."""
MORE = tuple(MORE_FIELDS)
"""Inputs of the "More assumptions" card (every other input the tornado varies)."""
SAVE = ("scenario_name", "scenario_description")
SLIDERS = {*FIELDS, *MORE_FIELDS, "growth_low", "growth_high", "planned_growth", "quantile",
           "haircut", "paths", "years", "budget"}  # fmt: skip
USD_UNITS = (("T", 1e12), ("B", 1e9), ("M", 1e6))
CSS = """
.kpis-row { display: flex; flex-wrap: wrap; }
.kpi { display: inline-block; margin: 4px 28px 4px 0; vertical-align: top; }
.kpi-label { font-size: 12px; color: #555; }
.kpi-value { font-size: 28px; }
.decision-text { font-size: 15px; line-height: 1.45; padding: 10px 14px; background: #f3f7fc;
                 border-left: 5px solid #1f5fa8; border-radius: 4px; }
.decision-text p { margin: 2px 0 6px 0; }
.decision-text table.order { border-collapse: collapse; font-size: 13px; margin: 2px 0 6px 0; }
.decision-text table.order td, .decision-text table.order th { border: 1px solid #d5dde8;
                                                                padding: 1px 8px; text-align: right; }
.decision-text table.order td:first-child { text-align: left; }
.decision-text .standing { font-size: 14px; line-height: 1.35; }
.decision-text .bound-note { font-size: 12px; color: #555; line-height: 1.3; }
"""


class FastFloatSlider(pn.widgets.FloatSlider):
    """A slider whose released value reaches the server without Panel's 50 ms debounce."""

    _priority_changes: ClassVar[list[str]] = ["value_throttled"]


class FastIntSlider(pn.widgets.IntSlider):
    """Integer :class:`FastFloatSlider`."""

    _priority_changes: ClassVar[list[str]] = ["value_throttled"]


def usd_number(x: float) -> tuple[float, str]:
    """Value and format for a Number indicator showing USD as $12.3B."""
    for unit, scale in USD_UNITS:
        if abs(x) >= scale:
            return x / scale, "${value:,.3g}" + unit if abs(
                x
            ) / scale < 1000 else "${value:,.0f}" + unit
    return x, "${value:,.0f}"


class Dashboard:
    """Widgets and panes of one browser session, wired to an :class:`Explorer`."""

    def __init__(self, explorer: Explorer) -> None:
        self.x = x = explorer
        self.rows: dict[str, Any] = {n: self._input(n) for n in (*SIDEBAR, *SAVE)}
        self.inputs = pn.Column(*(self.rows[n] for n in SIDEBAR), sizing_mode="stretch_width")
        self.more = pn.Column(sizing_mode="stretch_width")  # filled when the card opens
        self.more_card = pn.Card(self.more, title="More assumptions (every tornado input)",
                                 collapsed=True, sizing_mode="stretch_width",
                                 css_classes=["more-assumptions"])  # fmt: skip
        self.more_card.param.watch(lambda e: self.build_more() if not e.new else None, "collapsed")
        self.save_inputs = pn.Column(*(self.rows[n] for n in SAVE), sizing_mode="stretch_width")
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                   sizing_mode="stretch_width", css_classes=["settings-alert"])  # fmt: skip
        self.decision = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[CSS],
                                     css_classes=["decision"])  # fmt: skip
        self.apply_button = pn.widgets.Button(label="Apply the recommended plan", color="primary",
                                              css_classes=["apply-plan"], visible=False, width=220)  # fmt: skip
        self.apply_button.on_click(lambda _e: self.apply_recommended())
        self.kpis = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[CSS],
                                 css_classes=["kpis"])  # fmt: skip
        self.kpi: dict[str, tuple[str, str]] = {}
        """KPI css class -> (label, shown value)."""
        self.caption = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["caption"])
        self.progress = pn.indicators.Progress(value=0, max=100, sizing_mode="stretch_width",
                                               height=8, visible=False)  # fmt: skip
        self.status = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["sweep-status"],
                                       margin=(0, 10))  # fmt: skip
        self.ts: dict[str, Any] = {}  # built when the "Time series" tab is first opened
        self.series = pn.Column(pn.pane.Markdown("Loading the time series…"),
                                sizing_mode="stretch_width")  # fmt: skip
        with validate(False):  # ~2x faster page build; inputs are ours
            self.heat, self.front, self.torn = views.Heatmap(), views.Frontier(), views.Tornado()
        self.heat_msg = pn.pane.Alert("Computing the heatmap…", alert_type="info", visible=False)
        self.front_msg = pn.pane.Alert("Computing the frontier…", alert_type="info", visible=False)
        self.torn_msg = pn.pane.Alert("Computing the tornado…", alert_type="info", visible=False)
        self.chart_state = pn.pane.HTML("", css_classes=["chart-state"], margin=0)
        self.drivers = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["drivers"])
        self.front.src.selected.on_change("indices", self._on_tap)
        self._drawn: dict[str, Any] = {}
        # compare
        self.pin_button = pn.widgets.Button(label="Pin these settings for compare",
                                            css_classes=["pin"], sizing_mode="stretch_width")  # fmt: skip
        self.pin_button.on_click(lambda _e: x.pin())
        self.compare_pane = pn.pane.Markdown("Pin a setting (sidebar), then change the inputs: "
                                             "the two runs are compared here with paired 95% CIs.",
                                             sizing_mode="stretch_width", css_classes=["compare"])  # fmt: skip
        # what ruins us
        self.ruin_button = pn.widgets.Button(label="Find what ruins us", color="primary",
                                             css_classes=["run-discovery"])  # fmt: skip
        self.ruin_button.on_click(lambda _e: x.run_discovery())
        self.ruin_status = pn.pane.Markdown(x.ruin_status, sizing_mode="stretch_width",
                                            css_classes=["ruin-status"])  # fmt: skip
        self.ruin_text = pn.pane.Markdown(
            "", sizing_mode="stretch_width", css_classes=["ruin-text"]
        )
        self.ruin_charts = pn.Column(sizing_mode="stretch_width")
        # files
        self.upload = pn.widgets.FileInput(accept=".yaml,.yml", multiple=False,
                                           sizing_mode="stretch_width", css_classes=["upload-yaml"])  # fmt: skip
        self.upload.param.watch(self._on_upload, "value")
        from .actuals import ActualsCard

        self.actuals = ActualsCard(explorer)
        self.save = pn.widgets.FileDownload(callback=x.yaml_file, filename="scenario.yaml",
                                            label="Save as scenario (YAML)", color="success",
                                            sizing_mode="stretch_width", css_classes=["save-yaml"])  # fmt: skip
        self.csv = pn.widgets.FileDownload(callback=x.by_year_csv, filename="by_year.csv",
                                           label="Download results (CSV)", color="light",
                                           sizing_mode="stretch_width", css_classes=["download-csv"])  # fmt: skip
        x.param.watch(self._on_change, ["results", "numbers", "view_data", "table_numbers",
                                        "tables"])  # fmt: skip
        x.param.watch(self._on_error, ["error"])
        x.param.watch(self._on_progress, ["analysis_progress", "analysis_status", "busy"])
        x.param.watch(self._on_kind, ["policy_kind"])
        x.param.watch(self._on_ruin, ["ruin_results"])
        x.param.watch(self._on_ruin_status, ["ruin_status"])
        x.param.watch(self._on_compare, ["compare"])
        x.param.watch(self._on_budget, ["budget"])
        self._on_kind()
        self._on_error()
        self._on_change()

    def _input(self, name: str) -> Any:
        """The widget of one Explorer input, with its schema description as a tooltip
        (an info icon beside widgets that have no tooltip of their own, like sliders)."""
        p = self.x.param[name]
        kw: dict[str, Any] = {"css_classes": [f"w-{name}"], "sizing_mode": "stretch_width"}
        if name in SLIDERS:
            cls = FastIntSlider if isinstance(p, param.Integer) else FastFloatSlider
            widget = cls.from_param(p, throttled=True, **kw)
        elif isinstance(p, param.Selector):
            widget = pn.widgets.Select.from_param(p, **kw)
        elif isinstance(p, param.Boolean):
            widget = pn.widgets.Checkbox.from_param(p, **kw)
        elif name == "scenario_description":
            widget = pn.widgets.TextAreaInput.from_param(p, height=70, **kw)
        else:
            widget = pn.widgets.TextInput.from_param(p, **kw)
        if "description" in widget.param or not p.doc:
            return widget
        icon = pn.widgets.TooltipIcon(value=p.doc, width=18, margin=(14, 4, 0, 0),
                                      css_classes=[f"tip-{name}"])  # fmt: skip
        return pn.Row(widget, icon, sizing_mode="stretch_width", margin=0)

    # -------------------------------------------------------------------- callbacks
    def _on_kind(self, *_: Any) -> None:
        kind = self.x.policy_kind
        self.rows["planned_growth"].visible = kind in POLICY_GROWTH_KEY
        self.rows["quantile"].visible = kind == "demand_quantile"
        self.rows["haircut"].visible = kind == "adaptive"
        self.rows["plan_to_ceiling"].visible = kind in POLICY_GROWTH_KEY

    def _on_error(self, *_: Any) -> None:
        self.alert.object = self.x.error
        self.alert.visible = bool(self.x.error)

    def _on_budget(self, *_: Any) -> None:
        self._draw_frontier()

    def _on_change(self, *events: Any) -> None:
        """One redraw per publish (a run and its tables arrive in one batch)."""
        names = {e.name for e in events} if events else {"results", "tables"}
        if names & {"results", "numbers", "view_data"}:
            self._on_results()
        if "tables" in names:
            self._on_tables()
        else:
            self._draw_heatmap(data_changed=False)
            self._draw_frontier()
            self._draw_decision()

    def _on_results(self) -> None:
        x, res, num = self.x, self.x.results, self.x.numbers
        if res is None or not num:
            return
        rev, rev_fmt = usd_number(num["revenue_final_year_p50"])
        cum, cum_fmt = usd_number(num["cum_revenue_p50"])
        last = int(num["final_year"])
        n = f"{num['paths']:,} paths"
        p = 100 * num["p_bankrupt"]
        color = "#2ca02c" if p < 5 else "#e6a100" if p < 20 else "#d62728"
        self.kpi = {
            "kpi-bankrupt": (f"P(bankrupt), run-off included · {n}", f"{p:.1f}%"),
            "kpi-bankrupt-horizon": (f"P(bankrupt) within the horizon (to {last})",
                                     f"{100 * num['p_bankrupt_in_horizon']:.1f}%"),
            "kpi-revenue": (f"Median revenue in {last}", rev_fmt.format(value=rev)),
            "kpi-unserved": (unserved_label(num), f"{100 * num['unserved_share']:.1f}%"),
            "kpi-cumulative": (f"Median cumulative revenue {int(res.years[0])}-{last}",
                               cum_fmt.format(value=cum)),
        }  # fmt: skip
        self.kpis.object = (
            '<div class="kpis-row">'
            + "".join(
                f'<div class="kpi {cls}"><div class="kpi-label">{label}</div>'
                f'<div class="kpi-value"{f" style=color:{color}" if cls == "kpi-bankrupt" else ""}>'
                f"{value}</div></div>"
                for cls, (label, value) in self.kpi.items()
            )
            + "</div>"
        )
        lo, hi = num["p_bankrupt_ci95"]
        self.caption.object = (
            f"Scenario **{res.scenario.name}** · {num['paths']:,} paths, seed "
            f"{res.scenario.simulation.seed} (every view uses this seed; tables state their "
            f"path count) · P(bankrupt) 95% CI {lo:.1%}-{hi:.1%}, counting bankruptcies in the "
            f"{num['runoff_months']}-month run-off after the horizon · updated in "
            f"{1000 * x.run_seconds:.0f} ms"
        )
        if x.view_data is not None:
            for chart in self.ts.values():
                chart.update(x.view_data)
        self.save.filename = f"{res.scenario.name}.yaml"
        self._mark_ruin_stale()

    def build_more(self, order: list[str] | None = None) -> None:
        """Create the "More assumptions" inputs (on first opening of their card), the
        strongest tornado drivers first when the tornado is known."""
        for n in MORE:
            if n not in self.rows:
                self.rows[n] = self._input(n)
        names = list(MORE)
        if order:
            rank = {n: i for i, n in enumerate(order)}
            names.sort(key=lambda n: rank.get(MORE_FIELDS[n].dotted, len(rank)))
        self.more.objects = [self.rows[n] for n in names]

    def build_series(self) -> None:
        """Build the time-series charts (on first view of their tab) and fill them."""
        if self.ts:
            return
        with validate(False):
            self.ts = views.time_series_charts()
        if self.x.view_data is not None:
            for chart in self.ts.values():
                chart.update(self.x.view_data)
        bk = {"sizing_mode": "stretch_width", "min_width": 420}
        self.series.objects = [pn.pane.Bokeh(c.fig, **bk) for c in self.ts.values()]

    # ------------------------------------------------------------------ background tables
    def _on_tables(self, *_: Any) -> None:
        changed = {n for n in ("heatmap", "frontier", "tornado")
                   if self._drawn.get(n) is not self.x.table(n)}  # fmt: skip
        for name in changed:
            self._drawn[name] = self.x.table(name)
        self._draw_heatmap(data_changed="heatmap" in changed)
        self._draw_frontier(data_changed="frontier" in changed)
        self._draw_tornado(data_changed="tornado" in changed)
        self._draw_decision()

    def _current_axis_value(self) -> float | None:
        s = self.x.current_scenario()
        kind = s.policy.kind
        if kind == "demand_quantile":
            return float(central(s.policy.q))
        key = POLICY_GROWTH_KEY.get(kind)
        return float(central(getattr(s.policy, key))) if key else None

    def _draw_heatmap(self, data_changed: bool = True) -> None:
        value, stale = self.x.table("heatmap"), self.x.stale("heatmap")
        msg = views.message_pane_text(value)
        self.heat_msg.visible = msg is not None and not (stale and value is None)
        if msg is not None:
            self.heat_msg.object = msg if value is not None else "Computing the heatmap…"
            self.heat_msg.visible = True
        data = None
        if data_changed and isinstance(value, pd.DataFrame):
            data = views.heatmap_data(value, value.attrs.get("policy_key", "policy.planned_growth"))
        self.heat.update(data, self._current_axis_value(), stale or msg is not None)
        self._chart_state()

    def _draw_frontier(self, data_changed: bool = False) -> None:
        value, stale = self.x.table("frontier"), self.x.stale("frontier")
        msg = views.message_pane_text(value)
        self.front_msg.visible = msg is not None
        if msg is not None:
            self.front_msg.object = msg if value is not None else "Computing the frontier…"
        data = (
            views.frontier_data(value) if data_changed and isinstance(value, pd.DataFrame) else None
        )
        cur = self.x.table_numbers or None
        self.front.update(
            data, cur, float(self.x.budget) / 100, stale or msg is not None
        )  # % -> share
        self._chart_state()

    def _draw_tornado(self, data_changed: bool = True) -> None:
        value, stale = self.x.table("tornado"), self.x.stale("tornado")
        msg = views.message_pane_text(value)
        self.torn_msg.visible = msg is not None
        if msg is not None:
            self.torn_msg.object = msg if value is not None else "Computing the tornado…"
        data = None
        if data_changed and isinstance(value, pd.DataFrame):
            value.attrs["paths"] = self.x.tables["tornado"]["paths"]
            data = views.tornado_data(value)
            if self.more.objects:
                self.build_more(list(value["parameter"]))
            self.drivers.object = (
                "**Top drivers of P(bankrupt):** " + ", ".join(data["top5"]) + ". Each has a "
                "slider: the main ones above, the others under **More assumptions** in the "
                "sidebar."
            )
        self.torn.update(data, stale or msg is not None)
        self._chart_state()

    def _chart_state(self) -> None:
        """Machine-readable state of the decision tab's charts (for tests and tools)."""
        parts = []
        for name, chart in (("heatmap", self.heat), ("frontier", self.front),
                            ("tornado", self.torn)):  # fmt: skip
            ready = chart.data is not None and not self.x.stale(name)
            n = (
                len(chart.src.data.get("x" if name == "heatmap" else "risk", []))
                if name != "tornado"
                else len(chart.low.data["y"])
            )
            parts.append(f'<span data-testid="{name}-state" data-state="{"ready" if ready else "pending"}" '
                         f'data-count="{n}"></span>')  # fmt: skip
        self.chart_state.object = "".join(parts)

    def _draw_decision(self) -> None:
        x = self.x
        if not x.numbers:
            return
        opt = None if x.stale("decision") else x.table("decision")
        body, attrs = decision.sentence(opt, x.numbers, x.policy_words(), x.results)
        self.decision.object = decision.element(body, attrs)
        # the button applies the recommendation; hidden once it is the current plan
        self.apply_button.visible = (
            attrs.get("feasible") == "yes" and attrs.get("current") != "recommended"
        )
        if self.apply_button.visible:
            self.apply_button.label = f"Apply {attrs['plan']}"

    def apply_recommended(self) -> None:
        """Make the recommended plan the current one (exactly the evaluated plan)."""
        updates = decision.apply_updates(self.x.table("decision"))
        if updates:
            self.x.param.update(**updates)

    def _on_tap(self, _attr: str, _old: Any, new: list[int]) -> None:
        data = self.front.data
        if not new or data is None:
            return
        cell = data["cells"][new[0]]
        kind = cell.get("policy.kind")
        updates: dict[str, Any] = {"policy_kind": kind}
        if kind == "planned_growth":
            updates["planned_growth"] = float(cell["policy.planned_growth"])
        elif kind == "demand_quantile":
            updates["quantile"] = float(cell["policy.q"])
        elif kind == "adaptive":
            updates["haircut"] = float(cell["policy.haircut"])
        self.x.param.update(**updates)

    def _on_progress(self, *_: Any) -> None:
        x = self.x
        running = 0 < x.analysis_progress < 100
        self.progress.param.update(value=x.analysis_progress, visible=running)
        busy = " · running the new settings…" if x.busy else ""
        self.status.object = (x.analysis_status or "") + busy

    # ------------------------------------------------------------------------ other tabs
    def _on_compare(self, *_: Any) -> None:
        table = self.x.compare
        if isinstance(table, BaseException):
            self.compare_pane.object = f"Cannot compare: {table}"
            return
        if not isinstance(table, pd.DataFrame):
            return
        self.compare_pane.object = compare_markdown(table)

    def _on_upload(self, event: Any) -> None:
        if event.new:
            self.x.load_yaml(event.new, self.upload.filename or "upload.yaml")

    def _on_ruin_status(self, *_: Any) -> None:
        self.ruin_status.object = self.x.ruin_status

    def _on_ruin(self, *_: Any) -> None:
        out = self.x.ruin_results
        if not out:
            return
        try:
            self.ruin_text.object = views.ruin_markdown(out)
            d = out.get("discovery")
            if d is None:
                self.ruin_charts.objects = []
                return
            from sim.reports.discovery import box_chart, tradeoff_chart

            self.ruin_charts.objects = [pn.pane.Bokeh(tradeoff_chart(d, width=560, height=400)),
                                        pn.pane.Bokeh(box_chart(d, width=560))]  # fmt: skip
        except Exception as exc:  # a chart bug must not break the session
            self.ruin_text.object = f"Cannot show the discovery: {exc}"
        self._mark_ruin_stale()

    def _mark_ruin_stale(self) -> None:
        found = self.x.ruin_results.get("scenario")
        if found is not None and found != self.x.current_scenario():
            self.ruin_status.object = (
                "The boxes below are for earlier settings; press **Find what ruins us** to update."
            )

    # ------------------------------------------------------------------------ layout
    def sidebar(self) -> list[Any]:
        """One column (one document root: each root costs a pass over every model when
        the page is built)."""
        return [pn.Column(
            pn.pane.Markdown("### Settings"),
            self.inputs,
            self.more_card,
            pn.pane.Markdown("### Load, save, compare"),
            pn.pane.Markdown("Load a scenario file (YAML):", margin=(0, 10)),
            self.upload,
            self.actuals.panel,
            self.save_inputs,
            self.save,
            self.csv,
            self.pin_button,
            sizing_mode="stretch_width",
        )]  # fmt: skip

    def main(self) -> list[Any]:
        numbers = self.kpis
        bk = {"sizing_mode": "stretch_width", "min_width": 420}
        decision_tab = pn.Column(
            pn.Row(
                pn.Column(self.heat_msg, pn.pane.Bokeh(self.heat.fig, **bk), sizing_mode="stretch_width"),
                pn.Column(self.front_msg, pn.pane.Bokeh(self.front.fig, **bk), sizing_mode="stretch_width"),
                sizing_mode="stretch_width",
            ),
            self.torn_msg,
            pn.pane.Bokeh(self.torn.fig, **bk),
            self.drivers,
            self.chart_state,
            sizing_mode="stretch_width",
        )  # fmt: skip
        tabs = pn.Tabs(
            ("Decision", decision_tab),
            ("Time series", self.series),
            ("Compare", pn.Column(self.compare_pane, sizing_mode="stretch_width")),
            ("What ruins us", pn.Column(
                pn.pane.Markdown(
                    "Every path is a world with its own draws of each uncertain input. PRIM "
                    "looks for the box of inputs where ruin concentrates (the first box: the "
                    "largest share of all ruin among boxes where at least 80% of worlds are "
                    "ruined), and for signposts a lab could watch by 2027-2028.",
                    sizing_mode="stretch_width",
                ),
                self.ruin_button, self.ruin_status, self.ruin_text, self.ruin_charts,
                sizing_mode="stretch_width",
            )),
            dynamic=True,
            sizing_mode="stretch_width",
        )  # fmt: skip
        tabs.param.watch(lambda e: self.build_series() if e.new == 1 else None, "active")
        self.tabs = tabs
        return [pn.Column(self.alert, pn.Row(self.decision, self.apply_button, sizing_mode="stretch_width"),
                          numbers, self.progress, self.status, self.caption, tabs,
                          sizing_mode="stretch_width")]  # fmt: skip


def compare_markdown(table: pd.DataFrame) -> str:
    """The compare table as Markdown: each metric for the pinned and current runs and the
    difference with its 95% CI (paired when both share seed and paths)."""
    rows = ["| Metric | Pinned | Current | Difference (95% CI) |", "|---|---|---|---|"]
    paired = True
    for _metric, grp in table.groupby("metric", sort=False):
        a, b = grp.iloc[0], grp.iloc[1]
        unit = a["unit"]

        def fmt(v: float, u: str = unit) -> str:
            if u == "share":
                return f"{v:.1%}"
            if u.startswith("USD"):
                return usd(v)
            return f"{v:,.3g}"

        def dfmt(v: float, u: str = unit) -> str:
            if u == "share":
                return f"{100 * v:+.1f} pp"
            return ("+" if v >= 0 else "-") + fmt(abs(v))

        paired = paired and bool(b["paired"])
        rows.append(f"| {a['label']} | {fmt(a['value'])} | {fmt(b['value'])} | "
                    f"{dfmt(b['diff'])} ({dfmt(b['diff_lo'])} to {dfmt(b['diff_hi'])}) |")  # fmt: skip
    note = ("Same seed and paths: paired intervals (Newcombe for P(bankrupt), paired bootstrap "
            "otherwise), the same engine as `python -m sim compare`." if paired else
            "Different seed or paths: unpaired intervals.")  # fmt: skip
    return "\n".join(rows) + "\n\n" + note


def _policy_value(scenario: Scenario, key: str) -> float:
    return central(getattr(scenario.policy, key.split(".", 1)[1]))


def session_hooks(explorer_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Runner/dispatch/prepare of a served session: jobs on the shared pools, results back
    on this session's event loop (``doc.add_next_tick_callback``)."""
    doc = pn.state.curdoc
    if doc is None or doc.session_context is None:
        return explorer_kwargs
    loop_thread = threading.current_thread()

    def dispatch(fn: Any) -> None:
        if threading.current_thread() is loop_thread:
            fn()
            return

        def cb() -> None:
            doc.hold("combine")
            try:
                fn()
            finally:
                doc.unhold()

        with contextlib.suppress(Exception):  # the session may have closed
            doc.add_next_tick_callback(cb)

    def runner(fn: Any, done: Any) -> None:
        jobs.submit(jobs.INTERACTIVE, fn, done)

    return {**explorer_kwargs, "runner": runner, "dispatch": dispatch,
            "prepare": views.series_data, "auto_analysis": True}  # fmt: skip


def create_app(
    scenario: Scenario | str | Path | None = None, scenarios_dir: str | Path = SCENARIOS_DIR
) -> pn.template.BaseTemplate:
    """Build one session's dashboard (a Panel template) for a scenario or scenario file."""
    pn.extension(notifications=False)
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    kwargs = session_hooks({"scenarios_dir": scenarios_dir})
    x = Explorer(scenario, prepare=kwargs.pop("prepare", views.series_data), **kwargs)
    dash = Dashboard(x)
    template = pn.template.BootstrapTemplate(  # no external fonts/CDN: works offline
        title="compute-sim: how much compute to buy",
        sidebar=dash.sidebar(),
        main=dash.main(),
        sidebar_width=360,
        header_background="#1f5fa8",
    )
    if (
        pn.state.location is not None
        and pn.state.curdoc is not None
        and pn.state.curdoc.session_context
    ):
        pn.state.location.sync(x, {n: n for n in URL_PARAMS if n in x.param})
    if pn.state.curdoc is not None and pn.state.curdoc.session_context:
        pn.state.on_session_destroyed(lambda _ctx: x.close())
    template.dashboard = dash  # type: ignore[attr-defined]  (handy in tests)
    return template


def serve(*args: Any, **kwargs: Any) -> Any:
    """:func:`dashboard.server.serve` (kept here for older imports)."""
    from .server import serve as _serve

    return _serve(*args, **kwargs)


if __name__.startswith("bokeh"):
    _args = [a for a in sys.argv[1:] if a.endswith((".yaml", ".yml"))]
    create_app(_args[0] if _args else None).servable()

__all__ = ["INPUTS", "Dashboard", "create_app", "usd_number"]


def unserved_label(num: dict) -> str:
    """Label of the unserved key number; with a market it says who served none of it."""
    to_rivals = num.get("lost_to_rivals_share")
    if to_rivals is None:
        return "Unserved demand (share of potential)"
    return (f"Unserved demand (share of potential): {100 * to_rivals:.1f}% served by rivals, "
            f"{100 * num['unserved_by_market_share']:.1f}% by nobody")  # fmt: skip
