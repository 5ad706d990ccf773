"""``tilikbench validate SCENARIO``: check a scenario file and say what it declares."""
from __future__ import annotations

import argparse

from benchmarks.scenario import load_scenario


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a scenario file against the schema")
    p.add_argument("scenario", help="path to a scenario YAML file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    print(f"{args.scenario}: valid scenario {scenario.name!r}")
    return 0
