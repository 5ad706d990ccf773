"""``tilikbench bench-table``: the README's measured table from the latest bench JSON under results/."""
from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.benchtable import table, write_table
from common.resultmeta import REPO_ROOT


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench-table", help="print (or write into the README) the table of measured figures, "
                                           "from the latest `make bench` and CI-gate JSON")
    p.add_argument("--results", type=Path, default=REPO_ROOT / "results",
                   help="the results folder (default %(default)s)")
    p.add_argument("--write", type=Path, metavar="README", default=None,
                   help="replace the table between the file's bench-table markers instead of printing it")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.write is None:
        print(table(args.results), end="")
    else:
        write_table(args.write, args.results)
        print(f"wrote the measured table into {args.write}")
    return 0
