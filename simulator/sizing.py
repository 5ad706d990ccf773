"""Sizing: the cheapest hardware set from the catalogue that meets the SLOs with headroom.

Search: every ingest option (server type x GPU type and count per server, or CPU detection on half or
three quarters of the cores) gets its decode placement per camera class (``placement.choose``) and a
lower bound on its server count from the utilisation arithmetic (work / (capacity x headroom)) plus the
N+k spares; every portal option (server type) likewise, its work including the pre-warmed packagers.
Candidates are simulated in order of cost on the busiest window of the design hour, growing the count
until every utilisation <= headroom and every SLO holds, and the failover case (busiest ingest server and
the portal spares down) meets the SLOs within ``failover_max_utilisation``. Storage, network and
pre-warming are planned over the day (``tiers.plan_tiers``); NICs are the cheapest that carry the busiest
server's traffic within the headroom; the answer is re-checked over the whole day (``day.simulate_day``).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from common.errors import InputError
from common.vocabulary import PORTAL_RESOURCES
from simulator import placement
from simulator.calibration import Calibration
from simulator.config import HardwareSetSpec, SimScenario, SimSLOs, SimulationConfig
from simulator.costs import egress_bps, ingest_bps
from simulator.day import DayResult, day_workloads, simulate_day
from simulator.hardware import Catalogue, Gpu, HardwareSet, load_catalogue
from simulator.knee import probe_window
from simulator.model import SimResult, simulate_workload, split_scenario
from simulator.sizing_report import BomLine, bom_lines, tier_summary
from simulator.tiers import TIER_RESOURCES, Tiers, plan_tiers
from simulator.workload import Workload, build_workload, spike_hour

MAX_ROUNDS = 8
MAX_OPTIONS = 3          # ingest options simulated once one passes (cheapest lower bounds first)
MAX_SIMULATIONS = 60
SEARCH_S = 300.0        # simulated seconds per search probe; the answer is re-run for the full window


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
    failover: SimResult | None = None        # the busiest ingest server and the portal spares down
    tiers: Tiers | None = None
    day: DayResult | None = None
    redundancy: dict[str, Any] = field(default_factory=dict)
    slos: SimSLOs | None = None
    yearly_usd: float = 0.0                  # links paid by the year (not in ``cost``)

    def tier_summary(self) -> list[dict[str, Any]]:
        """Each tier in a few facts (key + fields), for the CLI and the report's plain-words paragraphs."""
        return tier_summary(self)


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
        best = min(options, key=options.__getitem__)
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
    api_floor = cal.portal_request_ms("snapshot", cat.portal_http_overhead_ms) / fastest
    if cfg.viewers.snapshot_share > 0.05 and api_floor > cfg.slos.api_p95_ms:
        raise InputError(f"no server meets API p95 <= {cfg.slos.api_p95_ms:g} ms: a snapshot takes "
                         f"{api_floor:.1f} ms on the fastest core, {api_floor - cfg.slos.api_p95_ms:.1f} ms over",
                         where="simulation.slos.api_p95_ms")


@dataclass(frozen=True)
class IngestOption:
    bound_usd: float              # lower bound on the tier's cost
    server: Any
    count: int                    # N + k
    gpu: Any
    gpus: int
    detector_cores: int | None
    placement: dict[str, str]


