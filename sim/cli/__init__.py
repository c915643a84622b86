"""Command line: ``python -m sim COMMAND``. A thin layer over the public API.

Each ``sim/cli/cmd_*.py`` module adds one sub-command through ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
from typing import NoReturn

from sim.errors import BadInputError, ScenarioError

EXIT_CODES = """exit codes:
  0    success
  1    unexpected internal error (please report it)
  2    bad input: invalid scenario/sweep file, unknown key, out-of-range value, bad option,
       an output directory that cannot be written, a run above the resource budgets
  130  interrupted (Ctrl-C or SIGTERM); no partial output is left behind"""


class UsageError(Exception):
    """A bad command-line value (exit code 2)."""


COMMANDS = {
    "run": "simulate a scenario and write a report",
    "validate": "check scenario files",
    "warmup": "compile the simulation kernels for this machine (once per install)",
    "compare": "compare scenarios side by side with confidence intervals",
    "sweep": "run a parameter sweep (grid or Latin hypercube)",
    "frontier": "P(bankrupt) against upside for a family of purchase policies",
    "optimize": "most aggressive policy whose P(bankrupt) stays within a budget",
    "deal": "should we sign this compute deal? risk and value with vs without it",
    "sensitivity": "tornado (one at a time) and Sobol sensitivity of risk and upside",
    "slip": "build-slip distribution and its effect on P(bankrupt)",
    "discover": "which worlds ruin us: PRIM boxes over the per-path inputs, signposts",
    "voi": "value of information: what knowing a parameter (or waiting) is worth",
    "update": "condition on the actuals: prior and posterior side by side",
    "backtest": "condition on actuals up to a month and score the later ones",
    "dashboard": "open the interactive dashboard in a browser",
    "bench-dashboard": "measure the dashboard's update latency",
    "bench": "measure engine speed",
    "bench-sweep": "measure sweep speed (cells/s, path-months/s)",
}
"""Command -> one-line help. Each lives in ``sim/cli/cmd_<name>.py`` (or :data:`MODULES`)
with a ``register(subparsers)``."""
MODULES = {"bench-dashboard": "dashboard"}
"""Commands registered by another command's module."""


def _module(command: str) -> str:
    return f"{__name__}.cmd_{MODULES.get(command, command).replace('-', '_')}"


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported (so ``--help`` starts instantly),
    the other commands are listed with their one-line help. ``"*"`` registers them all."""
    parser = argparse.ArgumentParser(
        prog="python -m sim",
        description="compute-sim: Monte Carlo simulator for buying compute ahead of demand.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = list(COMMANDS) if command == "*" else [command] if command in COMMANDS else []
    for module in dict.fromkeys(_module(name) for name in wanted):
        importlib.import_module(module).register(sub)
    for name, text in COMMANDS.items():
        if name not in sub.choices:
            sub.add_parser(name, help=text, add_help=False)
    return parser


def _command(argv: list[str]) -> str | None:
    """The sub-command named on the command line (the first argument that is one)."""
    for arg in argv:
        if arg in COMMANDS:
            return arg
        if not arg.startswith("-"):
            return None
    return None


QUICK_EXIT = frozenset({"run"})
"""Short-lived commands: their process collects garbage less often (:func:`start_process`)
and skips the interpreter's teardown (:func:`exit_process`); each closes everything it
writes before it returns."""
GC_THRESHOLD = (100_000, 50, 100)
"""Garbage-collection thresholds of a :data:`QUICK_EXIT` process (CPython's: 700, 10, 10)."""


def _quick(argv: list[str] | None) -> bool:
    """Whether the command of ``argv`` (default: this process's) is a :data:`QUICK_EXIT` one."""
    return _command(sys.argv[1:] if argv is None else argv) in QUICK_EXIT


def start_process(argv: list[str] | None = None) -> None:
    """Set up the ``python -m sim`` process before the command's heavy imports: a
    :data:`QUICK_EXIT` command collects cyclic garbage after 100,000 new objects instead of
    700. The imports (numba, pandas, Bokeh, matplotlib) and the reports make millions of
    objects, and CPython's default thresholds walked them ~540 times in a run with every
    format (~0.35 s of CPU in the main process, ~0.4 s with the forked ones, which inherit
    the setting); peak memory is unchanged (it is the runs' arrays)."""
    if _quick(argv):
        import gc

        gc.set_threshold(*GC_THRESHOLD)


def exit_process(code: int, argv: list[str] | None = None) -> NoReturn:
    """End the ``python -m sim`` process with ``code``.

    After a :data:`QUICK_EXIT` command the interpreter's teardown, which frees one by one
    every object the imports (Bokeh, pandas, numba) and the run made, is skipped: it took
    ~0.7 s of CPU after a run with every format, a quarter of the wait. The exit handlers
    still run (``atexit``: child processes, logging, temporary files, coverage), stdout and
    stderr are flushed, then the process ends (``os._exit``). Other commands exit as usual.
    """
    if not _quick(argv):
        raise SystemExit(code)
    import atexit
    import contextlib
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or broken pipe
            stream.flush()
    os._exit(code)


_signalled = False


def _on_signal(signum: int, frame: object) -> None:
    """Ctrl-C and SIGTERM: outputs in progress are discarded, exit 130. The flag lets
    :func:`main` recognize an error that an interrupt caused inside an import (numpy
    turns a KeyboardInterrupt in its C extension into an ImportError)."""
    global _signalled
    _signalled = True
    raise KeyboardInterrupt


def install_signal_handlers() -> None:
    """SIGTERM like Ctrl-C (call before heavy imports; main thread only)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)


def _interrupted() -> int:
    done = sys.modules.get("sim.outputs")
    finished = list(getattr(done, "committed", []) or [])
    if finished:
        where = ", ".join(str(p) for p in finished)
        print(f"interrupted; the outputs in {where} were already complete", file=sys.stderr)
    else:
        print("interrupted; no partial output was written", file=sys.stderr)
    return 130


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    global _signalled
    _signalled = False
    install_signal_handlers()
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return _interrupted()
    except Exception:
        if _signalled:  # raised because of the interrupt (e.g. inside an import)
            return _interrupted()
        raise


def _main(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ScenarioError, UsageError, BadInputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `python -m sim run | head`: the reader left, not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
