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


def test_released_changes_queue_behind_panels_waiting_messages(monkeypatch):
    """Panel serialises some changes at once and writes them later while the socket is
    busy; a change released after them must queue behind them (a change written first
    could name a model whose definition is still queued: "reference ... isn't known").
    Bokeh's own ``doc.unhold()`` would hand it to the session at once."""
    import threading
    import weakref
    from types import SimpleNamespace

    import panel.io.document as pdoc
    from bokeh.protocol import Protocol
    from panel.io.state import state

    from dashboard.session import in_order

    doc = Document()
    plot = Plot()
    doc.add_root(plot)

    class Context:  # a served session's context, as far as Panel reads it
        id = "s"

    class Connection:  # a browser's connection, as far as Panel reads it
        protocol = Protocol()
        _socket = object()

    conn = Connection()
    ctx = Context()
    ctx.session = SimpleNamespace(_subscribed_connections=[conn])
    doc._session_context = weakref.ref(ctx)
    direct = []
    doc.on_change(lambda event: direct.append(event))  # Bokeh's path to the session
    monkeypatch.setitem(state._loaded, doc, True)
    monkeypatch.setitem(state._thread_id_, doc, threading.get_ident())
    monkeypatch.setattr(pdoc, "_dispatch_write_task", lambda *a, **k: None)  # no event loop
    monkeypatch.setitem(pdoc._WRITE_BLOCK, doc, True)  # Panel's earlier messages still queued
    earlier = object()  # a message Panel serialised before and has not written yet
    monkeypatch.setitem(pdoc._WRITE_MSGS, doc, {conn: [earlier]})
    with in_order(doc):
        plot.title = None
        plot.width = 321
    assert direct == []  # nothing jumped the queue
    msgs = pdoc._WRITE_MSGS[doc][conn]
    assert len(msgs) == 2
    assert msgs[0] is earlier
    assert '"new":321' in msgs[1].content_json.replace(" ", "")
