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
from simulator.model import simulate
sc = load_scenario('scenarios/semarang-target.yaml')
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

    small = {**SMALL, "simulation": {**SMALL["simulation"], "duration_s": 600}}
    agg_t, fine_t, agg_rs, fine_rs = [], [], [], []
    for seed in (1, 2, 3):
        t0 = time.perf_counter()
        agg_rs.append(simulate(small, cal, rng=np.random.default_rng(seed)))
        agg_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fine_rs.append(simulate(small, cal, rng=np.random.default_rng(seed), fine=True))
        fine_t.append(time.perf_counter() - t0)

    def both(get) -> tuple[float, float]:       # mean over the seeded replications
        return float(np.mean([get(r) for r in agg_rs])), float(np.mean([get(r) for r in fine_rs]))
    figures = {
        "frame_to_event_mean_s": both(lambda r: r.latency["frame_to_event"]["mean"]),
        "frame_to_event_p95_s": both(lambda r: r.latency["frame_to_event"]["p95"]),
        "decode_utilisation": both(lambda r: r.resources["decode_cpu"].utilisation),
        "detector_busy_share": both(lambda r: r.queues["detector"]["busy_share"]),
        "portal_utilisation": both(lambda r: r.resources["portal_cpu"].utilisation),
        "api_mean_s": both(lambda r: r.latency["api"]["mean"]),
    }
    agg_r = agg_rs[0]
    print(f"small scenario ({agg_r.cameras_online} cameras, {small['simulation']['duration_s']} s, mean of 3 seeds): "
          f"aggregated median {statistics.median(agg_t):.2f} s vs fine-grained SimPy "
          f"{statistics.median(fine_t):.2f} s (x{statistics.median(fine_t) / statistics.median(agg_t):.0f})")
    print(f"  {'figure':<24}{'aggregated':>12}{'fine':>12}{'diff':>8}")
    diffs = {}
    for name, (a, f) in figures.items():
        diffs[name] = abs(a - f) / f
        print(f"  {name:<24}{a:12.5f}{f:12.5f}{diffs[name]:8.2%}")
    write_json_atomic(REPO / "results" / "simulator-bench.json", {
        **stamp("simulator-bench", 1),
        "city": {"runs": runs, "median_wall_s": city_wall},
        "agreement": {k: {"aggregated": a, "fine": f, "rel_diff": diffs[k]} for k, (a, f) in figures.items()},
        "small_wall_s": {"aggregated": agg_t, "fine": fine_t}})
    assert city_wall < 60.0
    assert max(diffs.values()) < 0.02
