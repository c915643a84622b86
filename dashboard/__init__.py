"""Interactive Panel dashboard over the public ``sim`` API.

``explorer`` (param only: inputs <-> Scenario, cached runs, sweeps), ``views`` (HoloViews
charts), ``app`` (Panel layout and server), ``schema`` (widget specs from the pydantic
schema), ``sweeps`` (heatmap/frontier/tornado data), ``bench`` (update latency).
"""
