"""A module imported on first attribute access, so the scenario schema (and with it
``python -m sim validate`` and ``--help``) loads without numpy or scipy."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule(ModuleType):
    """Stands in for ``name`` until an attribute is used, then is that module."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_target"] = name

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__dict__["_target"])
        self.__dict__.update(module.__dict__)  # later lookups skip __getattr__
        return getattr(module, attr)


def lazy(name: str) -> Any:
    """``lazy("numpy")``: the module, imported when first used."""
    return LazyModule(name)
