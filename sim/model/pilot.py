"""Conditional demand forecasts for ``demand_quantile`` policies, learnt from pilot paths.

A quantile policy plans for quantile ``q`` of demand at delivery *given what the path has
seen*. The conditional distribution is estimated once per scenario from pilot paths of the
scenario's own demand model (a separate random stream): for each review month ``t`` and
delivery month ``d``, a least-squares fit of the log growth to delivery

    y = ln(D_d / D_t) = b0 + b1 * g_t + b2 * ln(D_t / K) + e

on the path's trailing annualised log-growth ``g_t = ln(D_t / D_{t-k}) * 12 / k``
(``k = min(t, 12)``, 0 at ``t = 0``) and its distance to the ceiling ``K``; the plan is
``D_t * exp(b . x + Q_q(e))`` with ``Q_q`` the empirical quantile of the pilot residuals
(homoscedastic residuals assumed). At ``t = 0`` with a fixed start this is exactly the
unconditional quantile of demand at ``d``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FEATURES = ("intercept", "trailing_log_growth", "log_distance_to_ceiling")
"""Regressors of the conditional forecast."""


def trailing_log_growth(demand_seen: np.ndarray, t: int) -> np.ndarray:
    """Annualised log-growth over the last ``min(t, 12)`` months, shape (n,) [1/yr]."""
    k = min(t, 12)
    if k == 0:
        return np.zeros(demand_seen.shape[0])
    return np.log(demand_seen[:, t] / demand_seen[:, t - k]) * (12.0 / k)


def features(demand_seen: np.ndarray, t: int, ceiling: np.ndarray) -> np.ndarray:
    """Regressors of :data:`FEATURES` for paths that have seen ``demand_seen[:, : t + 1]``."""
    n = demand_seen.shape[0]
    return np.column_stack(
        [np.ones(n), trailing_log_growth(demand_seen, t), np.log(demand_seen[:, t] / ceiling)]
    )


@dataclass
class Pilot:
    """Pilot demand paths and the conditional fits learnt from them (cached per (t, d))."""

    demand: np.ndarray
    """Pilot potential demand, shape (pilot_paths, months) [USD/yr]."""
    ceiling: np.ndarray
    """Demand ceiling of each pilot path, shape (pilot_paths,) [USD/yr]."""
    _fits: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False
    )

    def fit(self, t: int, d: int) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients (3,) and sorted residuals (pilot_paths,) for review ``t``, delivery ``d``."""
        key = (t, d)
        if key not in self._fits:
            x = features(self.demand, t, self.ceiling)
            y = np.log(self.demand[:, d] / self.demand[:, t])
            beta = np.linalg.lstsq(x, y, rcond=None)[0]
            self._fits[key] = (beta, np.sort(y - x @ beta))
        return self._fits[key]

    def plan(
        self,
        t: int,
        delivery: np.ndarray,
        demand_seen: np.ndarray,
        ceiling: np.ndarray,
        q: np.ndarray,
    ) -> np.ndarray:
        """Quantile ``q`` of demand at ``delivery`` given the paths' history, (n,) [USD/yr]."""
        x = features(demand_seen, t, ceiling)
        out = np.empty(demand_seen.shape[0])
        for d in np.unique(delivery):
            rows = delivery == d
            beta, resid = self.fit(t, int(d))
            out[rows] = x[rows] @ beta + residual_quantile(resid, q[rows])
        return demand_seen[:, t] * np.exp(out)


def residual_quantile(sorted_resid: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Empirical quantile with linear interpolation between order statistics."""
    rank = np.asarray(q) * (sorted_resid.shape[0] - 1)
    lo = np.floor(rank).astype(int)
    hi = np.minimum(lo + 1, sorted_resid.shape[0] - 1)
    w = rank - lo
    return (1 - w) * sorted_resid[lo] + w * sorted_resid[hi]
