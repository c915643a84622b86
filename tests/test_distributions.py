"""Mixtures, truncated distributions and the rank correlations of the Gaussian copula."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from sim import ScenarioError, sample_inputs, scenario_from_dict
from sim.model.distributions import Dist

ADAPTER = TypeAdapter(Dist)
SLOW_MIX = {"dist": "mixture", "weights": [0.85, 0.15],
            "components": [{"dist": "loguniform", "low": 3, "high": 10},
                           {"dist": "loguniform", "low": 1, "high": 3}]}  # fmt: skip
OVERLAP_MIX = {"dist": "mixture", "weights": [0.5, 0.5],
               "components": [{"dist": "uniform", "low": 0, "high": 2},
                              {"dist": "normal", "mean": 1, "sd": 1, "low": 0, "high": 3}]}  # fmt: skip


def dist(spec):
    return ADAPTER.validate_python(spec)


@pytest.mark.parametrize(
    "spec",
    [
        SLOW_MIX,
        OVERLAP_MIX,
        {"dist": "lognormal", "median": 2, "sigma": 0.5, "low": 1, "high": 5},
        {"dist": "normal", "mean": 0.5, "sd": 0.2, "low": 0.2, "high": 0.85},
        {"dist": "triangular", "low": 0.3, "mode": 0.6, "high": 0.75},
    ],
    ids=["disjoint-mixture", "overlapping-mixture", "trunc-lognormal", "trunc-normal", "tri"],
)
def test_ppf_inverts_cdf_and_is_monotone(spec):
    d = dist(spec)
    u = np.linspace(0.0, 0.999999, 2001)
    x = d.ppf(u)
    assert (np.diff(x) >= 0).all()  # monotone: the copula and CRN rely on it
    lo, hi = d.support()
    assert (x >= lo).all()
    assert (x <= hi).all()
    np.testing.assert_allclose(d.cdf(x), u, atol=1e-9)


def test_mixture_draws_follow_their_weights():
    """KS test of the 85/15 slow-world mixture (n = 20,000: a correct sampler fails 1%)."""
    d = dist(SLOW_MIX)
    u = np.random.default_rng(1).random(20_000)
    x = d.ppf(u)
    assert stats.kstest(x, d.cdf).pvalue > 0.01
    # 15% of draws below 3x: exactly the slow component's weight (SE 0.25 points)
    assert abs((x < 3).mean() - 0.15) < 0.01


def test_disjoint_fast_path_equals_bisection():
    d = dist(SLOW_MIX)
    u = np.linspace(0.001, 0.999, 999)
    fast = d.ppf(u)
    # force the general route: the same components, listed so the fast path is not taken
    lo, hi = np.full(u.shape, 1.0), np.full(u.shape, 10.0)
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        above = d.cdf(mid) >= u
        hi, lo = np.where(above, mid, hi), np.where(above, lo, mid)
    np.testing.assert_allclose(fast, hi, rtol=1e-12)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({**SLOW_MIX, "weights": [0.8, 0.15]}, "sum to 1"),
        ({**SLOW_MIX, "weights": [0.85]}, "one weight per component"),
        ({**SLOW_MIX, "weights": [1.1, -0.1]}, "> 0"),
        (
            {
                "dist": "mixture",
                "weights": [1.0],
                "components": [{"dist": "lognormal", "median": 3, "sigma": 1}],
            },
            "low and high",
        ),
        ({"dist": "normal", "mean": 0, "sd": 1, "low": 2, "high": 1}, "low < high"),
    ],
)
def test_bad_distributions_are_refused(spec, message):
    with pytest.raises(ValidationError, match=message):
        dist(spec)


def _scenario(**extra):
    data = {"name": "t", "demand": {"growth": SLOW_MIX},
            "policy": {"kind": "planned_growth"}, **extra}  # fmt: skip
    return scenario_from_dict(data, "t.yaml")


def test_unbounded_distribution_needs_truncation_for_a_bounded_parameter():
    with pytest.raises(ScenarioError, match=r"economics.gross_margin.*add low/high"):
        _scenario(economics={"gross_margin": {"dist": "normal", "mean": 0.5, "sd": 0.1}})
    s = _scenario(economics={"gross_margin": {"dist": "normal", "mean": 0.5, "sd": 0.1,
                                              "low": 0.2, "high": 0.8}})  # fmt: skip
    g = sample_inputs(s, 4000, 0)["economics.gross_margin"]
    assert 0.2 <= g.min() < g.max() <= 0.8


CORR = [
    {"params": ["demand.growth", "finance.max_raise_per_year"], "rank": 0.6},
    {"params": ["economics.gross_margin", "finance.max_raise_per_year"], "rank": -0.4},
]
RANDOM = {
    "economics": {"gross_margin": {"dist": "uniform", "low": 0.3, "high": 0.75}},
    "finance": {"max_raise_per_year": {"dist": "loguniform", "low": 30e9, "high": 200e9}},
}


def test_rank_correlations_are_what_was_asked():
    """Spearman's rho of 8,192 paths; its SE is < 0.011, the tolerance 0.03 is ~3 SE."""
    s = _scenario(**RANDOM, correlations=CORR)
    x = sample_inputs(s, 8192, 0)
    raise_cap = x["finance.max_raise_per_year"]
    growth0 = x.growth[:, 0]
    assert stats.spearmanr(growth0, raise_cap)[0] == pytest.approx(0.6, abs=0.03)
    assert stats.spearmanr(x["economics.gross_margin"], raise_cap)[0] == pytest.approx(
        -0.4, abs=0.03
    )
    # a pair not listed stays uncorrelated (its matrix entry is 0)
    assert abs(stats.spearmanr(growth0, x["economics.gross_margin"])[0]) < 0.03
    # marginals are untouched by the copula: the raise cap is still loguniform(30B, 200B)
    u = (np.log(raise_cap) - np.log(30e9)) / (np.log(200e9) - np.log(30e9))
    assert stats.kstest(u, "uniform").pvalue > 0.01


