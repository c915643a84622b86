"""Formatting helpers used in printed tables and reports."""

from __future__ import annotations

import pytest

from sim.outputs import usd


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (1.23e10, "$12.3B"), (999.6e9, "$1T"), (999.4e9, "$999B"), (150e9, "$150B"),
        (-2.5e12, "-$2.5T"), (5e5, "$500,000"), (12.0e6, "$12M"), (2.5e15, "$2,500T"),
        (float("nan"), "n/a"), (0.0, "$0"),
    ],
)  # fmt: skip
def test_usd(x, text):
    assert usd(x) == text


def test_json_run_without_monthly_records_has_the_same_summary(base):
    """`run --format json` keeps no month-by-month records (only reports draw them): its
    summary is the one of a run that keeps them, number for number."""
    from sim import run, summarize
    from sim.cli.cmd_run import monthly_paths

    assert monthly_paths(["json", "csv", "parquet"]) == 0
    assert monthly_paths(["json", "md"]) > 0
    lean = run(base, paths=5000, seed=4, monthly_paths=0)
    full = run(base, paths=5000, seed=4)
    assert not lean.monthly
    assert full.monthly
    a, b = summarize(lean), summarize(full)
    a.pop("elapsed_s"), b.pop("elapsed_s")
    assert a == b
