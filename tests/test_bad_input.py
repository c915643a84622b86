"""Bad input: clear message naming file, field and what is allowed; exit 2; no traceback."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import ScenarioError, load_scenario, scenario_from_dict
from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load((ROOT / "scenarios" / "base.yaml").read_text())

CASES = [
    # (path, bad value, field named in the message, words the message must contain)
    (("economics", "gross_margin"), 1.0, "economics.gross_margin", "[-1, 1)"),
    (("economics", "gross_margin"), 1.5, "economics.gross_margin", "[-1, 1)"),
    (("compute", "initial_gw"), -2.0, "compute.initial_gw", "must lie in [0, 100000], got -2"),
    (("compute", "price_per_gw_year"), 0, "compute.price_per_gw_year", "[1, 1e+18]"),
    (("compute", "lead_time_months"), "soon", "compute.lead_time_months", "number"),
    (
        ("demand", "growth"),
        {"dist": "uniform", "low": 5, "high": 3},
        "demand.growth",
        "low <= high",
    ),
    (("demand", "growth"), {"dist": "normal", "mean": 5}, "demand.growth", "lognormal"),
    (("demand", "growth_persistence"), 1.2, "demand.growth_persistence", "[0, 1]"),
    (
        ("economics", "gross_margin"),
        {"dist": "uniform", "low": 0.5, "high": 1.1},
        "economics.gross_margin",
        "[0.5, 1.1]",
    ),
    (
        ("economics", "gross_margin"),
        {"dist": "lognormal", "median": 0.5, "sigma": 0.2},
        "economics.gross_margin",
        "inf",
    ),
    (("simulation", "paths"), 0, "simulation.paths", "greater than or equal to 1"),
    (("simulation", "start"), "Jan 2026", "simulation.start", "YYYY-MM"),
    (("policy", "kind"), "yolo", "policy", "planned_growth"),
    (("policy", "review_months"), 0, "policy.planned_growth.review_months", "1"),
    (("allocation", "min_training_share"), 0.7, "allocation", "min_training_share"),
    (("demand", "ceiling"), 1e9, "demand", "ceiling must exceed initial_revenue"),
    (("compute", "lead_time_month"), 12, "compute", "did you mean 'lead_time_months'"),
    (("finance", "initial_cash"), True, "finance.initial_cash", "number"),
]


def _with(path, value):
    data = copy.deepcopy(BASE)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(("path", "value", "field", "words"), CASES)
def test_bad_value_is_named(path, value, field, words):
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(_with(path, value), "my.yaml")
    text = str(info.value)
    assert text.startswith("my.yaml: invalid scenario")
    assert field in text, text
    assert words in text, text


def test_missing_required_key():
    data = copy.deepcopy(BASE)
    del data["demand"]["growth"]
    with pytest.raises(ScenarioError, match=r"demand\.growth: required key is missing"):
        scenario_from_dict(data, "x.yaml")


def test_numbers_written_like_10e9_are_accepted():
    # PyYAML reads '10.0e9' as a string (YAML 1.1 needs a sign in the exponent)
    data = _with(("finance", "initial_cash"), "30.0e9")
    assert scenario_from_dict(data).finance.initial_cash == 30e9


def _write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: x\ndemand: [1, 2\n", "malformed YAML at line"),
        ("- just\n- a list\n", "expected a mapping"),
        ("", "expected a mapping"),
        (yaml.safe_dump(_with(("economics", "gross_margin"), 1.0)), "economics.gross_margin"),
    ],
)
def test_cli_validate_exit_2_without_traceback(tmp_path, capsys, text, words):
    p = _write(tmp_path, text)
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert str(p) in err
    assert words in err
    assert "Traceback" not in err


def test_cli_run_bad_file_writes_nothing(tmp_path, capsys):
    p = _write(tmp_path, yaml.safe_dump(_with(("compute", "initial_gw"), -1)))
    out = tmp_path / "out"
    assert main(["run", str(p), "--out", str(out)]) == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [p]


def test_cli_missing_file_and_bad_option(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err
    assert main(["run", "--paths", "-5", "--out", str(tmp_path / "o")]) == 2
    assert "simulation.paths" in capsys.readouterr().err
    assert main(["run", "--format", "pdf", "--out", str(tmp_path / "o")]) == 2
    assert main(["nonsense"]) == 2


def test_subprocess_error_has_no_traceback(tmp_path):
    p = _write(tmp_path, "name: x\n")
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(p)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "demand: required key is missing" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- fuzzing: any mutation either validates or raises ScenarioError, never anything else
_leaves = []


def _collect(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            _collect(v, (*path, k))
    else:
        _leaves.append(path)


_collect(BASE)
_junk = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["dist", "low", "high", "value", "median", "sigma", "mode"]),
                    st.one_of(st.floats(-5, 20), st.sampled_from(["uniform", "fixed", "lognormal"])),
                    max_size=4),
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_leaves), _junk), min_size=1, max_size=3))
def test_fuzzed_scenarios_fail_cleanly(mutations):
    data = copy.deepcopy(BASE)
    for path, value in mutations:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    try:
        scenario = scenario_from_dict(data, "fuzz.yaml")
    except ScenarioError as exc:
        assert str(exc).startswith("fuzz.yaml: invalid scenario")  # noqa: PT017
    else:  # accepted input must simulate to finite numbers, without float overflow
        from sim import run, summarize

        with np.errstate(over="raise", divide="raise"):
            res = run(scenario, paths=8)
        assert res.paths == 8
        assert np.isfinite(res.path["final_cash"]).all()
        assert np.isfinite(res.path["cum_revenue"]).all()
        assert 0.0 <= summarize(res)["p_bankrupt"] <= 1.0


def test_industry_limit_below_todays_industry_is_refused():
    data = _with(("compute", "industry_gw_max"), 5.0)
    with pytest.raises(ScenarioError, match=r"compute: industry_gw_max must be at least"):
        scenario_from_dict(data, "x.yaml")
    ok = scenario_from_dict(_with(("compute", "industry_gw_max"), 12.0), "x.yaml")
    assert ok.compute.industry_gw_max == 12.0


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        (("demand", "growth"), 1e100, "lie in [0.01, 100]"),
        (("compute", "industry_growth"), 500, "lie in (0, 100]"),
        (("compute", "revenue_per_gw_growth"), 1e-300, "lie in [0.01, 100]"),
        (("compute", "initial_gw"), 1e30, "lie in [0, 100000]"),
        (("finance", "valuation_multiple"), 1e300, "lie in [0, 1000]"),
        (("policy", "planned_growth"), 1e300, "lie in [0.01, 100]"),
    ],
)
def test_magnitudes_that_would_overflow_are_refused(field, value, allowed):
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(_with(field, value), "big.yaml")
    msg = str(err.value)
    assert ".".join(field) in msg
    assert f"must {allowed}" in msg


def test_loaded_base_matches_embedded_default():
    assert load_scenario(ROOT / "scenarios" / "base.yaml") == load_scenario()


@pytest.mark.parametrize("value", [float("inf"), float("nan"), "inf", "-inf"])
def test_non_finite_numbers_are_rejected(value):
    with pytest.raises(ScenarioError, match="finite"):
        scenario_from_dict(_with(("finance", "initial_cash"), value))
    with pytest.raises(ScenarioError, match="finite"):
        scenario_from_dict(
            _with(("demand", "growth"), {"dist": "uniform", "low": 3, "high": value})
        )
