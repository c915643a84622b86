"""Errors users see: they name the file, the field and what is allowed."""

from __future__ import annotations

from typing import Any

MAX_REPR_CHARS = 80
"""Longest quoted value in an error message [characters]."""


def short_repr(value: Any, limit: int = MAX_REPR_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters (with its full length), cheap on huge
    or deeply shared values: containers are summarized before they are printed."""
    if isinstance(value, dict | list | tuple | set) and len(value) > 20:
        return f"<{type(value).__name__} of {len(value):,} items>"
    if isinstance(value, str) and len(value) > 10 * limit:
        value = value[: 2 * limit]  # enough to show; never repr a 100 MB string
        text = repr(value)
        return text[: limit - 1] + "…'" + " (truncated)"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"<integer of ~{int(value.bit_length() * 0.30103):,} digits>"
    try:
        text = repr(value)
    except (RecursionError, ValueError):
        return f"<{type(value).__name__}>"
    if len(text) <= limit:
        return text
    return text[: limit - 1] + f"… ({len(text):,} characters)"


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
