"""Serving the dashboard: one app per browser session, a clear error when the port is taken,
and a ``/components/<module>/...`` route that imports nothing (Panel's imports whatever
module a GET names): it answers for already-imported modules of allowed packages only."""

from __future__ import annotations

import contextlib
import errno
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import panel as pn
from panel.io.server import ComponentResourceHandler
from tornado.ioloop import IOLoop
from tornado.web import HTTPError

from sim.model.io import load_scenario
from sim.model.scenario import Scenario

from . import jobs, pages
from .app import Dashboard, create_app
from .charts import series_data
from .explorer import Explorer

ALLOWED_COMPONENT_PACKAGES = ("panel", "bokeh", "dashboard", "param", "holoviews")


class PortInUseError(OSError):
    """The dashboard's port is taken by another program."""


class SafeComponentResourceHandler(ComponentResourceHandler):
    """``/components/...`` for already-imported modules of allowed packages only."""

    def parse_url_path(self, path: str) -> str:
        mod = path.split("/", 1)[0]
        if mod.split(".", 1)[0] not in ALLOWED_COMPONENT_PACKAGES or mod not in sys.modules:
            raise HTTPError(404, "Module not found")
        return super().parse_url_path(path)


def check_port(host: str, port: int) -> None:
    """Raise :class:`PortInUseError` when ``host:port`` cannot be bound."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        # as Tornado binds: a port left in TIME_WAIT by a dashboard just stopped is free
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                msg = (f"port {port} on {host} is already in use (another dashboard?); stop it "
                       "or pick another with --port")  # fmt: skip
                raise PortInUseError(exc.errno, msg) from None
            raise


def warm_up(scenario: Scenario) -> None:
    """Before the first visitor: load the kernels, run the scenario (cached) and build one
    app's charts once (imports), so the first page is as fast as later ones."""
    dash = Dashboard(Explorer(scenario, prepare=series_data))
    for chart in (dash.heat, dash.front, dash.torn):  # HoloViews' first plot of each kind
        if chart.pane.object is not None:  # imports and sets up a lot: do it now
            chart.pane.get_root()


def _interrupt() -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def signals_wake_the_loop() -> Iterator[None]:
    """SIGTERM stops the server (as Ctrl-C) whichever thread the kernel hands it to. Python
    runs signal handlers in the main thread only, and the main thread sleeps in the event
    loop until its next event: a SIGTERM delivered to a worker thread (numba's, a job
    pool's) waited for that, once over 20 s. asyncio's handler writes every signal to the
    loop's wake-up pipe (Ctrl-C too, whose handler Panel sets). Main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = IOLoop.current().asyncio_loop  # the loop pn.serve runs in this thread
    previous = signal.getsignal(signal.SIGTERM)
    loop.add_signal_handler(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        signal.signal(signal.SIGTERM, previous)


def serve(scenario: Scenario | str | Path | None = None, *, port: int = 5006,
          host: str = "127.0.0.1", show: bool = True, threaded: bool = False) -> Any:  # fmt: skip
    """Serve the dashboard on ``http://host:port/`` (one fresh app per browser session),
    after :func:`warm_up`."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    check_port(host, port)
    warm_up(scenario)
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    pages.reuse_pages(f"http://{local}:{port}/" if port else None)
    origins = [f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]
    routes = [(r"/components/(.*)", SafeComponentResourceHandler, {})]
    try:
        with contextlib.nullcontext() if threaded else signals_wake_the_loop():
            return pn.serve({"/": lambda: create_app(scenario)}, port=port, address=host,
                            show=show, threaded=threaded, title="compute-sim dashboard",
                            websocket_origin=origins, extra_patterns=routes)  # fmt: skip
    finally:
        if not threaded:  # the server has stopped (Ctrl-C, SIGTERM): exit without running
            jobs.drop_queued()  # every session's queued jobs first
