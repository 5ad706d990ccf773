"""``tilikbench reference``: measure the reference calibration (per-frame decode, detector and portal
micro-costs) on this machine, one core per cost; the simulator uses it when a scenario names no run's
calibration."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from common.errors import InputError
from common.resultmeta import write_json_atomic
from simulator.calibration import DEFAULT_REFERENCE


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reference", help="measure the simulator's reference calibration on this machine",
                       description="Measure the simulator's reference calibration (per-frame decode, detector "
                                   "and portal micro-costs) on this machine, one core per cost.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="example:\n  tilikbench reference --repeats 5 --out cache/reference-here.json")
    p.add_argument("--out", type=Path, default=DEFAULT_REFERENCE,
                   help=f"where to write the calibration JSON (default {DEFAULT_REFERENCE})")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats per cost, median reported (default 5)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from simulator.measure_reference import measure
    if not 1 <= args.repeats <= 100:
        raise InputError(f"--repeats must be 1..100, got {args.repeats}", where="--repeats")
    logging.getLogger("simulator").setLevel(logging.INFO)
    write_json_atomic(args.out, measure(args.repeats))
    print(f"wrote {args.out}")
    return 0
