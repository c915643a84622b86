"""The dashboard's compare and "What ruins us" tabs and file buttons (a Dashboard mixin)."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import panel as pn

from .widgets import compare_markdown, ruin_markdown, wide

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
                         filename="scenario.yaml", label="Save as scenario (YAML)", color="success",
                         css="save-yaml")  # fmt: skip
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
