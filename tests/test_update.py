"""The Bayesian update (SIR over whole paths): identities, hand cases, recovery of known
truths, simulation-based calibration, the issue's strong / flat / impossible starts, and
reproducibility across kernel threads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim import load_scenario, run
from sim.analysis.update import side
from sim.cli import main
from sim.model.condition import (
    condition,
    kish_ess,
    normalized_weights,
    run_posterior,
    run_prior,
    systematic_resample,
)
from sim.model.io import scenario_from_dict
from sim.model.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
NOISE = 0.10  # the default lognormal sigma of an observed revenue run-rate


def toy(growth, actuals=None, paths=1000, seed=5, **demand) -> Scenario:
    """A lab whose growth is constant per path, whose capacity does not bind (30 GW serve
    up to $675B a year) and which stays solvent over the 2-year horizon ($1T of cash)."""
    data = {
        "name": "toy",
        "simulation": {"paths": paths, "seed": seed, "years": 2},
        "demand": {"initial_revenue": 10.0e9, "growth": growth, "growth_persistence": 1.0,
                   "volatility": 0.05, **demand},
        "compute": {"initial_gw": 30.0, "initial_contract_years_left": 5,
                    "price_per_gw_year": 3.0e9},
        "economics": {"gross_margin": 0.9},
        "finance": {"initial_cash": 1.0e12},
        "policy": {"kind": "planned_growth", "planned_growth": 3.0},
    }  # fmt: skip
    if actuals is not None:
        data["actuals"] = actuals
    return scenario_from_dict(data)


def observed(truth: Scenario, months: int, seed: int) -> list[dict]:
    """Served revenue run-rate of one path of ``truth`` for ``months`` months, times the
    stated lognormal observation noise."""
    res = run(truth, paths=1, monthly_paths=1)
    rate = 12.0 * res.monthly["revenue"][0, :months]
    rate = rate * np.exp(NOISE * np.random.default_rng(seed).standard_normal(months))
    return [{"month": f"{2026 + t // 12}-{t % 12 + 1:02d}", "revenue_run_rate": float(r)}
            for t, r in enumerate(rate)]  # fmt: skip


# --- pieces ---------------------------------------------------------------------------------


def test_systematic_resampling_counts_are_n_w_rounded() -> None:
    w = np.array([0.5, 0.25, 0.125, 0.125, 0.0])
    for u0 in (0.0, 0.3, 0.999):
        counts = np.bincount(systematic_resample(w, 8, u0), minlength=5)
        assert counts.tolist() == [4, 2, 1, 1, 0]
    w = np.random.default_rng(1).dirichlet(np.ones(50))
    counts = np.bincount(systematic_resample(w, 1000, 0.42), minlength=50)
    assert np.all(np.abs(counts - 1000 * w) < 1.0 + 1e-9)  # systematic: within one copy


def test_kish_ess_hand_cases() -> None:
    assert kish_ess(np.full(10, 0.1)) == pytest.approx(10.0)
    assert kish_ess(np.array([1.0, 0.0, 0.0])) == pytest.approx(1.0)
    assert kish_ess(np.array([0.5, 0.5, 0.0, 0.0])) == pytest.approx(2.0)
    w = normalized_weights(np.array([-np.inf, -np.inf]))  # nothing explains: the prior
    assert w.tolist() == [0.5, 0.5]


@pytest.mark.parametrize("kind", ["toy", "base", "adaptive", "fixed", "quantile", "build"])
def test_rerun_reproduces_each_ancestors_history(kind: str) -> None:
    """The posterior's inputs up to as_of are its ancestor's: rerunning them from the start
    gives exactly the history the ancestor was weighted on (revenue, GW, alive)."""
    acts = [{"month": "2026-01", "revenue_run_rate": 10e9},
            {"month": "2026-04", "revenue_run_rate": 14e9, "gw_online": 1.9},
            {"month": "2026-09", "revenue_run_rate": 21e9}]  # fmt: skip
    if kind == "toy":
        s = toy({"dist": "loguniform", "low": 2, "high": 10}, acts, paths=600)
    else:
        data = load_scenario().model_dump(by_alias=True, exclude_none=True)
        data["simulation"]["paths"] = 600
        data["actuals"] = acts
        if kind == "adaptive":
            data["policy"] = {"kind": "adaptive", "prior_growth": 4.0}
        if kind == "quantile":
            data["policy"] = {"kind": "demand_quantile", "q": 0.6, "pilot_paths": 500}
        if kind == "build":
            data = {**load_scenario(ROOT / "scenarios" / "build_slip.yaml").model_dump(
                by_alias=True, exclude_none=True), "actuals": acts}  # fmt: skip
            data["simulation"]["paths"] = 600
        if kind == "fixed":
            data["policy"] = {"kind": "fixed_schedule",
                              "tranches": [{"start": "2026-06", "gw": 2.0, "years": 5}]}  # fmt: skip
            data["deals"] = [{"signed": "2026-01", "start": "2026-03", "gw": 0.5, "years": 3}]
        s = scenario_from_dict(data)
    u = condition(s)
    res, fig = run_posterior(s, u, track=tuple(range(u.as_of_index + 1)))
    anc, seen = u.ancestors, u.history["month"]
    assert seen.tolist() == [0, 3, 8]
    np.testing.assert_array_equal(fig.history_revenue[:, seen], u.history["revenue_run_rate"][anc])
    for name in ("gw_online", "gross_margin", "alive"):
        np.testing.assert_array_equal(fig.tracked[name][:, seen], u.history[name][anc])
    # every history month, not only the observed ones: candidate i < paths is the prior's
    # path i, whose whole history the prior run records
    _, prior = run_prior(s)
    mine = anc < s.simulation.paths
    assert mine.sum() > 20
    np.testing.assert_array_equal(fig.history_revenue[mine], prior.history_revenue[anc[mine]])
    np.testing.assert_array_equal(condition(s).ancestors, anc)  # deterministic
    # no policy order before as_of: the first orders are placed after it
    assert np.all(res.monthly["ordered_gw"][:, : u.as_of_index + 1] == 0.0)


def test_duplicated_ancestors_diverge_after_as_of() -> None:
    acts = {"points": [{"month": "2026-01", "revenue_run_rate": 10e9},
                       {"month": "2026-06", "revenue_run_rate": 25e9}],
            "oversample": 1, "noise": {"revenue_run_rate": 0.02}}  # fmt: skip
    s = toy({"dist": "loguniform", "low": 2, "high": 10}, acts, paths=800)
    u = condition(s)
    assert u.candidates == 800
    _, fig = run_posterior(s, u)
    values, counts = np.unique(u.ancestors, return_counts=True)
    dup = np.flatnonzero(u.ancestors == values[np.argmax(counts)])
    assert len(dup) >= 2
    assert np.all(fig.history_revenue[dup] == fig.history_revenue[dup[0]])
    assert len(np.unique(fig.revenue_12m[dup])) == len(dup)  # own shocks after as_of


def test_without_actuals_prior_paths_are_the_plain_run() -> None:
    """Candidate i < paths is the prior's path i: the prior of an update equals a plain run
    of the history scenario (policy from as_of on), path for path."""
    from sim.model.condition import history_scenario

    s = toy({"dist": "loguniform", "low": 2, "high": 10},
            [{"month": "2026-03", "revenue_run_rate": 12e9}], paths=300)  # fmt: skip
    prior, _ = run_prior(s)
    plain = run(history_scenario(s).model_copy(update={"actuals": None}))
    np.testing.assert_array_equal(prior.path["cum_revenue"], plain.path["cum_revenue"])
    u = condition(s)
    np.testing.assert_array_equal(u.history["revenue_run_rate"][:300, 0],
                                  12.0 * plain.monthly["revenue"][:, 2])  # fmt: skip


# --- recovery of known truths ----------------------------------------------------------------


@pytest.mark.parametrize(("truth_growth", "seed"), [(8.0, 1), (1.5, 2)])
def test_recovery_of_a_fast_and_a_slow_truth(truth_growth: float, seed: int) -> None:
    """Actuals made by the model from a known growth (12 monthly points, capacity that does
    not bind, the stated noise): the posterior growth P50 lies within 15% of the truth and
    P10-P90 covers it. With 12 points the growth is known to about +/-13% (one sd: noise
    0.10 on each point, demand volatility 0.05), so this fails for a wrong likelihood, not
    for an unlucky seed."""
    prior_growth = {"dist": "loguniform", "low": 1.1, "high": 15}
    acts = observed(toy(truth_growth, seed=seed), 12, seed)
    s = toy(prior_growth, acts, paths=2000, seed=seed)
    u = condition(s)
    post = side(*run_posterior(s, u), {})
    prior = side(*run_prior(s), {})
    assert u.ess > s.actuals.min_ess
    assert u.conflict is None
    assert abs(post["growth_p50"] / truth_growth - 1.0) < 0.15, post
    assert post["growth_p10"] <= truth_growth <= post["growth_p90"], post
    assert post["growth_p90"] / post["growth_p10"] < prior["growth_p90"] / prior["growth_p10"]


def test_simulation_based_calibration() -> None:
    """Truths drawn from the prior, actuals simulated with the stated noise, conditioned:
    the truth's rank among the posterior's growth draws is uniform.

    60 truths x 400 posterior paths (8 candidates each). Under calibration the 60 ranks are
    iid uniform, so a Kolmogorov-Smirnov test rejects at the 1% level 1% of the time; the
    seeds are fixed, so the test is deterministic. Power, measured when the test was written:
    conditioning with a noise 3x too small (0.03) gives p = 0.001; a noise 5x too large
    (0.5) passes KS (SBC cannot see an under-informed posterior) but leaves the posterior
    0.85 as wide as the prior, which the width check refuses (0.27 with the right noise)."""
    prior_growth = {"dist": "loguniform", "low": 2, "high": 10}
    ranks, widths = [], []
    for r in range(60):
        truth = toy(prior_growth, paths=1, seed=10_000 + r)
        res = run(truth, monthly_paths=1)
        g_true = float(res.path["growth_mean"][0])
        rate = 12.0 * res.monthly["revenue"][0, :6]
        rate *= np.exp(NOISE * np.random.default_rng(r).standard_normal(6))
        acts = [{"month": f"2026-{t + 1:02d}", "revenue_run_rate": float(v)}
                for t, v in enumerate(rate)]  # fmt: skip
        u = condition(toy(prior_growth, acts, paths=400, seed=20_000 + r))
        assert u.conflict is None, u.conflict  # truths from the prior: no false alarm
        post = u.draws["growth"][u.ancestors, 0]
        ranks.append(float(np.mean(post < g_true) + 0.5 * np.mean(post == g_true)))
        widths.append(float(np.subtract(*np.quantile(np.log(post), [0.75, 0.25]))))
    assert stats.kstest(np.array(ranks), "uniform").pvalue > 0.01, np.sort(ranks)
    prior_iqr = 0.5 * np.log(5.0)  # of log-growth under loguniform(2, 10)
    assert np.mean(widths) / prior_iqr < 0.5


# --- the starts on the base scenario -------------------------------------------------

STRONG = [("2026-01", 10e9), ("2026-03", 13e9), ("2026-05", 17e9), ("2026-07", 23e9)]
FLAT = [("2026-01", 10e9), ("2026-03", 10e9), ("2026-05", 10.2e9), ("2026-07", 10e9)]
IMPOSSIBLE = [("2026-01", 10e9), ("2026-02", 14e9), ("2026-04", 30e9)]


def base_with(points, policy=None, paths=2000) -> Scenario:
    data = load_scenario().model_dump(by_alias=True, exclude_none=True)
    data["simulation"]["paths"] = paths
    data["actuals"] = [{"month": m, "revenue_run_rate": v} for m, v in points]
    if policy is not None:
        data["policy"] = policy
    return scenario_from_dict(data)


AGGRESSIVE = {"kind": "fixed_schedule", "tranches": [
    {"start": "2027-07", "gw": 8.0, "years": 5}, {"start": "2028-07", "gw": 30.0, "years": 5}]}  # fmt: skip


@pytest.mark.parametrize("start", ["strong", "flat"])
def test_strong_and_flat_start(start: str) -> None:
    s = base_with(STRONG if start == "strong" else FLAT, AGGRESSIVE)
    u = condition(s)
    prior = side(*run_prior(s, monthly_paths=0), {})
    post = side(*run_posterior(s, u, monthly_paths=0), {})
    assert u.ess > s.actuals.min_ess
    assert u.conflict is None
    if start == "strong":
        assert post["growth_p50"] > prior["growth_p50"]
        assert post["p_bankrupt"] < prior["p_bankrupt"]
    else:
        assert post["growth_p50"] < prior["growth_p50"]
        assert post["p_bankrupt"] > prior["p_bankrupt"]
    # the CIs do not overlap: the shift is not noise
    lo_hi = sorted([prior["p_bankrupt_ci95"], post["p_bankrupt_ci95"]])
    assert lo_hi[0][1] < lo_hi[1][0]


def test_impossible_start_warns_and_exits_0(tmp_path: Path, capsys) -> None:
    s = base_with(IMPOSSIBLE, paths=500)
    path = tmp_path / "s.yaml"
    from sim.model.io import scenario_to_yaml

    path.write_text(scenario_to_yaml(s))
    assert main(["update", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 0
    report = json.loads((tmp_path / "o" / "update.json").read_text())
    assert report["ess"] < s.actuals.min_ess
    assert "faster than the prior's highest growth" in report["warning"]
    assert "simulation.paths" in report["warning"]  # the remedy is named
    for block in ("prior", "posterior"):  # always both sets of numbers
        assert report[block]["p_bankrupt"] is not None
        assert report[block]["growth_p50"] is not None
    assert "warning: low effective sample size" in capsys.readouterr().err


def test_impossible_start_conflicts_whatever_the_paths() -> None:
    """More paths raise the ESS of a start no prior path explains, but not the fit of the
    best path: the conflict is still reported (chi-square of the best candidate)."""
    s = base_with(IMPOSSIBLE, paths=4000)
    data = s.model_dump(by_alias=True, exclude_none=True)
    data["actuals"]["min_ess"] = 1.0  # ESS alone would not warn
    u = condition(scenario_from_dict(data))
    assert u.conflict is not None
    assert "even the best-fitting of 32,000 prior paths misses them" in u.conflict
    assert "faster than the prior's highest growth" in u.conflict


def test_contract_book_against_gw_actuals_warns_naming_the_month() -> None:
    data = base_with(STRONG, paths=300).model_dump(by_alias=True, exclude_none=True)
    data["actuals"]["points"][1]["gw_online"] = 4.0  # the book has 1.9 GW
    u = condition(scenario_from_dict(data))
    assert any(w.startswith("gw_online 2026-03: 4 GW observed") for w in u.warnings)


# --- commands --------------------------------------------------------------------------------

KEYS = {"p_bankrupt", "p_bankrupt_ci95", "growth_p10", "growth_p50", "growth_p90",
        "revenue_12m_p50", "recommended"}  # fmt: skip


def test_update_json_and_reproducible_whatever_workers(tmp_path: Path) -> None:
    s = base_with(STRONG, paths=600)
    path = tmp_path / "s.yaml"
    from sim.model.io import scenario_to_yaml

    path.write_text(scenario_to_yaml(s))
    import numba

    texts, threads = [], numba.get_num_threads()
    try:
        for workers in ("1", "2"):
            out = tmp_path / f"o{workers}"
            assert main(["update", str(path), "--out", str(out), "--workers", workers,
                         "--quiet"]) == 0  # fmt: skip
            texts.append((out / "update.json").read_text())
    finally:
        numba.set_num_threads(threads)
    assert texts[0] == texts[1]
    report = json.loads(texts[0])
    assert report["as_of"] == "2026-07"
    assert report["ess"] > 0
    for block in ("prior", "posterior"):
        assert set(report[block]) >= KEYS
        rec = report[block]["recommended"]
        assert {"policy", "p_bankrupt", "gw_by_delivery_year"} <= set(rec)
    assert "warning" not in report


def test_conditioned_run_is_the_same_whatever_the_threads() -> None:
    import numba

    s = base_with(STRONG, paths=5000)  # two blocks
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run(s)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = run(s)
    finally:
        numba.set_num_threads(threads)
    assert one.conditioning["ess"] == two.conditioning["ess"]
    for name in ("bankrupt_month", "cum_revenue", "final_cash"):
        np.testing.assert_array_equal(one.path[name], two.path[name])
    np.testing.assert_array_equal(one.monthly["revenue"], two.monthly["revenue"])


def test_update_with_actuals_csv_replaces_the_scenarios(tmp_path: Path) -> None:
    s = base_with(FLAT, paths=300)
    path = tmp_path / "s.yaml"
    from sim.model.io import scenario_to_yaml

    path.write_text(scenario_to_yaml(s))
    (tmp_path / "new.csv").write_text("month,revenue_run_rate\n" + "".join(
        f"{m},{v}\n" for m, v in STRONG))  # fmt: skip
    assert main(["update", str(path), "--actuals", str(tmp_path / "new.csv"),
                 "--out", str(tmp_path / "o"), "--quiet"]) == 0  # fmt: skip
    report = json.loads((tmp_path / "o" / "update.json").read_text())
    assert report["as_of"] == "2026-07"
    assert report["observed"] == 4


def test_run_with_actuals_adds_as_of_and_ess(tmp_path: Path) -> None:
    s = base_with(STRONG, paths=300)
    path = tmp_path / "s.yaml"
    from sim.model.io import scenario_to_yaml

    path.write_text(scenario_to_yaml(s))
    assert main(["run", str(path), "--out", str(tmp_path / "o"), "--format", "json",
                 "--quiet"]) == 0  # fmt: skip
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["as_of"] == "2026-07"
    assert summary["ess"] > 0


def test_backtest_2023_scores_inside_the_band(tmp_path: Path) -> None:
    """The acceptance case: conditioned on 2023, the scored revenue points (end 2024, end
    2025) and the GW point (end 2025) lie inside P5-P95; end-2024 GW is fixed by contracts
    signed by the as-of month and reported, not scored."""
    out = tmp_path / "bt"
    assert main(["backtest", str(ROOT / "scenarios" / "backtest_2023.yaml"), "--as-of",
                 "2023-12", "--out", str(out), "--quiet"]) == 0  # fmt: skip
    report = json.loads((out / "backtest.json").read_text())
    assert {"as_of", "points", "coverage_90", "crps_mean"} <= set(report)
    scored = {(p["month"], p["field"]): p for p in report["points"] if p["scored"]}
    assert set(scored) == {("2024-12", "revenue_run_rate"), ("2025-12", "revenue_run_rate"),
                           ("2025-12", "gw_online")}  # fmt: skip
    for p in scored.values():
        assert p["inside"], p
        assert p["p5"] <= p["p50"] <= p["p95"]
        assert 0.0 <= p["pit"] <= 1.0
        assert p["crps"] >= 0.0
    fixed = [p for p in report["points"] if not p["scored"]]
    assert [(p["month"], p["field"]) for p in fixed] == [("2024-12", "gw_online")]
    assert report["coverage_90"] == 1.0


def test_discover_and_voi_refuse_a_posterior() -> None:
    """They re-draw growth from the seed (the prior's): refused, not silently wrong."""
    from sim.analysis.discover import discover, observed_growth
    from sim.errors import BadInputError

    s = base_with(STRONG, paths=300)
    with pytest.raises(BadInputError, match="has actuals"):
        discover(run(s))
    with pytest.raises(BadInputError, match="prior's, not the posterior's"):
        observed_growth(s, 300, 6)
