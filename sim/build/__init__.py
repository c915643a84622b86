"""Datacenter build-out: pipeline parameters, the SimPy pipeline and its slip distribution,
and the event-driven SimPy reference of the whole model (the engine's test oracle)."""

from .spec import BuildSpec, StageDuration

__all__ = [
    "BuildSpec",
    "StageDuration",
    "representative_orders",
    "sample_slips",
    "simulate_pipeline",
    "slip_distribution",
]


_LAZY = {
    "representative_orders": "slips", "sample_slips": "slips", "slip_distribution": "slips",
    "simulate_pipeline": "pipeline",
}  # fmt: skip


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    # the schema imports BuildSpec; SimPy, pandas and the slip machinery load on demand
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(name)