def _ingest_options(w: Workload, cal: Calibration, cat: Catalogue, headroom: float) -> list[IngestOption]:
    """Every ingest option with its decode placement per class and a lower bound on its server count:
    work / (capacity x headroom), the N + k spares added."""
    det = w.config.detector
    inputs = w.config.model_inputs
    spares = w.config.redundancy.ingest_spares
    analysed = [c for c in w.classes if c.sample_every and c.online]
    out = []
    for s in cat.cpu_servers:
        if s.price_usd == 0:          # the calibration machine is not for sale
            continue
        # (GPU, GPUs per server, detector cores): CPU-only options set the cores, GPU options the GPUs
        choices: list[tuple[Gpu | None, int, int | None]] = [(None, 0, max(1, int(s.cores * f))) for f in (0.5, 0.75)]
        choices += [(g, k, None) for g in cat.gpus if det.model in g.throughput for k in range(1, s.max_gpus + 1)]
        for g, k, dc in choices:
            one = (g.batch_ms(det.model, det.input_size, 1) if g else
                   cal.detector_batch_ms(det.backend, det.input_size, 1) / s.speed) / 1000.0
            if g is None:
                assert dc is not None           # CPU-only choices always set their detector cores
                per_img = cal.detector_batch_ms(det.backend, det.input_size, det.max_batch) / det.max_batch
                det_cap = dc * s.speed * 1000.0 / per_img
                fps_per_usd = det_cap / (s.price_usd * dc / s.cores)
            else:
                det_cap = k * 1000.0 * g.max_batch / g.batch_ms(det.model, det.input_size, g.max_batch)
                fps_per_usd = det_cap / (k * g.price_usd)
            dec_cores = s.cores - (dc or 0)
            unit = {c.codec: placement.prices(s.price_usd, s.cores, s.speed, g, g.price_usd if g else 0.0,
                                              c.codec, fps_per_usd) for c in analysed}
            chosen = placement.choose(tuple(analysed), cal, cat, g, unit, w.config.decode_placement, inputs)
            if chosen is None:
                continue
            dem = placement.class_demands(tuple(analysed), chosen, cal, cat, inputs)
            slowest = max((dem[c.name].cpu_s_per_frame for c in analysed), default=0.0)
            if slowest / s.speed + one > w.config.slos.frame_to_event_p95_s:
                continue                       # too slow for the lag SLO even unloaded
            cpu = sum(c.online * dem[c.name].cpu_cores for c in analysed)
            frames = sum(c.online * dem[c.name].analysed_fps for c in analysed)
            nv_need = [c.online * dem[c.name].nvdec_px_per_s / (k * g.decode_pixels_per_s(c.codec))
                       for c in analysed if g and dem[c.name].nvdec_px_per_s]
            n = max(1, math.ceil(cpu / s.speed / (dec_cores * headroom)),
                    math.ceil(frames / (det_cap * headroom)), math.ceil(sum(nv_need) / headroom))
            price = s.price_usd + (k * g.price_usd if g else 0)
            out.append(IngestOption((n + spares) * price, s, n + spares, g, k, dc, chosen))
    return sorted(out, key=lambda o: o.bound_usd)


def _portal_options(w: Workload, cal: Calibration, cat: Catalogue, headroom: float, nic_gbps: float,
                    packager_cores: float = 0.0):
    v = w.config.viewers
    peak = float(w.viewers.max())
    mix = v.api_requests_per_viewer_min / 60.0
    work = peak * ((cal.portal("hls_playlist") + cal.portal("hls_segment")) / cal.hls.segment_s
                   + mix * (1 - v.snapshot_share) * (cal.portal("camera_list") + cal.portal("events")) / 2
                   + mix * v.snapshot_share * cal.portal("snapshot"))
    if not cal.portal_includes_http:          # a measured portal cost already includes HTTP handling
        work += peak * (2 / cal.hls.segment_s + mix) * cat.portal_http_overhead_ms
    work += packager_cores * 1000.0
    egress = float(egress_bps(w, cal.hls.ts_overhead_ratio).max())
    out = []
    for s in cat.cpu_servers:
        if s.price_usd == 0:
            continue
        n = max(1, math.ceil(work / 1000.0 / s.speed / (s.cores * headroom)),
                math.ceil(egress / (nic_gbps * 1e9 * cat.nic_usable_share * headroom)))
        n += w.config.redundancy.portal_spares
        out.append((n * s.price_usd, s, n))
    return sorted(out, key=lambda o: o[0])


def _passes(r: SimResult, headroom: float) -> bool:
    """SLOs met and every server resource within the headroom (the tiers are planned, not grown here:
    a fixed site uplink that saturates, or disks filled to capacity, are reported, not fixed by servers)."""
    return _servers_ok(r) and all(res.utilisation <= headroom for k, res in r.resources.items()
                                  if k not in TIER_RESOURCES)


def _failover_passes(r: SimResult, ceiling: float) -> bool:
    return _servers_ok(r) and all(res.utilisation <= ceiling for k, res in r.resources.items()
                                  if k not in TIER_RESOURCES)


def _servers_ok(r: SimResult) -> bool:
    """Every SLO met but an overloaded tier (which more servers cannot relieve)."""
    return not [b for b in r.slo_breaches if not (b["key"] == "overloaded" and b.get("resource") in TIER_RESOURCES)]


