"""Errors users see: they name the file, the field and what is allowed."""

from __future__ import annotations


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
