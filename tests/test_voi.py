"""Value of information (issue 14): cross-fitted EVPI, fixed parameters, waiting, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim import load_scenario
from sim.analysis.voi import (
    buckets_of,
    candidate_cells,
    crossfit,
    evpi_from,
    parse_candidates,
    value_of_information,
)
from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASE = load_scenario(ROOT / "scenarios" / "base.yaml")
DETERMINISTIC = BASE.replace(**{
    "demand.growth": 4.0, "demand.volatility": 0.0, "demand.diffusion_lag_years": 1.0,
    "compute.initial_contract_years_left": 3.0, "economics.gross_margin": 0.6,
    "finance.max_raise_per_year": 1e11, "correlations": [],
})  # fmt: skip


def _outs(values: np.ndarray) -> list[dict]:
    return [{"equity_value": v, "bankrupt": v < 0} for v in values]


def test_crossfit_does_not_turn_noise_into_value() -> None:
    # five candidates with the same expected value, an irrelevant parameter: choosing the
    # best per bucket on the same paths "finds" value; cross-fitting does not
    rng = np.random.default_rng(0)
    n, c, k = 4000, 10, 20
    values = rng.normal(10.0, 5.0, (c, n))
    x = rng.random(n)
    bucket, _ = buckets_of(x, k)
    in_sample = np.mean([values[:, bucket == b].mean(axis=1).max() for b in range(k)])
    bias = in_sample - values.mean(axis=1).max()
    assert bias > 0.3  # what choosing and judging on the same paths would report
    ev = evpi_from([f"c{i}" for i in range(c)], _outs(values), x, buckets=k)
    assert abs(ev["evpi"]) < 3 * ev["evpi_se"]
    assert ev["evpi"] < bias / 2


def test_crossfit_finds_real_value() -> None:
    # candidate 0 pays 1 in low-x worlds, candidate 1 in high-x worlds: perfect information
    # about x is worth 0.5 (0.5 without it, 1 with it)
    rng = np.random.default_rng(1)
    n = 4000
    x = rng.random(n)
    values = np.stack([(x < 0.5) * 1.0, (x >= 0.5) * 1.0]) + rng.normal(0, 0.2, (2, n))
    ev = evpi_from(["low", "high"], _outs(values), x, buckets=2)
    assert ev["evpi"] == pytest.approx(0.5, abs=0.03)
    assert list(ev["buckets"]["best"]) == ["low", "high"]
    assert ev["buckets"]["halves_agree"].all()


def test_fixed_parameter_has_no_value_exactly() -> None:
    rng = np.random.default_rng(2)
    values = rng.normal(0, 1, (4, 1000))
    ev = evpi_from(list("abcd"), _outs(values), np.full(1000, 0.3))
    assert ev["fixed"]
    assert ev["evpi"] == 0.0
    with_info, without = crossfit(values, np.zeros(1000, dtype=int))
    np.testing.assert_array_equal(with_info, without)


def test_deterministic_scenario_has_zero_evpi() -> None:
    v = value_of_information(DETERMINISTIC, paths=300)
    assert v.fixed
    assert v.evpi == 0.0
    assert v.evpi_share == 0.0
    assert v.p_bankrupt_with == v.p_bankrupt_without


def test_fixed_parameter_of_a_random_scenario() -> None:
    v = value_of_information(BASE, "economics.other_costs_share", paths=600,
                             candidates={"policy.planned_growth": [2.0, 4.0, 8.0]})  # fmt: skip
    assert v.evpi == 0.0
    assert "nothing to learn" in v.notes[0]


def test_persistent_growth_is_worth_knowing() -> None:
    # a path keeps its growth rate: slow worlds want small plans, fast ones big plans
    # the lab alone (base before the market): the share bound below was measured there
    lone = load_scenario(ROOT / "scenarios" / "lone_lab.yaml")
    s = lone.replace(**{"demand.growth": {"dist": "loguniform", "low": 1.2, "high": 10},
                        "demand.growth_persistence": 1.0})  # fmt: skip
    v = value_of_information(s, paths=3000, seed=1)
    assert v.evpi > 5 * v.evpi_se
    assert 0 < v.evpi_share < 0.1
    best = [float(b.split("=")[1]) for b in v.buckets["best"]]
    assert best[0] < best[-2]  # slowest bucket plans for less growth than fast ones
    assert v.value_with == pytest.approx(v.value_without + v.evpi)


def test_candidates_parse_and_switch_policy() -> None:
    assert parse_candidates(None) == {"policy.planned_growth": [2.0, 3.0, 4.0, 6.0, 10.0]}
    assert parse_candidates(["policy.q=0.3,0.5"]) == {"policy.q": [0.3, 0.5]}
    with pytest.raises(ValueError, match="KEY=V1"):
        parse_candidates(["policy.q"])
    yolo = load_scenario(ROOT / "scenarios" / "yolo.yaml")
    cells = candidate_cells(yolo, {"policy.planned_growth": [2.0, 4.0]})
    assert list(cells) == ["planned_growth=2", "planned_growth=4"]
    assert cells["planned_growth=2"]["policy.kind"] == "planned_growth"


def test_wait_decomposes_and_states_its_costs() -> None:
    v = value_of_information(BASE, paths=1500, wait_months=6,
                             candidates={"policy.planned_growth": [2.0, 4.0]})  # fmt: skip
    w = v.wait
    assert w["value_of_waiting"] == pytest.approx(
        w["value_of_information_seen"] + w["delay_effect"], rel=1e-9, abs=1.0
    )
    assert w["value_commit_now"] == pytest.approx(v.value_without)
    text = " ".join(w["costs"])
    assert "2028-01 instead of 2027-07" in text  # 18-month lead from month 6 instead of 0
    assert "price: unchanged" in text
    assert "supply" in text


def test_cli_voi(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    src = tmp_path / "det.yaml"
    src.write_text(yaml.safe_dump(DETERMINISTIC.model_dump(by_alias=True, exclude_none=True)))
    out = tmp_path / "voi"
    assert main(["voi", str(src), "--paths", "200", "--out", str(out),
                 "--candidates", "policy.planned_growth=2,4,8"]) == 0  # fmt: skip
    j = json.loads((out / "voi.json").read_text())
    assert j["evpi"] == 0.0
    assert j["evpi_share"] == 0.0
    assert j["param"] == "demand.growth"
    assert j["best_policy"] in {"planned_growth=2", "planned_growth=4", "planned_growth=8"}
    assert len(j["best_per_bucket"]) == 1
    assert "EVPI of demand.growth: $0" in capsys.readouterr().out
    assert main(["voi", "--param", "demand.grwth", "--out", str(out)]) == 2
    yolo = str(ROOT / "scenarios" / "yolo.yaml")
    assert main(["voi", yolo, "--paths", "200", "--wait", "6", "--candidates",
                 "compute.lead_time_months=12,18", "--out", str(out)]) == 2  # fmt: skip


def test_workers_give_the_serial_numbers(tmp_path: Path) -> None:
    args = ["voi", "--paths", "600", "--candidates", "policy.planned_growth=2,4,8", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "serial")]) == 0
    assert main([*args, "--workers", "2", "--out", str(tmp_path / "pool")]) == 0
    a, b = (json.loads((tmp_path / d / "voi.json").read_text()) for d in ("serial", "pool"))
    assert a["evpi"] == b["evpi"]
    assert a["best_per_bucket"] == b["best_per_bucket"]
