"""The camera farm as a run component (``fake_cameras.fleet.Fleet``).

The fleet starts once with as many cameras as the run's peak step needs (the first cameras of the
scenario's classes, in order); a step's "cameras online" are the first N of them. Per trial it reports
how many of those are ready in the media server's status, the share that is not (``stream_loss``,
overridden by the stack's own figure when the stack runs) and the bytes it served.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import psutil

from benchmarks.runconfig import StepLoad
from benchmarks.runner.components import Component
from benchmarks.runner.context import RunContext
from benchmarks.runner.site_health import binding_uplink, camera_streams, site_health
from common.errors import ResourceError
from common.manifest import CameraManifest
from common.netguard import free_port

log = logging.getLogger(__name__)


def fleet_for(config, cameras: int, *, free_ports: bool, impairments: bool = False):
    """A copy of the scenario's FleetConfig with only the first ``cameras`` cameras, all online.

    The run's cameras axis says how many are online, so the classes' ``online_share`` (the city's
    availability, used by ``cameras up`` and the simulator) is set to 1. Impairments are kept only when
    asked for, and only those whose target is still in the fleet.
    """
    classes, left = [], cameras
    for c in config.classes:
        if left <= 0:
            break
        n = min(c.count, left)
        classes.append(c.model_copy(update={"count": n, "online_share": 1.0}))
        left -= n
    update: dict[str, Any] = {"classes": classes, "impairments": []}
    small = config.model_copy(update=update)
    if impairments:
        from fake_cameras.config import SITE_KINDS
        sites = {s.id for s in small.site_plan()}
        update["impairments"] = [i for i in config.impairments
                                 if small.resolve_target(i.target) or (i.kind in SITE_KINDS and i.target in sites)]
    if free_ports:
        update |= {"rtsp_port": free_port(), "api_port": free_port(), "hls_port": free_port(),
                   "metrics_port": free_port()}
    return config.model_copy(update=update)


class FleetComponent(Component):
    name = "fleet"

    def __init__(self, config, *, seed: int = 0, cache_dir: Path = Path("cache"), free_ports: bool = False,
                 impairments: bool = False, start_timeout: float = 300.0) -> None:
        super().__init__()
        self.impairments = impairments
        self.config = config
        self.seed = seed
        self.cache_dir = cache_dir
        self.free_ports = free_ports
        self.start_timeout = start_timeout
        self.fleet = None
        self.online: list[str] = []
        self._bytes0 = 0
        self._site_bytes0: dict[str, int] = {}
        self._streams: dict[str, tuple[float, float]] = {}     # NVR sites: camera -> (kbit/s, fps) served

    @property
    def available(self) -> int:
        return len(self.config.camera_ids())

    def _start(self, ctx: RunContext, peak: StepLoad) -> None:
        from fake_cameras.fleet import Fleet
        cfg = fleet_for(self.config, peak.cameras, free_ports=self.free_ports, impairments=self.impairments)
        self.fleet = Fleet(cfg, seed=self.seed, cache_dir=self.cache_dir, state_dir=ctx.run_dir / ".state")
        self.fleet.start(timeout=self.start_timeout)
        if self.fleet.sites is not None:
            self._streams = camera_streams(self.fleet.cameras)

    def pids(self) -> list[int]:
        own = self.fleet.pids() if self.fleet is not None else []
        return sorted(set(super().pids()) | {p for p in own if psutil.pid_exists(p)})

    @property
    def cameras(self) -> list:
        return list(self.fleet.cameras) if self.fleet is not None else []

    def manifest(self) -> CameraManifest:
        """The running fleet's camera manifest (what the stack reads)."""
        if self.fleet is None:
            raise ResourceError("the camera fleet is not started", where="run: cameras")
        return self.fleet.manifest()

    def apply(self, load: StepLoad, ctx: RunContext) -> None:
        self.online = [c.id for c in self.cameras[:load.cameras]]

    def _status(self) -> dict[str, dict]:
        return {item.get("name"): item for item in self.fleet.status()}

    def begin_trial(self, ctx: RunContext) -> None:
        st = self._status()
        self._bytes0 = sum(int(st.get(c, {}).get("bytesSent", 0) or 0) for c in self.online)
        if self.fleet.sites is not None:
            self._site_bytes0 = self.fleet.sites.bytes_up()

    def measure(self, ctx: RunContext, duration_s: float) -> dict[str, Any]:
        st = self._status()
        ready = sum(bool(st.get(c, {}).get("ready")) for c in self.online)
        sent = sum(int(st.get(c, {}).get("bytesSent", 0) or 0) for c in self.online)
        n = max(len(self.online), 1)
        sites: dict[str, Any] = {}
        if self.fleet.sites is not None:        # NVR sites: per-site health, and an uplink that binds
            health = site_health(self.fleet.sites, st, self.online, self._site_bytes0, duration_s, self._streams)
            sites = {"sites": health, "site_uplink_binding": binding_uplink(health)}
        return sites | {"cameras_ready": ready,
                "stream_loss": round(1.0 - ready / n, 4) if self.online else 0.0,
                "fleet_mbps": round(8 * max(sent - self._bytes0, 0) / max(duration_s, 1e-6) / 1e6, 3),
                "fleet_readers": sum(int(st.get(c, {}).get("readers", 0) if not isinstance(
                    st.get(c, {}).get("readers"), list) else len(st[c]["readers"])) for c in self.online)}

    def _stop(self) -> None:
        if self.fleet is not None:
            self.fleet.stop()
            self.fleet = None
