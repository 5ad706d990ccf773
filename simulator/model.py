"""``simulate()``: one hour of the city system on a hardware set; the result every other module reads.

``simulate(scenario, calibration, hardware, rng)`` takes a ``SimScenario`` (``simulator.config``: a caller
holding a YAML dict or a whole scenario converts it with ``SimScenario.of``), a ``Calibration``, a
``HardwareSet`` (or None: the scenario's ``simulation.hardware``) and ONE numpy Generator; the same seed
gives the same numbers. ``fine=True`` runs the event-by-event SimPy model instead of the aggregated one
(small scenarios only). Around the simulated stations,
``tiers.Structure`` gives the window's decode placement, the busiest ingest server's cameras (whole NVR
sites; the failover case on request), the storage and network tiers and the viewer start-up chain;
``day.simulate_day`` runs the 24 hours.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict

import numpy as np

from common.errors import InputError
from simulator.calibration import Calibration
from simulator.config import SimCameras, SimScenario, SimSLOs, SimulationConfig
from simulator.costs import egress_bps, ingest_bps, service_params
from simulator.hardware import HardwareSet, load_catalogue
from simulator.tiers import Structure, Tiers, structure_summary
from simulator.workload import Workload, build_workload

log = logging.getLogger(__name__)

FINE_MAX_CAMERAS = 5000


@dataclass(frozen=True)
class Resource:
    utilisation: float          # peak over the window (busy share for stations)
    demand: float
    capacity: float
    unit: str


class Breach(TypedDict, total=False):
    """An SLO the simulated window broke: ``key`` a simulator SLO (``common.vocabulary.SIM_SLOS``), its
    value and limit (``viewers_refused`` and ``overloaded`` have no limit; ``overloaded`` names the resource)."""

    key: str
    value: float
    limit: float
    resource: str


class SimExtra(TypedDict):
    disks: int
    egress_per_minute_gbps: list[float]


@dataclass
class SimResult:
    hour: int
    hardware: str
    cameras_online: int
    analysed_fps: float                  # frames per second the detectors receive, city-wide
    viewers_peak: float
    resources: dict[str, Resource]
    queues: dict[str, dict[str, float]]
    latency: dict[str, dict[str, float]]     # seconds
    drops: dict[str, float]
    slo_violations: list[str]
    ingest_gbps: float
    egress_gbps_peak: float
    storage_tb: float
    events: int
    wall_s: float
    model: str
    extra: SimExtra = field(default_factory=lambda: SimExtra(disks=0, egress_per_minute_gbps=[]))
    slo_breaches: list[Breach] = field(default_factory=list)   # the violations as data (key, value, limit)
    structure: dict[str, Any] = field(default_factory=dict)    # placement, servers' shares, tiers, start-up

    @property
    def slo_ok(self) -> bool:
        return not self.slo_violations

    @property
    def binding_resource(self) -> str:
        return max(self.resources, key=lambda k: self.resources[k].utilisation)

    def binding_latency(self, slos: SimSLOs) -> tuple[str, float]:
        """The latency closest to (or furthest past) its SLO, as (name, p95 / SLO)."""
        ratios = {"frame_to_event": self.latency["frame_to_event"]["p95"] / slos.frame_to_event_p95_s,
                  "viewer_start": self.latency["viewer_start"]["p95"] / slos.viewer_start_p95_s,
                  "api": self.latency["api"]["p95"] * 1000.0 / slos.api_p95_ms}
        name = max(ratios, key=lambda k: ratios[k])
        return name, ratios[name]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["slo_ok"] = self.slo_ok
        d["binding_resource"] = self.binding_resource
        return d


def split_scenario(scenario: SimScenario) -> tuple[SimCameras, SimulationConfig, int]:
    """(cameras section, simulation config, seed: ``simulation.seed`` or the scenario's) of a SimScenario."""
    if not isinstance(scenario, SimScenario):
        raise InputError(f"expected a SimScenario, got {type(scenario).__name__}: convert the scenario where it "
                         "is read with simulator.config.SimScenario.of", where="simulate")
    return scenario.cameras, scenario.simulation, scenario.effective_seed


def resolve_hardware(cfg: SimulationConfig, hardware: HardwareSet | None) -> HardwareSet:
    if hardware is not None:
        return hardware
    if cfg.hardware is None:
        raise InputError("no hardware set: give simulation.hardware in the scenario or size it with "
                         "`tilikbench size`", where="simulation.hardware")
    return HardwareSet.resolve(cfg.hardware, load_catalogue(cfg.catalogue))


# An SLO breach (an entry of ``SimResult.slo_breaches``) in English, as the CLI prints it; the report words
# the same fields in its own language (benchmarks/report/messages.py, keys ``breach_*``).
BREACH_TEXT = {
    "frame_to_event": "frame-to-event p95 {value:.2f} s > {limit:g} s",
    "viewer_start": "viewer start p95 {value:.2f} s > {limit:g} s",
    "api": "API p95 {value:.0f} ms > {limit:g} ms",
    "frame_drop": "frame drop {value:.1%} > {limit:.1%}",
    "viewers_refused": "{value:.1%} of viewers refused (egress)",
    "overloaded": "{resource} overloaded ({value:.0%})",
}


def breach_text(b: Breach) -> str:
    if b["key"] not in BREACH_TEXT:
        raise ValueError(f"unknown SLO breach {b['key']!r}")
    return BREACH_TEXT[b["key"]].format(**b)


def _pct(x: np.ndarray) -> dict[str, float]:
    if len(x) == 0:
        return {"mean": 0.0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "n": 0}
    q = np.percentile(x, [50, 95, 99])
    return {"mean": float(x.mean()), "p50": float(q[0]), "p95": float(q[1]), "p99": float(q[2]), "n": len(x)}


def simulate_workload(w: Workload, cal: Calibration, hw: HardwareSet, rng: np.random.Generator,
                      fine: bool = False, *, tiers: Tiers | None = None, failover: bool = False) -> SimResult:
    """Simulate one window. ``tiers``: storage and network as bought (default: planned for this window);
    ``failover``: the busiest ingest server is dead and its sites run on the others."""
    from simulator import aggregate
    t0 = time.perf_counter()
    st = Structure.evaluate(w, cal, hw, tiers, failover)
    p = service_params(w, hw, cal, shard=st.shard, demands=st.demands, packager_cores=st.packager_cores)
    egress = egress_bps(w, cal.hls.ts_overhead_ratio)
    egress_cap = hw.portal_count * p.server_egress_bps
    egress_util = egress / egress_cap
    det_rng, portal_rng = rng.spawn(2)       # the same streams in both models: paired comparisons
    if fine:
        from simulator.finemodel import simulate_fine
        det, portal = simulate_fine(p, w, hw, det_rng, portal_rng)
        model = "fine (SimPy, event per frame and request, every server)"
    else:
        det = aggregate.simulate_detector(p, det_rng)
        portal = aggregate.simulate_portal(p, portal_rng)
        model = "aggregated (busiest server, per batch)"
    starts, sessions, refused = aggregate.viewer_starts(p, portal, egress_util, rng, st.startup)
    alive = hw.ingest_count - (1 if failover and hw.ingest_count > 1 else 0)
    ingest = ingest_bps(w)
    shard_ingest = sum(st.shard.get(c.name, 0) * c.bitrate_kbps * 1000.0 for c in w.classes)
    nic_cap = hw.nic.gbps * 1e9 * hw.catalogue.nic_usable_share
    frames_city = sum(c.online * st.demands[c.name].analysed_fps for c in w.classes)
    shard_fps = sum(c.cameras * c.fps / c.sample_every for c in p.shard if c.sample_every)
    det_capacity_share = shard_fps * p.batch_s[p.max_batch] / p.max_batch / p.detector_workers
    portal_cores = hw.portal_server.cores
    portal_busy = portal.utilisation * p.portal_cores + p.packager_cores
    resources = {
        "decode_cpu": Resource(det.decode_utilisation, det.decode_utilisation * p.decode_cores,
                               p.decode_cores, "cores per ingest server"),
        # capacity share: offered frames x per-frame time at full batches (busy share is in queues)
        "detector": Resource(det_capacity_share, det_capacity_share * p.detector_workers, p.detector_workers,
                             "GPUs per server" if hw.gpu else "detector cores per server"),
        "portal_cpu": Resource(portal_busy / portal_cores, portal_busy, portal_cores,
                               "cores per portal server (requests + packagers)"),
        "egress_net": Resource(float(egress_util.max()) if len(egress_util) else 0.0,
                               float(egress.max()) / 1e9 if len(egress) else 0.0, egress_cap / 1e9, "Gbps"),
        "ingest_net": Resource(shard_ingest / nic_cap, shard_ingest / 1e9, nic_cap / 1e9,
                               "Gbps into the busiest ingest server"),
    }
    if any(d.nvdec_px_per_s for d in st.demands.values()):
        resources["gpu_decode"] = Resource(st.gpu_decode, st.gpu_decode * hw.gpus_per_server, hw.gpus_per_server,
                                           "GPU hardware decoders per server")
    units = {"disk": "share of the storage tier", "storage_net": "share of the storage servers' NICs",
             "site_uplink": "worst NVR site's uplink", "core_wan": "share of the city WAN links",
             "switch_uplink": "share of the switches' uplinks", "internet_egress": "share of internet transit"}
    for name, u in st.tier_utilisation.items():
        resources[name] = Resource(u, u, 1.0, units.get(name, units["disk"]))
    latency = {"frame_to_event": _pct(det.lag_s), "viewer_start": _pct(starts), "api": _pct(portal.api_s)}
    drops = {"frames": det.dropped / det.sampled if det.sampled else 0.0,
             "viewers": refused / sessions if sessions else 0.0}
    slos = w.config.slos
    breaches: list[Breach] = []
    if latency["frame_to_event"]["p95"] > slos.frame_to_event_p95_s:
        breaches.append({"key": "frame_to_event", "value": latency["frame_to_event"]["p95"],
                         "limit": slos.frame_to_event_p95_s})
    if latency["viewer_start"]["p95"] > slos.viewer_start_p95_s:
        breaches.append({"key": "viewer_start", "value": latency["viewer_start"]["p95"],
                         "limit": slos.viewer_start_p95_s})
    if latency["api"]["p95"] * 1000.0 > slos.api_p95_ms:
        breaches.append({"key": "api", "value": latency["api"]["p95"] * 1000.0, "limit": slos.api_p95_ms})
    if drops["frames"] > slos.max_frame_drop:
        breaches.append({"key": "frame_drop", "value": drops["frames"], "limit": slos.max_frame_drop})
    if drops["viewers"] > 0:
        breaches.append({"key": "viewers_refused", "value": drops["viewers"]})
    for name, r in resources.items():
        if r.utilisation >= 1.0:
            breaches.append({"key": "overloaded", "resource": name, "value": r.utilisation})
    return SimResult(
        hour=w.hour, hardware=hw.describe(), cameras_online=w.cameras_online, analysed_fps=frames_city,
        viewers_peak=float(w.viewers.max()) if len(w.viewers) else 0.0, resources=resources,
        queues={"detector": {"mean": det.mean_queue, "max": det.max_queue, "mean_batch": det.mean_batch,
                             "busy_share": det.utilisation},
                "portal": {"mean": portal.mean_queue}},
        latency=latency, drops=drops, slo_violations=[breach_text(b) for b in breaches],
        slo_breaches=breaches, ingest_gbps=ingest / 1e9,
        egress_gbps_peak=float(egress.max()) / 1e9 if len(egress) else 0.0, storage_tb=st.tiers.storage.stored_tb,
        events=det.events + portal.events, wall_s=time.perf_counter() - t0, model=model,
        extra=SimExtra(disks=st.tiers.storage.disks, egress_per_minute_gbps=(egress / 1e9).round(4).tolist()),
        structure=structure_summary(st, hw, alive, failover))


def simulate(scenario: SimScenario, calibration: Calibration, hardware: HardwareSet | None = None,
             rng: np.random.Generator | None = None, *, fine: bool = False, hour: int | None = None) -> SimResult:
    """Simulate the scenario's hour (default: the viewer peak) on a hardware set."""
    cameras, cfg, seed = split_scenario(scenario)
    hw = resolve_hardware(cfg, hardware)
    rng = rng if rng is not None else np.random.default_rng(seed)
    w = build_workload(cameras, cfg, hour)
    if fine and w.cameras_online > FINE_MAX_CAMERAS:
        raise InputError(f"the fine-grained model is for small scenarios (at most {FINE_MAX_CAMERAS:,} cameras "
                         f"online); this one has {w.cameras_online:,}: use the aggregated model", where="simulate")
    return simulate_workload(w, calibration, hw, rng, fine=fine)
