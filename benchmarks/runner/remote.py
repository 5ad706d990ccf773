"""Cameras already running on other hosts, as the run's fleet: a fleet manifest instead of a local fleet.

The shards (``tilikbench cameras up --shard K/N`` on each host, or the pods of the Kubernetes
StatefulSet) are started and stopped by whoever runs them; the run only reads them. It takes the
same cameras a local run would (the first N of the scenario's classes, in order), at the URLs the
manifest gives, so a local and a remote run of one scenario step the same cameras. The stack reads
from those URLs, and per trial the run asks every shard's control API for its cameras' status
(``/v3/paths/list``) and, where the server answers it, its own CPU and memory (``/v1/process``).

Metrics per trial: the fleet's usual ``cameras_ready``, ``stream_loss``, ``fleet_mbps`` and
``fleet_readers`` over all shards, and per shard ``shard.<name>.cameras_online``,
``.cameras_ready``, ``.ready_share``, ``.readers``, ``.mbps``, ``.reachable`` (0 or 1), ``.cpu_pct``
(its media server's CPU, percent of one core) and ``.rss_mb``.

The footage, and so the ground truth, stays on the shards' hosts: a remote run does not score the
stack's counting accuracy (the local fleet's runs do).
"""
from __future__ import annotations

import dataclasses
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.deploy.manifest import FleetManifest, ShardEntry
from benchmarks.runconfig import StepLoad
from benchmarks.runner.components import Component
from benchmarks.runner.context import RunContext
from benchmarks.runner.fleet_component import fleet_for
from common.errors import InputError, ResourceError
from fake_cameras.backends.base import fetch_paths, get_json, readers_count
from fake_cameras.fleet import Fleet

log = logging.getLogger(__name__)

API_TIMEOUT_S = 5.0


@dataclasses.dataclass
class ShardSample:
    """One look at a shard: its path items by camera id (None: it did not answer) and its process."""

    paths: dict[str, dict] | None
    cpu_s: float | None = None
    rss_bytes: int | None = None
    t: float = 0.0


def sample_shard(shard: ShardEntry, clock) -> ShardSample:
    try:
        items = fetch_paths(shard.api_url, timeout=API_TIMEOUT_S)
    except ResourceError as e:
        log.warning("shard %s did not answer: %s", shard.name, e)
        return ShardSample(None, t=clock())
    out = ShardSample({str(i.get("name")): i for i in items}, t=clock())
    try:
        proc = get_json(f"{shard.api_url}/v1/process", timeout=API_TIMEOUT_S)
        out.cpu_s, out.rss_bytes = float(proc["cpu_s"]), int(proc["rss_bytes"])
    except (ResourceError, KeyError, TypeError, ValueError):
        pass                      # a server without /v1/process (MediaMTX): status only
    return out


