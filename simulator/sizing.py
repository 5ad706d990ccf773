"""Sizing: the cheapest hardware set from the catalogue that meets the SLOs with headroom.

Search: every ingest option (server type x GPU type and count per server, or CPU detection on half or
three quarters of the cores) and every portal option (server type) gets a lower bound on its server count
from the utilisation arithmetic (work / (capacity x headroom)); candidates are then simulated in order of
cost, growing the count until the simulation shows every utilisation <= headroom and every SLO met.
Storage is bitrate x cameras x retention, rounded up to whole disks; NICs are the cheapest that carry
the busiest server's traffic within the headroom.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from common.errors import InputError
from simulator.calibration import Calibration
from simulator.config import HardwareSetSpec
from simulator.costs import egress_bps, ingest_bps, storage_bytes
from simulator.hardware import Catalogue, HardwareSet, load_catalogue
from simulator.model import SimResult, simulate_workload, split_scenario
from simulator.workload import Workload, build_workload, spike_hour

MAX_ROUNDS = 8
MAX_OPTIONS = 3          # ingest options simulated once one passes (cheapest lower bounds first)
MAX_SIMULATIONS = 60
SEARCH_S = 300.0        # simulated seconds per search probe; the answer is re-run for the full window


@dataclass(frozen=True)
class BomLine:
    item: str
    name: str
    quantity: float
    unit_price_usd: float

    @property
    def total_usd(self) -> float:
        return self.quantity * self.unit_price_usd


@dataclass
class SizingResult:
    bom: list[BomLine]
    cost: float
    binding_resource: str
    headroom: float
    hardware: HardwareSet
    result: SimResult
    storage_tb: float
    ingest_gbps: float
    egress_gbps: float
    wall_s: float
    simulations: int


def _spec(server: str, n: int, gpu: str | None, gpus: int, det_cores: int | None, portal: str,
          portal_n: int, nic: str, disk: str) -> HardwareSetSpec:
    return HardwareSetSpec.model_validate({
        "ingest": {"server": server, "count": n, "gpu": gpu, "gpus_per_server": gpus,
                   "detector_cores": det_cores},
        "portal": {"server": portal, "count": portal_n}, "nic": nic, "disk": disk})


def _unmeetable(w: Workload, cal: Calibration, cat: Catalogue) -> None:
    """Raise if an SLO is below what the fastest catalogue entry does with no load at all."""
    cfg = w.config
    det = cfg.detector
    analysed = [c for c in w.classes if c.sample_every and c.online]
    if analysed:
        decode = max(cal.decode(c.codec, c.width, c.height) for c in analysed) / 1000.0
        options = {f"CPU {s.name}": decode / s.speed + cal.detector_batch_ms(det.backend, det.input_size, 1)
                   / 1000.0 / s.speed for s in cat.cpu_servers}
        for g in cat.gpus:
            if det.model in g.throughput:
                options[f"GPU {g.name}"] = decode / max(s.speed for s in cat.cpu_servers) + \
                    g.batch_ms(det.model, det.input_size, 1) / 1000.0
        best = min(options, key=options.get)
        if options[best] > cfg.slos.frame_to_event_p95_s:
            short = options[best] - cfg.slos.frame_to_event_p95_s
            raise InputError(f"no catalogue entry meets frame-to-event p95 <= {cfg.slos.frame_to_event_p95_s:g} s: "
                             f"the fastest ({best}) needs {options[best]:.3f} s per frame unloaded, "
                             f"{short:.3f} s ({short / cfg.slos.frame_to_event_p95_s:.0%}) over",
                             where="simulation.slos.frame_to_event_p95_s")
    seg_bits = w.watched_kbps * 1000.0 * cal.hls.segment_s * cal.hls.ts_overhead_ratio
    floor = seg_bits / (cfg.viewers.downlink_mbps * 1e6)
    if floor > cfg.slos.viewer_start_p95_s:
        short = floor - cfg.slos.viewer_start_p95_s
        raise InputError(f"no hardware meets viewer start p95 <= {cfg.slos.viewer_start_p95_s:g} s: the first "
                         f"segment alone takes {floor:.2f} s over a viewer's {cfg.viewers.downlink_mbps:g} Mbit/s "
                         f"downlink, {short:.2f} s over", where="simulation.slos.viewer_start_p95_s")
    fastest = max(s.speed for s in cat.cpu_servers)
    api_floor = (cal.portal("snapshot") + cat.portal_http_overhead_ms) / fastest
    if cfg.viewers.snapshot_share > 0.05 and api_floor > cfg.slos.api_p95_ms:
        raise InputError(f"no server meets API p95 <= {cfg.slos.api_p95_ms:g} ms: a snapshot takes "
                         f"{api_floor:.1f} ms on the fastest core, {api_floor - cfg.slos.api_p95_ms:.1f} ms over",
                         where="simulation.slos.api_p95_ms")


def _ingest_options(w: Workload, cal: Calibration, cat: Catalogue, headroom: float):
    """(lower-bound cost, server, count, gpu, gpus, detector_cores) for every ingest option."""
    det = w.config.detector
    analysed = [c for c in w.classes if c.sample_every and c.online]
    decode_work = sum(c.online * c.fps * cal.decode(c.codec, c.width, c.height) / 1000.0 for c in analysed)
    frames = sum(c.online * c.analytic_fps for c in analysed)
    decode_floor = max((cal.decode(c.codec, c.width, c.height) / 1000.0 for c in analysed), default=0.0)
    out = []
    for s in cat.cpu_servers:
        if s.price_usd == 0:          # the calibration machine is not for sale
            continue
        choices = [(None, 0, max(1, int(s.cores * f))) for f in (0.5, 0.75)]
        choices += [(g, k, None) for g in cat.gpus if det.model in g.throughput for k in range(1, s.max_gpus + 1)]
        for g, k, dc in choices:
            one = (g.batch_ms(det.model, det.input_size, 1) if g else
                   cal.detector_batch_ms(det.backend, det.input_size, 1) / s.speed) / 1000.0
            if decode_floor / s.speed + one > w.config.slos.frame_to_event_p95_s:
                continue                       # too slow for the lag SLO even unloaded
            dec_cores = s.cores - (dc or 0)
            if g is None:
                per_img = cal.detector_batch_ms(det.backend, det.input_size, det.max_batch) / det.max_batch
                det_cap = dc * s.speed * 1000.0 / per_img
            else:
                det_cap = k * 1000.0 * g.max_batch / g.batch_ms(det.model, det.input_size, g.max_batch)
            n = max(1, math.ceil(decode_work / s.speed / (dec_cores * headroom)),
                    math.ceil(frames / (det_cap * headroom)))
            price = s.price_usd + (k * g.price_usd if g else 0)
            out.append((n * price, s, n, g, k, dc))
    return sorted(out, key=lambda o: o[0])


def _portal_options(w: Workload, cal: Calibration, cat: Catalogue, headroom: float, nic_gbps: float):
    v = w.config.viewers
    peak = float(w.viewers.max())
    mix = v.api_requests_per_viewer_min / 60.0
    work = peak * ((cal.portal("hls_playlist") + cal.portal("hls_segment")) / cal.hls.segment_s
                   + mix * (1 - v.snapshot_share) * (cal.portal("camera_list") + cal.portal("events")) / 2
                   + mix * v.snapshot_share * cal.portal("snapshot"))
    work += peak * (2 / cal.hls.segment_s + mix) * cat.portal_http_overhead_ms
    egress = float(egress_bps(w, cal.hls.ts_overhead_ratio).max())
    out = []
    for s in cat.cpu_servers:
        if s.price_usd == 0:
            continue
        n = max(1, math.ceil(work / 1000.0 / s.speed / (s.cores * headroom)),
                math.ceil(egress / (nic_gbps * 1e9 * cat.nic_usable_share * headroom)))
        out.append((n * s.price_usd, s, n))
    return sorted(out, key=lambda o: o[0])


def _passes(r: SimResult, headroom: float) -> bool:
    return r.slo_ok and all(res.utilisation <= headroom for res in r.resources.values())


def size(scenario: Any, calibration: Calibration, catalogue: Catalogue | None = None,
         rng: np.random.Generator | None = None) -> SizingResult:
    t0 = time.perf_counter()
    cameras, cfg, seed = split_scenario(scenario)
    cat = catalogue or load_catalogue(cfg.catalogue)
    seed = int(rng.integers(2**31)) if rng is not None else seed
    headroom = cfg.headroom
    hours = {build_workload(cameras, cfg).hour}
    if spike_hour(cfg) is not None:
        hours.add(spike_hour(cfg))
    loads = [build_workload(cameras, cfg, h) for h in sorted(hours)]
    w = max(loads, key=lambda x: float(x.viewers.max()))      # the hour with the most viewers
    _unmeetable(w, calibration, cat)
    nic = cat.nics[-1]
    disk = min(cat.disks, key=lambda d: d.price_usd / (d.tb * d.usable_share))
    ingest = _ingest_options(w, calibration, cat, headroom)
    portal = _portal_options(w, calibration, cat, headroom, nic.gbps)
    _, ps, pn = portal[0]
    sims = 0
    best: tuple[float, HardwareSet, SimResult] | None = None
    last: SimResult | None = None
    from dataclasses import replace as _replace
    full = w
    w = _replace(w, duration_s=min(SEARCH_S, w.duration_s))
    for idx, (bound, s, n, g, k, dc) in enumerate(ingest):
        if best is not None and (bound >= best[0] or idx >= MAX_OPTIONS):
            break
        if sims >= MAX_SIMULATIONS:
            break
        for _ in range(MAX_ROUNDS):
            hw = HardwareSet.resolve(_spec(s.name, n, g.name if g else None, k, dc, ps.name, pn, nic.name,
                                           disk.name), cat)
            r = simulate_workload(w, calibration, hw, np.random.default_rng(seed))
            sims += 1
            last = r
            if _passes(r, headroom):
                break
            over = [name for name, res in r.resources.items() if res.utilisation > headroom]
            if over and all(x in ("portal_cpu", "egress_net") for x in over) or \
                    (not over and r.latency["frame_to_event"]["p95"] <= cfg.slos.frame_to_event_p95_s):
                pn = max(pn + 1, math.ceil(pn * 1.2))
            else:
                n = max(n + 1, math.ceil(n * 1.1))
        else:
            continue
        cost = hw.ingest_count * (s.price_usd + (k * g.price_usd if g else 0)) + pn * ps.price_usd
        if best is None or cost < best[0]:
            best = (cost, hw, r)
    if best is None:
        worst = max(last.resources, key=lambda x: last.resources[x].utilisation) if last else "?"
        raise InputError(f"no configuration within {MAX_ROUNDS} growth rounds met the SLOs; last try: "
                         f"{'; '.join(last.slo_violations) if last else ''} (highest: {worst})",
                         where="simulation.slos")
    _, hw, _ = best
    # the answer's NIC: the cheapest carrying its busiest server; the hardware set and the BOM both say it
    hw = _replace(hw, nic=_nic_for(full, calibration, hw))
    r = simulate_workload(full, calibration, hw, np.random.default_rng(seed))
    return _result(full, calibration, hw, r, headroom, t0, sims + 1)


def _nic_for(w: Workload, cal: Calibration, hw: HardwareSet):
    """The cheapest NIC that carries the busiest server's traffic within the headroom."""
    need = max(ingest_bps(w) / hw.ingest_count, float(egress_bps(w, cal.hls.ts_overhead_ratio).max())
               / hw.portal_count) / 1e9 / hw.catalogue.nic_usable_share / w.config.headroom
    fitting = [n for n in hw.catalogue.nics if n.gbps >= need]
    return min(fitting, key=lambda n: n.price_usd) if fitting else hw.nic


