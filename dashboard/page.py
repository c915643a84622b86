"""The HTML page a served session sends for ``GET /``: Panel's Bootstrap page with the
decision already in it as plain HTML, read before BokehJS has run.

The copy is :func:`dashboard.decision.element` of the first document's decision (the
function of the live pane, marked ``data-testid="decision-static"``); a ``document_ready``
callback removes it once the live decision has rendered. The scripts are deferred, so the
browser can paint the decision before it has run BokehJS, and the bundles the dashboard
never uses are left out (:data:`UNUSED_BUNDLES`).
"""

from __future__ import annotations

import functools
from typing import Any

from bokeh.models import CustomJS

from .decision import element
from .widgets import CSS

PAGE = """{% extends layout %}
{% block js_resources %}{% endblock %}
{% block contents %}{{ super() | replace('id="main">', 'id="main">' ~ decision_static, 1) }}
{% endblock %}
{% block inner_body %}{{ self.contents() }}
{% for tag in bokeh_js.split('\n') if used(tag) %}{{ tag
  | replace('<script type="text/javascript" src=', '<script defer src=')
  | replace('<script type="text/javascript">', '<script type="module">') }}
{% endfor %}{{ plot_script }}{% endblock %}
"""
"""Panel's page (``layout``) with the static decision first in ``#main`` and the scripts
deferred (run in order once the page is parsed, before the page's embed script, which waits
for ``DOMContentLoaded``)."""
UNUSED_BUNDLES = ("bokeh-mathjax", "bokeh-gl")
"""BokehJS bundles every page would parse for nothing: MathJax (1.8 MB; Panel loads it for
any HTML pane, and no text of the dashboard is TeX) and WebGL (the charts draw on canvas)."""
REMOVE = "document.querySelectorAll('.decision-static').forEach((e) => e.remove())"


@functools.cache
def _page(layout: Any) -> Any:
    def used(tag: str) -> bool:
        return not any(f"/{name}." in tag for name in UNUSED_BUNDLES)

    return layout.environment.from_string(PAGE, globals={"layout": layout, "used": used})


def serve_decision(template: Any, doc: Any, body: str, attrs: dict[str, str]) -> None:
    """Make ``doc``'s page (Panel ``template``) carry the decision ``body``/``attrs`` (of
    :func:`dashboard.decision.sentence`) as static HTML until the live pane has rendered."""
    template.template = _page(template.template)
    doc.template_variables["decision_static"] = (
        f'<style>{CSS}</style><div class="decision-static" style="margin: 5px 10px">'
        f"{element(body, attrs, testid='decision-static')}</div>"
    )
    doc.js_on_event("document_ready", CustomJS(code=REMOVE))
