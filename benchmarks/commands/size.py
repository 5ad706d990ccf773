"""``tilikbench size SCENARIO``: the cheapest catalogue hardware meeting the SLOs with headroom, as a BOM,
with its 95% interval over resampled costs and seeds, and the cheapest CPU-only and GPU sets side by side.

The sizing itself is ``simulator.sizerun.size_scenario`` (the run's city-scale step calls it too); this
module parses the options and prints each part as it is ready."""
from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.scenario import load_scenario
from common.resultmeta import write_json_atomic
from simulator.calibration import load_calibration
from simulator.hardware import load_catalogue
from simulator.sizerun import SizingOptions, size_scenario
from simulator.uncertainty import (
    REPLICATIONS,
    WINDOW_S,
    SizingInterval,
)

# One line per tier, in English, from SizingResult.tier_summary() (the report words the same fields itself).
TIER_LINES = {
    "decode": "decode placement per class: {placement}",
    "ingest": "ingest tier: {servers} x {server} (N+{spares}), busiest server {imbalance:.3f}x the mean, "
              "{util:.0%} busy; with one dead {failover_util:.0%}",
    "storage": "storage tier: {groups} x {raid} groups of {group} + {spares} hot spares = {disks} disks in "
               "{enclosures} enclosures on {servers} storage servers; {tb:,.0f} TB kept; bound by {binding} "
               "({util:.0%}); rebuilding one disk takes {rebuild_h:.0f} h",
    "network": "network tier: {sites:,} NVR sites on {uplinks} (worst site {site_util:.0%}); city WAN {wan}; "
               "internet {egress}; {switches} switches; binding link {binding} at {binding_util:.0%}",
    "redundancy": "redundancy: ingest N+{ingest_spares}, portal N+{portal_spares}, storage servers "
                  "N+{storage_server_spares}, WAN N+{wan_spares}, {hot_spare_disks} hot-spare disks, "
                  "switches in pairs: {switch_pairs}",
    "startup": "viewer start-up: {prewarm:,} most-watched cameras packaged always, {cold_share:.1%} of starts "
               "cold ({cold_start_s:g} s on-demand start); p95 {p95:.2f} s (SLO {slo:g} s)",
    "day": "whole day: hour {hour} binds ({binding}, {ratio:.2f} of its limit); all SLOs every hour: {ok}; "
           "24 h simulated in {wall_s:.1f} s ({cpu_s:.1f} s of CPU)",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("size", help="size the hardware for a scenario: bill of materials and binding resource")
    p.add_argument("scenario", help="scenario YAML")
    p.add_argument("--calibration", help="calibration JSON (default: scenario's, else the reference)")
    p.add_argument("--catalogue", help="hardware catalogue YAML (default: scenario's, else the shipped one)")
    p.add_argument("--out", default="results", help="folder for the JSON result")
    p.add_argument("--replications", type=int, default=REPLICATIONS,
                   help="sizing searches over resampled costs and seeds for the 95%% interval "
                        "(default: %(default)s; 0: the point answer only)")
    p.add_argument("--workers", type=int, default=None, help="parallel processes (default: one per core)")
    p.add_argument("--window-seconds", type=float, default=WINDOW_S,
                   help="simulated seconds of the busiest hour per replication (default: %(default)s)")
    p.add_argument("--time-limit-seconds", type=float, default=None,
                   help="stop the replications, and the sensitivity runs, after this long each; what "
                        "finished is kept")
    p.add_argument("--sensitivity", action="store_true",
                   help="also size with each assumption off by -30%% and +30%% (the report's tornado chart)")
    p.add_argument("--no-phases", action="store_true", help="skip the purchase phases of the scenario's growth")
    p.add_argument("--no-alternatives", action="store_true",
                   help="skip the cheapest CPU-only and GPU alternatives")
    p.add_argument("--no-day", action="store_true", help="skip re-checking the answer over the whole day")
    p.set_defaults(func=run)


def _count(x: float) -> str:
    return f"{x:,.0f}"


def print_interval(iv: SizingInterval) -> None:
    ok = len(iv.replications) - len(iv.failed)
    print(f"95% interval over {ok} of {iv.planned} replications (resampled costs and seeds, "
          f"{iv.window_s:g} s windows, {iv.workers} processes, {iv.wall_s:.0f} s):")
    for it in iv.items:
        alt = "" if it["chosen"] == it["of"] else f"; {it['name']} chosen in {it['chosen']} of {it['of']}"
        print(f"  {it['item']} ({it['name']}): {_count(it['p95'])} for 95% confidence "
              f"(median {_count(it['median'])}, 95%: {_count(it['low'])}-{_count(it['high'])}, "
              f"range {_count(it['min'])}-{_count(it['max'])}{alt})")
    c = iv.cost
    if c:
        print(f"  cost: {c['p95']:,.0f} USD for 95% confidence (median {c['median']:,.0f}, "
              f"95%: {c['low']:,.0f}-{c['high']:,.0f}, range {c['min']:,.0f}-{c['max']:,.0f})")
    for f in iv.failed:
        print(f"  replication {f.index}: no hardware met the SLOs ({f.failed})")


def print_sizing(scenario, s) -> None:
    r = s.result
    print(f"{scenario.name}: {r.cameras_online:,} cameras online, {r.analysed_fps:,.0f} frames/s analysed, "
          f"{r.viewers_peak:,.0f} viewers at the busiest minute (hour {r.hour})")
    print(f"bill of materials (headroom: peak utilisation <= {s.headroom:.0%}):")
    for b in s.bom:
        print(f"  {b.quantity:>7,.0f} x {b.name:<14} {b.item:<58} {b.unit_price_usd:>9,.0f} USD  "
              f"{b.total_usd:>12,.0f} USD")
    print(f"  total {s.cost:,.0f} USD once, and {s.yearly_usd:,.0f} USD a year for links")
    print("utilisation at the design hour (failover case: busiest ingest server and portal spares down):")
    for name, res in r.resources.items():
        fo = s.failover.resources.get(name) if s.failover else None
        mark = "  <- binding" if name == s.binding_resource else ""
        print(f"  {name:<16} {res.utilisation:7.1%}   failover {fo.utilisation if fo else 0.0:7.1%}{mark}")
    print(f"binding resource: {s.binding_resource} at {r.resources[s.binding_resource].utilisation:.0%}")
    for t in s.tier_summary():
        print(TIER_LINES[t["key"]].format(**t))
    print(f"bandwidth: camera ingest {s.ingest_gbps:.2f} Gbps, viewer egress peak {s.egress_gbps:.2f} Gbps; "
          f"storage {s.storage_tb:,.1f} TB")
    print(f"latency p95: frame-to-event {r.latency['frame_to_event']['p95']:.3f} s, viewer start "
          f"{r.latency['viewer_start']['p95']:.3f} s, API {r.latency['api']['p95'] * 1000:.1f} ms")
    print(f"searched in {s.wall_s:.1f} s ({s.simulations} simulations)")


def print_alternatives(alts) -> None:
    for a in alts:
        if a.result is None:
            print(f"{a.kind}: none meets the SLOs ({a.why})")
        else:
            print(f"{a.kind}: {a.result.cost:,.0f} USD, {a.cost_per_camera:,.2f} USD per camera "
                  f"({a.cameras:,} cameras): {a.result.hardware.describe()}")


def print_phases(phases) -> None:
    for ph in phases:
        print(f"phase {ph.name} ({ph.cameras:,} cameras): {ph.result.hardware.describe()}; buy "
              + ("; ".join(f"{q:,.0f} x {n} ({i})" for i, n, q, _ in ph.buy) or "nothing")
              + f": {ph.cost:,.0f} USD" + "".join(f" [{n}]" for n in ph.notes))


def print_sensitivity(sens) -> None:
    print(f"sensitivity (each assumption {-sens['swing']:+.0%} / {sens['swing']:+.0%}, others held; "
          f"base {sens['base_cost']:,.0f} USD over {sens['window_s']:g} s windows):")
    for b in sens["bars"]:
        if b["low_cost"] is None:
            print(f"  {b['label']} ({b['source']}): {b['why']}")
        else:
            print(f"  {b['label']} ({b['source']}): {b['low_cost']:,.0f} / {b['high_cost']:,.0f} USD")


def run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    sim = scenario.simulation
    cal = load_calibration(args.calibration or (sim.calibration if sim else None))
    cat = load_catalogue(args.catalogue or (sim.catalogue if sim else None))
    options = SizingOptions(replications=args.replications, workers=args.workers, window_s=args.window_seconds,
                            time_limit_s=args.time_limit_seconds, sensitivity=args.sensitivity,
                            phases=not args.no_phases, alternatives=not args.no_alternatives, day=not args.no_day)
    printers = {"sizing": lambda s: print_sizing(scenario, s), "interval": print_interval,
                "alternatives": print_alternatives, "phases": print_phases, "sensitivity": print_sensitivity}
    result = size_scenario(scenario, cal, cat, options, on_part=lambda name, value: printers[name](value),
                           where=args.scenario)
    path = write_json_atomic(Path(args.out) / f"{scenario.name}-sizing.json", result.record())
    print(f"result: {path}")
    return 0
