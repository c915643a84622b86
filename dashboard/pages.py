"""Served pages: a link's page built and rendered once, kept for later visitors (each gets
it with their own token; their session is built when the browser connects), holding its
style sheets and loading its scripts once painted, so ten people opening the link at once
see the decision (static HTML) before ~3 MB of JavaScript runs in each page."""

from __future__ import annotations

import functools
import json
import posixpath
import re
import threading
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from typing import Any

import panel as pn
import panel.io.server as pio
from bokeh.models import CustomJS
from bokeh.util.token import get_session_id
from markupsafe import Markup
from panel.io.resources import DIST_DIR, LOCAL_DIST, use_cdn
from panel.io.state import set_curdoc

from . import session
from .decision import element
from .widgets import CSS


def local_styles(doc: Any) -> None:
    """Point ``doc``'s component style sheets at this server as Panel does when it renders a
    page (a session built when a browser connects is not rendered: Panel's CDN otherwise)."""
    if use_cdn():
        return
    with set_curdoc(doc):
        rel = pn.state.rel_path
    doc.template_variables.setdefault("dist_url", f"{rel}/{LOCAL_DIST}" if rel else LOCAL_DIST)


REUSED_PAGES = 4  # older pages expire as usual once their visitors have gone
_STATIC: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()  # doc -> ready
_LINK: list[str] = []  # the running server's plain link (:func:`prerender`)


def mark_static(doc: Any, ready: bool) -> None:
    """Record whether ``doc``'s page carries the ready decision (first call); once one does,
    a kept page still "finding the plan" is dropped and built again."""
    _STATIC.setdefault(doc, ready)  # what its page's HTML carries: fixed when built
    if not ready:
        return
    for key, kept in list(pn.state._sessions.items()):
        if _STATIC.get(kept.document) is False:
            pn.state._sessions.pop(key, None)
            kept.unblock_expiration()
            if _LINK:
                prerender(_LINK[0])  # the next visitors get the decision at once


PRERENDER_HEADER = "X-Compute-Sim-Prerender"  # no browser will load this page


def prerendering() -> bool:
    """Whether the session being built is :func:`prerender`'s."""
    return any(k.lower() == PRERENDER_HEADER.lower() for k in pn.state.headers)


def prerender(url: str, timeout: float = 120.0) -> threading.Thread:
    """Request ``url`` once its server answers: its page is built and kept before the first
    visitor."""

    def run() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                req = urllib.request.Request(url, headers={PRERENDER_HEADER: "1"})
                with urllib.request.urlopen(req, timeout=timeout) as resp:
                    resp.read()
                return
            except urllib.error.HTTPError:  # it answered: the page is built (or failed)
                return
            except OSError:  # not listening yet
                time.sleep(0.1)

    thread = threading.Thread(target=run, name="dashboard-prerender", daemon=True)
    thread.start()
    return thread


def reuse_pages(url: str | None) -> None:
    """Keep pages by :func:`page_key`, rendered once, ``url``'s built before its visitors."""
    while pn.state._sessions:  # a new server must not serve an old one's (another scenario?)
        pn.state._sessions.popitem()[1].unblock_expiration()
    cache_reused_pages()
    pn.config.reuse_sessions = True
    pn.config.session_key_func = page_key
    _LINK[:] = [url] if url else []
    if url:
        prerender(url)


def cache_reused_pages() -> None:
    """Render a kept page once and serve it with each visitor's token. Panel renders it again
    for every ``GET`` (~0.4 s of the event loop once the first visitor has the whole
    dashboard), though only the token differs: its contents come through the websocket."""
    render = pio.server_html_page_for_session
    if getattr(render, "reused_pages", None) is not None:
        return
    pages: weakref.WeakKeyDictionary[Any, tuple[str, str]] = weakref.WeakKeyDictionary()

    def page(kept: Any, *args: Any, token: str | None = None, **kwargs: Any) -> str:
        token = token or kept.token
        if not any(s is kept for s in pn.state._sessions.values()):  # not reused
            return render(kept, *args, token=token, **kwargs)
        first, html = pages.get(kept.document, (None, None))
        if first is None or html is None:
            html = render(kept, *args, token=token, **kwargs)
            pages[kept.document] = token, html
            return html
        session.expect(get_session_id(token))  # its session: built when it connects
        return html.replace(first, token)

    page.reused_pages = pages  # type: ignore[attr-defined]
    pio.server_html_page_for_session = page


def page_key(request: Any) -> tuple[str, str]:
    """Panel's ``session_key_func``: a link's page is kept and served again (ms instead of a
    session's build); at most :data:`REUSED_PAGES` are kept."""
    key = (request.path, request.query)
    others = [k for k in pn.state._sessions if k != key]  # oldest first
    for old in others[: max(0, len(others) - REUSED_PAGES + 1)]:
        pn.state._sessions.pop(old).unblock_expiration()  # expires once its visitors leave
    return key


