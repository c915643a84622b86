"""YAML <-> Scenario. The only module that imports ``yaml`` (with :mod:`.yaml_safe`, the
limited loader it uses for every YAML input)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.errors import ScenarioError

from .actuals import resolve_file as resolve_actuals_file
from .actuals import yaml_path as actuals_yaml_path
from .scenario import Scenario
from .yaml_safe import (
    MAX_YAML_BYTES,
    ParsedYaml,
    parse_yaml_document,
    parse_yaml_limited,
    read_yaml_file,
    short_repr,
)

__all__ = [
    "MAX_YAML_BYTES", "load_scenario", "load_yaml_mapping", "parse_yaml", "parse_yaml_limited",
    "scenario_from_dict", "scenario_from_yaml", "scenario_to_yaml",
]  # fmt: skip

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


def scenario_from_dict(
    data: Any, source: str = "<dict>", lines: ParsedYaml | None = None
) -> Scenario:
    """Validate a plain mapping; raise :class:`ScenarioError` naming every bad field (and,
    with ``lines`` from :func:`parse_yaml_document`, its line in the file)."""
    if not isinstance(data, dict):
        raise ScenarioError(
            source, [("", f"expected a mapping of keys, got {type(data).__name__}")]
        )
    try:
        return Scenario.model_validate(data)
    except RecursionError:  # a self-referencing dict built in Python (YAML refuses those)
        raise ScenarioError(source, [("", "the data refers to itself (cyclic)")]) from None
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
                msg += f" (got {short_repr(err['input'])})"
            where = _yaml_path(field)
            if where.startswith("actuals"):
                where = actuals_yaml_path(where, msg, isinstance(data.get("actuals"), list))
            line = lines.line_of(where) if lines is not None else None
            problems.append((f"{field} (line {line})" if line else field, msg[:1000]))
        raise ScenarioError(source, problems) from None


_POLICY_TAGS = {"fixed_schedule", "planned_growth", "demand_quantile", "adaptive"}


def _yaml_path(field: str) -> str:
    """The path of a schema field in the file: the policy's kind tag is not a YAML key."""
    parts = field.split(".")
    if len(parts) > 1 and parts[0] == "policy" and parts[1].split("[")[0] in _POLICY_TAGS:
        parts.pop(1)
    return ".".join(parts)


def parse_yaml(text: str | bytes, source: str = "<string>") -> Any:
    """Parse YAML text within the limits of :mod:`sim.model.yaml_safe` (size, depth,
    aliases, duplicate keys, ...); every problem is a :class:`ScenarioError`."""
    return parse_yaml_limited(text, source)


def scenario_from_yaml(
    text: str | bytes, source: str = "<string>", base: Path | None = None
) -> Scenario:
    """Parse and validate a scenario's YAML text (an upload, URL state); errors name the
    source, the field and its line. ``actuals: {file: PATH}`` is read relative to ``base``
    (default: the working directory)."""
    parsed = parse_yaml_document(text, source)
    data = resolve_actuals_file(parsed.data, base or Path("."), source)
    return scenario_from_dict(data, source, parsed)


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Load and validate a scenario file; ``None`` gives the embedded default (base)."""
    if path is None:
        text = resources.files("sim.data").joinpath(f"{DEFAULT_SCENARIO}.yaml").read_text()
        return scenario_from_yaml(text, "<embedded base.yaml>")
    p = Path(path)
    return scenario_from_yaml(read_yaml_file(p), str(p), p.parent)


def default_scenario_text() -> str:
    """Text of the embedded default scenario."""
    return resources.files("sim.data").joinpath(f"{DEFAULT_SCENARIO}.yaml").read_text()


def scenario_to_yaml(scenario: Scenario) -> str:
    """Serialize a scenario to YAML that :func:`load_scenario` accepts."""
    data = scenario.model_dump(by_alias=True, exclude_none=True, mode="json")
    return yaml.safe_dump(data, sort_keys=False, width=100)


def load_yaml_mapping(path: str | Path, what: str = "YAML file") -> dict[str, Any]:
    """Read a YAML mapping (e.g. a sweep file) within the loader's limits, with
    file-named errors."""
    p = Path(path)
    try:
        data = parse_yaml_limited(read_yaml_file(p), str(p))
    except ScenarioError as exc:
        raise ScenarioError(exc.source, exc.problems, what=what) from None
    if not isinstance(data, dict):
        raise ScenarioError(str(p), [("", "expected a mapping of keys")], what=what)
    return data
