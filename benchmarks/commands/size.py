"""``tilikbench size SCENARIO``: the cheapest catalogue hardware meeting the SLOs with headroom, as a BOM."""
from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.scenario import load_scenario
from common.resultmeta import stamp, write_json_atomic
from simulator.calibration import load_calibration
from simulator.hardware import load_catalogue
from simulator.sizing import size

RESULT_SCHEMA_VERSION = 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("size", help="size the hardware for a scenario: bill of materials and binding resource")
    p.add_argument("scenario", help="scenario YAML")
    p.add_argument("--calibration", help="calibration JSON (default: scenario's, else the reference)")
    p.add_argument("--catalogue", help="hardware catalogue YAML (default: scenario's, else the shipped one)")
    p.add_argument("--out", default="results", help="folder for the JSON result")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    sim = scenario.simulation
    cal = load_calibration(args.calibration or (sim.calibration if sim else None))
    cat = load_catalogue(args.catalogue or (sim.catalogue if sim else None))
    s = size(scenario, cal, cat)
    r = s.result
    print(f"{scenario.name}: {r.cameras_online:,} cameras online, {r.analysed_fps:,.0f} frames/s analysed, "
          f"{r.viewers_peak:,.0f} viewers at the busiest minute (hour {r.hour})")
    print(f"bill of materials (headroom: peak utilisation <= {s.headroom:.0%}):")
    for b in s.bom:
        print(f"  {b.quantity:>7,.0f} x {b.name:<10} {b.item:<40} {b.unit_price_usd:>9,.0f} USD  {b.total_usd:>12,.0f} USD")
    print(f"  total {s.cost:,.0f} USD")
    print(f"bandwidth: camera ingest {s.ingest_gbps:.2f} Gbps, viewer egress peak {s.egress_gbps:.2f} Gbps; "
          f"storage {s.storage_tb:,.1f} TB")
    print(f"binding resource: {s.binding_resource} at {r.resources[s.binding_resource].utilisation:.0%}")
    print(f"latency p95: frame-to-event {r.latency['frame_to_event']['p95']:.3f} s, viewer start "
          f"{r.latency['viewer_start']['p95']:.3f} s, API {r.latency['api']['p95'] * 1000:.1f} ms")
    print(f"searched in {s.wall_s:.1f} s ({s.simulations} simulations)")
    out = {**stamp("sizing", RESULT_SCHEMA_VERSION), "scenario": scenario.name,
           "bom": [{"item": b.item, "name": b.name, "quantity": b.quantity, "unit_price_usd": b.unit_price_usd,
                    "total_usd": b.total_usd} for b in s.bom],
           "cost_usd": s.cost, "binding_resource": s.binding_resource, "headroom": s.headroom,
           "storage_tb": s.storage_tb, "ingest_gbps": s.ingest_gbps, "egress_gbps": s.egress_gbps,
           "hardware": s.hardware.spec().model_dump(), "result": r.to_dict()}
    path = write_json_atomic(Path(args.out) / f"{scenario.name}-sizing.json", out)
    print(f"result: {path}")
    return 0
