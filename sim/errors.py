"""Errors users see: they name the file, the field and what is allowed."""

from __future__ import annotations

from typing import Any

MAX_REPR_CHARS = 80
"""Longest quoted value in an error message [characters]."""


def short_repr(value: Any, limit: int = MAX_REPR_CHARS) -> str:
    """``repr(value)`` in at most about ``limit`` characters, cheap on huge or deeply shared
    values: ``reprlib`` abbreviates every level (a few items, a short string) before any
    text is built, so a "billion laughs" structure is never expanded."""
    import reprlib

    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"<integer of ~{int(value.bit_length() * 0.30103):,} digits>"
    r = reprlib.Repr()
    r.maxlevel, r.maxlist, r.maxtuple, r.maxdict, r.maxset = 3, 5, 5, 5, 5
    r.maxstring, r.maxother, r.maxlong = limit, limit, 40
    try:
        text = r.repr(value)
    except Exception:  # a broken __repr__: say what it is
        return f"<{type(value).__name__}>"
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


class ScenarioError(ValueError):
    """Invalid scenario input; ``str()`` is the full user-facing message."""

    def __init__(
        self, source: str, problems: list[tuple[str, str]], what: str = "scenario"
    ) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: invalid {what} ({len(problems)} problem(s))"]
        lines += [f"  {field or '<top level>'}: {msg}" for field, msg in problems]
        super().__init__("\n".join(lines))


class BadInputError(Exception):
    """A bad option or a request the machine cannot serve, which the user can fix (exit
    code 2): a run above the resource budgets, an unreachable scheduler."""


class OutputPathError(BadInputError):
    """An output path that cannot be written (exit code 2); ``str()`` names the path."""
