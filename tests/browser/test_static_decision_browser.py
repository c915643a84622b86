"""The served page carries the decision as plain HTML (issue 26 item 7): a plain GET of the
page holds the same verdict and order table the live pane shows (a link with settings gets
none), and once the live pane has rendered the static copy is gone (the decision is on the
page once)."""

from __future__ import annotations

import html
import re
import urllib.request

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser
TIMEOUT_MS = 300_000
SCRIPT_STARTS_JS = """performance.getEntriesByType('resource')
  .filter((e) => e.initiatorType === 'script').map((e) => e.startTime)"""
"""When each script was requested [ms after navigation]."""
LIVE = '[data-testid="decision"][data-state="ready"]'
STATIC = re.compile(
    r'<div class="decision-text" data-testid="decision-static"([^>]*)>(.*?)</div>', re.S
)


def _text(fragment: str) -> str:
    """Visible words of an HTML fragment, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_page_html_holds_the_decision_until_the_live_pane_renders(
    page: Page, dashboard_url: str, decision_paint_js: str
):
    page.goto(dashboard_url)
    page.locator(LIVE).wait_for(timeout=TIMEOUT_MS)  # the decision table is now cached
    live = " ".join(page.locator(LIVE).inner_text().split())

    with urllib.request.urlopen(dashboard_url, timeout=120) as resp:  # no JavaScript
        body = resp.read().decode()
    found = STATIC.search(body)
    assert found, "the page sent for GET / has no static decision"
    attrs, static = found.groups()
    assert 'data-state="ready"' in attrs
    assert '<p class="verdict" elementtiming="decision"><b>' in static  # its paint is timed
    assert '<table class="order"' in static
    assert body.index("decision-static") < body.index("bokeh.min.js")  # before the scripts
    # painted before the scripts run: none is in the HTML as a tag, the loader adds them
    assert "<script defer" not in body
    assert 'src="static/js/bokeh.min.js' not in body
    assert '<link rel="stylesheet" href="static/extensions/panel/' not in body  # inlined
    assert "bokeh-mathjax" not in body
    # the live pane's words, from the same function (the page above showed the same run)
    assert _text(static) == live
    # a link with settings gets no copy of the defaults' decision (its own comes later)
    with urllib.request.urlopen(dashboard_url + "?budget=10", timeout=120) as resp:
        assert "decision-static" not in resp.read().decode()

    page.goto(dashboard_url)
    page.locator(LIVE).wait_for(timeout=TIMEOUT_MS)
    # the static decision was painted before the page asked for any of its scripts
    timing = page.evaluate(decision_paint_js)
    assert timing is not None, "the static decision was never painted"
    scripts = page.evaluate(SCRIPT_STARTS_JS)
    assert len(scripts) >= 4  # BokehJS, its widgets and tables, Panel
    assert min(scripts) >= timing["paint"]
    page.wait_for_function("!document.querySelector('.decision-static')", timeout=60_000)
    verdict = _text(re.search(r"<b>(.*?)</b>", static).group(1))
    assert page.locator('[data-testid="decision-static"]').count() == 0
    assert page.get_by_text(verdict).count() == 1  # shown once: the live pane
