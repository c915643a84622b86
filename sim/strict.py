"""Base model for user-facing input: frozen, and unknown keys get a did-you-mean hint."""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator


def _no_bool(value: Any) -> Any:
    """YAML's ``true``/``false`` are not numbers (pydantic would read them as 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()} (a boolean)")
    return value


WholeNumber = Annotated[int, BeforeValidator(_no_bool)]
"""An ``int`` field that refuses booleans."""
Number = Annotated[float, BeforeValidator(_no_bool)]
"""A ``float`` field that refuses booleans."""


class StrictModel(BaseModel):
    """Frozen pydantic model that rejects unknown keys naming the closest allowed one."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False, defer_build=True
    )

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = {f.alias or name for name, f in cls.model_fields.items()} | set(
                cls.model_fields
            )
            for key in data:
                if key not in allowed:
                    hint = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                    did = f"; did you mean '{hint[0]}'?" if hint else ""
                    raise ValueError(
                        f"unknown key '{key}'{did} (allowed: {', '.join(sorted(allowed))})"
                    )
        return data
