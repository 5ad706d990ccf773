"""NVR sites inside the embedded RTSP server: one GStreamer RTSP server per site, vendor stream paths,
digest authentication, and the site's own faults (a reboot, RTP loss bursts).

Imported by ``gst_rtsp_server.py`` (same directory, Debian's python3, nothing of the project). Each site
of the server's config ``sites`` list is

    {"id": "site-001", "host": "10.232.7.2", "port": 554, "netns": "/run/netns/tb17ab12-s001" | null,
     "username": "admin", "password": "...", "mounts": [{"path": "/Streaming/Channels/101", "camera": "rt-0001"},
                                                         {"path": "/cam/realmonitor?channel=1&subtype=1", ...}]}

A site with ``netns`` listens inside that network namespace: the main thread enters it just while the
listening socket is made (``setns``), and every connection accepted there, with its RTP interleaved in
the RTSP TCP connection, stays in it, so its bytes cross the site's shaped veth. Paths are matched with
their query (Dahua's ``?channel=..&subtype=..``, see ``drop_content_base``). A loss burst drops that share of
the site's RTP packets
after the payloader (what a lossy link does to RTP); a reboot closes every client of the site and removes
its paths until the site is back online.
"""
from __future__ import annotations

import ctypes
import logging
import os
import random
import threading
from contextlib import contextmanager

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402 -- after gi.require_version

log = logging.getLogger("gst_nvr")
CLONE_NEWNET = 0x40000000
SITE_STATES = ("online", "reboot", "loss")
ROLE = "nvr-user"


@contextmanager
def netns(path: str | None):
    """Run the body with this thread in the network namespace at ``path`` (None: where it is)."""
    if path is None:
        yield
        return
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {path}")
        try:
            yield
        finally:
            if libc.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back to the server's own namespace")
    finally:
        os.close(target)
        os.close(home)


class QueryMountPoints(GstRtspServer.RTSPMountPoints):
    """Mount points that look factories up by path and query (Dahua's ``/cam/realmonitor?channel=..``)."""

    def do_make_path(self, url):
        return url.abspath + ("?" + url.query if url.query else "")


def drop_content_base(_client, _session, message) -> None:
    """Send DESCRIBE answers of query paths without Content-Base. The server's base is the URL plus "/";
    after a query that "/" would make the aggregate PLAY a different path from the one SETUP registered.
    Without it a client takes the request URL as base: SETUP ``..subtype=0/stream=0``, PLAY ``..subtype=0``."""
    if message.get_type() == GstRtsp.RTSPMsgType.RESPONSE:
        message.remove_header(GstRtsp.RTSPHeaderField.CONTENT_BASE, -1)


class Site:
    """One NVR: its own RTSP server, mount points, digest auth, readers and fault state."""

    def __init__(self, spec: dict, cameras: dict):
        self.id = spec["id"]
        self.spec = spec
        self.cameras = cameras
        self.state = "online"
        self.loss = 0.0
        self.rng = random.Random(self.id)      # which packets a loss burst drops: the same every run
        self.dropped = 0
        self.clients: dict[int, tuple] = {}
        self.lock = threading.Lock()
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address(spec["host"])
        self.server.set_service(str(spec["port"]))
        # each client in its own thread, as in the main server: the main loop only accepts
        self.server.get_thread_pool().set_max_threads(max(4, 2 * len(spec["mounts"])))
        self.mounts = QueryMountPoints()
        self.server.set_mount_points(self.mounts)
        self.server.set_auth(self._auth(spec["username"], spec["password"]))
        self.by_path = {m["path"]: m["camera"] for m in spec["mounts"]}
        self._mount_all()
        self.server.connect("client-connected", self._on_client)

    @staticmethod
    def _auth(user: str, password: str) -> GstRtspServer.RTSPAuth:
        auth = GstRtspServer.RTSPAuth()
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", ROLE)
        auth.add_digest(user, password, token)
        return auth

    def _mount_all(self) -> None:
        role = Gst.Structure.new_from_string(
            f"{ROLE}, media.factory.access=(boolean)true, media.factory.construct=(boolean)true")
        for path, cam_id in self.by_path.items():
            factory = self.cameras[cam_id].make_factory(GstRtsp.RTSPLowerTrans.TCP)
            factory.add_role_from_structure(role)
            factory.connect("media-configure", self._on_media_configure)
            self.mounts.add_factory(path, factory)

    def _on_media_configure(self, _factory, media) -> None:
        pay = media.get_element().get_by_name("pay0")
        pay.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self._lossy)

    def _lossy(self, _pad, _info):
        if self.loss > 0 and self.rng.random() < self.loss:
            self.dropped += 1
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    def attach(self) -> None:
        with netns(self.spec.get("netns")):
            if self.server.attach(None) == 0:
                raise OSError(f"site {self.id}: cannot listen on {self.spec['host']}:{self.spec['port']}")

    # --- readers of the site's paths, counted on their cameras ---
    def _on_client(self, _server, client) -> None:
        client.connect("play-request", self._on_play)
        client.connect("closed", self._on_closed)
        if any("?" in p for p in self.by_path):
            client.connect("send-message", drop_content_base)

    def _on_play(self, client, ctx) -> None:
        url = ctx.uri
        if url is None:
            return
        path = url.abspath + ("?" + url.query if url.query else "")
        cam_id = next((c for p, c in self.by_path.items() if path == p or path.startswith(p + "/")), None)
        if cam_id is not None:
            cam = self.cameras[cam_id]
            with cam.lock:
                cam.readers.add(id(client))
            with self.lock:
                self.clients[id(client)] = (cam, client)

    def _on_closed(self, client) -> None:
        with self.lock:
            cam, _ = self.clients.pop(id(client), (None, None))
        if cam is not None:
            with cam.lock:
                cam.readers.discard(id(client))

    # --- faults (applied in the main loop) ---
    def apply(self, state: str, factor: float) -> bool:
        was, self.state = self.state, state
        self.loss = min(max(factor, 0.0), 1.0) if state == "loss" else 0.0
        if state == "reboot" and was != "reboot":
            for path in self.by_path:
                self.mounts.remove_factory(path)
            self.server.client_filter(lambda _s, _c: GstRtspServer.RTSPFilterResult.REMOVE)
            with self.lock:
                gone, self.clients = list(self.clients.values()), {}
            for cam, client in gone:
                with cam.lock:
                    cam.readers.discard(id(client))
        elif state != "reboot" and was == "reboot":
            self._mount_all()
        return False

    def status(self) -> dict:
        with self.lock:
            readers = len(self.clients)
        return {"id": self.id, "state": self.state, "loss": self.loss, "readers": readers,
                "rtp_dropped": self.dropped, "address": f"{self.spec['host']}:{self.spec['port']}",
                "netns": self.spec.get("netns")}


class NvrSites:
    """Every site of the server's config; the control API's ``/v1/sites`` and ``/v1/site/<id>``."""

    def __init__(self, cameras: dict, specs: list[dict]):
        self.sites = {s["id"]: Site(s, cameras) for s in specs}

    def attach(self) -> None:
        for site in self.sites.values():
            site.attach()

    def set_state(self, site_id: str, state: str, factor: float = 0.0) -> None:
        if state not in SITE_STATES:
            raise ValueError(f"site state must be one of {SITE_STATES}")
        GLib.idle_add(self.sites[site_id].apply, state, factor)

    def status(self) -> list[dict]:
        return [s.status() for s in self.sites.values()]
