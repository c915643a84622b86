"""Helpers shared by sub-commands: scenario loading with overrides, progress bars."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sim.model.io import load_scenario
from sim.model.scenario import Scenario


def add_scenario_args(p: argparse.ArgumentParser, optional: bool = True) -> None:
    p.add_argument(
        "scenario",
        nargs="?" if optional else None,
        help="scenario YAML file (default: the embedded base scenario)",
    )
    p.add_argument("--paths", type=int, help="override simulation.paths")
    p.add_argument("--seed", type=int, help="override simulation.seed")


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    scenario = load_scenario(args.scenario)
    updates = {}
    if getattr(args, "paths", None) is not None:
        updates["simulation.paths"] = args.paths
    if getattr(args, "seed", None) is not None:
        updates["simulation.seed"] = args.seed
    if updates:
        from sim.model.io import scenario_from_dict

        data = scenario.model_dump(by_alias=True, exclude_none=True)
        data["simulation"].update({k.split(".")[1]: v for k, v in updates.items()})
        scenario = scenario_from_dict(data, "command-line options (--paths/--seed)")
    return scenario


@contextmanager
def progress_bar(total: int, desc: str, unit: str = "path") -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar on stderr, fed through the API's ``progress(done, total)`` callback."""
    from tqdm import tqdm

    with tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=True,
        file=sys.stderr,
        leave=False,
        disable=None,
    ) as bar:

        def update(done: int, _total: int) -> None:
            bar.update(done - bar.n)

        yield update
