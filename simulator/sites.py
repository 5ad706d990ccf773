"""NVR sites and how their cameras are spread over the ingest servers.

Cameras reach the city in sites (an NVR at an RT, a shop, a junction) of a few cameras each; a site's
streams go to one ingest server. ``build_sites`` makes each class's sites from its share of sites by size
(``simulation.network.sites``; default: the catalogue's public mean of cameras per site, as sites of
floor and ceil of that mean). ``assign`` spreads whole sites over servers, largest first onto the least
loaded (LPT), so servers are unequal by at most about one site; ``fail_busiest`` takes the busiest server
away and spreads its sites the same way over the others: the failover case.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from simulator.config import SimulationConfig
from simulator.hardware import Catalogue
from simulator.workload import CameraLoad


@dataclass(frozen=True)
class Sites:
    names: tuple[str, ...]      # camera class per column
    cls: np.ndarray             # class index of each site
    size: np.ndarray            # cameras at each site

    def cameras(self, k: int) -> int:
        return int(self.size[self.cls == k].sum())


def size_shares(cfg: SimulationConfig, cat: Catalogue, name: str) -> dict[int, float]:
    """Share of a class's sites by cameras per site."""
    pol = cfg.network.sites.get(name)
    if pol is not None and pol.cameras_per_site:
        total = sum(pol.cameras_per_site.values())
        return {k: s / total for k, s in sorted(pol.cameras_per_site.items()) if s > 0}
    m = max(1.0, cat.input("cameras_per_site_mean", cfg.model_inputs))
    lo = math.floor(m)
    frac = m - lo
    return {lo: 1.0 - frac, lo + 1: frac} if frac > 0 else {lo: 1.0}


def build_sites(classes: tuple[CameraLoad, ...], cfg: SimulationConfig, cat: Catalogue) -> Sites:
    """Sites of every class's online cameras; the class's camera count is kept exactly."""
    cls, size = [], []
    for k, c in enumerate(classes):
        if c.online <= 0:
            continue
        shares = size_shares(cfg, cat, c.name)
        mean = sum(n * s for n, s in shares.items())
        n_sites = c.online / mean
        counts = {n: int(math.floor(s * n_sites)) for n, s in shares.items()}
        rest = c.online - sum(n * m for n, m in counts.items())
        smallest = min(shares)
        counts[smallest] += rest // smallest
        sizes = [n for n, m in counts.items() for _ in range(m)]
        if rest % smallest:
            sizes.append(rest % smallest)
        cls += [k] * len(sizes)
        size += sizes
    return Sites(tuple(c.name for c in classes), np.asarray(cls, dtype=np.int64), np.asarray(size, dtype=np.int64))


def _lpt(weights: np.ndarray, n: int, start: np.ndarray | None = None) -> np.ndarray:
    """Server index of each item: largest first onto the least loaded server."""
    loads = [(0.0 if start is None else float(start[i]), i) for i in range(n)]
    heapq.heapify(loads)
    out = np.empty(len(weights), dtype=np.int64)
    for j in np.argsort(-weights, kind="stable"):
        load, i = heapq.heappop(loads)
        out[j] = i
        heapq.heappush(loads, (load + float(weights[j]), i))
    return out


def per_server(sites: Sites, server: np.ndarray, n: int) -> np.ndarray:
    """Cameras per (server, class)."""
    out = np.zeros((n, len(sites.names)), dtype=np.int64)
    np.add.at(out, (server, sites.cls), sites.size)
    return out


@dataclass(frozen=True)
class Assignment:
    cameras: np.ndarray          # (servers, classes) cameras on each server
    busiest: int                 # index of the most loaded server
    imbalance: float             # busiest server's load / mean load

    def shard(self, names: tuple[str, ...]) -> dict[str, int]:
        return {name: int(self.cameras[self.busiest, k]) for k, name in enumerate(names)}


def _assignment(cams: np.ndarray, camera_weight: np.ndarray) -> Assignment:
    load = cams @ camera_weight
    busiest = int(np.argmax(load))
    mean = float(load.mean()) if len(load) else 0.0
    return Assignment(cams, busiest, float(load[busiest] / mean) if mean > 0 else 1.0)


def assign(sites: Sites, camera_weight: np.ndarray, n: int) -> Assignment:
    """Spread the sites over ``n`` servers; ``camera_weight[k]``: load of one camera of class k."""
    weights = camera_weight[sites.cls] * sites.size
    return _assignment(per_server(sites, _lpt(weights, n), n), camera_weight)


def fail_busiest(sites: Sites, camera_weight: np.ndarray, n: int) -> Assignment:
    """The failover case: of ``n`` servers the busiest dies; its sites go to the other ``n - 1``."""
    if n < 2:
        raise ValueError("a failover needs at least two servers")
    weights = camera_weight[sites.cls] * sites.size
    server = _lpt(weights, n)
    cams = per_server(sites, server, n)
    dead = int(np.argmax(cams @ camera_weight))
    alive = [i for i in range(n) if i != dead]
    start = (cams @ camera_weight)[alive]
    orphans = server == dead
    moved = _lpt(weights[orphans], n - 1, start)
    out = cams[alive].copy()
    np.add.at(out, (moved, sites.cls[orphans]), sites.size[orphans])
    return _assignment(out, camera_weight)
