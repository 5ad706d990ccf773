"""What a sizing answer says: its bill of materials and each tier in a few facts.

``bom_lines`` lists everything bought: ingest and portal servers (N + k), GPUs, NICs, disks (RAID groups
and hot spares), enclosures, storage servers, switches, and a year of site uplinks, city WAN and internet
transit. ``tier_summary`` gives each tier as a record (``key`` + fields) that the CLI prints and the report
words in its own language (``benchmarks/report/messages.py``, keys ``tier_<key>``).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.hardware import HardwareSet
from simulator.placement import STACK_DECODE
from simulator.tiers import Tiers
from simulator.workload import Workload

if TYPE_CHECKING:                      # a cycle at import time: sizing imports this module
    from simulator.sizing import SizingResult


@dataclass(frozen=True)
class BomLine:
    item: str
    name: str
    quantity: float
    unit_price_usd: float
    per_year: bool = False         # a service paid by the year (links), apart from the one-off cost

    @property
    def total_usd(self) -> float:
        return self.quantity * self.unit_price_usd


def bom_lines(hw: HardwareSet, tiers: Tiers, w: Workload) -> list[BomLine]:
    cat = hw.catalogue
    red = w.config.redundancy
    st, net = tiers.storage, tiers.network
    bom = [BomLine(f"ingest/detection server (N+{red.ingest_spares})", hw.ingest_server.name, hw.ingest_count,
                   hw.ingest_server.price_usd)]
    if hw.gpu:
        bom.append(BomLine("GPU", hw.gpu.name, hw.ingest_count * hw.gpus_per_server, hw.gpu.price_usd))
    bom += [BomLine(f"portal server (N+{red.portal_spares})", hw.portal_server.name, hw.portal_count,
                    hw.portal_server.price_usd),
            BomLine("NIC", hw.nic.name, hw.ingest_count + hw.portal_count, hw.nic.price_usd)]
    if st.groups:
        enclosure = cat.enclosure(st.enclosure)
        head = cat.storage_server(st.storage_server)
        bom += [BomLine(f"disk ({st.groups} {st.raid} groups of {st.disks_per_group} + {st.hot_spares} hot spares; "
                        f"{st.stored_tb:,.1f} TB kept)", hw.disk.name, st.disks, hw.disk.price_usd),
                BomLine("disk enclosure", enclosure.name, st.enclosures, enclosure.price_usd),
                BomLine(f"storage server (N+{st.storage_server_spares})", head.name, st.storage_servers,
                        head.price_usd)]
    sw = cat.switch(net.switch)
    bom.append(BomLine("switch (pairs)" if w.config.network.switch_pairs else "switch", sw.name, net.switches,
                       sw.price_usd))
    prices = {lk.name: lk.price_usd_year for lk in cat.site_uplinks}
    for name, count in sorted(net.uplink_counts().items()):
        bom.append(BomLine("NVR-site uplink, per year", name, count, prices[name], True))
    wan = cat.wan_link(net.wan_link)
    eg = cat.egress_link(net.egress_link)
    bom += [BomLine(f"city WAN link, per year (N+{red.wan_spares})", wan.name, net.wan_links, wan.price_usd_year,
                    True),
            BomLine("internet transit, per year", eg.name, net.egress_links, eg.price_usd_year, True)]
    return bom


def tier_summary(s: SizingResult) -> list[dict[str, Any]]:
    r, hw, tiers = s.result, s.hardware, s.tiers
    assert tiers is not None
    st, net = tiers.storage, tiers.network
    res = r.resources
    placed = r.structure.get("decode_placement", {})
    modes = Counter(placed.values())
    out: list[dict[str, Any]] = [
        {"key": "decode", "placement": ", ".join(f"{k} {m}" for k, m in placed.items()),
         "stack": ", ".join(f"{k} decode: {STACK_DECODE[m]}" for k, m in placed.items()),
         "cpu": modes.get("cpu_all", 0), "keyframes": modes.get("cpu_keyframes", 0), "gpu": modes.get("gpu", 0),
         "decode_util": res["decode_cpu"].utilisation,
         "gpu_util": res["gpu_decode"].utilisation if "gpu_decode" in res else 0.0},
        {"key": "ingest", "servers": hw.ingest_count, "spares": s.redundancy.get("ingest_spares", 0),
         "server": hw.ingest_server.name, "imbalance": r.structure["ingest"]["imbalance"],
         "util": float(max(res[k].utilisation for k in ("decode_cpu", "detector"))),
         "failover_util": float(max(s.failover.resources[k].utilisation for k in ("decode_cpu", "detector")))
         if s.failover else 0.0,
         "failover_ok": bool(s.failover and s.failover.slo_ok)},
        {"key": "storage", "raid": st.raid, "group": st.disks_per_group, "groups": st.groups, "disks": st.disks,
         "spares": st.hot_spares, "enclosures": st.enclosures, "servers": st.storage_servers,
         "tb": st.stored_tb, "binding": st.binding, "util": max(st.utilisation.values(), default=0.0),
         "rebuild_h": st.rebuild_h, "playback": st.read_mbps},
        {"key": "network", "sites": sum(u.sites for u in net.uplinks),
         "uplinks": ", ".join(f"{n:,} x {k}" for k, n in sorted(net.uplink_counts().items())),
         "site_util": net.utilisation.get("site_uplink", 0.0), "wan": f"{net.wan_links} x {net.wan_link}",
         "egress": f"{net.egress_links} x {net.egress_link}", "switches": net.switches,
         "binding": net.binding, "binding_util": net.utilisation.get(net.binding, 0.0)},
        {"key": "redundancy", **s.redundancy},
        {"key": "startup", "cold_share": r.structure["startup"]["cold_share"],
         "prewarm": r.structure["startup"]["prewarm_top"], "cold_start_s": r.structure["startup"]["cold_start_s"],
         "p95": r.latency["viewer_start"]["p95"], "slo": s.slos.viewer_start_p95_s if s.slos else 0.0},
    ]
    if s.day is not None:
        out.append({"key": "day", "hour": s.day.binding_hour, "binding": s.day.binding,
                    "ratio": s.day.binding_ratio, "ok": s.day.slo_ok, "wall_s": s.day.wall_s,
                    "cpu_s": s.day.cpu_s})
    return out

