"""scripts/ab_speed.py: the alternation, the ratios and the parsing (no sim processes run)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "ab_speed.py"


@pytest.fixture(scope="module")
def ab():
    spec = importlib.util.spec_from_file_location("ab_speed", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pairs_alternate_which_side_runs_first(ab):
    assert ab.order(4) == [("before", "after"), ("after", "before"),
                           ("before", "after"), ("after", "before")]  # fmt: skip


def test_compare_runs_sides_in_alternated_order_and_takes_median_pair_ratio(ab):
    calls = []
    walls = {"before": iter([2.0, 4.0, 3.0]), "after": iter([1.0, 1.0, 2.4])}

    def run(side, figure):
        calls.append(side)
        return next(walls[side]), 10.0 if side == "before" else 5.0

    s = ab.compare(run, "json", 3)
    assert calls == ["before", "after", "after", "before", "before", "after"]
    f = s["figure"]
    assert (f["before"], f["before_min"], f["before_max"]) == (3.0, 2.0, 4.0)
    assert (f["after"], f["after_min"], f["after_max"]) == (1.0, 1.0, 2.4)
    # pair ratios 0.5, 0.25, 0.8: the median pair ratio, not the ratio of the medians (1/3)
    assert f["ratio"] == pytest.approx(0.5)
    assert s["cpu"]["ratio"] == pytest.approx(0.5)


def test_kernel_ratio_is_read_from_bench_output(ab):
    line = "kernel only: 0.097 s -> 14,279,182 path-months/s (engine / kernel = 1.18x); median"
    assert ab.kernel_ratio(line) == 1.18
    assert math.isnan(ab.kernel_ratio("no such line"))


def test_commands_of_each_figure(ab):
    assert ab.command("json", "s.yaml", "o") == (
        ["run", "s.yaml", "--format", "json", "--out", "o", "--quiet"],
        {},
    )
    assert ab.command("kernel", "s.yaml", "o")[1] == {"NUMBA_NUM_THREADS": "1"}
    with pytest.raises(ValueError, match="one of json"):
        ab.command("html", "s.yaml", "o")


def test_unknown_figure_is_a_usage_error(ab, capsys):
    with pytest.raises(SystemExit) as exit_:
        ab.main(["a", "b", "--figures", "json,speed"])
    assert exit_.value.code == 2
    assert "--figures" in capsys.readouterr().err
