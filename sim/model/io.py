"""YAML <-> Scenario. The only module that imports ``yaml``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.errors import ScenarioError

from .scenario import Scenario

DEFAULT_SCENARIO = "base"


def _format_loc(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        elif p in {"function-after[check(), union[float,_Dist]]"} or str(p).startswith(
            ("function-", "union[", "tagged-union[")
        ):
            continue
        else:
            parts.append(("." if parts else "") + str(p))
    return "".join(parts)


def _clean_msg(msg: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg


def scenario_from_dict(data: Any, source: str = "<dict>") -> Scenario:
    """Validate a plain mapping; raise :class:`ScenarioError` naming every bad field."""
    if not isinstance(data, dict):
        raise ScenarioError(
            source, [("", f"expected a mapping of keys, got {type(data).__name__}")]
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = _format_loc(err["loc"])
            msg = _clean_msg(err["msg"])
            if err["type"] == "missing":
                msg = "required key is missing"
            elif err["type"] == "union_tag_invalid":
                msg = _clean_msg(err["msg"])
            if "input" in err and err["type"] not in {"missing", "value_error"}:
                msg += f" (got {err['input']!r})"
            problems.append((field, msg))
        raise ScenarioError(source, problems) from None


def parse_yaml(text: str, source: str = "<string>") -> Any:
    """Parse YAML text, turning syntax errors into :class:`ScenarioError`."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(source, [("", f"malformed YAML at {where}: {problem}")]) from None


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Load and validate a scenario file; ``None`` gives the embedded default (base)."""
    if path is None:
        text = resources.files("sim.data").joinpath(f"{DEFAULT_SCENARIO}.yaml").read_text()
        return scenario_from_dict(parse_yaml(text, "<embedded base.yaml>"), "<embedded base.yaml>")
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(str(p), [("", "file not found")])
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(p), [("", f"cannot read file: {exc}")]) from None
    return scenario_from_dict(parse_yaml(text, str(p)), str(p))


def default_scenario_text() -> str:
    """Text of the embedded default scenario."""
    return resources.files("sim.data").joinpath(f"{DEFAULT_SCENARIO}.yaml").read_text()


def scenario_to_yaml(scenario: Scenario) -> str:
    """Serialize a scenario to YAML that :func:`load_scenario` accepts."""
    data = scenario.model_dump(by_alias=True, exclude_none=True, mode="json")
    return yaml.safe_dump(data, sort_keys=False, width=100)


def load_yaml_mapping(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping (e.g. a sweep file) with file-named errors."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(str(p), [("", "file not found")])
    data = parse_yaml(p.read_text(encoding="utf-8"), str(p))
    if not isinstance(data, dict):
        raise ScenarioError(str(p), [("", "expected a mapping of keys")])
    return data
