"""``tilikbench simulate SCENARIO``: utilisation, queues, latency percentiles, drops, knee, sensitivity plot."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.scenario import load_scenario
from common.errors import InputError
from common.resultmeta import stamp, write_json_atomic
from common.vocabulary import Axis
from simulator.calibration import load_calibration
from simulator.config import SimScenario
from simulator.day import simulate_day
from simulator.knee import simulated_knee
from simulator.model import simulate
from simulator.plots import plot_sensitivity, sensitivity

RESULT_SCHEMA_VERSION = 2       # 2: structure (placement, tiers, start-up), the optional day


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="simulate a scenario's peak hour on its hardware set")
    p.add_argument("scenario", help="scenario YAML with a simulation.hardware section")
    p.add_argument("--calibration", help="calibration JSON (default: scenario's, else the reference)")
    p.add_argument("--hour", type=int, help="hour of day to simulate (default: the viewer peak)")
    p.add_argument("--fine", action="store_true", help="event-by-event SimPy model (small scenarios only)")
    p.add_argument("--no-plot", action="store_true", help="skip the knee search and sensitivity plot")
    p.add_argument("--day", action="store_true",
                   help="also simulate the whole day (24 hours, each its busiest window) and name the binding hour")
    p.add_argument("--day-window", type=float, default=120.0, metavar="SECONDS",
                   help="seconds simulated of each hour with --day (default 120)")
    p.add_argument("--out", default="results", help="folder for the JSON result and plot")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    scenario = SimScenario.of(load_scenario(args.scenario), where=args.scenario)
    sim = scenario.simulation
    cal = load_calibration(args.calibration or sim.calibration)
    r = simulate(scenario, cal, rng=np.random.default_rng(scenario.seed), fine=args.fine, hour=args.hour)
    print(f"{scenario.name}: hour {r.hour}, {r.cameras_online:,} cameras online, {r.analysed_fps:,.0f} frames/s "
          f"analysed, {r.viewers_peak:,.0f} viewers at peak; {r.hardware}")
    print(f"model: {r.model}; {r.events:,} events in {r.wall_s:.1f} s")
    print("utilisation:")
    for name, res in r.resources.items():
        print(f"  {name:<11} {res.utilisation:7.1%}  ({res.demand:,.2f} of {res.capacity:,.2f} {res.unit})")
    print("queues: detector mean {mean:.2f} max {max:.0f} (mean batch {mean_batch:.1f}); ".format(
          **r.queues["detector"])
          + f"portal mean {r.queues['portal']['mean']:.2f}")
    print("latency (s):   mean      p50      p95      p99")
    for name, q in r.latency.items():
        print(f"  {name:<14}{q['mean']:7.3f}  {q['p50']:7.3f}  {q['p95']:7.3f}  {q['p99']:7.3f}")
    print(f"drops: frames {r.drops['frames']:.2%}, viewers refused {r.drops['viewers']:.2%}")
    print(f"network: ingest {r.ingest_gbps:.2f} Gbps, egress peak {r.egress_gbps_peak:.2f} Gbps; "
          f"storage {r.storage_tb:,.1f} TB")
    st = r.structure
    print("decode placement: " + ", ".join(f"{k} {m}" for k, m in st["decode_placement"].items()))
    print(f"busiest ingest server: {st['ingest']['imbalance']:.3f}x the mean load; storage: "
          f"{st['storage']['disks']} disks, bound by {st['storage']['binding']}; network binding link: "
          f"{st['network']['binding']}; start-up: {st['startup']['cold_share']:.1%} cold, "
          f"{st['startup']['prewarm_top']:,} cameras pre-warmed")
    print("SLOs: " + ("all met" if r.slo_ok else "; ".join(r.slo_violations)))
    out = {**stamp("simulation", RESULT_SCHEMA_VERSION), "scenario": scenario.name, "result": r.to_dict()}
    if args.day:
        if not 10.0 <= args.day_window <= 3600.0:
            raise InputError(f"--day-window must be 10-3600 s, got {args.day_window:g}", where="simulate --day-window")
        day = simulate_day(scenario, cal, rng=np.random.default_rng(scenario.seed), window_s=args.day_window)
        print("hour  viewers  ingest Gbps  worst (of its limit)")
        for h in day.to_dict()["hours"]:
            print(f"  {h['hour']:>2}  {h['viewers_peak']:>7,.0f}  {h['ingest_gbps']:>11.2f}  {h['worst']} "
                  f"({h['worst_ratio']:.2f})")
        print(f"whole day: hour {day.binding_hour} binds ({day.binding}, {day.binding_ratio:.2f} of its limit); "
              f"24 h in {day.wall_s:.1f} s ({day.cpu_s:.1f} s of CPU)")
        out["day"] = day.to_dict()
    if not args.no_plot:
        knee = simulated_knee(scenario, cal, axis=Axis.CAMERAS, tol=0.05)
        print(f"knee (cameras): x{knee:.2f} of the scenario's cameras" if knee else "knee: below x0.01")
        curves = sensitivity(scenario, cal, seed=scenario.seed)
        path = plot_sensitivity(curves, Path(args.out) / f"{scenario.name}-sensitivity.png",
                                title=f"{scenario.name}: binding latency vs load")
        print(f"sensitivity plot: {path}")
        out["knee_cameras_factor"] = knee
        out["sensitivity"] = curves
    path = write_json_atomic(Path(args.out) / f"{scenario.name}-simulation.json", out)
    print(f"result: {path}")
    return 0
