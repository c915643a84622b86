"""The dashboard's Actuals card: paste the lab's monthly numbers (CSV) and every run becomes
the posterior given them (:mod:`sim.model.condition`); the saved YAML carries them."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import holoviews as hv
import pandas as pd
import panel as pn
import param

from sim.errors import ScenarioError
from sim.model.actuals import MAX_CSV_BYTES, parse_actuals_csv, replace_points
from sim.model.condition import run_prior
from sim.model.io import scenario_from_dict
from sim.model.scenario import Scenario
from sim.reports.charts import LOG_FLOOR
from sim.reports.frames import chart_frames

from .cache import MemoryLRU, scenario_key
from .widgets import wide

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


def with_actuals(scenario: Scenario, text: str | bytes, src: str = "pasted actuals") -> Scenario:
    """``scenario`` conditioned on the CSV ``text`` (empty: no actuals)."""
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    data.pop("actuals", None)
    data["simulation"].pop("as_of", None)
    if isinstance(text, bytes) or text.strip():  # an uploaded file is never "no actuals"
        rows = parse_actuals_csv(text, src, scenario.simulation.start)
        data = replace_points(data, rows, f"{src} in the dashboard")
    return scenario_from_dict(data, src)


def conditioning_words(results: Any) -> str:
    """What the shown run is conditioned on, its ESS and any warning (Markdown)."""
    c = getattr(results, "conditioning", None)
    if not c:
        return "No actuals: the charts show the prior."
    return (f"Posterior given the actuals up to **{c['as_of']}**: effective sample size "
            f"**{c['ess']:,.0f}** of {c['candidates']:,} weighted prior paths."
            + "".join(f"\n\n⚠ {w}" for w in c.get("warnings", [])))  # fmt: skip


class ActualsCard(param.Parameterized):
    """Paste box, CSV upload, apply/remove buttons and the shown run's conditioning status."""

    url = param.String("", doc="The shown run's actuals, encoded (url_text); '' without")

    def __init__(self, explorer: Any) -> None:
        super().__init__()
        self.x = explorer
        base = explorer.current_scenario()
        self.url = url_text(actuals_csv(base))
        self.text = wide(pn.widgets.TextAreaInput, value=actuals_csv(base), placeholder=PLACEHOLDER,
                         height=110, css="actuals-text")  # fmt: skip
        self.file = wide(pn.widgets.FileInput, accept=".csv,text/csv", multiple=False)
        self.apply = pn.widgets.Button(label="Apply actuals", color="primary",
                                       css_classes=["actuals-apply"])  # fmt: skip
        self.remove = pn.widgets.Button(label="Remove actuals")
        self.status = pn.pane.Markdown(conditioning_words(explorer.results),
                                      css_classes=["actuals-status"])  # fmt: skip
        self.apply.on_click(lambda _e: self.set_text(self.text.value))
        self.remove.on_click(lambda _e: self.set_text(""))
        self.file.param.watch(self._on_file, "value")
        explorer.param.watch(self._on_results, "results")
        help_text = ("Paste or upload `month,revenue_run_rate[,gw_online][,gross_margin]`: "
                     "runs become the posterior given them (the last month is today). Time "
                     "series: black dots are the actuals, grey dashed line and band the "
                     "prior's median and P5-P95.")  # fmt: skip
        self.panel = wide(pn.Card, pn.pane.Markdown(help_text), self.text, self.file,
                          pn.Row(self.apply, self.remove), self.status, title="Actuals",
                          collapsed=True)  # fmt: skip

    def set_text(self, text: str | bytes, src: str = "pasted actuals") -> bool:
        """Condition the current settings on ``text``; False (problems shown) when invalid."""
        try:
            scenario = with_actuals(self._settings(), text, src)
        except ScenarioError as exc:
            self.status.object = f"**Not applied ({src}):**\n" + "\n".join(
                f"- {f or 'file'}: {m[:300]}" for f, m in exc.problems[:10])  # fmt: skip
            return False
        self.text.value = actuals_csv(scenario)
        self.x.load(scenario)
        return True

    def _settings(self) -> Scenario:
        """The sidebar's settings (those of the shown run when they are not valid)."""
        try:
            return self.x.scenario()
        except ScenarioError:
            return self.x.current_scenario()

    def _on_file(self, event: Any) -> None:
        if event.new is not None:
            self.set_text(event.new, self.file.filename or "uploaded CSV")

    def _on_results(self, *_: Any) -> None:
        self.status.object = conditioning_words(self.x.results)
        encoded = url_text(actuals_csv(self.x.current_scenario()))
        if len(encoded) > MAX_URL_CHARS:
            encoded = ""
            self.status.object += ("\n\nThese actuals are too long for the page's URL "
                                   f"(> {MAX_URL_CHARS:,} characters): save the YAML to keep them.")  # fmt: skip
        self.url = encoded

    @param.depends("url", watch=True)
    def _on_url(self) -> None:
        """A URL's actuals (page load, back button) condition the settings."""
        try:
            text = text_from_url(self.url)
        except ValueError as exc:
            self.status.object = f"**Not applied (actuals in the URL):** {exc}"
            return
        if text != actuals_csv(self.x.current_scenario()):
            self.set_text(text, "actuals in the URL")