def _result(w: Workload, cal: Calibration, hw: HardwareSet, r: SimResult, headroom: float, t0: float,
            sims: int) -> SizingResult:
    stored_tb = storage_bytes(w) / 1e12
    disks = math.ceil(stored_tb / (hw.disk.tb * hw.disk.usable_share)) if stored_tb else 0
    servers = hw.ingest_count + hw.portal_count
    nic = hw.nic
    bom = [BomLine("ingest/detection server", hw.ingest_server.name, hw.ingest_count, hw.ingest_server.price_usd)]
    if hw.gpu:
        bom.append(BomLine("GPU", hw.gpu.name, hw.ingest_count * hw.gpus_per_server, hw.gpu.price_usd))
    bom += [BomLine("portal server", hw.portal_server.name, hw.portal_count, hw.portal_server.price_usd),
            BomLine("NIC", nic.name, servers, nic.price_usd),
            BomLine(f"disk ({stored_tb:,.1f} TB for {w.config.retention_days:g} days)", hw.disk.name, disks,
                    hw.disk.price_usd)]
    return SizingResult(bom=bom, cost=sum(b.total_usd for b in bom), binding_resource=r.binding_resource,
                        headroom=headroom, hardware=hw, result=r, storage_tb=stored_tb,
                        ingest_gbps=ingest_bps(w) / 1e9,
                        egress_gbps=float(egress_bps(w, cal.hls.ts_overhead_ratio).max()) / 1e9,
                        wall_s=time.perf_counter() - t0, simulations=sims)
