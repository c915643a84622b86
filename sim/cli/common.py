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


def add_budget_args(p: argparse.ArgumentParser, cells: bool = False) -> None:
    """``--max-memory``, ``--max-path-months`` (and ``--max-cells``): see :mod:`sim.budget`."""
    from sim.budget import DEFAULT_MAX_CELLS, DEFAULT_MAX_PATH_MONTHS

    g = p.add_argument_group("resource budgets (refused with exit 2 before running)")
    g.add_argument(
        "--max-memory",
        metavar="SIZE",
        help="largest estimated peak memory, e.g. 16G (default: half the machine's memory, "
        "at most 8G)",
    )
    g.add_argument(
        "--max-path-months",
        metavar="N",
        help="largest work, paths x simulated months summed over all runs "
        f"(default {DEFAULT_MAX_PATH_MONTHS:.0e}, a few minutes on one machine; --scheduler "
        "multiplies it by the cluster's worker threads)",
    )
    if cells:
        g.add_argument(
            "--max-cells",
            metavar="N",
            type=int,
            default=DEFAULT_MAX_CELLS,
            help=f"most cells of a sweep (default {DEFAULT_MAX_CELLS:,})",
        )


def check_budgets(
    args: argparse.Namespace,
    runs: list,
    *,
    spread: int = 1,
    parallel_memory: int = 1,
    what: str = "this run",
) -> None:
    """Refuse (exit 2) ``runs`` (:class:`sim.budget.RunSize`) above the budgets of ``args``."""
    from sim.budget import check_budget, parse_count, parse_size

    max_memory = getattr(args, "max_memory", None)
    max_work = getattr(args, "max_path_months", None)
    check_budget(
        runs,
        max_memory=parse_size(max_memory) if max_memory is not None else None,
        max_path_months=parse_count(max_work, "--max-path-months") if max_work else None,
        spread=spread,
        parallel_memory=parallel_memory,
        what=what,
    )


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
    """A tqdm bar on stderr, fed through the API's ``progress(done, total)`` callback; none
    (and no tqdm import, ~15 ms) when stderr is not a terminal, where tqdm shows nothing."""
    if not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from tqdm import tqdm

    from sim.model.kernel import cache_is_cold

    if cache_is_cold():  # where the bar shows, say why the first block takes a while
        print("compiling the simulation kernel for this machine: about 10 s, once "
              "(cached for later runs; `python -m sim warmup` does it ahead)",
              file=sys.stderr)  # fmt: skip

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


def update_runs(scenario: Scenario, searches: int = 0) -> list:
    """Estimated runs of an update (:class:`sim.budget.RunSize`): the candidates up to
    ``as_of``, prior and posterior, and ``searches`` plan searches of 16 runs each."""
    import os
    from dataclasses import replace

    from sim.budget import run_size
    from sim.model.scenario import month_index

    threads = os.cpu_count() or 2
    full = run_size(scenario, threads=threads)
    assert scenario.actuals is not None
    history = month_index(scenario.as_of or scenario.simulation.start, scenario.simulation.start)
    candidates = replace(full, paths=full.paths * scenario.actuals.oversample,
                         months=history + 1)  # fmt: skip
    search = run_size(scenario, min(scenario.simulation.paths, 4000), threads=threads)
    return [candidates, full, full, *[search] * (16 * searches)]


def scenario_with_actuals(args: argparse.Namespace) -> Scenario:
    """The scenario of ``args`` with ``--actuals FILE.csv`` and ``--as-of`` applied; it must
    have actuals (exit 2 naming the options otherwise)."""
    from sim.errors import ScenarioError
    from sim.model.io import scenario_from_dict

    scenario = scenario_from_args(args)
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    changed = False
    if getattr(args, "actuals", None):
        from sim.model.actuals import read_actuals_csv, replace_points

        rows = read_actuals_csv(args.actuals, scenario.simulation.start)
        data = replace_points(data, rows, str(args.actuals))
        changed = True
    if getattr(args, "as_of", None):
        data["simulation"]["as_of"] = args.as_of
        changed = True
    if changed:
        scenario = scenario_from_dict(data, "command-line options (--actuals/--as-of)")
    if scenario.actuals is None:
        raise ScenarioError(
            str(args.scenario), [("actuals", "the scenario has no actuals: add an actuals: "
                                             "section or pass --actuals FILE.csv")]
        )  # fmt: skip
    return scenario


def set_workers(workers: int | None) -> None:
    """Kernel threads for this process (``--workers``); results do not depend on it."""
    from . import UsageError

    if workers is None:
        return
    import numba

    if not 1 <= workers <= numba.config.NUMBA_NUM_THREADS:
        raise UsageError(
            f"--workers must lie in [1, {numba.config.NUMBA_NUM_THREADS}], got {workers}"
        )
    numba.set_num_threads(workers)
