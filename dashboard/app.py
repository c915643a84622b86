"""Panel app: ``panel serve dashboard/app.py`` or ``python -m sim dashboard [SCENARIO]``.

Layout: a sidebar of inputs generated from :class:`dashboard.explorer.Explorer` (scenario
picker, save/download buttons, "Run sweeps"), then big key numbers and tabs of charts.
Every session gets its own Explorer; runs and sweeps are cached across sessions.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if __name__.startswith("bokeh"):  # `panel serve dashboard/app.py` from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd
import panel as pn

from dashboard import views
from dashboard.explorer import POLICY_GROWTH_KEY, Explorer
from dashboard.sweeps import policy_axis
from sim.model.distributions import central, support
from sim.model.io import load_scenario
from sim.model.scenario import Scenario

REPO = Path(__file__).resolve().parent.parent
SCENARIOS_DIR = REPO / "scenarios"
SIDEBAR = (
    "scenario_file", "years", "growth_low", "growth_high", "growth_persistence", "diffusion_lag_years",
    "lead_time_months", "contract_years", "price_per_gw_year", "training_share",
    "min_training_share", "gross_margin", "initial_cash", "policy_kind", "planned_growth",
    "quantile", "plan_to_ceiling", "paths", "sweep_paths", "scenario_name",
)  # fmt: skip
"""Explorer parameters shown as widgets, in order."""
SLIDERS = {
    "growth_low", "growth_high", "growth_persistence", "diffusion_lag_years", "lead_time_months",
    "contract_years", "price_per_gw_year", "training_share", "min_training_share",
    "gross_margin", "initial_cash", "planned_growth", "quantile", "paths", "years",
}  # fmt: skip
USD_UNITS = (("T", 1e12), ("B", 1e9), ("M", 1e6))


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
        self.x = explorer
        x = explorer
        widgets: dict[str, Any] = {n: {"css_classes": [f"w-{n}"]} for n in SIDEBAR}
        for n in SLIDERS:  # recompute when a slider is released, not while dragging
            widgets[n]["throttled"] = True
        widgets["scenario_file"]["type"] = pn.widgets.Select
        self.inputs = pn.Param(x.param, parameters=list(SIDEBAR), widgets=widgets,
                               show_name=False, sizing_mode="stretch_width")  # fmt: skip
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                   sizing_mode="stretch_width", css_classes=["settings-alert"])  # fmt: skip
        self.n_bust = pn.indicators.Number(label="P(bankrupt)", value=0.0, format="{value:.1f}%",
                                           colors=[(5, "#2ca02c"), (20, "#e6a100"), (100, "#d62728")],
                                           font_size="28pt", title_size="12pt",
                                           css_classes=["kpi-bankrupt"])  # fmt: skip
        self.n_bust_h = pn.indicators.Number(label="P(bankrupt) within the horizon", value=0.0,
                                             format="{value:.1f}%", font_size="28pt",
                                             title_size="12pt",
                                             css_classes=["kpi-bankrupt-horizon"])  # fmt: skip
        self.n_rev = pn.indicators.Number(label="Median revenue", value=0.0, font_size="28pt",
                                          title_size="12pt", css_classes=["kpi-revenue"])  # fmt: skip
        self.n_unserved = pn.indicators.Number(label="Unserved demand", value=0.0,
                                               format="{value:.1f}%", font_size="28pt",
                                               title_size="12pt", css_classes=["kpi-unserved"])  # fmt: skip
        self.n_cum = pn.indicators.Number(label="Median cumulative revenue", value=0.0,
                                          font_size="28pt", title_size="12pt")  # fmt: skip
        self.caption = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["caption"])
        hv_opts = {"sizing_mode": "stretch_width", "min_height": 340, "linked_axes": False}
        self.p_demand = pn.pane.HoloViews(None, **hv_opts)
        self.p_capacity = pn.pane.HoloViews(None, **hv_opts)
        self.p_money = pn.pane.HoloViews(None, **hv_opts)
        self.p_cash = pn.pane.HoloViews(None, **hv_opts)
        self.p_risk = pn.pane.HoloViews(None, **hv_opts)
        self.p_competition = pn.pane.HoloViews(None, visible=False, **hv_opts)
        self.sweep_panes = {
            name: pn.Column(sizing_mode="stretch_width")
            for name in ("heatmap", "frontier", "tornado")
        }
        self.run_button = pn.widgets.Button(label="Run sweeps", color="primary",
                                            sizing_mode="stretch_width",
                                            css_classes=["run-sweeps"])  # fmt: skip
        self.run_button.on_click(lambda _e: x.run_sweeps())
        self.progress = pn.indicators.Progress(value=0, max=100, sizing_mode="stretch_width",
                                               visible=False)  # fmt: skip
        self.sweep_status = pn.pane.Markdown(x.sweep_status, sizing_mode="stretch_width",
                                             css_classes=["sweep-status"])  # fmt: skip
        self.save = pn.widgets.FileDownload(callback=x.yaml_file, filename="scenario.yaml",
                                            label="Save as scenario (YAML)", color="success",
                                            sizing_mode="stretch_width",
                                            css_classes=["save-yaml"])  # fmt: skip
        self.csv = pn.widgets.FileDownload(callback=x.by_year_csv, filename="by_year.csv",
                                           label="Download results (CSV)", color="light",
                                           sizing_mode="stretch_width",
                                           css_classes=["download-csv"])  # fmt: skip
        x.param.watch(self._on_results, ["results", "numbers"])
        x.param.watch(self._on_error, ["error"])
        x.param.watch(self._on_sweeps, ["sweep_results"])
        x.param.watch(self._on_progress, ["sweep_progress", "sweep_status"])
        x.param.watch(self._on_kind, ["policy_kind"])
        self._on_kind()
        self._on_results()
        self._on_sweeps()

    # -------------------------------------------------------------------- callbacks
    def _on_kind(self, *_: Any) -> None:
        kind = self.x.policy_kind
        # None keeps the sidebar order; -1 hides the input
        self.x.param.planned_growth.precedence = None if kind in POLICY_GROWTH_KEY else -1
        self.x.param.quantile.precedence = None if kind == "demand_quantile" else -1
        # only planned_growth/adaptive plans can bend; the value is not written otherwise
        self.x.param.plan_to_ceiling.precedence = None if kind in POLICY_GROWTH_KEY else -1

    def _on_error(self, *_: Any) -> None:
        self.alert.object = self.x.error
        self.alert.visible = bool(self.x.error)

    def _on_results(self, *_: Any) -> None:
        x, res, num = self.x, self.x.results, self.x.numbers
        if res is None or not num:
            return
        rev, rev_fmt = usd_number(num["revenue_final_year_p50"])
        cum, cum_fmt = usd_number(num["cum_revenue_p50"])
        last = int(num["final_year"])
        self.n_bust.param.update(value=100 * num["p_bankrupt"],
                                 label="P(bankrupt), run-off included")  # fmt: skip
        self.n_bust_h.param.update(value=100 * num["p_bankrupt_in_horizon"],
                                   label=f"P(bankrupt) within the horizon (to {last})")  # fmt: skip
        self.n_rev.param.update(value=rev, format=rev_fmt, label=f"Median revenue in {last}")
        self.n_unserved.param.update(value=100 * num["unserved_share"],
                                     label="Unserved demand (share of potential)")  # fmt: skip
        self.n_cum.param.update(value=cum, format=cum_fmt,
                                label=f"Median cumulative revenue {int(res.years[0])}-{last}")  # fmt: skip
        lo, hi = num["p_bankrupt_ci95"]
        self.caption.object = (
            f"Scenario **{res.scenario.name}** · {num['paths']:,} paths (seed "
            f"{res.scenario.simulation.seed}) · P(bankrupt) 95% CI {lo:.1%}-{hi:.1%}, counting "
            f"bankruptcies in the {num['runoff_months']}-month run-off after the horizon, "
            "while contracts signed in it are still paid · "
            f"updated in {1000 * x.run_seconds:.0f} ms"
        )
        self.p_demand.object = views.demand_vs_served(res)
        self.p_capacity.object = views.capacity(res)
        self.p_money.object = views.revenue_vs_cost(res)
        self.p_cash.object = views.cash(res)
        self.p_risk.object = views.bankruptcy_curve(res)
        comp = views.competition(res)
        self.p_competition.object = comp
        self.p_competition.visible = comp is not None
        self.save.filename = f"{res.scenario.name}.yaml"
        self._mark_stale()

    def _on_progress(self, *_: Any) -> None:
        running = 0 < self.x.sweep_progress < 100
        self.progress.param.update(value=self.x.sweep_progress, visible=running)
        self.sweep_status.object = self.x.sweep_status
        self.run_button.disabled = running

    def _mark_stale(self) -> None:
        done = self.x.sweep_results.get("scenario")
        if done is not None and done != self.x.current_scenario():
            self.sweep_status.object = (
                "Sweeps below are for earlier settings; press **Run sweeps** to update."
            )

    def _on_sweeps(self, *_: Any) -> None:
        out = self.x.sweep_results
        scenario: Scenario | None = out.get("scenario")
        for name, col in self.sweep_panes.items():
            value = out.get(name)
            msg = views.message_pane_text(value)
            if msg is not None or scenario is None:
                col.objects = [pn.pane.Alert(msg or "", alert_type="info")]
                continue
            try:
                col.objects = self._sweep_views(name, value, scenario, out)
            except Exception as exc:  # a chart bug must not break the session
                col.objects = [pn.pane.Alert(f"Cannot draw {name}: {exc}", alert_type="warning")]
        self._mark_stale()

    def _sweep_views(
        self, name: str, df: pd.DataFrame, scenario: Scenario, out: dict[str, Any]
    ) -> list[Any]:
        opts = {"sizing_mode": "stretch_width", "min_height": 380, "linked_axes": False}
        if name == "heatmap":
            key, _ = policy_axis(scenario)  # type: ignore[misc]
            current = _policy_value(scenario, key)
            lo, hi = (f"{v:g}x" for v in support(scenario.demand.growth))
            note = pn.pane.Markdown(
                f"Each cell: the world grows at exactly the column's rate every year; the "
                f"plan assumes the row's value. The scenario itself draws growth between "
                f"{lo} and {hi}. {int(df['paths'].iloc[0]) if 'paths' in df else ''} paths "
                "per cell.",
                sizing_mode="stretch_width",
            )
            return [note] + [
                pn.pane.HoloViews(views.heatmap(df, m, key, current), **opts)
                for m in ("p_bankrupt", "cum_revenue_p50")
            ]
        if name == "frontier":
            return [pn.pane.HoloViews(views.frontier(df, out["current"]), **opts)]
        return [pn.pane.HoloViews(views.tornado(df), **opts)]

    # ------------------------------------------------------------------------ layout
    def sidebar(self) -> list[Any]:
        return [
            self.inputs,
            pn.pane.Markdown("### Sweeps"),
            self.run_button,
            self.progress,
            self.sweep_status,
            pn.pane.Markdown("### Export"),
            self.save,
            self.csv,
        ]

    def main(self) -> list[Any]:
        numbers = pn.FlexBox(self.n_bust, self.n_bust_h, self.n_rev, self.n_unserved, self.n_cum,
                             sizing_mode="stretch_width")  # fmt: skip
        tabs = pn.Tabs(
            ("Demand & capacity", pn.Column(self.p_demand, self.p_capacity)),
            ("Revenue, cost & cash", pn.Column(self.p_money, self.p_cash)),
            ("Bankruptcy risk", self.p_risk),
            (
                "Competition",
                pn.Column(
                    pn.pane.Markdown(
                        "Shown for scenarios with a `competition:` section (e.g. "
                        "scenarios/competition.yaml)."
                    ),
                    self.p_competition,
                ),
            ),
            ("Heatmap", self.sweep_panes["heatmap"]),
            ("Frontier", self.sweep_panes["frontier"]),
            ("Tornado", self.sweep_panes["tornado"]),
            dynamic=True,
            sizing_mode="stretch_width",
        )
        return [pn.Column(self.alert, numbers, self.caption, tabs, sizing_mode="stretch_width")]


def _policy_value(scenario: Scenario, key: str) -> float:
    return central(getattr(scenario.policy, key.split(".", 1)[1]))


def create_app(
    scenario: Scenario | str | Path | None = None, scenarios_dir: str | Path = SCENARIOS_DIR
) -> pn.template.BaseTemplate:
    """Build one session's dashboard (a Panel template) for a scenario or scenario file."""
    pn.extension(notifications=False)
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    dash = Dashboard(Explorer(scenario, scenarios_dir=scenarios_dir))
    template = pn.template.BootstrapTemplate(  # no external fonts/CDN: works offline
        title="compute-sim: how much compute to buy",
        sidebar=dash.sidebar(),
        main=dash.main(),
        sidebar_width=340,
        header_background="#1f5fa8",
    )
    template.dashboard = dash  # type: ignore[attr-defined]  (handy in tests)
    return template


def serve(
    scenario: Scenario | str | Path | None = None,
    *,
    port: int = 5006,
    host: str = "127.0.0.1",
    show: bool = True,
    threaded: bool = False,
    start: bool = True,
) -> Any:
    """Serve the dashboard on ``http://host:port/`` (one fresh app per browser session)."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    origins = [f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]
    return pn.serve(
        {"/": lambda: create_app(scenario)},
        port=port,
        address=host,
        show=show,
        start=start,
        threaded=threaded,
        title="compute-sim dashboard",
        websocket_origin=origins,
    )


if __name__.startswith("bokeh"):
    _args = [a for a in sys.argv[1:] if a.endswith((".yaml", ".yml"))]
    create_app(_args[0] if _args else None).servable()