def size(scenario: SimScenario, calibration: Calibration, catalogue: Catalogue | None = None,
         rng: np.random.Generator | None = None, *, day_check: bool = True) -> SizingResult:
    """The cheapest catalogue hardware meeting the SLOs with headroom, N + k spares and the failover case.

    ``day_check``: re-check the answer over the whole day (24 hour windows) and grow it if an hour fails.
    """
    t0 = time.perf_counter()
    cameras, cfg, seed = split_scenario(scenario)
    cat = catalogue or load_catalogue(cfg.catalogue)
    seed = int(rng.integers(2**31)) if rng is not None else seed
    headroom = cfg.headroom
    ceiling = max(headroom, cat.input("failover_max_utilisation", cfg.model_inputs))
    hours = {build_workload(cameras, cfg).hour}
    if (spike := spike_hour(cfg)) is not None:
        hours.add(spike)
    loads = [build_workload(cameras, cfg, h) for h in sorted(hours)]
    full = max(loads, key=lambda x: float(x.viewers.max()))      # the design hour: the most viewers
    _unmeetable(full, calibration, cat)
    nic = cat.nics[-1]
    disk = min(cat.disks, key=lambda d: d.price_usd / (d.tb * d.usable_share))
    day = day_workloads(cameras, cfg, SEARCH_S)
    ingest = _ingest_options(full, calibration, cat, headroom)
    probe = probe_window(full, SEARCH_S)           # the busiest window of the design hour
    sims = 0
    best: tuple[float, HardwareSet, SimResult] | None = None
    last: SimResult | None = None
    tiers = None
    pn = 0                      # portal servers: set with the tiers, on the first option
    for idx, opt in enumerate(ingest):
        if best is not None and (opt.bound_usd >= best[0] or idx >= MAX_OPTIONS):
            break
        if sims >= MAX_SIMULATIONS:
            break
        n = opt.count
        hw = _hardware(opt, n, cat.cpu_servers[0].name, 1, nic.name, disk.name, cat)
        if tiers is None:          # storage, network and pre-warming do not depend on the ingest option
            tiers = plan_tiers(day, calibration, hw, headroom)
            pack = tiers_packager_cores(tiers, cat, cfg)
            _, ps, pn = _portal_options(full, calibration, cat, headroom, nic.gbps, pack)[0]
        for _ in range(MAX_ROUNDS):
            hw = _hardware(opt, n, ps.name, pn, nic.name, disk.name, cat)
            r = simulate_workload(probe, calibration, hw, np.random.default_rng(seed), tiers=tiers)
            rf = simulate_workload(probe, calibration, _less_portal(hw, cfg), np.random.default_rng(seed),
                                   tiers=tiers, failover=True) if _passes(r, headroom) else r
            sims += 2 if rf is not r else 1
            last = r
            if _passes(r, headroom) and _failover_passes(rf, ceiling):
                break
            bad = r if not _passes(r, headroom) else rf
            limit = headroom if bad is r else ceiling
            over = [name for name, res in bad.resources.items()
                    if res.utilisation > limit and name not in TIER_RESOURCES]
            if over and all(x in PORTAL_RESOURCES for x in over) or \
                    (not over and bad.latency["frame_to_event"]["p95"] <= cfg.slos.frame_to_event_p95_s):
                pn = max(pn + 1, math.ceil(pn * 1.2))
            else:
                n = max(n + 1, math.ceil(n * 1.1))
        else:
            continue
        cost = hw.ingest_count * (opt.server.price_usd + (opt.gpus * opt.gpu.price_usd if opt.gpu else 0)) \
            + pn * ps.price_usd
        if best is None or cost < best[0]:
            best = (cost, hw, r)
    if best is None:
        worst = max(last.resources, key=lambda x: last.resources[x].utilisation) if last else "?"
        raise InputError(f"no configuration within {MAX_ROUNDS} growth rounds met the SLOs; last try: "
                         f"{'; '.join(last.slo_violations) if last else ''} (highest: {worst})",
                         where="simulation.slos")
    _, hw, _ = best
    # the answer's NIC: the cheapest carrying its busiest server; the hardware set and the BOM both say it
    hw = replace(hw, nic=_nic_for(full, calibration, hw))
    tiers = plan_tiers(day, calibration, hw, headroom)
    day_result = None
    if day_check:
        for _ in range(MAX_ROUNDS):
            day_result = simulate_day(scenario, calibration, hw, np.random.default_rng(seed), tiers=tiers)
            sims += 24
            failing = [r for r in day_result.hours if not _passes(r, headroom)]
            if not failing:
                break
            grow = _what_to_grow(failing, headroom, cfg.slos)
            if grow is None:
                break                 # a tier resource (planned for the whole day) or start-up: reported as is
            hw = replace(hw, **{grow: getattr(hw, grow) + 1})
    if day_result is not None and day_result.binding_hour != full.hour:
        full = build_workload(cameras, cfg, day_result.binding_hour)     # the answer shows the binding hour
    r = simulate_workload(full, calibration, hw, np.random.default_rng(seed), tiers=tiers)
    rf = simulate_workload(full, calibration, _less_portal(hw, cfg), np.random.default_rng(seed), tiers=tiers,
                           failover=True)
    return _result(full, calibration, hw, r, rf, tiers, day_result, headroom, t0, sims + 2)


