"""The dashboard's Parameterized layer (no browser): schema mapping, validation, caching.

Runs use the base scenario at the dashboard's default 2,000 paths; all figures are
deterministic for a given seed, so comparisons with the public API are exact.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.explorer import EMBEDDED, Explorer, key_numbers, run_cached
from dashboard.schema import FIELDS, model_field, param_kwargs, schema_bounds
from sim import load_scenario, run, summarize
from sim.model.distributions import LogUniform, Uniform, support
from sim.model.io import parse_yaml, scenario_from_dict
from sim.model.summary import by_year
from sim.reports.decision import policy_words


@pytest.fixture(scope="module")
def base():
    return load_scenario()


@pytest.fixture
def x(base) -> Explorer:
    return Explorer(base)


# ------------------------------------------------------------------ schema -> widgets
def test_bounds_and_docs_come_from_the_pydantic_schema():
    assert schema_bounds("compute.lead_time_months") == (0.0, 120.0, True, True)
    assert schema_bounds("allocation.training_share") == (0.0, 1.0, True, False)
    assert schema_bounds("simulation.paths") == (1.0, 100_000_000.0, True, True)  # Field(ge, le)
    lo, hi, lo_inc, _ = schema_bounds("compute.price_per_gw_year")
    assert (lo, hi, lo_inc) == (1.0, 1e18, True)  # MIN_PRICE, MAX_USD
    kw = param_kwargs(FIELDS["price_per_gw_year"])  # shown in USD billions
    assert kw["bounds"] == (1e-9, 1e9)
    assert schema_bounds("compute.industry_growth")[:3] == (0.0, 100.0, False)
    assert "take-or-pay" in kw["doc"]
    assert Explorer.param.lead_time_months.bounds == (0.0, 120.0)
    assert Explorer.param.training_share.inclusive_bounds == (True, False)


@pytest.mark.parametrize("name", list(FIELDS))
def test_every_input_names_a_real_scenario_field(name):
    spec = FIELDS[name]
    assert model_field(spec.dotted).description is not None
    lo, hi, _, _ = schema_bounds(spec.dotted)
    # the slider range lies inside the schema's hard range (so sliders can't produce
    # out-of-range values on their own)
    assert lo <= spec.soft[0] * spec.scale
    assert spec.soft[1] * spec.scale <= hi


def test_out_of_bounds_input_is_refused_by_param(x):
    with pytest.raises(ValueError, match="at most 120"):
        x.lead_time_months = 500.0


# ------------------------------------------------------------- inputs -> scenario
def test_untouched_inputs_leave_the_scenario_as_loaded(x, base):
    assert x.updates() == {}
    assert x.scenario() == base
    # a distribution shown as one number on a slider stays a distribution
    assert isinstance(x.scenario().demand.diffusion_lag_years, Uniform)


@pytest.mark.parametrize("name", list(FIELDS))
def test_each_input_sets_exactly_its_field(x, base, name):
    spec = FIELDS[name]
    lo, hi = spec.soft
    value = round(lo + 0.3 * (hi - lo), 6)
    if name == "min_training_share":
        value = 10.0  # [%] must stay below the training share (50%)
    setattr(x, name, value)
    assert x.error == ""
    s = x.scenario()
    node = s
    for key in spec.dotted.split("."):
        node = getattr(node, key)
    assert node == pytest.approx(value * spec.scale)
    section, field = spec.dotted.split(".")
    others = {k: v for k, v in getattr(s, section).model_dump().items() if k != field}
    before = {k: v for k, v in getattr(base, section).model_dump().items() if k != field}
    assert others == before


def test_growth_range_keeps_the_mixture_or_becomes_a_number(x):
    assert (x.growth_low, x.growth_high) == (1.0, 10.0)  # the base mixture spans 1-10x/yr
    x.growth_high = 6.0
    g = x.scenario().demand.growth
    # the slow-world weight survives: the support moves onto 1-6x by a log-linear map
    assert g.weights == (0.85, 0.15)
    assert support(g) == (1.0, 6.0)
    fast, slow = g.components
    assert (slow.low, slow.high) == pytest.approx((1.0, 6.0 ** (math.log(3) / math.log(10))))
    assert (fast.low, fast.high) == (slow.high, 6.0)
    x.growth_low = 6.0
    assert x.scenario().demand.growth == 6.0


def test_growth_range_of_a_loguniform_stays_loguniform():
    from dashboard.schema import rescaled_growth

    assert rescaled_growth(LogUniform(low=3.0, high=10.0), 2.0, 8.0) == {
        "dist": "loguniform", "low": 2.0, "high": 8.0}  # fmt: skip
    assert rescaled_growth(LogUniform(low=3.0, high=10.0), 9.0, 8.0)["dist"] == "loguniform"


def test_policy_kind_and_growth_plan(x):
    x.planned_growth = 6.0
    assert x.scenario().policy.planned_growth == 6.0
    x.policy_kind = "adaptive"
    pol = x.scenario().policy
    assert (pol.kind, pol.prior_growth, pol.review_months) == ("adaptive", 6.0, 12)
    x.policy_kind = "demand_quantile"
    x.quantile = 80.0  # [%]
    assert (x.scenario().policy.kind, x.scenario().policy.q) == ("demand_quantile", 0.8)


# ------------------------------------------------------------------ bad input
def test_min_training_above_training_share_shows_message_and_keeps_results(x):
    shown = x.results
    x.training_share = 20.0  # [%] below the 25% research floor
    assert "`allocation`: min_training_share must not exceed training_share" in x.error
    assert "Min training share [%]" in x.error  # names the widget to move
    assert "Traceback" not in x.error
    assert x.results is shown  # charts keep the last valid run
    x.min_training_share = 10.0
    assert x.error == ""
    assert x.results is not shown


def test_growth_low_above_high_names_the_field(x):
    x.growth_low = 12.0
    assert "`demand.growth`: loguniform needs 0 < low <= high" in x.error
    assert "True growth, low/high" in x.error
    assert "allowed dist" not in x.error  # the YAML-oriented hint is dropped in the app


# --------------------------------------------------------------------- results
def test_key_numbers_equal_the_public_api(x, base):
    s = summarize(run(base, paths=2000, monthly_paths=2000))
    n = x.numbers
    assert n["p_bankrupt"] == s["p_bankrupt"]
    assert n["revenue_final_year_p50"] == s["by_year"][-1]["revenue_p50"]
    assert n["final_year"] == 2031
    assert n["unserved_share"] == s["unserved_share_of_demand"]
    assert 0.02 < n["p_bankrupt"] < 0.3  # base scenario: ~10.7% at 2,000 paths


def test_more_aggressive_plan_raises_p_bankrupt(x):
    # With the same random draws (same seed), buying more above the valley raises
    # P(bankrupt); deterministic, so no statistical tolerance is needed. Base has pricing
    # power (docs/model.md 5d): below the valley (~2.5x) a laggard's discount ruins too, so
    # 1x is riskier than 3x (30.7% vs ~6.5% at 4,000 paths), and the widget must show that.
    seen = []
    for g in (3.0, 4.0, 6.0, 8.0):
        x.planned_growth = g
        seen.append(x.numbers["p_bankrupt"])
    assert seen == sorted(seen)
    assert seen[-1] > seen[0]
    x.planned_growth = 1.0
    assert x.numbers["p_bankrupt"] > 2 * seen[0]


def test_runs_are_cached_by_scenario_and_paths(x, base):
    first = x.results
    x.planned_growth = 5.0
    assert x.results is not first
    x.planned_growth = 4.0  # back to the loaded value: same scenario hash -> cache hit
    assert x.results is first
    assert run_cached(base, 2000) is first
    assert run_cached(base, 1000) is not first


def test_scenario_picker_loads_files(x):
    assert "steady_state_100b" in x.param.scenario_file.objects
    x.scenario_file = "steady_state_100b"
    assert x.policy_kind == "fixed_schedule"
    assert x.numbers["p_bankrupt"] == 0.0
    # DOMAIN.md worked example: $150B/yr of revenue, every path the same
    assert x.numbers["revenue_final_year_p50"] == pytest.approx(150e9, rel=1e-9)
    assert x.updates() == {}
    x.scenario_file = EMBEDDED
    assert x.scenario().name == "base"


# --------------------------------------------------------------------- exports
def test_saved_yaml_is_a_valid_scenario_with_the_changes(x, base, tmp_path):
    from sim.cli import main

    x.initial_cash = 45.0
    x.scenario_name = "more cash"
    text = x.scenario_yaml()
    s = scenario_from_dict(parse_yaml(text))
    assert s.finance.initial_cash == 45e9
    assert s.name == "more cash"
    assert s.simulation.paths == base.simulation.paths  # not the interactive count
    assert isinstance(s.demand.diffusion_lag_years, Uniform)
    path = tmp_path / "saved.yaml"
    path.write_text(text)
    assert main(["validate", str(path)]) == 0


def test_csv_is_the_by_year_table(x):
    table = pd.read_csv(x.by_year_csv())
    expected = by_year(x.results)
    assert list(table.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


# ------------------------------------------------------------------- background tables
@pytest.fixture(scope="module")
def analysed(base):
    """An explorer at 1,000 paths whose four tables are computed (serially, here). The risk
    budget is 8%: base's least risky plan (~4.5%, pricing power makes under-buying ruinous
    too) is not credibly within 5% at 1,000 paths, so a 5% budget has no recommendation
    (tests/test_dashboard_app.py and test_infeasible_budget_is_said cover that case)."""
    x = Explorer(base, paths=1000, budget=8.0)
    x.run_analysis(background=False)
    return x


def test_tables_fill_heatmap_frontier_decision_tornado(analysed, base):
    from sim.analysis.frontier import frontier
    from sim.analysis.recommend import recommend

    x = analysed
    assert not any(x.stale(n) for n in ("heatmap", "frontier", "decision", "tornado"))
    heat = x.table("heatmap")
    assert len(heat) == 36
    assert {"policy.planned_growth", "demand.growth", "p_bankrupt", "cum_revenue_p50"} <= set(
        heat.columns
    )
    assert (heat["paths"] == 1000).all()  # the interactive path count: views compare
    front = x.table("frontier")
    pd.testing.assert_series_equal(front["p_bankrupt"], frontier(base, paths=1000)["p_bankrupt"])
    assert {"parameter", "swing", "metric_low", "metric_high"} <= set(x.table("tornado").columns)
    rec = x.table("decision")["recommendation"]
    ref = recommend(base, budget=0.08, paths=1000)  # the public API, on the same worlds
    pd.testing.assert_frame_equal(rec.plans.table, ref.plans.table)
    assert rec.index == ref.index
    assert rec.units["gw_by_delivery_year"]  # GW per delivery year of the chosen plan
    # the current policy (planned growth 4x) is a member of the family: same worlds, same
    # seed and paths, so its frontier point is exactly the shown run
    row = front[front["policy"] == "planned_growth 4x"].iloc[0]
    assert row["p_bankrupt"] == x.numbers["p_bankrupt"] == x.table_numbers["p_bankrupt"]
    assert row["cum_revenue_p50"] == x.numbers["cum_revenue_p50"]


def test_tables_are_keyed_by_what_they_depend_on(analysed):
    x = analysed
    keys = {n: x._specs[n].key for n in x._specs}
    x.planned_growth = 5.0  # the swept value: heatmap, frontier and decision still hold
    assert {n: x._specs[n].key for n in ("heatmap", "frontier", "decision")} == {
        n: keys[n] for n in ("heatmap", "frontier", "decision")
    }
    assert x.stale("tornado")
    assert not x.stale("frontier")
    x.initial_cash = 45.0  # the world changed: every table is stale until recomputed
    assert all(x.stale(n) for n in ("heatmap", "frontier", "decision", "tornado"))
    x.param.update(initial_cash=30.0, planned_growth=4.0)
    assert not any(x.stale(n) for n in ("heatmap", "frontier", "decision", "tornado"))


def test_renaming_a_setting_recomputes_nothing(analysed):
    x = analysed
    keys = {n: x._specs[n].key for n in x._specs}
    shown = x.results
    x.scenario_name = "our plan"
    assert {n: x._specs[n].key for n in x._specs} == keys
    assert not any(x.stale(n) for n in keys)
    assert x.results.path is shown.path  # the same run, relabelled
    assert x.results.scenario.name == "our plan"
    x.scenario_name = "base"


def test_tables_are_cached_across_sessions(analysed, base, monkeypatch):
    from dashboard import sweeps

    def fail(*_a, **_k):
        raise AssertionError("recomputed a cached table")

    monkeypatch.setattr(sweeps, "compute", fail)
    other = Explorer(base, paths=1000, budget=8.0)  # a second browser session
    assert not any(other.stale(n) for n in ("heatmap", "frontier", "decision", "tornado"))
    pd.testing.assert_frame_equal(other.table("heatmap"), analysed.table("heatmap"))


def test_disk_cache_lives_in_the_user_cache_dir_and_is_bounded(tmp_path, monkeypatch):
    from pathlib import Path

    import platformdirs

    from dashboard.cache import DiskCache, cache_dir

    monkeypatch.delenv("COMPUTE_SIM_CACHE_DIR", raising=False)
    default = cache_dir()
    assert default.is_relative_to(Path(platformdirs.user_cache_dir("compute-sim")))
    assert not default.resolve().is_relative_to(Path(__file__).resolve().parents[1])
    disk = DiskCache(tmp_path, budget=10_000)
    for i in range(10):
        disk.put(f"k{i}", b"x" * 3000)
    assert sum(p.stat().st_size for p in tmp_path.glob("*.pkl")) <= 10_000
    assert disk.get("k9") == b"x" * 3000  # the newest stay
    assert disk.get("k0") is None  # the oldest went first
    (tmp_path / "broken.pkl").write_bytes(b"not a pickle")
    assert disk.get("broken") is None  # a damaged file is a miss, and is removed
    assert not (tmp_path / "broken.pkl").exists()


def test_a_frontier_cell_sets_its_policy_in_the_explorers_units(base):
    """Clicking a frontier point and "Apply" share one mapping: quantile and haircut in %."""
    from dashboard.decision import cell_updates

    q = cell_updates({"policy.kind": "demand_quantile", "policy.q": 0.13})
    assert q == {"policy_kind": "demand_quantile", "quantile": 13.0}
    h = cell_updates({"policy.kind": "adaptive", "policy.haircut": 0.33})
    assert h == {"policy_kind": "adaptive", "haircut": 33.0}
    g = cell_updates({"policy.kind": "planned_growth", "policy.planned_growth": 2.5})
    assert g == {"policy_kind": "planned_growth", "planned_growth": 2.5}
    x = Explorer(base, paths=300)
    x.param.update(**q)
    assert x.current_scenario().policy.q == pytest.approx(0.13, abs=1e-12)


def test_disk_cache_read_from_memory_still_refreshes_the_files_age(tmp_path):
    """A value served from the in-memory copy still counts as a read for the disk LRU."""
    import os

    from dashboard.cache import DiskCache

    disk = DiskCache(tmp_path, budget=10_000)
    disk.put("k", b"x" * 100)
    os.utime(tmp_path / "k.pkl", (1_000_000, 1_000_000))  # made long ago
    assert disk.get("k") == b"x" * 100  # from memory
    assert (tmp_path / "k.pkl").stat().st_mtime > 1_000_000
    (tmp_path / "k.pkl").unlink()  # evicted by another process
    assert disk.get("k") is None


def test_run_cache_is_bounded_in_bytes():
    import numpy as np

    from dashboard.cache import MemoryLRU

    lru = MemoryLRU(budget=3_000_000)
    for i in range(5):
        lru.put(i, {"a": np.zeros(100_000)})  # 800 kB each
    assert lru.used <= 3_000_000
    assert lru.get(0) is None
    assert lru.get(4) is not None
    lru.put("huge", np.zeros(1_000_000))  # larger than the whole budget: not kept
    assert lru.get("huge") is None


def test_decision_sentence_states_its_figures(analysed):
    from dashboard import decision
    from sim.reports.decision import pct, policy_words

    x = analysed
    opt = x.table("decision")
    rec = opt["recommendation"]
    body, attrs = decision.sentence(opt, x.numbers, x.policy_words(), x.results)
    row = rec.plan
    assert attrs["state"] == "ready"
    assert float(attrs["p-bankrupt"]) == row["p_bankrupt"]
    assert int(attrs["paths"]) == rec.paths == 1000
    assert body.startswith('<p class="verdict"><b>Sign ')  # the order first, in bold
    assert f"with {policy_words(row)}; P(bankrupt) {pct(row['p_bankrupt'])} (one-sided 95% " \
           f"bound {pct(row['p_bankrupt_upper'])}, within the 8% budget)" in body  # fmt: skip
    assert "(1,000 paths)" in body
    assert '<table class="order">' in body
    assert "Delivery year" in body
    assert "Against the current plan (planned growth 4x/yr)" in body  # what it gives up
    assert attrs["current"] in {"dominated", "indistinguishable", "undominated"}
    html = decision.element(body, attrs)
    assert 'data-testid="decision"' in html
    assert f'data-paths="{attrs["paths"]}"' in html
    # pending: the current plan's figure, with its path count
    body, attrs = decision.sentence(None, x.numbers, x.policy_words(), x.results)
    assert attrs["state"] == "pending"
    assert f"P(bankrupt) {pct(x.numbers['p_bankrupt'])}" in body
    assert f"at {x.numbers['paths']:,} paths" in body
    assert float(attrs["p-bankrupt"]) == x.numbers["p_bankrupt"]


@pytest.mark.parametrize("name", ["base", "yolo", "responsible"])
def test_apply_makes_the_current_plan_the_recommendation(name):
    """Through the dashboard's API: apply the recommendation; the decision then says the
    current plan is the recommendation and on the frontier, never "dominated"."""
    from dashboard import decision
    from sim.analysis.dominance import Outcomes, paired_difference

    root = Path(__file__).resolve().parents[1]
    x = Explorer(load_scenario(root / "scenarios" / f"{name}.yaml"), paths=1000)
    x.run_analysis(background=False)
    opt = x.table("decision")
    rec, front = opt["recommendation"], x.table("frontier")
    # no frontier point shown has both a lower one-sided bound and a higher median revenue
    # than the recommendation, beyond the paired interval on the same worlds
    grid = rec.plans.table.iloc[: len(front)]
    pd.testing.assert_series_equal(grid["p_bankrupt"], front["p_bankrupt"])
    mine = Outcomes(rec.plans.bankrupt[rec.index], rec.plans.revenue[rec.index])
    for j in np.flatnonzero((grid["p_bankrupt_upper"] < rec.plan["p_bankrupt_upper"]).to_numpy()):
        other = Outcomes(rec.plans.bankrupt[j], rec.plans.revenue[j])
        assert front["cum_revenue_p50"].iloc[j] <= rec.plan["cum_revenue_p50"]
        assert paired_difference(mine, other, 1).revenue_ci[0] <= 0
    updates = decision.apply_updates(opt)
    assert updates["policy_kind"] == opt["recommendation"].policy["kind"]
    x.param.update(**updates)
    x.run_analysis(background=False)
    after = x.table("decision")
    assert after["recommendation"].plan["policy"] == opt["recommendation"].plan["policy"]
    body, attrs = decision.sentence(after, x.numbers, x.policy_words(), x.results)
    assert attrs["current"] == "recommended"
    assert "dominated" not in body
    if rec.feasible:
        assert "is the recommendation and on the frontier" in body
    else:  # base at 1,000 paths: nothing within 5%, Apply applied the least risky plan
        assert name == "base"
        assert "is the least risky plan of the frontier family and on the frontier" in body
    assert x.numbers["p_bankrupt"] == after["recommendation"].plan["p_bankrupt"]


def test_risk_budget_is_entered_in_percent(base):
    x = Explorer(base, paths=300)
    assert x.budget == 5.0
    assert "[%]" in x.param.budget.label
    x.budget = 2.5
    assert x._specs["decision"].budget == 0.025


def test_infeasible_budget_is_said(base):
    x = Explorer(base, paths=300, budget=0.1)  # 0.1%
    x.run_analysis(background=False)
    opt = x.table("decision")
    assert opt["feasible"] is False
    from dashboard import decision

    body, attrs = decision.sentence(opt, x.numbers, x.policy_words(), x.results)
    assert "No plan of the frontier family keeps P(bankrupt) within the 0.1% risk budget" in body
    assert attrs["plan"] == "none"
    # "Apply" then offers the least risky plan: exactly the evaluated one
    rec = decision.recommendation(opt)
    assert attrs["least-risky"] == policy_words(rec.plan)
    updates = decision.apply_updates(opt)
    assert updates["policy_kind"] == rec.policy["kind"]


def test_heatmap_explains_why_fixed_schedules_have_none(x):
    from dashboard import sweeps

    x.scenario_file = "steady_state_100b"
    spec = sweeps.specs(x.current_scenario(), 100, 0.05)["heatmap"]
    msg = sweeps.heatmap_data(spec, lambda d, t: None)
    assert isinstance(msg, str)
    assert "fixed purchase schedule" in msg


def test_failing_table_gives_a_message_and_is_not_cached(monkeypatch, base, tmp_path):
    from dashboard import sweeps
    from dashboard.cache import DiskCache
    from sim.analysis import sensitivity

    def broken(*_a, **_k):
        raise ImportError("sim.analysis.sensitivity")

    monkeypatch.setattr(sensitivity, "tornado", broken)
    monkeypatch.setattr(sweeps, "DISK", DiskCache(tmp_path))
    spec = sweeps.specs(base, 100, 0.05)["tornado"]
    out = sweeps.compute(spec, lambda d, t: None)
    assert out == "tornado failed: ImportError: sim.analysis.sensitivity"
    assert sweeps.DISK.get(spec.key) is None  # a message is never served from the cache


# ----------------------------------------------------------- async runs, caps, uploads
def test_results_of_settings_already_left_are_dropped(base):
    """With a deferred runner (as on the server), a slow run that finishes after a newer
    one never overwrites the newer results."""
    pending = []
    x = Explorer(base.replace(**{"simulation.seed": 7301}), paths=300,
                 runner=lambda fn, done: pending.append((fn, done)))  # fmt: skip
    first = pending.pop()  # a run not in memory yet goes through the runner
    first[1](first[0]())  # the initial run publishes
    x.planned_growth = 6.0
    x.planned_growth = 2.0
    newer, older = pending.pop(), pending.pop()
    newer[1](newer[0]())
    older[1](older[0]())  # arrives late
    assert x.results.scenario.policy.planned_growth == 2.0


def test_chart_frames_follow_the_key_numbers_in_the_same_job(base):
    """The run's job publishes the key numbers first (one dispatch), then computes the
    charts' frames on its own worker (no second job queued behind other runs); frames of
    settings already left are never published."""
    pending, dispatched = [], []
    x = Explorer(base.replace(**{"simulation.seed": 7302}), paths=300, prepare=lambda r: r,
                 runner=lambda fn, done: pending.append((fn, done)),
                 dispatch=dispatched.append)  # fmt: skip
    fn, done = pending.pop()
    done(fn())
    assert not pending  # one job: no second one for the frames
    publish, view = dispatched
    publish()
    assert x.numbers  # the key numbers are on screen before the frames
    assert x.view_data is None
    view()
    assert x.view_data is x.results
    x.planned_growth = 6.0
    fn, done = pending.pop()
    out = fn()
    x.planned_growth = 2.0  # the user moves on before the 6x run's frames are ready
    dispatched.clear()
    done(out)
    assert len(dispatched) == 1  # its key numbers (dropped when run), never its frames


def test_chart_frames_come_when_their_tab_opens_between_a_run_and_its_publication(base):
    """A run's worker skips the frames while their tab is hidden; if the tab opens after the
    worker finished but before the event loop published the run, the publication prepares
    them (CI once saw a page opened on an actuals link keep the frames of the run before)."""
    pending, dispatched = [], []
    x = Explorer(base.replace(**{"simulation.seed": 7303}), paths=300,
                 runner=lambda fn, done: pending.append((fn, done)),
                 dispatch=dispatched.append)  # fmt: skip
    fn, done = pending.pop()
    done(fn())  # the tab is hidden: no frames
    dispatched.pop()()
    x.planned_growth = 6.0
    fn, done = pending.pop()
    done(fn())  # the worker finished while the tab was still hidden
    x.prepare = lambda r: r  # the tab opens now ...
    x.ensure_view()  # ... on the results still shown (the earlier run's)
    job, _ = pending.pop()
    job()
    dispatched.pop()()  # the earlier run's frames arrive
    assert x.view_of is x.results
    dispatched.pop()()  # ... then the 6x run is published
    assert x.results.scenario.policy.planned_growth == 6.0
    assert x.view_of is not x.results
    job, _ = pending.pop()  # the publication asked for the 6x run's frames
    job()
    dispatched.pop()()
    assert x.view_of is x.results
    assert not pending
    x.ensure_view()  # nothing more to prepare
    assert not pending


def test_a_first_page_of_a_run_in_memory_has_its_numbers_at_once(base):
    """A new session whose run is cached publishes while it is built (the page carries the
    numbers, no second round trip), even with a deferred runner; later changes use it."""
    Explorer(base, paths=300)  # the run is now in memory
    pending = []
    x = Explorer(base, paths=300, runner=lambda fn, done: pending.append((fn, done)))
    assert pending == []
    assert x.numbers["paths"] == 300
    x.planned_growth = 5.0
    assert len(pending) == 1  # a change goes through the runner again


def test_per_run_cost_cap_refuses_heavy_settings(base, monkeypatch):
    monkeypatch.setenv("COMPUTE_SIM_DASHBOARD_MAX_PATH_MONTHS", "1e6")
    x = Explorer(base, paths=2000)  # 2,000 x 204 months: within the cap
    shown = x.results
    x.years = 40
    assert "too heavy for the dashboard" in x.error
    assert "path-months" in x.error
    assert "python -m sim run" in x.error
    assert x.results is shown
    x.years = 6
    assert x.error == ""


def test_heavy_tables_use_fewer_paths_and_say_so(base):
    from dashboard import jobs, sweeps

    long = base.replace(**{"simulation.years": 50})
    specs = sweeps.specs(long, 50_000, 0.05)
    assert specs["heatmap"].paths < jobs.SWEEP_PATHS_MAX
    assert specs["heatmap"].paths * 36 * 666 <= jobs.TABLE_BUDGET * 1.01
    assert specs["frontier"].paths == specs["heatmap"].paths == specs["decision"].paths


def test_yaml_upload_loads_a_scenario_and_refuses_bad_files(x, base):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "scenarios" / "responsible.yaml").read_bytes()
    assert x.load_yaml(text, "responsible.yaml")
    assert x.scenario_name == x.results.scenario.name == load_scenario(
        Path(__file__).resolve().parents[1] / "scenarios" / "responsible.yaml").name  # fmt: skip
    shown = x.results
    assert not x.load_yaml(b"demand: {growth: [", "broken.yaml")
    assert "broken.yaml is not a valid scenario" in x.error
    assert not x.load_yaml(b"name: x\ndemand: {grwth: 3}\n", "typo.yaml")
    assert "demand" in x.error
    assert not x.load_yaml(b"\xff\xfe\x00", "binary.yaml")
    assert "not UTF-8" in x.error
    assert not x.load_yaml(b"#" * 2_000_000, "huge.yaml")
    assert "accepts scenario files up to" in x.error
    assert x.results is shown


def test_saved_yaml_names_the_change_and_rounds_numbers(x, tmp_path):
    x.planned_growth = 3.5000000000000004
    x.initial_cash = 0.1 + 0.2  # 0.30000000000000004 [USD B]
    text = x.scenario_yaml()
    assert "3.5000000000000004" not in text
    assert "300000000.00000006" not in text
    path = tmp_path / "saved.yaml"
    path.write_text(text)
    s = load_scenario(path)
    assert s.name == "base (edited)"
    assert "Changed in the dashboard" in s.description
    assert "planned growth 3.5x/yr" in s.description
    assert s.policy.planned_growth == 3.5
    assert s.finance.initial_cash == 0.3e9
    x.param.update(scenario_name="my plan", scenario_description="what we decided")
    s = scenario_from_dict(parse_yaml(x.scenario_yaml()))
    assert (s.name, s.description) == ("my plan", "what we decided")


@pytest.mark.parametrize("name", ["base", "yolo", "responsible", "competition", "build_slip",
                                  "steady_state_100b", "backtest_2023"])  # fmt: skip
def test_every_shipped_scenario_saves_and_loads_back(name, tmp_path):
    from pathlib import Path

    x = Explorer(paths=200, scenarios_dir=Path(__file__).resolve().parents[1] / "scenarios")
    x.scenario_file = name
    x.initial_cash = x.initial_cash + 5.0
    path = tmp_path / "s.yaml"
    path.write_text(x.scenario_yaml())
    s = load_scenario(path)
    assert s.finance.initial_cash == pytest.approx(x.results.scenario.finance.initial_cash)
    skip = {"name", "description", "simulation"}
    saved, shown = (
        _flat(s.model_dump(exclude=skip)),
        _flat(x.results.scenario.model_dump(exclude=skip)),
    )
    assert saved.keys() == shown.keys()
    # numbers are saved rounded to 10 significant digits; text (distribution names, months)
    # must match exactly (pytest >= 9 refuses approx on strings)
    numbers = [k for k, v in shown.items() if isinstance(v, float)]
    assert {k: saved[k] for k in numbers} == pytest.approx({k: shown[k] for k in numbers}, rel=1e-9)
    assert {k: v for k, v in saved.items() if k not in numbers} == {
        k: v for k, v in shown.items() if k not in numbers
    }


def _flat(d, prefix=""):
    out = {}
    items = d.items() if isinstance(d, dict) else enumerate(d)
    for k, v in items:
        if isinstance(v, dict | list | tuple):
            out.update(_flat(v, f"{prefix}{k}."))
        elif isinstance(v, int | float) and not isinstance(v, bool):
            out[f"{prefix}{k}"] = float(v)
        else:
            out[f"{prefix}{k}"] = str(v)
    return out


def test_pinned_compare_uses_the_compare_engine(base):
    from sim.analysis.compare import compare_results

    x = Explorer(base, paths=500)
    x.pin()
    ref = x.results
    x.planned_growth = 6.0
    table = x.compare
    expected = compare_results([ref, x.results], ["base (pinned)", "current"], resamples=400)
    pd.testing.assert_frame_equal(table, expected)
    assert table["paired"].iloc[1] == True  # noqa: E712  (same seed and paths)
    bust = table[table["metric"] == "p_bankrupt"]
    assert bust["diff"].iloc[1] > 0  # buying more raises the risk on the same worlds
    # the Compare tab shows the numbers in the dashboard's one format: %, $..B/T, GW
    from dashboard.widgets import compare_markdown

    lines = {row.split(" | ")[0].lstrip("| "): row for row in compare_markdown(table).splitlines()}
    p_row = lines["P(bankrupt by end)"].split(" | ")
    assert p_row[1] == f"{bust['value'].iloc[0]:.1%}"
    assert p_row[2] == f"{bust['value'].iloc[1]:.1%}"
    assert p_row[3].startswith(f"{bust['diff'].iloc[1]:+.1%} (")
    revenue = lines["Cumulative revenue, median"].split(" | ")
    assert all(cell.startswith("$") and cell[-1] in "BT" for cell in revenue[1:3])
    assert "e+" not in compare_markdown(table)  # no raw floats


# ------------------------------------------------------- plan_to_ceiling and the horizon
def _diff(a, b, prefix=""):
    """Dotted keys where two model_dump dicts differ."""
    out = set()
    for k in set(a) | set(b):
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            out |= _diff(va, vb, f"{prefix}{k}.")
        elif va != vb:
            out.add(f"{prefix}{k}")
    return out


def test_plan_to_ceiling_checkbox_sets_only_that_field(x, base):
    assert x.plan_to_ceiling is True  # base bends its plan toward the ceiling
    assert x.policy_kind == "planned_growth"
    assert "demand.ceiling" in x.param.plan_to_ceiling.doc  # help from the pydantic field
    on = x.numbers["p_bankrupt"]
    x.plan_to_ceiling = False
    assert x.updates() == {"policy.plan_to_ceiling": False}
    s = x.scenario()
    assert _diff(base.model_dump(), s.model_dump()) == {"policy.plan_to_ceiling"}
    api = summarize(run(s, paths=x.paths))
    assert x.numbers["p_bankrupt"] == api["p_bankrupt"]
    assert x.numbers["cum_revenue_p50"] == api["cum_revenue_p50"]
    # The plan changed (the numbers are the API's for the new scenario, above). Base's lab is
    # held by the 60 GW supply cap in most worlds, so bending toward the market's ceiling
    # barely matters there (8.35% vs 8.4% at 2,000 paths); what the flag does to a plan is
    # checked by hand in tests/test_hand_cases.py::test_plan_to_ceiling_bends_the_plan.
    assert x.numbers["p_bankrupt"] != on
    assert x.current_scenario().policy.plan_to_ceiling is False  # what the sweeps use
    # the background tables key on the shown scenario
    assert x._specs["tornado"].scenario.policy.plan_to_ceiling is False
    saved = tmp_yaml_roundtrip(x)
    assert saved.policy.plan_to_ceiling is False
    x.plan_to_ceiling = True
    assert x.updates() == {}


def tmp_yaml_roundtrip(x):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "saved.yaml"
        path.write_text(x.scenario_yaml())
        return load_scenario(str(path))


@pytest.mark.parametrize("kind", ["demand_quantile", "fixed_schedule"])
def test_plan_to_ceiling_is_not_written_for_other_policies(x, kind):
    x.policy_kind = kind
    before = x.updates()
    x.plan_to_ceiling = True
    assert x.updates() == before
    assert "plan_to_ceiling" not in x.scenario().policy.model_dump()
    assert not x.error


def test_plan_to_ceiling_follows_a_switch_between_growth_policies(x):
    x.plan_to_ceiling = True
    x.policy_kind = "adaptive"
    s = x.scenario()
    assert s.policy.kind == "adaptive"
    assert s.policy.plan_to_ceiling is True


def test_picker_shows_plan_to_ceiling_and_years_from_a_file(base, tmp_path):
    data = base.model_dump(by_alias=True, exclude_none=True, mode="json")
    data["policy"]["plan_to_ceiling"] = False
    data["simulation"]["years"] = 4
    data["name"] = "straight"
    from sim.model.io import scenario_to_yaml

    (tmp_path / "straight.yaml").write_text(scenario_to_yaml(scenario_from_dict(data, "t")))
    x = Explorer(base, scenarios_dir=tmp_path)
    assert x.plan_to_ceiling is True
    assert x.years == base.simulation.years
    x.scenario_file = "straight"
    assert x.plan_to_ceiling is False
    assert x.years == 4
    assert x.updates() == {}  # untouched inputs leave the loaded scenario as it was
    assert x.results.scenario.policy.plan_to_ceiling is False
    assert x.results.scenario.simulation.years == 4


def test_horizon_input_sets_only_simulation_years(x, base):
    assert x.years == base.simulation.years
    assert x.param.years.softbounds == (1, 15)
    assert x.param.years.bounds == (1, 50)
    assert "horizon" in x.param.years.doc
    x.years = 3
    assert x.updates() == {"simulation.years": 3}
    s = x.scenario()
    assert _diff(base.model_dump(), s.model_dump()) == {"simulation.years"}
    api = summarize(run(s, paths=x.paths))
    assert x.numbers["p_bankrupt"] == api["p_bankrupt"]
    assert x.numbers["final_year"] == api["by_year"][-1]["year"]
    assert (
        len(x.results.years) == 3
        or x.numbers["final_year"] < key_numbers(run_cached(base, x.paths))["final_year"]
    )
    assert tmp_yaml_roundtrip(x).simulation.years == 3


def test_frontier_labels_read_in_percent():
    from dashboard.charts import short_label

    assert short_label({"policy.kind": "demand_quantile", "policy.q": 0.1}) == "q10%"
    assert short_label({"policy.kind": "adaptive", "policy.haircut": 0.25}) == "h25%"
    assert short_label({"policy.kind": "planned_growth", "policy.planned_growth": 4.0}) == "4x"


def test_an_old_link_with_shares_opens_at_those_values_in_percent(base):
    from panel.io.location import Location

    from dashboard.explorer import PERCENT_INPUTS
    from dashboard.session import share_links

    x = Explorer(base, paths=300)
    # a link from when the budget and shares were given as shares
    loc = Location(search="?budget=0.05&paths=300&training_share=0.45")
    share_links(loc, PERCENT_INPUTS)
    loc.sync(x, {"budget": "budget", "paths": "paths", "training_share": "training_share"})
    assert x.budget == 5.0  # 5%, not rejected, not read as 0.05%
    assert x._specs["decision"].budget == 0.05
    assert x.scenario().allocation.training_share == 0.45
    new = Location(search="?budget=7.5&quantile=20")
    share_links(new, PERCENT_INPUTS)
    assert new.query_params == {"budget": 7.5, "quantile": 20}  # percent values left alone
