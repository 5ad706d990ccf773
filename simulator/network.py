"""The network from the NVR sites to the viewers: site uplinks, the city WAN into the data centre, switches,
and internet egress for viewers; the link closest to its limit is named.

- **site uplinks**: a site of k cameras sends k x bitrate (the busiest hour's, night bitrate included) up
  its uplink; per class and site size, the scenario's uplink or (``auto``) the cheapest one that carries the
  site within the headroom. Utilisation is the worst site's traffic over its uplink's line rate.
- **city WAN**: all cameras' streams into the data centre, on N + k links of the type that costs least.
- **switches**: every server (ingest, portal, storage) on one port, twice with ``switch_pairs``; the
  switches' uplinks carry the streams in, to storage and out to viewers.
- **internet egress**: live HLS plus playback to viewers, on the cheapest set of transit links.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from common.errors import InputError
from simulator.hardware import Catalogue, Link
from simulator.sites import Sites


@dataclass(frozen=True)
class UplinkGroup:
    cls: str
    cameras_per_site: int
    sites: int
    uplink: str
    utilisation: float          # one site's traffic / its uplink's line rate


@dataclass(frozen=True)
class NetworkPlan:
    uplinks: tuple[UplinkGroup, ...]
    wan_link: str
    wan_links: int              # N + k
    egress_link: str
    egress_links: int
    switch: str
    switches: int
    utilisation: dict[str, float] = field(default_factory=dict)
    binding: str = ""

    def uplink_counts(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for u in self.uplinks:
            out[u.uplink] += u.sites
        return dict(out)


def cheapest_links(links: list[Link], bps: float, headroom: float, spares: int = 0) -> tuple[Link, int]:
    """(link type, count) carrying ``bps`` within the headroom at the least yearly cost, k spares added."""
    if not links:
        raise InputError("the catalogue lists no links of this kind", where="hardware catalogue")
    best = min(links, key=lambda lk: (max(1, math.ceil(bps / (lk.mbps * 1e6 * headroom))) + spares)
               * lk.price_usd_year)
    return best, max(1, math.ceil(bps / (best.mbps * 1e6 * headroom))) + spares


def site_uplinks(sites: Sites, kbps: dict[str, float], cat: Catalogue, chosen: dict[str, str],
                 headroom: float) -> tuple[UplinkGroup, ...]:
    """Per class and site size: the uplink and its utilisation."""
    out = []
    for k, name in enumerate(sites.names):
        sizes = sites.size[sites.cls == k]
        for size, count in zip(*np.unique(sizes, return_counts=True)):
            bps = float(size) * kbps[name] * 1000.0
            pick = chosen.get(name, "auto")
            if pick == "auto":
                fits = [lk for lk in cat.site_uplinks if bps <= lk.mbps * 1e6 * headroom]
                link = min(fits, key=lambda lk: lk.price_usd_year) if fits else \
                    max(cat.site_uplinks, key=lambda lk: lk.mbps)
            else:
                link = cat.site_uplink(pick)
            out.append(UplinkGroup(name, int(size), int(count), link.name, bps / (link.mbps * 1e6)))
    return tuple(out)


UPLINK_FILL = 0.9        # share of its line rate a full shaped uplink carries on average: TCP's sawtooth under
                         # a token-bucket queue keeps it a little below the rate (82-98% measured, docs/nvr-sites.md)
WIRE_OVERHEAD = 1.05     # bytes on the link per byte of video: RTP, RTSP interleaving, TCP/IP headers


def uplink_delivery(demand_bps: float, line_bps: float, fill: float = UPLINK_FILL) -> tuple[float, float]:
    """One site's uplink as the model sees it: (bits per second the link carries, share of the cameras'
    frames that arrive). A site asking for more than the link carries gets the link's fill, and its
    cameras' frames arrive in that proportion; below it, everything arrives. ``demand_bps``: the video."""
    wire = demand_bps * WIRE_OVERHEAD
    cap = fill * line_bps
    if wire <= cap:
        return wire, 1.0
    return cap, cap / wire if wire > 0 else 1.0


def network_utilisation(plan: NetworkPlan, kbps: dict[str, float], ingest_bps: float, egress_bps: float,
                        storage_bps: float, cat: Catalogue, switch_pairs: bool, wan_spares: int) -> dict[str, float]:
    """Each link's utilisation when ``plan`` carries this hour's traffic."""
    link = {lk.name: lk for lk in cat.site_uplinks}
    wan = cat.wan_link(plan.wan_link)
    eg = cat.egress_link(plan.egress_link)
    sw = cat.switch(plan.switch)
    site = max((u.cameras_per_site * kbps[u.cls] * 1000.0 / (link[u.uplink].mbps * 1e6) for u in plan.uplinks),
               default=0.0)
    sw_active = plan.switches // 2 if switch_pairs else plan.switches      # one switch of a pair may fail
    return {"site_uplink": site,
            "core_wan": ingest_bps / ((plan.wan_links - wan_spares) * wan.mbps * 1e6),
            "switch_uplink": (ingest_bps + egress_bps + storage_bps) / (sw_active * sw.uplink_gbps * 1e9),
            "internet_egress": egress_bps / (plan.egress_links * eg.mbps * 1e6)}


def plan_network(sites: Sites, kbps: dict[str, float], ingest_bps: float, egress_bps: float,
                 storage_bps: float, servers: int, cat: Catalogue, chosen: dict[str, str], headroom: float,
                 wan_spares: int = 0, switch_pairs: bool = True) -> NetworkPlan:
    """Links and switches for this hour's traffic. ``kbps``: bitrate per class; ``egress_bps``: live +
    playback to viewers; ``storage_bps``: recording writes + playback reads; ``servers``: all of them."""
    if not cat.site_uplinks or not cat.switches:
        raise InputError("the catalogue lists no site uplinks or switches", where=cat.path or "catalogue")
    ups = site_uplinks(sites, kbps, cat, chosen, headroom)
    wan, n_wan = cheapest_links(cat.wan_links, ingest_bps, headroom, wan_spares)
    eg, n_eg = cheapest_links(cat.egress_links, egress_bps, headroom)
    sw = min(cat.switches, key=lambda s: s.price_usd / s.ports)
    per_set = max(math.ceil(servers / sw.ports),
                  math.ceil((ingest_bps + egress_bps + storage_bps) / (sw.uplink_gbps * 1e9 * headroom)))
    n_sw = per_set * (2 if switch_pairs else 1)
    plan = NetworkPlan(ups, wan.name, n_wan, eg.name, n_eg, sw.name, n_sw)
    util = network_utilisation(plan, kbps, ingest_bps, egress_bps, storage_bps, cat, switch_pairs, wan_spares)
    return NetworkPlan(ups, wan.name, n_wan, eg.name, n_eg, sw.name, n_sw, util, max(util, key=lambda k: util[k]))
