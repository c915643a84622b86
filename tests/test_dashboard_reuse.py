"""Pages kept for reuse (issue 26 item 7): ten people opening the link at once get one page
built before them, rendered once; closed pages build nothing more."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import panel as pn
import panel.io.server as pio
import pytest
from bokeh.util.token import generate_jwt_token, generate_session_id, get_session_id
from panel.io.state import state

from dashboard import pages, session


class Doc:
    """A stand-in for a Bokeh document (weakly referenceable)."""


class Kept:
    """A stand-in for a kept Bokeh server session."""

    def __init__(self, doc: object | None = None, token: str = "T0") -> None:
        self.document = doc if doc is not None else Doc()
        self.token = token
        self.unblocked = False

    def unblock_expiration(self) -> None:
        self.unblocked = True


@pytest.fixture
def kept(monkeypatch):
    sessions: dict = {}
    monkeypatch.setattr(state, "_sessions", sessions)
    return sessions


def request(path: str = "/", query: str = "") -> SimpleNamespace:
    return SimpleNamespace(path=path, query=query)


def test_a_link_is_its_key_and_at_most_four_pages_are_kept(kept):
    assert pages.page_key(request()) == ("/", "")
    assert pages.page_key(request(query="budget=4")) == ("/", "budget=4")
    olds = {("/", f"q={i}"): Kept() for i in range(5)}
    kept.update(olds)
    key = pages.page_key(request(query="q=9"))  # a new link: room for it
    assert list(kept) == [("/", "q=2"), ("/", "q=3"), ("/", "q=4")]
    assert [s.unblocked for s in olds.values()] == [True, True, False, False, False]
    kept[key] = Kept()
    pages.page_key(request(query="q=9"))  # a kept link: nothing dropped
    assert len(kept) == pages.REUSED_PAGES


def test_a_kept_page_is_rendered_once_and_served_with_each_visitors_token(kept, monkeypatch):
    calls = []

    def render(sess, resources=None, title="", token=None, **_):
        calls.append(token)
        return f"<html><script>{{'token': '{token}', 'roots': {id(sess.document)}}}</script>"

    monkeypatch.setattr(pio, "server_html_page_for_session", render)
    pages.cache_reused_pages()
    page = pio.server_html_page_for_session
    assert page is not render
    a, b, z, y = (generate_jwt_token(generate_session_id()) for _ in range(4))
    reused, fresh = Kept(token=a), Kept(token=z)
    kept[("/", "")] = reused
    first = page(reused, resources=None, title="t", token=None)
    assert get_session_id(b) not in session.LOADING
    second = page(reused, resources=None, title="t", token=b)
    assert calls == [a]  # the second visitor's page was not rendered again
    assert second == first.replace(a, b)
    assert a not in second
    assert get_session_id(b) in session.LOADING  # others wait for its browser to connect
    page(fresh, resources=None, title="t", token=z)
    page(fresh, resources=None, title="t", token=y)
    assert calls == [a, z, y]  # a page not kept is rendered every time
    pages.cache_reused_pages()
    assert pio.server_html_page_for_session is page  # installed once


def test_a_page_still_finding_the_plan_is_built_again_once_the_decision_is_known(kept, monkeypatch):
    built = []
    monkeypatch.setattr(pages, "prerender", built.append)
    monkeypatch.setattr(pages, "_LINK", ["http://127.0.0.1:1/"])
    pending, ready_doc, other = Kept(), Doc(), Kept()
    kept[("/", "")] = pending
    kept[("/", "budget=4")] = other  # a link with settings carries no static decision
    pages.mark_static(pending.document, False)
    assert built == []
    pages.mark_static(pending.document, True)  # the decision came later: its HTML has not
    assert built == ["http://127.0.0.1:1/"]
    kept[("/", "")] = pending = Kept()
    pages.mark_static(pending.document, False)
    pages.mark_static(ready_doc, True)
    assert built == ["http://127.0.0.1:1/"] * 2  # built again before the next visitor
    assert list(kept) == [("/", "budget=4")]
    assert pending.unblocked
    assert not other.unblocked
    ready = Kept(ready_doc)
    kept[("/", "")] = ready
    pages.mark_static(Doc(), True)
    assert ("/", "") in kept
    assert not ready.unblocked
    assert len(built) == 2


def test_a_closed_page_builds_nothing_more():
    drawn = []
    live = SimpleNamespace(connection_count=1)
    doc = SimpleNamespace(session_context=SimpleNamespace(_session=live, id="s1"))
    go = session.after_first_loads(doc, lambda: drawn.append(1))
    live.connection_count = 0  # the visitor closed the tab before the rest was built
    session.LOADING.clear()
    go()
    assert drawn == []
    live.connection_count = 1
    session.LOADING.clear()
    session.after_first_loads(doc, lambda: drawn.append(1))()
    assert drawn == [1]
    assert session.connected(SimpleNamespace(session_context=None))  # not served


def _stylesheet_urls(doc) -> list[str]:
    from bokeh.models import ImportedStyleSheet

    root = pn.widgets.FloatSlider(label="x").get_root(doc)
    return [str(s.url) for s in root.select({"type": ImportedStyleSheet})]


def test_a_session_built_when_a_browser_connects_uses_this_servers_style_sheets():
    from bokeh.document import Document
    from panel.io.resources import CDN_DIST, LOCAL_DIST

    plain = _stylesheet_urls(Document())
    assert plain
    assert all(u.startswith(CDN_DIST) for u in plain)  # what Panel does unless told
    doc = Document()
    pages.local_styles(doc)
    local = _stylesheet_urls(doc)
    assert len(local) == len(plain)
    assert all(u.startswith(LOCAL_DIST) for u in local)


def test_a_loaded_page_waits_for_pages_served_whose_browsers_have_not_connected():
    session.LOADING.clear()
    later, drawn = [], []
    live = SimpleNamespace(connection_count=1)
    doc = SimpleNamespace(
        session_context=SimpleNamespace(_session=live, id="s1"),
        add_timeout_callback=lambda fn, _ms: later.append(fn),
    )
    go = session.after_first_loads(doc, lambda: drawn.append(1))
    session.expect("s2")  # a kept page was served; its session is not built yet
    go()
    assert drawn == []
    assert len(later) == 1  # asks again in 100 ms
    session.LOADING.pop("s2")  # its browser connected and loaded the page
    later[0]()
    assert drawn == [1]
    assert session.LOADING == {}
    session.LOADING["gone"] = time.monotonic() - session.CHARTS_WAIT_S - 1  # never connected
    session.expect("s3")
    assert list(session.LOADING) == ["s3"]  # no entry outlives the wait


def test_prerender_waits_for_the_server_and_stops_at_its_first_answer():
    import http.server
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    asked = []

    class Failing(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.headers.get(pages.PRERENDER_HEADER))
            self.send_error(500)

        def log_message(self, *_):
            pass

    thread = pages.prerender(f"http://127.0.0.1:{port}/", timeout=20)
    time.sleep(0.3)  # refused meanwhile: it keeps trying
    server = http.server.HTTPServer(("127.0.0.1", port), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    thread.join(10)
    server.shutdown()
    assert not thread.is_alive()
    assert asked == ["1"]  # asked once, marked as the prerender; an error is not retried


# ------------------------------------------------------------------ the page's resources
def _panel_page_parts() -> tuple[str, str]:
    """Panel's ``bokeh_js`` and embed script for a served page, as the locked Panel and
    Bokeh write them (a change of their format must show here)."""
    from bokeh.embed.elements import script_for_render_items
    from bokeh.embed.util import RenderItem
    from bokeh.embed.wrappers import wrap_in_script_tag
    from panel.io.resources import Resources

    bokeh_js = Resources(mode="server", root_url="/").render_js
    plot_script = wrap_in_script_tag(script_for_render_items("p1", [RenderItem(token="T")]))
    return bokeh_js, plot_script


def test_scripts_are_loaded_in_order_once_the_page_is_painted():
    bokeh_js, plot_script = _panel_page_parts()
    out = str(pages.scripts_after_paint(bokeh_js, plot_script, ("bokeh-mathjax", "bokeh-gl")))
    assert '<script type="text/javascript" src=' not in out
    assert "<script defer" not in out
    assert '<script type="esms-options">' in out  # not a script to run: kept as it is
    srcs = re.search(r"const srcs = (\[.*?\]);", out)
    assert srcs, "the loader is missing: Panel's embed script is not the one expected"
    names = [u.rsplit("/", 1)[1] for u in json.loads(srcs.group(1))]
    assert names == [  # Bokeh's order, the unused bundles left out
        "es-module-shims.min.js",
        "bokeh.min.js",
        "bokeh-widgets.min.js",
        "bokeh-tables.min.js",
    ]
    assert 'Bokeh.set_log_level("info"); fn();' in out  # Bokeh's inline code, then the embed
    assert "requestAnimationFrame" in out
    assert "DOMContentLoaded" not in out
    assert out.count("embed_document(root)") == plot_script.count("embed_document(root)")


def test_scripts_are_deferred_as_before_if_the_embed_script_is_not_the_one_expected():
    bokeh_js, _ = _panel_page_parts()
    other = "<script>start();</script>"
    out = str(pages.scripts_after_paint(bokeh_js, other, ("bokeh-mathjax",)))
    assert out.endswith(other)
    assert '<script defer src="static/js/bokeh.min.js"></script>' in out
    assert "bokeh-mathjax" not in out
    assert "const srcs" not in out
    assert '<script type="module">Bokeh.set_log_level("info")</script>' in out


def test_panels_style_sheets_are_written_into_the_page_with_their_urls_resolved():
    from panel.io.resources import DIST_DIR

    head = (
        '<link rel="stylesheet" href="static/extensions/panel/css/loading.css?v=1">\n'
        '<link rel="stylesheet" href="static/extensions/panel/css/no_such_file.css">\n'
        '<link rel="stylesheet" href="static/extensions/panel/../../../etc/passwd">\n'
        '<link rel="stylesheet" href="https://cdn.example.org/x.css">'
    )
    out = str(pages.inline_css(head))
    style = re.search(r"<style>(.*?)</style>", out, re.S).group(1)
    assert ".pn-loading" in style  # loading.css's own text
    urls = re.findall(r"url\('([^']+)'\)", style)
    assert urls
    assert all(u.startswith("static/extensions/panel/assets/") for u in urls)
    for u in urls:  # each names a file this server has
        assert (Path(DIST_DIR) / u.removeprefix("static/extensions/panel/")).is_file()
    # what is not one of Panel's files stays a link
    assert 'no_such_file.css">' in out
    assert 'etc/passwd">' in out
    assert "cdn.example.org" in out


def test_a_closed_session_stops_its_work_and_is_no_longer_loading():
    """The on-destroyed callback reads the session id from the context Bokeh passes (the
    document is detached by then: reading it there failed and left the entry behind)."""
    closed = []
    session.LOADING.clear()
    session.LOADING.update({"s1": time.monotonic(), "s2": time.monotonic()})
    callback = session.when_closed(SimpleNamespace(close=lambda: closed.append(True)))
    callback(SimpleNamespace(id="s1"))
    assert closed == [True]
    assert list(session.LOADING) == ["s2"]
    session.LOADING.clear()
