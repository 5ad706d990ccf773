"""Benchmarks (make bench): city-scale speed on one core, and fine vs aggregated agreement side by side."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from common.resultmeta import stamp, write_json_atomic

REPO = Path(__file__).resolve().parents[2]

CITY_SCRIPT = """
import json, os, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
import numpy as np
from benchmarks.scenario import load_scenario
from simulator.calibration import load_calibration
from simulator.config import SimScenario
from simulator.model import simulate
sc = SimScenario.of(load_scenario('scenarios/semarang-target.yaml'))
cal = load_calibration()
t0 = time.perf_counter()
r = simulate(sc, cal, rng=np.random.default_rng(sc.seed))
wall = time.perf_counter() - t0
print(json.dumps({'wall_s': wall, 'cpu_s': time.process_time(), 'cameras': r.cameras_online,
                  'events': r.events, 'duration_s': sc.simulation.duration_s,
                  'p95_lag_s': r.latency['frame_to_event']['p95']}))
"""


@pytest.mark.bench
def test_bench_city_peak_hour_on_one_core_and_agreement(cal):
    from tests.simulator.conftest import SMALL
    from simulator.config import SimScenario
    from simulator.model import simulate

    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    runs = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", CITY_SCRIPT], cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=300, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    city_wall = statistics.median(r["wall_s"] for r in runs)
    print(f"\ncity scale: {runs[0]['cameras']:,} cameras, {runs[0]['duration_s']:.0f} s peak hour, "
          f"{runs[0]['events']:,} events, pinned to one core: median {city_wall:.1f} s wall "
          f"over {len(runs)} runs (target < 60 s)")

    # paired: one ingest server (the aggregated model's shard), the same cameras and random streams
    small = {**SMALL, "simulation": {**SMALL["simulation"], "duration_s": 600}}
    small_sc = SimScenario.of(small)
    agg_t, fine_t, agg_rs, fine_rs = [], [], [], []
    for seed in (1, 2):
        t0 = time.perf_counter()
        agg_rs.append(simulate(small_sc, cal, rng=np.random.default_rng(seed)))
        agg_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fine_rs.append(simulate(small_sc, cal, rng=np.random.default_rng(seed), fine=True))
        fine_t.append(time.perf_counter() - t0)

    def both(rs_a, rs_f, get) -> tuple[float, float]:       # mean over the seeded replications
        return float(np.mean([get(r) for r in rs_a])), float(np.mean([get(r) for r in rs_f]))

    def figures_of(rs_a, rs_f) -> dict[str, tuple[float, float]]:
        return {
            "frame_to_event_mean_s": both(rs_a, rs_f, lambda r: r.latency["frame_to_event"]["mean"]),
            "frame_to_event_p95_s": both(rs_a, rs_f, lambda r: r.latency["frame_to_event"]["p95"]),
            "decode_utilisation": both(rs_a, rs_f, lambda r: r.resources["decode_cpu"].utilisation),
            "detector_busy_share": both(rs_a, rs_f, lambda r: r.queues["detector"]["busy_share"]),
            "portal_utilisation": both(rs_a, rs_f, lambda r: r.resources["portal_cpu"].utilisation),
            "api_mean_s": both(rs_a, rs_f, lambda r: r.latency["api"]["mean"]),
            "viewer_start_p95_s": both(rs_a, rs_f, lambda r: r.latency["viewer_start"]["p95"]),
        }

    def show(title: str, figures: dict[str, tuple[float, float]]) -> dict[str, float]:
        print(title)
        print(f"  {'figure':<24}{'aggregated':>12}{'fine':>12}{'diff':>8}")
        diffs = {}
        for name, (a, f) in figures.items():
            diffs[name] = abs(a - f) / f if f else abs(a - f)
            print(f"  {name:<24}{a:12.5f}{f:12.5f}{diffs[name]:8.2%}")
        return diffs

    figures = figures_of(agg_rs, fine_rs)
    agg_r = agg_rs[0]
    diffs = show(f"small scenario, paired ({agg_r.cameras_online} cameras on 1 server, 600 s, mean of 2 seeds): "
                 f"aggregated median {statistics.median(agg_t):.2f} s vs fine-grained SimPy "
                 f"{statistics.median(fine_t):.2f} s (x{statistics.median(fine_t) / statistics.median(agg_t):.0f})",
                 figures)
    # unpaired: two servers; the aggregated model simulates one shard and stands it for both
    two = {**small, "cameras": {"classes": [{**c, "count": 2 * c["count"]} for c in SMALL["cameras"]["classes"]]},
           "simulation": {**small["simulation"], "duration_s": 300,
                          "hardware": {**SMALL["simulation"]["hardware"],
                                       "ingest": {**SMALL["simulation"]["hardware"]["ingest"], "count": 2}}}}
    two_sc = SimScenario.of(two)
    two_a = [simulate(two_sc, cal, rng=np.random.default_rng(s)) for s in (1, 2)]
    two_f = [simulate(two_sc, cal, rng=np.random.default_rng(s), fine=True) for s in (1, 2)]
    two_figures = figures_of(two_a, two_f)
    two_diffs = show("two servers, unpaired (shard aggregation; differences are phase-sampling noise, "
                     "not asserted):", two_figures)
    write_json_atomic(REPO / "results" / "simulator-bench.json", {
        **stamp("simulator-bench", 1),
        "city": {"runs": runs, "median_wall_s": city_wall},
        "agreement": {k: {"aggregated": a, "fine": f, "rel_diff": diffs[k]} for k, (a, f) in figures.items()},
        "agreement_two_servers_unpaired": {k: {"aggregated": a, "fine": f, "rel_diff": two_diffs[k]}
                                           for k, (a, f) in two_figures.items()},
        "small_wall_s": {"aggregated": agg_t, "fine": fine_t}})
    assert city_wall < 60.0
    assert max(diffs.values()) < 0.02