def test_copula_is_path_by_path_and_keeps_other_draws():
    s0 = _scenario(**RANDOM)
    s1 = _scenario(**RANDOM, correlations=CORR)
    a, b = sample_inputs(s0, 1000, 3), sample_inputs(s1, 1000, 3)
    # the first name listed keeps its own draw; parameters not listed are untouched
    np.testing.assert_array_equal(a.growth[:, 0], b.growth[:, 0])
    np.testing.assert_array_equal(a["demand.diffusion_lag_years"], b["demand.diffusion_lag_years"])
    assert not np.array_equal(a["finance.max_raise_per_year"], b["finance.max_raise_per_year"])
    # path i depends on nothing but path i's draws: a block of 10 is a prefix of 1000
    c = sample_inputs(s1, 10, 3)
    np.testing.assert_array_equal(
        c["finance.max_raise_per_year"], b["finance.max_raise_per_year"][:10]
    )


def test_a_correlation_with_a_fixed_number_has_no_effect():
    """Sweeps fix parameters: a pair whose member is a plain number drops out."""
    s = _scenario(**RANDOM, correlations=CORR).replace(**{"demand.growth": 4.0})
    x = sample_inputs(s, 4000, 0)
    assert stats.spearmanr(x["economics.gross_margin"], x["finance.max_raise_per_year"])[0] == (
        pytest.approx(-0.4, abs=0.04)
    )


@pytest.mark.parametrize(
    ("corr", "message"),
    [
        (
            [{"params": ["demand.growht", "finance.initial_cash"], "rank": 0.5}],
            "unknown parameter 'demand.growht'; did you mean 'demand.growth'",
        ),
        ([{"params": ["demand.growth", "demand.growth"], "rank": 0.5}], "itself"),
        ([{"params": ["demand.growth", "finance.max_raise_per_year"], "rank": 1.0}], "less than 1"),
        (
            [CORR[0], {"params": ["finance.max_raise_per_year", "demand.growth"], "rank": 0.1}],
            "listed twice",
        ),
        (
            [
                {"params": ["demand.growth", "finance.max_raise_per_year"], "rank": 0.95},
                {"params": ["demand.growth", "economics.gross_margin"], "rank": 0.95},
                {"params": ["economics.gross_margin", "finance.max_raise_per_year"], "rank": -0.95},
            ],
            "not positive definite",
        ),
    ],
)
def test_bad_correlations_name_the_field(corr, message):
    with pytest.raises(ScenarioError, match="correlations") as err:
        _scenario(**RANDOM, correlations=corr)
    assert message in str(err.value)
