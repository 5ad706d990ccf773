"""Locust users of a city CCTV portal: Citizen, Operator, RTHead (FastHttpUser).

Each request is named by the concept it stands for ("snapshot", "playlist", "segment", ...), so
Locust's CSV has one row per endpoint whatever the camera. Paths come from the endpoint mapping.
"""
from __future__ import annotations

import random
import time
import uuid
from urllib.parse import quote, urljoin

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

from benchmarks.load.config import LoadConfig
from benchmarks.load.guard import OffTarget, OriginGuard, redirect_target
from benchmarks.load.guarded_session import GuardedSession
from benchmarks.load.popularity import CameraChooser, ranked
from benchmarks.load.settings import current_config


def _cfg() -> LoadConfig:
    return current_config()


class PortalUser(FastHttpUser):
    abstract = True
    wait_time = between(_cfg().wait_min_s, _cfg().wait_max_s)
    connection_timeout = 10.0
    network_timeout = 30.0
    _camera_cache: list[str] = []
    _chooser: CameraChooser | None = None

    def __init__(self, environment) -> None:
        super().__init__(environment)
        guard = OriginGuard([self.host, *_cfg().extra_origins])
        self.client = GuardedSession(
            base_url=self.host, request_event=self.environment.events.request, guard=guard,
            network_timeout=self.network_timeout, connection_timeout=self.connection_timeout,
            max_redirects=0, max_retries=self.max_retries, insecure=self.insecure, concurrency=self.concurrency,
            user=self, client_pool=self.client_pool, ssl_context_factory=self.ssl_context_factory,
            headers=self.default_headers, proxy_host=self.proxy_host, proxy_port=self.proxy_port)

    def on_start(self) -> None:
        self.cfg = _cfg()
        self.ep = self.cfg.endpoints
        self.token: str | None = None
        self.cred = None              # the credentials of the last login, for logging in again

    # -- helpers ---------------------------------------------------------------------------------
    def path(self, template: str, cam: str) -> str:
        """An endpoint path for one camera; the id (from the target's answers) is percent-quoted."""
        return template.format(camera_id=quote(cam, safe=""))

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def list_cameras(self, name: str = "cameras", **params) -> list[str]:
        if self.ep.camera_ids:
            return list(self.ep.camera_ids)
        with self.client.get(self.ep.cameras, params=params, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
                return []
            try:
                ids = [it[self.ep.camera_id_key] for it in r.json()[self.ep.camera_items_key]
                       if it.get("online", True) is not False]        # the portal marks offline cameras
            except (ValueError, KeyError, TypeError) as e:
                r.failure(f"unexpected cameras response: {e}")
                return []
        if ids and not params.get("q"):
            PortalUser._camera_cache = ids
        return ids

    def any_camera(self) -> str | None:
        ids = PortalUser._camera_cache or self.list_cameras(limit=500)
        return random.choice(ids) if ids else None

    def popular_camera(self) -> str | None:
        """A camera to watch, drawn by the scenario's popularity law over the ranked catalogue."""
        ids = PortalUser._camera_cache or self.list_cameras(limit=500)
        if not ids:
            return None
        chooser = PortalUser._chooser
        if chooser is None or chooser.ranking != ranked(ids, self.cfg.hot_cameras):
            chooser = PortalUser._chooser = CameraChooser(self.cfg.popularity, ranked(ids, self.cfg.hot_cameras),
                                                          self.cfg.hot_cameras, self.cfg.hot_share)
        return chooser.choose()

    def login(self, cred) -> None:
        self.cred = cred
        with self.client.post(self.ep.login, json={"username": cred.username, "password": cred.password},
                              name="login", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"login HTTP {r.status_code}")
                return
            self.token = r.json().get(self.ep.token_key)

    def logged_in(self) -> bool:
        """True with a token; a user whose login failed logs in again (as a person would) rather than
        sending requests that can only be refused."""
        if self.token is None and self.cred is not None:
            self.login(self.cred)
        return self.token is not None

    def snapshot(self, cam: str) -> None:
        with self.client.get(self.path(self.ep.snapshot, cam), name="snapshot", catch_response=True) as r:
            if r.status_code == 200 and not r.content.startswith(b"\xff\xd8"):
                r.failure("snapshot is not a JPEG")

    def playlist(self, cam: str, sid: str) -> tuple[str, str] | None:
        """(URL, text) of a camera's live playlist, following one redirect if the guard allows it."""
        path = self.path(self.ep.playlist, cam)
        with self.client.get(path, params={"sid": sid}, name="playlist", catch_response=True) as r:
            url = r.url or self.client.base_url + path
            moved = redirect_target(r, url)
            if moved is None:
                if r.status_code != 200 or not r.text.startswith("#EXTM3U"):
                    if r.status_code == 200:
                        r.failure("not an HLS playlist")
                    return None
                return url, r.text
            r.success()                       # e.g. to the MediaMTX HLS server: followed, guarded
        try:
            with self.client.get(moved, name="playlist", catch_response=True) as r:
                if r.status_code != 200 or not r.text.startswith("#EXTM3U"):
                    if r.status_code == 200 or redirect_target(r, moved):
                        r.failure("not an HLS playlist")
                    return None
                return moved, r.text
        except OffTarget:                     # recorded as a "refused" failure; nothing was sent
            return None

    def open_card(self, cam: str) -> None:
        """The camera's card, read for ``card_s`` before pressing play (the portal may pre-warm meanwhile)."""
        if self.cfg.card_s > 0 and self.ep.card:
            self.client.request("POST", self.ep.card.format(camera_id=cam), name="card")
            time.sleep(self.cfg.card_s)

    def watch(self, cams: list[str], seconds: float) -> None:
        """Follow live playlists of ``cams`` (one viewer) for ``seconds``: fetch each new segment once.
        Segment lines are resolved against the playlist's URL; the session's guard checks the result."""
        sid = uuid.uuid4().hex[:16]
        seen: dict[str, set[str]] = {c: set() for c in cams}
        end = time.monotonic() + seconds
        while True:
            target = 2.0
            for cam in cams:
                got = self.playlist(cam, sid)
                if got is None:
                    continue
                url, text = got
                segs = []
                for line in text.splitlines():
                    if line.startswith("#EXT-X-TARGETDURATION:"):
                        target = float(line.split(":", 1)[1])
                    elif line and not line.startswith("#"):
                        segs.append(line)
                if not seen[cam] and segs:      # join live: the newest segment only
                    seen[cam].update(s.split("?", 1)[0] for s in segs[:-1])
                for line in segs:
                    seg = line.split("?", 1)[0]
                    if seg not in seen[cam]:
                        seen[cam].add(seg)
                        try:
                            self.client.get(urljoin(url, line), name="segment")
                        except OffTarget:     # a segment on another host or port: refused, skipped
                            pass
            if time.monotonic() + target > end:
                break
            time.sleep(target)
        if self.ep.leave:
            for cam in cams:
                self.client.request("DELETE", self.path(self.ep.leave, cam), params={"sid": sid}, name="leave")


class Citizen(PortalUser):
    """Browses groups, opens live views, looks at snapshots."""

    @task(3)
    def browse(self) -> None:
        r = self.client.get(self.ep.groups, name="groups")
        groups = []
        if r.status_code == 200:
            try:
                groups = [g["group"] for g in r.json()]
            except (ValueError, KeyError, TypeError):
                pass
        if groups:
            self.list_cameras(group=random.choice(groups), limit=50)

    @task(1)
    def search(self) -> None:
        self.list_cameras(name="search", q=random.choice(["simpang", "pasar", "tengah", "atcs", "rt", "pompa"]))

    @task(4)
    def snapshots(self) -> None:
        for _ in range(3):
            cam = self.any_camera()
            if cam:
                self.snapshot(cam)

    @task(2)
    def live(self) -> None:
        cam = self.popular_camera()
        if cam:
            self.open_card(cam)
            self.watch([cam], self.cfg.citizen_watch_s)


class Browser(PortalUser):
    """Catalogue and snapshots only (no live view): the cheap, cacheable part of the portal."""

    @task(2)
    def browse(self) -> None:
        self.client.get(self.ep.groups, name="groups")
        self.list_cameras(limit=50)

    @task(1)
    def search(self) -> None:
        self.list_cameras(name="search", q=random.choice(["simpang", "pasar", "tengah", "atcs", "rt", "pompa"]))

    @task(3)
    def snapshots(self) -> None:
        cam = self.any_camera()
        if cam:
            self.snapshot(cam)


class Viewer(PortalUser):
    """A live viewer only: opens one camera and follows it (for the number of HLS viewers sustained)."""

    @task
    def live(self) -> None:
        cam = self.popular_camera()
        if cam:
            self.open_card(cam)
            self.watch([cam], self.cfg.citizen_watch_s)


class Operator(PortalUser):
    """Watches a 16-stream video wall and queries events."""

    def on_start(self) -> None:
        super().on_start()
        self.login(self.cfg.operator)

    @task(1)
    def wall(self) -> None:
        if not self.logged_in():
            return
        n = self.cfg.wall_size
        r = self.client.get(self.ep.wall, params={"n": n, "page": random.randrange(100)}, headers=self.auth(),
                            name="wall")
        cams = []
        if r.status_code == 200:
            cams = [it[self.ep.camera_id_key] for it in r.json().get(self.ep.camera_items_key, [])]
        if cams:
            self.watch(cams[:n], self.cfg.operator_wall_s)

    @task(2)
    def events(self) -> None:
        if not self.logged_in():
            return
        since = time.time() - 24 * 3600
        self.client.get(self.ep.events, params={"since": since, "limit": 50}, headers=self.auth(), name="events")
        self.client.get(self.ep.event_counts, params={"since": since}, headers=self.auth(), name="event_counts")


class RTHead(PortalUser):
    """An RT head: logs in, looks at own cameras, their snapshots and events."""

    def on_start(self) -> None:
        super().on_start()
        self.login(random.choice(self.cfg.rt_heads))
        self.own: list[str] = []
        if self.token is not None:
            self.own_cameras()

    @task(2)
    def own_events(self) -> None:
        if not self.logged_in():
            return
        params = {"since": time.time() - 7 * 24 * 3600, "limit": 20}
        if self.own:
            params["camera_id"] = random.choice(self.own)
        self.client.get(self.ep.events, params=params, headers=self.auth(), name="events")

    @task(1)
    def own_snapshot(self) -> None:
        if self.own:
            self.snapshot(random.choice(self.own))

    @task(1)
    def own_cameras(self) -> None:
        if not self.logged_in():
            return
        r = self.client.get(self.ep.my_cameras, headers=self.auth(), name="my_cameras")
        if r.status_code == 200:
            self.own = [it[self.ep.camera_id_key] for it in r.json().get(self.ep.camera_items_key, [])]
