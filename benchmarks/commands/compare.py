"""``tilikbench compare RUN_A RUN_B``: what changed between two runs beyond noise."""
from __future__ import annotations

import argparse

from benchmarks.compare import DEFAULT_THRESHOLD, compare_runs, knee_change
from benchmarks.results import load_results
from common.errors import ExitCode


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="show what changed between two runs beyond noise")
    p.add_argument("run_a", help="the reference run directory (results/<run-id>)")
    p.add_argument("run_b", help="the run to compare against it")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                   help="relative change that counts (default %(default)s); the 95%% confidence "
                        "intervals must also differ")
    p.add_argument("--all", action="store_true", help="list every metric, not only the changes")
    p.add_argument("--fail-on-worse", action="store_true",
                   help="exit with status 1 when a metric got worse beyond noise")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    a, notes_a = load_results(args.run_a)
    b, notes_b = load_results(args.run_b)
    for n in notes_a:
        print(f"note: {args.run_a}: {n}")
    for n in notes_b:
        print(f"note: {args.run_b}: {n}")
    changes = compare_runs(a, b, args.threshold)
    print(f"A: {a.get('run_id')} ({a['commit_info'].get('id', '')[:10]}"
          f"{' dirty' if a['commit_info'].get('dirty') else ''})")
    print(f"B: {b.get('run_id')} ({b['commit_info'].get('id', '')[:10]}"
          f"{' dirty' if b['commit_info'].get('dirty') else ''})")
    print(knee_change(a, b))
    if not changes:
        print("no step with the same load in both runs: nothing to compare")
        return 0
    shown = [c for c in changes if args.all or c.significant]
    print(f"{sum(c.significant for c in changes)} of {len(changes)} metric(s) changed beyond noise "
          f"(threshold {args.threshold:.0%} and 95% CIs apart)")
    for c in shown:
        tag = ("WORSE" if c.worse else "better") if c.significant else "same"
        ci = "" if c.cis_differ is not None else " (no CI: one trial)"
        print(f"  [{tag:6}] {c.step_load}: {c.metric}: {c.a.mean:.4g} -> {c.b.mean:.4g} "
              f"({c.rel_change:+.1%}){ci}")
    if args.fail_on_worse and any(c.significant and c.worse for c in changes):
        return int(ExitCode.FAILURE)
    return 0
