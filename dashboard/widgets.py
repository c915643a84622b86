"""Widgets of the dashboard: the sidebar's inputs, the compare and "What ruins us" tabs and
the file buttons (:class:`OtherTabs`, a Dashboard mixin), and the text formats they share."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import panel as pn
import param

from sim.analysis.compare import format_value

from .schema import FIELDS, MORE_FIELDS

SIDEBAR = ("scenario_file", "budget", "policy_kind", "planned_growth", "quantile", "haircut",
           "plan_to_ceiling", "growth_low", "growth_high", *FIELDS, "years", "paths")  # fmt: skip
MORE = tuple(MORE_FIELDS)  # the "More assumptions" card
SAVE = ("scenario_name", "scenario_description")
CSS = """
.kpis-row { display: flex; flex-wrap: wrap; }
.kpi { display: inline-block; margin: 4px 24px 4px 0; vertical-align: top; min-width: 0; }
.kpi-label { font-size: 12px; color: #555; }
.kpi-value { font-size: 26px; }
.decision-text { font-size: 15px; line-height: 1.45; padding: 10px 14px; background: #f3f7fc;
                 border-left: 5px solid #1f5fa8; border-radius: 4px; overflow-wrap: anywhere; }
.decision-text p { margin: 2px 0 6px 0; }
.decision-text table.order { border-collapse: collapse; font-size: 13px; margin: 2px 0 6px 0; }
.decision-text table.order td, .decision-text table.order th { border: 1px solid #d5dde8;
                                                                padding: 1px 8px; text-align: right; }
.decision-text table.order td:first-child { text-align: left; }
.decision-text .standing { font-size: 14px; line-height: 1.35; }
.decision-text .bound-note { font-size: 12px; color: #555; line-height: 1.3; }
"""


def wide(cls: Any, *args: Any, css: str = "", **kw: Any) -> Any:
    """Panel component ``cls(*args, **kw)`` spanning the width, with CSS class ``css``."""
    return cls(*args, sizing_mode="stretch_width", css_classes=[css] if css else [], **kw)


def make_input(explorer: param.Parameterized, name: str) -> Any:
    """The widget of one Explorer input, its description as tooltip (an icon beside sliders)."""
    p = explorer.param[name]
    kw: dict[str, Any] = {"css_classes": [f"w-{name}"], "sizing_mode": "stretch_width"}
    if isinstance(p, param.Number):  # every number is a slider (param.Integer included)
        cls = pn.widgets.IntSlider if isinstance(p, param.Integer) else pn.widgets.FloatSlider
        widget = cls.from_param(p, throttled=True, **kw)
        widget._priority_changes = ["value_throttled"]  # released: sent without the 50 ms debounce
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


def unserved_label(num: dict) -> str:
    """Label of the unserved key number; with a market it says who served none of it."""
    to_rivals = num.get("lost_to_rivals_share")
    if to_rivals is None:
        return "Unserved demand (share of potential)"
    return (f"Unserved demand (share of potential): {100 * to_rivals:.1f}% served by rivals, "
            f"{100 * num['unserved_by_market_share']:.1f}% by nobody")  # fmt: skip


def kpis_html(kpi: dict[str, tuple[str, str]], color: str) -> str:
    """The key numbers as one HTML row (P(bankrupt) coloured by how high it is)."""
    return '<div class="kpis-row">' + "".join(
        f'<div class="kpi {cls}"><div class="kpi-label">{label}</div>'
        f'<div class="kpi-value"{f" style=color:{color}" if cls == "kpi-bankrupt" else ""}>'
        f"{value}</div></div>"
        for cls, (label, value) in kpi.items()
    ) + "</div>"  # fmt: skip


def compare_markdown(table: pd.DataFrame) -> str:
    """The compare table as Markdown, differences with their 95% CI (numbers formatted as
    ``python -m sim compare`` prints them)."""
    fmt = format_value
    rows = ["| Metric | Pinned | Current | Difference (95% CI) |", "|---|---|---|---|"]
    paired = True
    for _metric, grp in table.groupby("metric", sort=False):
        (a, b), u = (grp.iloc[0], grp.iloc[1]), grp.iloc[0]["unit"]
        paired = paired and bool(b["paired"])
        rows.append(f"| {a['label']} | {fmt(a['value'], u)} | {fmt(b['value'], u)} | "
                    f"{fmt(b['diff'], u, True)} ({fmt(b['diff_lo'], u, True)} to "
                    f"{fmt(b['diff_hi'], u, True)}) |")  # fmt: skip
    note = ("Same seed and paths: paired intervals (Newcombe for P(bankrupt), paired bootstrap "
            "otherwise), the same engine as `python -m sim compare`." if paired else
            "Different seed or paths: unpaired intervals.")  # fmt: skip
    return "\n".join(rows) + "\n\n" + note


def ruin_markdown(out: dict[str, Any]) -> str:
    """The "What ruins us" text: first box, cross-checks, and the signpost as YAML."""
    from sim.analysis.discover import describe

    if "message" in out:
        return str(out["message"])
    d = out["discovery"]
    lines = [f"**{d.p_target:.1%} of {d.paths:,} worlds end in ruin** (bankrupt in the "
             "horizon or the run-off)."]  # fmt: skip
    if d.note:
        lines.append(d.note)
    if d.boxes:
        lines.append(f"**First box:** {d.sentences()[0]}.")
        if not d.reached:
            lines.append(f"(No box reaches {d.min_density:.0%} density: this is the densest.)")
    if d.cart is not None:
        lines.append(f"CART cross-check: {describe(d.cart, d.target_words)}.")
    if d.escape is not None and d.escape.boxes:
        lines.append(f"Ruin is the common outcome; the worlds that escape it: "
                     f"{d.escape.sentences()[0]}.")  # fmt: skip
    sp = out.get("recommended")
    if sp is not None:
        lines.append(f"**Signpost** {sp.sentence()}. Paste into the scenario:")
        lines.append("```yaml\n" + sp.yaml() + "\n```")
    return "\n\n".join(lines)


RUIN_INTRO = ("Every path is a world with its own draws of each uncertain input. PRIM looks for "
              "the box of inputs where ruin concentrates (the first box: the largest share of all "
              "ruin among boxes where at least 80% of worlds are ruined), and for signposts a lab "
              "could watch by 2027-2028.")  # fmt: skip


class OtherTabs:
    """Compare, "What ruins us" and the file buttons of one session."""

    x: Any

    def init_other_tabs(self) -> None:
        x = self.x
        self.pin_button = wide(pn.widgets.Button, label="Pin these settings for compare", css="pin")
        self.pin_button.on_click(lambda _e: x.pin())
        self.compare_pane = wide(pn.pane.Markdown, "Pin a setting (sidebar), then change the "
                                 "inputs: the two runs are compared here with paired 95% CIs.",
                                 css="compare")  # fmt: skip
        self.ruin_button = pn.widgets.Button(label="Find what ruins us", color="primary",
                                             css_classes=["run-discovery"])  # fmt: skip
        self.ruin_button.on_click(lambda _e: x.run_discovery())
        self.ruin_status = wide(pn.pane.Markdown, x.ruin_status, css="ruin-status")
        self.ruin_text = wide(pn.pane.Markdown, "", css="ruin-text")
        self.ruin_charts = wide(pn.Column)
        self.ruin_tab = wide(pn.Column, wide(pn.pane.Markdown, RUIN_INTRO), self.ruin_button,
                             self.ruin_status, self.ruin_text, self.ruin_charts)  # fmt: skip
        self.upload = wide(pn.widgets.FileInput, accept=".yaml,.yml", multiple=False,
                           css="upload-yaml")  # fmt: skip
        self.upload.param.watch(self._on_upload, "value")
        self.save = wide(pn.widgets.FileDownload, callback=lambda: io.StringIO(x.scenario_yaml()),
                         filename=f"{x.current_scenario().name}.yaml", color="success",
                         label="Save as scenario (YAML)", css="save-yaml")  # fmt: skip
        self.csv = wide(pn.widgets.FileDownload, callback=x.by_year_csv, filename="by_year.csv",
                        label="Download results (CSV)", color="light", css="download-csv")  # fmt: skip
        x.param.watch(self._on_ruin, ["ruin_results"])
        x.param.watch(lambda *_: setattr(self.ruin_status, "object", x.ruin_status), "ruin_status")
        x.param.watch(self._on_compare, ["compare"])

    def _on_compare(self, *_: Any) -> None:
        table = self.x.compare
        if isinstance(table, BaseException):
            self.compare_pane.object = f"Cannot compare: {table}"
        elif isinstance(table, pd.DataFrame):
            self.compare_pane.object = compare_markdown(table)

    def _on_upload(self, event: Any) -> None:
        if event.new:
            self.x.load_yaml(event.new, self.upload.filename or "upload.yaml")

    def _on_ruin(self, *_: Any) -> None:
        out = self.x.ruin_results
        if not out:
            return
        try:
            self.ruin_text.object = ruin_markdown(out)
            d = out.get("discovery")
            self.ruin_charts.objects = []
            if d is not None:
                from sim.reports.discovery import box_chart, tradeoff_chart

                bk = {"sizing_mode": "stretch_width", "min_width": 300}
                self.ruin_charts.objects = [pn.pane.Bokeh(tradeoff_chart(d, width=560, height=400), **bk),
                                            pn.pane.Bokeh(box_chart(d, width=560), **bk)]  # fmt: skip
        except Exception as exc:  # a chart bug must not break the session
            self.ruin_text.object = f"Cannot show the discovery: {exc}"
        self._mark_ruin_stale()

    def _mark_ruin_stale(self) -> None:
        found = self.x.ruin_results.get("scenario")
        if found is not None and found != self.x.current_scenario():
            self.ruin_status.object = ("The boxes below are for earlier settings; press **Find "
                                       "what ruins us** to update.")  # fmt: skip
