"""Purchase policies: what demand each review plans for at the delivery date.

The policies themselves run inside the kernel
(:func:`sim.model.kernel.procurement.plan_demand`): ``planned_growth``, ``demand_quantile``
(conditioned on the path, :mod:`sim.model.pilot`) and ``adaptive``; fixed schedules place no
review orders. This module keeps the vectorised helpers analyses use.
"""

from __future__ import annotations

import numpy as np

from .timeline import review_months

__all__ = ["bend_to_ceiling", "review_months"]


def bend_to_ceiling(now: np.ndarray, planned: np.ndarray, ceiling: np.ndarray) -> np.ndarray:
    """Logistic version of a plan: the same multiple ``planned / now`` far below the ceiling,
    bending toward ``ceiling`` near it: ``K / (1 + (K / D_t - 1) / M)`` [USD/yr]."""
    return ceiling / (1.0 + (ceiling / now - 1.0) * now / planned)
