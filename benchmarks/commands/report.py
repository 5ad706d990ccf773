"""``tilikbench report RUN``: the capacity report of a run, as self-contained HTML (and PDF)."""
from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.report.build import write_report
from benchmarks.report.messages import LANGS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write the capacity report of a run (HTML, optionally PDF)")
    p.add_argument("run", type=Path, help="a run directory (results/<run-id>) or its results.json")
    p.add_argument("--lang", choices=LANGS, default="en", help="en (English) or id (Bahasa Indonesia)")
    p.add_argument("--pdf", action="store_true", help="also print a PDF through headless Chromium")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    html_path, notes = write_report(args.run, args.lang)
    for n in notes:
        print(f"note: {args.run}: {n}")
    print(f"report: {html_path}")
    if args.pdf:
        from benchmarks.report.chromium import print_pdf
        pdf = print_pdf(html_path, html_path.with_suffix(".pdf"))
        print(f"pdf: {pdf}")
    return 0
