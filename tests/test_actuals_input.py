"""Actuals input: list or CSV, strict validation (file, line, field named; exit 2; nothing
left in --out), sorting with a note, the same size limit as YAML, and no change at all to
scenarios without actuals."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import ScenarioError, load_scenario, scenario_from_dict
from sim.cli import main
from sim.model.actuals import MAX_ACTUALS, MAX_CSV_BYTES, parse_actuals_csv, read_actuals_csv

ROOT = Path(__file__).resolve().parents[1]

HEAD = """name: t
simulation: {paths: 200, seed: 3}
demand: {initial_revenue: 10.0e9, growth: {dist: loguniform, low: 2, high: 10}}
policy: {kind: planned_growth, planned_growth: 4}
"""
GOOD_CSV = "month,revenue_run_rate,gw_online\n2026-01,10e9,1.0\n2026-02,11e9,\n2026-03,12e9,1.0\n"


def scenario_file(tmp_path: Path, actuals: str, extra: str = "") -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(HEAD + extra + actuals)
    return p


def csv_scenario(tmp_path: Path, text: str | bytes, extra: str = "") -> Path:
    data = text.encode() if isinstance(text, str) else text
    (tmp_path / "a.csv").write_bytes(data)
    return scenario_file(tmp_path, "actuals: {file: a.csv}\n", extra)


def test_list_and_csv_give_the_same_scenario(tmp_path: Path) -> None:
    listed = scenario_file(tmp_path, "actuals:\n"
                           "  - {month: 2026-01, revenue_run_rate: 10.0e9, gw_online: 1.0}\n"
                           "  - {month: 2026-02, revenue_run_rate: 11.0e9}\n"
                           "  - {month: 2026-03, revenue_run_rate: 12.0e9, gw_online: 1.0}\n")  # fmt: skip
    a = load_scenario(listed).actuals
    b = load_scenario(csv_scenario(tmp_path, GOOD_CSV)).actuals
    assert a.points == b.points
    assert b.source.endswith("a.csv")
    assert load_scenario(listed).as_of == "2026-03"  # default: the last actual


def test_unsorted_months_are_sorted_with_a_note(tmp_path: Path, capsys) -> None:
    text = "month,revenue_run_rate\n2026-03,12e9\n2026-01,10e9\n2026-02,11e9\n"
    s = load_scenario(csv_scenario(tmp_path, text))
    assert [p.month for p in s.actuals.points] == ["2026-01", "2026-02", "2026-03"]
    assert main(["validate", str(tmp_path / "s.yaml")]) == 0
    assert "sorted by month" in capsys.readouterr().err


BAD_CSV = [
    # (CSV text, words the message must contain)
    ("month,revenue_run_rate\n2026-01,nan\n", ["line 2", "revenue_run_rate", "finite"]),
    ("month,revenue_run_rate\n2026-01,inf\n", ["line 2", "revenue_run_rate", "finite"]),
    ("month,revenue_run_rate\n2026-01,0\n", ["line 2", "revenue_run_rate", "> 0"]),
    ("month,revenue_run_rate\n2026-01,-5e9\n", ["line 2", "revenue_run_rate", "> 0"]),
    ("month,revenue_run_rate\n2026-01,ten\n", ["line 2", "revenue_run_rate", "number"]),
    ("month,revenue_run_rate\n2026-01,1e9\n2026-01,2e9\n", ["line 3", "duplicate", "line 2"]),
    ("month,revenue_run_rate\n2025-12,1e9\n", ["line 2", "month", "before simulation.start"]),
    ("month,revenue_run_rate\n2026-13,1e9\n", ["line 2", "month", "YYYY-MM"]),
    ("month,revenue\n2026-01,1e9\n", ["line 1", "header", "month,revenue_run_rate"]),
    ("month,revenue_run_rate,users\n2026-01,1e9,3\n", ["line 1", "unknown column 'users'"]),
    ("month,revenue_run_rate,gw_online\n2026-01,1e9,-1\n", ["line 2", "gw_online", ">= 0"]),
    ("month,revenue_run_rate,gross_margin\n2026-01,1e9,1.5\n", ["line 2", "gross_margin"]),
    ("month,revenue_run_rate\n2026-01,1e9,7\n", ["line 2", "cells"]),
    ("month,revenue_run_rate\n", ["no rows"]),
    (b"month,revenue_run_rate\n2026-01,\xff\xfe\n", ["line 2", "UTF-8"]),
    (b"\xff\xfem\x00o\x00n\x00", ["UTF-8"]),  # UTF-16: the wrong encoding
]


@pytest.mark.parametrize("command", ["validate", "run", "update", "backtest"])
@pytest.mark.parametrize(("text", "words"), BAD_CSV)
def test_bad_csv_exits_2_naming_file_line_field(tmp_path: Path, capsys, command, text, words):
    path = csv_scenario(tmp_path, text)
    out = tmp_path / "out"
    args = {"validate": ["validate", str(path)],
            "run": ["run", str(path), "--out", str(out)],
            "update": ["update", str(path), "--out", str(out)],
            "backtest": ["backtest", str(path), "--as-of", "2026-01", "--out", str(out)]}[command]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "a.csv" in err
    for w in words:
        assert w in err, (w, err)
    assert "Traceback" not in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


BAD_LIST = [
    (
        "  - {month: 2026-01, revenue_run_rate: .nan}\n",
        "actuals.points[0].revenue_run_rate (line 6)",
    ),
    (
        "  - {month: 2026-01, revenue_run_rate: .inf}\n",
        "actuals.points[0].revenue_run_rate (line 6)",
    ),
    ("  - {month: 2026-01, revenue_run_rate: 0}\n", "greater than 0"),
    ("  - {month: 2026-01, revenue_run_rate: 1e9, users: 3}\n", "unknown key 'users'"),
    (
        "  - {month: 2026-01, revenue_run_rate: 1e9}\n  - {month: 2026-01, revenue_run_rate: 2e9}\n",
        "(line 7): points[1].month: duplicate month 2026-01",
    ),
    ("  - {month: 2025-06, revenue_run_rate: 1e9}\n", "before simulation.start"),
    ("  - {month: 2032-01, revenue_run_rate: 1e9}\n", "beyond the 6-year horizon"),
    ("  - {month: 2026-1, revenue_run_rate: 1e9}\n", "YYYY-MM"),
]


@pytest.mark.parametrize(("rows", "words"), BAD_LIST)
def test_bad_yaml_actuals_name_the_line(tmp_path: Path, capsys, rows: str, words: str) -> None:
    path = scenario_file(tmp_path, "actuals:\n" + rows)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err, err
    assert "s.yaml" in err


@pytest.mark.parametrize(("as_of", "words"), [
    ("2025-12", "before the first actual"), ("2031-12", "no month to forecast"),
    ("March", "YYYY-MM"),
])  # fmt: skip
def test_bad_as_of(tmp_path: Path, capsys, as_of: str, words: str) -> None:
    path = scenario_file(tmp_path, "actuals:\n  - {month: 2026-02, revenue_run_rate: 1e10}\n",
                         extra="")  # fmt: skip
    text = path.read_text().replace("seed: 3}", f"seed: 3, as_of: '{as_of}'}}")
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    assert words in capsys.readouterr().err


def test_as_of_needs_actuals(tmp_path: Path, capsys) -> None:
    path = scenario_file(tmp_path, "")
    path.write_text(path.read_text().replace("seed: 3}", "seed: 3, as_of: 2026-03}"))
    assert main(["validate", str(path)]) == 2
    assert "needs an actuals" in capsys.readouterr().err


def test_too_many_rows_and_too_many_bytes(tmp_path: Path) -> None:
    rows = "".join(f"{2026 + i // 12:04d}-{i % 12 + 1:02d},1e9\n" for i in range(MAX_ACTUALS + 1))
    p = tmp_path / "many.csv"
    p.write_text("month,revenue_run_rate\n" + rows)
    with pytest.raises(ScenarioError, match=r"line 10002.*more than 10,000 rows"):
        read_actuals_csv(p)
    big = tmp_path / "big.csv"
    big.write_text("month,revenue_run_rate\n" + "2026-01,1e9\n" * (MAX_CSV_BYTES // 12 + 10))
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match="1,048,576 bytes"):
        read_actuals_csv(big)
    assert time.perf_counter() - t0 < 5.0


def test_update_without_actuals_and_missing_csv(tmp_path: Path, capsys) -> None:
    path = scenario_file(tmp_path, "")
    assert main(["update", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "no actuals" in capsys.readouterr().err
    assert main(["update", str(path), "--actuals", str(tmp_path / "nope.csv"),
                 "--out", str(tmp_path / "o")]) == 2  # fmt: skip
    assert "nope.csv: invalid actuals CSV" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_bad_actuals_exit_fast_without_traceback(tmp_path: Path) -> None:
    """A real process: exit 2 within seconds (before any simulation), no traceback."""
    path = csv_scenario(tmp_path, "month,revenue_run_rate\n2026-01,nan\n")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "sim", "update", str(path), "--out",
                           str(tmp_path / "o")], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "line 2 revenue_run_rate" in proc.stderr
    assert time.perf_counter() - t0 < 30.0  # interpreter start + imports on a busy machine
    assert not (tmp_path / "o").exists()


def test_scenarios_without_actuals_are_untouched() -> None:
    """No shipped scenario but the backtest has actuals; their dump gains no key (the goldens
    check their numbers bit for bit)."""
    for p in sorted((ROOT / "scenarios").glob("*.yaml")):
        s = load_scenario(p)
        dumped = s.model_dump(exclude_none=True)
        if p.stem == "backtest_2023":
            assert s.actuals is not None
            continue
        assert s.actuals is None
        assert s.as_of is None
        assert "actuals" not in dumped
        assert "as_of" not in dumped["simulation"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_fuzzed_csv_is_rows_or_a_scenario_error(data) -> None:
    """Whatever the bytes, the CSV parser returns checked rows or raises ScenarioError."""
    try:
        rows = parse_actuals_csv(data, "fuzz.csv", "2026-01")
    except ScenarioError as exc:
        message = str(exc)
        assert "fuzz.csv" in message
        return
    for r in rows:
        assert set(r) <= {"month", "revenue_run_rate", "gw_online", "gross_margin"}
        assert r["revenue_run_rate"] > 0


VALUE = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**20), st.text(max_size=12),
                  st.floats(allow_nan=True, allow_infinity=True), st.lists(st.integers(), max_size=2))  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(st.sampled_from(["month", "revenue_run_rate", "gw_online",
                                                 "gross_margin", "other"]), VALUE, max_size=5),
                max_size=4) | VALUE)  # fmt: skip
def test_fuzzed_actuals_section_is_valid_or_a_scenario_error(actuals) -> None:
    data = {"name": "fuzz", "demand": {"growth": 4.0}, "policy": {"kind": "planned_growth"},
            "actuals": actuals}  # fmt: skip
    try:
        s = scenario_from_dict(data, "fuzz.yaml")
    except ScenarioError:
        return
    assert s.actuals is None or all(p.revenue_run_rate > 0 for p in s.actuals.points)
