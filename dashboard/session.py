"""A served session of the dashboard: which document it is, where its work runs, and the
order in which several pages opened at once are built (every page's decision first).

No dashboard layout here (:mod:`dashboard.app`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import panel as pn

from . import jobs


@contextlib.contextmanager
def frozen() -> Iterator[None]:
    """One recompute of the page's model graph for several chart updates (each HoloViews
    update otherwise walks every model of the document once). The changes are held until
    the graph has been recomputed (a chart update may add models, and a change sent while
    the graph is frozen names models the browser does not know) and then sent in order
    (:func:`in_order`)."""
    doc = pn.state.curdoc
    if doc is None:
        yield
        return
    with in_order(doc), doc.models.freeze():
        yield


@contextlib.contextmanager
def in_order(doc: Any) -> Iterator[None]:
    """Hold ``doc``'s changes, then send them after any of Panel's messages still waiting.

    Panel serialises some changes at once but writes them later, while the socket is
    busy; changes released by Bokeh's own ``doc.unhold()`` were written before those,
    so a page could receive a change naming a model whose definition was still queued
    ("reference p2643 isn't known", CI with actuals in a link). Panel's ``hold`` releases
    through the same queue."""
    from panel.io.document import hold
    from panel.io.state import set_curdoc

    if doc.callbacks.hold_value is not None:  # an outer hold releases them later
        yield
        return
    with set_curdoc(doc), hold(doc, policy="combine"):
        yield


def forget_sessions() -> None:
    """Make Bokeh's process-wide ``curdoc()`` a plain document again once every server of
    this process has stopped. Panel's callbacks push a session's document onto Bokeh's
    patched-curdoc stack without ``try/finally``; one left there after its server stopped
    becomes the document of every app built later in the process (a test's charts then
    waited for that session's event loop to update them and never did)."""
    from bokeh.document import Document
    from bokeh.io import doc as bokeh_doc

    bokeh_doc._PATCHED_CURDOCS.clear()
    bokeh_doc.set_curdoc(Document())


def session_hooks(explorer_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Runner/dispatch of a served session: jobs on the shared pools, results back on this
    session's event loop (``doc.add_next_tick_callback``)."""
    doc = session_doc()
    if doc is None:
        return explorer_kwargs
    loop_thread = threading.current_thread()

    def dispatch(fn: Any) -> None:
        if threading.current_thread() is loop_thread:
            fn()
            return

        def cb() -> None:
            with in_order(doc):
                fn()

        with contextlib.suppress(Exception):  # the session may have closed
            doc.add_next_tick_callback(cb)

    def runner(fn: Any, done: Any) -> None:
        jobs.submit(jobs.INTERACTIVE, fn, done)

    return {**explorer_kwargs, "runner": runner, "dispatch": dispatch, "auto_analysis": True}


def session_doc() -> Any:
    """The document of the server session building this app, or None (a script or test).

    Panel sets it per context while a session's app is built. ``pn.state.curdoc`` also falls
    back to Bokeh's process-wide current document, which points at *another* thread's
    session while that session runs a callback (a threaded server, as in the browser tests):
    an app built then in a script or test would wrongly think it is served."""
    doc = pn.state._curdoc.get()
    return doc if doc is not None and doc.session_context is not None else None


def served() -> bool:
    """Whether this code runs inside a server session (not a script or test)."""
    return session_doc() is not None


LOADING: dict[str, float] = {}
"""Served pages not yet loaded in their browser: session id -> when its page was served or
built [monotonic s]."""
CHARTS_WAIT_S = 8.0
"""Longest a loaded page defers the rest of itself while other pages load [s]."""


def expect(session_id: str) -> None:
    """A page was served whose session will be built when its browser connects (a reused
    page): the pages loaded meanwhile wait for it as for one already built (at most
    :data:`CHARTS_WAIT_S`: older entries, of pages whose browser never connected, go)."""
    now = time.monotonic()
    for sid in [sid for sid, t in LOADING.items() if t < now - CHARTS_WAIT_S]:
        del LOADING[sid]
    LOADING.setdefault(session_id, now)


def connected(doc: Any) -> bool:
    """Whether a browser is connected to ``doc``'s session (True outside a server)."""
    live = getattr(doc.session_context, "_session", None)
    return live is None or live.connection_count > 0


def after_first_loads(doc: Any, draw: Any) -> Any:
    """The onload callback of a served page: ``draw`` (the rest of the page: inputs, tabs,
    charts) waits while other pages served less than :data:`CHARTS_WAIT_S` ago have not
    loaded yet, at most that long. Ten people opening the link at once all see the decision
    before anybody's inputs and charts are built (every Bokeh model of every session is
    built on the one event loop)."""
    sid = doc.session_context.id
    start = LOADING.setdefault(sid, time.monotonic())

    def go() -> None:
        LOADING.pop(sid, None)
        if not connected(doc):  # the page was closed: nobody to build the rest for
            return
        now = time.monotonic()
        others = any(t > now - CHARTS_WAIT_S for t in LOADING.values())
        if others and now - start < CHARTS_WAIT_S:
            doc.add_timeout_callback(go, 100)
        else:
            draw()

    return go


def share_links(location: Any, names: tuple[str, ...]) -> None:
    """Links made when the risk budget, quantile, haircut and shares were given as shares
    (``?budget=0.05``) open at those values in percent (5%): in a link, a value of ``names``
    (inputs in percent) between 0 and 1 is a share (their sliders step by 1% or more)."""
    query = location.query_params
    old = {n: query[n] for n in names if isinstance(query.get(n), int | float) and 0 < query[n] < 1}
    if old:
        location.update_query(**{n: round(100 * v, 6) for n, v in old.items()})
