"""``python -m sim validate FILE...``: check scenario files without running them."""

from __future__ import annotations

import argparse
import sys

from sim.errors import ScenarioError
from sim.model.io import load_scenario
from sim.model.timeline import after_horizon_notes


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check scenario files", description=__doc__)
    p.add_argument("files", nargs="+", help="scenario YAML files")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
        else:
            print(f"{path}: ok (scenario {scenario.name!r}, policy {scenario.policy.kind})")
            for line in after_horizon_notes(scenario):
                print(line, file=sys.stderr)
    return 2 if failed else 0
