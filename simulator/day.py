"""The whole day: 24 hours, each simulated as its busiest window, with the day's viewer curve, spikes,
availability and night-time bitrate; says which hour binds.

Within an hour the load is constant but for spikes (viewers per minute), so the busiest ``window_s``
seconds of each hour (``knee.probe_window``) stand for the hour; the storage and network tiers are those
bought (planned once for the whole day, or given) and evaluated hour by hour. The binding hour is the one
whose worst ratio (a resource's utilisation over the headroom, or a latency p95 over its SLO) is highest.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.calibration import Calibration
from simulator.config import SimCameras, SimScenario, SimSLOs, SimulationConfig
from simulator.hardware import HardwareSet
from simulator.knee import probe_window
from simulator.model import (
    SimResult,
    resolve_hardware,
    simulate_workload,
    split_scenario,
)
from simulator.tiers import Tiers, plan_tiers
from simulator.workload import Workload, build_workload

DAY_WINDOW_S = 120.0


@dataclass
class DayResult:
    hours: list[SimResult]
    binding_hour: int
    binding: str              # what binds in that hour: a resource or a latency
    binding_ratio: float      # its utilisation / headroom, or p95 / SLO
    wall_s: float
    window_s: float
    headroom: float
    slos: SimSLOs
    cpu_s: float = 0.0        # CPU seconds of this process while simulating the day

    @property
    def slo_ok(self) -> bool:
        return all(r.slo_ok for r in self.hours)

    def to_dict(self) -> dict[str, Any]:
        return {"binding_hour": self.binding_hour, "binding": self.binding, "binding_ratio": self.binding_ratio,
                "wall_s": self.wall_s, "cpu_s": self.cpu_s, "window_s": self.window_s, "slo_ok": self.slo_ok,
                "hours": [{"hour": r.hour, "viewers_peak": r.viewers_peak, "cameras_online": r.cameras_online,
                           "ingest_gbps": r.ingest_gbps, "egress_gbps_peak": r.egress_gbps_peak,
                           "worst": worst(r, self.headroom, self.slos)[0],
                           "worst_ratio": worst(r, self.headroom, self.slos)[1],
                           "utilisation": {k: x.utilisation for k, x in r.resources.items()},
                           "p95": {k: q["p95"] for k, q in r.latency.items()},
                           "slo_violations": r.slo_violations} for r in self.hours]}


def worst(r: SimResult, headroom: float, slos: SimSLOs | None = None) -> tuple[str, float]:
    """The resource or latency closest to (or furthest past) its limit in one window."""
    ratios = {k: x.utilisation / headroom for k, x in r.resources.items()}
    if slos is not None:
        name, ratio = r.binding_latency(slos)
        ratios[name] = ratio
    name = max(ratios, key=lambda k: ratios[k])
    return name, ratios[name]


def day_workloads(cameras: SimCameras, cfg: SimulationConfig, window_s: float = DAY_WINDOW_S) -> list[Workload]:
    """Each hour's busiest ``window_s`` seconds."""
    cfg = cfg.model_copy(update={"duration_s": 3600.0})
    out = []
    for h in range(24):
        w = build_workload(cameras, cfg, h)
        if window_s < w.duration_s:
            w = probe_window(w, window_s)
        out.append(w)
    return out


def simulate_day(scenario: SimScenario, calibration: Calibration, hardware: HardwareSet | None = None,
                 rng: np.random.Generator | None = None, *, window_s: float = DAY_WINDOW_S,
                 tiers: Tiers | None = None, failover: bool = False) -> DayResult:
    """Simulate the 24 hours of the scenario's day on a hardware set (one child generator per hour)."""
    t0, c0 = time.perf_counter(), time.process_time()
    cameras, cfg, seed = split_scenario(scenario)
    hw = resolve_hardware(cfg, hardware)
    rng = rng if rng is not None else np.random.default_rng(seed)
    loads = day_workloads(cameras, cfg, window_s)
    tiers = tiers or plan_tiers(loads, calibration, hw, cfg.headroom)
    hours = []
    for w, child in zip(loads, rng.spawn(24)):
        hours.append(simulate_workload(w, calibration, hw, child, tiers=tiers, failover=failover))
    ranked = [worst(r, cfg.headroom, cfg.slos) for r in hours]
    h = int(np.argmax([x[1] for x in ranked]))
    return DayResult(hours, hours[h].hour, ranked[h][0], ranked[h][1], time.perf_counter() - t0, window_s,
                     cfg.headroom, cfg.slos, time.process_time() - c0)
