"""The fleet's NVR sites at run time: their uplinks, addresses, credentials, faults and health.

``SiteServing`` is made by ``Fleet.start`` when the scenario has ``cameras.sites``. It gives every site an
endpoint (its own namespace and shaped veth, listening on port 554 at the site's address; or a free port on
the fleet's host for sites outside namespaces), the embedded server's ``sites`` config, the cameras'
main- and sub-stream URLs (without the password), and a 0600 credentials file the readers take the
password from. A site whose uplink class has ``delay_ms`` or ``jitter_ms`` is reached through a relay on
the fleet's host (``fake_cameras.relay.TcpRelay``) that delays what passes each way; its URLs name the
relay. Site faults run on their own schedule:

    uplink_saturation   the site's cameras send ``factor`` times their bitrate (its own traffic fills the link)
    link_stall          this host's end of the site's veth is down for the window (namespaced sites)
    loss_burst          the NVR drops a share ``loss`` of the site's RTP packets (in its media path)
    site_reboot         the NVR closes every client and serves nothing until the window ends
"""
from __future__ import annotations

import logging
import os
import secrets
import threading
from pathlib import Path

from common.credentials import write_credentials
from common.errors import InputError
from common.netguard import free_port
from fake_cameras.config import FleetConfig
from fake_cameras.impairments import Schedule, Scheduler
from fake_cameras.netns import SiteUplinks, Uplink
from fake_cameras.relay import PathDelay, TcpRelay
from fake_cameras.sites import Site, stream_path

log = logging.getLogger(__name__)

CREDENTIALS_FILE = "nvr-credentials.json"
NVR_PORT = 554          # inside a site's own namespace the NVR has its address to itself


class SiteServing:
    def __init__(self, config: FleetConfig, served: set[str], state_dir: Path):
        if config.sites is None:
            raise ValueError("SiteServing needs cameras.sites")
        self.config = config
        self.cfg = config.sites
        self.sites: list[Site] = [s for s in config.site_plan() if set(s.camera_ids()) & served]
        self.served = served
        self.state_dir = Path(state_dir)
        self.credentials = self.state_dir / CREDENTIALS_FILE
        self.password = os.environ.get(self.cfg.password_env) or secrets.token_urlsafe(12)
        self.links = SiteUplinks()
        self.uplinks: dict[str, Uplink] = {}
        self.endpoints: dict[str, tuple[str, int]] = {}     # where each site's NVR listens
        self.relays: dict[str, TcpRelay] = {}                  # sites with delay or jitter: readers go here
        self.site_of: dict[str, Site] = {c: s for s in self.sites for c in s.camera_ids()}
        self.scheduler: Scheduler | None = None
        self.backend = None
        self._fault: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        for i, imp in enumerate(config.impairments):
            site = next((s for s in self.sites if s.id == imp.target), None)
            if imp.kind == "link_stall" and site is not None and not site.namespaced:
                raise InputError(f"link_stall on {imp.target}: the site is not in a namespace (raise "
                                 "cameras.sites.namespaced_share)", where=f"cameras.impairments[{i}]")

    # ---------- set-up ----------
    def setup(self) -> list[dict]:
        """Make the namespaces and shaped links; the embedded server's ``sites`` config."""
        write_credentials(self.credentials, self.cfg.username, self.password)
        specs = []
        try:
            for site in self.sites:
                netns = None
                if site.namespaced:
                    up = self.links.add(site.id.replace("site-", "s"), site.uplink.up_mbit,
                                        site.uplink.burst_kbyte, site.uplink.queue_ms)
                    self.uplinks[site.id] = up
                    self.endpoints[site.id] = (up.address, NVR_PORT)
                    netns = up.netns_path
                else:
                    self.endpoints[site.id] = (self.config.host, free_port(self.config.host))
                host, port = self.endpoints[site.id]
                if site.uplink.delay_ms or site.uplink.jitter_ms:
                    path = PathDelay(delay_ms=site.uplink.delay_ms, jitter_ms=site.uplink.jitter_ms)
                    self.relays[site.id] = TcpRelay((host, port), down=path, up=path, listen=(self.config.host, 0),
                                                    seed=len(self.relays)).start()
                mounts = []
                for ch in site.channels:
                    if ch.camera_id in self.served:
                        mounts += [{"path": stream_path(site.vendor, ch.channel, False), "camera": ch.camera_id},
                                   {"path": stream_path(site.vendor, ch.channel, True),
                                    "camera": ch.camera_id + ".sub"}]
                specs.append({"id": site.id, "host": host, "port": port, "netns": netns,
                              "username": self.cfg.username, "password": self.password, "mounts": mounts})
        except BaseException:
            self.close()
            raise
        return specs

    def url(self, camera_id: str, sub: bool = False) -> str:
        site = self.site_of[camera_id]
        relay = self.relays.get(site.id)
        host, port = (relay.host, relay.port) if relay is not None else self.endpoints[site.id]
        ch = next(c.channel for c in site.channels if c.camera_id == camera_id)
        return f"rtsp://{host}:{port}{stream_path(site.vendor, ch, sub)}"

    # ---------- faults ----------
    def start_faults(self, backend) -> None:
        self.backend = backend
        self.scheduler = Scheduler(Schedule.for_sites(self.config, {s.id for s in self.sites}), self.apply)
        self.scheduler.start()

    def apply(self, site_id: str, state: str, factor: float) -> None:
        """Put a site into a fault state (or back online), undoing the one it was in."""
        site = next(s for s in self.sites if s.id == site_id)
        with self._lock:
            was, _ = self._fault.get(site_id, ("online", 1.0))
            if was == "stall":
                self.links.stall(self.uplinks[site_id], False)
            elif was == "saturate":
                for cam in site.camera_ids():
                    self.backend.set_state(cam, "online", 1.0)
            elif was in ("reboot", "loss") and state not in ("reboot", "loss"):
                self.backend.set_site_state(site_id, "online")
            if state == "stall":
                self.links.stall(self.uplinks[site_id], True)
            elif state == "saturate":
                for cam in site.camera_ids():
                    self.backend.set_state(cam, "spike", factor)
            elif state in ("reboot", "loss"):
                self.backend.set_site_state(site_id, state, factor)
            self._fault[site_id] = (state, factor)

    # ---------- health ----------
    def bytes_up(self) -> dict[str, int]:
        """Bytes each namespaced site has sent up its link so far."""
        return {sid: self.links.bytes_up(up) for sid, up in self.uplinks.items()}

    def describe(self) -> list[dict]:
        return [{"site": s.id, "vendor": s.vendor, "uplink": s.uplink.name, "up_mbit": s.uplink.up_mbit,
                 "namespaced": s.namespaced, "cameras": s.camera_ids(),
                 "fault": self._fault.get(s.id, ("online", 1.0))[0]} for s in self.sites]

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
            self.scheduler = None
        for relay in self.relays.values():
            relay.close()
        self.relays.clear()
        self.links.close()
        self.credentials.unlink(missing_ok=True)
