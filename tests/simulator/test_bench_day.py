"""Benchmarks (make bench): the Semarang target's whole day on one core, and its sizing through the CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.resultmeta import stamp, write_json_atomic

REPO = Path(__file__).resolve().parents[2]

DAY_SCRIPT = """
import json, os, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
import numpy as np
from benchmarks.scenario import load_scenario
from simulator.calibration import load_calibration
from simulator.config import SimScenario
from simulator.day import simulate_day
sc = SimScenario.of(load_scenario('scenarios/semarang-target.yaml'))
cal = load_calibration()
c0, t0 = time.process_time(), time.perf_counter()
d = simulate_day(sc, cal, rng=np.random.default_rng(sc.seed))
print(json.dumps({'wall_s': time.perf_counter() - t0, 'cpu_s': time.process_time() - c0,
                  'cameras': d.hours[d.binding_hour].cameras_online, 'hours': len(d.hours),
                  'events': sum(r.events for r in d.hours), 'binding_hour': d.binding_hour,
                  'binding': d.binding}))
"""


def _run(script: str, timeout: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=timeout, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.bench
def test_bench_whole_day_of_20261_cameras_under_60_s_on_one_core():
    runs = [_run(DAY_SCRIPT, 600) for _ in range(2)]
    best = min(runs, key=lambda r: r["cpu_s"])
    assert best["cameras"] == 20261 and best["hours"] == 24
    # CPU seconds on the one core the process is pinned to: what the day costs, whatever else runs
    assert best["cpu_s"] < 60.0
    write_json_atomic(REPO / "results" / "simulator-day-bench.json",
                      {**stamp("simulator_day_bench", 1), "runs": runs})


@pytest.mark.bench
def test_bench_size_target_prints_every_tier(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-m", "benchmarks.cli", "size", "scenarios/semarang-target.yaml",
                          "--out", str(tmp_path)], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=1800, check=True).stdout
    for line in ("utilisation at the design hour", "<- binding", "decode placement per class:", "storage tier:",
                 "network tier:", "redundancy: ingest N+1", "viewer start-up:", "whole day: hour",
                 "disk enclosure", "storage server (N+1)", "switch (pairs)", "NVR-site uplink", "city WAN link"):
        assert line in out
    data = json.loads((tmp_path / "semarang-target-sizing.json").read_text())
    assert data["schema_version"] == 2 and {t["key"] for t in data["tiers"]} >= {
        "decode", "ingest", "storage", "network", "redundancy", "startup", "day"}
