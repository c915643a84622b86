"""Interactive Panel dashboard over the public ``sim`` API.

Imports point one way: ``server`` -> ``app`` (Panel layout) -> ``charts`` (hvplot),
``widgets`` and ``explorer`` (param only: inputs <-> Scenario, cached runs) -> ``tables``
(background tables, compare, discovery), ``files`` (YAML/CSV), ``sweeps``,
``jobs``, ``cache``, ``schema``; ``bench`` measures it.
"""
