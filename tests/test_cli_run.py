"""`python -m sim run`: summary.json contract, tables, atomic outputs, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from sim.cli import main

BY_YEAR_KEYS = {
    "year", "revenue_p5", "revenue_p50", "revenue_p95", "demand_p50", "capacity_gw_p50",
    "compute_cost_p50", "training_share_p50", "unserved_share_mean", "cash_p50", "p_bankrupt",
}  # fmt: skip


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    d = tmp_path_factory.mktemp("run") / "out"
    assert (
        main(
            [
                "run",
                "--paths",
                "400",
                "--seed",
                "3",
                "--out",
                str(d),
                "--format",
                "json,csv,parquet",
                "--quiet",
            ]
        )
        == 0
    )
    return d


def test_summary_json_contract(out):
    s = json.loads((out / "summary.json").read_text())
    assert s["scenario"] == "base"
    assert s["paths"] == 400
    assert s["seed"] == 3
    assert 0.0 <= s["p_bankrupt"] <= 1.0
    assert [r["year"] for r in s["by_year"]] == list(range(2026, 2032))
    for row in s["by_year"]:
        assert row.keys() >= BY_YEAR_KEYS
        assert row["revenue_p5"] <= row["revenue_p50"] <= row["revenue_p95"]
    p = [r["p_bankrupt"] for r in s["by_year"]]
    assert p == sorted(p)
    # by_year covers the horizon; the headline adds bankruptcies in the run-off after it
    assert p[-1] == s["p_bankrupt_in_horizon"] <= s["p_bankrupt"]
    runoff = [r["p_bankrupt"] for r in s["runoff_by_year"]]
    assert runoff == sorted(runoff)
    assert runoff[-1] == s["p_bankrupt"]
    assert s["runoff_months"] > 0
    assert s["schema_version"] == 2
    assert s["scenario_resolved"]["name"] == "base"


def test_tables_agree_with_summary(out):
    s = json.loads((out / "summary.json").read_text())
    csv = pd.read_csv(out / "by_year.csv")
    pq = pd.read_parquet(out / "by_year.parquet")
    assert list(csv["revenue_p50"]) == pytest.approx([r["revenue_p50"] for r in s["by_year"]])
    pd.testing.assert_frame_equal(csv, pq, check_dtype=False)
    paths = pd.read_parquet(out / "paths.parquet")
    assert len(paths) == 400
    assert (paths["bankrupt_month"] >= 0).mean() == pytest.approx(s["p_bankrupt"])


def test_no_scratch_directories_left(out):
    assert not [p for p in out.parent.iterdir() if ".tmp-" in p.name]


def test_failure_while_writing_leaves_previous_outputs(tmp_path, monkeypatch):
    import sim.cli.cmd_run as cmd_run

    out = tmp_path / "out"
    assert main(["run", "--paths", "50", "--out", str(out), "--format", "json", "--quiet"]) == 0
    before = (out / "summary.json").read_text()

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(cmd_run, "write_json", boom)
    assert main(["run", "--paths", "60", "--out", str(out), "--format", "json", "--quiet"]) == 130
    assert (out / "summary.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_module_entry_point_prints_summary(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", "--paths", "200", "--out", str(tmp_path / "o"),
         "--format", "json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "P(bankrupt by end)" in proc.stdout
    assert "2031" in proc.stdout


def test_key_numbers_are_printed_before_the_reports_are_written(tmp_path):
    """With reports asked for, the summary reaches the terminal as soon as the simulation
    ends: when the "writing the reports" line is read, the output directory is not there yet
    (it appears whole once every file is written), and the last line names it."""
    out, err = tmp_path / "o", tmp_path / "stderr.txt"
    with err.open("w") as stderr:  # a file, not a pipe nobody reads while stdout is read
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim", "run", "--paths", "300", "--out", str(out),
             "--format", "json,md"],
            stdout=subprocess.PIPE, stderr=stderr, text=True,
        )  # fmt: skip
    seen, still_writing = [], None
    try:
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("writing the reports"):
                still_writing = not out.exists()  # appears whole once all is written
                break
        rest = proc.stdout.read()
        assert proc.wait(timeout=300) == 0, err.read_text()
    finally:
        proc.kill()  # nothing if it has ended
        proc.wait()
    assert still_writing
    assert any(line.startswith("P(bankrupt by end)") for line in seen)
    assert seen[-1] == f"writing the reports to {out}/ ...\n"
    assert rest.startswith(f"outputs in {out}/ (reports and tables written in ")
    assert (out / "report.md").exists()
    assert (out / "summary.json").exists()


@pytest.mark.parametrize("command", ["run", "validate"])
def test_quick_exit_runs_exit_handlers_and_flushes(tmp_path, command):
    """A ``run`` process skips only the interpreter's teardown: its exit handlers run,
    buffered output is written and the exit code kept; other commands exit as usual."""
    flag = tmp_path / "atexit"
    code = (
        "import atexit, pathlib, sys\n"
        "from sim.cli import exit_process\n"
        f"atexit.register(pathlib.Path({str(flag)!r}).write_text, 'ran')\n"
        "sys.stdout.write('buffered, no newline')\n"
        f"exit_process(3, [{command!r}, 'x.yaml'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == "buffered, no newline"
    assert flag.read_text() == "ran"


def test_short_lived_commands_collect_garbage_less_often():
    import gc

    from sim.cli import GC_THRESHOLD, start_process

    before = gc.get_threshold()
    try:
        start_process(["validate", "x.yaml"])
        assert gc.get_threshold() == before
        start_process(["run", "x.yaml"])
        assert gc.get_threshold() == GC_THRESHOLD
    finally:
        gc.set_threshold(*before)


def test_every_command_is_listed_and_registers_its_parser():
    """`--help` lists commands from a table without importing them; the table and the
    modules must agree, and each command's module registers a parser of that name."""
    from sim.cli import COMMANDS, build_parser

    full = build_parser("*")
    sub = next(a for a in full._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)
    for name in COMMANDS:
        one = build_parser(name)
        action = next(a for a in one._actions if a.dest == "command")
        assert action.choices[name].get_default("func") is not None, name


def test_paths_table_carries_every_draw_and_growth_mean(out):
    # issue 14, item 1: one row per path with its outcomes, every sampled parameter (dotted
    # names) and growth_mean, the geometric mean of its yearly growth over the horizon
    import numpy as np

    from sim import load_scenario
    from sim.model.sampling import numeric_fields, sample_inputs

    paths = pd.read_parquet(out / "paths.parquet")
    csv = pd.read_csv(out / "paths.csv")
    assert list(csv.columns) == list(paths.columns)
    scenario = load_scenario().replace(**{"simulation.paths": 400, "simulation.seed": 3})
    assert list(paths["path"]) == list(range(400))
    assert {"bankrupt_month", "equity_value", "cum_revenue", "obligations_at_end",
            "growth_mean"} <= set(paths.columns)  # fmt: skip
    assert set(numeric_fields(scenario)) <= set(paths.columns)
    inputs = sample_inputs(scenario, 400, 0)
    for name, values in inputs.params.items():
        np.testing.assert_array_equal(paths[name], values, err_msg=name)
    years = scenario.simulation.years
    np.testing.assert_allclose(paths["growth_mean"],
                               np.exp(np.log(inputs.growth[:, :years]).mean(axis=1)), rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(csv["growth_mean"], paths["growth_mean"], rtol=1e-12)
