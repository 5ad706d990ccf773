"""Everything around the simulated stations, planned and evaluated for one hour: the ingest servers'
unequal shares (sites, failover), the storage and network tiers, the viewer start-up chain.

``plan_tiers`` sizes storage and network for the hours given (each tier's largest plan over them);
``Structure.evaluate`` gives, for one hour, the busiest ingest server's cameras, the tier utilisations and
the start-up chain. ``simulator.model`` simulates the stations with these.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from common.errors import InputError
from simulator.calibration import Calibration
from simulator.costs import egress_bps, ingest_bps
from simulator.hardware import Catalogue, HardwareSet
from simulator.network import NetworkPlan, network_utilisation, plan_network
from simulator.placement import DecodeDemand, class_demands
from simulator.sites import Assignment, assign, build_sites, fail_busiest
from simulator.startup import (
    StartupChain,
    cold_share,
    fewest_prewarmed,
    packagers_running,
    zipf_weights,
)
from simulator.storage import (
    StoragePlan,
    plan_storage,
    storage_load,
    storage_utilisation,
)
from simulator.workload import Workload


# Resources of the planned tiers (storage, network): sized by arithmetic for the whole day, not by servers.
TIER_RESOURCES = frozenset({"disk_capacity", "disk_streams", "disk_workload", "disk_write", "storage_net",
                            "site_uplink", "core_wan", "switch_uplink", "internet_egress"})


@dataclass(frozen=True)
class Tiers:
    storage: StoragePlan
    network: NetworkPlan
    prewarm: int = 0            # the most popular cameras whose packagers run always


def server_weights(w: Workload, hw: HardwareSet, demands: dict[str, DecodeDemand], cal: Calibration) -> np.ndarray:
    """Per class: the share of one ingest server's decode cores + hardware decoders + detector that one
    camera takes (the load the site assignment balances)."""
    det = w.config.detector
    dec_cap = hw.decode_cores * hw.ingest_server.speed
    if hw.gpu is not None:
        per_frame = hw.gpu.batch_ms(det.model, det.input_size, hw.gpu.max_batch) / hw.gpu.max_batch / 1000.0
    else:
        per_frame = cal.detector_batch_ms(det.backend, det.input_size, det.max_batch) / det.max_batch \
            / 1000.0 / hw.ingest_server.speed
    out = []
    for c in w.classes:
        d = demands[c.name]
        nv = hw.gpu.decode_pixels_per_s(c.codec) * hw.gpus_per_server if hw.gpu else 0.0
        out.append(d.cpu_cores / dec_cap + d.analysed_fps * per_frame / hw.detector_workers
                   + (d.nvdec_px_per_s / nv if d.nvdec_px_per_s else 0.0))
    return np.asarray(out)


def gpu_decode_utilisation(w: Workload, hw: HardwareSet, demands: dict[str, DecodeDemand],
                           shard: dict[str, int]) -> float:
    if hw.gpu is None:
        return 0.0
    used = 0.0
    for c in w.classes:
        d = demands[c.name]
        if d.nvdec_px_per_s:
            used += shard.get(c.name, 0) * d.nvdec_px_per_s / (hw.gpu.decode_pixels_per_s(c.codec) * hw.gpus_per_server)
    return used


def traffic(w: Workload, cal: Calibration, cat: Catalogue) -> tuple[dict[str, float], float, float, float]:
    """(bitrate per class, camera ingest bps, viewer egress bps at the peak with playback, storage bps)."""
    viewers = float(w.viewers.max()) if len(w.viewers) else 0.0
    load = storage_load(w, cat, viewers)
    live = float(egress_bps(w, cal.hls.ts_overhead_ratio).max()) if len(w.viewers) else 0.0
    playback = load.read * 8.0 * cal.hls.ts_overhead_ratio
    return ({c.name: c.bitrate_kbps for c in w.classes}, ingest_bps(w), live + playback,
            (load.write + load.read) * 8.0)


def plan_tiers(loads: list[Workload], cal: Calibration, hw: HardwareSet, headroom: float) -> Tiers:
    """Storage and network for the busiest of ``loads`` (each tier's costliest plan over them)."""
    cat = hw.catalogue
    red = loads[0].config.redundancy
    best_s: StoragePlan | None = None
    best_n: tuple[float, NetworkPlan] | None = None
    for w in loads:
        viewers = float(w.viewers.max()) if len(w.viewers) else 0.0
        st = plan_storage(w, cat, hw.disk, viewers, headroom, red.storage_server_spares)
        if best_s is None or (st.groups, st.storage_servers) > (best_s.groups, best_s.storage_servers):
            best_s = st
        kbps, ing, eg, sto = traffic(w, cal, cat)
        servers = hw.ingest_count + hw.portal_count + st.storage_servers
        sites = build_sites(w.classes, w.config, cat)
        chosen = {k: v.uplink for k, v in w.config.network.sites.items()}
        net = plan_network(sites, kbps, ing, eg, sto, servers, cat, chosen, headroom, red.wan_spares,
                           w.config.network.switch_pairs)
        cost = net_cost(net, cat)
        if best_n is None or cost > best_n[0]:
            best_n = (cost, net)
    assert best_s is not None and best_n is not None
    prewarm = 0
    for w in loads:
        p = zipf_weights(max(1, w.cameras_online), cat.input("zipf_exponent", w.config.model_inputs))
        prewarm = max(prewarm, resolve_prewarm(w, cal, cat, p, float(w.viewers.min()) if len(w.viewers) else 0.0))
    return Tiers(best_s, best_n[1], prewarm)


def net_cost(net: NetworkPlan, cat: Catalogue) -> float:
    up = {lk.name: lk.price_usd_year for lk in cat.site_uplinks}
    wan = cat.wan_link(net.wan_link).price_usd_year
    eg = cat.egress_link(net.egress_link).price_usd_year
    sw = cat.switch(net.switch).price_usd
    return (sum(up[u.uplink] * u.sites for u in net.uplinks) + wan * net.wan_links + eg * net.egress_links
            + sw * net.switches)


def resolve_prewarm(w: Workload, cal: Calibration, cat: Catalogue, p: np.ndarray, viewers: float) -> int:
    """The scenario's pre-warmed count, or (auto) the fewest that keep cold starts out of the p95 when a
    cold start alone would break the viewer-start SLO, at ``viewers`` concurrent viewers."""
    cfg = w.config
    k = cfg.startup.prewarm_top
    if k != "auto":
        return min(int(k), len(p))
    inputs = cfg.model_inputs
    cold_path = cal.hls.cold_start_s + 2 * cat.input("viewer_rtt_s", inputs) + cat.input("player_start_s", inputs)
    if cold_path <= cfg.slos.viewer_start_p95_s:
        return 0
    return fewest_prewarmed(p, viewers, cfg.viewers.session_min * 60.0, cat.input("packager_linger_s", inputs))


def startup_chain(w: Workload, cal: Calibration, cat: Catalogue, prewarm: int) -> StartupChain:
    """The start-up chain of a window whose quietest minute sets the cold share (fewest warm cameras)."""
    inputs = w.config.model_inputs
    viewers = float(w.viewers.min()) if len(w.viewers) else 0.0
    p = zipf_weights(max(1, w.cameras_online), cat.input("zipf_exponent", inputs))
    session = w.config.viewers.session_min * 60.0
    linger = cat.input("packager_linger_s", inputs)
    k = min(prewarm, len(p))
    return StartupChain(cold_share(p, viewers, session, linger, k), cal.hls.cold_start_s,
                        cat.input("cold_start_cv", inputs), cat.input("viewer_rtt_s", inputs),
                        cat.input("player_start_s", inputs), k,
                        packagers_running(p, float(w.viewers.max()) if len(w.viewers) else 0.0, session, linger, k))


def check_placement(w: Workload, hw: HardwareSet) -> None:
    """The hardware set's decode placement names real classes, and GPU decode has a decoder for the codec."""
    names = {c.name: c for c in w.classes}
    unknown = sorted(set(hw.placement) - set(names))
    if unknown:
        raise InputError(f"names classes that do not exist: {', '.join(unknown)} (classes: "
                         f"{', '.join(sorted(names))})", where="simulation.hardware.decode")
    for name, mode in hw.placement.items():
        if mode == "gpu" and (hw.gpu is None or not hw.gpu.decode_pixels_per_s(names[name].codec)):
            raise InputError(f"class {name!r} decodes on GPUs, but {hw.gpu.name if hw.gpu else 'no GPU'} has no "
                             f"hardware decoder for {names[name].codec}", where=f"simulation.hardware.decode.{name}")


@dataclass(frozen=True)
class Structure:
    """One hour's structure: placement demands, the simulated ingest server, tiers, start-up chain."""

    demands: dict[str, DecodeDemand]
    assignment: Assignment
    shard: dict[str, int]
    gpu_decode: float
    tier_utilisation: dict[str, float]
    tiers: Tiers
    startup: StartupChain
    packager_cores: float        # per portal server

    @classmethod
    def evaluate(cls, w: Workload, cal: Calibration, hw: HardwareSet, tiers: Tiers | None = None,
                 failover: bool = False) -> Structure:
        cat = hw.catalogue
        check_placement(w, hw)
        demands = class_demands(w.classes, hw.placement, cal, cat, w.config.model_inputs)
        weights = server_weights(w, hw, demands, cal)
        sites = build_sites(w.classes, w.config, cat)
        a = (fail_busiest(sites, weights, hw.ingest_count) if failover and hw.ingest_count > 1
             else assign(sites, weights, hw.ingest_count))
        shard = a.shard(sites.names)
        tiers = tiers or plan_tiers([w], cal, hw, w.config.headroom)
        kbps, ing, eg, sto = traffic(w, cal, cat)
        viewers = float(w.viewers.max()) if len(w.viewers) else 0.0
        util = {**storage_utilisation(tiers.storage, storage_load(w, cat, viewers), cat),
                **network_utilisation(tiers.network, kbps, ing, eg, sto, cat, w.config.network.switch_pairs,
                                      w.config.redundancy.wan_spares)}
        chain = startup_chain(w, cal, cat, tiers.prewarm)
        pack = chain.packagers * cat.input("packager_cores_per_stream", w.config.model_inputs) / hw.portal_count
        return cls(demands, a, shard, gpu_decode_utilisation(w, hw, demands, shard), util, tiers, chain, pack)


def structure_summary(st: Structure, hw: HardwareSet, alive: int, failover: bool) -> dict:
    """The structure of one simulated window as plain data (for results JSON and the CLI)."""
    from dataclasses import asdict
    net = st.tiers.network
    return {
        "decode_placement": {k: d.mode for k, d in st.demands.items() if d.decoded_fps or d.nvdec_px_per_s},
        "ingest": {"servers_alive": alive, "failover": failover, "busiest_cameras": st.shard,
                   "imbalance": st.assignment.imbalance},
        "storage": {**asdict(st.tiers.storage), "disks": st.tiers.storage.disks},
        "network": {"uplinks": [asdict(u) for u in net.uplinks], "uplink_sites": net.uplink_counts(),
                    "wan_link": net.wan_link, "wan_links": net.wan_links, "egress_link": net.egress_link,
                    "egress_links": net.egress_links, "switch": net.switch, "switches": net.switches,
                    "binding": net.binding},
        "startup": {"cold_share": st.startup.cold_probability, "prewarm_top": st.startup.prewarm,
                    "packagers": st.startup.packagers, "packager_cores_per_portal_server": st.packager_cores,
                    "cold_start_s": st.startup.cold_start_s},
    }
