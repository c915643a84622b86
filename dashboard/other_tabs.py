"""The dashboard's side tabs and file buttons: pinned compare, "What ruins us" (scenario
discovery), YAML upload/save and CSV download. A mixin of :class:`dashboard.app.Dashboard`
(it uses ``self.x``, the session's :class:`dashboard.explorer.Explorer`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import panel as pn

from .widgets import compare_markdown, ruin_markdown

RUIN_INTRO = (
    "Every path is a world with its own draws of each uncertain input. PRIM looks for the box "
    "of inputs where ruin concentrates (the first box: the largest share of all ruin among "
    "boxes where at least 80% of worlds are ruined), and for signposts a lab could watch by "
    "2027-2028."
)


class OtherTabs:
    """Compare, "What ruins us" and the file buttons of one session."""

    x: Any

    def init_other_tabs(self) -> None:
        x = self.x
        self.pin_button = pn.widgets.Button(label="Pin these settings for compare",
                                            css_classes=["pin"], sizing_mode="stretch_width")  # fmt: skip
        self.pin_button.on_click(lambda _e: x.pin())
        self.compare_pane = pn.pane.Markdown("Pin a setting (sidebar), then change the inputs: "
                                             "the two runs are compared here with paired 95% CIs.",
                                             sizing_mode="stretch_width", css_classes=["compare"])  # fmt: skip
        self.ruin_button = pn.widgets.Button(label="Find what ruins us", color="primary",
                                             css_classes=["run-discovery"])  # fmt: skip
        self.ruin_button.on_click(lambda _e: x.run_discovery())
        self.ruin_status = pn.pane.Markdown(x.ruin_status, sizing_mode="stretch_width",
                                            css_classes=["ruin-status"])  # fmt: skip
        self.ruin_text = pn.pane.Markdown(
            "", sizing_mode="stretch_width", css_classes=["ruin-text"]
        )
        self.ruin_charts = pn.Column(sizing_mode="stretch_width")
        self.ruin_tab = pn.Column(pn.pane.Markdown(RUIN_INTRO, sizing_mode="stretch_width"),
                                  self.ruin_button, self.ruin_status, self.ruin_text,
                                  self.ruin_charts, sizing_mode="stretch_width")  # fmt: skip
        self.upload = pn.widgets.FileInput(accept=".yaml,.yml", multiple=False,
                                           sizing_mode="stretch_width", css_classes=["upload-yaml"])  # fmt: skip
        self.upload.param.watch(self._on_upload, "value")
        self.save = pn.widgets.FileDownload(callback=x.yaml_file, filename="scenario.yaml",
                                            label="Save as scenario (YAML)", color="success",
                                            sizing_mode="stretch_width", css_classes=["save-yaml"])  # fmt: skip
        self.csv = pn.widgets.FileDownload(callback=x.by_year_csv, filename="by_year.csv",
                                           label="Download results (CSV)", color="light",
                                           sizing_mode="stretch_width", css_classes=["download-csv"])  # fmt: skip
        x.param.watch(self._on_ruin, ["ruin_results"])
        x.param.watch(
            lambda *_: setattr(self.ruin_status, "object", x.ruin_status), ["ruin_status"]
        )
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
            self.ruin_status.object = (
                "The boxes below are for earlier settings; press **Find what ruins us** to update."
            )
