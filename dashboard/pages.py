"""Pages kept for reuse: a link opened again is answered with the page built for it before.

Panel builds a whole session for every ``GET``; ten people opening the meeting's link at
once waited for each other's builds (~0.3 s each on the one event loop) before their
browsers got any HTML. Here (Panel's ``reuse_sessions``) a link's page is built once (for
the plain link, before its first visitor: :func:`prerender`), rendered once
(:func:`cache_reused_pages`), and later visitors get that HTML with their own token; each
visitor's session is built when their browser connects. The page carries the decision as
static HTML (:func:`dashboard.decision.serve_decision`) and its style sheets
(:func:`inline_css`), and loads its scripts once that is painted
(:func:`scripts_after_paint`), so the decision is on screen before ~3 MB of JavaScript runs.
"""

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
from markupsafe import Markup

from . import session

__all__ = [
    "forget_pages",
    "inline_css",
    "local_styles",
    "mark_static",
    "page_key",
    "reuse_pages",
    "scripts_after_paint",
]


def local_styles(doc: Any) -> None:
    """Point ``doc``'s component style sheets at this server, as Panel does for a page
    it renders for a ``GET``. A session built when a browser connects (a reused page,
    :func:`page_key`) is not rendered, and its style sheets would otherwise name Panel's
    CDN, which an offline meeting room cannot reach."""
    from panel.io.resources import LOCAL_DIST, use_cdn
    from panel.io.state import set_curdoc, state

    if use_cdn():
        return
    with set_curdoc(doc):
        rel = state.rel_path
    doc.template_variables.setdefault("dist_url", f"{rel}/{LOCAL_DIST}" if rel else LOCAL_DIST)


REUSED_PAGES = 4
"""Most pages kept for reuse (:func:`page_key`); older ones expire as usual once their
visitors have gone."""
_STATIC: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()
"""Document of a served link with no settings -> whether its page carries the ready
decision as static HTML."""
_LINK: list[str] = []
"""The plain link of the running server (built before its visitors: :func:`prerender`)."""


def mark_static(doc: Any, ready: bool) -> None:
    """Record whether ``doc``'s page carries the ready decision (its first call: the page is
    built then). Once any session of the plain link has the decision, a kept page still
    showing "finding the plan" is dropped and built again."""
    from panel.io.state import state

    _STATIC.setdefault(doc, ready)  # what its page's HTML carries: fixed when built
    if not ready:
        return
    for key, kept in list(state._sessions.items()):
        if _STATIC.get(kept.document) is False:
            state._sessions.pop(key, None)
            kept.unblock_expiration()
            if _LINK:
                prerender(_LINK[0])  # the next visitors get the decision at once


PRERENDER_HEADER = "X-Compute-Sim-Prerender"
"""Marks the request of :func:`prerender` (no browser will load its page)."""


def prerendering() -> bool:
    """Whether the session being built is :func:`prerender`'s."""
    return any(k.lower() == PRERENDER_HEADER.lower() for k in pn.state.headers)


def prerender(url: str, timeout: float = 120.0) -> threading.Thread:
    """Request ``url`` once its server answers, so that its page is built and kept for
    reuse before the first visitor (ten people opening the link at once then all get it
    at once, instead of each building one)."""

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
    """Serve pages as :func:`page_key` says, each rendered once (:func:`cache_reused_pages`),
    the one of ``url`` built before its first visitor (:func:`prerender`)."""
    forget_pages()
    cache_reused_pages()
    pn.config.reuse_sessions = True
    pn.config.session_key_func = page_key
    _LINK[:] = [url] if url else []
    if url:
        prerender(url)


def forget_pages() -> None:
    """Drop the pages kept for reuse (a new server must not answer with a page built by
    one stopped before, perhaps for another scenario)."""
    from panel.io.state import state

    while state._sessions:
        state._sessions.popitem()[1].unblock_expiration()


def cache_reused_pages() -> None:
    """Render a reused page (:func:`page_key`) once and answer later requests for it with that
    HTML and the new visitor's token.

    Panel renders a reused page again for every ``GET``, walking every model of the
    session's document to point its style sheets at this server; once its first visitor has
    the whole dashboard, that took ~0.4 s of the event loop per ``GET`` (ten people at once
    waited for each other). The page is the same but for the token: its roots are fixed
    when the session is built, their contents come through the websocket."""
    import panel.io.server as pio
    from bokeh.util.token import get_session_id

    render = pio.server_html_page_for_session
    if getattr(render, "reused_pages", None) is not None:
        return
    pages: weakref.WeakKeyDictionary[Any, tuple[str, str]] = weakref.WeakKeyDictionary()

    def page(kept: Any, *args: Any, token: str | None = None, **kwargs: Any) -> str:
        from panel.io.state import state

        token = token or kept.token
        if not any(s is kept for s in state._sessions.values()):  # not reused
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
    """Panel's key for reusing a page (``config.session_key_func``): a ``GET`` of a link
    whose page was built before is answered with that page's HTML (ms instead of a whole
    session's build), and the visitor's own session is built when the browser connects.
    Ten people opening the meeting's link at once get the page, and the decision in it,
    without waiting for nine sessions to be built first. At most :data:`REUSED_PAGES`
    pages are kept."""
    from panel.io.state import state

    key = (request.path, request.query)
    others = [k for k in state._sessions if k != key]  # oldest first
    for old in others[: max(0, len(others) - REUSED_PAGES + 1)]:
        state._sessions.pop(old).unblock_expiration()  # expires once its visitors leave
    return key


# ------------------------------------------------------------------ the page's resources
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
    """The text of Panel's style sheet ``rel`` (under its ``dist`` folder) with relative
    ``url()`` made relative to the page, as it is served at ``{pre}static/extensions/panel/``;
    None if there is no such file or it cannot sit in a ``<style>`` element."""
    from panel.io.resources import DIST_DIR

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
    """``html`` (the page's head) with Panel's style sheets written into it: each page
    opened at once asked the server for ten files (~250 kB, one Bootstrap) before it could
    paint anything, behind the other pages' requests on the server's one event loop."""

    def one(m: re.Match[str]) -> str:
        text = _panel_css(m["pre"], m["rel"])
        return m[0] if text is None else f"<style>{text}</style>"

    return Markup(_STYLESHEET.sub(one, str(html)))


def scripts_after_paint(bokeh_js: str, plot_script: str, skip: tuple[str, ...] = ()) -> Markup:
    """The page's scripts (``bokeh_js`` but the bundles named in ``skip``, then Panel's embed
    script ``plot_script``) loaded once the page's static HTML, the decision, is painted.

    Ten pages opened at once on a laptop's two cores each compile ~3 MB of JavaScript; run
    before the first paint (``defer``), that kept the decision, which needs none of it, off
    the screen for seconds. The scripts then run in their order and the page connects as
    before. If Panel's embed script is not the one expected, the scripts are deferred."""
    srcs = [u for u in _SRC.findall(bokeh_js) if not any(f"/{n}." in u for n in skip)]
    code = "; ".join(c.strip().rstrip(";") for c in _INLINE_JS.findall(bokeh_js))
    rest = _INLINE_JS.sub("", _SRC.sub("", str(bokeh_js)))
    if srcs and len(_ON_READY.findall(plot_script)) == 1:
        loader = _LOADER % {"srcs": json.dumps(srcs), "code": code}
        return Markup(rest + _ON_READY.sub(lambda _: loader, str(plot_script)))
    tags = "".join(f'<script defer src="{u}"></script>\n' for u in srcs)
    module = f'<script type="module">{code}</script>\n' if code else ""
    return Markup(rest + tags + module + str(plot_script))