MAX_URL_CHARS = 4000  # longest encoded actuals kept in the URL [characters]


def url_text(csv_text: str) -> str:
    """Compact URL form of actuals CSV text: zlib-compressed, base64url (no padding)."""
    if not csv_text.strip():
        return ""
    raw = zlib.compress(csv_text.encode("utf-8"), 9)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def text_from_url(encoded: str) -> str:
    """CSV text of :func:`url_text`; ``ValueError`` if invalid or over ``MAX_CSV_BYTES``."""
    if not encoded:
        return ""
    if len(encoded) > MAX_URL_CHARS:
        raise ValueError(f"longer than {MAX_URL_CHARS:,} characters")
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        inflate = zlib.decompressobj()
        data = inflate.decompress(raw, MAX_CSV_BYTES + 1)
    except (ValueError, zlib.error) as exc:
        raise ValueError(f"not an encoded actuals CSV ({exc})") from None
    if len(data) > MAX_CSV_BYTES or inflate.unconsumed_tail:
        raise ValueError(f"more than {MAX_CSV_BYTES:,} bytes of CSV")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None


PRIOR_COLOR = "#7f7f7f"
DOT_COLOR = "#111111"
# fan chart -> (its frame of the prior, the actuals' field drawn as dots)
DOT_CHARTS = {"money": ("revenue", "revenue_run_rate"), "capacity": ("capacity_gw", "gw_online")}
NO_ACTUALS: dict[str, Any] = {}  # one shared object: the empty layers' pipes never resend
PRIOR_RUNS = MemoryLRU(max_items=4)  # (scenario JSON, paths) -> prior run (a few MB each)
_EMPTY_DOTS = pd.DataFrame({"month": pd.to_datetime([]), "value": [], "field": []})
_EMPTY_FAN = pd.DataFrame({"month": pd.to_datetime([]), "p5": [], "p50": [], "p95": []})


def prior_results(results: Any) -> Any:
    """The prior of conditioned ``results``: the same run without the actuals' weights."""
    s = results.scenario
    key = (scenario_key(s), int(results.paths))
    prior = PRIOR_RUNS.get(key)
    if prior is None:
        prior = run_prior(s, monthly_paths=2000)[0]
        PRIOR_RUNS.put(key, prior)
    return prior


def actuals_data(results: Any) -> dict[str, Any]:
    """``{"actuals": {chart: {"dots": frame, "prior": P5/P50/P95 frame}}}`` of the fan charts."""
    s = results.scenario
    if getattr(results, "conditioning", None) is None or s.actuals is None:
        return {"actuals": NO_ACTUALS}
    frames = chart_frames(prior_results(results))
    out: dict[str, Any] = {}
    for chart, (frame, field) in DOT_CHARTS.items():
        pts = [(p.month, v) for p in s.actuals.points if (v := getattr(p, field)) is not None]
        dots = pd.DataFrame({"month": pd.to_datetime([m + "-01" for m, _ in pts]),
                             "value": [float(v) for _, v in pts], "field": field})  # fmt: skip
        q = ["p5", "p50", "p95"]
        prior = frames[frame].reset_index()[["month", *q]]
        floor = LOG_FLOOR["revenue" if chart == "money" else "demand_gw"]  # both on log axes:
        prior[q] = prior[q].clip(lower=floor).fillna(floor)  # a bankrupt path at the axis floor
        out[chart] = {"dots": dots.astype({"field": object}), "prior": prior}
    return {"actuals": out}


def actuals_layers(chart: str, log: bool) -> list[tuple[Any, tuple[str, ...]]]:
    """Layers of fan chart ``chart``: the prior's band and median, and the actuals as dots."""
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
