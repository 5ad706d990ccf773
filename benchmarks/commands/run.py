"""``tilikbench run SCENARIO``: step the load along the scenario's axes and find the knee (under each CPU
budget of ``run.hardware``, then the out-of-sample model check across them)."""
from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.deploy.manifest import load_manifest
from benchmarks.records import RunRecord
from benchmarks.runner.context import RunContext, stop_on_sigint
from benchmarks.runner.driver import RunOptions, ScenarioRun
from benchmarks.runner.leftovers import reclaim_dead_runs, registered_run
from benchmarks.scenario import load_scenario
from common.errors import ExitCode


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a scenario: step the load, measure every step, stop at the knee")
    p.add_argument("scenario", help="path to a scenario YAML file (needs `slos:` and `run:` sections)")
    p.add_argument("--out", type=Path, default=Path("results"), help="results folder (default: %(default)s)")
    p.add_argument("--run-id", help="name of the run's folder (default: SCENARIO-UTCTIME)")
    p.add_argument("--max-steps", type=int, help="stop after this many steps")
    p.add_argument("--trials", type=int, help="trials per step (overrides run.trials)")
    p.add_argument("--step-seconds", type=float, help="measuring time per trial (overrides run.step_duration_s)")
    p.add_argument("--warmup-seconds", type=float, help="settling time per step (overrides run.warmup_s)")
    p.add_argument("--free-ports", action="store_true",
                   help="serve on free loopback ports instead of the scenario's fixed ones")
    p.add_argument("--remote", type=Path, metavar="MANIFEST",
                   help="use cameras (and Locust workers) already running on other hosts, as this fleet "
                        "manifest lists them (docs/scale-out.md)")
    p.add_argument("--no-model-check", action="store_true", help="skip the simulator's knee prediction")
    p.add_argument("--no-city-scale", action="store_true",
                   help="skip sizing the Semarang target and its simulated curves after the run")
    p.add_argument("--city-budget-seconds", type=float, default=240.0,
                   help="time allowed for the city-scale simulations (default: %(default)s)")
    p.add_argument("--i-own-this-target", action="store_true",
                   help="you own or operate the non-loopback targets of this run: an external system under "
                        "test's endpoints (docs/external.md), the remote manifest's load target "
                        "(docs/scale-out.md)")
    p.set_defaults(func=run)


def print_summary(data: dict | RunRecord) -> None:
    run = RunRecord.from_dict(data)
    k = run.knee
    if k is not None:
        print(f"knee: {k.axis}={k.value:g} (step {k.step + 1}), binding SLO: {k.binding_slo}")
    else:
        print(f"no knee: {run.stop_reason}")
    mc = run.model_check
    if mc is not None and mc.summary:
        print(f"model check: {mc.summary}")
    elif mc is not None and mc.predicted_knee is not None and mc.measured_knee is not None:
        print(f"model check: predicted knee {mc.axis}={mc.predicted_knee:.3g}, measured "
              f"{mc.measured_knee:g}, error {mc.rel_error:.1%} "
              f"({'within' if mc.within_target else 'outside'} the {mc.target:.0%} target)")
    elif mc is not None:
        print(f"model check: {mc.status}: {mc.status_detail}")
    sim = run.simulation
    if sim is not None and sim.sizing is not None:
        s = sim.sizing
        print(f"Semarang target: {s.summary}; {s.cost_text}; binding {s.binding}")
    elif sim is not None:
        print(f"Semarang target sizing: not available ({sim.sizing_why})")


def run(args: argparse.Namespace) -> int:
    reclaimed = reclaim_dead_runs(args.out)          # what a killed run on this OUT left running
    if reclaimed:
        print(f"stopped {reclaimed} process(es) that a killed run had left running")
    scenario = load_scenario(args.scenario)
    options = RunOptions(out=args.out, max_steps=args.max_steps, trials=args.trials,
                         step_duration_s=args.step_seconds, warmup_s=args.warmup_seconds,
                         free_ports=args.free_ports, run_id=args.run_id, model_check=not args.no_model_check,
                         city_scale=not args.no_city_scale, city_budget_s=args.city_budget_seconds,
                         remote=load_manifest(args.remote) if args.remote else None,
                         i_own_target=args.i_own_this_target)
    ctx = RunContext(run_dir=args.out, seed=scenario.seed, progress=lambda line: print(line, flush=True))
    if scenario.run is not None and scenario.run.hardware:
        return _run_hardware(scenario, args, options, ctx)
    runner = ScenarioRun(scenario, args.scenario, options, ctx)

    with stop_on_sigint(ctx), registered_run(args.out, runner.run_dir):
        data = runner.execute()
    print_summary(data)
    print(f"results: {runner.run_dir / 'results.json'}")
    if not data["complete"]:
        print("the run was interrupted; its results are partial (complete: false) and still reportable")
        return int(ExitCode.INTERRUPTED)
    return 0


def print_out_of_sample(check: dict | None) -> None:
    if not check:
        return
    print(f"out-of-sample check: {check['summary']}")
    for p in check["pairings"]:
        print(f"  {p['summary']}")


def _run_hardware(scenario, args: argparse.Namespace, options: RunOptions, ctx: RunContext) -> int:
    """``run.hardware`` lists CPU budgets: the knee under each, then the out-of-sample check."""
    import time

    from benchmarks.runner.hardware import run_hardware
    run_id = args.run_id or f"{scenario.name}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    with stop_on_sigint(ctx), registered_run(args.out, Path(args.out) / run_id):
        hw = run_hardware(scenario, args.scenario, options, ctx, run_id)
    for data in hw.runs:
        print(f"-- {data['hardware_budget']['cpus']:g} core(s) ({data['hardware_budget']['how']})")
        print_summary(data)
    print_out_of_sample(hw.check)
    print(f"results: {hw.run_dir}")
    return 0 if hw.complete else int(ExitCode.INTERRUPTED)