class RemoteFleetComponent(Component):
    name = "fleet"

    def __init__(self, config, manifest: FleetManifest, *, seed: int = 0, cache_dir: Path = Path("cache"),
                 where: str = "--remote") -> None:
        super().__init__()
        self.config = config
        self.fleet_manifest = manifest
        self.seed = seed
        self.cache_dir = Path(cache_dir)
        self.where = where
        self.online: list[str] = []
        self._cameras: list = []
        self._plan: Fleet | None = None
        self._shard_of = manifest.shard_of()
        self._before: dict[str, ShardSample] = {}

    @property
    def cameras(self) -> list:
        return list(self._cameras)

    def _start(self, ctx: RunContext, peak: StepLoad) -> None:
        cfg = fleet_for(self.config, peak.cameras, free_ports=False)
        self._plan = Fleet(cfg, seed=self.seed, cache_dir=self.cache_dir)     # not started: no processes
        plan = self._plan.cameras                                               # no clips: ground truth None
        missing = [c.id for c in plan if c.id not in self._shard_of]
        if missing:
            raise InputError(f"{len(missing)} camera(s) the run needs are served by no shard of the manifest "
                             f"(first: {', '.join(missing[:5])})", where=f"{self.where}: shards")
        self._cameras = [dataclasses.replace(c, url=self._shard_of[c.id].url(c.id)) for c in plan]
        needed = {self._shard_of[c.id].name for c in plan}
        samples = self._sample()
        for s in self.fleet_manifest.shards:
            if s.name not in needed:
                continue
            got = samples[s.name].paths
            if got is None:
                raise ResourceError(f"shard {s.name} does not answer at {s.api_url}/v3/paths/list; is "
                                    f"`cameras up --shard {s.shard}/N` running there?", where=f"{self.where}: {s.name}")
            absent = [c.id for c in plan if self._shard_of[c.id] is s and c.id not in got]
            if absent:
                raise ResourceError(f"shard {s.name} does not serve {len(absent)} camera(s) the manifest puts "
                                    f"there (first: {', '.join(absent[:5])}); was it started with another "
                                    "scenario or shard?", where=f"{self.where}: {s.name}")
        log.info("remote fleet: %d cameras on %d shard(s)", len(plan), len(needed))

    def manifest(self):
        """The run's cameras at their remote URLs as a camera manifest, for a stack that reads one
        (``Fleet.manifest`` of the same plan; no clips or ground truth: those stay on the shards)."""
        if self._plan is None:
            raise ResourceError("the remote fleet is not started", where=self.where)
        return self._plan.manifest(self._cameras)

    def _sample(self) -> dict[str, ShardSample]:
        with ThreadPoolExecutor(max_workers=min(16, len(self.fleet_manifest.shards))) as pool:
            got = pool.map(lambda s: sample_shard(s, time.monotonic), self.fleet_manifest.shards)
            return {s.name: g for s, g in zip(self.fleet_manifest.shards, got)}

    def apply(self, load: StepLoad, ctx: RunContext) -> None:
        self.online = [c.id for c in self._cameras[:load.cameras]]

    def begin_trial(self, ctx: RunContext) -> None:
        self._before = self._sample()

    def measure(self, ctx: RunContext, duration_s: float) -> dict[str, Any]:
        after = self._sample()
        out: dict[str, Any] = {}
        ready = readers = 0
        bits = 0.0
        for s in self.fleet_manifest.shards:
            mine = [c for c in self.online if self._shard_of[c] is s]
            a, b = after[s.name], self._before.get(s.name)
            key = f"shard.{s.name}"
            out[f"{key}.reachable"] = int(a.paths is not None)
            if not mine:
                continue
            items = a.paths or {}
            n_ready = sum(bool(items.get(c, {}).get("ready")) for c in mine)
            n_readers = sum(readers_count(items.get(c, {})) for c in mine)
            sent = sum(int(items.get(c, {}).get("bytesSent", 0) or 0) for c in mine)
            sent0 = sum(int((b.paths or {}).get(c, {}).get("bytesSent", 0) or 0) for c in mine) if b else sent
            dt = max(a.t - b.t, 1e-6) if b else max(duration_s, 1e-6)
            mbps = 8 * max(sent - sent0, 0) / dt / 1e6
            out |= {f"{key}.cameras_online": len(mine), f"{key}.cameras_ready": n_ready,
                    f"{key}.ready_share": round(n_ready / len(mine), 4), f"{key}.readers": n_readers,
                    f"{key}.mbps": round(mbps, 3)}
            if a.cpu_s is not None and b is not None and b.cpu_s is not None:
                out[f"{key}.cpu_pct"] = round(100.0 * (a.cpu_s - b.cpu_s) / dt, 2)
            if a.rss_bytes is not None:
                out[f"{key}.rss_mb"] = round(a.rss_bytes / 1e6, 1)
            ready += n_ready
            readers += n_readers
            bits += mbps
        n = max(len(self.online), 1)
        out |= {"cameras_ready": ready, "stream_loss": round(1.0 - ready / n, 4) if self.online else 0.0,
                "fleet_mbps": round(bits, 3), "fleet_readers": readers}
        return out

    def hosts(self) -> list[dict[str, Any]]:
        return [{"name": s.name, "role": "camera shard", "shard": s.shard, "api_url": s.api_url,
                 "rtsp_base": s.rtsp_base, "cameras": len(s.cameras),
                 "cameras_in_run": sum(1 for c in self._cameras if self._shard_of[c.id] is s)}
                for s in self.fleet_manifest.shards]

    def _stop(self) -> None:
        """Nothing to stop: the shards belong to whoever started them."""