INGEST_RESOURCES = ("decode_cpu", "detector", "gpu_decode", "ingest_net")


def _what_to_grow(bad: list[SimResult], headroom: float, slos: SimSLOs) -> str | None:
    """The HardwareSet count that more servers would help in the failing hours, if any."""
    over = {k for r in bad for k, x in r.resources.items() if x.utilisation > headroom and k not in TIER_RESOURCES}
    if over & set(INGEST_RESOURCES) or any(r.latency["frame_to_event"]["p95"] > slos.frame_to_event_p95_s
                                           or r.drops["frames"] > slos.max_frame_drop for r in bad):
        return "ingest_count"
    if over & set(PORTAL_RESOURCES) or any(r.latency["api"]["p95"] * 1000.0 > slos.api_p95_ms for r in bad):
        return "portal_count"
    return None


def _hardware(opt: IngestOption, n: int, portal: str, portal_n: int, nic: str, disk: str,
              cat: Catalogue) -> HardwareSet:
    spec = _spec(opt.server.name, n, opt.gpu.name if opt.gpu else None, opt.gpus, opt.detector_cores, portal,
                 portal_n, nic, disk)
    return HardwareSet.resolve(spec.model_copy(update={"decode": dict(opt.placement)}), cat)


def _less_portal(hw: HardwareSet, cfg: SimulationConfig) -> HardwareSet:
    """The failover case's portal tier: its k spares down."""
    return replace(hw, portal_count=max(1, hw.portal_count - cfg.redundancy.portal_spares))


def tiers_packager_cores(tiers: Tiers, cat: Catalogue, cfg: SimulationConfig) -> float:
    """Cores the pre-warmed packagers take on the whole portal tier (a floor: on-demand ones come on top)."""
    return tiers.prewarm * cat.input("packager_cores_per_stream", cfg.model_inputs)


def _nic_for(w: Workload, cal: Calibration, hw: HardwareSet):
    """The cheapest NIC that carries the busiest server's traffic within the headroom."""
    need = max(ingest_bps(w) / hw.ingest_count, float(egress_bps(w, cal.hls.ts_overhead_ratio).max())
               / hw.portal_count) / 1e9 / hw.catalogue.nic_usable_share / w.config.headroom
    fitting = [n for n in hw.catalogue.nics if n.gbps >= need]
    return min(fitting, key=lambda n: n.price_usd) if fitting else hw.nic


def _result(w: Workload, cal: Calibration, hw: HardwareSet, r: SimResult, rf: SimResult, tiers: Tiers,
            day: DayResult | None, headroom: float, t0: float, sims: int) -> SizingResult:
    red = w.config.redundancy
    bom = bom_lines(hw, tiers, w)
    out = SizingResult(bom=bom, cost=sum(b.total_usd for b in bom if not b.per_year),
                       yearly_usd=sum(b.total_usd for b in bom if b.per_year), binding_resource=r.binding_resource,
                       headroom=headroom, hardware=hw, result=r, storage_tb=tiers.storage.stored_tb,
                       ingest_gbps=ingest_bps(w) / 1e9,
                       egress_gbps=float(egress_bps(w, cal.hls.ts_overhead_ratio).max()) / 1e9,
                       wall_s=0.0, simulations=sims, failover=rf, tiers=tiers, day=day,
                       redundancy={"ingest_spares": red.ingest_spares, "portal_spares": red.portal_spares,
                                   "storage_server_spares": red.storage_server_spares,
                                   "wan_spares": red.wan_spares, "hot_spare_disks": tiers.storage.hot_spares,
                                   "switch_pairs": "yes" if w.config.network.switch_pairs else "no"},
                       slos=w.config.slos)
    out.wall_s = time.perf_counter() - t0
    return out
