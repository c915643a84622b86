"""docs/cookbook.md stays true: every command on the page runs verbatim, and every line of
output the page quotes is what the command prints, number by number.

Each quoted line must match a printed line with the same text around its numbers; each
number must agree within Monte Carlo rounding: 1% of its value or one unit of its last
printed digit. The commands carry their seeds, so on this code the numbers are reproduced
exactly; the tolerance only absorbs the last digit of a rounded figure flipping on another
CPU. Lines marked ``...`` on the page are left out on purpose.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "cookbook.md"
NUMBER = re.compile(r"(?<![\w.])[-+]?\$?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?(?:[TBMK](?![a-z]))?%?")
SCALE = {"T": 1e12, "B": 1e9, "M": 1e6, "K": 1e3}


def examples() -> list[tuple[str, list[str]]]:
    """(command, quoted output lines) of every ```console block on the page."""
    text = PAGE.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        lines = block.rstrip("\n").split("\n")
        assert lines[0].startswith("$ python -m sim "), lines[0]
        out.append((lines[0][2:], lines[1:]))
    return out


def _value(token: str) -> tuple[float, float]:
    """A printed number and one unit of its last digit, in base units."""
    t = token.replace("$", "").replace(",", "").rstrip("%")
    scale = SCALE.get(t[-1], 1.0) if t and t[-1] in SCALE else 1.0
    t = t.rstrip("TBMK")
    mantissa = t.split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(t.split("e")[1]) if "e" in t else 0
    return float(t) * scale, 10.0 ** (exponent - decimals) * scale


def _skeleton(line: str) -> str:
    return " ".join(NUMBER.sub("#", line).split())


def matches(expected: str, actual: str) -> bool:
    """Same words around the numbers; numbers equal within rounding (see module doc)."""
    if _skeleton(expected) != _skeleton(actual):
        return False
    for e, a in zip(NUMBER.findall(expected), NUMBER.findall(actual), strict=True):
        (ve, unit), (va, _) = _value(e), _value(a)
        if abs(ve - va) > max(0.01 * abs(ve), unit) + 1e-12:
            return False
    return True


def test_the_page_has_one_command_per_question() -> None:
    assert len(examples()) == 12
    questions = re.findall(r"^## \d+\. (.+)$", PAGE.read_text(encoding="utf-8"), flags=re.M)
    assert len(questions) == 12
    for command, _ in examples():
        assert "--paths" in command, command
        assert "--seed" in command, command


def test_matching_is_strict_where_it_should_be() -> None:
    # the checker itself: text must agree exactly, numbers only within rounding
    assert matches("P(bust) 8.3% $5.41T", "P(bust) 8.3% $5.41T")
    assert matches("P(bust) 8.3% $5.41T", "P(bust) 8.4% $5.42T")  # one unit of the last digit
    assert not matches("P(bust) 8.3% $5.41T", "P(bust) 8.6% $5.41T")
    assert not matches("P(bust) 8.3% $5.41T", "P(bust) 8.3% $5.41B")
    assert not matches("P(bust) 8.3%", "P(boom) 8.3%")
    assert matches("$1.8T / $2.86T", "$1.8T / $2.86T")


@pytest.mark.parametrize(("command", "quoted"), examples(), ids=lambda v: str(v)[:40])
def test_cookbook_command(command: str, quoted: list[str]) -> None:
    argv = shlex.split(command)
    assert argv[:3] == ["python", "-m", "sim"]
    proc = subprocess.run(
        [sys.executable, *argv[1:]], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    printed = proc.stdout.splitlines()
    for line in quoted:
        if line.strip() == "..." or not line.strip():
            continue
        assert any(matches(line, p) for p in printed), (
            f"the cookbook quotes a line that `{command}` does not print:\n  {line}\n"
            f"closest printed lines:\n  "
            + "\n  ".join(p for p in printed if _skeleton(p) == _skeleton(line))[:2000]
        )