_STYLESHEET = re.compile(
    r'<link rel="stylesheet" href="(?P<pre>[^"]*?)static/extensions/panel/(?P<rel>[^"?]+)[^"]*">'
)
_CSS_URL = re.compile(r"""url\((?P<q>['"]?)(?P<u>(?!data:|[a-z]+://|/|#)[^'")]+)(?P=q)\)""")
_SRC = re.compile(r'<script(?: type="text/javascript")? src="([^"]+)"></script>\n?')
_INLINE_JS = re.compile(r'<script(?: type="text/javascript")?>(.*?)</script>\n?', re.S)
_ON_READY = re.compile(  # Bokeh's start-up of the embed script (Panel's, or Bokeh's own)
    r'if \(document\.readyState != "loading"\) fn\(\);\s*'
    r'else document\.addEventListener\("DOMContentLoaded", fn(?:, \{once: true\})?\);'
)
_LOADER = """(function(fn) {
  const load = function() {
    const srcs = %(srcs)s;
    srcs.forEach(function(src, i) {
      const s = document.createElement("script");
      s.src = src;
      s.async = false;  // run in this order
      if (i === srcs.length - 1) s.onload = function() { %(code)s; fn(); };
      document.head.appendChild(s);
    });
  };
  if (document.hidden) load();  // a background tab paints nothing to wait for
  else requestAnimationFrame(function() { setTimeout(load, 0); });
})(fn);"""


@functools.cache
def _panel_css(pre: str, rel: str) -> str | None:
    """Panel's style sheet ``rel`` with its relative ``url()`` resolved as served at
    ``{pre}static/extensions/panel/``; None if no such file or not fit for ``<style>``."""
    dist = Path(DIST_DIR).resolve()
    path = (dist / rel).resolve()
    if not path.is_relative_to(dist) or not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    if "</style" in text.lower():
        return None
    base = posixpath.dirname(f"{pre}static/extensions/panel/{rel}")
    return _CSS_URL.sub(
        lambda m: f"url({m['q']}{posixpath.normpath(posixpath.join(base, m['u']))}{m['q']})", text
    )


def inline_css(html: str) -> Markup:
    """``html`` with Panel's style sheets written in: ten pages at once asked the one event
    loop for ten files each (~250 kB) before they could paint."""

    def one(m: re.Match[str]) -> str:
        text = _panel_css(m["pre"], m["rel"])
        return m[0] if text is None else f"<style>{text}</style>"

    return Markup(_STYLESHEET.sub(one, str(html)))


def scripts_after_paint(bokeh_js: str, plot_script: str, skip: tuple[str, ...] = ()) -> Markup:
    """``bokeh_js`` (but the bundles in ``skip``) and the embed ``plot_script``, loaded in
    order once the static decision is painted: compiling ~3 MB of JavaScript first kept it
    off ten pages' screens for seconds. Deferred instead if the embed script is unexpected."""
    srcs = [u for u in _SRC.findall(bokeh_js) if not any(f"/{n}." in u for n in skip)]
    code = "; ".join(c.strip().rstrip(";") for c in _INLINE_JS.findall(bokeh_js))
    rest = _INLINE_JS.sub("", _SRC.sub("", str(bokeh_js)))
    if srcs and len(_ON_READY.findall(plot_script)) == 1:
        loader = _LOADER % {"srcs": json.dumps(srcs), "code": code}
        return Markup(rest + _ON_READY.sub(lambda _: loader, str(plot_script)))
    tags = "".join(f'<script defer src="{u}"></script>\n' for u in srcs)
    module = f'<script type="module">{code}</script>\n' if code else ""
    return Markup(rest + tags + module + str(plot_script))


PAGE = """{% extends layout %}
{% block js_resources %}{% endblock %}
{% block contents %}{{ super() | replace('id="main">', 'id="main">' ~ decision_static, 1) }}
{% endblock %}
{% block css_resources %}{{ inline_css(super()) }}{% endblock %}
{% block postamble %}{{ inline_css(super()) }}{% endblock %}
{% block inner_body %}{{ self.contents() }}
{{ scripts_after_paint(bokeh_js, plot_script, skip) }}{% endblock %}
"""
"""Panel's page with the static decision first in ``#main``, the style sheets in the page
and the scripts loaded once it is painted."""
UNUSED_BUNDLES = ("bokeh-mathjax", "bokeh-gl")  # no text is TeX (1.8 MB); charts use canvas
REMOVE = "document.querySelectorAll('.decision-static').forEach((e) => e.remove())"


@functools.cache
def _page(layout: Any) -> Any:
    names = {"layout": layout, "skip": UNUSED_BUNDLES, "inline_css": inline_css,
             "scripts_after_paint": scripts_after_paint}  # fmt: skip
    return layout.environment.from_string(PAGE, globals=names)


def serve_decision(template: Any, doc: Any, body: str, attrs: dict[str, str]) -> None:
    """Make ``doc``'s page carry the decision as static HTML until the live pane renders."""
    template.template = _page(template.template)
    # the verdict marked for the browser's Element Timing: when the decision was painted
    # (PerformanceObserver type "element", identifier "decision")
    timed = body.replace('<p class="verdict">', '<p class="verdict" elementtiming="decision">', 1)
    static = element(timed, attrs, testid="decision-static")
    box = '<div class="decision-static" style="margin: 5px 10px">'
    doc.template_variables["decision_static"] = f"<style>{CSS}</style>{box}{static}</div>"
    doc.js_on_event("document_ready", CustomJS(code=REMOVE))
