"""The portal's HTTP application (Starlette, served by uvicorn with uvloop and httptools).

Public: catalogue, search, live view (HLS), snapshots, health, metrics. With a bearer token:
events and per-camera counts (RT heads: only their own cameras), operator endpoints.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import time
from dataclasses import asdict
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from analytics.portal.auth import LoginLimiter, Principal, TokenSigner, account_fingerprint, verify_login
from analytics.portal.catalogue import Catalogue
from analytics.portal.config import PortalConfig
from analytics.portal.hls import VIEWER_RE, HlsBusy, HlsPackagers, HlsSettings
from analytics.portal.limits import BadParam, BodyLimit, float_param, int_param
from analytics.portal.metrics import WorkerMetrics, render
from analytics.portal.overload import OverloadGuard
from analytics.portal.packaging import PolicyKeeper, record_view_start
from analytics.portal.snapshots import SnapshotCache
from analytics.portal.viewer_routes import viewer_routes
from analytics.portal.webrtc import WebRtcRelay

log = logging.getLogger(__name__)
CONFIG_ENV = "TILIK_PORTAL_CONFIG"


def named(name: str):
    def deco(fn):
        fn.route_name = name
        return fn
    return deco


def _err(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


MAX_OFFSET = 10 ** 9
MAX_USERNAME, MAX_PASSWORD = 64, 1024


class Portal:
    """State of one worker process: catalogue, shared-state helpers, event store, users."""

    def __init__(self, cfg: PortalConfig, records: list[dict]):
        self.cfg = cfg
        self.state = Path(cfg.state_dir)
        self.catalogue = Catalogue(records)
        self.hls = HlsPackagers(self.state / "hls", HlsSettings(cfg.hls_segment_s, cfg.hls_list_size,
                                                                  cfg.hls_idle_timeout_s, cfg.hls_start_timeout_s,
                                                                  cfg.hls_max_packagers, cfg.hls_max_leases))
        self.snapshots = SnapshotCache(self.state / "snap", cfg.snapshot_refresh_s, cfg.snapshot_timeout_s,
                                       local_source=self._local_segment)
        self.metrics = WorkerMetrics(self.state / "metrics")
        self.tokens = TokenSigner.from_state_dir(self.state, cfg.token_ttl_s)
        self.limiter = LoginLimiter(self.state / "logins.db", cfg.login_attempts, cfg.login_window_s,
                                    cfg.login_attempts_per_ip)
        self.users = {u.username: u for u in cfg.users}
        self.fingerprints = {u.username: account_fingerprint(u.role, u.password_hash, u.cameras, u.kecamatan)
                             for u in cfg.users}
        self.visible: dict[str, frozenset[str]] = {}
        for u in cfg.users:
            if u.role == "rt_head":
                ids = set(u.cameras) & set(self.catalogue.by_id)
                ids |= {e.id for e in self.catalogue.entries if e.group == "CCTV RT" and e.kecamatan in u.kecamatan}
                self.visible[u.username] = frozenset(ids)
        self.policy = PolicyKeeper(cfg.packaging, self.hls, {e.id: e.url for e in self.catalogue.entries})
        self.webrtc = WebRtcRelay(idle_s=cfg.hls_idle_timeout_s)
        self.store = None
        if cfg.events_dsn:
            from analytics.store import open_store
            self.store = open_store(cfg.events_dsn)

    def _local_segment(self, camera_id: str) -> Path | None:
        return self.hls.newest_segment(camera_id) if self.hls.running(camera_id) else None

    def principal(self, request: Request) -> Principal | None:
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            return None
        claims = self.tokens.check(auth[7:].strip())
        if claims is None or self.fingerprints.get(claims.username) != claims.fingerprint:
            return None       # unknown user, or the account changed since the token was issued
        return Principal(claims.username, self.users[claims.username].role, claims.expires)

    def allowed_ids(self, p: Principal) -> frozenset[str] | None:
        """None: every camera (operators)."""
        return None if p.role == "operator" else self.visible.get(p.username, frozenset())


def create_app(cfg: PortalConfig, records: list[dict]) -> Starlette:
    portal = Portal(cfg, records)
    cat = portal.catalogue

    def need(request: Request, role: str | None = None, store: bool = False) -> Principal | Response:
        """The caller's principal, or the refusal: no token, wrong role, or (``store``) no event store."""
        p = portal.principal(request)
        if p is None:
            return _err(401, "missing or invalid bearer token", **{"WWW-Authenticate": "Bearer"})
        if role and p.role != role:
            return _err(403, f"needs role {role}")
        if store and portal.store is None:
            return _err(503, "no event store configured")
        return p

    @named("health")
    async def health(request: Request):
        return JSONResponse({"status": "ok", "cameras": len(cat), "worker": os.getpid(),
                             "hls": "mediamtx" if cfg.mediamtx_hls_url else "ffmpeg",
                             "events": portal.store is not None})

    @named("metrics")
    async def metrics(request: Request):
        portal.metrics.dump()
        leases = await asyncio.to_thread(portal.hls.active_leases)
        text = render(portal.metrics.root, {
            "tilik_hls_active_sessions": ("Viewers whose HLS lease is live.", sum(leases.values())),
            "tilik_hls_packagers": ("Running on-demand HLS packagers.", portal.hls.packager_count()),
            "tilik_hls_viewers": ("Live HLS leases by camera.", {k: v for k, v in leases.items() if v}),
        })
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    @named("groups")
    async def groups(request: Request):
        return JSONResponse(cat.groups())

    @named("cameras")
    async def cameras(request: Request):
        q = request.query_params
        try:
            limit, offset = int_param(request, "limit", 50, 1, 500), int_param(request, "offset", 0, 0, MAX_OFFSET)
        except BadParam as e:
            return _err(400, str(e))
        found = cat.find(group=q.get("group"), kecamatan=q.get("kecamatan"), kelurahan=q.get("kelurahan"), q=q.get("q"))
        return JSONResponse({"total": len(found), "limit": limit, "offset": offset,
                             "items": [e.public() for e in found[offset:offset + limit]]})

    @named("camera")
    async def camera(request: Request):
        e = cat.by_id.get(request.path_params["camera_id"])
        return JSONResponse(e.public()) if e else _err(404, "no such camera")

    def viewer_of(request: Request) -> str:
        sid = request.query_params.get("sid", "")
        if VIEWER_RE.fullmatch(sid):
            return sid
        who = f"{request.client.host if request.client else ''}|{request.headers.get('user-agent', '')}"
        return hashlib.sha1(who.encode()).hexdigest()[:16]

    @named("live_playlist")
    async def live_playlist(request: Request):
        cam_id = request.path_params["camera_id"]
        e = cat.by_id.get(cam_id)
        if e is None:
            return _err(404, "no such camera")
        if cfg.mediamtx_hls_url:
            return RedirectResponse(f"{cfg.mediamtx_hls_url.rstrip('/')}/{cam_id}/index.m3u8", status_code=302)
        viewer = viewer_of(request)
        try:
            starts = portal.hls.touch_lease(cam_id, viewer)
            cold = not (portal.hls.cam_dir(cam_id) / "index.m3u8").exists() or not portal.hls.running(cam_id)
            path = await portal.hls.playlist(cam_id, e.url)
        except HlsBusy as busy:
            return _err(503, f"live view at capacity: {busy}", **{"Retry-After": str(cfg.retry_after_s)})
        if path is None:
            return _err(502, "camera stream did not start", **{"Retry-After": str(cfg.retry_after_s)})
        if starts:
            await asyncio.to_thread(record_view_start, portal.hls.cam_dir(cam_id), cold)
        text = await asyncio.to_thread(path.read_text)
        if "sid" in request.query_params:
            text = "\n".join(f"{ln}?sid={viewer}" if ln.endswith(".ts") else ln for ln in text.splitlines()) + "\n"
        return Response(text, media_type="application/vnd.apple.mpegurl",
                        headers={"Cache-Control": "no-cache", "X-Tilik-Start": "cold" if cold else "warm"})

    @named("live_segment")
    async def live_segment(request: Request):
        cam_id, name = request.path_params["camera_id"], request.path_params["segment"]
        if cam_id not in cat.by_id:
            return _err(404, "no such camera")
        path = portal.hls.segment(cam_id, name)
        if path is None:
            return _err(404, "no such segment")
        try:
            portal.hls.touch_lease(cam_id, viewer_of(request))
        except HlsBusy as busy:
            return _err(503, f"live view at capacity: {busy}", **{"Retry-After": str(cfg.retry_after_s)})
        return FileResponse(path, media_type="video/mp2t", headers={"Cache-Control": "max-age=60"})

    @named("live_leave")
    async def live_leave(request: Request):
        cam_id = request.path_params["camera_id"]
        if cam_id not in cat.by_id:
            return _err(404, "no such camera")
        portal.hls.end_lease(cam_id, viewer_of(request))
        return Response(status_code=204)

    @named("snapshot")
    async def snapshot(request: Request):
        e = cat.by_id.get(request.path_params["camera_id"])
        if e is None:
            return _err(404, "no such camera")
        data = await portal.snapshots.get(e.id, e.url)
        if data is None:
            return _err(502, "no snapshot from camera", **{"Retry-After": str(cfg.retry_after_s)})
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": f"max-age={int(cfg.snapshot_refresh_s)}"})

    @named("login")
    async def login(request: Request):
        try:
            body = json.loads(await request.body())
            username, password = body["username"], body["password"]
        except (ValueError, KeyError, TypeError, RecursionError):
            return _err(400, "body must be JSON with username and password")
        if not isinstance(username, str) or not isinstance(password, str) \
                or not 0 < len(username) <= MAX_USERNAME or len(password) > MAX_PASSWORD:
            return _err(400, f"username (1..{MAX_USERNAME} characters) and password "
                             f"(up to {MAX_PASSWORD}) must be strings")
        ip = request.client.host if request.client else "?"
        wait = await run_in_threadpool(portal.limiter.allow, username, ip)
        if wait > 0:
            return _err(429, "too many login attempts", **{"Retry-After": str(max(1, int(wait + 0.999)))})
        user = portal.users.get(username)
        ok = await run_in_threadpool(verify_login, password, user.password_hash if user is not None else None)
        if not ok:
            return _err(401, "wrong username or password")
        token, expires = portal.tokens.issue(user.username, portal.fingerprints[user.username])
        return JSONResponse({"token": token, "expires": expires, "role": user.role})

    @named("my_cameras")
    async def my_cameras(request: Request):
        p = need(request)
        if isinstance(p, Response):
            return p
        ids = portal.allowed_ids(p)
        found = cat.entries if ids is None else [e for e in cat.entries if e.id in ids]
        return JSONResponse({"total": len(found), "items": [e.public() for e in found[:500]]})

    @named("events")
    async def events(request: Request):
        p = need(request, store=True)
        if isinstance(p, Response):
            return p
        q = request.query_params
        try:
            limit, offset = int_param(request, "limit", 50, 1, cfg.page_max), int_param(request, "offset", 0, 0, MAX_OFFSET)
            since, until = float_param(request, "since"), float_param(request, "until")
        except BadParam as e:
            return _err(400, str(e))
        types = q.getlist("type") or None
        cam = q.get("camera_id")
        ids = portal.allowed_ids(p)
        if cam and ids is not None and cam not in ids:
            return _err(403, "camera not in your area")
        cams = [cam] if cam else (sorted(ids) if ids is not None else [None])

        def run():
            items, total = [], 0
            for c in cams:
                items += portal.store.query(camera_id=c, types=types, since=since, until=until,
                                            limit=offset + limit, offset=0)
                total += portal.store.count(camera_id=c, types=types, since=since, until=until)
            items.sort(key=lambda ev: ev.t_frame, reverse=True)
            return items[offset:offset + limit], total

        items, total = await run_in_threadpool(run)
        nxt = offset + limit if offset + limit < total else None
        return JSONResponse({"total": total, "limit": limit, "offset": offset, "next_offset": nxt,
                             "items": [asdict(ev) for ev in items]})

    @named("event_counts")
    async def event_counts(request: Request):
        p = need(request, store=True)
        if isinstance(p, Response):
            return p
        try:
            since, until = float_param(request, "since"), float_param(request, "until")
        except BadParam as e:
            return _err(400, str(e))
        counts = await run_in_threadpool(portal.store.counts_by_camera, since, until)
        ids = portal.allowed_ids(p)
        if ids is not None:
            counts = {k: v for k, v in counts.items() if k in ids}
        return JSONResponse(counts)

    @named("operator_wall")
    async def operator_wall(request: Request):
        p = need(request, "operator")
        if isinstance(p, Response):
            return p
        try:
            n, page = int_param(request, "n", 16, 1, 64), int_param(request, "page", 0, 0, MAX_OFFSET)
        except BadParam as e:
            return _err(400, str(e))
        found = cat.find(group=request.query_params.get("group"))
        start = (page * n) % max(len(found), 1)
        return JSONResponse({"items": [e.public() for e in (found[start:] + found[:start])[:n]]})

    @named("operator_status")
    async def operator_status(request: Request):
        p = need(request, "operator")
        if isinstance(p, Response):
            return p
        leases = await asyncio.to_thread(portal.hls.active_leases)
        return JSONResponse({"hls_viewers": {k: v for k, v in leases.items() if v},
                             "hls_packagers": portal.hls.packager_count(), "snapshot_grabs": portal.snapshots.grabs})

    routes = [
        Route("/health", health), Route("/metrics", metrics),
        Route("/api/groups", groups), Route("/api/cameras", cameras), Route("/api/cameras/{camera_id}", camera),
        Route("/live/{camera_id}/index.m3u8", live_playlist),
        Route("/live/{camera_id}/session", live_leave, methods=["DELETE"]),
        Route("/live/{camera_id}/{segment}", live_segment),
        Route("/snapshot/{camera_id}.jpg", snapshot),
        Route("/api/login", login, methods=["POST"]), Route("/api/me/cameras", my_cameras),
        Route("/api/events", events), Route("/api/events/counts", event_counts),
        Route("/api/operator/wall", operator_wall), Route("/api/operator/status", operator_status),
        *viewer_routes(portal),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async def reaper():
            while True:
                await asyncio.sleep(1.0)
                try:
                    await asyncio.to_thread(portal.policy.tick, time.time())
                    await asyncio.to_thread(portal.hls.reap)
                    await portal.webrtc.reap()
                    portal.metrics.dump()
                except Exception:   # keep reaping; a bad file must not stop it
                    log.exception("HLS reaper")
        task = asyncio.create_task(reaper())
        try:
            yield
        finally:
            task.cancel()
            await portal.webrtc.close_all()
            await asyncio.to_thread(portal.hls.stop_all)
            if portal.store is not None:
                portal.store.close()
            portal.limiter.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.portal = portal
    return OverloadGuard(BodyLimit(app, cfg.max_body_bytes), max_concurrency=cfg.max_concurrency,
                         retry_after_s=cfg.retry_after_s, metrics=portal.metrics)


def app_from_env():
    """uvicorn factory: reads the JSON written by ``analytics.portal.serve`` (path in $TILIK_PORTAL_CONFIG)."""
    data = json.loads(Path(os.environ[CONFIG_ENV]).read_text())
    return create_app(PortalConfig.model_validate(data["portal"]), data["cameras"])
