"""Scenario files of the dashboard: the picker's list, YAML save/upload and CSV download."""

from __future__ import annotations

import glob
import io
import math
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.model.io import parse_yaml, scenario_from_dict, scenario_to_yaml
from sim.model.summary import by_year
from sim.outputs import usd

from .schema import ALL_FIELDS, friendly_name

EMBEDDED = "base (embedded default)"
UPLOAD_MAX_BYTES = 1_000_000  # largest YAML file accepted by the upload button [bytes]


def scenario_files(directory: str | Path) -> dict[str, str]:
    """Scenario picker options: display name -> path (``""`` is the embedded default)."""
    paths = sorted(glob.glob(str(Path(directory) / "*.yaml")))
    return {EMBEDDED: "", **{Path(path).stem: path for path in paths}}


def round_floats(data: Any, digits: int = 10) -> Any:
    """Floats rounded to ``digits`` significant digits (3.5000000000000004 -> 3.5)."""
    if isinstance(data, float) and math.isfinite(data) and data != 0:
        return float(f"{data:.{digits}g}")
    if isinstance(data, dict):
        return {k: round_floats(v, digits) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [round_floats(v, digits) for v in data]
    return data


class ScenarioFiles:
    """Save, download and upload of the session's scenario (mixed into the Explorer)."""

    def scenario_yaml(self) -> str:
        """YAML of the current settings with the loaded path count; edits are named in the name
        and description (unless those were edited too)."""
        s = self.current_scenario().replace(**{"simulation.paths": self._base.simulation.paths})
        data = s.model_dump(by_alias=True, exclude_none=True, mode="json")
        changed = self.changed() - {"scenario_name", "scenario_description"}
        if changed and "scenario_name" not in self.changed():
            data["name"] = f"{self._base.name} (edited)"[:200]
        if changed and "scenario_description" not in self.changed():
            edits = "; ".join(self.change_words())
            data["description"] = (f"{self._base.description} Changed in the dashboard: "
                                   f"{edits}.").strip()  # fmt: skip
        data = round_floats(data)
        text = scenario_to_yaml(scenario_from_dict(data, "dashboard settings"))
        return "# Saved from the compute-sim dashboard.\n" + text

    def change_words(self) -> list[str]:
        """The changed inputs in words, e.g. 'Initial cash $40B', 'policy: planned growth 5x/yr'."""
        changed, out = self.changed(), []
        if changed & {"growth_low", "growth_high"}:
            out.append(f"true growth {self.growth_low:g}-{self.growth_high:g}x/yr")
        for name, spec in ALL_FIELDS.items():
            if name in changed:
                v = float(getattr(self, name))  # in display units
                shown = usd(v * spec.scale) if spec.scale >= 1e9 else f"{v:g}"
                out.append(f"{friendly_name(spec.dotted)} {shown}{'%' * (spec.scale == 0.01)}")
        if changed & {"policy_kind", "planned_growth", "quantile", "haircut", "plan_to_ceiling"}:
            out.append(f"policy: {self.policy_words()}")
        if "years" in changed:
            out.append(f"horizon {self.years} years")
        return out

    def by_year_csv(self) -> io.StringIO:
        """Per-year table of the current results as CSV."""
        return io.StringIO(by_year(self.results).to_csv(index=False))

    def load_yaml(self, data: bytes | str, filename: str = "upload.yaml") -> bool:
        """Load an uploaded scenario file; False with ``error`` set when it is not valid."""
        if isinstance(data, bytes):
            if len(data) > UPLOAD_MAX_BYTES:
                self.error = (f"**{filename}** is {len(data):,} bytes; the dashboard accepts "
                              f"scenario files up to {UPLOAD_MAX_BYTES:,} bytes.")  # fmt: skip
                return False
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError:
                self.error = f"**{filename}** is not UTF-8 text."
                return False
        try:
            scenario = scenario_from_dict(parse_yaml(data, filename), filename)
        except ScenarioError as exc:
            self.error = f"**{filename} is not a valid scenario:**\n" + "\n".join(
                f"- `{f or 'file'}`: {m[:300]}" for f, m in exc.problems[:10])  # fmt: skip
            return False
        self.error = ""
        self.load(scenario)
        return True
