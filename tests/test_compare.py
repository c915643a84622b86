"""Scenario comparison: interval methods, paired vs unpaired, CLI outputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, run
from sim.analysis.compare import (
    bootstrap_diff,
    compare_results,
    format_table,
    newcombe_paired,
    newcombe_unpaired,
)
from sim.cli import main
from sim.model.scenario import lone_lab

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "base.yaml"


def test_newcombe_unpaired_reproduces_published_example() -> None:
    # Newcombe (1998), Stat Med 17:873, example: 56/70 vs 48/80, difference 0.2000,
    # hybrid score interval (method 10) 0.0524 to 0.3339.
    lo, hi = newcombe_unpaired(48, 80, 56, 70)
    assert lo == pytest.approx(0.0524, abs=5e-5)
    assert hi == pytest.approx(0.3339, abs=5e-5)


def test_newcombe_paired_coverage_and_width() -> None:
    """Correlated pairs like CRN runs: ~95% coverage, far narrower than unpaired."""
    rng = np.random.default_rng(7)
    reps, n, pa, pb = 1000, 2000, 0.10, 0.12
    covered, w_paired, w_unpaired = 0, [], []
    for _ in range(reps):
        u = rng.random(n)  # common random number: b's bankruptcies include a's
        a, b = u < pa, u < pb
        lo, hi = newcombe_paired(a, b)
        covered += lo <= pb - pa <= hi
        w_paired.append(hi - lo)
        ulo, uhi = newcombe_unpaired(int(a.sum()), n, int(b.sum()), n)
        w_unpaired.append(uhi - ulo)
    # Nominal 95%; with 1000 replications the coverage estimate has SE ~0.007, so
    # [0.925, 0.985] is about +-3 SE (method 10 is known to be slightly conservative).
    assert 0.925 <= covered / reps <= 0.985
    # Discordant pairs are only the 2% with pa <= u < pb: the paired interval is less than
    # half as wide as the one that ignores the pairing.
    assert np.mean(w_paired) < 0.5 * np.mean(w_unpaired)


def test_newcombe_paired_without_discordant_pairs_is_not_degenerate() -> None:
    a = np.zeros(1000, bool)
    lo, hi = newcombe_paired(a, a)
    assert lo < 0 < hi  # zero observed difference, but not zero uncertainty


def test_bootstrap_paired_shift_is_exact_and_unpaired_is_wider() -> None:
    rng = np.random.default_rng(1)
    x = rng.lognormal(0, 1, 3000)
    a, b = {"x": x}, {"x": x + 5.0}
    med = lambda p: float(np.median(p["x"]))  # noqa: E731
    lo, hi = bootstrap_diff(med, a, b, True, np.random.default_rng(2), 300)
    # Paired: every resample shifts the same paths by exactly 5.
    assert lo == pytest.approx(5.0)
    assert hi == pytest.approx(5.0)
    ulo, uhi = bootstrap_diff(med, a, b, False, np.random.default_rng(2), 300)
    assert ulo < 5.0 < uhi


@pytest.fixture(scope="module")
def crn_pair():
    base = lone_lab(load_scenario(BASE))  # DOMAIN's claim below is about a lone lab
    bold = base.replace(**{"policy.planned_growth": 8.0})
    return run(base, paths=3000), run(bold, paths=3000), run(bold, paths=3000, seed=99)


def test_compare_more_aggressive_plan(crn_pair) -> None:
    base, bold, bold_other_seed = crn_pair
    table = compare_results([base, bold, bold_other_seed], ["base", "bold", "bold-seed99"])
    t = table.set_index(["metric", "scenario"])
    assert np.isnan(t.loc[("p_bankrupt", "base"), "diff"])
    row = t.loc[("p_bankrupt", "bold")]
    expected = bold.bankrupt.mean() - base.bankrupt.mean()
    assert row["diff"] == pytest.approx(expected)
    assert row["diff_lo"] <= row["diff"] <= row["diff_hi"]
    assert bool(row["paired"]) is True
    assert bool(t.loc[("p_bankrupt", "bold-seed99"), "paired"]) is False
    # DOMAIN: more aggressive purchasing does not lower P(bankrupt) (~11% -> ~28% here, a
    # gap of >10 SE). Not path by path, though: a dozen of 3,000 paths that go bust on the
    # 4x plan survive on 8x (more capacity -> more revenue -> larger raises).
    assert bold.bankrupt.mean() > base.bankrupt.mean() + 0.1
    assert row["diff_lo"] > 0
    # CRN: the paired interval is narrower than the unpaired one for the same comparison.
    # (Not for compute cost: its median is set by the plan and the supply cap, nearly
    # deterministic either way.)
    for metric in ("p_bankrupt", "cum_revenue_p50"):
        paired = t.loc[(metric, "bold")]
        unpaired = t.loc[(metric, "bold-seed99")]
        assert paired["diff_hi"] - paired["diff_lo"] < unpaired["diff_hi"] - unpaired["diff_lo"]
    text = format_table(table)
    assert "(unpaired)" in text
    assert "diff vs base" in text


def test_compare_needs_two(crn_pair) -> None:
    with pytest.raises(ValueError, match="at least two"):
        compare_results([crn_pair[0]])


def test_cli_compare_writes_csv_and_json(tmp_path: Path, capsys) -> None:
    out = tmp_path / "cmp"
    responsible = ROOT / "scenarios" / "responsible.yaml"
    assert main(["compare", str(BASE), str(responsible), "--paths", "800", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "P(bankrupt by end)" in printed
    assert "responsible" in printed
    table = pd.read_csv(out / "compare.csv")
    assert set(table["scenario"]) == {"base", "responsible"}
    data = json.loads((out / "compare.json").read_text())
    assert data["reference"] == "base"
    pb = data["metrics"]["p_bankrupt"]["by_scenario"]
    assert pb[0]["diff"] is None
    assert pb[1]["paired"] is True
    assert pb[1]["diff"] == pytest.approx(pb[1]["value"] - pb[0]["value"])


def test_cli_compare_same_name_gets_file_labels(tmp_path: Path, capsys) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", str(BASE), str(BASE), "--paths", "300", "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    assert capsys.readouterr().out == ""
    labels = set(pd.read_csv(out / "compare.csv")["scenario"])
    assert labels == {"base (base.yaml)", "base (base.yaml) #2"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", str(BASE)], "at least two"),
        (["compare", str(BASE), "missing.yaml"], "missing.yaml: invalid scenario"),
        (["compare", str(BASE), str(BASE), "--paths", "0"], "--paths"),
    ],
)
def test_cli_compare_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "cmp"
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not out.exists()


def test_cli_compare_subprocess_bad_file_no_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndemand: {growth: 3, initial_revenu: 1e10}\npolicy: {kind: adaptive}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "compare", str(BASE), str(bad), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "bad.yaml" in proc.stderr
    assert "initial_revenu" in proc.stderr
    assert "did you mean 'initial_revenue'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


def test_compare_vary_makes_paired_variants(tmp_path, capsys):
    from sim.cli import main

    out = tmp_path / "v"
    code = main(["compare", "--vary", "compute.lead_time_months=12,18", "--paths", "300",
                 "--seed", "5", "--out", str(out), "--quiet"])  # fmt: skip
    assert code == 0
    data = json.loads((out / "compare.json").read_text())
    text = json.dumps(data)
    assert "lead_time_months=12" in text
    assert "lead_time_months=18" in text
    assert "unpaired" not in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--vary", "compute.lead_time_months"], "expected KEY=V1,V2"),
        (["--vary", "compute.lead_time_months=12"], "at least two values"),
        (["--vary", "compute.no_such_key=1,2"], "--vary"),
        (["--vary", "compute.lead_time_months=12,-5"], "--vary compute.lead_time_months"),
        (
            [
                "scenarios/base.yaml",
                "scenarios/yolo.yaml",
                "--vary",
                "compute.lead_time_months=1,2",
            ],
            "ONE scenario",
        ),
    ],
)
def test_compare_vary_refuses_bad_values(tmp_path, capsys, argv, message):
    from sim.cli import main

    code = main(["compare", *argv, "--paths", "100", "--out", str(tmp_path / "x")])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
