"""Bokeh figures to a script and divs for a standalone page, independent of any served session."""

from __future__ import annotations

from collections.abc import Mapping

from bokeh.document import Document
from bokeh.embed import components
from bokeh.model import Model


def standalone_components(figures: Mapping[str, Model]) -> tuple[str, dict[str, str]]:
    """``bokeh.embed.components`` on a fresh document of our own, in the default theme.

    Bokeh's ``components`` otherwise copies settings from the process-wide ``curdoc()``, which in
    a process that also serves the dashboard can be another thread's session document, already
    destroyed when the session closed (``AttributeError: ... '_js_event_callbacks'``). Figures
    that already belong to one document are rendered from that document as they are.
    """
    models = list(figures.values())
    if all(m.document is None for m in models):
        doc = Document()
        with doc.models.freeze():  # one walk of the model graph for all roots, not one per root
            for m in models:
                doc.add_root(m)
    script, divs = components(dict(figures), theme=None)
    return script, divs
