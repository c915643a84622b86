"""Interactive Panel dashboard over the public ``sim`` API (imports point one way: ``server``
-> ``app`` -> ``charts``, ``widgets``, ``explorer`` -> ``sweeps``, ``jobs``, ``cache`` ...)."""
