"""Seeded statistical checks of the sampled inputs against known distributions."""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import ndtri

from sim import sample_inputs


def test_growth_marginal_is_loguniform_3_10(classic):
    inp = sample_inputs(classic, 4096, block=0)
    g = inp.growth.ravel()
    assert g.min() >= 3
    assert g.max() <= 10
    # log(g) ~ U(ln 3, ln 10): KS test; at n = 24,576 a correct sampler fails with prob 1%.
    u = (np.log(g) - np.log(3)) / (np.log(10) - np.log(3))
    assert stats.kstest(u, "uniform").pvalue > 0.01


def test_growth_persistence_is_the_copula_correlation(classic):
    for rho in (0.0, 0.5, 0.8, 0.95):
        inp = sample_inputs(classic.replace(**{"demand.growth_persistence": rho}), 4096, block=1)
        u = (np.log(inp.growth) - np.log(3)) / (np.log(10) - np.log(3))
        z = ndtri(np.clip(u, 1e-12, 1 - 1e-12))
        r = np.corrcoef(z[:, :-1].ravel(), z[:, 1:].ravel())[0, 1]
        # sd of a correlation estimate ~ (1 - rho^2)/sqrt(n), n = 20,480 pairs: < 0.007; 5 sd
        assert abs(r - rho) < 0.035, (rho, r)


def test_monthly_noise_has_the_stated_annual_volatility(base):
    from sim.model.demand import potential_demand

    s = base.replace(
        **{"demand.growth": 2.0, "demand.volatility": 0.3, "demand.ceiling": 1e30,
           "demand.diffusion_lag_years": 0.0}
    )  # fmt: skip
    inp = sample_inputs(s, 2000, block=0)
    d = potential_demand(s, inp)
    annual = np.log(d[:, 12:] / d[:, :-12])[:, ::12].ravel()  # non-overlapping 12-month spans
    # mean = ln 2 exactly in expectation; sd = 0.3. n = 10,000: se(mean) = 0.003, se(sd) ~ 0.002
    assert abs(annual.mean() - np.log(2.0)) < 0.015
    assert abs(annual.std() - 0.3) < 0.012


def test_parameter_distributions_match_their_specs(base):
    s = base.replace(
        **{"economics.gross_margin": {"dist": "triangular", "low": 0.3, "mode": 0.5, "high": 0.75},
           "finance.initial_cash": {"dist": "lognormal", "median": 3e10, "sigma": 0.4}}
    )  # fmt: skip
    inp = sample_inputs(s, 4096, block=2)
    gm = inp["economics.gross_margin"]
    assert (
        stats.kstest(gm, stats.triang(c=(0.5 - 0.3) / 0.45, loc=0.3, scale=0.45).cdf).pvalue > 0.01
    )
    cash = inp["finance.initial_cash"]
    assert stats.kstest(np.log(cash), stats.norm(np.log(3e10), 0.4).cdf).pvalue > 0.01
