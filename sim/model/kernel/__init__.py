"""The fused Monte Carlo kernel: one small jitted function per part of the model.

DOMAIN.md's parts, one module each, all working on one path at a time:

- :mod:`.demand`       potential demand (persistent growth, diffusion lag, ceiling, noise)
- :mod:`.procurement`  the contract book, supply cap, purchase policies and orders
- :mod:`.allocation`   inference first up to its cap, training gets the rest
- :mod:`.economics`    revenue served and the month's costs
- :mod:`.finance`      raises and bankruptcy
- :mod:`.paths`        the month loop over a block of paths (parallel over paths)

Randomness is drawn up front (:mod:`sim.model.sampling`) and passed in; paths never read
each other's state and nothing is summed across paths inside the parallel loop, so results
do not depend on the number of threads. :mod:`.layout` names the columns of the packed
arrays. Compiled code is cached on disk (``cache=True``).
"""
