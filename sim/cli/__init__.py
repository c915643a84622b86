"""Command line: ``python -m sim COMMAND``. A thin layer over the public API.

Each ``sim/cli/cmd_*.py`` module adds one sub-command through ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from sim.errors import ScenarioError

EXIT_CODES = """exit codes:
  0    success
  1    unexpected internal error (please report it)
  2    bad input: invalid scenario/sweep file, unknown key, out-of-range value, bad option
  130  interrupted (Ctrl-C); no partial output is left behind"""


class UsageError(Exception):
    """A bad command-line value (exit code 2)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sim",
        description="compute-sim: Monte Carlo simulator for buying compute ahead of demand.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    package = importlib.import_module(__name__)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"{__name__}.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; no partial output was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `python -m sim run | head`: the reader left, not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
