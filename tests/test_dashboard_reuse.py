"""Pages kept for reuse (issue 26 item 7): ten people opening the link at once get one page
built before them, rendered once; closed pages build nothing more."""

from __future__ import annotations

from types import SimpleNamespace

import panel as pn
import panel.io.server as pio
import pytest
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
    reused, fresh = Kept(token="AAA"), Kept(token="ZZZ")
    kept[("/", "")] = reused
    first = page(reused, resources=None, title="t", token=None)
    second = page(reused, resources=None, title="t", token="BBB")
    assert calls == ["AAA"]  # the second visitor's page was not rendered again
    assert second == first.replace("AAA", "BBB")
    assert "AAA" not in second
    page(fresh, resources=None, title="t", token="ZZZ")
    page(fresh, resources=None, title="t", token="YYY")
    assert calls == ["AAA", "ZZZ", "YYY"]  # a page not kept is rendered every time
    pages.cache_reused_pages()
    assert pio.server_html_page_for_session is page  # installed once


def test_a_page_still_finding_the_plan_is_dropped_once_one_with_the_decision_is_built(kept):
    pending, ready_doc, other = Kept(), Doc(), Kept()
    kept[("/", "")] = pending
    kept[("/", "budget=4")] = other  # a link with settings carries no static decision
    pages.mark_static(pending.document, False)
    pages.mark_static(ready_doc, True)
    assert list(kept) == [("/", "budget=4")]
    assert pending.unblocked
    assert not other.unblocked
    ready = Kept(ready_doc)
    kept[("/", "")] = ready
    pages.mark_static(Doc(), True)
    assert ("/", "") in kept
    assert not ready.unblocked


def test_a_closed_page_builds_nothing_more():
    drawn = []
    live = SimpleNamespace(connection_count=1)
    doc = SimpleNamespace(session_context=SimpleNamespace(_session=live))
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
