"""Every module of the simulator stays small (the brief: under 500 lines; issue 24 item 8).

The dashboard's modules are checked beside its import graph in ``test_dashboard_app.py``.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 500
"""A module must have fewer lines than this."""


def test_every_sim_module_is_under_500_lines() -> None:
    sizes = {
        path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted((ROOT / "sim").rglob("*.py"))
    }
    assert len(sizes) > 50  # the walk found the package
    too_long = {name: n for name, n in sizes.items() if n >= MAX_LINES}
    assert not too_long, f"split these modules (lines): {too_long}"
