"""The dashboard's frozen model graph (dashboard.session.frozen) never sends a change naming
a model the browser does not know."""

from __future__ import annotations

from bokeh.document import Document
from bokeh.models import ColumnDataSource, GlyphRenderer, Plot, Scatter
from panel.io.state import set_curdoc

from dashboard.session import frozen


def test_changes_made_while_frozen_reach_the_browser_after_the_graph_knows_their_models():
    """A chart update may add models; a change sent while the model graph is frozen would
    name models the document (and so the browser) does not know yet."""
    doc = Document()
    plot = Plot()
    doc.add_root(plot)
    unknown = []

    def on_change(event):  # what a server session sends as a patch
        new = getattr(event, "new", None) or []
        unknown.extend(m for m in new if doc.models.get_by_id(m.id) is None)

    doc.on_change(on_change)
    with set_curdoc(doc), frozen():
        layer = GlyphRenderer(data_source=ColumnDataSource({"x": [1]}), glyph=Scatter())
        plot.renderers = [*plot.renderers, layer]
    assert plot.renderers[-1] is layer
    assert doc.models.get_by_id(layer.id) is layer
    assert unknown == []


def test_forget_sessions_leaves_no_stopped_session_as_curdoc():
    """A session's document left on Bokeh's patched-curdoc stack (Panel pushes it without
    try/finally) is not the document of apps built after the servers stopped."""
    import weakref

    from bokeh.io import curdoc
    from bokeh.io import doc as bokeh_doc

    from dashboard.session import forget_sessions

    leftover = Document()
    bokeh_doc._PATCHED_CURDOCS.append(weakref.ref(leftover))
    assert curdoc() is leftover
    forget_sessions()
    assert not bokeh_doc._PATCHED_CURDOCS
    assert curdoc() is not leftover
