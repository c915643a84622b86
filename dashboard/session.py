"""A served session: its document, where its work runs, and the order in which pages opened
at once are built (every page's decision first). No layout here (:mod:`dashboard.app`)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import panel as pn
from bokeh.document import Document
from bokeh.io import doc as bokeh_doc
from panel.io.document import hold
from panel.io.state import set_curdoc

from . import jobs


@contextlib.contextmanager
def frozen() -> Iterator[None]:
    """One recompute of the page's model graph for several chart updates (each would walk
    every model); changes are held until then (they may name models added meanwhile) and
    sent in order (:func:`in_order`)."""
    doc = pn.state.curdoc
    if doc is None:
        yield
        return
    with in_order(doc), doc.models.freeze():
        yield


@contextlib.contextmanager
def in_order(doc: Any) -> Iterator[None]:
    """Hold ``doc``'s changes, then send them after Panel's queued messages (Bokeh's own
    ``unhold`` could send a change naming a model whose definition was still queued:
    "reference p2643 isn't known"); Panel's ``hold`` releases through the same queue."""
    if doc.callbacks.hold_value is not None:  # an outer hold releases them later
        yield
        return
    with set_curdoc(doc), hold(doc, policy="combine"):
        yield


def stop_servers(timeout: float = 120.0) -> None:
    """Stop every dashboard server this process runs in a thread (``serve(threaded=True)``),
    wait until their threads have ended [s, each], then :func:`forget_sessions`: while a
    server thread runs a session callback, ``curdoc()`` is that session's document in every
    thread, and an app built meanwhile would defer its updates to that session's loop."""
    threads = list(pn.state._threads.values())
    pn.state.kill_all_servers()
    for thread in threads:
        thread.join(timeout)
    alive = [t.name for t in threads if t.is_alive()]
    if alive:
        raise RuntimeError(f"dashboard server threads still running after {timeout:g} s: {alive}")
    forget_sessions()


def forget_sessions() -> None:
    """Make Bokeh's ``curdoc()`` a plain document again once every server has stopped: Panel
    can leave a session's document on Bokeh's stack, and apps built later would use it."""
    bokeh_doc._PATCHED_CURDOCS.clear()
    bokeh_doc.set_curdoc(Document())


def session_hooks() -> dict[str, Any]:
    """Runner/dispatch of a served session: jobs on the shared pools, results back on this
    session's event loop (``doc.add_next_tick_callback``)."""
    doc = session_doc()
    if doc is None:
        return {}
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

    return {"runner": jobs.submit, "dispatch": dispatch, "auto_analysis": True}


def session_doc() -> Any:
    """The document of the server session building this app, or None (a script or test;
    ``pn.state.curdoc`` may fall back to *another* thread's session)."""
    doc = pn.state._curdoc.get()
    return doc if doc is not None and doc.session_context is not None else None


LOADING: dict[str, float] = {}  # pages served, not yet loaded: session id -> when [monotonic s]
CHARTS_WAIT_S = 8.0  # longest a loaded page defers its rest while others load [s]


def expect(session_id: str) -> None:
    """A kept page was served (its session is built when its browser connects): pages loaded
    meanwhile wait for it too (entries older than :data:`CHARTS_WAIT_S` go)."""
    now = time.monotonic()
    for sid in [sid for sid, t in LOADING.items() if t < now - CHARTS_WAIT_S]:
        del LOADING[sid]
    LOADING.setdefault(session_id, now)


def connected(doc: Any) -> bool:
    """Whether a browser is connected to ``doc``'s session (True outside a server)."""
    live = getattr(doc.session_context, "_session", None)
    return live is None or live.connection_count > 0


def when_closed(explorer: Any) -> Any:
    """A session's on-destroyed callback: stop its work, forget that its page was loading.
    It reads the id from the context Bokeh passes: the document is already detached from
    its session then (``doc.session_context`` is None)."""

    def closed(ctx: Any) -> None:
        explorer.close()
        LOADING.pop(ctx.id, None)

    return closed


def after_first_loads(doc: Any, draw: Any) -> Any:
    """A served page's onload: ``draw`` (inputs, tabs, charts) waits, at most
    :data:`CHARTS_WAIT_S`, while pages served since have not loaded: ten people opening the
    link at once all see the decision before anybody's charts take the event loop."""
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
    """Old links with shares (``?budget=0.05``) open in percent (5%): a value of ``names``
    between 0 and 1 is a share (those sliders step by 1% or more)."""
    query = location.query_params
    old = {n: query[n] for n in names if isinstance(query.get(n), int | float) and 0 < query[n] < 1}
    if old:
        location.update_query(**{n: round(100 * v, 6) for n, v in old.items()})
