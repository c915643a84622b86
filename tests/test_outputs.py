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
