"""Risk/upside frontier: domination logic and the monotonicity theory says to expect.

DOMAIN.md states: "More aggressive purchasing never lowers the probability of bankruptcy
nor the capacity online, all else equal and with the same random draws." Capacity holds
path by path. P(bankrupt) holds in aggregate for planned growth 1-10x in the base scenario
but NOT path by path (see the strict xfail below): extra capacity that demand does use
earns more than it costs and rescues a few paths.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, run
from sim.analysis.frontier import frontier, mark_frontier, policy_family
from sim.analysis.sweep import apply_cell, grid, run_sweep
from sim.cli import main as cli_main
from sim.model.scenario import lone_lab

PATHS = 4000  # paths: 4000 same-seed paths resolve P(bankrupt) steps of 1 path = 0.025%


@pytest.fixture(scope="module")
def base():
    return load_scenario()


def _naive_efficient(r: np.ndarray, u: np.ndarray) -> np.ndarray:
    out = []
    for i in range(len(r)):
        dom = any(
            r[j] <= r[i] and u[j] >= u[i] and (r[j] < r[i] or u[j] > u[i]) for j in range(len(r))
        )
        out.append(not dom)
    return np.array(out)


def test_mark_frontier_hand_cases():
    df = pd.DataFrame(
        {
            "p_bankrupt": [0.0, 0.0, 0.05, 0.05, 0.2, np.nan, 0.1],
            "cum_revenue_p50": [1.0, 2.0, 3.0, 3.0, 2.5, 9.0, 4.0],
            "unserved_share": [0.5, 0.4, 0.3, 0.3, 0.1, 0.0, 0.35],
        }
    )
    eff = mark_frontier(df)["efficient"].tolist()
    # row 0 dominated by row 1 (same risk, more upside); rows 2/3 tie: both efficient;
    # row 4 dominated by row 6 (less risk, more revenue); NaN row never efficient.
    assert eff == [False, True, True, True, False, False, True]
    # Lower is better for unserved share (looked up in UPSIDES): row 4 serves most.
    eff_u = mark_frontier(df, upside="unserved_share")["efficient"].tolist()
    assert eff_u == [False, True, True, True, True, False, False]
    assert "efficient" not in df.columns  # input left untouched


def test_mark_frontier_matches_brute_force():
    rng = np.random.default_rng(5)
    for _ in range(20):
        r = rng.integers(0, 6, 30) / 10.0  # ties on purpose
        u = rng.integers(0, 8, 30).astype(float)
        got = mark_frontier(pd.DataFrame({"p_bankrupt": r, "cum_revenue_p50": u}))["efficient"]
        np.testing.assert_array_equal(got.to_numpy(), _naive_efficient(r, u))


def test_policy_family_cells_are_valid(base):
    cells = policy_family(base)
    kinds = {c["policy.kind"] for c in cells}
    assert kinds == {"planned_growth", "demand_quantile", "adaptive"}
    for cell in cells:
        assert apply_cell(base, cell).policy.kind == cell["policy.kind"]


def test_capacity_non_decreasing_in_planned_growth_per_path(base):
    """Same draws: a higher planned growth never has less capacity online on any path
    and month while both plans are solvent (capacity drops to 0 at bankruptcy)."""
    levels = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
    prev = None
    for g in levels:
        res = run(apply_cell(base, {"policy.planned_growth": g}), paths=PATHS, monthly_paths=PATHS)
        cap, alive = res.monthly["capacity_gw"], res.monthly["alive"].astype(bool)
        if prev is not None:
            both = alive & prev[1]
            assert (cap[both] >= prev[0][both] - 1e-9).all(), f"capacity fell at {g}x"
        prev = (cap, alive)


def test_p_bankrupt_non_decreasing_in_planned_growth(base):
    """Base (run-off, finite supply, plan bent to the ceiling), 4,000 paths, seed 2026:
    P(bankrupt) 3.1% at 1x (the 1.9 GW signed before the start ruins slow worlds), 8.8% at
    4x, 25.5% at 10x, never falling between neighbouring levels."""
    levels = [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0]
    # the lone lab (base without its market): DOMAIN's identity is about a lone lab's plan
    df = run_sweep(lone_lab(base), grid({"policy.planned_growth": levels}), paths=PATHS)
    p = df["p_bankrupt"].to_numpy()
    assert (np.diff(p) >= 0).all(), p
    assert 0.0 < p[0] < 0.06
    assert p[-1] > 0.2


@pytest.mark.xfail(
    strict=True,
    reason="not monotone path by path: on base, 8,000 paths, seed 2026, a larger plan rescues "
    "0-2 paths per step (3x->4x: 1, 4x->5x: 2, 7x->8x: 1) while it bankrupts 126-366 others; "
    "extra capacity that demand does use earns more than it costs and unlocks raises",
)
def test_no_path_is_rescued_by_a_larger_plan(base):
    prev = None
    for g in (3.0, 4.0, 5.0, 7.0, 8.0):
        bust = run(apply_cell(base, {"policy.planned_growth": g}), paths=8000).bankrupt
        if prev is not None:
            assert not (prev & ~bust).any(), f"rescued at {g}x"
        prev = bust


def test_frontier_table(base):
    df = frontier(base, paths=1500)
    assert len(df) == len(policy_family(base))
    assert {
        "policy",
        "efficient",
        "efficient_equity_value_mean",
        "efficient_unserved_share",
    } <= set(df)
    eff = df[df["efficient"]]
    assert len(eff) >= 2
    # The safest policy with the most revenue among the safest is always efficient.
    safest = df[df["p_bankrupt"] == df["p_bankrupt"].min()]
    assert df.loc[safest["cum_revenue_p50"].idxmax(), "efficient"]
    # Efficient rows sorted by risk have strictly increasing upside.
    e = eff.sort_values(["p_bankrupt", "cum_revenue_p50"])
    assert (np.diff(e["cum_revenue_p50"].to_numpy()) >= 0).all()
    # A cautious adaptive policy beats planned growth 4x on risk at a similar median revenue.
    a = df.set_index("policy")
    assert a.loc["adaptive haircut=0.2", "p_bankrupt"] < a.loc["planned_growth 4x", "p_bankrupt"]


def test_cli_frontier(tmp_path, capsys):
    out = tmp_path / "f"
    assert cli_main(["frontier", "--paths", "500", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "adaptive haircut=0.2" in text
    assert "*" in text
    df = pd.read_parquet(out / "frontier.parquet")
    assert df["efficient"].any()
